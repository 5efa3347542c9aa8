/**
 * Service messages drawn as centred lines (en and ru) and in the chat list's preview; the
 * composer's character counter against the server's 4096 limit.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir, launch } from './browser';
import { HybridServer, RESULTS } from './server';
import { api, apiLogin, apiRegister, ConsoleErrors, DESKTOP, failShot, msg, newContext, registerUi, shot, type ApiUser } from './chatHelpers';

let server: HybridServer;
let browser: Browser;
let anna: Page;
const errors = new ConsoleErrors();

describe('service messages and the composer counter', () => {
  beforeAll(async () => {
    ensureDir(RESULTS);
    server = new HybridServer();
    await server.start();
    browser = await launch();
    anna = errors.watch(await (await newContext(browser)).newPage(), 'anna');
    await registerUi(anna, server.url, 'anna');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await failShot([anna], ctx.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('draws what happened in a group as centred lines, in English and Russian, and previews the last one', async () => {
    const a: ApiUser = await apiLogin(server, 'anna');
    await api(server, a.token, 'PATCH', '/users/me', { display_name: 'Anna' });
    const boris = await apiRegister(server, 'boris', 'Boris');
    const carol = await apiRegister(server, 'carol', 'Carol');
    const dan = await apiRegister(server, 'dan', 'Dan');
    const chat = await api<{ id: number }>(server, a.token, 'POST', '/chats', { kind: 'group', title: 'Trip', member_ids: [] });
    await api(server, a.token, 'POST', `/chats/${chat.id}/members`, { user_ids: [boris.id, carol.id] });
    await api(server, a.token, 'POST', `/chats/${chat.id}/messages`, { text: 'Hello all', nonce: 'hello-all' });
    const invite = await api<{ code: string }>(server, a.token, 'POST', `/chats/${chat.id}/invites`, {});
    await api(server, dan.token, 'POST', `/invites/${invite.code}/join`);
    await api(server, carol.token, 'POST', `/chats/${chat.id}/leave`);
    await api(server, a.token, 'DELETE', `/chats/${chat.id}/members/${boris.id}`);
    await api(server, a.token, 'PATCH', `/chats/${chat.id}`, { title: 'Trip 2026' });

    await anna.goto(`${server.url}/chat/${chat.id}`);
    const lines = anna.getByTestId('service-message');
    const expected = [
      'Anna created the group «Trip»',
      'Anna added Boris and Carol',
      'Dan joined the group via invite link',
      'Carol left the group',
      'Anna removed Boris',
      'Anna changed the group name to «Trip 2026»',
    ];
    await expect.poll(() => lines.allTextContents(), { timeout: 15_000 }).toEqual(expected);
    // An ordinary message between them is still a bubble; service lines have no reply or menu.
    await msg(anna, 'Hello all').waitFor();
    expect(await lines.getByRole('button', { name: 'Reply' }).count()).toBe(0);
    expect(await lines.getByRole('button', { name: 'Message actions' }).count()).toBe(0);
    // All happened today: one day separator, not one per line.
    expect(await anna.locator('.day-separator').count()).toBe(1);
    expect(await anna.getByTestId('message').filter({ hasText: 'created the group' }).count()).toBe(0);
    // The chat list previews the last one with the same words, without a "You:" prefix.
    const row = anna.getByTestId('chat-row').filter({ hasText: 'Trip 2026' });
    await expect.poll(() => row.locator('.preview').textContent()).toBe('Anna changed the group name to «Trip 2026»');
    // Live: a rename while the chat is open shows at once.
    await api(server, a.token, 'PATCH', `/chats/${chat.id}`, { title: 'Trip 2027' });
    await lines.filter({ hasText: 'Anna changed the group name to «Trip 2027»' }).waitFor();
    // The owner may delete service lines (the button shows on hover).
    expect(await lines.getByRole('button', { name: 'Delete' }).count()).toBe(7);
    await shot(anna, 'service-messages-desktop');

    await anna.evaluate(() => localStorage.setItem('hybrid.lang', 'ru'));
    await anna.reload();
    await expect
      .poll(() => lines.allTextContents(), { timeout: 15_000 })
      .toEqual([
        'Пользователь Anna создал группу «Trip»',
        'Пользователь Anna добавил в группу: Boris и Carol',
        'Пользователь Dan вступил в группу по ссылке-приглашению',
        'Пользователь Carol покинул группу',
        'Пользователь Anna исключил из группы пользователя Boris',
        'Пользователь Anna изменил название группы на «Trip 2026»',
        'Пользователь Anna изменил название группы на «Trip 2027»',
      ]);
    await shot(anna, 'service-messages-ru-desktop');
    await anna.evaluate(() => localStorage.setItem('hybrid.lang', 'en'));
    await anna.reload();
    await lines.first().waitFor();
    const last = lines.filter({ hasText: '«Trip 2027»' });
    await last.hover();
    await last.getByRole('button', { name: 'Delete' }).click();
    await anna.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await last.waitFor({ state: 'detached' });
    await expect.poll(() => lines.count()).toBe(6);
    // It goes away entirely, also after a reload: no "Message deleted" bubble in its place.
    await anna.reload();
    await lines.first().waitFor();
    expect(await lines.count()).toBe(6);
    expect(await anna.getByTestId('message').filter({ hasText: 'Message deleted' }).count()).toBe(0);
  });

  it('counts characters near the 4096 limit, and over it disables Send with a hint instead of a server error', async () => {
    const box = anna.getByTestId('composer');
    const send = anna.getByRole('button', { name: 'Send', exact: true });
    await box.fill('short');
    expect(await anna.getByTestId('composer-counter').count()).toBe(0);
    // 4000 code units: 96 left, still sendable. An emoji counts two, as on the server.
    await box.fill(`${'a'.repeat(3998)}👍`);
    await expect.poll(() => anna.getByTestId('composer-counter').textContent()).toBe('96');
    expect(await send.isEnabled()).toBe(true);
    expect(await anna.getByTestId('composer-too-long').count()).toBe(0);
    // 4100: four over, red, Send disabled, a translated hint; Enter sends nothing.
    await box.fill('b'.repeat(4100));
    await expect.poll(() => anna.getByTestId('composer-counter').textContent()).toBe('-4');
    expect(await anna.getByTestId('composer-too-long').textContent()).toBe('The message is 4 characters too long: shorten it to send.');
    expect(await send.isDisabled()).toBe(true);
    await shot(anna, 'composer-too-long-desktop');
    await anna.setViewportSize({ width: 360, height: 740 });
    await shot(anna, 'composer-too-long-mobile');
    await anna.setViewportSize(DESKTOP);
    const before = await anna.getByTestId('message').count();
    await box.press('Enter');
    // A send would have emptied the box at once.
    expect(await box.inputValue()).toHaveLength(4100);
    expect(await anna.getByTestId('message-pending').count()).toBe(0);
    // Back to exactly 4096: sendable, and the server takes it.
    await box.fill('c'.repeat(4096));
    await expect.poll(() => anna.getByTestId('composer-counter').textContent()).toBe('0');
    await box.press('Enter');
    await anna.locator('[data-testid="message"] .message-text', { hasText: 'c'.repeat(4096) }).waitFor();
    expect(await anna.getByTestId('composer-counter').count()).toBe(0);
    // Only that one was sent, and no error was shown.
    expect(await anna.getByTestId('message').count()).toBe(before + 1);
    expect(await anna.locator('.toast, .chat-alert').count()).toBe(0);
  });

  it('logged no errors in the browser', () => {
    expect(errors.list).toEqual([]);
  });
});
