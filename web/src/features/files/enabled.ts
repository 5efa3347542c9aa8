/**
 * Whether this server keeps files (a deployment may leave the files service out of
 * `--services`):
 * asked once per session with `GET /files/usage`; until it answers, and on a 404, the client
 * offers no attaching.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { keys } from '../../state/keys';

export function useFilesEnabled(): boolean {
  const usage = useQuery({ queryKey: keys.filesUsage, queryFn: api.filesUsage, staleTime: Infinity });
  return usage.isSuccess;
}
