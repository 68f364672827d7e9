import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { liveKinds } from '../../src/sources/live/registry.js';
import { describe, expect, it } from 'vitest';
import { loadManifest, type Expr } from '../../src/manifest/index.js';
import { BASE, ENV, FIXTURES, ROOT, load } from './helpers.js';

const FULL_ENV = { PLAIN_API_KEY: 'plainApiKey_x', THERETHERE_TOKEN: 'tt_x', ZENDESK_BASIC_AUTH: 'YWdlbnQ6c2VjcmV0' };

async function evaluate(e: Expr | undefined, input: unknown, bindings: Record<string, unknown> = {}): Promise<unknown> {
  if (!e) throw new Error('no expression');
  if (e.constant) return e.constant.value;
  if (!e.compiled) throw new Error('not compiled');
  return e.compiled.evaluate(input, bindings);
}

describe('the complete example of MANIFEST.md', () => {
  const file = path.join(FIXTURES, 'complete.yaml');

  it('loads with defaults, resolved paths and the target', async () => {
    const m = await loadManifest(file, { env: FULL_ENV });
    expect(m.file).toBe(file);
    expect(m.dir).toBe(FIXTURES);
    expect(m.version).toBe(1);
    expect(m.name).toBe('acme-zendesk');
    expect(m.target).toEqual({
      kind: 'plain',
      apiKey: 'plainApiKey_x',
      endpoint: 'https://core-api.uk.plain.com/graphql/v1',
      apiKeyIsLiteral: false,
      createMissingLabelTypes: false,
    });
    expect(m.statePath).toBe(path.join(FIXTURES, '.plain-migrate/state.db'));
    expect(m.batching).toEqual({ messagesPerRequest: 25, concurrency: 8, requestsPerMinute: 450, maxAttempts: 8, requestTimeoutMs: 30_000 });
    expect(m.attachments).toEqual({ fetch: [], maxBytes: 6_000_000, onSkip: 'note' });
    expect(m.sourceHash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('declares the sources with formats, absolute paths and indexes', async () => {
    const m = await loadManifest(file, { env: FULL_ENV });
    expect(Object.keys(m.sources)).toEqual(['tickets', 'users', 'comments']);
    const { tickets, users, comments } = m.sources;
    expect(tickets).toMatchObject({ name: 'tickets', format: 'jsonl', gzip: false, pathAsWritten: 'export/tickets.jsonl' });
    expect(tickets?.path).toBe(path.join(FIXTURES, 'export/tickets.jsonl'));
    expect(tickets?.key).toBeUndefined();
    expect(users?.key?.text).toBe('id');
    expect(users?.key?.path).toBe('sources.users.key');
    expect(await evaluate(users?.key, { id: 7 })).toBe(7);
    expect(comments?.groupBy?.text).toBe('ticket_id');
    expect(tickets?.location).toMatchObject({ line: 15, col: 5 });
  });

  it('builds the tables: rows as strings, _default apart', async () => {
    const m = await loadManifest(file, { env: FULL_ENV });
    const { status, priority, labels, agents } = m.tables;
    expect(status?.rows.get('pending')).toEqual({ status: 'SNOOZED', statusDetail: 'WAITING_FOR_CUSTOMER' });
    expect(status?.hasDefault).toBe(false);
    expect(priority?.rows.get('urgent')).toBe(0);
    expect(priority?.rows.has('_default')).toBe(false);
    expect(priority).toMatchObject({ hasDefault: true, defaultValue: 2 });
    expect(labels).toMatchObject({ hasDefault: true, defaultValue: null });
    expect(labels?.rows.get('bug')).toBe('lt_01HB924PME9C0YWKW1N4AK3BZB');
    expect(agents?.rows.get('sara@acme.com')).toBe('u_01FSVKMHFDHJ3H5XFM20EMCBQN');
    expect(agents?.defaultValue).toBe('u_01FSVKMHFDHJ3H5XFM20EMCBQA');
  });

  it('compiles every thread and message expression once, with its location', async () => {
    const m = await loadManifest(file, { env: FULL_ENV });
    const t = m.threads;
    expect(t.source).toBe('tickets');
    expect(t.where?.text).toBe("status != 'deleted'");
    expect(t.externalId.path).toBe('threads.externalId');
    expect(t.externalId.location).toEqual({ file, line: 43, col: 15 });
    expect(await evaluate(t.externalId, { id: 1234 })).toBe('zd-1234');
    expect(await evaluate(t.externalUrl, { id: 5 })).toBe('https://acme.zendesk.com/agent/tickets/5');
    expect(t.status?.text).toBe("$table('status', status)");
    expect(t.customer.kind).toBe('fields');
    if (t.customer.kind === 'fields') {
      expect(t.customer.email?.path).toBe('threads.customer.email');
      expect(await evaluate(t.customer.externalId, { requester_id: 9 })).toBe('zd-user-9');
    }
    const msgs = t.messages;
    expect(msgs).toBeDefined();
    expect(msgs?.each.text).toBe("$records('comments', id)");
    expect(await evaluate(msgs?.type, { public: true, author_id: 1 }, { thread: { requester_id: 1 } })).toBe('INBOUND');
    expect(await evaluate(msgs?.type, { public: true, author_id: 2 }, { thread: { requester_id: 1 } })).toBe('OUTBOUND');
    expect(await evaluate(msgs?.type, { public: false, author_id: 2 }, { thread: { requester_id: 1 } })).toBe('NOTE');
    expect(msgs?.author?.path).toBe('threads.messages.author');
  });
});

describe('the Additions and There There fixtures', () => {
  it('loads the Additions: attachments, createMissingLabelTypes, tenant, fields, messages.attachments', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'additions.yaml'), { env: FULL_ENV });
    expect(m.target).toMatchObject({ kind: 'plain', createMissingLabelTypes: false });
    expect(m.attachments).toEqual({
      fetch: [{ prefix: 'https://acme.zendesk.com/', headers: { Authorization: 'Basic YWdlbnQ6c2VjcmV0' } }],
      maxBytes: 6_000_000,
      onSkip: 'note',
    });
    expect(m.threads.tenant?.path).toBe('threads.tenant');
    expect(Object.keys(m.threads.fields ?? {})).toEqual(['order_id', 'is_vip']);
    expect(await evaluate(m.threads.fields?.['is_vip'], { tags: ['vip'] })).toBe(true);
    expect(m.threads.messages?.attachments?.path).toBe('threads.messages.attachments');
    expect(m.sources['orgs']).toMatchObject({ format: 'json', select: 'organizations' });
    expect(m.sources['comments']).toMatchObject({ format: 'jsonl', gzip: true });
  });

  it('loads the There There target', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'therethere.yaml'), { env: FULL_ENV });
    expect(m.target).toEqual({
      kind: 'therethere',
      token: 'tt_x',
      tokenIsLiteral: false,
      channel: '01HX9F3K2M0000000000000000',
      baseUrl: 'https://there-there.app',
      workspaceId: 'ws_default',
      appendAs: 'note',
    });
    expect(m.attachments?.maxBytes).toBe(25_000_000);
    expect(m.threads.customer.kind).toBe('expr');
    expect(m.threads.closedAt?.text).toContain('updated_at');
    expect(m.sources['tickets']).toMatchObject({ format: 'csv', csv: { delimiter: ';', header: true } });
    expect(m.sources['users']?.format).toBe('jsonl');
    expect(m.sources['comments']).toMatchObject({ format: 'json', gzip: true, select: 'comments' });
    expect(m.batching.requestTimeoutMs).toBe(90_000);
    expect(m.batching.concurrency).toBe(4);
  });
});

function manifestsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'export' && name !== 'node_modules' && !name.startsWith('.')) out.push(...manifestsUnder(p));
    } else if (name === 'plain-migrate.yaml' || name.endsWith('.manifest.yaml')) out.push(p);
  }
  return out;
}

describe('examples/', () => {
  const files = manifestsUnder(path.join(ROOT, 'examples'));

  it('has at least the quickstart', () => {
    expect(files.map((f) => path.relative(ROOT, f))).toContain(path.join('examples', 'quickstart', 'plain-migrate.yaml'));
  });

  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s validates', async (_rel, f) => {
    const m = await loadManifest(f, { env: { PLAIN_API_KEY: 'demo-key', THERETHERE_TOKEN: 'demo-token', ZENDESK_API_TOKEN: 'demo-token', PLAIN_MIGRATE_DATABASE_URL: 'postgres://ci:secret@db.example.com:5432/migrations?sslmode=verify-full' }, liveKinds });
    expect(m.threads.messages).toBeDefined();
  });

  it('the quickstart reads the emulator endpoint from the environment, with a loopback default', async () => {
    const f = path.join(ROOT, 'examples/quickstart/plain-migrate.yaml');
    const dflt = await loadManifest(f, { env: { PLAIN_API_KEY: 'demo-key' } });
    expect(dflt.target).toMatchObject({ endpoint: 'http://127.0.0.1:4849/graphql/v1', apiKey: 'demo-key', apiKeyIsLiteral: false });
    const set = await loadManifest(f, { env: { PLAIN_API_KEY: 'demo-key', PLAIN_ENDPOINT: 'http://127.0.0.1:5555/graphql/v1' } });
    expect(set.target).toMatchObject({ endpoint: 'http://127.0.0.1:5555/graphql/v1' });
  });
});

describe('defaults and overrides', () => {
  it('takes batching values and a relative state path', async () => {
    const m = await load(
      BASE.replace('batching:\n  concurrency: 8\n', 'batching:\n  concurrency: 3\n  messagesPerRequest: 1\n  requestsPerMinute: 60\n  maxAttempts: 2\n  requestTimeout: 1500ms\nstate:\n  path: ../state/x.db\n'),
    );
    expect(m.batching).toEqual({ messagesPerRequest: 1, concurrency: 3, requestsPerMinute: 60, maxAttempts: 2, requestTimeoutMs: 1500 });
    expect(m.statePath).toBe(path.resolve(m.dir, '../state/x.db'));
  });

  it('treats YAML numbers, booleans and null under threads as constants', async () => {
    const m = await load(BASE.replace('  createdAt: created_at\n  customer:', '  createdAt: created_at\n  priority: 1\n  description: null\n  statusDetail: true\n  customer:'));
    expect(m.threads.priority).toMatchObject({ text: '1', constant: { value: 1 } });
    expect(m.threads.priority?.compiled).toBeUndefined();
    expect(m.threads.description?.constant).toEqual({ value: null });
    expect(m.threads.statusDetail?.constant).toEqual({ value: true });
  });

  it('accepts customer as one expression', async () => {
    const m = await load(BASE.replace("  customer:\n    email: $record('users', requester_id).email\n", "  customer: \"{ 'email': requester.email }\"\n"));
    expect(m.threads.customer.kind).toBe('expr');
    if (m.threads.customer.kind === 'expr') {
      expect(await m.threads.customer.expr.compiled?.evaluate({ requester: { email: 'a@b.c' } })).toEqual({ email: 'a@b.c' });
    }
  });

  it('compares table keys as strings', async () => {
    const m = await load(BASE.replace('tables:\n', 'tables:\n  prio:\n    1: high\n    2.0: normal\n    true: yes\n    "003": low\n'));
    expect([...(m.tables['prio']?.rows.keys() ?? [])]).toEqual(['1', '2', 'true', '003']);
    expect(m.tables['prio']?.hasDefault).toBe(false);
  });

  it('compiles expressions with the timeout guardrail', async () => {
    const m = await load(BASE.replace('  title: subject', '  title: "($f := function($n) { $n > 0 ? $f($n + 1) : 0 }; $f(1))"'), {
      env: ENV,
      expressionTimeoutMs: 50,
      expressionMaxDepth: 100000,
    });
    await expect(m.threads.title.compiled?.evaluate({})).rejects.toMatchObject({ code: expect.stringMatching(/^(D1012|U1001)$/) });
  });

  it('has no messages when messages is absent', async () => {
    const m = await load(BASE.replace(/  messages:\n(    .*\n)+/, ''));
    expect(m.threads.messages).toBeUndefined();
  });
});
