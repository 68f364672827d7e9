/** Relay cursor pagination as Plain documents it: default 25, max 100, no mixing of directions. */
import { GraphQLError } from 'graphql';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

const encode = (key: string): string => Buffer.from(`cursor:${key}`, 'utf8').toString('base64url');

function decode(cursor: string, keys: string[], name: string): number {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const index = raw.startsWith('cursor:') ? keys.indexOf(raw.slice('cursor:'.length)) : -1;
  if (index < 0) throw badInput(`Invalid cursor given for "${name}"`);
  return index;
}

function checkSize(value: number | null | undefined, name: string): void {
  if (value == null) return;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw badInput(`"${name}" must be between 0 and ${MAX_PAGE_SIZE} (got ${value})`);
  }
}

export function paginate<T, N>(items: readonly T[], key: (item: T) => string, args: PageArgs, node: (item: T) => N): Connection<N> {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw badInput('"first" and "last" cannot be used together');
  if (first != null && before != null) throw badInput('"first" cannot be used with "before"; use "first" with "after" or "last" with "before"');
  if (last != null && after != null) throw badInput('"last" cannot be used with "after"; use "first" with "after" or "last" with "before"');
  if (after != null && before != null) throw badInput('"after" and "before" cannot be used together');
  checkSize(first, 'first');
  checkSize(last, 'last');

  const keys = items.map(key);
  let start = 0;
  let end = items.length;
  if (after != null) start = decode(after, keys, 'after') + 1;
  if (before != null) end = decode(before, keys, 'before');
  if (last != null) start = Math.max(start, end - last);
  else end = Math.min(end, start + (first ?? DEFAULT_PAGE_SIZE));

  const edges = items.slice(start, end).map((item, i) => ({ cursor: encode(keys[start + i] ?? ''), node: node(item) }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: start > 0,
      hasNextPage: end < items.length,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
