/**
 * What two new users hit at 1280×800 and on a 360×740 phone, one test per problem: each failed
 * before its fix. People and chats are made through the API; the browser signs in as Alice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, Suite, expectNoOverflow, insideViewport, message, morningZone, type Person } from './helpers';

const LONG_NAME = 'Maximilian Alexander Konstantin von Hohenzollerns'; // 49 characters
const WIDE = 'This incoming message is long enough to make its bubble as wide as a phone allows it to be';

describe('polish: phones and desktop', () => {
  const suite = new Suite('polish');
  let alice: Person;
  let bob: Person;
  let direct = 0;
  const as = (options: Parameters<Suite['page']>[0]) => suite.page(options, 'alice');

  beforeAll(async () => {
    const seed = suite.seed;
    alice = await seed.person('alice', 'Alice');
    bob = await seed.person('bob', LONG_NAME);
    await seed.person('carol', 'Carol');
    direct = await seed.direct(alice, bob);
    await seed.send(bob, direct, WIDE);
    for (let i = 1; i <= 14; i++) await seed.send(i % 2 ? alice : bob, direct, `Line ${i}: a message of a few lines, so that the date pill at the top of the list lies over text when the history is scrolled to its end.`);
    await seed.send(alice, await seed.group(alice, 'Ёлка', [bob]), 'Под ёлкой');
    await seed.send(alice, await seed.group(alice, 'Елена', [bob]), 'Привет');
  });

  it('1. a 49-character name does not widen the phone chat list', async () => {
    const page = await as({ viewport: PHONE });
    await page.getByTestId('chat-row').filter({ hasText: 'Maximilian' }).waitFor();
    await expectNoOverflow(page, 'chat list');
    expect(await insideViewport(page, '.sidebar-header button, .chat-row-time, .sidebar-search input')).toEqual([]);
    // The name is cut with an ellipsis, not wrapped or clipped bare.
    const name = page.locator('.chat-row-name', { hasText: 'Maximilian' });
    expect(await name.evaluate((el) => [getComputedStyle(el).textOverflow, el.scrollWidth > el.clientWidth])).toEqual(['ellipsis', true]);
  });

  it('2. the menu of a wide incoming bubble stays inside the phone screen', async () => {
    const page = await as({ viewport: PHONE });
    await suite.openChat(page, direct);
    const wide = message(page, 'as wide as a phone');
    await wide.getByRole('button', { name: 'Message actions' }).focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu', { name: 'Message actions' });
    await menu.waitFor();
    await expect.poll(() => insideViewport(page, '[role="menu"] [role="menuitem"]')).toEqual([]);
    expect(await menu.getByRole('menuitem', { name: 'Copy' }).textContent()).toContain('Copy');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    // Keyboard users are back on the button that opened it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message actions');
  });

  it('6. on a phone no icons sit beside bubbles; a tap on the bubble opens the menu', async () => {
    const page = await as({ viewport: PHONE, hasTouch: true, isMobile: true });
    await suite.openChat(page, direct);
    const wide = message(page, 'as wide as a phone');
    await wide.scrollIntoViewIfNeeded();
    for (const label of ['Reply', 'Message actions']) {
      // Shown means a finger on it would hit it (clipped away, it is still there for keyboards).
      const shown = await wide.getByRole('button', { name: label }).evaluate((button) => {
        const r = button.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && button.contains(hit);
      });
      expect(shown, `${label} icon beside the bubble`).toBe(false);
    }
    await wide.locator('.bubble').tap();
    const menu = page.getByRole('menu', { name: 'Message actions' });
    await menu.waitFor();
    expect(await insideViewport(page, '[role="menu"] [role="menuitem"]')).toEqual([]);
    await menu.getByRole('menuitem', { name: 'Reply' }).tap();
    await page.getByTestId('replying').waitFor();
  });

  it('6b. a long press (a right click with a mouse) on a bubble opens its menu too', async () => {
    const page = await as({ viewport: DESKTOP });
    await suite.openChat(page, direct);
    await message(page, 'Line 14').locator('.bubble').click({ button: 'right' });
    const menu = page.getByRole('menu', { name: 'Message actions' });
    await menu.getByRole('menuitem', { name: 'Copy' }).waitFor();
    expect(await insideViewport(page, '[role="menu"] [role="menuitem"]')).toEqual([]);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
  });

  it('7. @mentions suggest only the chat\'s members', async () => {
    const page = await as({ viewport: DESKTOP });
    await suite.openChat(page, direct);
    const searches: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/users/search')) searches.push(r.url());
    });
    const box = page.getByTestId('composer');
    await box.pressSequentially('@car', { delay: 20 });
    await box.pressSequentially(' @bo', { delay: 20 });
    const list = page.getByRole('listbox');
    await list.getByRole('option', { name: /@bob/ }).waitFor();
    expect(await list.getByRole('option').allTextContents()).toEqual([expect.stringContaining('@bob')]);
    // Nobody outside the chat is looked up: Carol exists, but is not in this chat.
    expect(searches).toEqual([]);
    await box.fill('');
  });

  it('8a. the sticky date pill does not stay over message text', async () => {
    const page = await as({ viewport: PHONE });
    await suite.openChat(page, direct);
    await page.locator('.day-separator').first().waitFor();
    const covered = () =>
      page.evaluate(() => {
        const hits: string[] = [];
        for (const pill of Array.from(document.querySelectorAll<HTMLElement>('.day-separator span'))) {
          if (Number(getComputedStyle(pill.parentElement as HTMLElement).opacity) < 0.05) continue;
          const p = pill.getBoundingClientRect();
          for (const t of Array.from(document.querySelectorAll('.message-text'))) {
            const r = t.getBoundingClientRect();
            if (r.bottom > p.top && r.top < p.bottom && r.right > p.left && r.left < p.right) hits.push((t.textContent ?? '').slice(0, 30));
          }
        }
        return hits;
      });
    await expect.poll(covered, { timeout: 8_000 }).toEqual([]);
    // While the reader scrolls, the pill shows the date of what is on screen; then it fades.
    const pillShown = () => page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.day-separator[data-stuck]')).some((d) => Number(getComputedStyle(d).opacity) > 0.9));
    await page.getByTestId('messages').hover();
    // down first: the chat may have opened at its first unread message, near the top, where
    // a wheel up alone would not scroll at all
    await page.mouse.wheel(0, 300);
    await page.mouse.wheel(0, -150);
    await expect.poll(pillShown).toBe(true);
    await expect.poll(covered, { timeout: 8_000 }).toEqual([]);
  });

  it('8b. filter chips keep to one row, on a phone and in Russian on a desktop', async () => {
    for (const [viewport, locale] of [
      [PHONE, 'en-US'],
      [DESKTOP, 'ru-RU'],
      [PHONE, 'ru-RU'],
    ] as const) {
      const page = await as({ viewport, locale });
      const tops = await page.locator('.filters .chip').evaluateAll((chips) => chips.map((c) => Math.round(c.getBoundingClientRect().top)));
      expect(tops.length).toBe(5);
      expect(new Set(tops).size, `${locale} at ${viewport.width}px: chips on ${new Set(tops).size} rows`).toBe(1);
      await expectNoOverflow(page, `chat list ${locale} ${viewport.width}px`);
    }
  });

  it('8c. the header avatar letter is not underlined', async () => {
    const page = await as({ viewport: DESKTOP });
    const link = page.getByRole('link', { name: 'Settings' });
    expect(await link.evaluate((el) => getComputedStyle(el).textDecorationLine)).toBe('none');
  });

  it('8d. times follow the locale: "6:47 AM" in English, "6:47" in Russian', async () => {
    const timezoneId = morningZone();
    for (const [locale, pattern] of [
      ['en-US', /^[1-9]:\d\d\sAM$/],
      ['ru-RU', /^[1-9]:\d\d$/],
    ] as const) {
      const page = await as({ viewport: DESKTOP, locale, timezoneId });
      await suite.openChat(page, direct);
      const time = (await message(page, 'Line 14').locator('.message-meta time').textContent()) ?? '';
      expect(time).toMatch(pattern);
      const listTime = (await page.getByTestId('chat-row').first().locator('.chat-row-time').textContent()) ?? '';
      expect(listTime).toMatch(pattern);
    }
  });

  it('8e. chat search folds ё and е both ways, ignoring case', async () => {
    const page = await as({ viewport: DESKTOP });
    const search = page.getByRole('searchbox');
    const rows = page.getByTestId('chat-row');
    for (const [query, title] of [
      ['елка', 'Ёлка'],
      ['ЁЛКА', 'Ёлка'],
      ['ёлена', 'Елена'],
    ] as const) {
      await search.fill(query);
      await rows.filter({ hasText: title }).waitFor();
      expect(await rows.allTextContents()).toEqual([expect.stringContaining(title)]);
    }
  });

  it('8f. a keyboard focus ring is visible with good contrast in both themes', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await as({ viewport: DESKTOP, colorScheme });
      const search = page.getByRole('searchbox');
      await page.locator('body').press('Tab');
      for (let i = 0; i < 10 && !(await search.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
      const ring = await search.evaluate((el) => {
        const s = getComputedStyle(el);
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: number[]) => {
          const [r, g, b] = c.map((v) => {
            const x = v / 255;
            return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
        };
        // What the ring is drawn over: the first opaque background from the field's parent up.
        let bg = 'rgb(255, 255, 255)';
        for (let a = el.parentElement; a; a = a.parentElement) {
          const c = getComputedStyle(a).backgroundColor;
          if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') {
            bg = c;
            break;
          }
        }
        const [l1, l2] = [lum(rgb(s.outlineColor)), lum(rgb(bg))].sort((x, y) => y - x);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), contrast: ((l1 ?? 0) + 0.05) / ((l2 ?? 0) + 0.05) };
      });
      expect(ring.style, colorScheme).toBe('solid');
      expect(ring.width).toBeGreaterThanOrEqual(2);
      expect(ring.contrast, `${colorScheme} ring contrast`).toBeGreaterThanOrEqual(3);
    }
  });

  it('logged no errors in the browsers', () => {
    expect(suite.errors()).toEqual([]);
  });
});
