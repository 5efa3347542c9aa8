/**
 * The content pipeline's screens against a real server with no AI model set (the offline
 * summariser, template posts). Olga registers through the form and finds Automation → Content;
 * she uploads the FB2 fixture of `crates/books` through the page's file input (the files
 * service, then the source) and sees it become ready with its three chapters; she opens the
 * second chapter and pages through its blocks (the page asks for two blocks at a time here:
 * the route rewrites `limit`, so the server's cursor is what pages them), reads one's text;
 * back on the book the estimate says offline, she starts summarising and waits until every
 * block is summarised; she makes a post (the first part's title in bold over its summary),
 * makes a word of it bold in the Markdown editor, saves (the preview shows it bold), approves
 * it, and the API agrees. Nothing sticks out at 360 px in Russian. Screenshots: content-*.png.
 */
import { join, resolve } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUi } from './authHelpers';
import { ensureDir } from './browser';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow } from './helpers';
import { RESULTS, WEB_DIR } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));
const BOOK = resolve(WEB_DIR, '..', 'crates', 'books', 'tests', 'fixtures', 'book.fb2');
const BLOCKS = /\/api\/v1\/automation\/sources\/\d+\/blocks\?/;

interface Post {
  id: number;
  state: string;
  text: string;
  markdown: string;
  made_by: string;
  entities: { type: string; offset: number; length: number }[];
}

/** Whether the page's scrolling body has nothing wider than itself (what `expectNoOverflow` clips at it would scroll sideways). */
function bodyFits(page: Page): Promise<boolean> {
  return page.locator('.page-body').evaluate((el) => el.scrollWidth <= el.clientWidth);
}

describe('content', () => {
  const suite = new Suite('content');
  let page: Page;
  let token = '';
  let bookId = 0;
  let postId = 0;
  let word = '';

  beforeAll(async () => {
    page = await suite.page({ viewport: DESKTOP });
    await registerUi(page, suite.server.url, 'olga');
    token = (await suite.seed.call<{ access_token: string }>('POST', '/auth/login', null, { username: 'olga', password: PASSWORD })).access_token;
  });

  it('uploads a book through the page and sees it read into three chapters', async () => {
    await suite.visit(page, '/settings', '[data-testid="automation-link"]');
    await page.getByTestId('automation-link').click();
    await page.getByTestId('automation-tab-content').click();
    await page.waitForURL((u) => u.pathname === '/automation/content');
    await page.getByTestId('sources-none').waitFor();
    // The offline summariser is said where the model is set.
    expect(await page.getByTestId('settings-key-state').textContent()).toBe('no key');
    await page.getByTestId('settings-offline').waitFor();

    await page.getByTestId('book-file').setInputFiles(BOOK);
    const row = page.getByTestId('source');
    await row.waitFor();
    expect(await row.getByTestId('source-name').textContent()).toBe('book.fb2');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    expect(await row.getByTestId('source-state').textContent()).toBe('Ready');
    expect(await row.getByTestId('source-counts').textContent()).toMatch(/^3 chapters · \d+ blocks · [\d,]+ characters$/);
    expect(await row.getByTestId('source-summaries').textContent()).toMatch(/^0 of \d+ blocks summarised$/);
    expect(await row.getByTestId('source-link').textContent()).toContain('Тестовая книга');
    bookId = Number(await row.getAttribute('data-id'));
    const api = await suite.seed.call<{ state: string; chapters: number; format: string }>('GET', `/automation/sources/${bookId}`, token);
    expect(api).toMatchObject({ state: 'ready', chapters: 3, format: 'fb2' });
  });

  it('opens the second chapter and pages through its blocks', async () => {
    await page.getByTestId('source-link').click();
    await page.waitForURL((u) => u.pathname === `/automation/content/${bookId}`);
    const chapters = page.getByTestId('chapter');
    await expect.poll(() => chapters.count()).toBe(3);
    expect(await chapters.getByTestId('chapter-title').allTextContents()).toEqual(['Глава 1. Начало', 'Глава 2. Середина', 'Глава 3. Конец']);
    const second = chapters.filter({ has: page.locator('[data-testid="chapter-title"]', { hasText: 'Глава 2' }) });
    const blocks = Number((await second.textContent())?.match(/(\d+) blocks/)?.[1]);
    expect(blocks).toBeGreaterThanOrEqual(3);

    // Two blocks a page, so the chapter's blocks take more than one.
    const smallPages = (route: Route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('limit', '2');
      return route.continue({ url: url.toString() });
    };
    await page.route(BLOCKS, smallPages);
    await second.getByTestId('chapter-link').click();
    await page.waitForURL((u) => u.pathname === `/automation/content/${bookId}/chapters/1`);
    const rows = page.getByTestId('block');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByTestId('chapter-page').getByRole('heading').textContent()).toBe('Глава 2. Середина');
    let shown = 2;
    while (shown < blocks) {
      await page.getByTestId('blocks-more').click();
      shown = Math.min(blocks, shown + 2);
      await expect.poll(() => rows.count()).toBe(shown);
    }
    expect(await page.getByTestId('blocks-more').count()).toBe(0);
    expect(await rows.getByTestId('block-title').allTextContents()).toEqual(Array.from({ length: blocks }, (_, i) => `Глава 2. Середина (part ${i + 1})`));
    expect(await rows.first().getByTestId('block-summary-state').textContent()).toBe('No summary');
    // A block's text, folded until opened.
    const text = rows.nth(1).getByTestId('block-text');
    expect(await text.locator('p').isVisible()).toBe(false);
    await text.locator('summary').click();
    expect(await text.locator('p').textContent()).toMatch(/\(б\d+\)/);
    await page.screenshot({ path: join(SHOTS, 'content-blocks.png') });
    await page.unroute(BLOCKS, smallPages);
  });

  it('summarises the book offline, after the estimate says so', async () => {
    await page.getByTestId('back-to-book').click();
    await page.waitForURL((u) => u.pathname === `/automation/content/${bookId}`);
    const panel = page.getByTestId('summaries');
    const estimate = panel.getByTestId('estimate');
    await estimate.waitFor();
    expect(await estimate.getAttribute('data-by')).toBe('offline');
    expect(await estimate.getByTestId('estimate-by').textContent()).toContain('Offline');
    const total = Number((await estimate.getByTestId('estimate-blocks').textContent())?.match(/^(\d+) blocks to summarise$/)?.[1]);
    expect(total).toBeGreaterThanOrEqual(5);
    expect(await estimate.getByTestId('estimate-cost').count()).toBe(0);

    await panel.getByTestId('summaries-start').click();
    await expect.poll(() => panel.getByTestId('summaries-progress').textContent(), { timeout: 60_000 }).toBe(`${total} of ${total} blocks summarised`);
    await panel.getByTestId('summaries-done').waitFor();
    expect(await panel.getByTestId('summaries-stop').count()).toBe(0);
    const api = await suite.seed.call<{ summaries: { done: number; running: boolean } }>('GET', `/automation/sources/${bookId}`, token);
    expect(api.summaries).toMatchObject({ done: total, running: false });
    // The chapters say so too.
    await expect.poll(() => page.getByTestId('chapter-summarised').allTextContents()).toEqual(['1/1 summarised', expect.stringMatching(/^(\d+)\/\1 summarised$/), '1/1 summarised']);
    await page.screenshot({ path: join(SHOTS, 'content-summaries.png') });
  });

  it('makes a post, makes a word bold in its Markdown, and approves it', async () => {
    const posts = page.getByTestId('content-posts');
    await posts.getByTestId('posts-none').waitFor();
    await posts.getByTestId('posts-make').click();
    const post = posts.getByTestId('post');
    await post.waitFor();
    expect(await post.getAttribute('data-state')).toBe('draft');
    expect(await post.getByTestId('post-made-by').textContent()).toBe('from the template');
    // The first part in reading order: its title in bold over its summary.
    const preview = post.getByTestId('post-preview');
    expect(await preview.locator('strong').allTextContents()).toEqual(['Глава 1. Начало']);
    expect(await post.getByTestId('post-fit').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-target')}:${e.getAttribute('data-fits')}`))).toEqual(['hybrid:true', 'telegram:true']);
    postId = Number(await post.getAttribute('data-id'));

    await post.getByTestId('post-edit').click();
    const box = post.getByTestId('post-markdown');
    const markdown = await box.inputValue();
    expect(markdown.startsWith('**Глава 1. Начало**\n\n')).toBe(true);
    // The summary's first word, in bold.
    const head = '**Глава 1. Начало**\n\n';
    const body = markdown.slice(head.length);
    word = body.match(/\p{L}{4,}/u)?.[0] ?? '';
    expect(word).not.toBe('');
    await box.fill(head + body.replace(word, `**${word}**`));
    await post.getByTestId('post-save').click();
    await post.getByTestId('post-editor').waitFor({ state: 'detached' });
    await expect.poll(() => preview.locator('strong').allTextContents()).toEqual(['Глава 1. Начало', word]);
    expect(await post.getByTestId('post-made-by').textContent()).toBe('edited');

    await post.getByTestId('post-approve').click();
    await expect.poll(() => post.getAttribute('data-state')).toBe('approved');
    expect(await post.getByTestId('post-state').textContent()).toBe('Approved');
    const saved = await suite.seed.call<Post>('GET', `/automation/posts/${postId}`, token);
    expect(saved.state).toBe('approved');
    expect(saved.made_by).toBe('edited');
    expect(saved.markdown).toContain(`**${word}**`);
    const bold = saved.entities.filter((e) => e.type === 'bold').map((e) => saved.text.slice(e.offset, e.offset + e.length));
    expect(bold).toEqual(['Глава 1. Начало', word]);
    // Its block reads as used.
    await expect.poll(() => page.getByTestId('chapter').first().getByTestId('chapter-used').textContent()).toBe('1 used in a post');
    await page.screenshot({ path: join(SHOTS, 'content-book.png'), fullPage: true });
  });

  it('fits a 360 px screen, in Russian', async () => {
    const phone = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'olga');
    await suite.visit(phone, '/automation/content', '[data-testid="source"]');
    expect(await phone.getByTestId('source-state').textContent()).toBe('Готова');
    await expectNoOverflow(phone, 'the books');
    expect(await bodyFits(phone)).toBe(true);
    const tabs = await phone.locator('.auto-tabs').evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(tabs).toBe(true);
    await phone.screenshot({ path: join(SHOTS, 'content-phone-books.png'), fullPage: true });

    await suite.visit(phone, `/automation/content/${bookId}`, '[data-testid="post"]');
    expect(await phone.getByTestId('post-state').textContent()).toBe('Одобрен');
    expect(await phone.getByTestId('summaries-done').textContent()).toContain('У каждого блока есть изложение.');
    await phone.getByTestId('post-edit').click();
    await phone.getByTestId('post-markdown').waitFor();
    await expectNoOverflow(phone, 'a book');
    expect(await bodyFits(phone)).toBe(true);
    await phone.screenshot({ path: join(SHOTS, 'content-phone.png'), fullPage: true });

    await suite.visit(phone, `/automation/content/${bookId}/chapters/1`, '[data-testid="block"]');
    await phone.getByTestId('block').first().getByTestId('block-text').locator('summary').click();
    await expectNoOverflow(phone, 'a chapter’s blocks');
    expect(await bodyFits(phone)).toBe(true);
    expect(suite.errors()).toEqual([]);
  });
});
