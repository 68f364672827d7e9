/**
 * Zendesk's paging schemes: the incremental cursor export (opaque cursor of the last row's
 * (timestamp, id)), the time-based export (start_time / end_time, the boundary item repeats) and the
 * cursor pagination of ordinary lists (page[size] ≤ 100, page[after] / page[before], meta + links).
 */
import type { ZdObject } from './types.js';

/** An answer a route handler gives: JSON `body`, or raw `text`. */
export interface Answer {
  status: number;
  body?: unknown;
  text?: string | Buffer;
  headers?: Record<string, string>;
}

export const zdError = (status: number, error: string, description: string): Answer => ({ status, body: { error, description } });
export const notFound = (): Answer => zdError(404, 'RecordNotFound', 'Not found');

export type Key = [number, number];
const after = (a: Key, b: Key): boolean => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** Zendesk-like cursor text: base64("<ts>.0||<id>|"). */
export function encodeExportCursor(key: Key): string {
  return Buffer.from(`${key[0]}.0||${key[1]}|`).toString('base64');
}

export function decodeExportCursor(cursor: string): Key | undefined {
  const m = /^(\d+)\.0\|\|(\d+)\|$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** A non-negative integer query parameter; undefined when absent, an Answer when invalid. */
export function intParam(q: URLSearchParams, name: string, max?: number, min = 0): number | undefined | Answer {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) return zdError(400, 'InvalidPaginationParameter', `${name} must be an integer ≥ ${min}`);
  const n = Number(raw);
  if (max !== undefined && n > max) return zdError(400, 'InvalidPaginationParameter', `${name} must be ≤ ${max}`);
  return n;
}

export const isAnswer = (v: unknown): v is Answer => typeof v === 'object' && v !== null && 'status' in v;

export interface Row {
  key: Key;
  view(): ZdObject;
}

/**
 * One page of a cursor export over `rows` (sorted, already filtered to what the caller may see).
 * Rows after `pos`; when the next one lies more than `gap` seconds beyond `pos` (gap > 0), the page is
 * empty, end_of_stream false, and the cursor moves to just before that row.
 */
export function cursorPage(rows: Row[], pos: Key, perPage: number, gap: number): { page: Row[]; next: Key; endOfStream: boolean } {
  const rest = rows.filter((r) => after(r.key, pos));
  const first = rest[0];
  if (first === undefined) return { page: [], next: pos, endOfStream: true };
  if (gap > 0 && first.key[0] > pos[0] + gap) return { page: [], next: [first.key[0] - 1, 0], endOfStream: false };
  const page = rest.slice(0, perPage);
  const last = page[page.length - 1] as Row;
  return { page, next: last.key, endOfStream: rest.length <= perPage };
}

/**
 * One page of a time-based export: rows with timestamp ≥ start, up to perPage (more when the whole
 * page shares one timestamp, so that end_time moves on). end_time = the last row's timestamp: the next
 * page starts there again, so boundary rows repeat.
 */
export function timePage(rows: Row[], start: number, perPage: number): { page: Row[]; endTime: number; endOfStream: boolean } {
  const rest = rows.filter((r) => r.key[0] >= start);
  let page = rest.slice(0, perPage);
  const firstTs = page[0]?.key[0];
  const lastTs = page[page.length - 1]?.key[0];
  if (firstTs !== undefined && firstTs === lastTs && rest.length > page.length) page = rest.filter((r) => r.key[0] === firstTs);
  return { page, endTime: lastTs ?? start, endOfStream: page.length === rest.length };
}

const encodeListCursor = (key: Key): string => Buffer.from(JSON.stringify(key)).toString('base64url');
function decodeListCursor(c: string): Key | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number') ? (v as Key) : undefined;
  } catch {
    return undefined;
  }
}

/** Cursor pagination of an ordinary list (rows sorted by key): `{[name]: […], meta, links}`. */
export function listPage(rows: Row[], name: string, q: URLSearchParams, baseUrl: string, path: string): Answer {
  const size = intParam(q, 'page[size]', 100, 1);
  if (isAnswer(size)) return size;
  const pageSize = size ?? 100;
  const cursorOf = (p: 'page[after]' | 'page[before]'): Key | undefined | Answer => {
    const raw = q.get(p);
    if (raw === null) return undefined;
    return decodeListCursor(raw) ?? zdError(400, 'InvalidPaginationParameter', `${p} is not a valid cursor`);
  };
  const afterKey = cursorOf('page[after]');
  const beforeKey = cursorOf('page[before]');
  if (isAnswer(afterKey)) return afterKey;
  if (isAnswer(beforeKey)) return beforeKey;
  let page: Row[];
  if (beforeKey !== undefined) {
    const earlier = rows.filter((r) => after(beforeKey, r.key));
    page = earlier.slice(Math.max(0, earlier.length - pageSize));
  } else {
    page = rows.filter((r) => afterKey === undefined || after(r.key, afterKey)).slice(0, pageSize);
  }
  const first = page[0];
  const last = page[page.length - 1];
  const moreAfter = last !== undefined && rows.some((r) => after(r.key, last.key));
  const moreBefore = first !== undefined && rows.some((r) => after(first.key, r.key));
  const link = (p: string, key: Key): string => `${baseUrl}${path}?${new URLSearchParams({ 'page[size]': String(pageSize), [p]: encodeListCursor(key) }).toString()}`;
  return {
    status: 200,
    body: {
      [name]: page.map((r) => r.view()),
      meta: {
        has_more: beforeKey !== undefined ? moreBefore : moreAfter,
        after_cursor: last ? encodeListCursor(last.key) : null,
        before_cursor: first ? encodeListCursor(first.key) : null,
      },
      links: { next: last && moreAfter ? link('page[after]', last.key) : null, prev: first && moreBefore ? link('page[before]', first.key) : null },
    },
  };
}
