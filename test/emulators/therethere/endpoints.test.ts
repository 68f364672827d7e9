/** The other endpoints: GET ticket, PUT status, PUT assignee, POST/DELETE tags, POST note, GET channels/members/tags/me; routing errors. */
import { beforeEach, describe, expect, test } from 'vitest';
import { AGENT, call, CH_SALES, CH_SUPPORT, expectOnly422, M_GONE, M_SAM, M_SARA, newTicket, SALES_AGENT, TAG_BILLING, TAG_VIP, ulid, useEmulator, WORKSPACE_ID } from './helpers.js';

const emu = useEmulator();
let t: string;
beforeEach(async () => {
  t = await newTicket(emu, { status: 'open' });
});

const state = () => emu.snapshot().tickets[0];
const UNKNOWN = ulid('Z');

describe('GET /api/tickets/{ulid}', () => {
  test('200 {data: TicketDetail}, the same body the import answered', async () => {
    const r = await call(emu, 'GET', `/api/tickets/${t}`, { token: AGENT });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ ulid: t, status: 'open', activities: [] });
    expect(r.body.data.messages).toHaveLength(2);
    expect(r.body.data.messages[0]).toEqual({
      id: expect.any(Number),
      ulid: expect.any(String),
      type: 'inbound',
      body_html: '<p>I would like a refund.</p>',
      body_text: 'I would like a refund.',
      sender: { id: expect.any(Number), type: 'contact', name: 'John Doe', email: 'john@customer.test', avatar_url: null },
      attachments: [],
      inline_images: [],
      is_forward: false,
      send_status: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
    });
  });

  test('a ULID is matched case-insensitively', async () => {
    expect((await call(emu, 'GET', `/api/tickets/${t.toLowerCase()}`)).status).toBe(200);
  });

  test('unknown → 404 with Laravel’s model message', async () => {
    const r = await call(emu, 'GET', `/api/tickets/${UNKNOWN}`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: `No query results for model [App\\Models\\Ticket] ${UNKNOWN}` });
  });

  test('a ticket in a channel the token cannot access is 404', async () => {
    expect((await call(emu, 'GET', `/api/tickets/${t}`, { token: SALES_AGENT })).status).toBe(404);
    const sales = await newTicket(emu, { channel: CH_SALES });
    expect((await call(emu, 'GET', `/api/tickets/${sales}`, { token: SALES_AGENT })).status).toBe(200);
  });
});

describe('PUT /api/tickets/{ulid}/status', () => {
  test('sets the status; closing sets closed_at, reopening clears it; 200 {data: Ticket} without messages', async () => {
    const r = await call(emu, 'PUT', `/api/tickets/${t}/status`, { token: AGENT, body: { status: 'closed' } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ ulid: t, status: 'closed' });
    expect(r.body.data.messages).toBeUndefined();
    expect(state()?.closed_at).not.toBeNull();
    await call(emu, 'PUT', `/api/tickets/${t}/status`, { body: { status: 'waiting' } });
    expect(state()).toMatchObject({ status: 'waiting', closed_at: null });
  });
  test('status is required', async () => expectOnly422(await call(emu, 'PUT', `/api/tickets/${t}/status`, { body: {} }), 'status', 'The status field is required.'));
  test('status must be one of the four', async () =>
    expectOnly422(await call(emu, 'PUT', `/api/tickets/${t}/status`, { body: { status: 'resolved' } }), 'status', 'The selected status is invalid.'));
  test('unknown ticket → 404', async () => expect((await call(emu, 'PUT', `/api/tickets/${UNKNOWN}/status`, { body: { status: 'open' } })).status).toBe(404));
});

describe('PUT /api/tickets/{ulid}/assignee', () => {
  const assign = (assignee_ulid: unknown, token?: string) => call(emu, 'PUT', `/api/tickets/${t}/assignee`, { token, body: assignee_ulid === undefined ? {} : { assignee_ulid } });

  test('assigns an active member (by the ULID GET /api/members lists for an email), null unassigns', async () => {
    const members = (await call(emu, 'GET', '/api/members')).body.data as { ulid: string; email: string }[];
    const sara = members.find((m) => m.email === 'sara@acme.test')?.ulid;
    expect(sara).toBe(M_SARA);
    const r = await assign(sara, AGENT);
    expect(r.status).toBe(200);
    expect(r.body.data.assignee).toMatchObject({ ulid: M_SARA, email: 'sara@acme.test' });
    expect(state()?.assignee_email).toBe('sara@acme.test');
    expect((await assign(null)).body.data.assignee).toBeNull();
    expect(state()?.assignee_email).toBeNull();
  });
  test('assignee_ulid must be present', async () => expectOnly422(await assign(undefined), 'assignee_ulid', 'The assignee ulid field must be present.'));
  test('assignee_ulid is a string', async () => expectOnly422(await assign(5), 'assignee_ulid', 'The assignee ulid field must be a string.'));
  test('an unknown member is invalid', async () => expectOnly422(await assign(UNKNOWN), 'assignee_ulid', 'The selected assignee ulid is invalid.'));
  test('a deactivated member is invalid', async () => expectOnly422(await assign(M_GONE), 'assignee_ulid', 'The selected assignee ulid is invalid.'));
  test('a member without access to the ticket’s channel is invalid', async () => {
    expectOnly422(await assign(M_SAM), 'assignee_ulid', 'The selected assignee ulid is invalid.');
    expect(state()?.assignee_email).toBeNull();
  });
});

describe('POST and DELETE /api/tickets/{ulid}/tags/{tagUlid}', () => {
  test('adds a tag (once) with 200 {data: Ticket}; removes it with 204', async () => {
    const added = await call(emu, 'POST', `/api/tickets/${t}/tags/${TAG_VIP}`, { token: AGENT });
    expect(added.status).toBe(200);
    expect(added.body.data.tags).toEqual([{ id: expect.any(Number), ulid: TAG_VIP, name: 'vip', color: '#ff0000' }]);
    await call(emu, 'POST', `/api/tickets/${t}/tags/${TAG_VIP}`);
    await call(emu, 'POST', `/api/tickets/${t}/tags/${TAG_BILLING}`);
    expect(state()?.tags).toEqual(['vip', 'billing']);
    const removed = await call(emu, 'DELETE', `/api/tickets/${t}/tags/${TAG_VIP}`);
    expect(removed.status).toBe(204);
    expect(removed.body).toBeUndefined();
    expect(state()?.tags).toEqual(['billing']);
    expect((await call(emu, 'DELETE', `/api/tickets/${t}/tags/${TAG_VIP}`)).status).toBe(204);
  });
  test('the path takes the tag’s ULID, not its name: unknown → 404', async () => {
    const r = await call(emu, 'POST', `/api/tickets/${t}/tags/billing`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'No query results for model [App\\Models\\Tag] billing' });
    expect((await call(emu, 'DELETE', `/api/tickets/${t}/tags/${UNKNOWN}`)).status).toBe(404);
  });
});

describe('POST /api/tickets/{ulid}/note', () => {
  test('201 {data: Message}: a note by the token owner, dated now, appended in ticket order', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await call(emu, 'POST', `/api/tickets/${t}/note`, { token: AGENT, body: { body: '<p>Migrated from Zendesk</p>' } });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ type: 'note', body_html: '<p>Migrated from Zendesk</p>', sender: { type: 'user', email: 'sara@acme.test', name: 'Sara Agent' } });
    expect(Date.parse(r.body.data.created_at)).toBeGreaterThanOrEqual(before);
    const messages = state()?.messages ?? [];
    expect(messages).toHaveLength(3);
    expect(messages[2]).toMatchObject({ type: 'note', author_email: 'sara@acme.test', author_name: 'Sara Agent' });
  });
  test('body is required', async () => expectOnly422(await call(emu, 'POST', `/api/tickets/${t}/note`, { body: { body: ' ' } }), 'body', 'The body field is required.'));
  test('attachment_ids must be an array', async () =>
    expectOnly422(await call(emu, 'POST', `/api/tickets/${t}/note`, { body: { body: 'x', attachment_ids: 'upl_x' } }), 'attachment_ids', 'The attachment ids field must be an array.'));
  test('unknown ticket → 404', async () => expect((await call(emu, 'POST', `/api/tickets/${UNKNOWN}/note`, { body: { body: 'x' } })).status).toBe(404));
});

describe('GET /api/channels, /api/channels/{ulid}, /api/members, /api/tags, /api/me', () => {
  test('channels the token can access', async () => {
    const all = await call(emu, 'GET', '/api/channels');
    expect(all.body).toEqual({
      data: [
        { id: 1, ulid: CH_SUPPORT, name: 'Support', type: 'email', color: expect.stringMatching(/^#/), email_address: 'support@acme.test' },
        { id: 2, ulid: CH_SALES, name: 'Sales', type: 'widget', color: expect.stringMatching(/^#/), email_address: null },
      ],
    });
    expect((await call(emu, 'GET', '/api/channels', { token: SALES_AGENT })).body.data.map((c: { name: string }) => c.name)).toEqual(['Sales']);
    expect((await call(emu, 'GET', `/api/channels/${CH_SALES}`)).body.data.name).toBe('Sales');
    expect((await call(emu, 'GET', `/api/channels/${CH_SUPPORT}`, { token: SALES_AGENT })).status).toBe(404);
  });

  test('active members with their ULIDs', async () => {
    const r = await call(emu, 'GET', '/api/members', { token: AGENT });
    expect(r.body.data.map((m: { email: string }) => m.email)).toEqual(['owner@acme.test', 'sara@acme.test', 'sam@acme.test']);
    expect(r.body.data[1]).toEqual({ id: 2, ulid: M_SARA, name: 'Sara Agent', email: 'sara@acme.test', avatar_url: null, timezone: null });
  });

  test('tags, including those imports created', async () => {
    await newTicket(emu, { tags: ['fresh'] });
    const r = await call(emu, 'GET', '/api/tags');
    expect(r.body.data).toEqual([
      { id: 1, ulid: TAG_BILLING, name: 'billing', color: '#6b7280' },
      { id: 2, ulid: TAG_VIP, name: 'vip', color: '#ff0000' },
      { id: 3, ulid: expect.stringMatching(/^[0-9A-Z]{26}$/), name: 'fresh', color: '#6b7280' },
    ]);
  });

  test('me: the token owner and the workspace', async () => {
    const r = await call(emu, 'GET', '/api/me', { token: AGENT });
    expect(r.body.data).toMatchObject({ user: { email: 'sara@acme.test' }, workspace: { id: WORKSPACE_ID, name: 'Acme Support', slug: 'acme', ulid: expect.any(String) } });
  });
});

describe('routing', () => {
  test('an unknown route is 404 (before auth), a wrong method 405 with the supported ones', async () => {
    const r = await call(emu, 'GET', '/api/nothing', { token: null });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'The route api/nothing could not be found.' });
    const m = await call(emu, 'PATCH', `/api/tickets/${t}/status`, { body: { status: 'open' } });
    expect(m.status).toBe(405);
    expect(m.body).toEqual({ message: `The PATCH method is not supported for route api/tickets/${t}/status. Supported methods: PUT.` });
    expect((await call(emu, 'DELETE', '/api/tickets/import')).body.message).toMatch(/Supported methods: POST, GET\.$/);
  });
});
