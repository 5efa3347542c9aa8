/**
 * Writes a Brotli (`.br`) and a gzip (`.gz`) copy beside every compressible file of a build, so
 * the server (and nginx's gzip_static) send them as they are instead of compressing per request.
 * A copy that would not be smaller is not written.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.test(name)) yield path;
  }
}

/** Compresses every compressible file under `dir`; returns what was written, for the log. */
export function compressDir(dir) {
  const written = [];
  for (const path of files(dir)) {
    const raw = readFileSync(path);
    const copies = {
      br: brotliCompressSync(raw, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        },
      }),
      gz: gzipSync(raw, { level: 9 }),
    };
    for (const [ext, data] of Object.entries(copies)) {
      if (data.length >= raw.length) continue;
      writeFileSync(`${path}.${ext}`, data);
      written.push({ path: `${path}.${ext}`, raw: raw.length, compressed: data.length });
    }
  }
  return written;
}

/** The Vite plugin: compress the output once the bundle is written (production builds only). */
export function compressPlugin() {
  let outDir = 'dist';
  return {
    name: 'hybrid-compress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      compressDir(outDir);
    },
  };
}
