import { screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { renderUi } from '../test/render';
import { ErrorNote, Field } from './common';

describe('ErrorNote', () => {
  it('offers "Try again" for a busy server, with the wait, but not for a refused value', () => {
    const busy = new ApiError(503, { code: 'busy', message: 'busy' }, 30);
    const { unmount } = renderUi(<ErrorNote error={busy} onRetry={vi.fn()} />);
    expect(screen.getByRole('alert').textContent).toContain('The server is busy. Try again in 30 seconds.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
    unmount();
    renderUi(<ErrorNote error={new ApiError(422, { code: 'validation_failed', message: 'must be at most 64 characters', field: 'display_name' })} onRetry={vi.fn()} />, { lang: 'ru' });
    expect(screen.getByRole('alert').textContent).toContain('Отображаемое имя: не длиннее 64 символов.');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('a field shows its rule without naming itself', () => {
    renderUi(
      <Field label="Username" error={new ApiError(422, { code: 'validation_failed', message: 'must start with a letter', field: 'username' })}>
        {(p) => <input {...p} />}
      </Field>,
    );
    expect(screen.getByRole('alert').textContent).toBe('Must start with a letter.');
  });
});
