/**
 * The There There REST client: one method per endpoint the migration uses, one HTTP request each
 * (lists: one per page). Retries, rate limiting and scheduling belong to the executor; this layer
 * classifies every failure as a TargetError (errors.ts) and reports the rate-limit headers of every
 * answer through `onRateLimit`.
 *
 * Every request sends `Authorization: Bearer <token>`, `Accept: application/json`, a User-Agent and,
 * when configured, `X-Workspace-Id`. The token lives in a closure made by the constructor: it is not
 * a property of the client (so it cannot be logged or serialized with it), and anything the server
 * says is passed through a redactor before it can reach an error.
 *
 * Redirects are not followed: an API that answers 3xx is misconfigured (http → https, a wrong
 * baseUrl), and following it would turn a POST into a GET or send the token to another host.
 */
import { openAsBlob } from 'node:fs';
import { AttachmentError } from '../../attachments/index.js';
import { redactUrl } from '../../http/net.js';
import { TargetError, type CallOptions, type RateLimitInfo } from '../types.js';
import { classifyResponse, classifyThrown, parseRateLimitHeaders, redactorFor, type Redactor } from './errors.js';
import type { ThereThereMessageType, TicketStatus } from './rules.js';

export const DEFAULT_BASE_URL = 'https://there-there.app';
/** Laravel's largest `per_page` on There There's paginated lists. */
export const THERETHERE_PAGE_SIZE = 100;
/** A list that claims more pages than this is not followed further (a server bug would loop forever). */
const MAX_PAGES = 1000;

export interface ThereThereClientOptions {
  /** `https://there-there.app` (the default in the manifest); a trailing `/api` is accepted and dropped. */
  readonly baseUrl: string;
  /** Kept in a closure for the Authorization header only; never logged, never in an error. */
  readonly token: string;
  /** The integer workspace id, for tokens that reach several workspaces (X-Workspace-Id). */
  readonly workspaceId?: string | number;
  /** Per request: no answer (headers and body) within this long is a retryable `timeout`. */
  readonly requestTimeoutMs: number;
  /** uploadAttachment sends up to 25 MB: its own limit, default 10 × requestTimeoutMs. */
  readonly uploadTimeoutMs?: number;
  readonly userAgent?: string;
  /** Awaited before every request made with call options (the target paces all but a call's first). */
  readonly beforeRequest?: (o: CallOptions) => Promise<void>;
}

// ---------------------------------------------------------------- request and response shapes

/** One message of POST /api/tickets/import. Inbound messages carry no author fields (always the contact). */
export interface ImportMessageBody {
  readonly type: ThereThereMessageType;
  /** HTML. */
  readonly body: string;
  readonly created_at?: string;
  readonly author_email?: string;
  readonly author_name?: string;
  readonly external_id?: string;
  /** Upload tokens (max 10); inline images are referenced as `cid:TOKEN` in the body. */
  readonly attachment_ids?: readonly string[];
}

/** The body of POST /api/tickets/import, as the import page documents it. */
export interface ImportTicketBody {
  /** The channel's ULID. */
  readonly channel: string;
  /** At most 255 characters. */
  readonly subject: string;
  readonly status: TicketStatus;
  readonly created_at?: string;
  /** Used only when status is closed. */
  readonly closed_at?: string;
  /** Makes the import idempotent: a repeat returns the existing ticket. */
  readonly external_id?: string;
  readonly assignee_email?: string;
  /** Tag names (created when missing), at most 50. */
  readonly tags?: readonly string[];
  readonly from_contact: { readonly email: string; readonly name?: string };
  /** 1 to 200, in chronological order. */
  readonly messages: readonly ImportMessageBody[];
}

export interface ThereThereUser {
  readonly id?: number;
  readonly ulid?: string;
  readonly name: string | null;
  readonly email: string;
  readonly [k: string]: unknown;
}

export interface ThereThereTag {
  readonly id?: number;
  readonly ulid: string;
  readonly name: string;
  readonly color?: string | null;
  readonly [k: string]: unknown;
}

export interface ThereThereChannel {
  readonly id?: number;
  readonly ulid: string;
  readonly name: string;
  readonly type?: string;
  readonly email_address?: string | null;
  readonly [k: string]: unknown;
}

export interface ThereThereMessage {
  readonly id?: number;
  readonly ulid: string;
  readonly type?: ThereThereMessageType;
  readonly body_html?: string;
  readonly created_at?: string;
  readonly [k: string]: unknown;
}

/** Get Ticket's `data` (the import answers with the same shape). Only `ulid` is relied on. */
export interface ThereThereTicket {
  readonly id?: number;
  readonly ulid: string;
  readonly number?: number;
  readonly external_id?: string | null;
  readonly subject?: string;
  readonly status?: TicketStatus;
  readonly assignee?: ThereThereUser | null;
  readonly tags?: readonly ThereThereTag[];
  readonly messages?: readonly ThereThereMessage[];
  readonly created_at?: string;
  readonly [k: string]: unknown;
}

export interface ImportTicketResult {
  readonly ticket: ThereThereTicket;
  /** false: a ticket with this external_id existed and was returned unchanged (HTTP 200, not 201). */
  readonly created: boolean;
}

/** POST /api/attachments' `data`. The token is single use and expires unreferenced. */
export interface UploadedFile {
  readonly token: string;
  readonly fileName?: string;
  readonly mimeType?: string;
  readonly size?: number;
  /** ISO 8601: an upload not referenced by then is deleted. */
  readonly expiresAt?: string;
}

// ---------------------------------------------------------------- the client

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly json?: unknown;
  readonly form?: FormData;
  readonly timeoutMs?: number;
  /** These statuses are answers, not errors (getTicket: 404). */
  readonly accept?: readonly number[];
}

export class ThereThereClient {
  readonly name = 'therethere';
  onRateLimit?: (info: RateLimitInfo) => void;
  readonly baseUrl: string;
  private readonly counts: Record<string, number> = {};
  private readonly headers: () => Record<string, string>;
  private readonly redact: Redactor;

  /** The options without the token. */
  private readonly opts: Readonly<Omit<ThereThereClientOptions, 'token'>>;

  constructor(opts: ThereThereClientOptions) {
    const { token, ...rest } = opts;
    this.opts = Object.freeze(rest);
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    const workspace = opts.workspaceId === undefined || opts.workspaceId === '' ? undefined : String(opts.workspaceId);
    const userAgent = opts.userAgent ?? 'plain-migrate';
    this.headers = () => ({
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': userAgent,
      ...(workspace !== undefined ? { 'x-workspace-id': workspace } : {}),
    });
    this.redact = redactorFor(token);
  }

  /** Requests sent so far, by operation name (each page and each retry counts). */
  requestCounts(): Record<string, number> {
    return { ...this.counts };
  }

  private async send(operation: string, spec: RequestSpec, o?: CallOptions): Promise<Answer> {
    if (o && this.opts.beforeRequest) await this.opts.beforeRequest(o);
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const timeout = AbortSignal.timeout(spec.timeoutMs ?? this.opts.requestTimeoutMs);
    const signal = o?.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
    const headers: Record<string, string> = this.headers();
    let body: string | FormData | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.form) {
      body = spec.form; // fetch sets multipart/form-data with its boundary
    }
    const ctx = () => ({ timedOut: timeout.aborted, cancelled: o?.signal.aborted ?? false, baseUrl: this.baseUrl, redact: this.redact });
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}), signal, redirect: 'manual' });
    } catch (err) {
      throw classifyThrown(err, ctx());
    }
    this.onRateLimit?.(parseRateLimitHeaders(res.headers));
    try {
      text = await res.text();
    } catch (err) {
      throw classifyThrown(err, ctx());
    }
    const parsed = parseJson(text);
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, body: parsed };
    if (spec.accept?.includes(res.status)) return { status: res.status, headers: res.headers, body: parsed };
    if (res.status >= 300 && res.status < 400) {
      const to = res.headers.get('location');
      throw new TargetError(
        {
          code: `http_${res.status}`,
          message: `${operation}: There There redirected (HTTP ${res.status}${to ? ` to ${redactUrl(new URL(to, url))}` : ''}); check target.therethere.baseUrl`,
          type: 'HTTP',
        },
        false,
        undefined,
        true,
      );
    }
    throw classifyResponse(res.status, res.headers, parsed, { redact: this.redact });
  }

  /**
   * POST /api/tickets/import. 201 → created; 200 → a ticket with this external_id already existed
   * and is returned as it is (the documented idempotent answer: nothing is changed or duplicated).
   */
  async importTicket(body: ImportTicketBody, o?: CallOptions): Promise<ImportTicketResult> {
    const a = await this.send('importTicket', { method: 'POST', path: '/api/tickets/import', json: body }, o);
    const ticket = ticketOf(dataOf(a.body), 'importTicket');
    return { ticket, created: a.status === 201 };
  }

  /**
   * POST /api/attachments (multipart, field `file`), streamed from disk with fs.openAsBlob. The
   * file must have `size` bytes (what was fetched and checked): otherwise nothing is sent and an
   * AttachmentError size_mismatch is thrown; a file that cannot be read is `unreadable`. HTTP
   * failures are TargetErrors like any other call (a 422 for a file over 25 MB, a 429, …).
   */
  async uploadAttachment(file: string, fileName: string, contentType: string | undefined, size: number, o?: CallOptions): Promise<UploadedFile> {
    const what = `upload of ${JSON.stringify(fileName)}`;
    let blob: Blob;
    try {
      blob = await openAsBlob(file, { type: contentType || 'application/octet-stream' });
    } catch (e) {
      throw new AttachmentError('unreadable', `${what}: the file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
    }
    if (blob.size !== size) {
      throw new AttachmentError('size_mismatch', `${what}: the file has ${blob.size} bytes, expected ${size}`, { retryable: false });
    }
    const form = new FormData();
    form.append('file', blob, fileName);
    const timeoutMs = this.opts.uploadTimeoutMs ?? this.opts.requestTimeoutMs * 10;
    const a = await this.send('uploadAttachment', { method: 'POST', path: '/api/attachments', form, timeoutMs }, o);
    const d = dataOf(a.body) as Record<string, unknown> | undefined;
    if (!d || typeof d.token !== 'string' || d.token === '') throw unexpected('uploadAttachment', 'no upload token in the answer');
    return {
      token: d.token,
      ...(typeof d.filename === 'string' ? { fileName: d.filename } : {}),
      ...(typeof d.mime_type === 'string' ? { mimeType: d.mime_type } : {}),
      ...(typeof d.size === 'number' ? { size: d.size } : {}),
      ...(typeof d.expires_at === 'string' ? { expiresAt: d.expires_at } : {}),
    };
  }

  /** PUT /api/tickets/{ticket}/status {status}. */
  async setStatus(ticketUlid: string, status: TicketStatus, o?: CallOptions): Promise<void> {
    await this.send('setStatus', { method: 'PUT', path: `/api/tickets/${seg(ticketUlid)}/status`, json: { status } }, o);
  }

  /** PUT /api/tickets/{ticket}/assignee {assignee_ulid}; null unassigns. */
  async setAssignee(ticketUlid: string, memberUlid: string | null, o?: CallOptions): Promise<void> {
    await this.send('setAssignee', { method: 'PUT', path: `/api/tickets/${seg(ticketUlid)}/assignee`, json: { assignee_ulid: memberUlid } }, o);
  }

  /** POST /api/tickets/{ticket}/tags/{tag}: by the tag's ULID (listTags gives them). */
  async addTag(ticketUlid: string, tagUlid: string, o?: CallOptions): Promise<void> {
    await this.send('addTag', { method: 'POST', path: `/api/tickets/${seg(ticketUlid)}/tags/${seg(tagUlid)}` }, o);
  }

  /** DELETE /api/tickets/{ticket}/tags/{tag}. */
  async removeTag(ticketUlid: string, tagUlid: string, o?: CallOptions): Promise<void> {
    await this.send('removeTag', { method: 'DELETE', path: `/api/tickets/${seg(ticketUlid)}/tags/${seg(tagUlid)}` }, o);
  }

  /**
   * POST /api/tickets/{ticket}/note {body, attachment_ids?}: an internal note, which nobody outside
   * the team sees. This is deliberately the only way this client adds a message to an existing
   * ticket: POST /api/tickets/{ticket}/reply sends the body to the customer by email, and a
   * migration must never email customers (there is no method for it here, on purpose).
   */
  async addNote(ticketUlid: string, html: string, o?: CallOptions, attachmentIds?: readonly string[]): Promise<ThereThereMessage> {
    const json = { body: html, ...(attachmentIds && attachmentIds.length > 0 ? { attachment_ids: attachmentIds } : {}) };
    const a = await this.send('addNote', { method: 'POST', path: `/api/tickets/${seg(ticketUlid)}/note`, json }, o);
    // The docs disagree on the wrapper: {data: Message} (OpenAPI) or {message: Message} (messages page).
    const b = a.body as { data?: unknown; message?: unknown } | undefined;
    const m = (b && typeof b.data === 'object' && b.data !== null ? b.data : b?.message) as ThereThereMessage | undefined;
    if (!m || typeof m !== 'object' || typeof m.ulid !== 'string') throw unexpected('addNote', 'no message in the answer');
    return m;
  }

  /** GET /api/tickets/{ticket}: the ticket with its messages, or null when There There has no such ticket (404). */
  async getTicket(ulid: string, o?: CallOptions): Promise<ThereThereTicket | null> {
    const a = await this.send('getTicket', { method: 'GET', path: `/api/tickets/${seg(ulid)}`, accept: [404] }, o);
    if (a.status === 404) return null;
    return ticketOf(dataOf(a.body), 'getTicket');
  }

  /** GET /api/channels: the channels the token can access. */
  listChannels(o?: CallOptions): Promise<ThereThereChannel[]> {
    return this.list<ThereThereChannel>('listChannels', '/api/channels', o);
  }

  /** GET /api/members: the workspace's members. */
  listMembers(o?: CallOptions): Promise<ThereThereUser[]> {
    return this.list<ThereThereUser>('listMembers', '/api/members', o);
  }

  /** GET /api/tags: every tag of the workspace. */
  listTags(o?: CallOptions): Promise<ThereThereTag[]> {
    return this.list<ThereThereTag>('listTags', '/api/tags', o);
  }

  /**
   * A list endpoint: `{data: [...]}`, one request. When the answer is Laravel-paginated
   * (`meta.current_page` < `meta.last_page`), the next pages are asked for by number
   * (`?page=N&per_page=100`) on the same path: `links.next` is not followed, so the token never
   * goes to a host the answer names.
   */
  private async list<T>(operation: string, path: string, o?: CallOptions): Promise<T[]> {
    const out: T[] = [];
    let page = 1;
    for (;;) {
      const query: Record<string, string> = page === 1 ? {} : { page: String(page), per_page: String(THERETHERE_PAGE_SIZE) };
      const a = await this.send(operation, { method: 'GET', path, query }, o);
      const b = a.body as { data?: unknown; meta?: { current_page?: unknown; last_page?: unknown } } | undefined;
      const items = Array.isArray(b) ? b : b?.data;
      if (!Array.isArray(items)) throw unexpected(operation, 'no list in the answer');
      out.push(...(items as T[]));
      const current = Number(b && !Array.isArray(b) ? b.meta?.current_page : undefined);
      const last = Number(b && !Array.isArray(b) ? b.meta?.last_page : undefined);
      if (!Number.isInteger(current) || !Number.isInteger(last) || current >= last || items.length === 0) return out;
      if (current !== page || page >= MAX_PAGES) {
        throw unexpected(operation, `page ${page} was answered as page ${current} of ${last}`);
      }
      page += 1;
    }
  }
}

// ---------------------------------------------------------------- helpers

/** `https://host/` and `https://host/api/` both become `https://host`. */
export function normalizeBaseUrl(baseUrl: string): string {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new Error(`target.therethere.baseUrl is not a URL: ${JSON.stringify(redactUrl(baseUrl))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`target.therethere.baseUrl must be http(s), not ${u.protocol}`);
  if (u.username !== '' || u.password !== '') throw new Error('target.therethere.baseUrl must not carry credentials');
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${u.origin}${path}`;
}

function seg(id: string): string {
  if (id === '') throw new Error('internal: an empty id in a There There path');
  return encodeURIComponent(id);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function dataOf(body: unknown): unknown {
  return body !== null && typeof body === 'object' && 'data' in body ? (body as { data: unknown }).data : undefined;
}

function ticketOf(d: unknown, operation: string): ThereThereTicket {
  if (d === null || typeof d !== 'object' || typeof (d as { ulid?: unknown }).ulid !== 'string') throw unexpected(operation, 'no ticket in the answer');
  return d as ThereThereTicket;
}

/** A 2xx whose body is not what the endpoint documents. Retryable: imports are idempotent by external_id. */
function unexpected(operation: string, what: string): TargetError {
  return new TargetError({ code: 'unexpected_response', message: `${operation}: ${what}`, type: 'TRANSPORT' }, true);
}
