/**
 * The account the Help Scout emulator serves. Each conversation and customer carries a hidden
 * modification time (`modifiedMs`: what `modifiedSince` and `sortField=modifiedAt` use), which moves on
 * every change; the visible `userUpdatedAt` moves only when a thread is added or the status changes
 * (source-apis.md §3 Gotchas: userUpdatedAt does not move on every change). reset() rebuilds it from the seed.
 */
import { parseIso8601 } from '../common/iso8601.js';
import type { HelpScoutAccountChange, HelpScoutSeed, HsObject } from './types.js';

/** The time of records that carry none: 2020-01-01T00:00:00Z. */
export const FALLBACK_MS = Date.UTC(2020, 0, 1);
/** Help Scout's timestamps: whole seconds, "Z". */
export const isoSec = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class AccountChangeError extends Error {}

export interface ConversationRecord {
  id: number;
  /** The conversation without `_embedded.threads`. */
  data: HsObject;
  modifiedMs: number;
  threads: HsObject[];
}

export interface TimedRecord {
  id: number;
  data: HsObject;
  modifiedMs: number;
}

const clone = <T>(v: T): T => structuredClone(v);
const isObj = (v: unknown): v is HsObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function msOf(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const ms = parseIso8601(v);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

export class HelpScoutStore {
  conversations = new Map<number, ConversationRecord>();
  customers = new Map<number, TimedRecord>();
  users: HsObject[] = [];
  mailboxes: HsObject[] = [];
  private nextThreadId = 1;

  constructor(
    private readonly seed: HelpScoutSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    this.conversations.clear();
    this.customers.clear();
    this.nextThreadId = 1;
    for (const raw of this.seed.conversations ?? []) {
      const data = clone(raw);
      const emb = isObj(data._embedded) ? data._embedded : {};
      const threads = Array.isArray(emb.threads) ? (emb.threads as HsObject[]) : [];
      delete emb.threads;
      if (Object.keys(emb).length === 0) delete data._embedded;
      for (const t of threads) this.nextThreadId = Math.max(this.nextThreadId, (t.id as number) + 1);
      this.conversations.set(data.id as number, { id: data.id as number, data, threads, modifiedMs: msOf(data.userUpdatedAt, data.createdAt) ?? FALLBACK_MS });
    }
    for (const raw of this.seed.customers ?? []) {
      const data = clone(raw);
      this.customers.set(data.id as number, { id: data.id as number, data, modifiedMs: msOf(data.updatedAt, data.createdAt) ?? FALLBACK_MS });
    }
    this.users = (this.seed.users ?? []).map(clone);
    this.mailboxes = (this.seed.mailboxes ?? []).map(clone);
  }

  /** A conversation's threads as List Threads returns them: newest first by createdAt (source-apis.md §3 Endpoints). */
  threadsNewestFirst(rec: ConversationRecord): HsObject[] {
    return [...rec.threads].sort((a, b) => (msOf(b.createdAt) ?? 0) - (msOf(a.createdAt) ?? 0) || (b.id as number) - (a.id as number));
  }

  attachment(conversationId: number, attachmentId: number): HsObject | undefined {
    const rec = this.conversations.get(conversationId);
    for (const t of rec?.threads ?? []) {
      const emb = isObj(t._embedded) ? t._embedded : {};
      for (const a of Array.isArray(emb.attachments) ? (emb.attachments as HsObject[]) : []) if (a.id === attachmentId) return a;
    }
    return undefined;
  }

  // ------------------------------------------------------------ the account hook

  /** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
  change(body: unknown): void {
    const KEYS = ['conversations', 'threads', 'customers', 'users', 'deleteConversations'];
    if (!isObj(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
    for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
    const change = body as HelpScoutAccountChange;
    const list = (key: string): HsObject[] => {
      const v = (body as HsObject)[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every(isObj)) throw new AccountChangeError(`"${key}" must be a list of objects`);
      v.forEach((o, i) => {
        if (key !== 'threads' && !isId(o.id)) throw new AccountChangeError(`${key}[${i}].id is required and must be an integer ≥ 1`);
        for (const t of ['createdAt', 'updatedAt', 'closedAt']) {
          if (o[t] !== undefined && o[t] !== null && (typeof o[t] !== 'string' || parseIso8601(o[t] as string) === undefined)) throw new AccountChangeError(`${key}[${i}].${t} must be an ISO 8601 timestamp`);
        }
      });
      return v as HsObject[];
    };
    const conversations = list('conversations');
    const threads = list('threads');
    const customers = list('customers');
    const users = list('users');
    const convIds = new Set([...this.conversations.keys(), ...conversations.map((c) => c.id as number)]);
    threads.forEach((t, i) => {
      if (!convIds.has(t.conversationId as number)) throw new AccountChangeError(`threads[${i}].conversationId ${String(t.conversationId)} is not a conversation of the account`);
      if (t.id !== undefined && (!isId(t.id) || this.hasThread(t.id))) throw new AccountChangeError(`threads[${i}].id must be an unused integer ≥ 1`);
    });
    const del = change.deleteConversations ?? [];
    if (!Array.isArray(del) || !del.every(isId)) throw new AccountChangeError('"deleteConversations" must be a list of conversation ids');
    for (const id of del) if (!convIds.has(id)) throw new AccountChangeError(`deleteConversations: ${id} is not a conversation of the account`);

    for (const c of customers) this.upsertTimed(this.customers, c);
    for (const u of users) {
      const i = this.users.findIndex((x) => x.id === u.id);
      if (i >= 0) Object.assign(this.users[i]!, clone(u), { updatedAt: isoSec(this.now()) });
      else this.users.push({ createdAt: isoSec(this.now()), ...clone(u), updatedAt: isoSec(this.now()) });
    }
    for (const c of conversations) this.upsertConversation(c);
    for (const t of threads) this.addThread(t);
    for (const id of del) {
      const rec = this.conversations.get(id)!;
      rec.data.state = 'deleted';
      rec.modifiedMs = this.now();
    }
  }

  private hasThread(id: number): boolean {
    for (const c of this.conversations.values()) if (c.threads.some((t) => t.id === id)) return true;
    return false;
  }

  private upsertTimed(map: Map<number, TimedRecord>, patch: HsObject): void {
    const nowMs = this.now();
    const existing = map.get(patch.id as number);
    if (existing) {
      Object.assign(existing.data, clone(patch), { updatedAt: isoSec(nowMs) });
      existing.modifiedMs = nowMs;
    } else {
      map.set(patch.id as number, { id: patch.id as number, data: { createdAt: isoSec(nowMs), ...clone(patch), updatedAt: isoSec(nowMs) }, modifiedMs: nowMs });
    }
  }

  private upsertConversation(patch: HsObject): void {
    const nowMs = this.now();
    const id = patch.id as number;
    const existing = this.conversations.get(id);
    if (existing) {
      const statusChanged = patch.status !== undefined && patch.status !== existing.data.status;
      Object.assign(existing.data, clone(patch));
      if (statusChanged) existing.data.userUpdatedAt = isoSec(nowMs);
      existing.modifiedMs = nowMs;
      return;
    }
    const data: HsObject = {
      id,
      number: id,
      threads: 0,
      type: 'email',
      status: 'active',
      state: 'published',
      subject: null,
      createdAt: isoSec(nowMs),
      tags: [],
      cc: [],
      bcc: [],
      customFields: [],
      ...clone(patch),
      userUpdatedAt: isoSec(nowMs),
    };
    this.conversations.set(id, { id, data, threads: [], modifiedMs: nowMs });
  }

  private addThread(input: HsObject): void {
    const nowMs = this.now();
    const { conversationId, ...fields } = clone(input);
    const rec = this.conversations.get(conversationId as number)!;
    const thread: HsObject = { type: 'customer', status: 'active', state: 'published', ...fields };
    thread.id ??= this.nextThreadId;
    thread.createdAt ??= isoSec(nowMs);
    this.nextThreadId = Math.max(this.nextThreadId, (thread.id as number) + 1);
    rec.threads.push(thread);
    rec.data.threads = rec.threads.length;
    rec.data.userUpdatedAt = isoSec(nowMs);
    rec.modifiedMs = nowMs;
  }

  /** GET /__emulator/state. */
  snapshot(): unknown {
    const byId = <T extends { id: number }>(m: Map<number, T>): T[] => [...m.values()].sort((a, b) => a.id - b.id);
    return {
      conversations: byId(this.conversations).map((c) => ({ ...clone(c.data), modifiedAt: isoSec(c.modifiedMs), threadIds: this.threadsNewestFirst(c).map((t) => t.id) })),
      customers: byId(this.customers).map((c) => clone(c.data)),
      users: this.users.map(clone),
      mailboxes: this.mailboxes.map(clone),
    };
  }
}
