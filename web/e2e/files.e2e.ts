/**
 * Files in chats against a real server (the files service is in `all`):
 * Anna attaches a text file with the paperclip (with a caption), drops a PNG onto the chat
 * (no caption) and sends a 9 MiB file (over tus); Boris sees the three cards, downloads the
 * text file and the big one (same bytes) and sees the picture drawn; the cards speak Russian,
 * fit a phone and the dark theme; a deleted file's card says it is unavailable. A second
 * server with `HYBRID_FILES__MAX_FILE_BYTES=1000` refuses a bigger file: the composer says why
 * (both languages), and nothing is sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

const NOTES = Buffer.from('Hybrid files e2e: строка по-русски, and the end.\n', 'utf8');
/** A 160×90 picture: an orange-to-blue gradient. */
function png(): Buffer {
  const img = new PNG({ width: 160, height: 90 });
  for (let y = 0; y < 90; y++) {
    for (let x = 0; x < 160; x++) img.data.set([240 - x, 120, 30 + x, 255], (y * 160 + x) * 4);
  }
  return PNG.sync.write(img);
}
const PICTURE = png();
/** Past the 8 MiB from which the client uploads over tus. */
const BIG = randomBytes(9 * 1024 * 1024 + 123);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Card {
  type: string;
  service: string;
  object_id: string;
  preview: { name: string; size: number; content_type: string };
}
interface HistoryMessage {
  seq: number;
  text: string;
  attachment?: Card | null;
}

/** Picks a file with the paperclip's file input. */
async function attach(page: Page, name: string, mimeType: string, buffer: Buffer): Promise<void> {
  await page.getByTestId('attach-input').setInputFiles({ name, mimeType, buffer });
}

/** Drops a file onto the chat as a browser does (dragenter, dragover, drop with a DataTransfer). */
async function drop(page: Page, name: string, type: string, buffer: Buffer): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, type, b64 }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
      return dt;
    },
    { name, type, b64: buffer.toString('base64') },
  );
  await page.dispatchEvent('.chat-main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('.chat-main', 'dragover', { dataTransfer });
  await page.getByTestId('drop-overlay').waitFor();
  await page.dispatchEvent('.chat-main', 'drop', { dataTransfer });
  await page.getByTestId('drop-overlay').waitFor({ state: 'detached' });
}

/** The card of the file named `name`. */
function card(page: Page, name: string) {
  return page.getByTestId('file-card').filter({ has: page.locator('.file-name', { hasText: name }) });
}

/** Downloads a card's file with its button and returns the bytes. */
async function download(page: Page, name: string, label: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), card(page, name).getByRole('button', { name: label }).click()]);
  expect(file.suggestedFilename()).toBe(name);
  return readFileSync(await file.path());
}

/** Waits until the card's picture has been drawn; returns its natural width. */
async function drawnWidth(page: Page, name: string): Promise<number> {
  const img = card(page, name).locator('img');
  await img.waitFor();
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
  return img.evaluate((el: HTMLImageElement) => el.naturalWidth);
}

describe('files in a group', () => {
  const suite = new Suite('files');
  let anna: Person;
  let boris: Person;
  let group = 0;
  const history = async () => (await suite.seed.call<{ messages: HistoryMessage[] }>('GET', `/chats/${group}/messages?limit=50`, boris.token)).messages;

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    boris = await suite.seed.person('boris', 'Boris');
    group = await suite.seed.group(anna, 'Files', [boris]);
  });

  it('Anna attaches a text file with a caption, drops a picture and sends a big file', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, `/chat/${group}`, '[data-testid="composer"]');

    await attach(page, 'notes.txt', 'text/plain', NOTES);
    const draft = page.getByTestId('upload-draft');
    await expect.poll(() => draft.getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    expect(await draft.locator('.file-name').textContent()).toBe('notes.txt');
    const box = page.getByTestId('composer');
    expect(await box.getAttribute('placeholder')).toBe('Add a caption…');
    await box.fill('the notes');
    await box.press('Enter');
    await draft.waitFor({ state: 'detached' });
    await card(page, 'notes.txt').and(page.locator('[data-state="ready"]')).waitFor();

    // A picture dropped on the chat goes without a caption (the Send button).
    await drop(page, 'pixel.png', 'image/png', PICTURE);
    await expect.poll(() => draft.getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await drawnWidth(page, 'pixel.png')).toBe(160);

    // Past 8 MiB the upload is resumable (tus); the card is the same.
    await attach(page, 'big.bin', 'application/octet-stream', BIG);
    await expect.poll(() => draft.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await page.getByRole('button', { name: 'Send' }).click();
    await card(page, 'big.bin').and(page.locator('[data-state="ready"]')).waitFor();
    expect(await card(page, 'big.bin').getByTestId('file-size').textContent()).toBe('9\u00a0MB');

    // What the server keeps: three messages, each with its file's card.
    const sent = (await history()).filter((m) => m.attachment);
    expect(sent.map((m) => [m.text, m.attachment?.type, m.attachment?.service, m.attachment?.preview])).toEqual([
      ['the notes', 'file', 'files', { name: 'notes.txt', size: NOTES.length, content_type: 'text/plain' }],
      ['', 'file', 'files', { name: 'pixel.png', size: PICTURE.length, content_type: 'image/png' }],
      ['', 'file', 'files', { name: 'big.bin', size: BIG.length, content_type: 'application/octet-stream' }],
    ]);
    await page.screenshot({ path: join(SHOTS, 'files-sender-desktop.png') });
  });

  it('Boris sees the cards, downloads the files and sees the picture', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(page, group, 3);
    const notes = card(page, 'notes.txt');
    await notes.waitFor();
    expect(await notes.getByTestId('file-size').textContent()).toBe(`${NOTES.length}\u00a0B`);
    expect(await page.getByTestId('message').filter({ has: notes }).locator('.message-text').textContent()).toBe('the notes');
    expect(await card(page, 'pixel.png').getByTestId('file-size').textContent()).toBe(`${PICTURE.length}\u00a0B`);
    expect(await drawnWidth(page, 'pixel.png')).toBe(160);
    // The picture opens at full size through the same kind of link.
    expect(await card(page, 'pixel.png').getByRole('link', { name: 'Open the picture pixel.png' }).getAttribute('href')).toMatch(/^\/api\/v1\/files\/links\/\d+\?/);

    expect((await download(page, 'notes.txt', 'Download notes.txt')).equals(NOTES)).toBe(true);
    expect(sha(await download(page, 'big.bin', 'Download big.bin'))).toBe(sha(BIG));
    // The chat list sums up a file sent without a caption.
    const row = page.getByTestId('chat-row').filter({ hasText: 'Files' });
    expect(await row.locator('.preview').textContent()).toBe('Anna: big.bin');
    expect(await row.locator('.preview').getByRole('img', { name: 'File' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'files-desktop.png') });
  });

  it('the cards speak Russian, fit a phone and the dark theme', async () => {
    const page = await suite.page({ viewport: PHONE, locale: 'ru-RU', colorScheme: 'dark' }, 'boris');
    await suite.openChat(page, group, 3);
    const notes = card(page, 'notes.txt');
    await notes.getByRole('button', { name: 'Скачать notes.txt' }).waitFor();
    expect(await notes.getByTestId('file-size').textContent()).toBe(`${NOTES.length}\u00a0Б`);
    expect(await card(page, 'big.bin').getByTestId('file-size').textContent()).toBe('9\u00a0МБ');
    expect(await card(page, 'pixel.png').getByRole('link', { name: 'Открыть картинку pixel.png' }).count()).toBe(1);
    expect(await drawnWidth(page, 'pixel.png')).toBe(160);
    expect((await download(page, 'notes.txt', 'Скачать notes.txt')).equals(NOTES)).toBe(true);
    await page.getByRole('button', { name: 'Прикрепить файл' }).waitFor();
    await expectNoOverflow(page, 'ru 360px files');
    await page.screenshot({ path: join(SHOTS, 'files-phone-ru-dark.png') });

    // The composer's bar at 360 px: a long name is cut, nothing sticks out.
    await attach(page, `${'очень-длинное-имя-файла-'.repeat(6)}.txt`, 'text/plain', NOTES);
    await expect.poll(() => page.getByTestId('upload-draft').getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    expect(await page.getByTestId('composer').getAttribute('placeholder')).toBe('Добавьте подпись…');
    await expectNoOverflow(page, 'ru 360px upload bar');
    await page.screenshot({ path: join(SHOTS, 'files-phone-ru-dark-draft.png') });
    await page.getByRole('button', { name: 'Убрать файл' }).click();
    await page.getByTestId('upload-draft').waitFor({ state: 'detached' });
  });

  it('a deleted file reads as unavailable', async () => {
    const picture = (await history()).find((m) => m.attachment?.preview.name === 'pixel.png');
    await suite.seed.call('DELETE', `/files/${picture?.attachment?.object_id}`, anna.token);
    const page = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(page, group, 3);
    const gone = card(page, 'pixel.png');
    expect(await gone.getByTestId('file-unavailable').textContent()).toBe('File unavailable');
    expect(await gone.locator('img').count()).toBe(0);
    expect(await gone.getByRole('button').count()).toBe(0);
    // The others are still there.
    await card(page, 'notes.txt').getByRole('button', { name: 'Download notes.txt' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'files-unavailable.png') });
    expect(suite.errors()).toEqual([]);
  });
});

describe('a file over the server limit', () => {
  const suite = new Suite('files-limit', { env: { HYBRID_FILES__MAX_FILE_BYTES: '1000' } });
  let anna: Person;
  let group = 0;

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    const boris = await suite.seed.person('boris', 'Boris');
    group = await suite.seed.group(anna, 'Limits', [boris]);
  });

  it('is refused with the reason in words, and nothing is sent', async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, `/chat/${group}`, '[data-testid="composer"]');
    const before = (await suite.seed.call<{ messages: unknown[] }>('GET', `/chats/${group}/messages`, anna.token)).messages.length;

    await attach(page, 'large.txt', 'text/plain', Buffer.alloc(5000, 'a'));
    const error = page.getByTestId('upload-error');
    await error.waitFor({ timeout: 15_000 });
    expect(await error.textContent()).toBe('Not uploaded: The file is too big: a file may be at most 1,000\u00a0B.');
    const box = page.getByTestId('composer');
    await box.fill('with the file');
    await box.press('Enter');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'files-too-large.png') });

    // Over tus the limit is checked when the upload is created: the same words, in Russian.
    await page.evaluate(() => localStorage.setItem('hybrid.lang', 'ru'));
    await page.reload();
    await page.getByTestId('composer').waitFor();
    await attach(page, 'big.bin', 'application/octet-stream', BIG);
    await error.waitFor({ timeout: 15_000 });
    // (Russian groups thousands with a space, or not, by the ICU version.)
    const digits = (text: string | null) => text?.replace(/(\d)[\s\u00a0\u202f](\d)/g, '$1$2');
    expect(digits(await error.textContent())).toBe('Не загружено: Файл слишком большой: файл может быть не больше 1000\u00a0Б.');
    await page.screenshot({ path: join(SHOTS, 'files-too-large-ru.png') });
    await page.getByRole('button', { name: 'Убрать файл' }).click();
    await error.waitFor({ state: 'detached' });

    const after = (await suite.seed.call<{ messages: unknown[] }>('GET', `/chats/${group}/messages`, anna.token)).messages.length;
    expect(after).toBe(before);
    expect(await page.getByTestId('file-card').count()).toBe(0);
    expect(suite.errors()).toEqual([]);
  });
});
