/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { compressPlugin } from './scripts/compress.mjs';

// `npm run dev` serves the client with hot reload and forwards the API (and the WebSocket)
// to a Hybrid server: `hybrid serve` on 127.0.0.1:8080 unless HYBRID_API says otherwise.
const api = process.env.HYBRID_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), compressPlugin()],
  server: {
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: false },
    },
  },
  build: {
    target: 'es2022',
    // No source maps in a release: they would publish the sources (the server refuses *.map anyway).
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.mjs'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
