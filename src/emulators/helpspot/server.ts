/**
 * startHelpSpotEmulator: a strict HelpSpot Web Service API (private methods) on loopback, following
 * ../shared/reference/source-apis.md §6 and its §8 checklist. For each request to /api/index.php, in order:
 * auth (no credentials: 401 with WWW-Authenticate and errors 1 and 2; wrong ones: HTTP 400 with error 2) →
 * the optional proxy limit (429; HelpSpot itself has none) → latency → faults → the method (unknown: error
 * 201). Every answer carries X-HelpSpot-API.
 *
 * Rules: XML unless output=json; JSON has no root wrapper (`private.request.get` answers the request's fields
 * at the top level, the lists `{"request":[…]}`); getChanged answers one id per request-history row newer than
 * dtGMTChange (strict >, duplicates, no order, no paging); getAllStaff and getCategories answer objects keyed
 * by id; without fRawValues=1 ids become labels; a merged id answers with the request it was merged into; a
 * trashed request keeps fTrash 1 and is left out of search, as is spam (xStatus 2).
 * Files: private_url (/admin.php?pg=file…) needs the staff credentials; public_url (/index.php?pg=file…) does not.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBodyBuffer, sendJson, sleep } from '../common/http.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { checkHelpSpotSeed, itemFiles } from './seed.js';
import { AccountChangeError, HelpSpotStore, SPAM_STATUS, type DocumentRecord } from './store.js';
import {
  CONFIG_KEYS,
  METHODS,
  type HelpSpotConfig,
  type HelpSpotConfigKey,
  type HelpSpotEmulator,
  type HelpSpotEmulatorOptions,
  type HelpSpotFaultAction,
  type HelpSpotFaultRule,
  type HelpSpotMethod,
  type HelpSpotRequestLog,
  type HsObject,
} from './types.js';

export const DEFAULT_TOKEN = 'hs-emulator-token';
export const DEFAULT_USERNAME = 'admin@acme.test';
export const DEFAULT_PASSWORD = 'hs-emulator-password';
export const API_VERSION = '5.0.58';
const SIMPLE_ACTIONS: readonly HelpSpotFaultAction[] = ['rate-limit', 'reset', 'hang'];

/** §6 Errors: HelpSpot's error texts by id (class.api.base.php `_error`). */
export const ERRORS: Readonly<Record<number, string>> = {
  1: 'Authentication information not sent',
  2: 'User authentication failed',
  3: 'Too many failed login attempts. Please wait a few minutes and try again.',
  101: 'Required parameter %s not supplied',
  103: 'Valid request ID required',
  201: 'Invalid method provided',
  208: 'Request has been merged',
};

/** fOpenedVia labels (lookup.lib.php, source-formats §6). */
const OPENED_VIA: Readonly<Record<number, string>> = {
  1: 'Email', 2: 'Phone', 3: 'Walk-in', 4: 'Mail', 5: 'Other', 6: 'Web Service', 7: 'Web Form', 8: 'Forum', 9: 'Instant Messenger', 10: 'Fax', 11: 'Voicemail', 12: 'Staff Initiated', 13: 'Widget', 14: 'Mobile',
};

interface Answer {
  status: number;
  /** A JSON-able document (sent as JSON or XML by `output`), or raw bytes. */
  body?: unknown;
  bytes?: Buffer;
  headers?: Record<string, string>;
}

const err = (...ids: Array<number | [number, string]>): Answer => ({
  status: 400,
  body: { error: ids.map((e) => (Array.isArray(e) ? { id: e[0], description: ERRORS[e[0]]!.replace('%s', e[1]) } : { id: e, description: ERRORS[e] })) },
});

/** XML as HelpSpot writes it (the default output): a root element, lists as repeated elements. */
export function toXml(root: string, v: unknown): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const el = (name: string, x: unknown): string => {
    const tag = /^\d/.test(name) ? `item` : name;
    if (Array.isArray(x)) return x.map((i) => el(tag, i)).join('');
    if (x !== null && typeof x === 'object') return `<${tag}>${Object.entries(x as HsObject).map(([k, c]) => el(k, c)).join('')}</${tag}>`;
    return `<${tag}>${x === null || x === undefined ? '' : esc(String(x))}</${tag}>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el(root, v)}`;
}

export async function startHelpSpotEmulator(opts: HelpSpotEmulatorOptions = {}): Promise<HelpSpotEmulator> {
  const owner = 'startHelpSpotEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const token = opts.token ?? DEFAULT_TOKEN;
  const username = opts.username ?? DEFAULT_USERNAME;
  const password = opts.password ?? DEFAULT_PASSWORD;
  const config: HelpSpotConfig = {
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, 0),
    retryAfterSeconds: opts.retryAfterSeconds === undefined ? -1 : nonNegativeInt(owner, 'retryAfterSeconds', opts.retryAfterSeconds, 0),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
    maxSearchResults: nonNegativeInt(owner, 'maxSearchResults', opts.maxSearchResults, 50),
  };
  const store = new HelpSpotStore(checkHelpSpotSeed(opts.seed ?? {}), now);
  const log = new RequestLog<HelpSpotRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<HelpSpotFaultRule>();
  const limiter = new RateLimiter(config.requestsPerMinute, () => new Date(now()));
  const held = new HeldRequests();
  let baseUrl = '';

  // ---------------------------------------------------------------- views

  const personName = (id: unknown): string => {
    const p = store.staff.get(Number(id));
    return p ? `${String(p.sFname ?? '')} ${String(p.sLname ?? '')}`.trim() : '';
  };
  const privateUrl = (d: number) => `${baseUrl}/admin.php?pg=file&from=0&id=${d}`;
  const publicUrl = (d: number, r: HsObject) => `${baseUrl}/index.php?pg=file&from=3&id=${d}&reqid=${encodeURIComponent(String(r.accesskey ?? ''))}`;

  function historyView(h: HsObject, req: HsObject, raw: boolean): HsObject {
    const out = structuredClone(h);
    const files = itemFiles(out).map((f) => {
      const { local_path: _l, ...rest } = f;
      const id = f.xDocumentId as number;
      return { ...rest, public_url: h.fPublic === 1 ? publicUrl(id, req) : '', private_url: privateUrl(id) };
    });
    out.files = { file: files };
    if (!raw) {
      // §6: labels unless fRawValues=1 (source-formats §6: person_type, a formatted date).
      const p = out.xPerson as number;
      out.person_type = p > 0 ? 'staff' : p === 0 ? 'customer' : 'system';
      out.xPerson = p > 0 ? personName(p) : p === 0 ? `${String(req.sFirstName ?? '')} ${String(req.sLastName ?? '')}`.trim() : 'System';
      out.dtGMTChange = new Date((h.dtGMTChange as number) * 1000).toUTCString();
    }
    return out;
  }

  function requestFields(r: HsObject, raw: boolean): HsObject {
    const out = structuredClone(r);
    if (!raw) {
      out.xStatus = String(store.statuses.find((s) => s.xStatus === r.xStatus)?.sStatus ?? r.xStatus);
      out.xPersonAssignedTo = personName(r.xPersonAssignedTo);
      out.xPersonOpenedBy = personName(r.xPersonOpenedBy);
      out.xCategory = String(store.categories.get(Number(r.xCategory))?.sCategory ?? '');
      out.fOpenedVia = OPENED_VIA[Number(r.fOpenedVia)] ?? r.fOpenedVia;
    }
    return out;
  }

  function requestView(id: number, raw: boolean): HsObject {
    const r = store.requests.get(id)!;
    return { ...requestFields(r, raw), request_history: { item: store.requestHistory(id).map((h) => historyView(h, r, raw)) } };
  }

  // ---------------------------------------------------------------- methods

  const isRaw = (q: URLSearchParams) => q.get('fRawValues') === '1';
  const requestIds = (q: URLSearchParams): number[] => [...q.getAll('xRequest[]'), ...q.getAll('xRequest')].filter((v) => /^\d+$/.test(v)).map(Number);

  const handlers: Record<HelpSpotMethod, (q: URLSearchParams) => Answer> = {
    'private.request.getChanged': (q) => {
      const t = q.get('dtGMTChange');
      // PHP's empty(): a missing, empty or "0" value is "not supplied" (our reading of §6: error 101).
      if (t === null || t === '' || t === '0') return err([101, 'dtGMTChange']);
      // §6: a non-numeric value gives an empty result.
      if (!/^\d+$/.test(t)) return { status: 200, body: { xRequest: [] } };
      return { status: 200, body: { xRequest: store.changedSince(Number(t)) } };
    },
    'private.request.get': (q) => {
      const raw = q.get('xRequest');
      if (raw === null || raw === '') return err([101, 'xRequest']);
      const id = /^\d+$/.test(raw) ? store.resolve(Number(raw)) : undefined;
      if (id === undefined) return err(103);
      return { status: 200, body: requestView(id, isRaw(q)) };
    },
    'private.request.multiGet': (q) => {
      const ids = requestIds(q);
      if (ids.length === 0) return err([101, 'xRequest']);
      const out = ids.map((i) => store.resolve(i)).filter((i): i is number => i !== undefined).map((i) => requestView(i, isRaw(q)));
      return { status: 200, body: { request: out } };
    },
    'private.request.search': (q) => {
      const start = /^\d+$/.test(q.get('start') ?? '') ? Number(q.get('start')) : 0;
      const length = /^\d+$/.test(q.get('length') ?? '') && Number(q.get('length')) > 0 ? Number(q.get('length')) : config.maxSearchResults;
      const orderBy = q.get('orderBy') ?? 'dtGMTOpened';
      const dir = (q.get('orderByDir') ?? 'desc').toLowerCase() === 'asc' ? 1 : -1;
      // class.filter.php: trash and spam are left out unless their own filter is asked for.
      let rows = [...store.requests.values()].filter((r) => r.fTrash !== 1 && r.xStatus !== SPAM_STATUS);
      const fOpen = q.get('fOpen');
      if (fOpen === '0' || fOpen === '1') rows = rows.filter((r) => String(r.fOpen) === fOpen);
      const xStatus = q.get('xStatus');
      if (xStatus !== null && xStatus !== '') rows = rows.filter((r) => String(r.xStatus) === xStatus);
      const key = (r: HsObject) => (typeof r[orderBy] === 'number' ? (r[orderBy] as number) : String(r[orderBy] ?? ''));
      rows.sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || ((a.xRequest as number) - (b.xRequest as number)) * dir;
      });
      return { status: 200, body: { request: rows.slice(start, start + length).map((r) => requestFields(r, isRaw(q))) } };
    },
    'private.util.getAllStaff': () => ({ status: 200, body: { person: Object.fromEntries([...store.staff.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), structuredClone(v)])) } }),
    'private.util.getActiveStaff': () => ({ status: 200, body: { person: [...store.staff.values()].filter((p) => p.fDeleted !== 1).map((p) => structuredClone(p)) } }),
    'private.request.getCategories': () => ({ status: 200, body: { category: Object.fromEntries([...store.categories.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), structuredClone(v)])) } }),
    'private.request.getStatusTypes': () => ({ status: 200, body: { status: structuredClone(store.statuses) } }),
    'private.request.getMailboxes': () => ({ status: 200, body: { mailbox: [] } }),
    'private.document.get': (q) => {
      const raw = q.get('xDocumentId');
      if (raw === null || raw === '') return err([101, 'xDocumentId']);
      const d = store.documents.get(Number(raw));
      if (!d) return err([101, 'xDocumentId']);
      return { status: 200, body: { xDocumentId: d.id, sFilename: d.name, sFileMimeType: d.mime, xRequestHistory: d.xRequestHistory, sBody: '' } };
    },
  };

  async function documentBytes(d: DocumentRecord): Promise<Buffer> {
    if (d.localPath !== undefined) {
      const b = await readFile(d.localPath).catch(() => undefined);
      if (b) return b;
    }
    const unit = Buffer.from(`helpspot emulator placeholder: document ${d.id} ${d.name}\n`);
    const out = Buffer.alloc(d.size);
    for (let i = 0; i < d.size; i += unit.length) unit.copy(out, i, 0, Math.min(unit.length, d.size - i));
    return out;
  }

  // ---------------------------------------------------------------- auth

  /** §6 Auth: Bearer token, Basic staff email + password, or ?username=&password=. */
  function credentials(req: IncomingMessage, q: URLSearchParams): 'none' | 'ok' | 'bad' {
    const h = req.headers.authorization;
    if (h !== undefined && h.trim() !== '') {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h);
      if (bearer) return bearer[1] === token ? 'ok' : 'bad';
      const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
      if (basic) {
        const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
        const sep = decoded.indexOf(':');
        return sep > 0 && decoded.slice(0, sep) === username && decoded.slice(sep + 1) === password ? 'ok' : 'bad';
      }
      return 'bad';
    }
    const u = q.get('username');
    const p = q.get('password');
    if (u !== null || p !== null) return u === username && p === password ? 'ok' : 'bad';
    return 'none';
  }

  // ---------------------------------------------------------------- pipeline

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    limiter.reset();
  };
  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as HelpSpotConfigKey] = value) },
    fail: (res, status, message, code) => sendJson(res, status, { error: [{ id: 0, description: message, code }] }),
    account: { change: (body) => store.change(body), invalid: AccountChangeError, codes: { method: 'method_not_allowed', invalid: 'invalid_value' } },
  };

  function send(res: ServerResponse, entry: HelpSpotRequestLog, a: Answer, json: boolean): void {
    entry.status = a.status;
    if (res.destroyed || res.writableEnded) return;
    // §6: every answer carries X-HelpSpot-API; the Date header is the emulator's clock (getChanged's time).
    const headers: Record<string, string> = { 'x-helpspot-api': API_VERSION, date: new Date(now()).toUTCString(), ...a.headers };
    if (a.bytes !== undefined) {
      res.writeHead(a.status, { ...headers, 'content-length': String(a.bytes.length) });
      res.end(a.bytes);
      return;
    }
    if (json) return sendJson(res, a.status, a.body, headers);
    const body = a.body as HsObject | undefined;
    const root = body && 'error' in body ? 'errors' : a.status === 200 ? (Object.keys(body ?? {}).length === 1 ? `${Object.keys(body!)[0]}s` : 'request') : 'errors';
    const text = toXml(root, body && Object.keys(body).length === 1 ? Object.values(body)[0] : body);
    res.writeHead(a.status, { ...headers, 'content-type': 'text/xml; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  function tooMany(retryOverride?: number, omit?: boolean): Answer {
    const h = limiter.forcedRejection(retryOverride);
    const retry = retryOverride ?? (config.retryAfterSeconds >= 0 ? config.retryAfterSeconds : Number(h['retry-after'] ?? 60));
    return { status: 429, body: { error: [{ id: 0, description: 'Too Many Attempts.' }] }, headers: omit ? {} : { 'retry-after': String(retry) } };
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const q = url.searchParams;
    const isApi = path === '/api/index.php' || path === '/api/';
    const isFile = (path === '/admin.php' || path === '/index.php') && q.get('pg') === 'file';
    const apiMethod = q.get('method');
    const operation = isApi ? apiMethod : isFile ? 'file.download' : null;
    const entry = log.add({ at: new Date(now()).toISOString(), method, path, query: url.search.slice(1), operation, status: 0 });
    await readBodyBuffer(req).catch(() => undefined);
    const json = isApi && q.get('output') === 'json';
    if (!isApi && !isFile) return send(res, entry, { status: 404, bytes: Buffer.from('Not Found'), headers: { 'content-type': 'text/plain' } }, false);
    if (method !== 'GET' && method !== 'HEAD' && !(isApi && method === 'POST')) return send(res, entry, { status: 405, bytes: Buffer.from(''), headers: { allow: 'GET, POST' } }, false);

    const who = credentials(req, q);
    if (isApi) {
      if (who === 'none') {
        // §6: no credentials at all: 401 with WWW-Authenticate and errors 1 and 2.
        return send(res, entry, { ...err(1, 2), status: 401, headers: { 'www-authenticate': 'Basic realm="API Authentication"' } }, json);
      }
      if (who === 'bad') return send(res, entry, err(2), json);
      limiter.limitPerMinute = config.requestsPerMinute;
      if (config.requestsPerMinute > 0 && !limiter.take().allowed) return send(res, entry, tooMany(), json);
    } else if (path === '/admin.php' && who !== 'ok') {
      // A staff page: without a staff login HelpSpot sends the browser to its login page.
      return send(res, entry, { status: 302, bytes: Buffer.from(''), headers: { location: `${baseUrl}/admin.php?pg=login` } }, false);
    }
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (held.closed) return destroyConnection(req, res);

    const fault = faults.decide({ rootFields: [operation ?? ''], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) return send(res, entry, tooMany(fault?.retryAfterSeconds, fault?.omitRetryAfter), json);
    if (status !== undefined) return send(res, entry, { status, bytes: Buffer.from(`<html><body><h1>${status}</h1>Injected fault</body></html>`), headers: { 'content-type': 'text/html' } }, false);
    if (held.connectionFault(fault?.action, req, res)) return;

    if (isFile) {
      const d = store.documents.get(Number(q.get('id')));
      if (!d) return send(res, entry, { status: 404, bytes: Buffer.from('File not found'), headers: { 'content-type': 'text/plain' } }, false);
      if (path === '/index.php') {
        // public_url: only the files of public notes, with the request's access key.
        const r = store.requests.get(d.xRequest);
        const h = store.history.find((x) => x.xRequestHistory === d.xRequestHistory);
        if (!r || h?.fPublic !== 1 || q.get('reqid') !== String(r.accesskey ?? '')) return send(res, entry, { status: 403, bytes: Buffer.from('Forbidden'), headers: { 'content-type': 'text/plain' } }, false);
      }
      const bytes = await documentBytes(d);
      return send(res, entry, { status: 200, bytes, headers: { 'content-type': d.mime, 'content-disposition': `attachment; filename="${d.name.replace(/["\\\r\n]/g, '_')}"` } }, false);
    }
    const handler = apiMethod !== null && (METHODS as readonly string[]).includes(apiMethod) ? handlers[apiMethod as HelpSpotMethod] : undefined;
    if (!handler) return send(res, entry, err(201), json);
    send(res, entry, handler(q), json);
  }

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, { error: [{ id: 0, description: `Emulator failure: ${e.message}` }] }) });
  baseUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    store,
    account: { change: (change) => store.change(change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => (config[k as HelpSpotConfigKey] = v), 'retryAfterSeconds'),
    reset,
    close: () => server.close(),
  };
}
