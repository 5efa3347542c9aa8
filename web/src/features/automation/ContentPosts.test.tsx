import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContentPost } from '../../api/types';
import { contentPost, source } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { ContentPosts } from './ContentPosts';

const POSTS = '/api/v1/automation/posts';
const book = source(1, { summaries: { running: false, done: 3, queued: 0, failed: 0, tokens_in: 0, tokens_out: 0 } });
/** Numbers without the group separators the language's format may put in (`4 096`). */
const digits = (s: string | null) => (s ?? '').replace(/(\d)[\s\u00a0\u202f](?=\d)/g, '$1');
const rows = () => screen.queryAllByTestId('post');
const row = (id: number) => rows().find((r) => r.dataset.id === String(id)) as HTMLElement;

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Content: posts', () => {
  it('makes a post, shows it as a chat message with its length and fit, edits its Markdown, saves and approves it', async () => {
    const posts: ContentPost[] = [contentPost(1, { state: 'approved' })];
    const patches: unknown[] = [];
    const calls = serve({
      [`GET ${POSTS}`]: () => jsonResponse(200, { items: [...posts].reverse(), next_cursor: null }),
      'POST /api/v1/automation/sources/1/posts': async (req) => {
        expect(await req.json()).toEqual({});
        const made = contentPost(2);
        posts.push(made);
        return jsonResponse(201, made);
      },
      [`PATCH ${POSTS}/2`]: async (req) => {
        const body = (await req.json()) as { markdown?: string; state?: string };
        patches.push(body);
        const at = posts.findIndex((p) => p.id === 2);
        const was = posts[at] as ContentPost;
        let now: ContentPost = was;
        if (body.markdown !== undefined) {
          if (!body.markdown.trim()) return jsonResponse(422, { error: { code: 'validation_failed', message: 'must contain visible text', field: 'markdown' } });
          now = { ...was, markdown: body.markdown, text: 'The hero leaves at dawn.', entities: [{ type: 'bold', offset: 9, length: 6 }], length: 24, made_by: 'edited' };
        }
        if (body.state) now = { ...now, state: body.state };
        posts[at] = now;
        return jsonResponse(200, now);
      },
    });
    renderUi(<ContentPosts source={book} />);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(calls[0]).toBe(`GET ${POSTS}?source_id=1&limit=20`);

    fireEvent.click(screen.getByRole('button', { name: 'Make a post from the next summary' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows().map((r) => r.dataset.id)).toEqual(['2', '1']);
    const post = row(2);
    expect(within(post).getByTestId('post-state').textContent).toBe('Draft');
    expect(within(post).getByTestId('post-made-by').textContent).toBe('from the template');
    // The preview renders the text with its entities, as a chat message does.
    const preview = within(post).getByTestId('post-preview');
    expect(preview.querySelector('strong')?.textContent).toBe('Глава 2 (part 1)');
    expect(preview.textContent).toBe('Глава 2 (part 1)\n\nThe hero leaves at dawn.');
    expect(within(post).getByTestId('post-length').textContent).toBe('41 characters');
    expect(within(post).getAllByTestId('post-fit').map((f) => `${f.dataset.target}:${f.dataset.fits}:${f.textContent}`)).toEqual([
      'hybrid:true:Hybrid chat: fits',
      'telegram:true:Telegram: fits',
    ]);

    // Edit: the Markdown is in the box; an empty text is refused at the field.
    fireEvent.click(within(post).getByRole('button', { name: 'Edit' }));
    const box = within(post).getByLabelText('Text (Markdown)') as HTMLTextAreaElement;
    expect(box.value).toBe('**Глава 2 (part 1)**\n\nThe hero leaves at dawn.');
    const save = within(post).getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(box, { target: { value: '   ' } });
    fireEvent.click(save);
    await waitFor(() => expect(box.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(box.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Must contain visible characters.');
    // Approving waits for the editor to close.
    expect((within(post).getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(box, { target: { value: 'The hero **leaves** at dawn.' } });
    fireEvent.click(save);
    await waitFor(() => expect(within(post).queryByTestId('post-editor')).toBeNull());
    await waitFor(() => expect(within(post).getByTestId('post-preview').querySelector('strong')?.textContent).toBe('leaves'));
    expect(within(post).getByTestId('post-preview').textContent).toBe('The hero leaves at dawn.');
    expect(within(post).getByTestId('post-made-by').textContent).toBe('edited');
    expect(within(post).getByTestId('post-length').textContent).toBe('24 characters');

    fireEvent.click(within(post).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(within(row(2)).getByTestId('post-state').textContent).toBe('Approved'));
    expect(within(row(2)).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(within(row(2)).getByRole('button', { name: 'Back to draft' })).toBeTruthy();
    expect(within(row(2)).getByRole('button', { name: 'Skip' })).toBeTruthy();
    expect(patches).toEqual([{ markdown: '   ' }, { markdown: 'The hero **leaves** at dawn.' }, { state: 'approved' }]);
  });

  it('says when every summary has a post, shows a post too long for a target and one being written, filters, and deletes once confirmed, in Russian', async () => {
    const calls = serve({
      [`GET ${POSTS}`]: (req) => {
        const state = new URL(req.url).searchParams.get('state');
        const all = [
          contentPost(3, { state: 'generating', text: '', entities: [], markdown: '', length: 0, made_by: 'gpt-4o-mini' }),
          contentPost(2, { length: 5000, targets: [{ target: 'hybrid', max_length: 4096, fits: false }, { target: 'telegram', max_length: 4096, fits: false }] }),
          contentPost(1, { state: 'skipped' }),
        ];
        return jsonResponse(200, { items: all.filter((p) => !state || p.state === state), next_cursor: null });
      },
      'POST /api/v1/automation/sources/1/posts': () =>
        jsonResponse(409, { error: { code: 'wrong_state', message: 'every summarised block of this book has a post: summarise more of it' } }),
      [`DELETE ${POSTS}/2`]: () => new Response(null, { status: 204 }),
    });
    renderUi(<ContentPosts source={book} />, { lang: 'ru' });
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(row(3)).getByTestId('post-state').textContent).toBe('Пишется');
    expect(within(row(3)).getByText('Модель пишет пост…')).toBeTruthy();
    expect(within(row(3)).queryByRole('button', { name: 'Изменить' })).toBeNull();
    expect(within(row(3)).queryByTestId('post-preview')).toBeNull();
    expect(within(row(2)).getAllByTestId('post-fit').map((f) => digits(f.textContent))).toEqual(['Чат Hybrid: слишком длинный (не больше 4096)', 'Telegram: слишком длинный (не больше 4096)']);
    expect(within(row(1)).getByTestId('post-state').textContent).toBe('Пропущен');

    fireEvent.click(screen.getByRole('button', { name: 'Сделать пост из следующего изложения' }));
    expect((await screen.findByRole('alert')).textContent).toContain('По каждому изложенному блоку этой книги уже есть пост');

    fireEvent.change(screen.getByTestId('posts-filter'), { target: { value: 'skipped' } });
    await waitFor(() => expect(rows().map((r) => r.dataset.id)).toEqual(['1']));
    expect(calls).toContain(`GET ${POSTS}?source_id=1&state=skipped&limit=20`);
    fireEvent.change(screen.getByTestId('posts-filter'), { target: { value: '' } });
    await waitFor(() => expect(rows()).toHaveLength(3));

    // the block's title in the reader's language
    fireEvent.click(within(row(2)).getByRole('button', { name: 'Удалить пост Глава 2 (часть 1)' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Удалить пост?' })).getByRole('button', { name: 'Удалить' }));
    await waitFor(() => expect(rows().map((r) => r.dataset.id)).toEqual(['3', '1']));
    expect(calls).toContain(`DELETE ${POSTS}/2`);
  });
});
