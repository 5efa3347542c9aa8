import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { PrivacyCard } from './PrivacyCard';

const PATH = '/api/v1/users/me/privacy';
const select = () => screen.getByTestId('privacy-add-to-groups') as HTMLSelectElement;

beforeEach(() => {
  session.accept({ access_token: 'a', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
});

describe('Settings → Privacy', () => {
  it('shows who may add me to groups and saves a change, the select following the server', async () => {
    const puts: unknown[] = [];
    serve({
      [`GET ${PATH}`]: () => jsonResponse(200, { add_to_groups: 'everyone' }),
      [`PUT ${PATH}`]: async (req) => {
        const body = (await req.json()) as { add_to_groups: string };
        puts.push(body);
        return jsonResponse(200, body);
      },
    });
    renderUi(<PrivacyCard />);
    await screen.findByRole('region', { name: 'Privacy' });
    await waitFor(() => expect(select().value).toBe('everyone'));
    expect([...select().options].map((o) => o.textContent)).toEqual(['Everyone', 'People I share a chat with', 'Nobody']);
    fireEvent.change(select(), { target: { value: 'shared_chats' } });
    await waitFor(() => expect(puts).toEqual([{ add_to_groups: 'shared_chats' }]));
    await waitFor(() => expect(select().disabled).toBe(false));
    expect(select().value).toBe('shared_chats');
  });

  it('says why a change was not saved and keeps the saved choice', async () => {
    serve({
      [`GET ${PATH}`]: () => jsonResponse(200, { add_to_groups: 'nobody' }),
      [`PUT ${PATH}`]: () => jsonResponse(503, { error: { code: 'unavailable', message: 'the users service is unavailable' } }),
    });
    renderUi(<PrivacyCard />);
    await waitFor(() => expect(select().value).toBe('nobody'));
    fireEvent.change(select(), { target: { value: 'everyone' } });
    await screen.findByRole('alert');
    expect(select().value).toBe('nobody');
  });
});
