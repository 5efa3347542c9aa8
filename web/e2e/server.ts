/**
 * Starts a real `hybrid serve` on a free port with a temporary data dir, serving web/dist; it can
 * be stopped and started again on the same port and data dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dirname, '..');
export const RESULTS = join(WEB_DIR, 'test-results');

export function hybridBin(): string {
  const bin = process.env.HYBRID_BIN ?? join(process.env.CARGO_TARGET_DIR ?? resolve(WEB_DIR, '..', 'target'), 'debug', 'hybrid');
  if (!existsSync(bin)) throw new Error(`hybrid binary not found at ${bin}: build it (cargo build --bin hybrid) or set HYBRID_BIN`);
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

export interface ServerOptions {
  /**
   * Environment for the server process on top of this one's (settings as `HYBRID_*`, say
   * `HYBRID_SERVICES: 'all,example'`); also passed to `cli()`.
   */
  env?: Record<string, string>;
  /** The port to listen on (a free one when absent): for settings that name the server's own URL. */
  port?: number;
}

export class HybridServer {
  private child: ChildProcess | null = null;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'hybrid-web-e2e-'));
  port = 0;

  constructor(private readonly options: ServerOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port?: number): Promise<void> {
    const dist = join(WEB_DIR, 'dist');
    if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
    this.port = port ?? this.options.port ?? (await freePort());
    const log = createWriteStream(join(RESULTS, 'hybrid-server.log'), { flags: 'a' });
    const child = spawn(hybridBin(), ['--data-dir', this.dataDir, 'serve', '--listen', `127.0.0.1:${this.port}`], {
      env: {
        ...process.env,
        HYBRID_HTTP__WEB_DIR: dist,
        HYBRID_LOG__FORMAT: 'json',
        HYBRID_LOG__LEVEL: 'info',
        HYBRID_METRICS__LISTEN: '127.0.0.1:0',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hybrid exited with ${child.exitCode}; see test-results/hybrid-server.log`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('hybrid did not become ready in 30 s');
  }

  /**
   * Runs a command of the same binary on the same data dir and returns what it printed:
   * `cli(['admin', 'create-user', '--username', 'boss', '--password', pw, '--admin'])`.
   */
  cli(args: string[]): string {
    return execFileSync(hybridBin(), ['--data-dir', this.dataDir, ...args], {
      env: { ...process.env, HYBRID_LOG__LEVEL: 'warn', ...this.options.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  /**
   * Stops the server process; `start(port)` brings it back on the same port and data dir.
   * SIGTERM (the default) is a clean stop, which lets requests in flight finish (killed after
   * 10 s if they do not); SIGKILL ends it at once, as a crash would.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      child.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
