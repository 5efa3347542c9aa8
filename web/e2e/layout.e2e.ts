/**
 * Layout at 360×740 (in English and in Russian) and at 1280×800 (in Russian) with the longest
 * names the server accepts, unbroken words and long links: no screen may scroll sideways or put
 * anything past the right edge. A failure names the elements that stick out.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'layout'));

// 64 characters, the most a display name may have; one of them a single unbroken word.
const WORD_NAME = 'Bartholomew-Maximilian-Alexander-Konstantin-von-Hohenzollern-Sch';
const RU_NAME = 'Константин Константинович Константинопольский-Переконстантиново';
// 128 characters, the most a title may have.
const TITLE = `Очень длинное название группы ${'Переконстантинопольский'.repeat(5)}`.slice(0, 128);
const WORD = 'Supercalifragilisticexpialidocious'.repeat(8);
const LINK = `https://example.org/${'very-long-path-segment/'.repeat(10)}?query=${'x'.repeat(80)}`;

describe('layout with long names and words', () => {
  const suite = new Suite('layout');
  let me: Person;
  let group = 0;
  let direct = 0;

  beforeAll(async () => {
    const seed = suite.seed;
    me = await seed.person('layout_me', WORD_NAME);
    const peer = await seed.person('layout_peer', RU_NAME);
    await seed.call('PATCH', '/users/me', peer.token, { bio: `${WORD.slice(0, 200)} ${LINK}`.slice(0, 500) });
    direct = await seed.direct(me, peer);
    group = await seed.group(me, TITLE, [peer]);
    for (const chat of [direct, group]) {
      await seed.send(peer, chat, WORD);
      await seed.send(peer, chat, `Ссылка: ${LINK}`);
      await seed.send(me, chat, `${WORD} ${LINK}`);
      await seed.send(peer, chat, '`' + WORD + '`');
    }
  });

  for (const [viewport, locale] of [
    [PHONE, 'en-US'],
    [PHONE, 'ru-RU'],
    [DESKTOP, 'ru-RU'],
  ] as const) {
    it(`nothing overflows on the main screens (${locale}, ${viewport.width} px)`, async () => {
      const page = await suite.page({ viewport, locale }, me.username);
      // Each screen is checked, and kept in test-results/layout/ for a look.
      let n = 0;
      const check = async (where: string) => {
        await expectNoOverflow(page, `${locale} ${viewport.width}px ${where}`);
        await page.screenshot({ path: join(SHOTS, `${locale}-${viewport.width}-${++n}-${where.replace(/[^a-z0-9]+/gi, '-')}.png`) });
      };

      await page.getByTestId('chat-row').nth(1).waitFor();
      await check('chat list');

      for (const chat of [group, direct]) {
        await suite.openChat(page, chat, 4);
        await check(`chat ${chat}`);
        // The menu of the widest incoming message.
        await page.getByTestId('message').first().locator('.bubble').click({ button: 'right' });
        await page.getByRole('menu').waitFor();
        await check(`message menu in chat ${chat}`);
        await page.keyboard.press('Escape');
        await page.getByRole('menu').waitFor({ state: 'detached' });
        await page.getByTestId('members-button').click();
        await page.locator('.panel .profile-card').first().waitFor();
        if (chat === group) await page.getByTestId('member-row').nth(1).waitFor();
        await check(`members panel of chat ${chat}`);
      }

      // Search results: chats, people and messages with the long names and words.
      await suite.visit(page, '/', '.sidebar-title');
      await page.getByRole('searchbox').fill('layout');
      await page.locator('.search-results .person-row').nth(1).waitFor();
      await check('search for people');
      await page.getByRole('searchbox').fill('Supercalifragilistic');
      await page.locator('.message-hit').first().waitFor();
      await check('search for messages');

      await suite.visit(page, '/settings', '.profile-head');
      await check('settings');

      await suite.visit(page, '/', '.sidebar-title');
      await page.locator('.sidebar-header button.icon-button').click();
      await page.getByRole('dialog').waitFor();
      await page.getByTestId('user-picker').fill('layout');
      await page.getByRole('dialog').locator('.person-row').first().waitFor();
      await check('new chat dialog');

      expect(suite.errors()).toEqual([]);
    });
  }
});
