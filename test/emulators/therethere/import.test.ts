/** POST /api/tickets/import: every rule of the import page, idempotency, contacts, authors, defaults. */
import { describe, expect, test } from 'vitest';
import { startThereThereEmulator } from '../../../src/emulators/therethere/index.js';
import { ADMIN_SARA, AGENT, ago, call, CH_SALES, CH_SUPPORT, expect422, expectOnly422, importBody, importTicket, M_SARA, SEED, upload, useEmulator } from './helpers.js';

const emu = useEmulator();

const msg = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'outbound', body: '<p>Hi</p>', created_at: ago(10), ...over });
const withMessage = (over: Record<string, unknown>) => importTicket(emu, { messages: [msg({ type: 'inbound' }), msg(over)] });

describe('a valid import', () => {
  test('201 with the ticket shaped like Get Ticket, and the state records it', async () => {
    const r = await importTicket(emu, { tags: ['billing', 'refund'], external_id: 'legacy-9182', created_at: ago(50), closed_at: ago(40), assignee_email: 'sara@acme.test' });
    expect(r.status).toBe(201);
    const t = r.body.data;
    expect(Object.keys(r.body)).toEqual(['data']);
    expect(t).toMatchObject({
      ulid: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      number: 1,
      subject: 'Refund request',
      status: 'closed',
      channel: { ulid: CH_SUPPORT, name: 'Support', type: 'email', email_address: 'support@acme.test' },
      assignee: { ulid: M_SARA, email: 'sara@acme.test', name: 'Sara Agent' },
      assigned_team: null,
      contact: { email: 'john@customer.test', name: 'John Doe', ticket_count: 1 },
      from_address: 'john@customer.test',
      created_at: ago(50),
      activities: [],
    });
    expect(t.tags.map((x: { name: string }) => x.name)).toEqual(['billing', 'refund']);
    expect(t.messages).toHaveLength(2);
    expect(t.messages[0]).toMatchObject({ type: 'inbound', body_html: '<p>I would like a refund.</p>', body_text: 'I would like a refund.', sender: { type: 'contact', email: 'john@customer.test', name: 'John Doe' }, attachments: [], inline_images: [], is_forward: false, created_at: ago(48) });
    expect(t.messages[1]).toMatchObject({ type: 'outbound', sender: { type: 'user', email: 'sara@acme.test', name: 'Sara Agent' } });

    const state = emu.snapshot();
    expect(state.contacts).toEqual([{ ulid: t.contact.ulid, email: 'john@customer.test', name: 'John Doe' }]);
    expect(state.tickets).toEqual([
      {
        ulid: t.ulid,
        external_id: 'legacy-9182',
        subject: 'Refund request',
        status: 'closed',
        channel_ulid: CH_SUPPORT,
        assignee_email: 'sara@acme.test',
        tags: ['billing', 'refund'],
        contact_email: 'john@customer.test',
        created_at: ago(50),
        closed_at: ago(40),
        messages: [
          { ulid: t.messages[0].ulid, type: 'inbound', body_html: '<p>I would like a refund.</p>', created_at: ago(48), author_email: 'john@customer.test', author_name: 'John Doe', attachments: [] },
          { ulid: t.messages[1].ulid, type: 'outbound', body_html: '<p>Done.</p>', created_at: ago(47), author_email: 'sara@acme.test', author_name: 'Sara Agent', attachments: [] },
        ],
      },
    ]);
    // A new tag is created; existing ones are reused (by name, case-insensitively).
    const tags = await call(emu, 'GET', '/api/tags');
    expect(tags.body.data.map((x: { name: string }) => x.name)).toEqual(['billing', 'vip', 'refund']);
  });

  test.each(['open', 'waiting', 'closed', 'spam'])('status %s is accepted', async (status) => {
    const r = await importTicket(emu, { status });
    expect(r.status).toBe(201);
    expect(emu.snapshot().tickets[0]?.status).toBe(status);
  });

  test('strings are trimmed as Laravel does, and a tag named twice (any case) is attached once', async () => {
    const r = await importTicket(emu, { subject: '  Padded  ', tags: ['Billing', 'billing', ' new '] });
    expect(r.status).toBe(201);
    expect(emu.snapshot().tickets[0]).toMatchObject({ subject: 'Padded', tags: ['billing', 'new'] });
  });

  test('created_at defaults to the earliest message; messages without created_at default to the ticket created_at', async () => {
    await importTicket(emu, { messages: [msg({ type: 'inbound', created_at: ago(30) }), msg({ created_at: ago(20) })] });
    expect(emu.snapshot().tickets[0]?.created_at).toBe(ago(30));
    emu.reset();
    await importTicket(emu, { created_at: ago(60), messages: [msg({ type: 'inbound', created_at: undefined }), msg({ created_at: ago(5) })] });
    const t = emu.snapshot().tickets[0];
    expect(t?.messages.map((m) => m.created_at)).toEqual([ago(60), ago(5)]);
  });

  test('with no timestamp at all, the ticket and its messages are dated at the import', async () => {
    const before = Date.now();
    await importTicket(emu, { messages: [{ type: 'inbound', body: 'x' }] });
    const t = emu.snapshot().tickets[0];
    expect(Date.parse(t?.created_at ?? '')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(t?.messages[0]?.created_at).toBe(t?.created_at);
  });

  test('closed_at: kept for closed, defaulting to the last message; ignored for other statuses', async () => {
    await importTicket(emu, { status: 'closed' });
    expect(emu.snapshot().tickets[0]?.closed_at).toBe(ago(47));
    emu.reset();
    await importTicket(emu, { status: 'open', closed_at: ago(1) });
    expect(emu.snapshot().tickets[0]?.closed_at).toBeNull();
  });

  test('messages are kept in the order sent, which is chronological; messages of the same time keep their order', async () => {
    const r = await importTicket(emu, {
      messages: [msg({ type: 'inbound', body: 'a', created_at: ago(3) }), msg({ body: 'b', created_at: ago(2) }), msg({ type: 'note', body: 'c', created_at: ago(2) }), msg({ body: 'd', created_at: undefined })],
    });
    expect(r.status).toBe(201);
    expect(r.body.data.messages.map((m: { body_html: string }) => m.body_html)).toEqual(['a', 'd', 'b', 'c']);
  });

  test('200 messages are accepted', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => msg({ type: i % 2 ? 'outbound' : 'inbound', body: `m${i}` }));
    expect((await importTicket(emu, { messages })).status).toBe(201);
  });

  test('50 tags and a 255-character subject are accepted', async () => {
    const r = await importTicket(emu, { tags: Array.from({ length: 50 }, (_, i) => `t${i}`), subject: 'é'.repeat(255) });
    expect(r.status).toBe(201);
  });
});

describe('validation: each documented rule gives a Laravel 422', () => {
  test('channel is required', async () => expectOnly422(await importTicket(emu, { channel: undefined }), 'channel', 'The channel field is required.'));
  test('channel must be a channel ULID of the workspace', async () => expectOnly422(await importTicket(emu, { channel: '01J0000000000000000000000Z' }), 'channel', 'The selected channel is invalid.'));
  test('channel given by name is not a ULID', async () => expectOnly422(await importTicket(emu, { channel: 'Support' }), 'channel', 'The selected channel is invalid.'));
  test('channel must be a string', async () => expectOnly422(await importTicket(emu, { channel: 12 }), 'channel', 'The channel field must be a string.'));
  test('subject is required', async () => expectOnly422(await importTicket(emu, { subject: undefined }), 'subject', 'The subject field is required.'));
  test('a blank subject is missing', async () => expectOnly422(await importTicket(emu, { subject: '   ' }), 'subject', 'The subject field is required.'));
  test('subject is at most 255 characters', async () =>
    expectOnly422(await importTicket(emu, { subject: 'x'.repeat(256) }), 'subject', 'The subject field must not be greater than 255 characters.'));
  test('status is required', async () => expectOnly422(await importTicket(emu, { status: undefined }), 'status', 'The status field is required.'));
  test.each(['OPEN', 'pending', 'done'])('status %s is not one of open, waiting, closed, spam', async (status) =>
    expectOnly422(await importTicket(emu, { status }), 'status', 'The selected status is invalid.'),
  );
  test('created_at must be a date', async () => expectOnly422(await importTicket(emu, { created_at: 'yesterday' }), 'created_at', 'The created at field must be a valid date.'));
  test('created_at must be in the past', async () =>
    expectOnly422(await importTicket(emu, { created_at: new Date(Date.now() + 3_600_000).toISOString() }), 'created_at', 'The created at field must be a date before now.'));
  test('closed_at must be in the past', async () =>
    expectOnly422(await importTicket(emu, { closed_at: new Date(Date.now() + 60_000).toISOString() }), 'closed_at', 'The closed at field must be a date before now.'));
  test('closed_at must be a date, whatever the status', async () =>
    expectOnly422(await importTicket(emu, { status: 'open', closed_at: '2024-02-30T10:00:00Z' }), 'closed_at', 'The closed at field must be a valid date.'));
  test('external_id is at most 255 characters', async () =>
    expectOnly422(await importTicket(emu, { external_id: 'x'.repeat(256) }), 'external_id', 'The external id field must not be greater than 255 characters.'));
  test('assignee_email must be an email address', async () =>
    expectOnly422(await importTicket(emu, { assignee_email: 'Sara Agent' }), 'assignee_email', 'The assignee email field must be a valid email address.'));
  test('tags must be an array', async () => expectOnly422(await importTicket(emu, { tags: 'billing' }), 'tags', 'The tags field must be an array.'));
  test('at most 50 tags', async () =>
    expectOnly422(await importTicket(emu, { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }), 'tags', 'The tags field must not have more than 50 items.'));
  test('a tag is a string', async () => expectOnly422(await importTicket(emu, { tags: ['a', 5] }), 'tags.1', 'The tags.1 field must be a string.'));
  test('a tag is not empty', async () => expectOnly422(await importTicket(emu, { tags: [''] }), 'tags.0', 'The tags.0 field is required.'));
  test('from_contact is required', async () => {
    const r = await importTicket(emu, { from_contact: undefined });
    expect422(r, 'from_contact', 'The from contact field is required.');
    expect(r.body.errors['from_contact.email']).toEqual(['The from contact.email field is required.']);
  });
  test('from_contact.email is required', async () =>
    expectOnly422(await importTicket(emu, { from_contact: { name: 'John' } }), 'from_contact.email', 'The from contact.email field is required.'));
  test('from_contact.email must be an email address', async () =>
    expectOnly422(await importTicket(emu, { from_contact: { email: 'john at customer' } }), 'from_contact.email', 'The from contact.email field must be a valid email address.'));
  test('from_contact.name is a string', async () =>
    expectOnly422(await importTicket(emu, { from_contact: { email: 'j@c.test', name: ['J'] } }), 'from_contact.name', 'The from contact.name field must be a string.'));
  test('messages are required', async () => expectOnly422(await importTicket(emu, { messages: undefined }), 'messages', 'The messages field is required.'));
  test('at least 1 message (an empty list is missing, as in Laravel)', async () => expectOnly422(await importTicket(emu, { messages: [] }), 'messages', 'The messages field is required.'));
  test('messages must be an array', async () => expectOnly422(await importTicket(emu, { messages: 'hello' }), 'messages', 'The messages field must be an array.'));
  test('at most 200 messages: 201 is refused', async () => {
    const messages = Array.from({ length: 201 }, (_, i) => msg({ body: `m${i}` }));
    expectOnly422(await importTicket(emu, { messages }), 'messages', 'The messages field must not have more than 200 items.');
    expect(emu.snapshot().tickets).toEqual([]);
  });
  test('a message is an object (and then its type and body are missing)', async () => {
    const r = await importTicket(emu, { messages: ['hi'] });
    expect422(r, 'messages.0', 'The messages.0 field must be an array.');
    expect(Object.keys(r.body.errors)).toEqual(['messages.0', 'messages.0.type', 'messages.0.body']);
  });
  test('messages[].type is required', async () => expectOnly422(await withMessage({ type: undefined }), 'messages.1.type', 'The messages.1.type field is required.'));
  test.each(['reply', 'INBOUND', 'forward'])('messages[].type %s is not inbound, outbound or note', async (type) =>
    expectOnly422(await withMessage({ type }), 'messages.1.type', 'The selected messages.1.type is invalid.'),
  );
  test('messages[].body is required', async () => expectOnly422(await withMessage({ body: undefined }), 'messages.1.body', 'The messages.1.body field is required.'));
  test('messages[].body is a string', async () => expectOnly422(await withMessage({ body: { html: 'x' } }), 'messages.1.body', 'The messages.1.body field must be a string.'));
  test('messages[].created_at must be a date', async () =>
    expectOnly422(await withMessage({ created_at: '10/01/2024' }), 'messages.1.created_at', 'The messages.1.created at field must be a valid date.'));
  test('messages[].created_at must be in the past', async () =>
    expectOnly422(await withMessage({ created_at: new Date(Date.now() + 86_400_000).toISOString() }), 'messages.1.created_at', 'The messages.1.created at field must be a date before now.'));
  test('messages are in chronological order: one dated before a dated message ahead of it is refused', async () => {
    const r = await importTicket(emu, {
      messages: [msg({ type: 'inbound', created_at: ago(30) }), msg({ created_at: ago(10) }), msg({ created_at: undefined }), msg({ created_at: ago(20) }), msg({ created_at: ago(5) })],
    });
    expectOnly422(r, 'messages.3.created_at', 'The messages.3.created at field must be a date after or equal to messages.1.created at.');
  });
  test('messages[].author_email must be an email address', async () =>
    expectOnly422(await withMessage({ author_email: 'sara' }), 'messages.1.author_email', 'The messages.1.author email field must be a valid email address.'));
  test('messages[].author_name is at most 255 characters', async () =>
    expectOnly422(await withMessage({ author_name: 'n'.repeat(256) }), 'messages.1.author_name', 'The messages.1.author name field must not be greater than 255 characters.'));
  test('messages[].external_id is a string', async () =>
    expectOnly422(await withMessage({ external_id: 42 }), 'messages.1.external_id', 'The messages.1.external id field must be a string.'));
  test('messages[].attachment_ids must be an array', async () =>
    expectOnly422(await withMessage({ attachment_ids: 'upl_x' }), 'messages.1.attachment_ids', 'The messages.1.attachment ids field must be an array.'));

  test('every problem is reported at once; the message names the first and counts the rest', async () => {
    const r = await importTicket(emu, { channel: undefined, subject: undefined, status: 'nope' });
    expect422(r, 'channel', 'The channel field is required.');
    expect(r.body.message).toBe('The channel field is required. (and 2 more errors)');
    expect(Object.keys(r.body.errors)).toEqual(['channel', 'subject', 'status']);
  });

  test('malformed JSON is no input at all (Laravel), so every required field is missing', async () => {
    const r = await call(emu, 'POST', '/api/tickets/import', { body: '{"channel": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(422);
    expect(Object.keys(r.body.errors)).toEqual(['channel', 'subject', 'status', 'from_contact', 'from_contact.email', 'messages']);
  });

  test('a body not sent as JSON is not read', async () => {
    const r = await call(emu, 'POST', '/api/tickets/import', { body: JSON.stringify(importBody()), headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(422);
    expect(r.body.errors.channel).toEqual(['The channel field is required.']);
  });

  test('a refused import changes nothing', async () => {
    const tok = await upload(emu);
    const r = await importTicket(emu, { tags: ['brand-new'], messages: [msg({ type: 'inbound', attachment_ids: [tok] }), msg({ type: 'bogus' })] });
    expect(r.status).toBe(422);
    expect(emu.snapshot()).toEqual({ contacts: [], tickets: [] });
    expect((await call(emu, 'GET', '/api/tags')).body.data.map((t: { name: string }) => t.name)).toEqual(['billing', 'vip']);
    expect((await importTicket(emu, { messages: [msg({ type: 'inbound', attachment_ids: [tok] })] })).status).toBe(201);
  });
});

describe('admin token', () => {
  test('a non-admin token is refused with 403 before validation', async () => {
    const r = await call(emu, 'POST', '/api/tickets/import', { token: AGENT, body: {} });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: 'This action is unauthorized.' });
    expect(emu.snapshot().tickets).toEqual([]);
  });
});

describe('idempotency: a repeated external_id', () => {
  test('returns the existing ticket (200, same body shape) and creates nothing', async () => {
    const first = await importTicket(emu, { external_id: 'zd-1', tags: ['one'] });
    expect(first.status).toBe(201);
    const tok = await upload(emu);
    const again = await importTicket(emu, {
      external_id: 'zd-1',
      subject: 'Changed',
      tags: ['two'],
      from_contact: { email: 'other@customer.test' },
      messages: [msg({ type: 'inbound', attachment_ids: [tok] })],
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const state = emu.snapshot();
    expect(state.tickets).toHaveLength(1);
    expect(state.tickets[0]?.subject).toBe('Refund request');
    expect(state.contacts.map((c) => c.email)).toEqual(['john@customer.test']);
    expect((await call(emu, 'GET', '/api/tags')).body.data.map((t: { name: string }) => t.name)).not.toContain('two');
    // The upload was not consumed: it can still be attached.
    expect((await importTicket(emu, { external_id: 'zd-2', messages: [msg({ type: 'inbound', attachment_ids: [tok] })] })).status).toBe(201);
  });

  test('the repeat is still validated first', async () => {
    await importTicket(emu, { external_id: 'zd-1' });
    expectOnly422(await importTicket(emu, { external_id: 'zd-1', subject: undefined }), 'subject', 'The subject field is required.');
  });

  test('without external_id every import creates a ticket', async () => {
    await importTicket(emu);
    await importTicket(emu);
    expect(emu.snapshot().tickets).toHaveLength(2);
  });
});

describe('contacts are matched by email', () => {
  test('the same email (any case) reuses the contact and leaves its name unchanged', async () => {
    await importTicket(emu, { from_contact: { email: 'ann@customer.test', name: 'Ann' } });
    await importTicket(emu, { from_contact: { email: 'ANN@customer.test', name: 'Annie Renamed' } });
    await importTicket(emu, { from_contact: { email: 'bob@customer.test' } });
    const state = emu.snapshot();
    expect(state.contacts.map(({ email, name }) => ({ email, name }))).toEqual([
      { email: 'ann@customer.test', name: 'Ann' },
      { email: 'bob@customer.test', name: null },
    ]);
    expect(state.tickets.map((t) => t.contact_email)).toEqual(['ann@customer.test', 'ann@customer.test', 'bob@customer.test']);
    expect(state.tickets[1]?.messages[0]).toMatchObject({ author_email: 'ann@customer.test', author_name: 'Ann' });
  });

  test('a seeded contact is matched too', async () => {
    const seeded = await startThereThereEmulator({ seed: { ...SEED, contacts: [{ email: 'vip@customer.test', name: 'Very Important' }] } });
    try {
      await importTicket(seeded, { from_contact: { email: 'vip@customer.test', name: 'Other' } });
      expect(seeded.snapshot().contacts).toEqual([{ ulid: expect.any(String), email: 'vip@customer.test', name: 'Very Important' }]);
    } finally {
      await seeded.close();
    }
  });
});

describe('message authors', () => {
  const authorOf = async (m: Record<string, unknown>, token?: string) => {
    const r = await call(emu, 'POST', '/api/tickets/import', { token, body: importBody({ messages: [msg({ type: 'inbound' }), msg(m)] }) });
    expect(r.status).toBe(201);
    const stored = emu.snapshot().tickets.at(-1)?.messages[1];
    return { author_email: stored?.author_email, author_name: stored?.author_name, sender: r.body.data.messages[1].sender };
  };

  test('inbound: always the contact, whatever author fields say', async () => {
    const a = await authorOf({ type: 'inbound', author_email: 'sara@acme.test', author_name: 'Sara' });
    expect(a).toMatchObject({ author_email: 'john@customer.test', author_name: 'John Doe', sender: { type: 'contact' } });
  });

  test('1. author_email of an active member: attributed to that member (any case)', async () => {
    const a = await authorOf({ author_email: 'SARA@acme.test', author_name: 'Sara (Support)' });
    expect(a).toMatchObject({ author_email: 'sara@acme.test', author_name: 'Sara Agent', sender: { type: 'user', email: 'sara@acme.test', name: 'Sara Agent', id: expect.any(Number) } });
  });

  test('2. otherwise the name and email given are stored on the message', async () => {
    const a = await authorOf({ type: 'note', author_email: 'sara@oldhelpdesk.test', author_name: 'Sara (Support)' });
    expect(a).toMatchObject({ author_email: 'sara@oldhelpdesk.test', author_name: 'Sara (Support)', sender: { type: 'user', id: null, email: 'sara@oldhelpdesk.test', name: 'Sara (Support)' } });
  });

  test('2. a deactivated member is not an active member: the given identity is stored', async () => {
    const a = await authorOf({ author_email: 'gone@acme.test', author_name: 'Gone (old helpdesk)' });
    expect(a).toMatchObject({ author_email: 'gone@acme.test', author_name: 'Gone (old helpdesk)', sender: { id: null } });
  });

  test('2. a name alone is stored with no email', async () => {
    expect(await authorOf({ author_name: 'Legacy Bot' })).toMatchObject({ author_email: null, author_name: 'Legacy Bot' });
  });

  test('3. no author at all: the token owner', async () => {
    expect(await authorOf({})).toMatchObject({ author_email: 'owner@acme.test', author_name: 'Olive Owner' });
    expect(await authorOf({ type: 'note' }, ADMIN_SARA)).toMatchObject({ author_email: 'sara@acme.test', author_name: 'Sara Agent' });
  });
});

describe('assignee_email', () => {
  const assigneeOf = async (assignee_email: string, channel = CH_SUPPORT) => {
    expect((await importTicket(emu, { assignee_email, channel })).status).toBe(201);
    return emu.snapshot().tickets.at(-1)?.assignee_email;
  };
  test('an active member with access to the channel is assigned', async () => expect(await assigneeOf('Sara@acme.test')).toBe('sara@acme.test'));
  test('ignored when not a member', async () => expect(await assigneeOf('stranger@acme.test')).toBeNull());
  test('ignored when the member is deactivated', async () => expect(await assigneeOf('gone@acme.test')).toBeNull());
  test('ignored when the member has no access to the channel', async () => {
    expect(await assigneeOf('sam@acme.test', CH_SUPPORT)).toBeNull();
    expect(await assigneeOf('sam@acme.test', CH_SALES)).toBe('sam@acme.test');
  });
});
