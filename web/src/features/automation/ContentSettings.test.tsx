import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContentSettings, ContentSettingsChange } from '../../api/types';
import { jsonResponse, renderUi, serve } from '../../test/render';
import { session } from '../auth/session';
import { ContentSettingsCard } from './ContentSettings';

const PATH = '/api/v1/automation/content/settings';
const defaults: ContentSettings = {
  base_url: 'https://api.openai.com/v1',
  has_api_key: false,
  model: '',
  summary_prompt: 'Summarise "{book}" ({chapter}):\n\n{text}',
  post_prompt: 'Write a post from:\n\n{summary}',
  price_in: 0,
  price_out: 0,
  requests_per_minute: 20,
};

/** A settings server that keeps what it is sent (the key only as "set"), refusing a prompt without its placeholder. */
function serveSettings(start: ContentSettings) {
  const state = { now: start, sent: [] as ContentSettingsChange[] };
  serve({
    [`GET ${PATH}`]: () => jsonResponse(200, state.now),
    [`PATCH ${PATH}`]: async (req) => {
      const change = (await req.json()) as ContentSettingsChange;
      state.sent.push(change);
      if (change.summary_prompt !== undefined && !change.summary_prompt?.includes('{text}')) {
        return jsonResponse(422, { error: { code: 'validation_failed', message: 'must contain {text}, where it goes', field: 'summary_prompt' } });
      }
      const { api_key, ...rest } = change;
      state.now = { ...state.now, ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)) as Partial<ContentSettings>) };
      if (api_key !== undefined && api_key !== null) state.now = { ...state.now, has_api_key: api_key !== '' };
      return jsonResponse(200, state.now);
    },
  });
  return state;
}

beforeEach(() => {
  session.accept({ access_token: 'owner-token', expires_in: 900, session_id: 4, user: { id: 1, username: 'anna' } });
});

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Automation → Content: the AI provider', () => {
  it('sets a key it never shows again, a preset address and a model; sends only what changed; removes the key', async () => {
    const state = serveSettings(defaults);
    renderUi(<ContentSettingsCard />);
    const form = await screen.findByTestId('content-settings-form');
    expect(within(form).getByTestId('settings-key-state').textContent).toBe('no key');
    expect(within(form).getByTestId('settings-offline').textContent).toContain('No model: offline.');
    const save = within(form).getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    fireEvent.click(within(form).getByRole('button', { name: 'Together.ai' }));
    expect((within(form).getByLabelText('API address') as HTMLInputElement).value).toBe('https://api.together.xyz/v1');
    const key = within(form).getByLabelText('API key') as HTMLInputElement;
    expect(key.type).toBe('password');
    expect(key.value).toBe('');
    fireEvent.change(key, { target: { value: ' sk-very-secret ' } });
    fireEvent.change(within(form).getByLabelText('Model'), { target: { value: 'meta-llama/Llama-3-8b-chat-hf' } });
    expect(within(form).queryByTestId('settings-offline')).toBeNull();
    fireEvent.change(within(form).getByLabelText('Price in, $'), { target: { value: '0,2' } });
    fireEvent.click(save);
    await waitFor(() => expect(within(form).getByTestId('settings-key-state').textContent).toBe('key set'));
    expect(state.sent).toEqual([{ base_url: 'https://api.together.xyz/v1', api_key: 'sk-very-secret', model: 'meta-llama/Llama-3-8b-chat-hf', price_in: 0.2 }]);
    // The key is nowhere on the page once sent: the box is empty again, only "key set" says it exists.
    expect((within(form).getByLabelText('New API key') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain('sk-very-secret');
    expect(within(form).getByRole('status').textContent).toContain('Saved');
    expect(save.disabled).toBe(true);

    fireEvent.click(within(form).getByRole('button', { name: 'Remove the key' }));
    await waitFor(() => expect(within(form).getByTestId('settings-key-state').textContent).toBe('no key'));
    expect(state.sent.at(-1)).toEqual({ api_key: '' });
    expect(within(form).queryByRole('button', { name: 'Remove the key' })).toBeNull();
  });

  it('says a broken prompt at its field and a number that is not one before sending, in Russian', async () => {
    const state = serveSettings({ ...defaults, has_api_key: true, model: 'gpt-4o-mini' });
    renderUi(<ContentSettingsCard />, { lang: 'ru' });
    const form = await screen.findByTestId('content-settings-form');
    expect(within(form).getByTestId('settings-key-state').textContent).toBe('ключ задан');
    expect((within(form).getByLabelText('Новый API-ключ') as HTMLInputElement).value).toBe('');
    expect(within(form).getByText(/\{summary\} — изложение блока/)).toBeTruthy();

    const rpm = within(form).getByLabelText('Запросов в минуту');
    fireEvent.change(rpm, { target: { value: 'много' } });
    expect(rpm.getAttribute('aria-invalid')).toBe('true');
    const save = within(form).getByRole('button', { name: 'Сохранить' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(rpm, { target: { value: '60' } });

    const prompt = within(form).getByLabelText('Запрос для изложения');
    fireEvent.change(prompt, { target: { value: 'Summarise it.' } });
    fireEvent.click(save);
    await waitFor(() => expect(prompt.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(prompt.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Должно содержать {text} — там, куда подставляется значение.');
    fireEvent.change(prompt, { target: { value: 'Summarise it: {text}' } });
    fireEvent.click(save);
    await waitFor(() => expect(prompt.getAttribute('aria-invalid')).toBe('false'));
    expect(state.sent).toEqual([
      { summary_prompt: 'Summarise it.', requests_per_minute: 60 },
      { summary_prompt: 'Summarise it: {text}', requests_per_minute: 60 },
    ]);
    expect(state.now.has_api_key).toBe(true);
  });
});
