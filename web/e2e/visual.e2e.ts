/**
 * Visual report: screenshots of the main screens compared with the committed baselines in
 * e2e/baselines/ (pixelmatch, with a tolerance). It reports, it does not judge: differences go
 * to test-results/visual/ (the new screenshot, a diff image, summary.md and summary.json) and
 * the test passes; it fails only when it cannot take the screenshots.
 *
 * `npm run e2e:baselines` (UPDATE_BASELINES=1) writes the new screenshots as the baselines.
 * Screens are kept steady: fixed names and messages, animations and the caret off, fonts
 * loaded, avatar colours pinned, and times (which come from the server's clock) masked.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, type Person } from './helpers';
import { RESULTS, WEB_DIR } from './server';

const BASELINES = join(WEB_DIR, 'e2e', 'baselines');
const OUT = join(RESULTS, 'visual');
const UPDATE = process.env.UPDATE_BASELINES === '1';
/** Per-pixel colour distance pixelmatch ignores (0–1), and the share of pixels that may differ. */
const THRESHOLD = 0.1;
const TOLERANCE = 0.005;

/** What depends on the clock or the machine: times, last-seen lines, the sessions' devices. */
const VARYING = 'time, .chat-header-text > :not(.chat-title), .session-row';
const STEADY = `
  .avatar { --hue: 211 !important; }
  *, *::before, *::after { animation: none !important; transition: none !important; caret-color: transparent !important; }
`;

interface Result {
  name: string;
  status: 'same' | 'different' | 'new' | 'updated' | 'size changed';
  ratio?: number;
  pixels?: number;
}

describe('visual report', () => {
  const suite = new Suite('visual');
  const results: Result[] = [];
  let alice: Person;
  let group = 0;
  let direct = 0;

  beforeAll(async () => {
    ensureDir(OUT);
    ensureDir(BASELINES);
    const seed = suite.seed;
    alice = await seed.person('alice', 'Alice Liddell');
    const bob = await seed.person('bob', 'Bob Builder');
    const carol = await seed.person('carol', 'Carol Danvers');
    await seed.call('PATCH', '/users/me', bob.token, { bio: 'Can we fix it? Yes, we can.' });
    direct = await seed.direct(alice, bob);
    await seed.send(bob, direct, 'Hi Alice! Are we still on for Friday?');
    await seed.send(alice, direct, 'Yes! See you at **noon** by the fountain.');
    await seed.send(bob, direct, 'Great, I will bring the plans: https://example.org/plans');
    group = await seed.group(alice, 'Book club', [bob, carol]);
    await seed.send(carol, group, 'Next month: "The Left Hand of Darkness".');
    await seed.send(alice, group, 'Lovely choice. @bob, are you in?');
  });

  /** A steady screenshot of the page, then its comparison with the baseline. */
  async function capture(page: Page, name: string): Promise<void> {
    await page.mouse.move(0, 0); // no hover left where the last click was
    await page.addStyleTag({ content: STEADY });
    await page.evaluate(async () => {
      await document.fonts.ready;
      (document.activeElement as HTMLElement | null)?.blur();
    });
    const png = await page.screenshot({ animations: 'disabled', caret: 'hide', mask: [page.locator(VARYING)], maskColor: '#888888' });
    expect(png.length).toBeGreaterThan(1000);
    writeFileSync(join(OUT, `${name}.png`), png);
    results.push(compare(name, png));
  }

  function compare(name: string, png: Buffer): Result {
    const baseline = join(BASELINES, `${name}.png`);
    if (UPDATE) {
      writeFileSync(baseline, png);
      return { name, status: 'updated' };
    }
    if (!existsSync(baseline)) return { name, status: 'new' };
    const want = PNG.sync.read(readFileSync(baseline));
    const got = PNG.sync.read(png);
    if (want.width !== got.width || want.height !== got.height) return { name, status: 'size changed' };
    const diff = new PNG({ width: got.width, height: got.height });
    const pixels = pixelmatch(want.data, got.data, diff.data, got.width, got.height, { threshold: THRESHOLD });
    const ratio = pixels / (got.width * got.height);
    if (pixels > 0) writeFileSync(join(OUT, `${name}-diff.png`), PNG.sync.write(diff));
    return { name, status: ratio <= TOLERANCE ? 'same' : 'different', ratio, pixels };
  }

  async function screen(options: BrowserContextOptions, signedIn: boolean): Promise<Page> {
    return suite.page({ ...options, reducedMotion: 'reduce' }, signedIn ? alice.username : undefined);
  }

  it('login, desktop and phone', async () => {
    const page = await screen({ viewport: DESKTOP }, false);
    await suite.visit(page, '/login', 'input[name="username"]');
    await capture(page, 'login-desktop');
    const ru = await screen({ viewport: PHONE, locale: 'ru-RU', colorScheme: 'dark' }, false);
    await suite.visit(ru, '/login', 'input[name="username"]');
    await capture(ru, 'login-phone-ru-dark');
  });

  it('chat list and open chat, desktop', async () => {
    const page = await screen({ viewport: DESKTOP }, true);
    await suite.openChat(page, group, 2);
    await page.getByTestId('chat-row').nth(1).waitFor();
    await capture(page, 'chat-desktop');
  });

  it('open chat and members, phone dark', async () => {
    const page = await screen({ viewport: PHONE, colorScheme: 'dark' }, true);
    await page.getByTestId('chat-row').nth(1).waitFor();
    await capture(page, 'chat-list-phone-dark');
    await suite.openChat(page, direct, 2);
    await capture(page, 'chat-phone-dark');
    await suite.openChat(page, group, 2);
    await page.getByTestId('members-button').click();
    await page.getByTestId('member-row').nth(2).waitFor();
    await capture(page, 'members-phone-dark');
  });

  it('settings, desktop', async () => {
    const page = await screen({ viewport: DESKTOP }, true);
    await suite.visit(page, '/settings', '.profile-head');
    await page.locator('.session-row').first().waitFor();
    await capture(page, 'settings-desktop');
  });

  it('writes the summary', () => {
    const lines = [
      '# Visual report',
      '',
      UPDATE ? 'Baselines updated.' : `Compared with e2e/baselines/ (pixel threshold ${THRESHOLD}, tolerance ${TOLERANCE * 100}% of pixels).`,
      '',
      '| screen | result | differing pixels |',
      '| --- | --- | --- |',
      ...results.map((r) => `| ${r.name} | ${r.status} | ${r.pixels === undefined ? '' : `${r.pixels} (${((r.ratio ?? 0) * 100).toFixed(2)}%)`} |`),
    ];
    writeFileSync(join(OUT, 'summary.md'), `${lines.join('\n')}\n`);
    writeFileSync(join(OUT, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(results.length).toBe(7);
  });
});
