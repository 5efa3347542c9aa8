import { cleanup, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import type { Lang } from '../../i18n/index';
import { renderUi } from '../../test/render';
import type { Upload, UploadState } from '../files/useUpload';
import { Composer, mentionAt } from './Composer';

/** An upload in a given state whose actions are spies. */
function fakeUpload(state: UploadState | null = null): Upload {
  return { state, start: vi.fn(), clear: vi.fn() };
}

const report = new File(['x'.repeat(4096)], 'report.txt', { type: 'text/plain' });
const stored = { id: 7, name: 'report.txt', content_type: 'text/plain', size: 4096, sha256: '', created_at: 0, avatar: false, attach_token: 'tok' };

function setup(over: Partial<Parameters<typeof Composer>[0]> = {}) {
  const props = {
    chatId: 1,
    disabledReason: null,
    replyTo: null,
    editing: null,
    candidates: [
      { id: 2, username: 'alice', display_name: 'Alice', bio: '', created_at: 0 },
      { id: 3, username: 'bob', display_name: '', bio: '', created_at: 0 },
    ],
    onCancelReply: vi.fn(),
    onCancelEdit: vi.fn(),
    onSend: vi.fn(),
    onSaveEdit: vi.fn(),
    onEditLast: vi.fn(),
    onTyping: vi.fn(),
    upload: fakeUpload(),
    ...over,
  };
  renderUi(<Composer {...props} />, { lang: (over as { lang?: Lang }).lang ?? 'en' });
  const box = screen.getByRole('combobox') as HTMLTextAreaElement;
  const type = (value: string) => fireEvent.change(box, { target: { value, selectionStart: value.length } });
  return { props, box, type };
}

describe('Composer', () => {
  it('sends with Enter and adds a line with Shift+Enter', () => {
    const { props, box, type } = setup();
    type('hello');
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(props.onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).toHaveBeenCalledWith('hello');
    expect(box.value).toBe('');
    expect(props.onTyping).toHaveBeenCalled();
  });

  it('counts UTF-16 code units near the limit and refuses text over it', () => {
    const { props, box, type } = setup();
    type('a'.repeat(3000));
    expect(screen.queryByTestId('composer-counter')).toBeNull();
    type(`${'a'.repeat(4000)}👍`); // the emoji is two code units
    expect(screen.getByTestId('composer-counter').textContent).toBe('94');
    type('a'.repeat(4097));
    expect(screen.getByTestId('composer-counter').textContent).toBe('-1');
    expect(screen.getByRole('alert').textContent).toBe('The message is 1 character too long: shorten it to send.');
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
    type('a'.repeat(4096));
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).toHaveBeenCalledWith('a'.repeat(4096));
  });

  it('does not send blank text', () => {
    const { props, box, type } = setup();
    type('   ');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
  });

  it('suggests members after @ and inserts the picked username', () => {
    const { box, type } = setup();
    type('hi @al');
    const options = screen.getAllByRole('option');
    expect(options).toHaveLength(1);
    expect(options[0]?.textContent).toContain('@alice');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('hi @alice ');
  });

  it('suggests only the chat\'s members, by username or any word of the name', () => {
    const { type } = setup({
      candidates: [
        { id: 2, username: 'alice', display_name: 'Alice Ёлкина' },
        { id: 3, username: 'bob', display_name: '' },
      ],
    });
    type('@елк');
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([expect.stringContaining('@alice')]);
    type('@carol');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
  });

  it('Escape closes the suggestions', () => {
    const { box, type } = setup();
    type('@');
    expect(screen.getAllByRole('option')).toHaveLength(2);
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('↑ in an empty box edits the last message', () => {
    const { props, box } = setup();
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(props.onEditLast).toHaveBeenCalled();
  });

  it('shows why it is read-only', () => {
    renderUi(
      <Composer
        chatId={1}
        disabledReason="Only admins post in this channel."
        replyTo={null}
        editing={null}
        candidates={[]}
        onCancelReply={vi.fn()}
        onCancelEdit={vi.fn()}
        onSend={vi.fn()}
        onSaveEdit={vi.fn()}
        onEditLast={vi.fn()}
        onTyping={vi.fn()}
        upload={fakeUpload()}
      />,
    );
    expect(screen.getByText('Only admins post in this channel.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Attach a file' })).toBeNull();
  });
});

describe('Composer without files', () => {
  it('offers no paperclip where the server keeps no files, and pastes files as nothing', () => {
    const { box } = setup({ upload: undefined });
    expect(screen.queryByRole('button', { name: 'Attach a file' })).toBeNull();
    fireEvent.paste(box, { clipboardData: { files: [report], getData: () => '' } });
    expect(screen.queryByTestId('upload-draft')).toBeNull();
  });
});

describe('Composer with files', () => {
  it('uploads the file picked with the paperclip', () => {
    const upload = fakeUpload();
    setup({ upload });
    const input = screen.getByTestId('attach-input') as HTMLInputElement;
    fireEvent.change(input, { target: { files: [report] } });
    expect(upload.start).toHaveBeenCalledWith(report);
  });

  it('uploads a pasted file, and leaves pasted text alone', () => {
    const upload = fakeUpload();
    const { box } = setup({ upload });
    fireEvent.paste(box, { clipboardData: { files: [report], getData: () => '' } });
    expect(upload.start).toHaveBeenCalledWith(report);
    fireEvent.paste(box, { clipboardData: { files: [report], getData: () => 'some text' } });
    expect(upload.start).toHaveBeenCalledTimes(1);
  });

  it('shows the progress in bytes and waits for the upload before sending', () => {
    const upload = fakeUpload({ status: 'uploading', file: report, sent: 1536, total: 4096 });
    const { props, box, type } = setup({ upload });
    expect(screen.getByTestId('upload-progress').textContent).toBe('1.5\u00a0KB of 4\u00a0KB');
    expect(screen.getByRole('progressbar', { name: 'Uploading report.txt' })).toBeTruthy();
    type('the caption');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel upload' }));
    expect(upload.clear).toHaveBeenCalled();
  });

  it('sends the uploaded file with the caption, or with no text at all', () => {
    const upload = fakeUpload({ status: 'done', file: report, info: stored, at: 5 });
    const { props, box } = setup({ upload });
    expect(box.placeholder).toBe('Add a caption…');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).toHaveBeenCalledWith('', { info: stored, at: 5 });
    expect(upload.clear).toHaveBeenCalled();
  });

  it('says why a file was not uploaded, in the UI language, and sends nothing', () => {
    const tooBig = new ApiError(413, { code: 'file_too_large', message: 'a file may have at most 1000 bytes' });
    const upload = fakeUpload({ status: 'failed', file: report, error: tooBig });
    const { props, box, type } = setup({ upload });
    expect(screen.getByRole('alert').textContent).toBe('Not uploaded: The file is too big: a file may be at most 1,000\u00a0B.');
    type('hello');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(props.onSend).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Remove the file' }));
    expect(upload.clear).toHaveBeenCalled();
  });

  it('shows a small preview of a picture being sent, from the local file', () => {
    const made: Blob[] = [];
    const revoked: string[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => (made.push(b as Blob), `blob:local/${made.length}`));
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation((u) => void revoked.push(u));
    const photo = new File(['jpeg'], 'photo.jpg', { type: 'image/jpeg' });
    setup({ upload: fakeUpload({ status: 'uploading', file: photo, sent: 1, total: 4 }) });
    const preview = screen.getByTestId('upload-preview');
    expect(preview.getAttribute('src')).toBe('blob:local/1');
    expect(made).toEqual([photo]);
    // A picture the browser cannot draw (HEIC) shows the icon instead.
    fireEvent.error(preview);
    expect(screen.queryByTestId('upload-preview')).toBeNull();
    cleanup();
    expect(revoked).toEqual(['blob:local/1']);
    // Anything else has its icon, and no object URL.
    setup({ upload: fakeUpload({ status: 'uploading', file: report, sent: 1, total: 4 }) });
    expect(screen.queryByTestId('upload-preview')).toBeNull();
    expect(made).toHaveLength(1);
  });

  it('says why a picture was refused for its size, in words', () => {
    const bomb = new ApiError(422, { code: 'image_too_large', message: 'the picture is 10000×10000 pixels: at most 50000000 pixels are processed: this server does not take it' });
    setup({ upload: fakeUpload({ status: 'failed', file: new File(['png'], 'bomb.png', { type: 'image/png' }), error: bomb }) });
    expect(screen.getByRole('alert').textContent).toBe('Not uploaded: The picture is too large: 10,000 × 10,000 pixels, and this server takes at most 50 megapixels.');
  });

  it('speaks Russian', () => {
    const quota = new ApiError(413, { code: 'quota_exceeded', message: 'this upload would take you past your storage quota' });
    setup({ upload: fakeUpload({ status: 'failed', file: report, error: quota }), lang: 'ru' } as never);
    expect(screen.getByRole('alert').textContent).toBe('Не загружено: Место для файлов закончилось: удалите ненужные файлы и попробуйте снова.');
    expect(screen.getByRole('button', { name: 'Прикрепить файл' })).toBeTruthy();
  });
});

describe('mentionAt', () => {
  it('finds the @word before the caret', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionAt('mail a@b', 8)).toBeNull();
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
  });
});
