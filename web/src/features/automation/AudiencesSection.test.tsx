import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Audience } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { AudienceDetail } from './AudienceDetail';
import { AudiencesSection } from './AudiencesSection';

const BASE = '/api/v1/automation/audiences';
const audience = (id: number, more: Partial<Audience> = {}): Audience => ({ id, name: `List ${id}`, size: 10, created_at: Date.UTC(2026, 4, 1), ...more });
const report = { added: 2, duplicates: 1, rejected: [{ line: 3, text: '912 345', reason: 'a number without a +country code (give the import a region)' }], rejected_count: 1 };

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Audiences', () => {
  it('imports an audience from a file read into the box, and reports the rejected line with its number and why', async () => {
    const posts: unknown[] = [];
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [audience(1)], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        posts.push(await req.json());
        return jsonResponse(201, { audience: audience(2, { name: 'Club', size: 2 }), report });
      },
    });
    renderUi(<AudiencesSection />);
    await waitFor(() => expect(screen.getAllByTestId('audience')).toHaveLength(1));
    const text = screen.getByLabelText('People, one a line') as HTMLTextAreaElement;
    const content = '@anna\n+7 912 345-67-89\n912 345\n@anna\n';
    // jsdom's File has no text(): this one has, as browsers' do.
    const file = Object.assign(new File([content], 'Club.csv', { type: 'text/csv' }), { text: async () => content });
    fireEvent.change(screen.getByTestId('import-file'), { target: { files: [file] } });
    await waitFor(() => expect(text.value).toBe('@anna\n+7 912 345-67-89\n912 345\n@anna\n'));
    // The file's name, for want of a typed one.
    expect((screen.getByLabelText('Audience name') as HTMLInputElement).value).toBe('Club');
    fireEvent.change(screen.getByLabelText('Numbers without a country code are from'), { target: { value: 'RU' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const shown = await screen.findByTestId('import-report');
    expect(posts).toEqual([{ name: 'Club', text: '@anna\n+7 912 345-67-89\n912 345\n@anna\n', region: 'RU' }]);
    expect(within(shown).getByTestId('report-added').textContent).toBe('2 added');
    expect(within(shown).getByTestId('report-duplicates').textContent).toBe('1 duplicate');
    expect(within(shown).getByTestId('report-rejected').textContent).toBe('1 line rejected');
    const line = within(shown).getByTestId('rejected-line');
    expect(line.dataset.line).toBe('3');
    expect(line.textContent).toBe('Line 3: 912 345 — a number without a +country code: choose where such numbers are from');
    // The new audience is on top of the list, and the box is empty for the next file.
    expect(screen.getAllByTestId('audience-name').map((n) => n.textContent)).toEqual(['Club', 'List 1']);
    expect(text.value).toBe('');
  });

  it('shows the report in Russian, and a refused import at its field', async () => {
    serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [], next_cursor: null }),
      [`POST ${BASE}`]: async (req) => {
        const body = (await req.json()) as { region?: string | null };
        if (body.region === 'XX') return jsonResponse(422, { error: { code: 'validation_failed', message: 'not an ISO 3166 country code', field: 'region' } });
        return jsonResponse(201, { audience: audience(2), report: { ...report, rejected: [{ line: 4, text: 'hello world', reason: 'neither a phone number nor a username' }], rejected_count: 5 } });
      },
    });
    renderUi(<AudiencesSection />, { lang: 'ru' });
    expect((await screen.findByTestId('audiences-none')).textContent).toBe('Аудиторий пока нет.');
    fireEvent.change(screen.getByLabelText('Название аудитории'), { target: { value: 'Клуб' } });
    fireEvent.change(screen.getByLabelText('Люди, по одному в строке'), { target: { value: '@a\nhello world' } });
    fireEvent.click(screen.getByRole('button', { name: 'Загрузить' }));
    const shown = await screen.findByTestId('import-report');
    expect(within(shown).getByTestId('report-rejected').textContent).toBe('отклонено 5 строк');
    expect(within(shown).getByTestId('rejected-line').textContent).toBe('Строка 4: hello world — ни номер телефона, ни имя пользователя');
    expect(shown.textContent).toContain('и ещё 4 строки');
  });

  it('opens an audience: its people paged, more imported, the CSV saved with the token, and deleted once confirmed', async () => {
    const createObjectURL = vi.fn(() => 'blob:csv');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    let exportAuth: string | null = null;
    const calls = serve({
      [`GET ${BASE}`]: () => jsonResponse(200, { items: [audience(5)], next_cursor: null }),
      [`GET ${BASE}/5`]: () => jsonResponse(200, audience(5, { name: 'Club', size: 3 })),
      [`GET ${BASE}/5/entries`]: (req) =>
        new URL(req.url).searchParams.get('cursor') === 'e2'
          ? jsonResponse(200, { items: [{ id: 3, kind: 'username', value: 'carol' }], next_cursor: null })
          : jsonResponse(200, { items: [{ id: 1, kind: 'phone', value: '+79123456789' }, { id: 2, kind: 'username', value: 'boris' }], next_cursor: 'e2' }),
      [`POST ${BASE}/5/entries`]: () => jsonResponse(200, { audience: audience(5, { name: 'Club', size: 4 }), report: { added: 1, duplicates: 0, rejected: [], rejected_count: 0 } }),
      [`GET ${BASE}/5/export`]: (req) => {
        exportAuth = req.headers.get('authorization');
        return new Response('kind,value\nphone,+79123456789\n', { status: 200, headers: { 'content-type': 'text/csv' } });
      },
      [`DELETE ${BASE}/5`]: () => new Response(null, { status: 204 }),
    });
    renderUi(
      <Routes>
        <Route path="/automation/audiences/:id" element={<AudienceDetail id={5} />} />
        <Route path="/automation/audiences" element={<p>the list</p>} />
      </Routes>,
      { path: '/automation/audiences/5' },
    );
    await waitFor(() => expect(screen.getAllByTestId('entry')).toHaveLength(2));
    expect(screen.getByTestId('audience-detail-size').textContent).toBe('3 people');
    expect(screen.getAllByTestId('entry').map((e) => e.textContent)).toEqual(['phone +79123456789', 'username @boris']);
    fireEvent.click(screen.getByTestId('entries-more'));
    await waitFor(() => expect(screen.getAllByTestId('entry')).toHaveLength(3));

    fireEvent.change(screen.getByLabelText('People, one a line'), { target: { value: '@dan' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add to the audience' }));
    expect((await screen.findByTestId('report-added')).textContent).toBe('1 added');
    await waitFor(() => expect(screen.getByTestId('audience-detail-size').textContent).toBe('4 people'));

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(exportAuth).toBe('Bearer owner-token');
    expect(createObjectURL).toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Delete the audience Club' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete the audience?' });
    expect(dialog.textContent).toContain('its numbers are erased, and so are the contacts campaigns took from it');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('the list')).toBeTruthy();
    expect(calls).toContain(`DELETE ${BASE}/5`);
    click.mockRestore();
  });
});
