/**
 * Invite links count their uses live: when someone joins by a link, the inviter's open
 * invite panel shows the new count without a reload (the member.joined event reloads it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Suite } from './helpers';
import { createGroup, person, registerUi, type Person } from './authHelpers';

const suite = new Suite('invites');
const people: Person[] = [];

describe('invite links', () => {
  afterAll(() => {
    for (const p of people) expect(p.errors).toEqual([]);
  });

  it('"used N times" goes up live when people join by the link', async () => {
    const ivan = await person(suite.browser);
    const jane = await person(suite.browser);
    const kate = await person(suite.browser);
    people.push(ivan, jane, kate);
    await registerUi(ivan.page, suite.server.url, 'ivan');
    await createGroup(ivan.page, 'Book club');
    await ivan.page.getByTestId('members-button').click();
    await ivan.page.getByTestId('create-invite').click();
    // The form's defaults: no name, no expiry, no limit.
    await ivan.page.getByTestId('invite-save').click();
    const link = await ivan.page.getByTestId('invite-url').first().inputValue();
    const uses = ivan.page.getByTestId('invite-uses').first();
    await expect.poll(() => uses.textContent()).toBe('used 0 times');

    for (const [who, name, count] of [
      [jane, 'jane', 'used once'],
      [kate, 'kate', 'used 2 times'],
    ] as const) {
      await registerUi(who.page, suite.server.url, name);
      await who.page.goto(link);
      await who.page.getByTestId('join-button').click();
      await who.page.waitForURL(/\/chat\/\d+/);
      // Ivan's panel, open all along and never reloaded, counts the join.
      await ivan.page.getByTestId('member-row').filter({ hasText: `@${name}` }).waitFor();
      await expect.poll(() => uses.textContent(), { timeout: 10_000 }).toBe(count);
    }
  });
});
