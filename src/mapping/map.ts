/**
 * mapping/: evaluate the compiled manifest for one source record and produce the canonical Thread
 * (with its messages) plus every reason the record, or one of its messages, cannot be imported.
 */
import { messageAddress, threadAddress, type Customer, type Message, type Thread } from '../core/model.js';
import type { Manifest, MessagesDecl } from '../manifest/types.js';
import type { RecordLocation } from '../sources/types.js';
import { makeBindings, type Bindings, type SourceIndexes, UnmappedCounter } from './bindings.js';
import { evaluate, EvalError } from './evaluate.js';
import {
  assigneeOf,
  customerOf,
  labelsOf,
  messageTypeOf,
  optionalString,
  priorityOf,
  requiredString,
  show,
  statusOf,
  time,
  userIdOf,
  type Reasons,
} from './rules.js';

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
  | { readonly kind: 'thread'; readonly thread: Thread; readonly invalidMessages: readonly InvalidRecord[] };

export function recordWhere(loc: RecordLocation): string {
  return loc.line !== undefined ? `${loc.file}:${loc.line}` : `${loc.file}#${loc.index}`;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

export class Mapper {
  readonly unmapped = new UnmappedCounter();
  private readonly bindings: Bindings;
  /** The look-ups ($record, $records) of the last `map` call: `source\u0000kind\u0000key`. */
  readonly lookups = new Set<string>();

  constructor(
    private readonly manifest: Manifest,
    indexes: SourceIndexes,
    private readonly now: () => number = Date.now,
  ) {
    this.bindings = makeBindings(manifest, indexes, this.unmapped, {
      track: (source, kind, key) => void this.lookups.add(`${source}\u0000${kind}\u0000${key}`),
    });
  }

  async map(record: unknown, location: RecordLocation): Promise<MapResult> {
    this.lookups.clear();
    const t = this.manifest.threads;
    const where = recordWhere(location);
    const reasons: Reasons = [];
    const b = this.bindings;
    // Each field is evaluated on its own so that one failure does not hide the others.
    const field = async (expr: Parameters<typeof evaluate>[0]): Promise<unknown> => {
      try {
        return await evaluate(expr, record, b);
      } catch (e) {
        reasons.push(e instanceof EvalError ? e.message : String(e));
        return undefined;
      }
    };

    if (t.where) {
      const keep = await field(t.where);
      if (reasons.length > 0) return { kind: 'invalid', invalid: { address: where, where, reasons } };
      if (!truthy(keep)) return { kind: 'filtered' };
    }

    const externalId = requiredString(await field(t.externalId), 'threads.externalId', reasons);
    const address = externalId !== undefined ? threadAddress(externalId) : where;
    const title = requiredString(await field(t.title), 'threads.title', reasons);
    const description = optionalString(await field(t.description), 'threads.description', reasons);
    const externalUrl = optionalString(await field(t.externalUrl), 'threads.externalUrl', reasons);
    const createdAt = time(await field(t.createdAt), 'threads.createdAt', reasons, this.now());
    const status = statusOf(await field(t.status), await field(t.statusDetail), reasons);
    const priority = priorityOf(await field(t.priority), reasons);
    const labelTypeIds = labelsOf(await field(t.labels), reasons);
    const assignee = assigneeOf(await field(t.assignee), reasons);
    const customer = await this.customer(record, reasons);

    if (reasons.length > 0 || externalId === undefined || title === undefined || !createdAt || !status || priority === undefined || !customer) {
      return { kind: 'invalid', invalid: { address, where, reasons } };
    }
    const { messages, invalid, threadReasons } = t.messages
      ? await this.messages(t.messages, record, externalId, where)
      : { messages: [], invalid: [], threadReasons: undefined };
    if (threadReasons) return { kind: 'invalid', invalid: { address, where, reasons: threadReasons } };
    const thread: Thread = {
      externalId,
      title,
      ...(description !== undefined ? { description } : {}),
      ...(externalUrl !== undefined ? { externalUrl } : {}),
      createdAt,
      status: status.status,
      statusDetail: status.statusDetail,
      priority,
      labelTypeIds,
      ...(assignee ? { assignee } : {}),
      customer,
      messages,
    };
    return { kind: 'thread', thread, invalidMessages: invalid };
  }

  private async customer(record: unknown, reasons: Reasons): Promise<Customer | undefined> {
    const c = this.manifest.threads.customer;
    const before = reasons.length;
    let value: { email?: unknown; fullName?: unknown; externalId?: unknown };
    try {
      if (c.kind === 'expr') {
        const v = await evaluate(c.expr, record, this.bindings);
        value = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { email: v };
      } else {
        value = {
          email: await evaluate(c.email, record, this.bindings),
          fullName: await evaluate(c.fullName, record, this.bindings),
          externalId: await evaluate(c.externalId, record, this.bindings),
        };
      }
    } catch (e) {
      reasons.push(e instanceof EvalError ? e.message : String(e));
      return undefined;
    }
    const customer = customerOf(value, 'threads.customer', reasons);
    return reasons.length > before ? undefined : customer;
  }

  private async messages(
    m: MessagesDecl,
    threadRecord: unknown,
    threadExternalId: string,
    threadWhere: string,
  ): Promise<{ messages: Message[]; invalid: InvalidRecord[]; threadReasons?: string[] }> {
    const b: Bindings = { ...this.bindings, thread: threadRecord };
    const invalid: InvalidRecord[] = [];
    let items: unknown;
    try {
      items = await evaluate(m.each, threadRecord, b);
    } catch (e) {
      // Without its list of messages the thread cannot be imported as it is: the record is invalid.
      return { messages: [], invalid, threadReasons: [String((e as Error).message)] };
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
      const field = async (expr: Parameters<typeof evaluate>[0]): Promise<unknown> => {
        try {
          return await evaluate(expr, rec, b);
        } catch (e) {
          reasons.push(e instanceof EvalError ? e.message : String(e));
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
      const text = requiredString(await field(m.text), 'messages.text', reasons);
      const createdAt = time(await field(m.createdAt), 'messages.createdAt', reasons, this.now());
      const authorValue = await field(m.author);
      const hasUser = typeof authorValue === 'string' && authorValue.startsWith('u_');
      const type = messageTypeOf(await field(m.type), hasUser, reasons);
      let author: Message['author'] | undefined;
      if (type === 'OUTBOUND' || type === 'NOTE') {
        const userId = userIdOf(authorValue, 'messages.author', reasons);
        if (userId) author = { kind: 'user', userId };
      } else if (type === 'INBOUND') {
        if (authorValue === undefined || authorValue === null) author = { kind: 'customer' };
        else {
          const v = typeof authorValue === 'object' ? (authorValue as Record<string, unknown>) : { email: authorValue };
          const c = customerOf(v, 'messages.author', reasons);
          if (c) author = { kind: 'customer', customer: c };
        }
      }
      if (reasons.length > 0 || !externalId || !text || !createdAt || !type || !author) {
        invalid.push({ address, where: msgWhere, reasons });
        continue;
      }
      out.push({ msg: { externalId, type, text, createdAt, author }, order: i, ms: Date.parse(createdAt) });
    }
    out.sort((a, z) => a.ms - z.ms || a.order - z.order);
    return { messages: out.map((o) => o.msg), invalid };
  }
}
