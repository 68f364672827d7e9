/** The pages of an http source: its first request, the list of records in a page, and the next page. */
import { PmError } from '../../core/errors.js';
import type { HttpSourceClient, HttpSourceResponse } from '../../http/client.js';
import { redactUrl } from '../../http/net.js';
import type { LiveSourceDecl } from '../../manifest/types.js';
import { evaluateExpr } from './records.js';

export interface RequestOption {
  readonly path: string;
  readonly query: Readonly<Record<string, string | number | boolean>>;
}

/** `request:` as the manifest wrote it (the schema checked its form). */
export function requestOf(decl: LiveSourceDecl): RequestOption {
  const r = decl.options['request'] as { path?: unknown; query?: unknown } | undefined;
  const query = typeof r?.query === 'object' && r.query !== null ? (r.query as Record<string, string | number | boolean>) : {};
  return { path: typeof r?.path === 'string' ? r.path : '/', query };
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Placeholders other than {{cursor}} in a text (for checkSource). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((n) => n !== 'cursor');
}

/** The first request: `{{cursor}}` in query values replaced by `cursor`; a value left empty is left out. */
export function firstUrl(http: HttpSourceClient, req: RequestOption, cursor: string): URL {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) {
    const text = String(v).replace(PLACEHOLDER, (all, name: string) => (name === 'cursor' ? cursor : all));
    if (text !== '') query[k] = text;
  }
  return http.resolve(req.path, query);
}

function notAList(decl: LiveSourceDecl, url: string, what: string): PmError {
  const e = decl.exprs['records'];
  return new PmError('pull.records-not-list', `source "${decl.name}": ${e ? `records \`${e.text}\`` : 'the response'} of GET ${redactUrl(url)} is ${what}, not a list of records`, {
    location: decl.location,
    path: `sources.${decl.name}.records`,
    hint: e ? 'records must give the list of records of a page, e.g. data or results' : 'set records: to where the list is in the response, e.g. records: data',
  });
}

/** The page's records: `records:` over the body (one object counts as a list of one), else the body when it is a list. */
export async function pageRecords(decl: LiveSourceDecl, res: HttpSourceResponse): Promise<unknown[]> {
  const e = decl.exprs['records'];
  const v = e ? await evaluateExpr(e, res.body) : res.body;
  if (v === undefined || v === null) {
    if (!e) throw notAList(decl, res.url, 'empty');
    return [];
  }
  if (Array.isArray(v)) return v;
  if (e && typeof v === 'object') return [v];
  throw notAList(decl, res.url, typeof v === 'object' ? 'an object' : `a ${typeof v}`);
}

/** The `rel="next"` target of a Link header, resolved against the page's URL. */
export function linkNext(link: string | null, base: string): URL | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(m[2]!);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rels.includes('next')) continue;
    try {
      return new URL(m[1]!, base);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Response headers as a plain object with lower-case names. */
export function plainHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/**
 * What `next:` is evaluated over: {body, headers, url, page}, with the body's own fields beside them when
 * the body is an object (so both `body.links.next` and `links.next` read the body's link; `page` is the
 * page number, `body.page` the body's field of that name).
 */
export function nextInput(res: HttpSourceResponse, page: number): Record<string, unknown> {
  const own = typeof res.body === 'object' && res.body !== null && !Array.isArray(res.body) ? (res.body as Record<string, unknown>) : {};
  return { ...own, body: res.body, headers: plainHeaders(res.headers), url: res.url, page };
}

/**
 * The next page's URL: `next:` over {body, headers, url, page} (see nextInput) gives a URL, a path (joined to the base
 * URL), or an object of query parameters set on the current URL (null removes one); nothing ends. Without
 * `next:`, a `Link: <…>; rel="next"` header is followed.
 */
/**
 * The next page: a URL or path (a link the API gave: followed even after an empty page, as an API that
 * filters pages may send one), or query parameters to set (page numbers: `empty` — the page had no
 * records — ends the stream, as counting pages up would never end).
 */
export async function nextUrl(decl: LiveSourceDecl, http: HttpSourceClient, res: HttpSourceResponse, page: number, empty = false): Promise<URL | undefined> {
  const e = decl.exprs['next'];
  if (!e) return linkNext(res.headers.get('link'), res.url);
  let v = await evaluateExpr(e, nextInput(res, page));
  if (Array.isArray(v) && v.length <= 1) v = v[0];
  if (v === undefined || v === null || v === '' || v === false) return undefined;
  if (typeof v === 'string') {
    if (/^https?:\/\//i.test(v)) return new URL(v);
    if (/^[a-z][a-z0-9+.-]*:/i.test(v)) throw badNext(decl, res.url, 'a URL that is not http(s)');
    return http.resolve(v);
  }
  if (typeof v === 'object' && !Array.isArray(v)) {
    if (empty) return undefined;
    const u = new URL(res.url);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || x === null) u.searchParams.delete(k);
      else if (typeof x === 'object') throw badNext(decl, res.url, `an object whose ${k} is not a single value`);
      else u.searchParams.set(k, String(x));
    }
    return u;
  }
  throw badNext(decl, res.url, Array.isArray(v) ? 'a list' : `a ${typeof v}`);
}

function badNext(decl: LiveSourceDecl, url: string, what: string): PmError {
  const e = decl.exprs['next']!;
  return new PmError('pull.next-invalid', `source "${decl.name}": next \`${e.text}\` after GET ${redactUrl(url)} gives ${what}`, {
    location: e.location,
    path: `sources.${decl.name}.next`,
    hint: "next must give the next page's URL or path, an object of query parameters such as {'page': page + 1}, or nothing on the last page",
  });
}
