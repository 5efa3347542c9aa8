/**
 * Forwarding against a real server: Anna forwards a message carrying a file from her own
 * group (which Boris is not in) to her direct chat with Boris, through the message menu and
 * the chat picker (filtered by name). The server copies it (same file, no new bytes); Boris,
 * with the chat open, sees it arrive with "Forwarded from Anna" and downloads the file, and
 * in Russian it reads "Переслано от Anna".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, message, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));
const REPORT = Buffer.from('Quarterly report: всё хорошо, numbers up.\n', 'utf8');
const CAPTION = 'the quarterly report';

interface Card {
  object_id: string;
  preview: { name: string; size: number };
}
interface HistoryMessage {
  seq: number;
  text: string;
  sender_id: number;
  forwarded_from?: number | null;
  attachment?: Card | null;
}

/** The card of the file named `name` in `scope`. */
const card = (page: Page, name: string) => page.getByTestId('file-card').filter({ has: page.locator('.file-name', { hasText: name }) });

describe('forwarding a message with a file', () => {
  const suite = new Suite('forward');
  let anna: Person;
  let boris: Person;
  let notes = 0;
  let direct = 0;
  const history = async (chatId: number, who: Person) => (await suite.seed.call<{ messages: HistoryMessage[] }>('GET', `/chats/${chatId}/messages?limit=50`, who.token)).messages;

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    boris = await suite.seed.person('boris', 'Boris');
    notes = await suite.seed.group(anna, 'Anna’s notes', []);
    direct = await suite.seed.direct(anna, boris);
    await suite.seed.send(boris, direct, 'Send me the report?');
    const file = await suite.seed.upload(anna, 'report.txt', REPORT);
    await suite.seed.send(anna, notes, CAPTION, file.attach_token);
  });

  it('Anna forwards it to Boris, who sees it arrive from Anna and downloads the file', async () => {
    const reader = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(reader, direct, 1);
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.openChat(page, notes, 1);

    await message(page, CAPTION).getByRole('button', { name: 'Message actions' }).click();
    await page.getByRole('menuitem', { name: 'Forward' }).click();
    const dialog = page.getByRole('dialog', { name: 'Forward to…' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('forward-message').textContent()).toBe(CAPTION);
    const targets = dialog.getByTestId('forward-target');
    await expect.poll(() => targets.locator('.person-name').allTextContents()).toEqual(expect.arrayContaining(['Boris', 'Anna’s notes']));
    // The filter box has the focus; a name narrows the list.
    await page.keyboard.type('bor');
    await expect.poll(() => targets.locator('.person-name').allTextContents()).toEqual(['Boris']);
    await page.screenshot({ path: join(SHOTS, 'forward-picker.png') });
    await dialog.getByRole('button', { name: 'Forward to Boris' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Anna is taken to the chat it went to, where it shows as forwarded.
    await page.waitForURL(`**/chat/${direct}`);
    const sent = message(page, CAPTION);
    await sent.getByTestId('forwarded-from').waitFor();
    expect(await sent.getByTestId('forwarded-from').textContent()).toBe('Forwarded from Anna');
    await card(page, 'report.txt').and(page.locator('[data-state="ready"]')).waitFor();

    // The server copied the message: same text and file (the same file id), Anna as its author.
    const [original] = (await history(notes, anna)).filter((m) => m.attachment);
    const copy = (await history(direct, boris)).at(-1);
    expect(copy).toMatchObject({ text: CAPTION, sender_id: anna.id, forwarded_from: anna.id, attachment: { object_id: original?.attachment?.object_id, preview: { name: 'report.txt', size: REPORT.length } } });

    // Boris, with the chat open, sees it arrive, and reads the file through it (he is not in Anna's group).
    const got = message(reader, CAPTION);
    await got.getByTestId('forwarded-from').waitFor();
    expect(await got.getByTestId('forwarded-from').textContent()).toBe('Forwarded from Anna');
    const download = card(reader, 'report.txt').getByRole('button', { name: 'Download report.txt' });
    const [file] = await Promise.all([reader.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toBe('report.txt');
    expect(readFileSync(await file.path()).equals(REPORT)).toBe(true);
    await reader.screenshot({ path: join(SHOTS, 'forward-received.png') });
    expect(suite.errors()).toEqual([]);
  });

  it('reads "Переслано от" in Russian and fits a phone', async () => {
    const page = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'boris');
    await suite.openChat(page, direct, 2);
    const got = message(page, CAPTION);
    await expect.poll(() => got.getByTestId('forwarded-from').textContent()).toBe('Переслано от Anna');
    await card(page, 'report.txt').getByRole('button', { name: 'Скачать report.txt' }).waitFor();
    // His own message can be forwarded too: the menu offers it, and the picker speaks Russian.
    await message(page, 'Send me the report?').locator('.bubble').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Переслать' }).click();
    const dialog = page.getByRole('dialog', { name: 'Переслать в…' });
    await dialog.getByRole('button', { name: 'Переслать: Anna' }).waitFor();
    await expectNoOverflow(page, 'ru 360px forward picker');
    await page.screenshot({ path: join(SHOTS, 'forward-picker-phone-ru.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(suite.errors()).toEqual([]);
  });
});
