// A tus upload whose connection drops midway, resumed by tus-js-client, the protocol's
// reference client: the independent check of the files service's tus endpoints. The client
// talks to the server through a proxy that cuts the first connection after CUT_AFTER bytes,
// as a network drop would; tus-js-client then asks where the upload stands (HEAD) and sends
// the rest. tus.rs runs this with HYBRID_URL, HYBRID_TOKEN, UPLOAD_FILE, CUT_AFTER and
// WEB_DIR (whose node_modules hold tus-js-client); it prints
// {"cuts", "offset_after_cut", "file_id"} as JSON (offset_after_cut: the furthest offset a HEAD
// reported once the connection was cut).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(`${process.env.WEB_DIR}/package.json`);
const tus = require('tus-js-client');

const server = new URL(process.env.HYBRID_URL);
const data = readFileSync(process.env.UPLOAD_FILE);
const cutAfter = Number(process.env.CUT_AFTER);

// The proxy: forwards both ways, and cuts once, after cutAfter bytes towards the server. The
// cut ends the server's side with a FIN after the last byte (end, not destroy: a reset would make
// the server's kernel drop what it had received but not yet read, and the test would measure the
// race instead of the server) and drops the client's.
let cuts = 0;
let forwarded = 0;
const proxy = net.createServer((client) => {
  const upstream = net.connect(Number(server.port), server.hostname);
  let cutting = false;
  client.on('data', (chunk) => {
    if (cutting) return;
    if (cuts === 0 && forwarded + chunk.length > cutAfter) {
      cuts += 1;
      cutting = true;
      upstream.end(chunk.subarray(0, cutAfter - forwarded));
      client.destroy();
      return;
    }
    forwarded += chunk.length;
    upstream.write(chunk);
  });
  upstream.on('data', (chunk) => {
    if (!cutting) client.write(chunk);
  });
  client.on('error', () => cutting || upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => cutting || upstream.destroy());
  upstream.on('close', () => client.destroy());
});
await new Promise((listening) => proxy.listen(0, '127.0.0.1', listening));

let offsetAfterCut = null;
const fileId = await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    endpoint: `http://127.0.0.1:${proxy.address().port}/api/v1/files/uploads`,
    headers: { Authorization: `Bearer ${process.env.HYBRID_TOKEN}` },
    metadata: { filename: 'отчёт.bin' },
    // the cut request may hold the upload a moment longer (423), then it is free
    retryDelays: [100, 300, 1000, 2000, 4000],
    // What the server kept of the cut request: the furthest offset a HEAD reported. A HEAD may
    // come while the cut request is still storing its tail and report the last whole part; the
    // client then sends from there, hears 409 (or 423), and asks again.
    onAfterResponse(request, response) {
      const offset = Number(response.getHeader('Upload-Offset'));
      if (request.getMethod() === 'HEAD' && Number.isFinite(offset)) {
        offsetAfterCut = Math.max(offsetAfterCut ?? 0, offset);
      }
    },
    onSuccess: ({ lastResponse }) => resolve(Number(lastResponse.getHeader('Hybrid-File-Id'))),
    onError: reject,
  });
  upload.start();
});
proxy.close();

console.log(JSON.stringify({ cuts, offset_after_cut: offsetAfterCut, file_id: fileId }));
