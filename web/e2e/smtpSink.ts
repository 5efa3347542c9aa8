/**
 * The SMTP server of the email tests: crates/testkit/smtp_sink.py (aiosmtpd, which
 * `scripts/backends.sh ensure_python_tools` installs, run by `$HYBRID_TEST_PYTHON`) takes every
 * message and parses it with Python's own `email` package, so a test reads the headers and
 * parts as a mail client would. It prints "ready", then one JSON line per message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { WEB_DIR, freePort } from './server';

const SCRIPT = resolve(WEB_DIR, '..', 'crates', 'testkit', 'smtp_sink.py');

/** One message as the sink took it. */
export interface Mail {
  mail_from: string;
  rcpt_tos: string[];
  /** By lower-case name. */
  headers: Record<string, string>;
  content_type: string;
  text: string | null;
  html: string | null;
}

export function python(): string {
  return process.env.HYBRID_TEST_PYTHON ?? join(homedir(), '.cache', 'hybrid', 'python', 'bin', 'python');
}

export class SmtpSink {
  /** Every message taken so far, oldest first. */
  readonly messages: Mail[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** `smtp://127.0.0.1:<port>`, for `HYBRID_NOTIFY__SMTP_URL`. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<SmtpSink> {
    const bin = python();
    if (!existsSync(bin)) {
      throw new Error(`no Python with aiosmtpd at ${bin}: run scripts/backends.sh's ensure_python_tools, or set HYBRID_TEST_PYTHON`);
    }
    const port = await freePort();
    const child = spawn(bin, [SCRIPT, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const sink = new SmtpSink(child, port);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    if (!child.stdout) throw new Error('the SMTP sink has no stdout');
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`the SMTP sink did not start in 15 s: ${stderr}`)), 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the SMTP sink exited with ${code}: ${stderr}`));
      });
      lines.on('line', (line) => {
        if (line === 'ready') {
          clearTimeout(timer);
          ready();
        } else if (line.trim()) {
          sink.messages.push(JSON.parse(line) as Mail);
        }
      });
    });
    return sink;
  }

  /**
   * Waits until at least `count` messages have come and no more came for `quietMs`; all of
   * them (fails after `timeoutMs`).
   */
  async settled(count = 1, quietMs = 1500, timeoutMs = 30_000): Promise<Mail[]> {
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    let since = Date.now();
    while (Date.now() < deadline) {
      if (this.messages.length !== seen) {
        seen = this.messages.length;
        since = Date.now();
      } else if (seen >= count && Date.now() - since >= quietMs) {
        return [...this.messages];
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the SMTP sink has ${this.messages.length} messages, waited for ${count}`);
  }

  /** Stops it: it ends when its stdin closes (killed if it does not). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      child.stdin?.end();
    });
  }
}
