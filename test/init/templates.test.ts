/**
 * The starter manifests of `plain-migrate init --from …` are real: each loads with no problems next to a
 * small export in that helpdesk's shape, and maps it end to end (readSource → openIndexes → Mapper).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultInitFile, INIT_SOURCES, isInitSource, starterManifest, type InitSource } from '../../src/init/templates.js';
import { loadManifest } from '../../src/manifest/index.js';
import { brief, mapWorkspace, workspace } from './helpers.js';

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
  it('names the six sources and the default file', () => {
    expect([...INIT_SOURCES]).toEqual(['zendesk', 'freshdesk', 'helpscout', 'intercom', 'front', 'csv']);
    expect(defaultInitFile()).toBe('plain-migrate.yaml');
    expect(isInitSource('front')).toBe(true);
    expect(isInitSource('kayako')).toBe(false);
    expect(() => starterManifest('kayako' as InitSource)).toThrow(/no starter manifest for "kayako"/);
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
    expect(got.invalid.map((i) => ({ address: i.address, where: i.where }))).toEqual(exp.invalid.map(({ address, where }) => ({ address, where })));
    got.invalid.forEach((inv, i) => {
      expect(inv.reasons).toHaveLength(1);
      expect(inv.reasons[0]).toMatch(exp.invalid[i]!.reason);
    });
    const invMsgs = exp.invalidMessages ?? [];
    expect(got.invalidMessages.map((i) => i.address)).toEqual(invMsgs.map((i) => i.address));
    got.invalidMessages.forEach((inv, i) => expect(inv.reasons.join('\n')).toMatch(invMsgs[i]!.reason));
    expect(got.filtered).toEqual(exp.filtered);
    expect(got.unmapped.map((u) => `${u.table}:${u.value}`).sort()).toEqual([...exp.unmapped].sort());
  });
});
