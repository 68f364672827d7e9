/**
 * ThereThereClient against a small recording HTTP server on 127.0.0.1: what each method sends
 * (method, path, headers, JSON or multipart body), how answers are read, request counting,
 * rate-limit reporting, timeouts, resets, redirects, and that the token stays out of everything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentError } from '../../../src/attachments/index.js';
import { ThereThereClient, normalizeBaseUrl, type ImportTicketBody } from '../../../src/targets/therethere/index.js';
import { TargetError, type RateLimitInfo } from '../../../src/targets/types.js';

const TOKEN = '42|TopSecretTokenForTests';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let base: string;
let dir: string;
const seen: Recorded[] = [];
let handlers: Handler[] = [];
const sockets = new Set<import('node:net').Socket>();

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** Answers the next requests in order; a request with no handler left gets a 599. */
function answer(...h: Handler[]): void {
  handlers.push(...h);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-client-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(r);
      const h = handlers.shift();
      if (h) h(r, res);
      else json(res, 599, { message: 'no handler' });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  seen.length = 0;
  handlers = [];
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function client(over: Partial<ConstructorParameters<typeof ThereThereClient>[0]> = {}): ThereThereClient {
  return new ThereThereClient({ baseUrl: base, token: TOKEN, requestTimeoutMs: 2_000, ...over });
}

const TICKET_BODY: ImportTicketBody = {
  channel: '01HX9F3K2M0000000000000000',
  subject: 'Refund request',
  status: 'closed',
  external_id: 'legacy-ticket-9182',
  from_contact: { email: 'john@customer.com', name: 'John Doe' },
  messages: [{ type: 'inbound', body: '<p>I would like a refund.</p>', created_at: '2024-01-10T09:00:00+00:00' }],
};
const TICKET = { id: 7, ulid: '01JTICKET00000000000000000', number: 7, external_id: 'legacy-ticket-9182', subject: 'Refund request', status: 'closed' };

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('headers', () => {
  it('sends Bearer, Accept, Content-Type, User-Agent and X-Workspace-Id when configured', async () => {
    answer((_, res) => json(res, 201, { data: TICKET }));
    await client({ workspaceId: 3, userAgent: 'pm-test/1' }).importTicket(TICKET_BODY);
    const r = seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/api/tickets/import');
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers.accept).toBe('application/json');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('pm-test/1');
    expect(r.headers['x-workspace-id']).toBe('3');
    expect(JSON.parse(r.body.toString())).toEqual(TICKET_BODY);
  });
  it('leaves X-Workspace-Id out when not configured; GETs carry no Content-Type', async () => {
    answer((_, res) => json(res, 200, { data: [] }));
    await client().listTags();
    const r = seen[0]!;
    expect(r.headers['x-workspace-id']).toBeUndefined();
    expect(r.headers['content-type']).toBeUndefined();
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers.accept).toBe('application/json');
    expect(r.headers['user-agent']).toBe('plain-migrate');
  });
  it('a baseUrl ending in /api (with or without a slash) is the same API', async () => {
    expect(normalizeBaseUrl('https://there-there.app/')).toBe('https://there-there.app');
    expect(normalizeBaseUrl('https://there-there.app/api/')).toBe('https://there-there.app');
    expect(normalizeBaseUrl('https://example.com/tt/api')).toBe('https://example.com/tt');
    expect(() => normalizeBaseUrl('ftp://x')).toThrow(/http\(s\)/);
    expect(() => normalizeBaseUrl('https://u:p@x')).toThrow(/credentials/);
    answer((_, res) => json(res, 200, { data: [] }));
    await client({ baseUrl: `${base}/api/` }).listChannels();
    expect(seen[0]!.url).toBe('/api/channels');
  });
});

describe('importTicket', () => {
  it('201 is created, 200 (a repeated external_id) is not', async () => {
    answer(
      (_, res) => json(res, 201, { data: TICKET }),
      (_, res) => json(res, 200, { data: TICKET }),
    );
    const c = client();
    expect(await c.importTicket(TICKET_BODY)).toEqual({ ticket: TICKET, created: true });
    expect(await c.importTicket(TICKET_BODY)).toEqual({ ticket: TICKET, created: false });
    expect(c.requestCounts()).toEqual({ importTicket: 2 });
  });
  it('a 2xx without a ticket is a retryable unexpected_response', async () => {
    answer((_, res) => json(res, 201, { ok: true }));
    const e = (await caught(client().importTicket(TICKET_BODY))) as TargetError;
    expect(e).toBeInstanceOf(TargetError);
    expect(e.recorded.code).toBe('unexpected_response');
    expect(e.retryable).toBe(true);
  });
  it('422 becomes validation with fields; 429 carries Retry-After', async () => {
    answer(
      (_, res) => json(res, 422, { message: 'The messages field must not have more than 200 items.', errors: { messages: ['The messages field must not have more than 200 items.'] } }),
      (_, res) => json(res, 429, { message: 'Too Many Attempts.' }, { 'retry-after': '3', 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0' }),
    );
    const c = client();
    const v = (await caught(c.importTicket(TICKET_BODY))) as TargetError;
    expect(v.recorded).toMatchObject({ code: 'validation', type: 'VALIDATION', fields: [{ field: 'messages', type: 'VALIDATION' }] });
    expect(v.retryable).toBe(false);
    const limits: RateLimitInfo[] = [];
    c.onRateLimit = (i) => limits.push(i);
    const r = (await caught(c.importTicket(TICKET_BODY))) as TargetError;
    expect(r.recorded.code).toBe('rate_limited');
    expect(r.retryable).toBe(true);
    expect(r.retryAfterMs).toBe(3000);
    expect(limits).toEqual([{ limit: 300, remaining: 0 }]);
  });
});

describe('uploadAttachment', () => {
  it('POSTs multipart/form-data with the file part named file, streamed from disk', async () => {
    const file = join(dir, 'invoice.bin');
    const bytes = Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 13, 10, 45, 45]);
    await writeFile(file, bytes);
    answer((_, res) =>
      json(res, 201, { data: { token: 'upl_acme_abc123', filename: 'invoice.pdf', mime_type: 'application/pdf', size: 12, expires_at: '2025-01-02T00:00:00+00:00' } }),
    );
    const c = client({ workspaceId: '9' });
    const up = await c.uploadAttachment(file, 'invoice.pdf', 'application/pdf', bytes.length);
    expect(up).toEqual({ token: 'upl_acme_abc123', fileName: 'invoice.pdf', mimeType: 'application/pdf', size: 12, expiresAt: '2025-01-02T00:00:00+00:00' });
    const r = seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/api/attachments');
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['x-workspace-id']).toBe('9');
    const ct = r.headers['content-type'] ?? '';
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(ct)?.[1];
    expect(boundary).toBeDefined();
    const text = r.body.toString('latin1');
    expect(text).toContain('Content-Disposition: form-data; name="file"; filename="invoice.pdf"');
    expect(text).toContain('Content-Type: application/pdf');
    // The part's content is exactly the file's bytes.
    const start = r.body.indexOf('\r\n\r\n') + 4;
    const end = r.body.indexOf(Buffer.from(`\r\n--${boundary}--`));
    expect(r.body.subarray(start, end).equals(bytes)).toBe(true);
    expect(c.requestCounts()).toEqual({ uploadAttachment: 1 });
  });
  it('a file of another size, or no file at all, is an AttachmentError and nothing is sent', async () => {
    const file = join(dir, 'small.txt');
    await writeFile(file, 'hello');
    const c = client();
    const mismatch = await caught(c.uploadAttachment(file, 'small.txt', 'text/plain', 6));
    expect(mismatch).toBeInstanceOf(AttachmentError);
    expect((mismatch as AttachmentError).code).toBe('size_mismatch');
    const missing = await caught(c.uploadAttachment(join(dir, 'nope.txt'), 'nope.txt', undefined, 1));
    expect((missing as AttachmentError).code).toBe('unreadable');
    expect(seen).toHaveLength(0);
  });
  it('an answer without a token is unexpected; a 422 is validation', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'a');
    answer(
      (_, res) => json(res, 201, { data: {} }),
      (_, res) => json(res, 422, { message: 'The file field must not be greater than 25600 kilobytes.', errors: { file: ['The file field must not be greater than 25600 kilobytes.'] } }),
    );
    const c = client();
    expect(((await caught(c.uploadAttachment(file, 'a.txt', 'text/plain', 1))) as TargetError).recorded.code).toBe('unexpected_response');
    expect(((await caught(c.uploadAttachment(file, 'a.txt', 'text/plain', 1))) as TargetError).recorded.fields).toEqual([
      { field: 'file', message: 'The file field must not be greater than 25600 kilobytes.', type: 'VALIDATION' },
    ]);
  });
});

describe('ticket operations', () => {
  it('status, assignee, tags and note: method, path and body', async () => {
    const ok: Handler = (_, res) => json(res, 200, { data: TICKET });
    answer(ok, ok, ok, (_, res) => json(res, 201, { data: TICKET }), (_, res) => res.writeHead(204).end(), (_, res) => json(res, 201, { data: { id: 1, ulid: '01JNOTE', type: 'note' } }));
    const c = client();
    await c.setStatus('01JT', 'waiting');
    await c.setAssignee('01JT', '01JMEMBER');
    await c.setAssignee('01JT', null);
    await c.addTag('01JT', '01JTAG');
    await c.removeTag('01JT', '01JTAG');
    const note = await c.addNote('01JT', '<p>Imported later</p>', undefined, ['upl_x']);
    expect(note.ulid).toBe('01JNOTE');
    expect(seen.map((r) => `${r.method} ${r.url} ${r.body.toString()}`)).toEqual([
      'PUT /api/tickets/01JT/status {"status":"waiting"}',
      'PUT /api/tickets/01JT/assignee {"assignee_ulid":"01JMEMBER"}',
      'PUT /api/tickets/01JT/assignee {"assignee_ulid":null}',
      'POST /api/tickets/01JT/tags/01JTAG ',
      'DELETE /api/tickets/01JT/tags/01JTAG ',
      'POST /api/tickets/01JT/note {"body":"<p>Imported later</p>","attachment_ids":["upl_x"]}',
    ]);
    expect(seen.every((r) => !r.url.includes('/reply'))).toBe(true);
    expect(c.requestCounts()).toEqual({ setStatus: 1, setAssignee: 2, addTag: 1, removeTag: 1, addNote: 1 });
  });
  it('addNote reads {message: …} too, and sends no attachment_ids when there are none', async () => {
    answer((_, res) => json(res, 201, { message: { ulid: '01JNOTE2' } }));
    expect((await client().addNote('01JT', '<p>x</p>')).ulid).toBe('01JNOTE2');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({ body: '<p>x</p>' });
  });
  it('ids are escaped into the path', async () => {
    answer((_, res) => json(res, 200, {}));
    await client().setStatus('a/b?c', 'open');
    expect(seen[0]!.url).toBe('/api/tickets/a%2Fb%3Fc/status');
  });
  it('getTicket: the ticket, or null on 404; other errors still throw', async () => {
    answer(
      (_, res) => json(res, 200, { data: { ...TICKET, messages: [{ ulid: '01JM', type: 'inbound' }] } }),
      (_, res) => json(res, 404, { message: 'Not Found' }),
      (_, res) => json(res, 500, { message: 'Server Error' }),
    );
    const c = client();
    expect((await c.getTicket('01JTICKET'))?.messages).toHaveLength(1);
    expect(await c.getTicket('01JGONE')).toBeNull();
    const e = (await caught(c.getTicket('01JT'))) as TargetError;
    expect(e.recorded.code).toBe('http_500');
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/tickets/01JTICKET', 'GET /api/tickets/01JGONE', 'GET /api/tickets/01JT']);
    expect(c.requestCounts()).toEqual({ getTicket: 3 });
  });
});

describe('lists', () => {
  it('a plain {data: [...]} is one request', async () => {
    answer((_, res) => json(res, 200, { data: [{ ulid: 'c1', name: 'Support' }] }));
    const c = client();
    expect(await c.listChannels()).toEqual([{ ulid: 'c1', name: 'Support' }]);
    expect(c.requestCounts()).toEqual({ listChannels: 1 });
  });
  it('Laravel pagination is followed by page number on the same path, never by links.next', async () => {
    const page = (n: number, last: number, items: unknown[]): Handler => (_, res) =>
      json(res, 200, { data: items, links: { next: 'https://evil.example/steal' }, meta: { current_page: n, last_page: last, per_page: 100, total: 3 } });
    answer(page(1, 3, [{ email: 'a@x' }]), page(2, 3, [{ email: 'b@x' }]), page(3, 3, [{ email: 'c@x' }]));
    const c = client();
    expect((await c.listMembers()).map((m) => m.email)).toEqual(['a@x', 'b@x', 'c@x']);
    expect(seen.map((r) => r.url)).toEqual(['/api/members', '/api/members?page=2&per_page=100', '/api/members?page=3&per_page=100']);
    expect(c.requestCounts()).toEqual({ listMembers: 3 });
  });
  it('a page answered as another page stops with unexpected_response', async () => {
    answer(
      (_, res) => json(res, 200, { data: [{}], meta: { current_page: 1, last_page: 2 } }),
      (_, res) => json(res, 200, { data: [{}], meta: { current_page: 1, last_page: 2 } }),
    );
    expect(((await caught(client().listTags())) as TargetError).recorded.code).toBe('unexpected_response');
  });
  it('an answer that is not a list is unexpected_response', async () => {
    answer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    expect(((await caught(client().listTags())) as TargetError).recorded.code).toBe('unexpected_response');
  });
});

describe('rate limits and counts', () => {
  it('onRateLimit gets the headers of every answer, errors included', async () => {
    answer(
      (_, res) => json(res, 200, { data: [] }, { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '59' }),
      (_, res) => json(res, 500, {}, { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '58' }),
    );
    const c = client();
    const seenInfo: RateLimitInfo[] = [];
    c.onRateLimit = (i) => seenInfo.push(i);
    await c.listTags();
    await caught(c.listTags());
    expect(seenInfo).toEqual([
      { limit: 60, remaining: 59 },
      { limit: 60, remaining: 58 },
    ]);
    expect(c.requestCounts()).toEqual({ listTags: 2 });
    const copy = c.requestCounts();
    copy.listTags = 99;
    expect(c.requestCounts().listTags).toBe(2);
  });
});

describe('transport failures', () => {
  it('no answer within requestTimeoutMs is a retryable timeout', async () => {
    answer(() => undefined); // never answers
    const started = Date.now();
    const e = (await caught(client({ requestTimeoutMs: 150 }).getTicket('01JT'))) as TargetError;
    expect(e.recorded.code).toBe('timeout');
    expect(e.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });
  it('a body that stalls after the headers times out too', async () => {
    answer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    });
    const e = (await caught(client({ requestTimeoutMs: 150 }).getTicket('01JT'))) as TargetError;
    expect(e.recorded.code).toBe('timeout');
  });
  it("the caller's signal cancels (not retried)", async () => {
    answer(() => undefined);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const e = (await caught(client().getTicket('01JT', { signal: ctl.signal }))) as TargetError;
    expect(e.recorded.code).toBe('cancelled');
    expect(e.retryable).toBe(false);
  });
  it('a reset connection is a retryable transport error', async () => {
    answer((req, res) => res.socket?.destroy());
    const e = (await caught(client().importTicket(TICKET_BODY))) as TargetError;
    expect(e).toBeInstanceOf(TargetError);
    expect(e.recorded.code).toBe('transport');
    expect(e.retryable).toBe(true);
  });
  it('a refused connection is retried, then fatal', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const e = (await caught(client({ baseUrl: `http://127.0.0.1:${port}` }).listTags())) as TargetError;
    expect(e.recorded.code).toBe('connect');
    expect(e.retryable).toBe(true);
    expect(e.fatalWhenExhausted).toBe(true);
  });
  it('a redirect is not followed: fatal, pointing at baseUrl', async () => {
    answer((_, res) => res.writeHead(301, { location: 'https://elsewhere.example/api/tickets/import?sig=abc' }).end());
    const e = (await caught(client().importTicket(TICKET_BODY))) as TargetError;
    expect(e.recorded.code).toBe('http_301');
    expect(e.fatal).toBe(true);
    expect(e.message).toContain('https://elsewhere.example/api/tickets/import');
    expect(e.message).not.toContain('sig=abc');
    expect(seen).toHaveLength(1);
  });
});

describe('the token', () => {
  it('is not a property of the client: not in inspect, JSON or its options', () => {
    const c = client({ workspaceId: 1 });
    expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });
  it('never appears in an error, even when the server echoes it', async () => {
    const echo: Handler = (req, res) => json(res, Number(req.url.split('/')[3]), { message: `got ${req.headers.authorization}`, errors: { token: [`${TOKEN} invalid`] } });
    const statuses = [400, 401, 403, 404, 409, 422, 429, 500];
    for (let i = 0; i < statuses.length; i++) answer(echo);
    const c = client();
    for (const s of statuses) {
      const e = (await caught(c.setStatus(String(s), 'open'))) as TargetError;
      expect(e).toBeInstanceOf(TargetError);
      const text = JSON.stringify({ m: e.message, r: e.recorded, s: e.stack });
      expect(text).not.toContain(TOKEN);
      expect(text).toContain('[redacted]');
    }
  });
});
