import { useMutation } from '@tanstack/react-query';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import type { ImportReport } from '../../api/types';
import { useI18n, type Key } from '../../i18n/index';
import { ErrorNote, Field, fieldError } from '../../ui/common';
import { Icon } from '../../ui/Icon';
import { REGIONS, rejectReason as reasonKey } from './automation';

export interface ImportInput {
  name: string;
  text: string;
  region: string;
}

/**
 * The lines of people to import, for a new audience (with its name) or into one (`named`
 * false): typed or pasted, or read from a .txt/.csv file into the box, where they can still be
 * checked; a region for numbers without a country code. `send` makes the request; the report
 * of the answer shows under the form until the next import.
 */
export function ImportForm({
  named,
  send,
  onDone,
  testId,
}: {
  named: boolean;
  send: (input: ImportInput) => Promise<ImportReport>;
  onDone?: () => void;
  testId: string;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<ImportInput>({ name: '', text: '', region: '' });
  const [fileError, setFileError] = useState(false);
  const run = useMutation({
    mutationFn: send,
    onSuccess: () => {
      setForm((f) => ({ ...f, name: '', text: '' }));
      onDone?.();
    },
  });
  const error = run.error;
  const atName = fieldError(error, 'name');
  const atText = fieldError(error, 'text');
  const atRegion = fieldError(error, 'region');
  const elsewhere = error && !atName && !atText && !atRegion ? error : null;
  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      const text = await file.text();
      setFileError(false);
      // A new audience takes the file's name unless one was typed.
      setForm((f) => ({ ...f, text, name: f.name || file.name.replace(/\.(txt|csv)$/i, '') }));
    } catch {
      setFileError(true);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate(form);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid={testId}>
      {named ? (
        <Field label={t('automation.audienceName')} error={atName}>
          {(p) => <input {...p} autoComplete="off" maxLength={64} value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} data-testid="import-name" />}
        </Field>
      ) : null}
      <Field label={t('automation.importText')} error={atText} hint={t('automation.importTextHint')}>
        {(p) => (
          <textarea
            {...p}
            rows={6}
            spellCheck={false}
            placeholder={'+7 912 345-67-89\n@anna\nt.me/boris'}
            value={form.text}
            onChange={(e) => setForm((f) => ({ ...f, text: e.target.value }))}
            data-testid="import-text"
          />
        )}
      </Field>
      <label className="button small file-pick">
        <Icon name="paperclip" size={14} /> {t('automation.importFile')}
        <input type="file" accept=".txt,.csv,text/plain,text/csv" className="visually-hidden" onChange={(e) => void pick(e)} data-testid="import-file" />
      </label>
      {fileError ? <p className="error-note" role="alert">{t('automation.fileUnreadable')}</p> : null}
      <Field label={t('automation.region')} error={atRegion} hint={t('automation.regionHint')}>
        {(p) => (
          <select {...p} value={form.region} onChange={(e) => setForm((f) => ({ ...f, region: e.target.value }))} data-testid="import-region">
            {REGIONS.map((r) => (
              <option key={r} value={r}>
                {r ? `${r} (${regionName(r, t('automation.regionNone'))})` : t('automation.regionNone')}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ErrorNote error={elsewhere} />
      <div className="row">
        <button type="submit" className="button primary" disabled={run.isPending || !form.text.trim() || (named && !form.name.trim())} data-testid={`${testId}-submit`}>
          <Icon name="plus" size={16} /> {t(named ? 'automation.importNew' : 'automation.importMore')}
        </button>
      </div>
      {run.data ? <ReportView report={run.data} /> : null}
    </form>
  );
}

/** The country's name in the UI language, where the browser knows it. */
function regionName(code: string, fallback: string): string {
  try {
    return new Intl.DisplayNames([document.documentElement.lang || 'en'], { type: 'region' }).of(code) ?? fallback;
  } catch {
    return code;
  }
}

/** What an import took and refused: counts, and each rejected line with its number and why. */
export function ReportView({ report }: { report: ImportReport }) {
  const { t } = useI18n();
  return (
    <div className="auto-report stack" role="status" data-testid="import-report">
      <p>
        <span data-testid="report-added">{t('automation.reportAdded', { count: report.added })}</span>
        {' · '}
        <span data-testid="report-duplicates">{t('automation.reportDuplicates', { count: report.duplicates })}</span>
        {' · '}
        <span data-testid="report-rejected">{t('automation.reportRejected', { count: report.rejected_count })}</span>
      </p>
      {report.rejected.length > 0 ? (
        <ul className="plain-list auto-rejected" aria-label={t('automation.rejectedLines')}>
          {report.rejected.map((r) => (
            <li key={r.line} data-testid="rejected-line" data-line={r.line}>
              <strong>{t('automation.lineNo', { line: r.line })}</strong> <code>{r.text}</code> — {reasonKey(r.reason) ? t(reasonKey(r.reason) as Key) : r.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {report.rejected_count > report.rejected.length ? (
        <p className="muted small">{t('automation.rejectedMore', { count: report.rejected_count - report.rejected.length })}</p>
      ) : null}
    </div>
  );
}
