/**
 * Front's lists (../shared/reference/source-apis.md §5 "Pagination and skeleton"): `{_pagination: {next},
 * _links, _results: []}`, `limit` ≤ 100 (events ≤ 15), the next page a full URL carrying `page_token`,
 * null at the end.
 *
 * Where the credentials go (decided here): §5 says the API is served at https://api2.frontapp.com while its
 * pagination links use https://{company}.api.frontapp.com — two origins of one account. The HTTP client sends
 * the token to the connection's own origin only, and that stays so: a `next` link on another origin is
 * re-based onto the connection's baseUrl (its path and query, page_token included, kept), so the token is
 * only ever sent where baseUrl points, and never to whatever host a link names. With baseUrl set to
 * https://{company}.api.frontapp.com (the recommended setting: attachment URLs are on that origin too) the
 * links are already on the connection's origin and are followed as they are.
 */
import { PmError } from '../../core/errors.js';
import type { HttpSourceClient } from '../../http/client.js';
import type { Pacer } from '../../http/ratelimit.js';

export interface FrontPage {
  readonly results: Array<Record<string, unknown>>;
  /** The next page's URL on the connection's origin, or undefined at the end. */
  readonly next: string | undefined;
}

/** `_pagination.next`, re-based onto the connection's origin (see above); undefined when null or absent. */
export function nextLink(http: HttpSourceClient, body: unknown): string | undefined {
  const raw = (body as { _pagination?: { next?: unknown } } | undefined)?._pagination?.next;
  if (typeof raw !== 'string' || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new PmError('pull.front-bad-link', `Front sent a _pagination.next that is not a URL`, { hint: 'report this: the pull cannot page past it; what was pulled so far is kept' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new PmError('pull.front-bad-link', `Front sent a _pagination.next that is not http(s)`);
  if (u.origin === http.origin) return u.href;
  return http.resolve(`${u.pathname}${u.search}`).href;
}

export function results(body: unknown): Array<Record<string, unknown>> {
  const r = (body as { _results?: unknown } | undefined)?._results;
  return Array.isArray(r) ? (r.filter((x) => typeof x === 'object' && x !== null && !Array.isArray(x) && 'id' in x) as Array<Record<string, unknown>>) : [];
}

export async function getPage(
  http: HttpSourceClient,
  url: string,
  signal: AbortSignal,
  accept?: readonly number[],
  /** The route's own limit (a resource-intensive route's burst), besides the company's. */
  pacer?: Pacer,
): Promise<FrontPage & { status: number; location: string | null }> {
  const res = await http.getJson(new URL(url), { signal, ...(accept ? { accept } : {}), ...(pacer ? { pacer } : {}) });
  if (res.status >= 300) return { status: res.status, results: [], next: undefined, location: res.headers.get('location') };
  return { status: res.status, results: results(res.body), next: nextLink(http, res.body), location: null };
}
