// Refreshes the committed OpenAPI snapshot from a running server and regenerates the types:
//   node scripts/update-openapi.mjs [http://127.0.0.1:8080]
// The e2e suite fails while the snapshot differs from what the server serves.
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const res = await fetch(`${base}/api/openapi.json`);
if (!res.ok) throw new Error(`GET ${base}/api/openapi.json: ${res.status}`);
const spec = await res.json();
writeFileSync(join(root, 'src/api/openapi.json'), `${JSON.stringify(spec, null, 2)}\n`);
execFileSync('npx', ['openapi-typescript', 'src/api/openapi.json', '-o', 'src/api/schema.d.ts'], { cwd: root, stdio: 'inherit' });
console.log('updated src/api/openapi.json and src/api/schema.d.ts');
