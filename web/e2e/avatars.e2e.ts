/**
 * Avatars and a chat's files against a real server. Anna and Boris share a direct chat and a
 * group; both pages are open. Anna picks a photo in the settings (left half red, right half
 * blue), moves the square to the picture's left edge with the keyboard and saves it: Boris's
 * page, without a reload, draws her picture in the chat list and beside her messages (the
 * 128 px thumbnail, red where the centred square would have been blue). She removes it and
 * Boris sees her initial again. Anna sets the group's picture in its info panel (the square
 * resized and moved with the mouse): Boris sees it in the list and the header. The panel's
 * "Files and media" lists the group's files newest first and none of its plain messages, a
 * picture opens the lightbox, and a file Anna sends meanwhile appears at the top. The crop
 * dialog in Russian at 360 px (screenshot avatar-crop-phone-ru.png).
 */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, PHONE, Suite, expectNoOverflow, message, type Person } from './helpers';
import { colourAt, drawn, gradientPng, halvesJpeg } from './pictures';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface Profile {
  avatar?: { file_id: number; blurhash: string; sides: number[] } | null;
}

/** The chat list's row whose title is exactly `title`. */
const chatRow = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-row-name', { hasText: new RegExp(`^${title}$`) }) });

/** A link to avatar file `id`'s 128 px WebP thumbnail. */
const thumbnailLink = (id: number) => new RegExp(`^/api/v1/files/links/${id}\\?.*&variant=128\\.webp$`);

const isRed = ([r = 0, g = 0, b = 0]: number[]) => r > 150 && g < 90 && b < 90;
const isBlue = ([r = 0, g = 0, b = 0]: number[]) => b > 150 && r < 90 && g < 90;

/** Waits until `avatar` shows only its initial (no picture drawn over it). */
async function initialOnly(avatar: Locator, letter: string): Promise<void> {
  await expect.poll(() => avatar.getByTestId('avatar-picture').count(), { timeout: 15_000 }).toBe(0);
  expect(await avatar.textContent()).toBe(letter);
}

/** Picks `buffer` with the avatar editor's file input inside `scope`; resolves with the crop dialog's square. */
async function pickPhoto(page: Page, scope: Locator | Page, name: string, mimeType: string, buffer: Buffer): Promise<Locator> {
  await scope.getByTestId('avatar-input').setInputFiles({ name, mimeType, buffer });
  const square = page.getByTestId('crop-square');
  await square.waitFor();
  return square;
}

/** The square chosen in the crop dialog: [x, y, side] in the picture's pixels. */
async function squareOf(square: Locator): Promise<number[]> {
  return ((await square.getAttribute('data-square')) ?? '').split(',').map(Number);
}

/** Presses Save in the crop dialog and waits until the photo is uploaded, processed and set. */
async function savePhoto(page: Page, label = 'Save photo'): Promise<void> {
  await page.getByRole('button', { name: label }).click();
  await page.getByTestId('crop-dialog').waitFor({ state: 'detached', timeout: 30_000 });
}

/** Drags from the middle of `el` by (dx, dy) with the mouse. */
async function dragBy(page: Page, el: Locator, dx: number, dy: number): Promise<void> {
  const box = await el.boundingBox();
  if (!box) throw new Error('nothing to drag');
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + dy, { steps: 6 });
  await page.mouse.up();
}

describe('avatars and a chat’s files', () => {
  const suite = new Suite('avatars');
  let anna: Person;
  let boris: Person;
  let direct = 0;
  let group = 0;
  const me = (who: Person) => suite.seed.call<Profile>('GET', '/users/me', who.token);

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    boris = await suite.seed.person('boris', 'Boris');
    direct = await suite.seed.direct(anna, boris);
    await suite.seed.send(boris, direct, 'hi Anna');
    group = await suite.seed.group(anna, 'Team', [boris]);
    await suite.seed.send(anna, group, 'plain one');
    const notes = await suite.seed.upload(anna, 'notes.txt', Buffer.from('Team notes\n'));
    await suite.seed.send(anna, group, 'the notes', notes.attach_token);
    const picture = await suite.seed.upload(anna, 'picture.png', gradientPng(160, 90));
    await suite.seed.send(anna, group, '', picture.attach_token);
    await suite.seed.send(boris, group, 'plain two');
  });

  it('Anna’s new photo shows on Boris’s open page at once, cropped as she chose; removed, her initial is back', async () => {
    const reader = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(reader, group, 4);
    // Set on this very page load: a reload would lose it.
    await reader.evaluate(() => Object.assign(window, { sameLoad: true }));
    const row = chatRow(reader, 'Anna').getByTestId('avatar');
    const beside = message(reader, 'plain one').getByTestId('avatar');
    await initialOnly(row, 'A');
    await initialOnly(beside, 'A');

    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, '/settings', '[data-testid="avatar-editor"]');
    const editor = page.getByTestId('avatar-editor');
    expect(await editor.getByRole('button', { name: 'Remove photo' }).count()).toBe(0);
    // 300×200: the centred square (x 50–250) would be red left of 150 and blue right of it.
    const square = await pickPhoto(page, editor, 'me.jpg', 'image/jpeg', await halvesJpeg(page, 300, 200));
    expect(await squareOf(square)).toEqual([50, 0, 200]);
    await square.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowLeft');
    expect(await squareOf(square)).toEqual([0, 0, 200]);
    await savePhoto(page);

    const { avatar } = await me(anna);
    expect(avatar?.sides).toEqual([128]);
    const fileId = avatar?.file_id ?? 0;
    // Her own page: the settings and the account button.
    await drawn(editor.getByTestId('avatar-picture'), thumbnailLink(fileId));
    await drawn(page.locator('.me-link').getByTestId('avatar-picture'), thumbnailLink(fileId));
    await editor.getByRole('button', { name: 'Change photo' }).waitFor();

    // Boris's page, live: the chat list and the message list draw the 128 px thumbnail.
    const inList = row.getByTestId('avatar-picture');
    expect(await drawn(inList, thumbnailLink(fileId))).toMatchObject({ width: 128, height: 128 });
    await drawn(beside.getByTestId('avatar-picture'), thumbnailLink(fileId));
    // Her square: x 0–200 of the photo. At 60 % across it is red (x 120); the centred square would be blue there (x 170).
    expect(isRed(await colourAt(inList, 0.1, 0.5))).toBe(true);
    expect(isRed(await colourAt(inList, 0.6, 0.5))).toBe(true);
    expect(isBlue(await colourAt(inList, 0.9, 0.5))).toBe(true);
    await reader.screenshot({ path: join(SHOTS, 'avatars-live.png') });

    await editor.getByRole('button', { name: 'Remove photo' }).click();
    await editor.getByRole('button', { name: 'Set a photo' }).waitFor();
    expect((await me(anna)).avatar ?? null).toBeNull();
    await initialOnly(row, 'A');
    await initialOnly(beside, 'A');
    expect(await reader.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);
    expect(suite.errors()).toEqual([]);
  });

  it('a group’s picture set by its owner in the info panel shows for a member', async () => {
    const reader = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(reader, group, 4);
    const row = chatRow(reader, 'Team').getByTestId('avatar');
    await initialOnly(row, 'T');
    // A member may not change it: no editor in his panel.
    await reader.getByTestId('members-button').click();
    await reader.getByTestId('members-panel').getByTestId('chat-files').waitFor();
    expect(await reader.getByTestId('members-panel').getByTestId('avatar-editor').count()).toBe(0);

    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.openChat(page, group, 4);
    await page.getByTestId('members-button').click();
    const panel = page.getByTestId('members-panel');
    const square = await pickPhoto(page, panel, 'team.png', 'image/png', gradientPng(240, 160));
    expect(await squareOf(square)).toEqual([40, 0, 160]);
    // The mouse: the corner dragged up and left makes it smaller, the square dragged right moves it.
    await dragBy(page, square.locator('.crop-handle'), -40, -40);
    const [, , smaller = 0] = await squareOf(square);
    expect(smaller).toBeLessThan(160);
    expect(smaller).toBeGreaterThanOrEqual(48);
    await dragBy(page, square, 30, 10);
    const [x = 0, y = 0, side = 0] = await squareOf(square);
    expect(x).toBeGreaterThan(40);
    expect(y).toBeGreaterThan(0);
    expect(side).toBe(smaller);
    await savePhoto(page);
    await panel.getByTestId('avatar-editor').getByRole('button', { name: 'Change photo' }).waitFor();

    const info = await suite.seed.call<Profile>('GET', `/chats/${group}`, boris.token);
    const fileId = info.avatar?.file_id ?? 0;
    expect(fileId).toBeGreaterThan(0);
    await drawn(row.getByTestId('avatar-picture'), thumbnailLink(fileId));
    await drawn(reader.locator('.chat-header-info').getByTestId('avatar-picture'), thumbnailLink(fileId));
    await drawn(reader.getByTestId('members-panel').locator('.profile-card').getByTestId('avatar-picture'), thumbnailLink(fileId));
    expect(suite.errors()).toEqual([]);
  });

  it('“Files and media” lists the group’s files newest first, not its plain messages, and new ones live', async () => {
    const reader = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(reader, group, 4);
    await reader.getByTestId('members-button').click();
    const files = reader.getByTestId('chat-files');
    const names = () => files.getByTestId('chat-file').locator('.file-name').allTextContents();
    await expect.poll(names).toEqual(['picture.png', 'notes.txt']);
    expect(await files.getByRole('heading').textContent()).toBe('Files and media');
    const text = (await files.textContent()) ?? '';
    expect(text).not.toContain('plain one');
    expect(text).not.toContain('plain two');
    expect(await files.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    // A picture opens the lightbox; Esc closes it and leaves the panel open.
    await files.getByRole('button', { name: 'Open the picture picture.png' }).click();
    const box = reader.getByTestId('lightbox');
    await box.waitFor();
    expect(await box.locator('.lightbox-title').textContent()).toBe('picture.png');
    await reader.keyboard.press('Escape');
    await box.waitFor({ state: 'detached' });
    await files.waitFor();
    await files.getByRole('button', { name: 'Download notes.txt' }).waitFor();

    const later = await suite.seed.upload(anna, 'later.txt', Buffer.from('later\n'));
    await suite.seed.send(anna, group, 'one more', later.attach_token);
    await expect.poll(names).toEqual(['later.txt', 'picture.png', 'notes.txt']);
    await suite.seed.send(anna, group, 'plain three');
    await message(reader, 'plain three').waitFor();
    expect(await names()).toEqual(['later.txt', 'picture.png', 'notes.txt']);
    await reader.screenshot({ path: join(SHOTS, 'chat-files.png') });
    expect(suite.errors()).toEqual([]);
  });

  it('the crop dialog speaks Russian and fits a phone', async () => {
    const page = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'anna');
    await suite.visit(page, '/settings', '[data-testid="avatar-editor"]');
    const editor = page.getByTestId('avatar-editor');
    await editor.getByRole('button', { name: 'Установить фото' }).waitFor();
    await pickPhoto(page, editor, 'me.jpg', 'image/jpeg', await halvesJpeg(page, 1200, 800));
    const dialog = page.getByRole('dialog', { name: 'Обрезка фото' });
    await dialog.getByRole('button', { name: 'Сохранить фото' }).waitFor();
    await dialog.getByRole('button', { name: 'Отмена' }).waitFor();
    expect(await dialog.getByText('Размер', { exact: true }).count()).toBe(1);
    await expectNoOverflow(page, 'ru 360px crop dialog');
    // The picture fits the dialog, and so does the square over it.
    const [img, square] = [await dialog.locator('.crop-stage img').boundingBox(), await dialog.getByTestId('crop-square').boundingBox()];
    expect(img && img.width <= PHONE.width - 32).toBe(true);
    expect(square && img && square.x >= img.x - 1 && square.x + square.width <= img.x + img.width + 1).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'avatar-crop-phone-ru.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(suite.errors()).toEqual([]);
  });
});
