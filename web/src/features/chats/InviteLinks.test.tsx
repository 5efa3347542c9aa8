import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InviteLink, InviteOptions } from '../../api/types';
import { chat } from '../../test/fixtures';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { InviteLinks } from './InviteLinks';

const BASE = '/api/v1/chats/4/invites';
const link = (code: string, more: Partial<InviteLink> = {}): InviteLink => ({ code, chat_id: 4, created_at: 1, created_by: 1, revoked: false, uses: 0, name: '', needs_approval: false, ...more });
const owner = chat(4, { kind: 'group', title: 'Club', my_role: 'owner', my_permissions: ['invite', 'change_info'] });
const rows = () => screen.queryAllByTestId('invite-row');

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('invite links', () => {
  it('makes a named link that needs approval (no usage limit then), marked so in the list', async () => {
    const posts: InviteOptions[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, []),
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as InviteOptions;
        posts.push(body);
        return jsonResponse(201, link('new1', { name: body.name, needs_approval: body.needs_approval }));
      },
    });
    renderUi(<InviteLinks chat={owner} />);
    await screen.findByText('No active links.');
    fireEvent.click(screen.getByRole('button', { name: 'New link' }));
    const form = screen.getByRole('form', { name: 'New invite link' });
    fireEvent.change(within(form).getByLabelText('Usage limit (optional)'), { target: { value: '5' } });
    fireEvent.change(within(form).getByLabelText('Name (optional)'), { target: { value: ' Website ' } });
    fireEvent.click(within(form).getByRole('switch', { name: /Requires admin approval/ }));
    const limit = within(form).getByLabelText('Usage limit (optional)') as HTMLInputElement;
    expect(limit.disabled).toBe(true);
    expect(limit.value).toBe('');
    expect(form.textContent).toContain('No limit when approval is on');
    fireEvent.click(within(form).getByRole('button', { name: 'Create link' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(posts).toEqual([{ name: 'Website', needs_approval: true }]);
    expect(screen.queryByRole('form')).toBeNull();
    expect(within(rows()[0] as HTMLElement).getByTestId('invite-name').textContent).toBe('Website');
    expect(within(rows()[0] as HTMLElement).getByTestId('invite-approval').textContent).toContain('needs approval');
  });

  it('offers no approval to a member who may invite, and lets them edit only their own links (none that needs approval)', async () => {
    serve({
      [`GET ${BASE}`]: () =>
        jsonResponse(200, [link('mine', { created_by: 1 }), link('theirs', { created_by: 2 }), link('approval', { created_by: 1, needs_approval: true })]),
    });
    renderUi(<InviteLinks chat={chat(4, { kind: 'group', my_role: 'member', my_permissions: ['invite'] })} />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows().map((r) => within(r).queryByTestId('invite-edit') !== null)).toEqual([true, false, false]);
    fireEvent.click(screen.getByRole('button', { name: 'New link' }));
    expect(screen.queryByRole('switch')).toBeNull();
  });

  it('edits a link’s terms all at once (PATCH), keeping its expiry unless changed, in Russian', async () => {
    const expires = Date.now() + 3_600_000;
    const patches: InviteOptions[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, [link('abc', { name: 'Друзья', usage_limit: 10, uses: 2, expires_at: expires })]),
      [`PATCH ${BASE}/abc`]: async (req) => {
        const body = (await req.json()) as InviteOptions;
        patches.push(body);
        return jsonResponse(200, link('abc', { name: body.name, needs_approval: body.needs_approval, expires_at: expires }));
      },
    });
    renderUi(<InviteLinks chat={owner} />, { lang: 'ru' });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId('invite-uses').textContent).toMatch(/^использована 2 раза · до 10 человек · действует до /);
    fireEvent.click(screen.getByRole('button', { name: 'Изменить' }));
    const form = screen.getByRole('form', { name: 'Изменить ссылку' });
    expect((within(form).getByLabelText('Название (необязательно)') as HTMLInputElement).value).toBe('Друзья');
    expect((within(form).getByLabelText('Срок действия') as HTMLSelectElement).value).toBe('keep');
    fireEvent.change(within(form).getByLabelText('Название (необязательно)'), { target: { value: 'Семья' } });
    fireEvent.click(within(form).getByRole('switch', { name: /Одобрение администратором/ }));
    fireEvent.click(within(form).getByRole('button', { name: 'Сохранить' }));
    await waitFor(() => expect(screen.queryByRole('form')).toBeNull());
    expect(patches).toHaveLength(1);
    const sent = patches[0] as InviteOptions;
    expect(sent).toMatchObject({ name: 'Семья', needs_approval: true });
    expect(sent.usage_limit).toBeUndefined();
    expect(sent.expires_in_secs).toBeGreaterThan(3500);
    expect(sent.expires_in_secs).toBeLessThanOrEqual(3600);
    expect(screen.getByTestId('invite-name').textContent).toBe('Семья');
    expect(screen.getByTestId('invite-approval').textContent).toContain('с одобрением');
  });

  it('says a refused name at its field', async () => {
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, []),
      [`POST ${BASE}`]: () => jsonResponse(422, { error: { code: 'validation_failed', message: 'at most 32 characters on one line', field: 'name' } }),
    });
    renderUi(<InviteLinks chat={owner} />);
    await screen.findByText('No active links.');
    fireEvent.click(screen.getByRole('button', { name: 'New link' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create link' }));
    const name = screen.getByLabelText('Name (optional)');
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByRole('alert').textContent).toBe('One line of at most 32 characters.');
  });
});
