/**
 * Bots against a real server running the bots service, the bot itself driven from the test
 * over the Bot API (`<server>/bot<token>/<method>`, plain fetch, as any Telegram library does).
 * Anna registers through the form and makes a bot in Settings → Bots: a refused username is
 * said at its field, the token is shown once (read from the page, copied by the button) and
 * works for getMe; privacy mode off and a new name reach the Bot API; a new token (after the
 * confirmation) stops the old one. She finds the bot by its username (marked "bot"), opens the
 * direct chat, and sees the bot's message with its inline buttons under it: a press reaches
 * the bot as a `callback_query`, whose answerCallbackQuery text shows as a notice; an alert
 * answer shows as a dialog and its URL opens in a new tab without an opener; a press the bot
 * leaves unanswered says so. The bot's sendChatAction shows as typing. A reply keyboard sent
 * live shows over the composer; a button sends its text (which the bot receives) and the
 * one-time keyboard hides; `remove_keyboard` takes it away. The "/" menu lists the bot's
 * commands (in Russian after the language switch) and sends one. Nothing sticks out at 360 px.
 * Deleting the bot (confirmed) stops its token. The server waits 2.5 s for an answer
 * (`bots.callback_wait_ms`) to keep the unanswered press short. Screenshots: bots-*.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUi } from './authHelpers';
import { ensureDir } from './browser';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow, message } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

interface Update {
  update_id: number;
  message?: { message_id: number; text?: string; chat: { id: number }; entities?: { type: string; offset: number; length: number }[] };
  callback_query?: { id: string; data?: string; from: { id: number }; message?: { message_id: number } };
}

/** A bot program, as a Telegram library would be one: Bot API calls with its token, and its updates in order. */
class BotClient {
  private offset = 0;

  constructor(
    private readonly base: string,
    public token: string,
  ) {}

  /** The raw answer of a Bot API method: its HTTP status and body. */
  async raw(method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: { ok: boolean; result?: unknown; description?: string } }> {
    const res = await fetch(`${this.base}/bot${this.token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown; description?: string } };
  }

  async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const { status, body } = await this.raw(method, params);
    if (!body.ok) throw new Error(`${method}: ${status} ${body.description}`);
    return body.result as T;
  }

  /** The next update that `wanted` accepts (long polling; the ones before it are confirmed and dropped). */
  async next(wanted: (u: Update) => boolean, what: string, timeoutMs = 15_000): Promise<Update> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const updates = await this.call<Update[]>('getUpdates', { offset: this.offset, timeout: 2 });
      for (const u of updates) {
        this.offset = u.update_id + 1;
        if (wanted(u)) return u;
      }
    }
    throw new Error(`the bot got no ${what} in ${timeoutMs} ms`);
  }

  /** The next button press, with its data. */
  press(data: string): Promise<Update> {
    return this.next((u) => u.callback_query?.data === data, `press of ${data}`);
  }
}

describe('bots', () => {
  const suite = new Suite('bots', { env: { HYBRID_BOTS__CALLBACK_WAIT_MS: '2500' } });
  let page: Page;
  let bot: BotClient;
  let botId = 0;
  let annaId = 0;
  let chatId = 0;
  let annaToken = '';

  beforeAll(async () => {
    page = await suite.page({ viewport: DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] });
    await registerUi(page, suite.server.url, 'anna');
  });

  const card = () => page.getByRole('region', { name: 'Bots', exact: true });
  const bots = () => suite.seed.call<{ items: { id: number; username: string; name: string; privacy: boolean }[] }>('GET', '/bots', annaToken);

  it('makes a bot in Settings: its token shown once and copied, privacy mode, a new name, a new token', async () => {
    annaToken = (await suite.seed.call<{ access_token: string; user: { id: number } }>('POST', '/auth/login', null, { username: 'anna', password: PASSWORD })).access_token;
    annaId = (await suite.seed.call<{ id: number }>('GET', '/users/me', annaToken)).id;
    await suite.visit(page, '/settings', '[data-testid="bot-form"]');
    const bots1 = card();
    expect(await bots1.getByTestId('bots-none').textContent()).toBe('No bots yet.');
    const name = bots1.getByLabel('Name', { exact: true });
    const username = bots1.getByLabel('Username', { exact: true });
    const create = bots1.getByRole('button', { name: 'Create bot' });

    // A username without "bot" at the end: said at its field, nothing made.
    await name.fill('Weather');
    await username.fill('weather');
    await create.click();
    const fieldError = bots1.locator('.field-error');
    await expect.poll(() => fieldError.textContent()).toBe('A bot’s username is 5 to 32 characters and ends in “bot”.');
    expect(await username.getAttribute('aria-invalid')).toBe('true');
    expect((await bots()).items).toEqual([]);

    await username.fill('Weather_Bot');
    await create.click();
    const panel = bots1.getByTestId('bot-token-panel');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('Bot @weather_bot created.');
    const token = (await panel.getByLabel('Bot token').textContent()) ?? '';
    expect(token).toMatch(/^\d+:\S{20,}$/);
    botId = Number(token.split(':')[0]);
    expect(await panel.getByTestId('bot-getme').textContent()).toBe(`${suite.server.url}/bot${token}/getMe`);
    await panel.getByRole('button', { name: 'Copy token' }).click();
    await panel.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    bot = new BotClient(suite.server.url, token);
    expect(await bot.call('getMe')).toMatchObject({ id: botId, is_bot: true, username: 'weather_bot', first_name: 'Weather', can_read_all_group_messages: false });
    const row = bots1.getByTestId('bot').filter({ hasText: '@weather_bot' });
    expect(await row.getByTestId('bot-name').textContent()).toBe('Weather');
    await bots1.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'bots-token.png') });
    // Gone once dismissed, and never in the list: not after a reload either.
    await panel.getByRole('button', { name: 'Done' }).click();
    expect(await panel.count()).toBe(0);
    expect(JSON.stringify(await bots())).not.toContain(token);

    // Privacy mode off: the bot sees every group message (getMe says so).
    const privacy = row.getByRole('switch', { name: /Privacy mode/ });
    expect(await privacy.isChecked()).toBe(true);
    await privacy.click();
    await expect.poll(async () => (await bots()).items[0]?.privacy).toBe(false);
    // the switch follows once the card has the server's answer (a moment after the server has it)
    await expect.poll(() => privacy.isChecked()).toBe(false);
    expect(await bot.call('getMe')).toMatchObject({ can_read_all_group_messages: true });

    // A new name.
    await row.getByRole('button', { name: 'Rename @weather_bot' }).click();
    await row.getByLabel('Name').fill('Weather Bot');
    await row.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.getByTestId('bot-name').textContent()).toBe('Weather Bot');
    expect(await bot.call('getMe')).toMatchObject({ first_name: 'Weather Bot' });

    // A new token, once confirmed: the old one stops at once.
    await row.getByRole('button', { name: 'New token for @weather_bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Make a new token?' });
    await dialog.getByRole('button', { name: 'Make a new token' }).click();
    await panel.waitFor();
    expect(await panel.textContent()).toContain('New token for @weather_bot.');
    const fresh = (await panel.getByLabel('Bot token').textContent()) ?? '';
    expect(fresh).toMatch(new RegExp(`^${botId}:\\S{20,}$`));
    expect(fresh).not.toBe(token);
    expect((await bot.raw('getMe')).status).toBe(401);
    bot.token = fresh;
    expect(await bot.call('getMe')).toMatchObject({ id: botId });
    await panel.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(fresh);
    expect(suite.errors()).toEqual([]);
  });

  it('shows the bot’s inline buttons; presses reach the bot and its answers show as a notice, an alert, a link, or "no answer"', async () => {
    // Anna finds the bot by its username (marked as a bot) and opens a chat with it.
    await suite.visit(page, '/', '.sidebar-title');
    await page.getByRole('searchbox', { name: /Search chats/ }).fill('weather_bot');
    const person = page.getByRole('button', { name: 'Message Weather Bot' });
    expect(await person.getByTestId('bot-badge').textContent()).toBe('bot');
    await person.click();
    await page.waitForURL((u) => /^\/chat\/\d+$/.test(u.pathname));
    chatId = Number(new URL(page.url()).pathname.split('/').pop());
    expect(await page.locator('.chat-header').getByTestId('bot-badge').textContent()).toBe('bot');
    expect(await page.getByTestId('chat-title').textContent()).toBe('Weather Bot');

    // The bot writes to her (a private chat's id is her user id), with buttons; live.
    await bot.call('sendMessage', {
      chat_id: annaId,
      text: 'Tea or coffee?',
      reply_markup: {
        inline_keyboard: [
          [
            { text: 'Tea', callback_data: 'drink:tea' },
            { text: 'Coffee', callback_data: 'drink:coffee' },
          ],
          [{ text: 'Menu', url: `${suite.server.url}/readyz` }],
        ],
      },
    });
    const asked = message(page, 'Tea or coffee?');
    const buttons = asked.getByRole('group', { name: 'Bot buttons' });
    await buttons.waitFor();
    expect(await buttons.locator('.inline-keyboard-row').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (b) => b.textContent)))).toEqual([['Tea', 'Coffee'], ['Menu']]);
    const menu = buttons.getByRole('link', { name: 'Menu' });
    expect([await menu.getAttribute('href'), await menu.getAttribute('target'), await menu.getAttribute('rel')]).toEqual([`${suite.server.url}/readyz`, '_blank', 'noopener noreferrer']);
    // The buttons hang under the bubble, as wide as the column.
    const [bubble, group] = await Promise.all([asked.locator('.bubble').boundingBox(), buttons.boundingBox()]);
    expect(group && bubble && group.y >= bubble.y + bubble.height).toBe(true);

    // Tea: disabled while the bot thinks; its answer's text shows as a passing notice.
    const tea = buttons.getByRole('button', { name: 'Tea' });
    await tea.click();
    const pressed = await bot.press('drink:tea');
    expect(pressed.callback_query).toMatchObject({ from: { id: annaId }, message: { message_id: 1 } });
    expect(await tea.isDisabled()).toBe(true);
    await bot.call('answerCallbackQuery', { callback_query_id: pressed.callback_query?.id, text: 'One tea, coming up' });
    const notice = page.getByTestId('bot-notice');
    await expect.poll(() => notice.textContent()).toBe('One tea, coming up');
    await expect.poll(() => tea.isDisabled()).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'bots-chat.png') });

    // Coffee: an alert to dismiss, named by the bot; its URL opens in a new tab with no opener.
    const popup = page.context().waitForEvent('page');
    await buttons.getByRole('button', { name: 'Coffee' }).click();
    const coffee = await bot.press('drink:coffee');
    await bot.call('answerCallbackQuery', { callback_query_id: coffee.callback_query?.id, text: 'Out of coffee. Tea?', show_alert: true, url: `${suite.server.url}/readyz` });
    const alert = page.getByRole('dialog', { name: 'Weather Bot' });
    await alert.waitFor();
    expect(await alert.getByTestId('bot-alert').textContent()).toBe('Out of coffee. Tea?');
    const tab = await popup;
    await tab.waitForLoadState('domcontentloaded');
    expect(tab.url()).toBe(`${suite.server.url}/readyz`);
    expect(await tab.evaluate(() => window.opener)).toBeNull();
    await tab.close();
    await alert.getByRole('button', { name: 'OK' }).click();
    expect(await alert.count()).toBe(0);

    // A press the bot leaves unanswered: said quietly once the server stops waiting.
    await tea.click();
    await bot.press('drink:tea');
    await expect.poll(() => notice.getAttribute('data-kind'), { timeout: 10_000 }).toBe('unanswered');
    expect(await notice.textContent()).toBe('The bot did not answer.');
    expect(suite.errors()).toEqual([]);
  });

  it('shows the bot typing and a reply keyboard over the composer: a button sends its text; one-time hides it; the command menu sends a command', async () => {
    await bot.call('setMyCommands', {
      commands: [
        { command: 'start', description: 'Start over' },
        { command: 'forecast', description: 'The weather tomorrow' },
      ],
    });
    await bot.call('setMyCommands', { commands: [{ command: 'start', description: 'Начать сначала' }, { command: 'forecast', description: 'Погода на завтра' }], language_code: 'ru' });
    await suite.openChat(page, chatId);

    // The bot "types" (sendChatAction) as people do.
    await bot.call('sendChatAction', { chat_id: annaId, action: 'typing' });
    await expect.poll(() => page.getByTestId('typing').textContent()).toBe('typing…');

    // Sent live: the keyboard comes up, with the bot's placeholder in the box.
    await bot.call('sendMessage', {
      chat_id: annaId,
      text: 'Which city?',
      reply_markup: { keyboard: [['Moscow', { text: 'Berlin' }], ['Lisbon']], one_time_keyboard: true, resize_keyboard: true, input_field_placeholder: 'A city' },
    });
    const keyboard = page.getByRole('group', { name: 'Bot keyboard' });
    await keyboard.waitFor();
    expect(await keyboard.locator('.reply-keyboard-row').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (b) => b.textContent)))).toEqual([['Moscow', 'Berlin'], ['Lisbon']]);
    expect(await page.getByTestId('composer').getAttribute('placeholder')).toBe('A city');
    await page.screenshot({ path: join(SHOTS, 'bots-keyboard.png') });
    await keyboard.getByRole('button', { name: 'Berlin' }).click();
    await message(page, 'Berlin').waitFor();
    expect(await message(page, 'Berlin').getAttribute('class')).toContain('mine');
    const said = await bot.next((u) => u.message?.text !== undefined, 'message');
    expect(said.message).toMatchObject({ text: 'Berlin', chat: { id: annaId } });
    // One-time: hidden once used, back with the toggle.
    await expect.poll(() => keyboard.count()).toBe(0);
    expect(await page.getByTestId('composer').getAttribute('placeholder')).toBe('Write a message…');
    await page.getByRole('button', { name: 'Show the bot’s keyboard' }).click();
    await keyboard.waitFor();

    // The "/" menu: the bot's commands; one picked is sent, and reaches the bot as a command.
    await page.getByRole('button', { name: 'Bot commands' }).click();
    const commands = page.getByRole('menu', { name: 'Bot commands' });
    expect(await commands.getByRole('menuitem').allTextContents()).toEqual(['/startStart over', '/forecastThe weather tomorrow']);
    await commands.getByRole('menuitem', { name: /forecast/ }).click();
    await message(page, '/forecast').waitFor();
    const command = await bot.next((u) => u.message?.text !== undefined, 'command');
    expect(command.message).toMatchObject({ text: '/forecast', entities: [{ type: 'bot_command', offset: 0, length: 9 }] });

    // On a phone nothing sticks out (the keyboard, the buttons, the tools by the box).
    await page.setViewportSize(PHONE);
    await expectNoOverflow(page, 'chat with a bot, 360 px');
    await page.screenshot({ path: join(SHOTS, 'bots-chat-phone.png') });
    await page.setViewportSize(DESKTOP);

    // remove_keyboard takes it away (the toggle too).
    await bot.call('sendMessage', { chat_id: annaId, text: 'Thanks!', reply_markup: { remove_keyboard: true } });
    await message(page, 'Thanks!').waitFor();
    await expect.poll(() => keyboard.count()).toBe(0);
    expect(await page.getByTestId('keyboard-toggle').count()).toBe(0);

    // In Russian, the menu is the bot's Russian list.
    await page.evaluate(() => localStorage.setItem('hybrid.lang', 'ru'));
    await page.reload();
    await page.getByRole('button', { name: 'Команды бота' }).click();
    expect(await page.getByRole('menu', { name: 'Команды бота' }).getByRole('menuitem').allTextContents()).toEqual(['/startНачать сначала', '/forecastПогода на завтра']);
    expect(await page.locator('.chat-header').getByTestId('bot-badge').textContent()).toBe('бот');
    await page.keyboard.press('Escape');
    await page.evaluate(() => localStorage.setItem('hybrid.lang', 'en'));
    expect(suite.errors()).toEqual([]);
  });

  it('deletes the bot once confirmed: its token stops working', async () => {
    await suite.visit(page, '/settings', '[data-testid="bot"]');
    const row = card().getByTestId('bot').filter({ hasText: '@weather_bot' });
    await page.setViewportSize(PHONE);
    await card().getByText('How to connect a bot library').click();
    await card().scrollIntoViewIfNeeded();
    await expectNoOverflow(page, 'bots card, 360 px');
    await page.screenshot({ path: join(SHOTS, 'bots-phone.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);
    await row.getByRole('button', { name: 'Delete the bot @weather_bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the bot?' });
    expect(await dialog.textContent()).toContain('its token stops working');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row.count()).toBe(0);
    await card().getByTestId('bots-none').waitFor();
    expect((await bots()).items).toEqual([]);
    expect((await bot.raw('getMe')).status).toBe(401);
    expect(suite.errors()).toEqual([]);
  });
});
