/**
 * The starter manifests of `plain-migrate init --from … [--target …]` are real: each loads with no
 * problems next to a small export in that helpdesk's shape, and maps it end to end (Plain: readSource →
 * openIndexes → Mapper; There There: the same bindings and the There There target's per-record rules).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { defaultInitFile, INIT_SOURCES, INIT_TARGETS, isInitSource, isInitTarget, starterManifest, type InitSource, type InitTarget } from '../../src/init/templates.js';
import { loadManifest } from '../../src/manifest/index.js';
import { brief, briefTicket, mapThereThere, mapWorkspace, workspace } from './helpers.js';

type InvalidSeen = { address: string; where: string; reasons: readonly string[] };
type InvalidWanted = { address: string; where: string; reason: RegExp | string };

/** The invalid records and messages a mapping gave, against the expected addresses and one reason each. */
function expectInvalid(
  got: { invalid: readonly InvalidSeen[]; invalidMessages: readonly { address: string; reasons: readonly string[] }[] },
  exp: { invalid: readonly InvalidWanted[]; invalidMessages?: readonly { address: string; reason: RegExp | string }[] },
): void {
  expect(got.invalid.map((i) => ({ address: i.address, where: i.where }))).toEqual(exp.invalid.map(({ address, where }) => ({ address, where })));
  got.invalid.forEach((inv, i) => {
    expect(inv.reasons).toHaveLength(1);
    expect(inv.reasons[0]).toMatch(exp.invalid[i]!.reason);
  });
  const invMsgs = exp.invalidMessages ?? [];
  expect(got.invalidMessages.map((i) => i.address)).toEqual(invMsgs.map((i) => i.address));
  got.invalidMessages.forEach((inv, i) => expect(inv.reasons.join('\n')).toMatch(invMsgs[i]!.reason));
}


const ROOT = path.resolve(import.meta.dirname, '../..');

const PLAIN_ID = /\b(lt|u)_[0-9A-HJKMNP-TV-Z]{26}\b/;
const L1 = 'lt_XXXXXXXXXXXXXXXXXXXXXXXX01';
const L2 = 'lt_XXXXXXXXXXXXXXXXXXXXXXXX02';
const U1 = 'u_XXXXXXXXXXXXXXXXXXXXXXXX01';
const U2 = 'u_XXXXXXXXXXXXXXXXXXXXXXXX02';
const U3 = 'u_XXXXXXXXXXXXXXXXXXXXXXXX03'; // agents _default
const U4 = 'u_XXXXXXXXXXXXXXXXXXXXXXXX04'; // intercom bots

interface Expected {
  threads: Record<string, Record<string, unknown>>;
  invalid: Array<{ address: string; where: string; reason: RegExp }>;
  invalidMessages?: Array<{ address: string; reason: RegExp }>;
  filtered: string[];
  unmapped: string[];
}

const EXPECTED: Record<InitSource, Expected> = {
  zendesk: {
    threads: {
      'zd-201': {
        title: 'Invoice shows the wrong VAT number',
        createdAt: '2024-02-01T09:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 1,
        labels: [L1],
        assignee: U1,
        customer: 'Ann Example <ann@example.com> zd-user-1001',
        messages: [
          '2024-02-01T09:00:00.000Z INBOUND zd-comment-7001 by customer: Our invoice shows the wrong VAT number.',
          `2024-02-01T10:15:00.000Z OUTBOUND zd-comment-7002 by ${U1}: Thanks Ann, looking into it.`,
          `2024-02-01T11:00:00.000Z NOTE zd-comment-7003 by ${U1}: Checked billing: VAT id was copied from the **old** account.`,
        ],
      },
      'zd-202': {
        title: 'Cannot log in after password reset',
        createdAt: '2024-02-05T12:30:00.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [],
        assignee: U3,
        customer: 'Bruno Díaz <bruno@diaz-logistics.es> zd-user-1002',
        messages: [
          '2024-02-05T12:30:00.000Z INBOUND zd-comment-7004 by customer: Password reset link does not work.',
          '2024-02-05T14:00:00.000Z INBOUND zd-comment-7005 by Chloé Martin <chloe@atelier-bleu.fr>: Same here (I am in CC).',
          `2024-02-06T08:00:00.000Z OUTBOUND zd-comment-7006 by ${U3}: Fixed, please try again.`,
        ],
      },
    },
    invalid: [{ address: 'thread["zd-204"]', where: 'export/tickets.jsonl:4', reason: /^threads\.customer\.email is required .* gave null$/ }],
    invalidMessages: [{ address: 'message["zd-201/zd-comment-7009"]', reason: /^messages\.author must be a Plain user id .* gave nothing$/ }],
    filtered: ['export/tickets.jsonl:3'],
    unmapped: ['labels:vip', 'priority:null', 'agents:leo@yourcompany.com'],
  },
  freshdesk: {
    threads: {
      'fd-301': {
        title: 'Refund for double charge',
        createdAt: '2024-03-01T08:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 1,
        labels: [L1],
        assignee: U1,
        customer: 'Amy Customer <amy@example.com> fd-contact-5001',
        messages: [
          '2024-03-01T08:00:00.000Z INBOUND fd-conv-description by customer: I was charged **twice** this month.',
          '2024-03-01T08:30:00.000Z INBOUND fd-conv-9001 by customer: Also the receipt is missing.',
          `2024-03-01T09:00:00.000Z OUTBOUND fd-conv-9002 by ${U1}: Sorry about that, refunding now.`,
          `2024-03-01T09:05:00.000Z NOTE fd-conv-9003 by ${U1}: Refund issued in Stripe.`,
        ],
      },
      'fd-302': {
        title: 'Your renewal is coming up',
        createdAt: '2024-03-03T10:00:00.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 3,
        labels: [],
        assignee: U2,
        customer: 'Bea Buyer <bea@example.org> fd-contact-5002',
        messages: [
          `2024-03-03T10:00:00.000Z OUTBOUND fd-conv-description by ${U2}: Hi Bea, your plan renews next week.`,
          '2024-03-04T10:00:00.000Z INBOUND fd-conv-9004 by customer: Thanks, please renew.',
        ],
      },
      'fd-304': {
        title: 'Export to CSV broken',
        createdAt: '2024-03-06T10:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 0,
        labels: [L2],
        assignee: undefined,
        customer: 'Amy Customer <amy@example.com> fd-contact-5001',
        messages: [
          '2024-03-06T10:00:00.000Z INBOUND fd-conv-description by customer: The CSV export times out.',
          '2024-03-06T11:00:00.000Z INBOUND fd-conv-9005 by Cal Colleague <cal@example.com>: My colleague sees it too.',
        ],
      },
    },
    invalid: [],
    filtered: ['export/tickets.jsonl:3'],
    unmapped: ['labels:refund', 'status:7'],
  },
  helpscout: {
    threads: {
      'hs-401': {
        title: 'Where is my order?',
        createdAt: '2024-04-01T09:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 2,
        labels: [L1],
        assignee: U1,
        customer: 'Dana Doe <dana@example.com> hs-customer-21',
        messages: [
          '2024-04-01T09:00:00.000Z INBOUND hs-thread-1001 by customer: Where is my order #55?',
          `2024-04-01T10:00:00.000Z OUTBOUND hs-thread-1002 by ${U1}: Checking with the courier.`,
          `2024-04-01T10:30:00.000Z NOTE hs-thread-1003 by ${U1}: Courier says _Tuesday_.`,
        ],
      },
      'hs-402': {
        title: 'Conversation #12',
        createdAt: '2024-04-03T09:00:00.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [],
        assignee: undefined,
        customer: 'Eli <eli@example.net> hs-customer-22',
        messages: [
          '2024-04-03T09:00:00.000Z INBOUND hs-thread-1011 by customer: Can you reset my 2FA?',
          `2024-04-03T09:05:00.000Z OUTBOUND hs-thread-1012 by ${U3}: Sure, done.`,
          '2024-04-03T09:10:00.000Z INBOUND hs-thread-1013 by Fay Friend <fay@example.net>: Thanks! (from my colleague)',
        ],
      },
    },
    invalid: [{ address: 'thread["hs-404"]', where: 'export/conversations.jsonl:4', reason: /^threads\.customer\.email is required .* gave nothing$/ }],
    filtered: ['export/conversations.jsonl:3'],
    unmapped: ['agents:gone@yourcompany.com', 'labels:spam'],
  },
  intercom: {
    threads: {
      'ic-501': {
        title: 'Refund request',
        createdAt: '2024-05-01T08:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 1,
        labels: [L1],
        assignee: U1,
        customer: 'Gus Green <gus@example.com> ic-contact-c1',
        messages: [
          "2024-05-01T08:00:00.000Z INBOUND ic-part-source-900501 by customer: I'd like a refund.",
          `2024-05-01T08:01:00.000Z OUTBOUND ic-part-p2 by ${U4}: Happy to help!`,
          `2024-05-01T08:10:00.000Z NOTE ic-part-p3 by ${U1}: Customer is on the annual plan.`,
          `2024-05-01T08:26:40.000Z OUTBOUND ic-part-p4 by ${U1}: Refund processed.`,
          '2024-05-01T08:43:20.000Z INBOUND ic-part-p5 by customer: Thank you!',
        ],
      },
      'ic-502': {
        title: 'Order missing',
        createdAt: '2024-05-02T08:00:00.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [],
        assignee: undefined,
        customer: 'Ivy <ivy@example.com> ic-contact-c2',
        messages: [
          `2024-05-02T08:00:00.000Z OUTBOUND ic-part-source-900502 by ${U1}: Your order shipped.`,
          '2024-05-02T08:03:20.000Z INBOUND ic-part-p7 by Hal Helper <hal@example.com>: It never arrived.',
        ],
      },
      'ic-503': {
        title: 'Hello, the app crashes on start.',
        createdAt: '2024-05-03T08:00:00.000Z',
        status: 'SNOOZED/WAITING_FOR_CUSTOMER',
        priority: 2,
        labels: [],
        assignee: undefined,
        customer: 'Ivy <ivy@example.com> ic-contact-c2',
        messages: ['2024-05-03T08:00:00.000Z INBOUND ic-part-source-900503 by customer: Hello, the app crashes on start.'],
      },
    },
    invalid: [{ address: 'thread["ic-504"]', where: 'export/conversations.jsonl:4', reason: /^threads\.customer\.email is required .* gave null$/ }],
    filtered: [],
    unmapped: ['labels:vip'],
  },
  front: {
    threads: {
      'front-cnv_1': {
        title: 'Invoice question',
        createdAt: '2023-11-29T21:17:29.333Z',
        status: 'TODO/IN_PROGRESS',
        priority: 2,
        labels: [L1, L2],
        assignee: U1,
        customer: 'Jo Jones <jo@example.com> front-crd_11',
        messages: [
          '2023-11-29T21:17:29.333Z INBOUND front-msg_1 by customer: Can I get a copy of my invoice?',
          `2023-11-29T21:40:00.100Z NOTE front-com_1 by ${U1}: She is on the **annual** plan.`,
          `2023-11-29T21:56:40.750Z OUTBOUND front-msg_2 by ${U1}: Here is the [invoice](https://x.example/inv).`,
        ],
      },
      'front-cnv_2': {
        title: '(no subject)',
        createdAt: '2023-12-01T03:06:40.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [],
        assignee: undefined,
        customer: 'kim <kim@example.org>',
        messages: [
          '2023-12-01T03:06:40.000Z INBOUND front-msg_4 by customer: Ping',
          "2023-12-01T03:08:20.000Z INBOUND front-msg_5 by Max Mate <max@example.org>: Pong from Kim's colleague",
        ],
      },
    },
    invalid: [{ address: 'thread["front-cnv_4"]', where: 'export/conversations.jsonl:4', reason: /^threads\.customer\.email is required .* gave "\+15551234567"$/ }],
    filtered: ['export/conversations.jsonl:3'],
    unmapped: [],
  },
  helpspot: {
    threads: {
      'hs-601': {
        title: 'Invoice shows the wrong VAT number',
        createdAt: '2024-03-01T09:00:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 0,
        labels: [L1],
        assignee: U1,
        customer: 'Ann Example <ann@example.com> hs-customer-ann@example.com',
        messages: [
          '2024-03-01T09:00:00.000Z INBOUND hs-note-70001 by customer: My invoice shows the **wrong** VAT number.',
          `2024-03-01T09:30:00.000Z OUTBOUND hs-note-70002 by ${U1}: Thanks Ann, looking into it.`,
          `2024-03-01T09:40:00.000Z NOTE hs-note-70003 by ${U1}: Billing copied the VAT id from the old account.`,
          // an external note (emailed to a third party) is still private: a NOTE
          `2024-03-01T10:00:00.000Z NOTE hs-note-70005 by ${U2}: Asked our accountant to confirm.`,
        ],
      },
      'hs-602': {
        title: 'Cannot log in after password reset',
        createdAt: '2024-03-02T08:00:00.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [L2],
        assignee: U3,
        customer: 'Bo <bo@example.org> hs-customer-bo@example.org',
        messages: [
          '2024-03-02T08:00:00.000Z INBOUND hs-note-70011 by customer: The reset link\nsays it expired.',
          `2024-03-02T11:00:00.000Z OUTBOUND hs-note-70012 by ${U3}: Fixed: _please_ try again.`,
          '2024-03-02T11:30:00.000Z INBOUND hs-note-70013 by customer: Works now, thanks & bye.',
        ],
      },
    },
    invalid: [{ address: 'thread["hs-605"]', where: 'export/requests.jsonl:5', reason: /^threads\.customer\.email is required .* gave ""$/ }],
    filtered: ['export/requests.jsonl:3', 'export/requests.jsonl:4'],
    unmapped: ['labels:vip', 'agents:leo@yourcompany.com'],
  },
  csv: {
    threads: {
      'csv-1001': {
        title: 'Cannot log in',
        createdAt: '2024-03-01T09:30:00.000Z',
        status: 'TODO/IN_PROGRESS',
        priority: 1,
        labels: [L1, L2],
        assignee: U1,
        customer: 'Ann Example <ann@example.com>',
        messages: [
          '2024-03-01T09:30:00.000Z INBOUND csv-msg-5001 by customer: I cannot log in since this morning.\nIt says "invalid code".',
          `2024-03-01T10:00:00.000Z OUTBOUND csv-msg-5002 by ${U1}: Could you try again now?`,
          `2024-03-01T10:05:00.000Z NOTE csv-msg-5003 by ${U1}: Reset the 2FA secret.`,
        ],
      },
      'csv-1002': {
        title: 'Refund, please',
        createdAt: '2024-03-01T10:46:40.000Z',
        status: 'DONE/DONE_MANUALLY_SET',
        priority: 2,
        labels: [],
        assignee: undefined,
        customer: 'bo <bo@example.com>',
        messages: [
          '2024-03-01T10:46:40.000Z INBOUND csv-msg-5004 by customer: I was charged twice.',
          '2024-03-01T10:55:00.000Z INBOUND csv-msg-5005 by Accounts Team <accounts@example.com>: Forwarding the receipt.',
          `2024-03-01T11:03:20.000Z OUTBOUND csv-msg-5006 by ${U3}: Refunded.`,
        ],
      },
    },
    invalid: [{ address: 'thread["csv-1003"]', where: 'export/tickets.csv:4', reason: /^threads\.customer\.email is required .* gave ""$/ }],
    invalidMessages: [{ address: 'message["csv-1001/csv-msg-5007"]', reason: /\$table\('direction'\): no row for "call" and the table has no _default/ }],
    filtered: [],
    unmapped: ['labels:vip', 'priority:', 'agents:leo@yourcompany.com', 'direction:call'],
  },
};

describe('starterManifest', () => {
  it('names the seven sources and the default file', () => {
    expect([...INIT_SOURCES]).toEqual(['zendesk', 'freshdesk', 'helpscout', 'intercom', 'front', 'helpspot', 'csv']);
    expect(defaultInitFile()).toBe('plain-migrate.yaml');
    expect(isInitSource('front')).toBe(true);
    expect(isInitSource('kayako')).toBe(false);
    expect(() => starterManifest('kayako' as InitSource)).toThrow(/no starter manifest for "kayako"/);
  });

  it('names the two targets; plain is the default', () => {
    expect([...INIT_TARGETS]).toEqual(['plain', 'therethere']);
    expect(isInitTarget('therethere')).toBe(true);
    expect(isInitTarget('zendesk')).toBe(false);
    for (const from of INIT_SOURCES) expect(starterManifest(from)).toBe(starterManifest(from, 'plain'));
    expect(() => starterManifest('zendesk', 'helpscout' as InitTarget)).toThrow(/no starter manifest for the target "helpscout"/);
  });

  it.each(INIT_SOURCES)('%s: schema line, env API key, comments, placeholder ids marked # replace', (from) => {
    const text = starterManifest(from);
    const lines = text.split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=./plain-migrate.schema.json');
    expect(text).toMatch(/^\s+apiKey: \$\{PLAIN_API_KEY\}/m);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\t/);
    // Comments a person can start from: the export steps, and one next to most settings.
    expect(lines.filter((l) => /^\s*#/.test(l)).length).toBeGreaterThan(30);
    const doc = parse(text) as Record<string, any>;
    expect(doc.version).toBe(1);
    expect(Object.keys(doc.batching)).toEqual(['messagesPerRequest', 'concurrency', 'requestsPerMinute', 'maxAttempts', 'requestTimeout']);
    for (const k of ['externalId', 'title', 'createdAt', 'customer', 'messages']) expect(doc.threads).toHaveProperty(k);
    for (const k of ['each', 'externalId', 'type', 'text', 'createdAt', 'author']) expect(doc.threads.messages).toHaveProperty(k);
    expect(doc.tables.labels._default).toBeNull();
    expect(doc.tables.agents._default).toMatch(/^u_/);
    // Every Plain id is a placeholder in Plain's form on a line that says to replace it.
    const idLines = lines.filter((l) => PLAIN_ID.test(l) && !l.trimStart().startsWith('#'));
    expect(idLines.length).toBeGreaterThanOrEqual(5);
    for (const l of idLines) expect(l).toMatch(/# replace/);
    expect(text.match(/\b(lt|u)_[A-Za-z0-9]+/g)!.every((id) => /^(lt|u)_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
  });

  it.each(INIT_SOURCES)('%s: loads with no problems, and names files that exist in the sample export', async (from) => {
    const m = await loadManifest(workspace(from), { env: { PLAIN_API_KEY: 'k' } });
    expect(m.target).toMatchObject({ kind: 'plain', apiKey: 'k', apiKeyIsLiteral: false });
    for (const s of Object.values(m.sources)) expect(existsSync(s.path), s.pathAsWritten).toBe(true);
    expect(m.threads.messages).toBeDefined();
  });

  it.each(INIT_SOURCES)('%s: maps the sample export end to end', async (from) => {
    const exp = EXPECTED[from];
    const got = await mapWorkspace(from);
    expect(got.indexErrors).toEqual([]);
    expect(Object.fromEntries([...got.threads].map(([k, t]) => [k, brief(t)]))).toEqual(exp.threads);
    expectInvalid(got, exp);
    expect(got.filtered).toEqual(exp.filtered);
    expect(got.unmapped.map((u) => `${u.table}:${u.value}`).sort()).toEqual([...exp.unmapped].sort());
  });
});

// ---------------------------------------------------------------- --target therethere

const A1 = 'agent@yourcompany.com';
const A2 = 'another.agent@yourcompany.com';
const TT_STATUSES = ['open', 'waiting', 'closed', 'spam'];

interface ExpectedTT {
  tickets: Record<string, Record<string, unknown>>;
  invalid: Array<{ address: string; where: string; reason: RegExp }>;
  invalidMessages?: Array<{ address: string; reason: RegExp }>;
  filtered: string[];
  unmapped: string[];
}

const CONTACT_EMAIL = /^threads\.customer\.email is required for a There There contact and must be an email address; the expression gave /;

const EXPECTED_TT: Record<InitSource, ExpectedTT> = {
  zendesk: {
    tickets: {
      'zd-201': {
        subject: 'Invoice shows the wrong VAT number',
        createdAt: '2024-02-01T09:00:00.000Z',
        status: 'open',
        tags: ['billing'],
        assignee: A1,
        contact: 'Ann Example <ann@example.com>',
        messages: [
          '2024-02-01T09:00:00.000Z inbound zd-comment-7001 by contact: <p>Our invoice shows the wrong VAT number.</p>',
          `2024-02-01T10:15:00.000Z outbound zd-comment-7002 by Sara Agent <${A1}>: <p>Thanks Ann, looking into it.</p>`,
          `2024-02-01T11:00:00.000Z note zd-comment-7003 by Sara Agent <${A1}>: <p>Checked billing: VAT id was copied from the <b>old</b> account.</p>`,
        ],
      },
      'zd-202': {
        subject: 'Cannot log in after password reset',
        createdAt: '2024-02-05T12:30:00.000Z',
        status: 'closed at 2024-02-06T08:00:00.000Z',
        tags: [],
        assignee: undefined, // Leo left: no member, so unassigned
        contact: 'Bruno Díaz <bruno@diaz-logistics.es>',
        messages: [
          '2024-02-05T12:30:00.000Z inbound zd-comment-7004 by contact: <p>Password reset link does not work.</p>',
          '2024-02-05T14:00:00.000Z inbound zd-comment-7005 by contact: <p>Same here (I am in CC).</p>',
          // an agent who left keeps his own name and email on the message
          '2024-02-06T08:00:00.000Z outbound zd-comment-7006 by Leo Left <leo@yourcompany.com>: <p>Fixed, please try again.</p>',
        ],
      },
    },
    invalid: [{ address: 'thread["zd-204"]', where: 'export/tickets.jsonl:4', reason: CONTACT_EMAIL }],
    invalidMessages: [{ address: 'message["zd-201/zd-comment-7009"]', reason: /^messages\.author must be an email or \{email, name\} for outbound messages/ }],
    filtered: ['export/tickets.jsonl:3'],
    unmapped: ['labels:vip', 'agents:leo@yourcompany.com'],
  },
  freshdesk: {
    tickets: {
      'fd-301': {
        subject: 'Refund for double charge',
        createdAt: '2024-03-01T08:00:00.000Z',
        status: 'open',
        tags: ['billing'],
        assignee: A1,
        contact: 'Amy Customer <amy@example.com>',
        messages: [
          '2024-03-01T08:00:00.000Z inbound fd-conv-description by contact: <div>I was charged <b>twice</b> this month.</div>',
          '2024-03-01T08:30:00.000Z inbound fd-conv-9001 by contact: <div>Also the receipt is missing.</div>',
          `2024-03-01T09:00:00.000Z outbound fd-conv-9002 by Sara Agent <${A1}>: <div>Sorry about that, refunding now.</div>`,
          `2024-03-01T09:05:00.000Z note fd-conv-9003 by Sara Agent <${A1}>: <div>Refund issued in Stripe.</div>`,
        ],
      },
      'fd-302': {
        subject: 'Your renewal is coming up',
        createdAt: '2024-03-03T10:00:00.000Z',
        status: 'closed at 2024-03-05T10:00:00.000Z',
        tags: [],
        assignee: A2,
        contact: 'Bea Buyer <bea@example.org>',
        messages: [
          `2024-03-03T10:00:00.000Z outbound fd-conv-description by Omar Other <${A2}>: <p>Hi Bea, your plan renews next week.</p>`,
          '2024-03-04T10:00:00.000Z inbound fd-conv-9004 by contact: <div>Thanks, please renew.</div>',
        ],
      },
      'fd-304': {
        subject: 'Export to CSV broken',
        createdAt: '2024-03-06T10:00:00.000Z',
        status: 'open',
        tags: ['bug'],
        assignee: undefined,
        contact: 'Amy Customer <amy@example.com>',
        messages: [
          '2024-03-06T10:00:00.000Z inbound fd-conv-description by contact: <p>The CSV export times out.</p>',
          '2024-03-06T11:00:00.000Z inbound fd-conv-9005 by contact: <div>My colleague sees it too.</div>',
        ],
      },
    },
    invalid: [],
    filtered: ['export/tickets.jsonl:3'],
    unmapped: ['labels:refund', 'status:7'],
  },
  helpscout: {
    tickets: {
      'hs-401': {
        subject: 'Where is my order?',
        createdAt: '2024-04-01T09:00:00.000Z',
        status: 'open',
        tags: ['billing'],
        assignee: A1,
        contact: 'Dana Doe <dana@example.com>',
        messages: [
          '2024-04-01T09:00:00.000Z inbound hs-thread-1001 by contact: <p>Where is my order #55?</p>',
          `2024-04-01T10:00:00.000Z outbound hs-thread-1002 by Sara Agent <${A1}>: <p>Checking with the courier.</p>`,
          `2024-04-01T10:30:00.000Z note hs-thread-1003 by Sara Agent <${A1}>: <p>Courier says <i>Tuesday</i>.</p>`,
        ],
      },
      'hs-402': {
        subject: 'Conversation #12',
        createdAt: '2024-04-03T09:00:00.000Z',
        status: 'closed',
        tags: [],
        assignee: undefined,
        contact: 'Eli <eli@example.net>',
        messages: [
          '2024-04-03T09:00:00.000Z inbound hs-thread-1011 by contact: <p>Can you reset my 2FA?</p>',
          '2024-04-03T09:05:00.000Z outbound hs-thread-1012 by Gone Agent <gone@yourcompany.com>: <p>Sure, done.</p>',
          '2024-04-03T09:10:00.000Z inbound hs-thread-1013 by contact: <p>Thanks! (from my colleague)</p>',
        ],
      },
    },
    invalid: [{ address: 'thread["hs-404"]', where: 'export/conversations.jsonl:4', reason: CONTACT_EMAIL }],
    filtered: ['export/conversations.jsonl:3'],
    unmapped: ['agents:gone@yourcompany.com', 'labels:spam'],
  },
  intercom: {
    tickets: {
      'ic-501': {
        subject: 'Refund request',
        createdAt: '2024-05-01T08:00:00.000Z',
        status: 'open',
        tags: ['billing'],
        assignee: A1,
        contact: 'Gus Green <gus@example.com>',
        messages: [
          "2024-05-01T08:00:00.000Z inbound ic-part-source-900501 by contact: <p>I'd like a refund.</p>",
          '2024-05-01T08:01:00.000Z outbound ic-part-p2 by Fin <bot@yourcompany.com>: <p>Happy to help!</p>',
          `2024-05-01T08:10:00.000Z note ic-part-p3 by Sara Agent <${A1}>: <p>Customer is on the annual plan.</p>`,
          `2024-05-01T08:26:40.000Z outbound ic-part-p4 by Sara Agent <${A1}>: <p>Refund processed.</p>`,
          '2024-05-01T08:43:20.000Z inbound ic-part-p5 by contact: <p>Thank you!</p>',
        ],
      },
      'ic-502': {
        subject: 'Order missing',
        createdAt: '2024-05-02T08:00:00.000Z',
        status: 'closed at 2024-05-02T08:53:20.000Z',
        tags: [],
        assignee: undefined,
        contact: 'Ivy <ivy@example.com>',
        messages: [
          `2024-05-02T08:00:00.000Z outbound ic-part-source-900502 by Sara Agent <${A1}>: <p>Your order shipped.</p>`,
          '2024-05-02T08:03:20.000Z inbound ic-part-p7 by contact: <p>It never arrived.</p>',
        ],
      },
      'ic-503': {
        subject: 'Hello, the app crashes on start.',
        createdAt: '2024-05-03T08:00:00.000Z',
        status: 'waiting',
        tags: [],
        assignee: undefined,
        contact: 'Ivy <ivy@example.com>',
        messages: ['2024-05-03T08:00:00.000Z inbound ic-part-source-900503 by contact: <p>Hello,\n  the app   crashes on start.</p>'],
      },
    },
    invalid: [{ address: 'thread["ic-504"]', where: 'export/conversations.jsonl:4', reason: CONTACT_EMAIL }],
    filtered: [],
    unmapped: ['labels:vip'],
  },
  front: {
    tickets: {
      'front-cnv_1': {
        subject: 'Invoice question',
        createdAt: '2023-11-29T21:17:29.333Z',
        status: 'open',
        tags: ['billing', 'bug'],
        assignee: A1,
        contact: 'Jo Jones <jo@example.com>',
        messages: [
          '2023-11-29T21:17:29.333Z inbound front-msg_1 by contact: <p>Can I get a copy of my invoice?</p>',
          // a comment's text body, made HTML
          `2023-11-29T21:40:00.100Z note front-com_1 by Sara Agent <${A1}>: <p>She is on the **annual** plan.</p>`,
          `2023-11-29T21:56:40.750Z outbound front-msg_2 by Sara Agent <${A1}>: <p>Here is the <a href="https://x.example/inv">invoice</a>.</p>`,
        ],
      },
      'front-cnv_2': {
        subject: '(no subject)',
        createdAt: '2023-12-01T03:06:40.000Z',
        status: 'closed',
        tags: [],
        assignee: undefined,
        contact: 'kim@example.org',
        messages: [
          '2023-12-01T03:06:40.000Z inbound front-msg_4 by contact: <p>Ping</p>',
          "2023-12-01T03:08:20.000Z inbound front-msg_5 by contact: <p>Pong from Kim's colleague</p>",
        ],
      },
    },
    invalid: [{ address: 'thread["front-cnv_4"]', where: 'export/conversations.jsonl:4', reason: CONTACT_EMAIL }],
    filtered: ['export/conversations.jsonl:3'],
    unmapped: [],
  },
  helpspot: {
    tickets: {
      'hs-601': {
        subject: 'Invoice shows the wrong VAT number',
        createdAt: '2024-03-01T09:00:00.000Z',
        status: 'open',
        tags: ['billing'],
        assignee: A1,
        contact: 'Ann Example <ann@example.com>',
        messages: [
          '2024-03-01T09:00:00.000Z inbound hs-note-70001 by contact: <p>My invoice shows the <b>wrong</b> VAT number.</p>',
          `2024-03-01T09:30:00.000Z outbound hs-note-70002 by Sara Agent <${A1}>: <p>Thanks Ann, looking into it.</p>`,
          `2024-03-01T09:40:00.000Z note hs-note-70003 by Sara Agent <${A1}>: <p>Billing copied the VAT id from the old account.</p>`,
          `2024-03-01T10:00:00.000Z note hs-note-70005 by Omar Other <${A2}>: <p>Asked our accountant to confirm.</p>`,
        ],
      },
      'hs-602': {
        subject: 'Cannot log in after password reset',
        createdAt: '2024-03-02T08:00:00.000Z',
        status: 'closed at 2024-03-02T12:00:00.000Z',
        tags: ['bug'],
        assignee: undefined, // Leo left: no member, so unassigned
        contact: 'Bo <bo@example.org>',
        messages: [
          // plain text escaped as HTML, line breaks kept
          '2024-03-02T08:00:00.000Z inbound hs-note-70011 by contact: <p>The reset link<br>says it expired.</p>',
          '2024-03-02T11:00:00.000Z outbound hs-note-70012 by Leo Left <leo@yourcompany.com>: Fixed: <em>please</em> try again.',
          '2024-03-02T11:30:00.000Z inbound hs-note-70013 by contact: <p>Works now, thanks &amp; bye.</p>',
        ],
      },
    },
    invalid: [{ address: 'thread["hs-605"]', where: 'export/requests.jsonl:5', reason: CONTACT_EMAIL }],
    filtered: ['export/requests.jsonl:3', 'export/requests.jsonl:4'],
    unmapped: ['labels:vip', 'agents:leo@yourcompany.com'],
  },
  csv: {
    tickets: {
      'csv-1001': {
        subject: 'Cannot log in',
        createdAt: '2024-03-01T09:30:00.000Z',
        status: 'open',
        tags: ['billing', 'bug'],
        assignee: A1,
        contact: 'Ann Example <ann@example.com>',
        messages: [
          // plain text escaped as HTML, line breaks kept
          '2024-03-01T09:30:00.000Z inbound csv-msg-5001 by contact: <p>I cannot log in since this morning.<br>It says "invalid code".</p>',
          `2024-03-01T10:00:00.000Z outbound csv-msg-5002 by Sara <${A1}>: <p>Could you try again now?</p>`,
          `2024-03-01T10:05:00.000Z note csv-msg-5003 by Sara <${A1}>: <p>Reset the 2FA secret.</p>`,
        ],
      },
      'csv-1002': {
        subject: 'Refund, please',
        createdAt: '2024-03-01T10:46:40.000Z',
        status: 'closed',
        tags: [],
        assignee: undefined,
        contact: 'bo@example.com',
        messages: [
          '2024-03-01T10:46:40.000Z inbound csv-msg-5004 by contact: <p>I was charged twice.</p>',
          '2024-03-01T10:55:00.000Z inbound csv-msg-5005 by contact: <p>Forwarding the receipt.</p>',
          '2024-03-01T11:03:20.000Z outbound csv-msg-5006 by Leo <leo@yourcompany.com>: <p>Refunded.</p>',
        ],
      },
    },
    invalid: [{ address: 'thread["csv-1003"]', where: 'export/tickets.csv:4', reason: CONTACT_EMAIL }],
    invalidMessages: [{ address: 'message["csv-1001/csv-msg-5007"]', reason: /\$table\('direction'\): no row for "call" and the table has no _default/ }],
    filtered: [],
    unmapped: ['labels:vip', 'agents:leo@yourcompany.com', 'direction:call'],
  },
};

const schemaValidator = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'plain-migrate.schema.json'), 'utf8')) as object);

describe('starterManifest(from, "therethere")', () => {
  it.each(INIT_SOURCES)('%s: schema line, env token, channel, members by email, no Plain ids or priority', (from) => {
    const text = starterManifest(from, 'therethere');
    const lines = text.split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=./plain-migrate.schema.json');
    expect(text).toContain(`Written by \`plain-migrate init --from ${from} --target therethere\``);
    expect(text).toMatch(/^ {4}token: \$\{THERETHERE_TOKEN\}/m);
    expect(text).not.toMatch(/apiKey|PLAIN_API_KEY|importThreadMessages|messagesPerRequest|\$htmlToMarkdown\(/);
    expect(text).not.toMatch(/\b(lt|u)_[0-9A-Z]{26}\b/);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\t/);
    expect(lines.filter((l) => /^\s*#/.test(l)).length).toBeGreaterThan(30);

    const doc = parse(text) as Record<string, any>;
    expect(doc.version).toBe(1);
    expect(doc.name).toBe(`${from}-to-therethere`);
    expect(Object.keys(doc.target)).toEqual(['therethere']);
    expect(doc.target.therethere).toEqual({ token: '${THERETHERE_TOKEN}', channel: 'Support' });
    expect(lines.find((l) => /^ {4}channel: /.test(l))).toMatch(/# replace/);
    expect(doc.batching).toEqual({ concurrency: 8, requestsPerMinute: 300, maxAttempts: 8, requestTimeout: '30s' });
    for (const k of ['externalId', 'title', 'createdAt', 'status', 'labels', 'assignee', 'customer', 'messages']) expect(doc.threads).toHaveProperty(k);
    for (const k of ['priority', 'statusDetail', 'externalUrl', 'description', 'tenant', 'fields']) expect(doc.threads).not.toHaveProperty(k);
    expect(Object.keys(doc.threads.customer)).toEqual(['email', 'fullName']);
    for (const k of ['each', 'externalId', 'type', 'text', 'createdAt', 'author']) expect(doc.threads.messages).toHaveProperty(k);
    expect(doc.tables).not.toHaveProperty('priority');
    // Statuses are There There's four; message types its three, lower case.
    for (const v of Object.values(doc.tables.status as Record<string, unknown>)) expect(TT_STATUSES).toContain(v);
    expect(JSON.stringify(doc.threads.messages.type).match(/'[A-Z]+'/g)).toBeNull();
    // Tags by name; agents by the members' emails; agents with no row keep their own name.
    expect(doc.tables.labels).toEqual({ billing: 'billing', bug: 'bug', _default: null });
    expect(doc.tables.agents._default).toBeNull();
    for (const [k, v] of Object.entries(doc.tables.agents as Record<string, unknown>)) if (k !== '_default') expect(v).toMatch(/^[^\s@]+@[^\s@]+$/);
    const agentLines = lines.filter((l) => /^ {4}("[^"]+@[^"]+"|bot): /.test(l));
    expect(agentLines.length).toBeGreaterThanOrEqual(2);
    for (const l of agentLines) expect(l).toMatch(/# replace/);
    expect(doc.threads.messages.author).toContain("'name':");
  });

  it.each(INIT_SOURCES)('%s: validates against plain-migrate.schema.json and loads with no problems', async (from) => {
    const text = starterManifest(from, 'therethere');
    const ok = schemaValidator(parse(text));
    expect(schemaValidator.errors ?? [], from).toEqual([]);
    expect(ok).toBe(true);
    const m = await loadManifest(workspace(from, 'therethere'), { env: { THERETHERE_TOKEN: 'k' } });
    expect(m.target).toMatchObject({ kind: 'therethere', token: 'k', tokenIsLiteral: false, channel: 'Support', baseUrl: 'https://there-there.app', appendAs: 'skip' });
    expect(m.batching.requestsPerMinute).toBe(300);
    for (const s of Object.values(m.sources)) expect(existsSync(s.path), s.pathAsWritten).toBe(true);
    expect(m.threads.closedAt !== undefined || from === 'front' || from === 'csv').toBe(true);
  });

  it.each(INIT_SOURCES)('%s: the Plain starter still validates against the schema file', (from) => {
    expect(schemaValidator(parse(starterManifest(from)))).toBe(true);
  });

  it.each(INIT_SOURCES)("%s: maps the sample export to There There's import values", async (from) => {
    const exp = EXPECTED_TT[from];
    const got = await mapThereThere(from);
    expect(Object.fromEntries([...got.tickets].map(([k, t]) => [k, briefTicket(t)]))).toEqual(exp.tickets);
    expectInvalid(got, exp);
    expect(got.diagnostics).toEqual([]);
    expect(got.filtered).toEqual(exp.filtered);
    expect([...new Set(got.unmapped.map((u) => `${u.table}:${u.value}`))].sort()).toEqual([...exp.unmapped].sort());
  });
});

// ---------------------------------------------------------------- the init command

function memIo(cwd: string): Io & { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  return {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
    cwd,
    stdinIsTTY: false,
    stdout: () => out,
    stderr: () => err,
  };
}

async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const io = memIo(cwd);
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('plain-migrate init --target', () => {
  it('--target therethere writes the There There starter (and the schema beside it), which validates and loads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-tt-'));
    const r = await run(['init', '--from', 'zendesk', '--target', 'therethere'], dir);
    expect(r.code, r.err).toBe(0);
    const file = path.join(dir, 'plain-migrate.yaml');
    expect(r.out).toContain(`Wrote a starter manifest for zendesk → There There to ${file}.`);
    expect(r.out).toContain('export THERETHERE_TOKEN=…');
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(starterManifest('zendesk', 'therethere'));
    expect(existsSync(path.join(dir, 'plain-migrate.schema.json'))).toBe(true);
    expect(schemaValidator(parse(text))).toBe(true);
    const m = await loadManifest(file, { env: { THERETHERE_TOKEN: 't' } });
    expect(m.target.kind).toBe('therethere');
    expect(m.name).toBe('zendesk-to-therethere');
  });

  it.each(INIT_SOURCES)('--from %s --target therethere writes that helpdesk’s There There starter', async (from) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-tt-'));
    const r = await run(['-f', 'tt.yaml', 'init', '--from', from, '--target', 'therethere'], dir);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(path.join(dir, 'tt.yaml'), 'utf8')).toBe(starterManifest(from, 'therethere'));
  });

  it('refuses to overwrite a manifest without --force, whatever the target', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-tt-'));
    const file = path.join(dir, 'plain-migrate.yaml');
    writeFileSync(file, '# mine\n');
    const again = await run(['init', '--from', 'zendesk', '--target', 'therethere'], dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists.*\n.*--force/);
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    const first = await run(['init', '--from', 'csv', '--target', 'therethere', '--force'], dir);
    expect(first.code, first.err).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(starterManifest('csv', 'therethere'));
    const plainAgain = await run(['init', '--from', 'csv'], dir);
    expect(plainAgain.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(starterManifest('csv', 'therethere'));
  });

  it('defaults to plain, and refuses an unknown target as a usage error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-tt-'));
    const r = await run(['init', '--from', 'front'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('front → Plain');
    expect(r.out).toContain('export PLAIN_API_KEY=…');
    expect(readFileSync(path.join(dir, 'plain-migrate.yaml'), 'utf8')).toBe(starterManifest('front'));
    const bad = await run(['-f', 'x.yaml', 'init', '--target', 'there-there'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--target must be plain or therethere, not "there-there"/);
    expect(existsSync(path.join(dir, 'x.yaml'))).toBe(false);
  });

  it('init --help names --target and shows a There There example', async () => {
    const r = await run(['init', '--help'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--target <target>\s+where the threads go: plain, or therethere/);
    expect(r.out).toContain('(default: "plain")');
    expect(r.out).toContain('$ plain-migrate init --from zendesk --target therethere');
  });
});
