/**
 * ThereThereClient against the strict There There emulator: listing the workspace, importing a
 * ticket and importing it again (created=false), the 200-message limit, an upload referenced as an
 * attachment and as an inline cid: image, status/assignee/tags/note on the imported ticket, and the
 * failures the engine must tell apart (429 with Retry-After, 401, 403 without admin, 400 without
 * X-Workspace-Id, 404). Also: the rules' limits equal the emulator's.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThereThereEmulator, type ThereThereEmulator, type ThereThereSeed } from '../../../src/emulators/therethere/index.js';
import * as emuRules from '../../../src/emulators/therethere/rules.js';
import { MAX_FILE_KILOBYTES } from '../../../src/emulators/therethere/uploads.js';
import {
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_FILE_BYTES,
  MAX_MESSAGES,
  MAX_SUBJECT_CHARS,
  MAX_TAGS,
  ThereThereClient,
  splitMessages,
  type ImportMessageBody,
  type ImportTicketBody,
} from '../../../src/targets/therethere/index.js';
import { TargetError, type RateLimitInfo } from '../../../src/targets/types.js';

const ADMIN = 'tt_admin_0123456789abcdef';
const AGENT = 'tt_agent_0123456789abcdef';
const MULTI = 'tt_multi_0123456789abcdef';
const CHANNEL = '01HX9F3K2M0000000000000001';
const SARA = '01HX9F3K2M0000000000000002';
const BEN = '01HX9F3K2M0000000000000003';
const TAG_VIP = '01HX9F3K2M0000000000000004';

const SEED: ThereThereSeed = {
  workspace: { id: 7, name: 'Acme', slug: 'acme' },
  members: [
    { ulid: SARA, email: 'sara@acme.com', name: 'Sara' },
    { ulid: BEN, email: 'ben@acme.com', name: 'Ben' },
  ],
  channels: [{ ulid: CHANNEL, name: 'Support', type: 'email', emailAddress: 'support@acme.com' }],
  tags: [{ ulid: TAG_VIP, name: 'vip' }, 'billing'],
  tokens: [
    { token: ADMIN, admin: true, member: 'sara@acme.com' },
    { token: AGENT, admin: false, member: 'ben@acme.com' },
    { token: MULTI, admin: true, member: 'sara@acme.com', multiWorkspace: true },
  ],
};

let emu: ThereThereEmulator;
let dir: string;

beforeAll(async () => {
  emu = await startThereThereEmulator({ seed: SEED });
  dir = await mkdtemp(join(tmpdir(), 'tt-emu-'));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

function client(token = ADMIN, over: { workspaceId?: number } = {}): ThereThereClient {
  return new ThereThereClient({ baseUrl: emu.url, token, requestTimeoutMs: 10_000, ...over });
}

async function admin(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

function ticketBody(externalId: string, over: Partial<ImportTicketBody> = {}): ImportTicketBody {
  return {
    channel: CHANNEL,
    subject: `Refund request ${externalId}`,
    status: 'closed',
    created_at: '2024-01-10T09:00:00+00:00',
    closed_at: '2024-01-12T16:30:00+00:00',
    external_id: externalId,
    assignee_email: 'sara@acme.com',
    tags: ['billing', 'refund'],
    from_contact: { email: 'john@customer.com', name: 'John Doe' },
    messages: [
      { type: 'inbound', body: '<p>I would like a refund for order 1234.</p>', created_at: '2024-01-10T09:00:00+00:00', external_id: 'm1' },
      {
        type: 'outbound',
        body: '<p>Your refund has been processed.</p>',
        created_at: '2024-01-11T11:00:00+00:00',
        author_email: 'gone@oldhelpdesk.com',
        author_name: 'Sara (Support)',
        external_id: 'm2',
      },
    ],
    ...over,
  };
}

async function caught(p: Promise<unknown>): Promise<TargetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TargetError);
    return e as TargetError;
  }
  throw new Error('expected a rejection');
}

describe('the rules agree with the emulator', () => {
  it('subject, messages, tags, attachments per message, file size', () => {
    expect(MAX_SUBJECT_CHARS).toBe(emuRules.MAX_SUBJECT);
    expect(MAX_MESSAGES).toBe(emuRules.MAX_MESSAGES);
    expect(MAX_TAGS).toBe(emuRules.MAX_TAGS);
    expect(MAX_ATTACHMENTS_PER_MESSAGE).toBe(emuRules.MAX_ATTACHMENTS);
    // Ours is the stricter reading of "25 MB": never a file the emulator refuses.
    expect(MAX_FILE_BYTES).toBeLessThanOrEqual(MAX_FILE_KILOBYTES * 1024);
  });
});

describe('workspace look-ups', () => {
  it('channels, active members and tags', async () => {
    const c = client();
    expect((await c.listChannels()).map((x) => [x.ulid, x.name])).toEqual([[CHANNEL, 'Support']]);
    expect((await c.listMembers()).map((m) => [m.ulid, m.email])).toEqual([
      [SARA, 'sara@acme.com'],
      [BEN, 'ben@acme.com'],
    ]);
    expect((await c.listTags()).map((t) => t.name).sort()).toEqual(['billing', 'vip']);
    expect(c.requestCounts()).toEqual({ listChannels: 1, listMembers: 1, listTags: 1 });
  });
});

describe('importTicket', () => {
  it('imports once; the same external_id again returns the same ticket with created=false', async () => {
    const c = client();
    const limits: RateLimitInfo[] = [];
    c.onRateLimit = (i) => limits.push(i);
    const first = await c.importTicket(ticketBody('legacy-1'));
    expect(first.created).toBe(true);
    expect(first.ticket.ulid).toMatch(/^[0-9A-Z]{26}$/);
    expect(first.ticket.status).toBe('closed');
    expect(first.ticket.assignee?.email).toBe('sara@acme.com');
    expect(first.ticket.messages).toHaveLength(2);

    const again = await c.importTicket(ticketBody('legacy-1', { subject: 'changed' }));
    expect(again.created).toBe(false);
    expect(again.ticket.ulid).toBe(first.ticket.ulid);
    expect(again.ticket.subject).toBe('Refund request legacy-1');

    const snap = emu.snapshot();
    expect(snap.tickets).toHaveLength(1);
    const t = snap.tickets[0]!;
    expect(t).toMatchObject({ external_id: 'legacy-1', status: 'closed', closed_at: '2024-01-12T16:30:00+00:00', contact_email: 'john@customer.com' });
    expect(t.tags.sort()).toEqual(['billing', 'refund']);
    // Inbound: the contact; outbound by an agent who is not a member: the name and email given, kept on the message.
    expect(t.messages.map((m) => [m.type, m.author_email, m.author_name])).toEqual([
      ['inbound', 'john@customer.com', 'John Doe'],
      ['outbound', 'gone@oldhelpdesk.com', 'Sara (Support)'],
    ]);
    expect(c.requestCounts()).toEqual({ importTicket: 2 });
    expect(limits.at(-1)).toMatchObject({ limit: 300 });
  });

  it('201 messages are refused (422 on messages); the first 200 import', async () => {
    const c = client();
    const many: ImportMessageBody[] = Array.from({ length: MAX_MESSAGES + 1 }, (_, i) => ({
      type: 'inbound',
      body: `<p>message ${i}</p>`,
      created_at: new Date(Date.parse('2024-01-10T09:00:00Z') + i * 60_000).toISOString(),
    }));
    const e = await caught(c.importTicket(ticketBody('legacy-long', { messages: many })));
    expect(e.retryable).toBe(false);
    expect(e.fatal).toBe(false);
    expect(e.recorded.code).toBe('validation');
    expect(e.recorded.type).toBe('VALIDATION');
    expect(e.recorded.fields?.map((f) => f.field)).toContain('messages');
    expect(emu.snapshot().tickets).toHaveLength(0);

    const { first, rest } = splitMessages(many);
    expect(rest).toHaveLength(1);
    const ok = await c.importTicket(ticketBody('legacy-long', { messages: first }));
    expect(ok.created).toBe(true);
    expect(emu.snapshot().tickets[0]!.messages).toHaveLength(200);
  });

  it("Laravel's per-field messages come back as fields (dotted keys for messages)", async () => {
    const e = await caught(
      client().importTicket(
        ticketBody('legacy-bad', {
          subject: 's'.repeat(256),
          messages: [{ type: 'inbound', body: '<p>x</p>', created_at: '2999-01-01T00:00:00Z' }],
        }),
      ),
    );
    const fields = e.recorded.fields?.map((f) => f.field) ?? [];
    expect(fields).toContain('subject');
    expect(fields).toContain('messages.0.created_at');
    expect(e.recorded.fields?.every((f) => f.type === 'VALIDATION' && f.message.length > 0)).toBe(true);
  });
});

describe('attachments', () => {
  it('an upload is referenced by an imported message, as a file and as an inline image', async () => {
    const pdf = join(dir, 'invoice.pdf');
    const png = join(dir, 'logo.png');
    const pdfBytes = Buffer.from('%PDF-1.4 pretend\n');
    const pngBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    await writeFile(pdf, pdfBytes);
    await writeFile(png, pngBytes);
    const c = client();
    const a = await c.uploadAttachment(pdf, 'invoice.pdf', 'application/pdf', pdfBytes.length);
    const b = await c.uploadAttachment(png, 'logo.png', 'image/png', pngBytes.length);
    expect(a.token).toMatch(/^upl_acme_/);
    expect(a).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf', size: pdfBytes.length });
    expect(typeof a.expiresAt).toBe('string');

    const r = await c.importTicket(
      ticketBody('legacy-att', {
        messages: [
          { type: 'inbound', body: `<p>See attached <img src="cid:${b.token}"></p>`, created_at: '2024-01-10T09:00:00Z', attachment_ids: [a.token, b.token] },
        ],
      }),
    );
    expect(r.created).toBe(true);
    const m = emu.snapshot().tickets[0]!.messages[0]!;
    expect(m.attachments).toEqual([
      { name: 'invoice.pdf', size: pdfBytes.length, sha256: createHash('sha256').update(pdfBytes).digest('hex') },
      { name: 'logo.png', size: pngBytes.length, sha256: createHash('sha256').update(pngBytes).digest('hex') },
    ]);
    expect(m.body_html).not.toContain('cid:');
    expect(c.requestCounts()).toEqual({ uploadAttachment: 2, importTicket: 1 });

    // Single use: the same token again is a validation error on that message's attachment_ids.
    const e = await caught(c.importTicket(ticketBody('legacy-att-2', { messages: [{ type: 'inbound', body: '<p>x</p>', attachment_ids: [a.token] }] })));
    expect(e.recorded.fields?.[0]?.field).toBe('messages.0.attachment_ids.0');
  });
});

describe('changes to an imported ticket', () => {
  it('status, assignee, tags and a silent note; getTicket sees them; no /reply', async () => {
    const c = client();
    const { ticket } = await c.importTicket(ticketBody('legacy-ops', { status: 'open', closed_at: undefined, tags: [] }));
    await c.setStatus(ticket.ulid, 'waiting');
    await c.setAssignee(ticket.ulid, BEN);
    await c.addTag(ticket.ulid, TAG_VIP);
    const note = await c.addNote(ticket.ulid, '<p>Migrated: 3 later messages</p>');
    expect(note.ulid).toMatch(/^[0-9A-Z]{26}$/);
    let read = await c.getTicket(ticket.ulid);
    expect(read).toMatchObject({ status: 'waiting', assignee: { ulid: BEN, email: 'ben@acme.com' } });
    expect(read?.tags?.map((t) => t.name)).toEqual(['vip']);
    expect(read?.messages?.at(-1)).toMatchObject({ type: 'note', body_html: '<p>Migrated: 3 later messages</p>' });

    await c.removeTag(ticket.ulid, TAG_VIP);
    await c.setAssignee(ticket.ulid, null);
    await c.setStatus(ticket.ulid, 'closed');
    read = await c.getTicket(ticket.ulid);
    expect(read).toMatchObject({ status: 'closed', assignee: null, tags: [] });
    expect(c.requestCounts()).toEqual({ importTicket: 1, setStatus: 2, setAssignee: 2, addTag: 1, removeTag: 1, addNote: 1, getTicket: 2 });
    expect(emu.requests().some((r) => r.path.endsWith('/reply'))).toBe(false);
  });

  it('an unknown ticket: getTicket is null, a change is not_found; an unknown tag is not_found', async () => {
    const c = client();
    expect(await c.getTicket('01HX9F3K2M00000000000000ZZ')).toBeNull();
    expect((await caught(c.setStatus('01HX9F3K2M00000000000000ZZ', 'open'))).recorded.code).toBe('not_found');
    const { ticket } = await c.importTicket(ticketBody('legacy-404'));
    expect((await caught(c.addTag(ticket.ulid, '01HX9F3K2M00000000000000ZZ'))).recorded.code).toBe('not_found');
  });

  it('an assignee who is not a member is a validation error on assignee_ulid', async () => {
    const c = client();
    const { ticket } = await c.importTicket(ticketBody('legacy-422'));
    const e = await caught(c.setAssignee(ticket.ulid, '01HX9F3K2M00000000000000ZZ'));
    expect(e.recorded.code).toBe('validation');
    expect(e.recorded.fields?.[0]?.field).toBe('assignee_ulid');
  });
});

describe('failures', () => {
  it('429 from the faults endpoint: retryable with Retry-After; the next try goes through', async () => {
    await admin('/__emulator/faults', { rules: [{ operation: 'import', action: 'rate-limit', retryAfterSeconds: 7, times: 1 }] });
    const c = client();
    const e = await caught(c.importTicket(ticketBody('legacy-429')));
    expect(e.recorded.code).toBe('rate_limited');
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(7000);
    expect((await c.importTicket(ticketBody('legacy-429'))).created).toBe(true);
    expect(c.requestCounts()).toEqual({ importTicket: 2 });
  });

  it('the import limit per minute answers 429 with Retry-After', async () => {
    await admin('/__emulator/config', { importRateLimitPerMinute: 2 });
    const c = client();
    await c.importTicket(ticketBody('legacy-r1'));
    await c.importTicket(ticketBody('legacy-r2'));
    const e = await caught(c.importTicket(ticketBody('legacy-r3')));
    expect(e.recorded.code).toBe('rate_limited');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(e.retryAfterMs).toBeLessThanOrEqual(60_000);
    await admin('/__emulator/config', { importRateLimitPerMinute: 300 });
  });

  it('5xx and resets from the faults endpoint are retryable', async () => {
    await admin('/__emulator/faults', { rules: [{ operation: 'status', action: 'status:503', times: 1 }, { operation: 'getTicket', action: 'reset', times: 1 }] });
    const c = client();
    const { ticket } = await c.importTicket(ticketBody('legacy-5xx'));
    const s = await caught(c.setStatus(ticket.ulid, 'open'));
    expect(s.recorded.code).toBe('http_503');
    expect(s.retryable).toBe(true);
    const r = await caught(c.getTicket(ticket.ulid));
    expect(r.recorded.code).toBe('transport');
    expect(r.retryable).toBe(true);
  });

  it('a request that hangs times out (retryable)', async () => {
    await admin('/__emulator/faults', { rules: [{ operation: 'tags', action: 'hang', times: 1 }] });
    const e = await caught(new ThereThereClient({ baseUrl: emu.url, token: ADMIN, requestTimeoutMs: 200 }).listTags());
    expect(e.recorded.code).toBe('timeout');
    expect(e.retryable).toBe(true);
  });

  it('a wrong token is fatal (401) and not quoted', async () => {
    const e = await caught(client('tt_wrong_token_value').listChannels());
    expect(e.recorded.code).toBe('unauthenticated');
    expect(e.fatal).toBe(true);
    expect(JSON.stringify(e.recorded)).not.toContain('tt_wrong_token_value');
  });

  it('a token without admin rights cannot import: fatal 403 with the admin hint', async () => {
    const e = await caught(client(AGENT).importTicket(ticketBody('legacy-403')));
    expect(e.recorded.code).toBe('forbidden');
    expect(e.fatal).toBe(true);
    expect(e.message).toMatch(/admin token/);
    expect(JSON.stringify(e.recorded)).not.toContain(AGENT);
  });

  it('a multi-workspace token needs X-Workspace-Id: 400 fatal without it, works with it, 403 for another workspace', async () => {
    const without = await caught(client(MULTI).listChannels());
    expect(without.recorded.code).toBe('http_400');
    expect(without.fatal).toBe(true);
    expect(without.message).toMatch(/workspaceId/);
    expect(await client(MULTI, { workspaceId: 7 }).listChannels()).toHaveLength(1);
    const other = await caught(client(MULTI, { workspaceId: 8 }).listChannels());
    expect(other.recorded.code).toBe('forbidden');
    expect(other.message).toMatch(/workspaceId/);
  });
});
