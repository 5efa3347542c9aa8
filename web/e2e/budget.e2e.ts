/**
 * Performance budget on first load, against the local server: the JavaScript a browser
 * downloads (compressed, as served to `Accept-Encoding: br, gzip`) and how soon something shows
 * (the browser's First Contentful Paint, and the time until the login form or the chat list is
 * on screen). The limits are generous: they catch a blow-up, not a few kilobytes. The numbers
 * are printed and written to test-results/budget.json; docs/web.md ("Budget") quotes them.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, Suite } from './helpers';
import { RESULTS } from './server';

const JS_LIMIT_BYTES = 250 * 1024;
const RENDER_LIMIT_MS = 3_000;

/** The bytes on the wire for a GET with the given Accept-Encoding, and the encoding chosen. */
function wireSize(url: string, acceptEncoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => ok({ bytes, encoding: String(res.headers['content-encoding'] ?? 'identity') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Milliseconds from the start of navigation until `selector` is visible, and the page's FCP. */
async function firstRender(page: Page, url: string, selector: string): Promise<{ visible: number; fcp: number }> {
  await page.goto(url);
  await page.locator(selector).first().waitFor();
  const visible = await page.evaluate(() => performance.now());
  const fcp = await page.evaluate(
    () =>
      new Promise<number>((done) => {
        const seen = performance.getEntriesByName('first-contentful-paint')[0];
        if (seen) return done(seen.startTime);
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) done(e.startTime);
        }).observe({ type: 'paint', buffered: true });
      }),
  );
  return { visible: Math.round(visible), fcp: Math.round(fcp) };
}

describe('budget: first load', () => {
  const suite = new Suite('budget');
  const numbers: Record<string, number | string> = {};

  beforeAll(async () => {
    await suite.seed.person('budget', 'Budget');
  });

  it('sends less than 250 KB of compressed JavaScript', async () => {
    const page = await suite.page({ viewport: DESKTOP });
    const scripts = new Set<string>();
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.add(r.url());
    });
    await suite.visit(page, '/login', 'input[name="username"]');
    expect(scripts.size).toBeGreaterThan(0);
    let br = 0;
    let gzip = 0;
    let raw = 0;
    for (const url of scripts) {
      const b = await wireSize(url, 'br, gzip');
      const g = await wireSize(url, 'gzip');
      const r = await wireSize(url, 'identity');
      expect(b.encoding).toBe('br');
      expect(g.encoding).toBe('gzip');
      br += b.bytes;
      gzip += g.bytes;
      raw += r.bytes;
    }
    // What the browser itself received for them, with its own Accept-Encoding.
    const browserBytes = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => (e as PerformanceResourceTiming).initiatorType === 'script' || e.name.endsWith('.js'))
        .reduce((n, e) => n + (e as PerformanceResourceTiming).encodedBodySize, 0),
    );
    Object.assign(numbers, { scripts: scripts.size, js_br_bytes: br, js_gzip_bytes: gzip, js_raw_bytes: raw, js_browser_bytes: browserBytes });
    process.stdout.write(`${`JavaScript on first load: ${scripts.size} file(s), ${(br / 1024).toFixed(1)} KB brotli, ${(gzip / 1024).toFixed(1)} KB gzip, ${(raw / 1024).toFixed(1)} KB uncompressed; the browser received ${(browserBytes / 1024).toFixed(1)} KB`}\n`);
    for (const bytes of [br, gzip, browserBytes]) expect(bytes).toBeLessThan(JS_LIMIT_BYTES);
  });

  it('renders the login form and the chat list within 3 s', async () => {
    // A fresh context each: nothing cached from an earlier load.
    const guest = await suite.page({ viewport: DESKTOP });
    const login = await firstRender(guest, `${suite.server.url}/login`, 'input[name="username"]');
    const member = await suite.page({ viewport: DESKTOP }, 'budget');
    const list = await firstRender(member, `${suite.server.url}/`, '.sidebar .chat-list, .sidebar .empty-list');
    Object.assign(numbers, { login_fcp_ms: login.fcp, login_form_ms: login.visible, chats_fcp_ms: list.fcp, chat_list_ms: list.visible });
    process.stdout.write(`${`First render: login FCP ${login.fcp} ms, form visible ${login.visible} ms; signed in FCP ${list.fcp} ms, chat list visible ${list.visible} ms`}\n`);
    for (const ms of [login.fcp, login.visible, list.fcp, list.visible]) expect(ms).toBeLessThan(RENDER_LIMIT_MS);
    writeFileSync(join(RESULTS, 'budget.json'), `${JSON.stringify(numbers, null, 2)}\n`);
  });
});
