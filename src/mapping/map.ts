/**
 * mapping/: evaluate the compiled manifest for one source record and produce the canonical Thread
 * (with its messages) plus every reason the record, or one of its messages, cannot be imported.
 */
import { DEFAULT_MAX_BYTES, extractInlineImages, skipNote, withSkipNotes } from '../attachments/index.js';
import {
  messageAddress,
  threadAddress,
  type Customer,
  type Message,
  type MessageAttachment,
  type Thread,
  type ThreadFieldType,
  type ThreadFieldValue,
} from '../core/model.js';
import type { Expr, Manifest, MessagesDecl } from '../manifest/types.js';
import type { RecordLocation } from '../sources/types.js';
import { makeBindings, type Bindings, type SourceIndexes, UnmappedCounter } from './bindings.js';
import { evaluate, EvalError, reasonOf } from './evaluate.js';
import { FailureWatch } from './failure-watch.js';
import { attachmentsOf, fieldValueOf, optionalString, pastTime, requiredString, show, tenantOf, type Reasons } from './rules.js';
import type { MappingRules, RulesContext } from './target-rules.js';
import { AUTHOR_HINT, PASSTHROUGH, type IdentityResolver, type UnresolvedAgent } from './resolve.js';

/** Something the plan found and reports without failing the record (a skipped attachment). */
export interface MappingNote {
  readonly address: string;
  readonly note: string;
  /** Said by every plan until it no longer holds: the plan cache does not remember the thread. */
  readonly recurring?: boolean;
}

export interface InvalidRecord {
  /** thread["…"] / message["…/…"] when the externalId could be read, else the record's file:line. */
  readonly address: string;
  /** file:line (or file#index) of the source record. */
  readonly where: string;
  readonly reasons: readonly string[];
}

export type MapResult =
  | { readonly kind: 'filtered' }
  | { readonly kind: 'invalid'; readonly invalid: InvalidRecord }
  | {
      readonly kind: 'thread';
      readonly thread: Thread;
      readonly invalidMessages: readonly InvalidRecord[];
      /** Attachments skipped by Plain's limits (onSkip: note), inline images with no file. */
      readonly notes: readonly MappingNote[];
      /**
       * An agent of the thread did not resolve (it took a fallback, or nobody): the plan lists it every
       * time, and notices when it resolves later, so the plan cache must not remember the thread.
       */
      readonly unresolvedAgents?: true;
    };

/**
 * What mapping one record did besides its result, kept apart so that a record can be mapped anywhere
 * (in this thread or a worker) and its effects added to the plan's counts in record order: the counts
 * then come out the same whichever way the records were mapped.
 */
export interface MapEffects {
  /** Table values with no row: [table, value, count, defaulted], in order of first use. */
  readonly unmapped: ReadonlyArray<readonly [string, string, number, boolean]>;
  /** Agents given by email that did not resolve, with this record's counts. */
  readonly agents: readonly UnresolvedAgent[];
  /** Evaluations in order: [path] succeeded (each path once), [path, error] failed (see failure-watch.ts). */
  readonly watch: ReadonlyArray<readonly [string] | readonly [string, string]>;
  /** The look-ups ($record, $records): `source\u0000kind\u0000key`. */
  readonly lookups: readonly string[];
}

export interface MapOutput {
  readonly result: MapResult;
  readonly effects: MapEffects;
  /** The record's file:line, as the watch names it. */
  readonly where: string;
}

/** Every expression of `threads:` by its path (what a watch event names). */
export function exprsByPath(manifest: Manifest): Map<string, Expr> {
  const out = new Map<string, Expr>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    const e = v as Partial<Expr>;
    if (typeof e.path === 'string' && typeof e.text === 'string' && (e.compiled || e.constant)) {
      out.set(e.path, v as Expr);
      return;
    }
    for (const x of Object.values(v)) visit(x);
  };
  visit(manifest.threads);
  return out;
}

export function recordWhere(loc: RecordLocation): string {
  if (loc.id !== undefined) return `${loc.file}[id=${loc.id}]`;
  return loc.line !== undefined ? `${loc.file}:${loc.line}` : `${loc.file}#${loc.index}`;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

export class Mapper {
  readonly unmapped = new UnmappedCounter();
  private readonly bindings: Bindings;
  /** The current record's look-ups. */
  private readonly recordLookups = new Set<string>();
  /** Table values with no row in the current record (drained into its effects). */
  private readonly recordUnmapped = new UnmappedCounter();
  /** The current record's unresolved agents, by email. */
  private recordAgents = new Map<string, UnresolvedAgent>();
  /** The current record's evaluations, for the watch. */
  private recordWatch: Array<readonly [string] | readonly [string, string]> = [];
  private recordOk = new Set<string>();
  private exprs?: Map<string, Expr>;

  /** Agents given by email that did not resolve, by email. */
  readonly unresolvedAgents = new Map<string, UnresolvedAgent>();
  /** Emails of unresolved agents assigned in the current thread (each counts one thread). */
  private threadAgents = new Set<string>();
  /** Whether an agent of the current thread did not resolve. */
  private unresolvedInThread = false;
  /** Expressions that fail alike from the first record on: the plan stops rather than pay for every record. */
  readonly watch = new FailureWatch();
  /** The current record's file:line. */
  private where = '';
  private readonly maxBytes: number;
  private readonly ctx: RulesContext;
  private readonly onSkip: 'note' | 'fail';

  constructor(
    private readonly manifest: Manifest,
    indexes: SourceIndexes,
    /** The target's rules: its adapter's (the caller looks them up: mapping/ knows no target). */
    private readonly rules: MappingRules,
    private readonly now: () => number = Date.now,
    private readonly resolver: IdentityResolver = PASSTHROUGH,
  ) {
    this.ctx = { resolver, userByEmail: (email, path, reasons, where) => this.userByEmail(email, path, reasons, where) };
    this.maxBytes = manifest.attachments?.maxBytes ?? DEFAULT_MAX_BYTES;
    this.onSkip = manifest.attachments?.onSkip ?? 'note';
    this.bindings = makeBindings(manifest, indexes, this.recordUnmapped, {
      track: (source, kind, key) => void this.recordLookups.add(`${source}\u0000${kind}\u0000${key}`),
    });
  }

  /** Evaluates one expression, telling the watch whether it failed (see failure-watch.ts). */
  private async eval(expr: Expr | undefined, input: unknown, b: Bindings): Promise<unknown> {
    try {
      const v = await evaluate(expr, input, b);
      if (expr && !this.recordOk.has(expr.path)) {
        this.recordOk.add(expr.path);
        this.recordWatch.push([expr.path]);
      }
      return v;
    } catch (e) {
      if (expr && e instanceof EvalError) this.recordWatch.push([expr.path, e.detail]);
      throw e;
    }
  }

  /** Maps one record and adds what it did to this mapper's counts (see `mapRecord` and `absorb`). */
  async map(record: unknown, location: RecordLocation): Promise<MapResult> {
    const out = await this.mapRecord(record, location);
    this.absorb(out);
    return out.result;
  }

  /**
   * Adds a record's effects to the counts and the watch. Records mapped elsewhere (a worker) must be
   * absorbed in record order, as `map` does.
   */
  absorb(out: MapOutput): void {
    const { effects } = out;
    for (const [table, value, count, defaulted] of effects.unmapped) this.unmapped.add(table, value, defaulted, count);
    for (const a of effects.agents) {
      const u = this.unresolvedAgents.get(a.email);
      if (u) {
        u.threads += a.threads;
        u.messages += a.messages;
      } else this.unresolvedAgents.set(a.email, { ...a });
    }
    if (effects.watch.length > 0) {
      this.exprs ??= exprsByPath(this.manifest);
      for (const [path, detail] of effects.watch) {
        const expr = this.exprs.get(path);
        if (!expr) continue;
        if (detail === undefined) this.watch.succeeded(expr);
        else this.watch.failed(expr, detail, out.where);
      }
    }
  }

  /** Maps one record without touching the counts: its effects come back with the result. */
  async mapRecord(record: unknown, location: RecordLocation): Promise<MapOutput> {
    this.recordLookups.clear();
    this.recordUnmapped.counts.clear();
    this.recordAgents = new Map();
    this.recordWatch = [];
    this.recordOk = new Set();
    const result = await this.mapOne(record, location);
    const effects: MapEffects = {
      unmapped: [...this.recordUnmapped.counts.values()].map((u) => [u.table, u.value, u.count, u.defaulted] as const),
      agents: [...this.recordAgents.values()],
      watch: this.recordWatch,
      lookups: [...this.recordLookups],
    };
    return { result, effects, where: this.where };
  }

  private async mapOne(record: unknown, location: RecordLocation): Promise<MapResult> {
    this.threadAgents = new Set();
    this.unresolvedInThread = false;
    const t = this.manifest.threads;
    const where = recordWhere(location);
    this.where = where;
    const reasons: Reasons = [];
    const b = this.bindings;
    // Each field is evaluated on its own so that one failure does not hide the others.
    const field = async (expr: Expr | undefined): Promise<unknown> => {
      try {
        return await this.eval(expr, record, b);
      } catch (e) {
        reasons.push(reasonOf(e));
        return undefined;
      }
    };

    if (t.where) {
      const keep = await field(t.where);
      if (reasons.length > 0) return { kind: 'invalid', invalid: { address: where, where, reasons } };
      if (!truthy(keep)) return { kind: 'filtered' };
    }

    const rules = this.rules;
    const now = this.now();
    const externalId = requiredString(await field(t.externalId), 'threads.externalId', reasons);
    const address = externalId !== undefined ? threadAddress(externalId) : where;
    const title = rules.title(await field(t.title), reasons);
    const description = optionalString(await field(t.description), 'threads.description', reasons);
    const externalUrl = optionalString(await field(t.externalUrl), 'threads.externalUrl', reasons);
    const createdAt = pastTime(await field(t.createdAt), 'threads.createdAt', reasons, now, rules.target, true);
    const status = rules.status(await field(t.status), await field(t.statusDetail), reasons);
    const closedAt = status && t.closedAt ? rules.closedAt(await field(t.closedAt), status, reasons, now) : undefined;
    const priority = rules.priority(await field(t.priority), reasons);
    const labels = await rules.labels(await field(t.labels), reasons, this.ctx);
    const assignee = await rules.assignee(await field(t.assignee), reasons, this.ctx);
    const customer = await this.customer(record, reasons);
    const tenant = t.tenant ? tenantOf(await field(t.tenant), reasons) : undefined;
    const fields = await this.fields(record, reasons);

    if (reasons.length > 0 || externalId === undefined || title === undefined || !createdAt || !status || priority === 'invalid' || !customer) {
      return { kind: 'invalid', invalid: { address, where, reasons } };
    }
    const notes: MappingNote[] = [];
    if (title.note) notes.push({ address, note: title.note });
    const { messages, invalid, threadReasons } = t.messages
      ? await this.messages(t.messages, record, externalId, where, notes)
      : { messages: [], invalid: [], threadReasons: undefined };
    if (threadReasons) return { kind: 'invalid', invalid: { address, where, reasons: threadReasons } };
    const countReasons: Reasons = [];
    rules.messageCount(messages.length, countReasons);
    if (countReasons.length > 0) return { kind: 'invalid', invalid: { address, where, reasons: countReasons } };
    const thread: Thread = {
      externalId,
      title: title.value,
      ...(description !== undefined ? { description } : {}),
      ...(externalUrl !== undefined ? { externalUrl } : {}),
      createdAt,
      status: status.status,
      ...(status.statusDetail !== undefined ? { statusDetail: status.statusDetail } : {}),
      ...(closedAt !== undefined ? { closedAt } : {}),
      ...(priority !== undefined ? { priority } : {}),
      labelTypeIds: labels.ids,
      ...(labels.create.length > 0 ? { pendingLabelTypes: labels.create } : {}),
      ...(assignee ? { assignee } : {}),
      customer,
      ...(tenant ? { tenant } : {}),
      ...(fields ? { fields: fields.values, fieldTypes: fields.types } : {}),
      messages,
    };
    return { kind: 'thread', thread, invalidMessages: invalid, notes, ...(this.unresolvedInThread ? { unresolvedAgents: true as const } : {}) };
  }

  /**
   * A user id for an agent's email; counts the agents that did not resolve. One that did not (with no
   * fallback) leaves a thread unassigned, never invalid: every helpdesk has agents who left. A
   * message's author is different: a message needs one, so it is a reason.
   */
  private async userByEmail(email: string, path: string, reasons: Reasons, where: 'thread' | 'message'): Promise<string | undefined> {
    const a = await this.resolver.user(email);
    const failed = 'reason' in a;
    if (failed || a.fallbackFor !== undefined) {
      this.unresolvedInThread = true;
      const key = email.toLowerCase();
      let u = this.recordAgents.get(key);
      if (!u) {
        u = { email: key, reason: failed ? a.reason : a.fallbackFor!, fallback: failed ? null : a.id, threads: 0, messages: 0 };
        this.recordAgents.set(key, u);
      }
      if (where === 'message') u.messages++;
      else if (!this.threadAgents.has(key)) {
        this.threadAgents.add(key);
        u.threads++;
      }
    }
    if (failed) {
      if (where === 'message') reasons.push(`${path}: ${a.reason}; ${AUTHOR_HINT}`);
      return undefined;
    }
    return a.id;
  }

  /** Thread fields, checked against the workspace's schemas; null values are left out. */
  private async fields(
    record: unknown,
    reasons: Reasons,
  ): Promise<{ values: Record<string, ThreadFieldValue>; types: Record<string, ThreadFieldType> } | undefined> {
    const decl = this.manifest.threads.fields;
    if (!decl || Object.keys(decl).length === 0) return undefined;
    const values: Record<string, ThreadFieldValue> = {};
    const types: Record<string, ThreadFieldType> = {};
    for (const [key, expr] of Object.entries(decl)) {
      let v: unknown;
      try {
        v = await this.eval(expr, record, this.bindings);
      } catch (e) {
        reasons.push(reasonOf(e));
        continue;
      }
      if (v === undefined || v === null) continue;
      const schema = await this.resolver.fieldSchema(key);
      if ('reason' in schema) {
        reasons.push(`threads.fields.${key}: ${schema.reason}`);
        continue;
      }
      const value = fieldValueOf(key, v, schema, reasons);
      if (value !== undefined) {
        values[key] = value;
        types[key] = schema.type;
      }
    }
    return Object.keys(values).length > 0 ? { values, types } : undefined;
  }

  /**
   * A message's files: inline images in its text become attachments (a marker stays in the text),
   * and files Plain would refuse are left out with a line in the text (onSkip: note) or fail the
   * message (onSkip: fail).
   */
  private attachments(
    text: string,
    raw: MessageAttachment[],
    type: Message['type'],
    address: string,
    reasons: Reasons,
    notes: MappingNote[],
  ): { text: string; attachments: MessageAttachment[] } {
    const inline = extractInlineImages(text, raw, (a, i, source) => this.rules.inlineImage(a, i, source));
    let out = inline.text;
    for (const p of inline.problems) notes.push({ address, note: p });
    const keep: MessageAttachment[] = [];
    const skipped: string[] = [];
    for (const [i, a] of inline.attachments.entries()) {
      const why = this.rules.checkAttachment(a, i, type, this.maxBytes);
      if (!why) {
        keep.push(a);
        continue;
      }
      if (this.onSkip === 'fail') reasons.push(`messages.attachments: ${a.fileName}: ${why.message} (attachments.onSkip: fail)`);
      else {
        notes.push({ address, note: `attachment ${a.fileName} skipped: ${why.message}` });
        skipped.push(skipNote(a.fileName, why.message));
      }
    }
    out = withSkipNotes(out, skipped, this.rules.bodies);
    return { text: out, attachments: keep };
  }

  private async customer(record: unknown, reasons: Reasons): Promise<Customer | undefined> {
    const c = this.manifest.threads.customer;
    const before = reasons.length;
    let value: { email?: unknown; fullName?: unknown; externalId?: unknown };
    try {
      if (c.kind === 'expr') {
        const v = await this.eval(c.expr, record, this.bindings);
        value = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { email: v };
      } else {
        value = {
          email: await this.eval(c.email, record, this.bindings),
          fullName: await this.eval(c.fullName, record, this.bindings),
          externalId: await this.eval(c.externalId, record, this.bindings),
        };
      }
    } catch (e) {
      reasons.push(reasonOf(e));
      return undefined;
    }
    const customer = this.rules.customer(value, 'threads.customer', reasons);
    return reasons.length > before ? undefined : customer;
  }

  private async messages(
    m: MessagesDecl,
    threadRecord: unknown,
    threadExternalId: string,
    threadWhere: string,
    notes: MappingNote[],
  ): Promise<{ messages: Message[]; invalid: InvalidRecord[]; threadReasons?: string[] }> {
    const b: Bindings = { ...this.bindings, thread: threadRecord };
    const invalid: InvalidRecord[] = [];
    let items: unknown;
    try {
      items = await this.eval(m.each, threadRecord, b);
    } catch (e) {
      // Without its list of messages the thread cannot be imported as it is: the record is invalid.
      return { messages: [], invalid, threadReasons: [reasonOf(e)] };
    }
    const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
    const notRecord = list.find((x) => x === null || typeof x !== 'object' || Array.isArray(x));
    if (notRecord !== undefined) {
      return {
        messages: [],
        invalid: [],
        threadReasons: [`messages.each must give a list of records (objects); the expression gave ${show(items)}`],
      };
    }
    const seen = new Set<string>();
    const out: Array<{ msg: Message; order: number; ms: number }> = [];
    for (let i = 0; i < list.length; i++) {
      const rec = list[i];
      const reasons: Reasons = [];
      const field = async (expr: Expr | undefined): Promise<unknown> => {
        try {
          return await this.eval(expr, rec, b);
        } catch (e) {
          reasons.push(reasonOf(e));
          return undefined;
        }
      };
      const msgWhere = `${threadWhere} messages[${i}]`;
      if (m.where) {
        const keep = await field(m.where);
        if (reasons.length === 0 && !truthy(keep)) continue;
      }
      const externalId = requiredString(await field(m.externalId), 'messages.externalId', reasons);
      const address = externalId !== undefined ? messageAddress(threadExternalId, externalId) : msgWhere;
      if (externalId !== undefined) {
        if (seen.has(externalId)) reasons.push(`messages.externalId ${show(externalId)} appears twice in this thread; it must be unique within its thread`);
        seen.add(externalId);
      }
      let text = requiredString(await field(m.text), 'messages.text', reasons);
      const createdAt = pastTime(await field(m.createdAt), 'messages.createdAt', reasons, this.now(), this.rules.target, true);
      const authorValue = await field(m.author);
      const type = this.rules.messageType(await field(m.type), authorValue, reasons);
      const rawAttachments = m.attachments ? attachmentsOf(await field(m.attachments), reasons) : [];
      let author: Message['author'] | undefined;
      if (type === 'OUTBOUND' || type === 'NOTE') {
        author = await this.rules.agentAuthor(authorValue, type, reasons, this.ctx);
      } else if (type === 'INBOUND') {
        if (authorValue === undefined || authorValue === null) author = { kind: 'customer' };
        else {
          const v = typeof authorValue === 'object' ? (authorValue as Record<string, unknown>) : { email: authorValue };
          const c = this.rules.customer(v, 'messages.author', reasons);
          if (c) author = { kind: 'customer', customer: c };
        }
      }
      let attachments: MessageAttachment[] = [];
      if (text !== undefined && type && (rawAttachments.length > 0 || m.attachments)) {
        ({ text, attachments } = this.attachments(text, rawAttachments, type, address, reasons, notes));
      }
      if (reasons.length > 0 || !externalId || !text || !createdAt || !type || !author) {
        invalid.push({ address, where: msgWhere, reasons });
        continue;
      }
      const msg: Message = { externalId, type, text, createdAt, author, ...(attachments.length > 0 ? { attachments } : {}) };
      out.push({ msg, order: i, ms: Date.parse(createdAt) });
    }
    out.sort((a, z) => a.ms - z.ms || a.order - z.order);
    return { messages: out.map((o) => o.msg), invalid };
  }
}
