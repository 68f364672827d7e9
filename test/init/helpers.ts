/** Helpers for the init tests: write a starter manifest next to sample exports and map them end to end. */
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Message, Thread } from '../../src/core/model.js';
import { starterManifest, type InitSource, type InitTarget } from '../../src/init/templates.js';
import { loadManifest, type Manifest } from '../../src/manifest/index.js';
import { makeBindings, UnmappedCounter } from '../../src/mapping/bindings.js';
import { evaluate } from '../../src/mapping/evaluate.js';
import { Mapper, recordWhere, type InvalidRecord } from '../../src/mapping/map.js';
import { openIndexes } from '../../src/plan/plan.js';
import { readSource } from '../../src/sources/index.js';
import type { AttachmentSpec } from '../../src/attachments/index.js';
import * as tt from '../../src/targets/therethere/rules.js';
import { adapterFor } from '../../src/targets/registry.js';

export const INIT_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/init');
export const NOW = Date.parse('2025-06-01T00:00:00Z');

/** A temp dir holding the starter manifest as plain-migrate.yaml and the source's sample export. */
export function workspace(from: InitSource, target: InitTarget = 'plain'): string {
  const dir = mkdtempSync(path.join(tmpdir(), `pm-init-${from}-${target}-`));
  cpSync(path.join(INIT_FIXTURES, from), dir, { recursive: true });
  const file = path.join(dir, 'plain-migrate.yaml');
  writeFileSync(file, starterManifest(from, target));
  return file;
}

export interface Mapped {
  readonly manifest: Manifest;
  /** Valid threads by externalId. */
  readonly threads: Map<string, Thread>;
  readonly invalid: InvalidRecord[];
  readonly invalidMessages: InvalidRecord[];
  /** file:line of the records `where` left out. */
  readonly filtered: string[];
  readonly indexErrors: string[];
  readonly unmapped: Array<{ table: string; value: string; count: number }>;
}

export async function mapWorkspace(from: InitSource): Promise<Mapped> {
  const manifest = await loadManifest(workspace(from), { env: { PLAIN_API_KEY: 'k' } });
  const indexes = await openIndexes(manifest);
  try {
    const mapper = new Mapper(manifest, indexes, adapterFor(manifest.target).rules, () => NOW);
    const out: Mapped = {
      manifest,
      threads: new Map(),
      invalid: [],
      invalidMessages: [],
      filtered: [],
      indexErrors: [...indexes.key.values(), ...indexes.groupBy.values()].flatMap((i) => i.errors.map((e) => e.message)),
      unmapped: [],
    };
    for await (const item of readSource(manifest.sources[manifest.threads.source]!)) {
      if (!item.ok) throw item.error;
      const r = await mapper.map(item.record, item.location);
      if (r.kind === 'filtered') out.filtered.push(recordWhere(item.location));
      else if (r.kind === 'invalid') out.invalid.push(r.invalid);
      else {
        out.threads.set(r.thread.externalId, r.thread);
        out.invalidMessages.push(...r.invalidMessages);
      }
    }
    for (const u of mapper.unmapped.counts.values()) out.unmapped.push({ table: u.table, value: u.value, count: u.count });
    return out;
  } finally {
    indexes.close();
  }
}

/** A thread in short: what the tests compare. */
export function brief(t: Thread): Record<string, unknown> {
  return {
    title: t.title,
    createdAt: t.createdAt,
    status: `${t.status}/${t.statusDetail}`,
    priority: t.priority,
    labels: t.labelTypeIds,
    assignee: t.assignee && 'userId' in t.assignee ? t.assignee.userId : undefined,
    customer: `${t.customer.fullName} <${t.customer.email}>${t.customer.externalId ? ` ${t.customer.externalId}` : ''}`,
    messages: t.messages.map(briefMessage),
  };
}

export function briefMessage(m: Message): string {
  const who =
    m.author.kind === 'user' ? m.author.userId : m.author.customer ? `${m.author.customer.fullName} <${m.author.customer.email}>` : 'customer';
  return `${m.createdAt} ${m.type} ${m.externalId} by ${who}: ${m.text}`;
}

// ---------------------------------------------------------------- There There

export interface ThereThereFile extends AttachmentSpec {
  /** Why the file would not be sent (the target's attachment policy), if it would not. */
  readonly skipped?: string;
}

export interface ThereThereMessage {
  readonly externalId: string;
  readonly type: tt.ThereThereMessageType;
  /** HTML. */
  readonly body: string;
  readonly createdAt: string;
  /** null: the ticket's contact (inbound). */
  readonly author: tt.Author | null;
  readonly files: ThereThereFile[];
}

/** One ticket as POST /api/tickets/import would take it (channel and upload tokens aside). */
export interface ThereThereTicket {
  readonly externalId: string;
  readonly subject: string;
  readonly status: tt.TicketStatus;
  readonly createdAt: string;
  readonly closedAt?: string;
  readonly tags: string[];
  readonly assignee?: string;
  readonly contact: tt.Contact;
  /** Oldest first; equal times keep source order. */
  readonly messages: ThereThereMessage[];
}

/** What a There There manifest maps a source to (the engine's There There wiring comes later). */
export interface ThereThereMapped {
  readonly manifest: Manifest;
  /** Valid tickets by external_id. */
  readonly tickets: Map<string, ThereThereTicket>;
  readonly invalid: Array<{ address: string; where: string; reasons: string[] }>;
  readonly invalidMessages: Array<{ address: string; reasons: string[] }>;
  /** Diagnostics that are not reasons (a cut subject). */
  readonly diagnostics: string[];
  readonly filtered: string[];
  readonly unmapped: Array<{ table: string; value: string; count: number }>;
}

type Evaluable = Parameters<typeof evaluate>[0];

/**
 * A stand-in for the engine's There There mapping: each thread and message expression evaluated with
 * the real bindings ($record, $records, $table, …), its value put through the There There target's
 * per-record rules (src/targets/therethere/rules.ts).
 */
export async function mapThereThereFile(file: string, env: NodeJS.ProcessEnv = { THERETHERE_TOKEN: 'k' }, now: number = NOW): Promise<ThereThereMapped> {
  const manifest = await loadManifest(file, { env });
  const indexes = await openIndexes(manifest);
  const unmapped = new UnmappedCounter();
  const b = makeBindings(manifest, indexes, unmapped);
  const out: ThereThereMapped = { manifest, tickets: new Map(), invalid: [], invalidMessages: [], diagnostics: [], filtered: [], unmapped: [] };
  const t = manifest.threads;
  const evaluator =
    (input: unknown, bindings: Record<string, unknown>, reasons: string[]) =>
    async (e: Evaluable): Promise<unknown> => {
      try {
        return await evaluate(e, input, bindings);
      } catch (err) {
        reasons.push((err as Error).message);
        return undefined;
      }
    };
  try {
    for await (const item of readSource(manifest.sources[t.source]!)) {
      if (!item.ok) throw item.error;
      const record = item.record;
      const where = recordWhere(item.location);
      const reasons: string[] = [];
      const field = evaluator(record, b, reasons);
      if (t.where && (await field(t.where)) !== true) {
        out.filtered.push(where);
        continue;
      }
      const externalId = String(await field(t.externalId));
      const subject = tt.subjectOf(await field(t.title), reasons);
      if (subject?.diagnostic) out.diagnostics.push(`${externalId}: ${subject.diagnostic}`);
      const createdAt = tt.timeOf(await field(t.createdAt), 'threads.createdAt', reasons, now, true);
      const status = tt.statusOf(await field(t.status), reasons);
      const closedAt = tt.closedAtOf(await field(t.closedAt), status, reasons, now);
      const tags = tt.tagsOf(await field(t.labels), reasons);
      const assignee = tt.assigneeOf(await field(t.assignee), reasons);
      const c = t.customer;
      const cust =
        c.kind === 'fields'
          ? { email: await field(c.email), fullName: await field(c.fullName) }
          : (((await field(c.expr)) ?? {}) as { email?: unknown; fullName?: unknown });
      const contact = tt.contactOf(cust, 'threads.customer', reasons);
      if (reasons.length > 0 || !subject || !createdAt || !status || !contact) {
        out.invalid.push({ address: `thread["${externalId}"]`, where, reasons });
        continue;
      }
      const m = t.messages!;
      const mb = { ...b, thread: record };
      const raw = await evaluate(m.each, record, mb);
      const list = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as unknown[];
      const messages: Array<{ msg: ThereThereMessage; ms: number; i: number }> = [];
      for (const [i, rec] of list.entries()) {
        const mr: string[] = [];
        const mfield = evaluator(rec, mb, mr);
        if (m.where && (await mfield(m.where)) !== true) continue;
        const id = String(await mfield(m.externalId));
        const authorValue = await mfield(m.author);
        const type = tt.messageTypeOf(await mfield(m.type), authorValue !== undefined && authorValue !== null, mr);
        const author = type === undefined ? undefined : tt.authorOf(authorValue, type, mr);
        const body = tt.bodyOf(await mfield(m.text), mr);
        const at = tt.timeOf(await mfield(m.createdAt), 'messages.createdAt', mr, now, true);
        const rawFiles = m.attachments ? await mfield(m.attachments) : undefined;
        const specs = (rawFiles === undefined || rawFiles === null ? [] : Array.isArray(rawFiles) ? rawFiles : [rawFiles]) as AttachmentSpec[];
        const files = specs.map((f, index): ThereThereFile => {
          const problem = tt.checkAttachment(f, { manifestDir: manifest.dir, index, maxBytes: manifest.attachments?.maxBytes });
          if (problem) return { ...f, skipped: problem.message };
          if (f.path !== undefined && !existsSync(path.resolve(manifest.dir, f.path))) return { ...f, skipped: `no file at ${f.path}` };
          return f;
        });
        if (mr.length > 0 || type === undefined || author === undefined || body === undefined || at === undefined) {
          out.invalidMessages.push({ address: `message["${externalId}/${id}"]`, reasons: mr });
          continue;
        }
        messages.push({ msg: { externalId: id, type, body, createdAt: at, author, files }, ms: Date.parse(at), i });
      }
      messages.sort((x, y) => x.ms - y.ms || x.i - y.i);
      out.tickets.set(externalId, {
        externalId,
        subject: subject.value,
        status,
        createdAt,
        ...(closedAt !== undefined ? { closedAt } : {}),
        tags,
        ...(assignee !== undefined ? { assignee } : {}),
        contact,
        messages: messages.map((x) => x.msg),
      });
    }
  } finally {
    indexes.close();
  }
  for (const u of unmapped.counts.values()) out.unmapped.push({ table: u.table, value: u.value, count: u.count });
  return out;
}

export async function mapThereThere(from: InitSource): Promise<ThereThereMapped> {
  return mapThereThereFile(workspace(from, 'therethere'));
}

/** A ticket in short: what the tests compare. */
export function briefTicket(t: ThereThereTicket): Record<string, unknown> {
  const person = (p: { email: string; name?: string }): string => (p.name ? `${p.name} <${p.email}>` : p.email);
  return {
    subject: t.subject,
    createdAt: t.createdAt,
    status: t.closedAt ? `${t.status} at ${t.closedAt}` : t.status,
    tags: t.tags,
    assignee: t.assignee,
    contact: person(t.contact),
    messages: t.messages.map((m) => {
      const files = m.files.map((f) => `${f.fileName}${f.inline ? ' (inline)' : ''}${f.skipped ? ` skipped: ${f.skipped}` : ''}`);
      return `${m.createdAt} ${m.type} ${m.externalId} by ${m.author ? person(m.author) : 'contact'}: ${m.body}${files.length > 0 ? ` [${files.join(', ')}]` : ''}`;
    }),
  };
}
