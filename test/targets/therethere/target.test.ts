/**
 * ThereThereTarget against the strict There There emulator (in process, loopback): what importThread
 * sends and answers (acks, NOOP on a repeat, files uploaded afresh in every call, inline images,
 * closed_at), the channel by name or ULID, appends as notes that are never posted twice, refresh,
 * updates, the failures the engine must not retry, and the token kept out of every error.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Message, Thread } from '../../../src/core/model.js';
import { startThereThereEmulator, type ThereThereEmulator, type ThereThereSeed, type ThereThereStateSnapshot } from '../../../src/emulators/therethere/index.js';
import { THERETHERE_CAPABILITIES, ThereThereTarget } from '../../../src/targets/therethere/target.js';
import { TargetError, type LocalFile, type MessageToSend } from '../../../src/targets/types.js';

const TOKEN = 'tt_admin_SuperSecret0123456789';
const CHANNEL = '01HX9F3K2M0000000000000001';
const SALES = '01HX9F3K2M0000000000000005';
const SARA = '01HX9F3K2M0000000000000002';
const TAG_VIP = '01HX9F3K2M0000000000000004';
const SEED: ThereThereSeed = {
  workspace: { id: 7, name: 'Acme', slug: 'acme' },
  members: [
    { ulid: SARA, email: 'sara@acme.com', name: 'Sara Agent' },
    { email: 'ben@acme.com', name: 'Ben' },
  ],
  channels: [
    { ulid: CHANNEL, name: 'Support', type: 'email', emailAddress: 'support@acme.com' },
    { ulid: SALES, name: 'Sales', type: 'widget' },
  ],
  tags: [{ ulid: TAG_VIP, name: 'vip' }, 'billing'],
  tokens: [{ token: TOKEN, admin: true, member: 'sara@acme.com' }],
};
const o = { signal: new AbortController().signal };

let emu: ThereThereEmulator;
let dir: string;
/** Every TargetError the tests saw: none may name the token. */
const errors: unknown[] = [];

beforeAll(async () => {
  emu = await startThereThereEmulator({ seed: SEED });
  dir = await mkdtemp(join(tmpdir(), 'tt-target-'));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

function target(over: Partial<ConstructorParameters<typeof ThereThereTarget>[0]> = {}): ThereThereTarget {
  return new ThereThereTarget({ baseUrl: emu.url, token: TOKEN, channel: CHANNEL, appendAs: 'note', requestTimeoutMs: 5_000, ...over });
}

async function state(): Promise<ThereThereStateSnapshot> {
  return (await (await fetch(`${emu.url}/__emulator/state`)).json()) as ThereThereStateSnapshot;
}

interface Logged {
  method: string;
  path: string;
  status: number;
  body: Record<string, unknown> | null;
}
async function requests(): Promise<Logged[]> {
  return (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as Logged[];
}

async function caught(p: Promise<unknown>): Promise<TargetError> {
  try {
    await p;
  } catch (e) {
    errors.push(e);
    expect(e).toBeInstanceOf(TargetError);
    return e as TargetError;
  }
  throw new Error('expected a rejection');
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function file(name: string, bytes: Buffer, over: Partial<LocalFile> = {}): Promise<LocalFile> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(path, bytes);
  return { path, size: bytes.length, sha256: sha(bytes), fileName: name, contentType: 'application/octet-stream', ...over };
}

function msg(externalId: string, type: Message['type'], text: string, over: Partial<Message> = {}): Message {
  const author: Message['author'] = type === 'INBOUND' ? { kind: 'customer' } : { kind: 'agent', email: 'sara@acme.com', name: 'Sara Agent' };
  return { externalId, type, text, createdAt: '2024-03-01T10:00:00.000Z', author, ...over };
}

function thread(externalId: string, over: Partial<Thread> = {}): Thread {
  return {
    externalId,
    title: `Refund ${externalId}`,
    createdAt: '2024-03-01T09:00:00.000Z',
    status: 'open',
    labelTypeIds: ['billing', 'refund'],
    customer: { email: 'john@customer.com', fullName: 'John Doe' },
    messages: [],
    ...over,
  };
}

const THREE: MessageToSend[] = [
  { message: msg('c1', 'INBOUND', '<p>Where is my refund?</p>', { createdAt: '2024-03-01T09:00:00.000Z' }) },
  {
    message: msg('c2', 'OUTBOUND', '<p>On its way.</p>', {
      createdAt: '2024-03-01T10:00:00.000Z',
      author: { kind: 'agent', email: 'gone@oldhelpdesk.com', name: 'Old Agent' },
    }),
  },
  { message: msg('c3', 'NOTE', '<p>Refunded in Stripe.</p>', { createdAt: '2024-03-01T11:00:00.000Z' }) },
];

describe('capabilities', () => {
  it('declare what There There can do', () => {
    const c = THERETHERE_CAPABILITIES('skip');
    expect(c).toMatchObject({ displayName: 'There There', customers: 'inline', messagesInImport: 200, appends: 'skip', uploads: 'in-request', tenants: false });
    expect(THERETHERE_CAPABILITIES('note').appends).toBe('notes');
    expect(c.maxFileBytes('NOTE', 5_000)).toBe(5_000);
    expect(c.maxFileBytes('NOTE', 100_000_000)).toBe(25_000_000);
    expect(c.operationLimits).toEqual({ importThread: 300 });
    const t = target();
    expect([t.name, t.maxMessagesPerCall, t.maxThreadsPerRead]).toEqual(['therethere', 1, 1]);
  });
});

describe('importThread', () => {
  it('imports a ticket with its messages and answers their ids; a repeat is NOOP with the same ids', async () => {
    const t = target();
    const seen: unknown[] = [];
    t.onRateLimit = (i) => seen.push(i);
    const ack = await t.importThread(thread('zd-1', { assignee: { email: 'sara@acme.com' } }), undefined, o, undefined, THREE);
    const s = await state();
    expect(s.tickets).toHaveLength(1);
    const tk = s.tickets[0]!;
    expect(tk).toMatchObject({ ulid: ack.id, external_id: 'zd-1', subject: 'Refund zd-1', status: 'open', channel_ulid: CHANNEL, assignee_email: 'sara@acme.com' });
    expect(tk.tags).toEqual(['billing', 'refund']);
    expect(s.contacts).toContainEqual(expect.objectContaining({ email: 'john@customer.com', name: 'John Doe' }));
    expect(tk.messages.map((m) => [m.type, m.author_email, m.author_name])).toEqual([
      ['inbound', 'john@customer.com', 'John Doe'],
      ['outbound', 'gone@oldhelpdesk.com', 'Old Agent'],
      ['note', 'sara@acme.com', 'Sara Agent'],
    ]);
    expect(ack).toEqual({ id: tk.ulid, result: 'CREATED', messages: tk.messages.map((m) => ({ id: m.ulid, result: 'CREATED' })) });
    const sent = (await requests()).find((r) => r.path === '/api/tickets/import')!.body!;
    const msgs = sent.messages as Array<Record<string, unknown>>;
    expect(msgs[0]).toEqual({ type: 'inbound', body: '<p>Where is my refund?</p>', created_at: '2024-03-01T09:00:00.000Z', external_id: 'c1' });
    expect(msgs[1]).toMatchObject({ author_email: 'gone@oldhelpdesk.com', author_name: 'Old Agent', external_id: 'c2' });
    expect(sent).not.toHaveProperty('closed_at');
    expect(seen.length).toBeGreaterThan(0);

    const again = await t.importThread(thread('zd-1', { assignee: { email: 'sara@acme.com' } }), undefined, o, undefined, THREE);
    // the answer is the ticket as There There has it: given back, so that the engine need not read it again
    expect(again).toEqual({
      ...ack,
      result: 'NOOP',
      messages: ack.messages!.map((m) => ({ ...m!, result: 'NOOP' })),
      remote: { id: tk.ulid, title: 'Refund zd-1', status: { status: 'open', statusDetail: null }, labels: ['billing', 'refund'], labelIds: expect.any(Array), assignee: { email: 'sara@acme.com' } },
    });
    expect((await state()).tickets).toEqual(s.tickets);
    expect(t.requestCounts()).toEqual({ importTicket: 2 });
  });

  it('a repeat whose messages changed acks only the ones the existing ticket has, matched on type and time (to the second)', async () => {
    const t = target();
    // times with milliseconds: There There answers them to the second
    const withMs = (m: MessageToSend): MessageToSend => ({ message: { ...m.message, createdAt: m.message.createdAt.replace('.000Z', '.500Z') } });
    const three = THREE.map(withMs);
    const first = await t.importThread(thread('zd-2'), undefined, o, undefined, [three[0]!, three[2]!]);
    // today's export: a reply between the two, and the note edited (same time, other text)
    const edited: MessageToSend = { message: { ...three[2]!.message, text: '<p>Refunded twice?</p>' } };
    const again = await t.importThread(thread('zd-2'), undefined, o, undefined, [three[0]!, three[1]!, edited]);
    expect(again.result).toBe('NOOP');
    expect(again.messages).toEqual([{ id: first.messages![0]!.id, result: 'NOOP' }, undefined, { id: first.messages![1]!.id, result: 'NOOP' }]);
    expect((await state()).tickets[0]!.messages).toHaveLength(2);
  });

  it('a 201 whose ticket lacks messages sent is taken as the existing ticket (the page names no status for a repeat)', async () => {
    // a stand-in for There There that answers every import 201 with a ticket of one message
    const one = { ulid: '01HX9F3K2M00000000000000M1', type: 'inbound', body_html: '<p>Where is my refund?</p>', created_at: '2024-03-01T09:00:00+00:00' };
    const ticket = { ulid: '01HX9F3K2M00000000000000T1', subject: 'Refund zd-9', status: 'closed', tags: [], assignee: null, messages: [one] };
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: ticket }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const t = target({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const ack = await t.importThread(thread('zd-9'), undefined, o, undefined, THREE);
      expect(ack.result).toBe('NOOP');
      expect(ack.messages).toEqual([{ id: one.ulid, result: 'NOOP' }, undefined, undefined]);
      expect(ack.remote).toMatchObject({ id: ticket.ulid, status: { status: 'closed' }, labels: [], assignee: null });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('uploads files in the call, afresh on a repeat; inline images point at the stored file', async () => {
    const pdf = Buffer.from('%PDF-1.4 invoice bytes');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]);
    const files = [await file('invoice.pdf', pdf, { contentType: 'application/pdf' }), await file('chart.png', png, { contentType: 'image/png', inline: true, contentId: 'plain-migrate-inline-1' })];
    const text = '<p>See <img src="cid:plain-migrate-inline-1" alt="chart.png"> and <img src="cid:plain-migrate-inline-2" alt="a &amp; &quot;b&quot;.png"></p>';
    const m: MessageToSend = { message: msg('c1', 'INBOUND', text), files };
    const t = target();
    const ack = await t.importThread(thread('zd-files'), undefined, o, undefined, [m]);
    const tk = (await state()).tickets[0]!;
    expect(tk.messages[0]!.attachments).toEqual([
      { name: 'invoice.pdf', size: pdf.length, sha256: sha(pdf) },
      { name: 'chart.png', size: png.length, sha256: sha(png) },
    ]);
    const body = tk.messages[0]!.body_html;
    expect(body).not.toContain('cid:');
    expect(body).toContain('[image: a &amp; "b".png]');
    // The emulator rewrote cid:<token> to the inline image's URL; the ticket lists that image.
    const view = await fetch(`${emu.url}/api/tickets/${ack.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const detail = ((await view.json()) as { data: { messages: Array<{ inline_images: Array<{ url: string; name: string }> }> } }).data;
    const img = detail.messages[0]!.inline_images;
    expect(img.map((i) => i.name)).toEqual(['chart.png']);
    expect(body).toContain(`<img src="${img[0]!.url}" alt="chart.png">`);

    const again = await t.importThread(thread('zd-files'), undefined, o, undefined, [m]);
    expect([again.id, again.result]).toEqual([ack.id, 'NOOP']);
    expect(t.requestCounts()).toEqual({ uploadAttachment: 4, importTicket: 2 });
    const log = await requests();
    const tokens = log.filter((r) => r.path === '/api/tickets/import').map((r) => (r.body!.messages as Array<{ attachment_ids: string[] }>)[0]!.attachment_ids);
    expect(new Set(tokens.flat()).size).toBe(4);
    expect((await state()).tickets[0]!.messages[0]!.attachments).toHaveLength(2);
  });

  it('an attempt that failed at an upload leaves the tokens it got for the next attempt; the run paces every request after a call\'s first', async () => {
    const files = await Promise.all(['a.txt', 'b.txt', 'c.txt'].map((n) => file(n, Buffer.from(`bytes of ${n}`))));
    const m: MessageToSend = { message: msg('c1', 'INBOUND', '<p>Three files</p>'), files };
    const t = target();
    let paced = 0;
    t.pace = async () => {
      paced++;
    };
    // the third upload fails once
    await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ operation: 'upload', action: 'status:503', every: 3, times: 1 }] }) });
    const e = await caught(t.importThread(thread('zd-retry'), undefined, { signal: new AbortController().signal }, undefined, [m]));
    expect(e.retryable).toBe(true);
    expect(paced).toBe(2); // uploads 2 and 3: the first request is the run's to pace
    const ack = await t.importThread(thread('zd-retry'), undefined, { signal: new AbortController().signal }, undefined, [m]);
    expect(ack.result).toBe('CREATED');
    // a and b were uploaded once: only c again
    expect(t.requestCounts()).toEqual({ uploadAttachment: 4, importTicket: 1 });
    expect(paced).toBe(3); // the import after the upload of c
    expect((await state()).tickets[0]!.messages[0]!.attachments.map((f) => f.name)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    // once sent, tokens are never offered again: a repeat uploads all three
    await t.importThread(thread('zd-retry'), undefined, { signal: new AbortController().signal }, undefined, [m]);
    expect(t.requestCounts()).toEqual({ uploadAttachment: 7, importTicket: 2 });
  });

  it('sends closed_at only for a closed ticket', async () => {
    const t = target();
    await t.importThread(thread('zd-c', { status: 'closed', closedAt: '2024-03-02T08:00:00.000Z' }), undefined, o, undefined, THREE.slice(0, 1));
    await t.importThread(thread('zd-o', { status: 'waiting', closedAt: '2024-03-02T08:00:00.000Z' }), undefined, o, undefined, THREE.slice(0, 1));
    const bodies = (await requests()).filter((r) => r.path === '/api/tickets/import').map((r) => r.body!);
    expect(bodies[0]!.closed_at).toBe('2024-03-02T08:00:00.000Z');
    expect(bodies[1]).not.toHaveProperty('closed_at');
    const s = await state();
    expect(s.tickets.map((x) => [x.status, x.closed_at])).toEqual([
      ['closed', '2024-03-02T08:00:00+00:00'],
      ['waiting', null],
    ]);
  });

  it('finds the channel by name once (any case); an unknown one stops the run', async () => {
    const t = target({ channel: 'sales' });
    await t.importThread(thread('zd-n1'), undefined, o, undefined, THREE.slice(0, 1));
    await t.importThread(thread('zd-n2'), undefined, o, undefined, THREE.slice(0, 1));
    expect((await state()).tickets.map((x) => x.channel_ulid)).toEqual([SALES, SALES]);
    expect(t.requestCounts()).toEqual({ listChannels: 1, importTicket: 2 });

    const byUlid = target({ channel: SALES });
    await byUlid.importThread(thread('zd-n3'), undefined, o, undefined, THREE.slice(0, 1));
    expect(byUlid.requestCounts()).toEqual({ importTicket: 1 });

    const e = await caught(target({ channel: 'Nowhere' }).importThread(thread('zd-n4'), undefined, o, undefined, THREE.slice(0, 1)));
    expect(e.recorded).toEqual({
      code: 'channel_not_found',
      message: 'There There has no channel named "Nowhere" that this token can reach (channels: Support, Sales)',
      type: 'VALIDATION',
    });
    expect([e.retryable, e.fatal]).toEqual([false, true]);
    expect((await state()).tickets).toHaveLength(3);

    // a ULID There There refuses (422 on channel) would refuse every import: it stops the run too
    const wrong = await caught(target({ channel: '01HX9F3K2M00000000000000ZZ' }).importThread(thread('zd-n5'), undefined, o, undefined, THREE.slice(0, 1)));
    expect(wrong.recorded.code).toBe('channel_refused');
    expect(wrong.recorded.message).toContain('01HX9F3K2M00000000000000ZZ');
    expect([wrong.retryable, wrong.fatal]).toEqual([false, true]);
  });
});

describe('importMessages (appends as notes)', () => {
  it('posts an internal note once; a repeat finds it and answers NOOP', async () => {
    const t = target();
    const { id } = await t.importThread(thread('zd-2'), undefined, o, undefined, THREE.slice(0, 1));
    const png = Buffer.from('png-bytes');
    const late: MessageToSend = {
      message: msg('c<9>', 'OUTBOUND', '<p>Late reply <img src="cid:plain-migrate-inline-0" alt="x.png"></p>', { createdAt: '2024-03-05T10:00:00.000Z' }),
      files: [await file('x.png', png, { inline: true, contentId: 'plain-migrate-inline-0' })],
    };
    const [out] = await t.importMessages(id, [late], o);
    const tk = (await state()).tickets[0]!;
    expect(tk.messages).toHaveLength(2);
    const note = tk.messages[1]!;
    expect(out).toEqual({ ok: true, ack: { id: note.ulid, result: 'CREATED' } });
    expect(note.type).toBe('note');
    expect(note.body_html).toMatch(
      /^<p><em>Imported message \(c&lt;9&gt;\): outbound by Sara Agent &lt;sara@acme\.com&gt; on 2024-03-05T10:00:00\.000Z<\/em><\/p><p>Late reply <img src="http:\/\/127\.0\.0\.1:\d+\/api\/inline-images\/\w+" alt="x\.png"><\/p>$/,
    );
    expect(note.attachments).toEqual([{ name: 'x.png', size: png.length, sha256: sha(png) }]);

    const again = await t.importMessages(id, [late], o);
    expect(again).toEqual([{ ok: true, ack: { id: note.ulid, result: 'NOOP' } }]);
    expect((await state()).tickets[0]!.messages).toHaveLength(2);
    const log = await requests();
    expect(log.filter((r) => r.path.endsWith('/note'))).toHaveLength(1);
    expect(log.some((r) => r.path.endsWith('/reply'))).toBe(false);

    const inbound = await t.importMessages(id, [{ message: msg('c10', 'INBOUND', '<p>Thanks</p>') }], o);
    expect((await state()).tickets[0]!.messages[2]!.body_html).toContain('Imported message (c10): inbound from the contact on ');
    expect(inbound[0]!.ok).toBe(true);
  });

  it('refuses more than one message, appends when they are skipped, and a ticket that is gone', async () => {
    const t = target();
    const { id } = await t.importThread(thread('zd-3'), undefined, o, undefined, THREE.slice(0, 1));
    await expect(t.importMessages(id, THREE.slice(1), o)).rejects.toThrow(/internal/);
    await expect(target({ appendAs: 'skip' }).importMessages(id, THREE.slice(1, 2), o)).rejects.toThrow(/internal/);
    const e = await caught(t.importMessages('01HX9F3K2M00000000000000ZZ', THREE.slice(1, 2), o));
    expect([e.recorded.code, e.retryable]).toEqual(['not_found', false]);
  });
});

describe('refresh and updates', () => {
  it('readThreads maps status, tags and assignee; an unknown ticket is null', async () => {
    const t = target();
    const { id } = await t.importThread(thread('zd-4', { labelTypeIds: ['vip', 'Billing'], assignee: { email: 'sara@acme.com' } }), undefined, o, undefined, THREE.slice(0, 1));
    const [r, gone] = await t.readThreads([id], o).then(async (a) => [...a, ...(await t.readThreads(['01HX9F3K2M00000000000000ZZ'], o))]);
    expect(r).toEqual({
      id,
      title: 'Refund zd-4',
      status: { status: 'open', statusDetail: null },
      labels: ['billing', 'vip'],
      labelIds: [
        { id: TAG_VIP, labelTypeId: 'vip' },
        { id: expect.any(String), labelTypeId: 'billing' },
      ],
      assignee: { email: 'sara@acme.com' },
    });
    expect(gone).toBeNull();
  });

  it('changeStatus, assign, addLabels and removeLabels change the ticket', async () => {
    const t = target();
    const { id } = await t.importThread(thread('zd-5', { labelTypeIds: ['billing'] }), undefined, o, undefined, THREE.slice(0, 1));
    // A tag the import created is found too (the tag list is fetched again on a miss).
    await t.addLabels(id, ['vip'], o);
    await t.importThread(thread('zd-6', { labelTypeIds: ['fresh'] }), undefined, o, undefined, THREE.slice(0, 1));
    await t.addLabels(id, ['fresh', 'VIP'], o);
    await t.changeStatus(id, { status: 'closed', statusDetail: null }, o);
    await t.assign(id, { email: 'BEN@acme.com' }, o);
    let tk = (await state()).tickets[0]!;
    expect(tk).toMatchObject({ status: 'closed', assignee_email: 'ben@acme.com', tags: ['billing', 'vip', 'fresh'] });
    const [remote] = await t.readThreads([id], o);
    await t.removeLabels(id, remote!.labelIds.filter((l) => l.labelTypeId !== 'billing').map((l) => l.id), o);
    await t.assign(id, null, o);
    tk = (await state()).tickets[0]!;
    expect(tk).toMatchObject({ assignee_email: null, tags: ['billing'] });
    expect(t.requestCounts()).toMatchObject({ listTags: 2, listMembers: 1, addTag: 3, removeTag: 2 });
  });

  it('an unknown tag or member fails without retry, before any change', async () => {
    const t = target();
    const { id } = await t.importThread(thread('zd-7'), undefined, o, undefined, THREE.slice(0, 1));
    const tag = await caught(t.addLabels(id, ['vip', 'nope'], o));
    expect(tag.recorded).toEqual({
      code: 'tag_not_found',
      message: 'There There has no tag named "nope"; an update cannot create tags (only an import does): create it in There There, or map to an existing tag',
      type: 'VALIDATION',
    });
    expect([tag.retryable, tag.fatal]).toEqual([false, false]);
    const member = await caught(t.assign(id, { email: 'stranger@acme.com' }, o));
    expect([member.recorded.code, member.recorded.type, member.retryable]).toEqual(['member_not_found', 'VALIDATION', false]);
    expect(member.message).toContain('stranger@acme.com');
    expect((await caught(t.assign(id, { userId: 'u_1' }, o))).retryable).toBe(false);
    expect((await state()).tickets[0]).toMatchObject({ tags: ['billing', 'refund'], assignee_email: null });
  });

  it('userByEmail, and what There There has no way to do', async () => {
    const t = target();
    expect(await t.userByEmail('SARA@acme.com', o)).toEqual({ id: 'sara@acme.com', email: 'sara@acme.com', fullName: 'Sara Agent', isDeleted: false });
    expect(await t.userByEmail('nobody@acme.com', o)).toBeNull();
    expect(t.requestCounts()).toEqual({ listMembers: 1 });
    // the workspace's tags, by name (what the plan checks an update's added tags against)
    expect(await t.listLabelTypes(o)).toEqual([
      { id: 'vip', name: 'vip', archived: false },
      { id: 'billing', name: 'billing', archived: false },
    ]);
    expect(await t.listThreadFieldSchemas(o)).toEqual([]);
    for (const p of [t.upsertCustomer({ email: 'a@b.c', fullName: 'A' }, o), t.updateTitle('x', 'y', o), t.changePriority('x', 1, o), t.createLabelType('x', o)]) {
      const e = await caught(p);
      expect([e.recorded.code, e.recorded.type, e.retryable]).toEqual(['unsupported', 'VALIDATION', false]);
      expect(e.message).toMatch(/^There There has no /);
    }
  });
});

describe('the token', () => {
  it('is neither a property of the target nor in any error', async () => {
    const bad = target({ token: `${TOKEN}-revoked` });
    const e = await caught(bad.importThread(thread('zd-8'), undefined, o, undefined, THREE.slice(0, 1)));
    expect([e.recorded.code, e.fatal]).toEqual(['unauthenticated', true]);
    const t = target();
    expect(inspect(t, { depth: 10, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(t)).not.toContain(TOKEN);
    expect(errors.length).toBeGreaterThan(8);
    for (const x of errors) {
      expect(inspect(x, { depth: 10 })).not.toContain('SuperSecret');
      expect(JSON.stringify((x as TargetError).recorded)).not.toContain('SuperSecret');
    }
  });
});
