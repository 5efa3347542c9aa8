import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { compressDir } from './compress.mjs';

describe('compressDir', () => {
  let dir;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes .br and .gz copies that decompress to the original, only where they are smaller', () => {
    dir = mkdtempSync(join(tmpdir(), 'hybrid-compress-'));
    mkdirSync(join(dir, 'assets'));
    const script = 'export const greeting = "hello";\n'.repeat(200);
    writeFileSync(join(dir, 'assets', 'app.js'), script);
    writeFileSync(join(dir, 'tiny.svg'), '<svg/>');
    writeFileSync(join(dir, 'photo.png'), script); // not a text type: left alone

    const written = compressDir(dir);

    const js = join(dir, 'assets', 'app.js');
    expect(brotliDecompressSync(readFileSync(`${js}.br`)).toString()).toBe(script);
    expect(gunzipSync(readFileSync(`${js}.gz`)).toString()).toBe(script);
    expect(existsSync(join(dir, 'tiny.svg.br'))).toBe(false);
    expect(existsSync(join(dir, 'photo.png.gz'))).toBe(false);
    expect(written.map((w) => w.path).sort()).toEqual([`${js}.br`, `${js}.gz`]);
  });
});
