import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/index';
import { ErrorNote, Field, fieldError } from './common';

/**
 * A name edited in place (a bot's, a book's): Save sends it trimmed, Cancel leaves it; the
 * server's refusal shows at the field, any other error under it. Test ids are `<testId>-form`,
 * `-input` and `-save`. `sendBlank` lets an empty name go to the server to be refused there;
 * otherwise Save waits for some text.
 */
export function RenameForm({
  name: current,
  label,
  error,
  pending,
  onCancel,
  onSave,
  testId,
  sendBlank = false,
}: {
  name: string;
  label: string;
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  onSave: (name: string) => void;
  testId: string;
  sendBlank?: boolean;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(current);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave(name.trim());
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid={`${testId}-form`}>
      <Field label={label} error={fieldError(error, 'name')}>
        {(p) => <input {...p} value={name} maxLength={64} autoComplete="off" onChange={(e) => setName(e.target.value)} data-testid={`${testId}-input`} />}
      </Field>
      {error && !fieldError(error, 'name') ? <ErrorNote error={error} /> : null}
      <div className="row">
        <button type="button" className="button small ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button small primary" disabled={pending || (!sendBlank && !name.trim())} data-testid={`${testId}-save`}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
