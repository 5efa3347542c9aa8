import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { AddPolicy } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { Card, ErrorNote, Spinner } from '../../ui/common';

export const ADD_POLICIES: readonly AddPolicy[] = ['everyone', 'shared_chats', 'nobody'];

/**
 * Settings → Privacy: who may add me to groups and channels. The server enforces it on every
 * add (people it stops get `privacy_restricted` and can send an invite link instead).
 */
export function PrivacyCard() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const privacy = useQuery({ queryKey: keys.privacy, queryFn: api.privacy });
  const save = useMutation({
    mutationFn: (policy: AddPolicy) => api.setPrivacy(policy),
    onSuccess: (saved) => qc.setQueryData(keys.privacy, saved),
  });
  // While a change is saving the select shows it, not the value it replaces.
  const shown = save.isPending ? save.variables : privacy.data?.add_to_groups;
  return (
    <Card title={t('privacy.title')} testId="privacy-settings">
      {privacy.data ? (
        <label className="select-field">
          <span>{t('privacy.addToGroups')}</span>
          <select
            value={shown}
            disabled={save.isPending}
            onChange={(e) => save.mutate(e.target.value as AddPolicy)}
            data-testid="privacy-add-to-groups"
          >
            {ADD_POLICIES.map((p) => (
              <option key={p} value={p}>
                {t(`privacy.addToGroups.${p}`)}
              </option>
            ))}
          </select>
        </label>
      ) : privacy.isPending ? (
        <Spinner />
      ) : (
        <ErrorNote error={privacy.error} onRetry={() => void privacy.refetch()} />
      )}
      <p className="muted small">{t('privacy.addToGroupsHint')}</p>
      <ErrorNote error={save.error} />
    </Card>
  );
}
