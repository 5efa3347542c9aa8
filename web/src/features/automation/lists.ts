/**
 * The automation lists as the screens cache them: pages of `{items, next_cursor}` from TanStack
 * Query's `useInfiniteQuery`. One set of helpers for all four sections, so an answer (a new
 * audience, a paused account, a parse's frame) lands in the cached pages without a refetch.
 */
import { useInfiniteQuery, type InfiniteData, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { isApiError } from '../../api/errors';

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export type Paged<T> = InfiniteData<Page<T>, string | undefined>;

interface WithId {
  id: number;
}

/** Every item loaded so far, in the API's order. */
export function itemsOf<T>(list: Paged<T> | undefined): T[] {
  return list?.pages.flatMap((p) => p.items) ?? [];
}

/**
 * The pages with `item` as the server answers it now: replaced where it is, else added at the
 * `end` its list grows at (`first` for the newest-first lists, `last` for oldest-first ones).
 */
export function withItem<T extends WithId>(list: Paged<T> | undefined, item: T, end: 'first' | 'last'): Paged<T> {
  const pages = list?.pages ?? [];
  const pageParams = list?.pageParams ?? [undefined];
  if (pages.some((p) => p.items.some((x) => x.id === item.id))) {
    return { pageParams, pages: pages.map((p) => ({ ...p, items: p.items.map((x) => (x.id === item.id ? item : x)) })) };
  }
  if (pages.length === 0) return { pageParams: [undefined], pages: [{ items: [item], next_cursor: null }] };
  const at = end === 'first' ? 0 : pages.length - 1;
  return {
    pageParams,
    pages: pages.map((p, i) => (i === at ? { ...p, items: end === 'first' ? [item, ...p.items] : [...p.items, item] } : p)),
  };
}

/** The pages with `item` replaced where it is loaded; unchanged (the same object) when it is not. */
export function replaced<T extends WithId>(list: Paged<T> | undefined, item: T): Paged<T> | undefined {
  if (!list || !list.pages.some((p) => p.items.some((x) => x.id === item.id))) return list;
  return withItem(list, item, 'last');
}

export function withoutItem<T extends WithId>(list: Paged<T> | undefined, id: number): Paged<T> | undefined {
  if (!list) return list;
  return { ...list, pages: list.pages.map((p) => ({ ...p, items: p.items.filter((x) => x.id !== id) })) };
}

/**
 * Puts `item` into the cached list under `key` (see `withItem`). A list not loaded stays so: a
 * page of one item would pass for the whole list.
 */
export function storeItem<T extends WithId>(qc: QueryClient, key: QueryKey, item: T, end: 'first' | 'last'): void {
  qc.setQueryData<Paged<T>>(key, (list) => (list ? withItem(list, item, end) : list));
}

export function dropItem<T extends WithId>(qc: QueryClient, key: QueryKey, id: number): void {
  qc.setQueryData<Paged<T>>(key, (list) => withoutItem(list, id));
}

/** A 404 from a list: the server has no automation service. */
export function isAbsent(e: unknown): boolean {
  return isApiError(e) && e.status === 404;
}

/**
 * A paged list of the API: `fetchPage(cursor)` is its endpoint. `refetchInterval` keeps it
 * fresh while something in it moves (a running parse) in case a socket frame was missed.
 */
export function usePaged<T>(key: QueryKey, fetchPage: (cursor?: string) => Promise<Page<T>>, options: { refetchInterval?: (list: Paged<T> | undefined) => number | false; enabled?: boolean } = {}) {
  return useInfiniteQuery<Page<T>, Error, Paged<T>, QueryKey, string | undefined>({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: options.enabled,
    refetchInterval: options.refetchInterval ? (q) => options.refetchInterval?.(q.state.data as Paged<T> | undefined) ?? false : undefined,
  });
}
