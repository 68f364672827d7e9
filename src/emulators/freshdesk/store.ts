/**
 * The account the Freshdesk emulator serves, and the account-change hook (POST /__emulator/account):
 * tickets, conversations per ticket, contacts, agents, companies and attachments. reset() rebuilds it from
 * the seed. Every change stamps updated_at with the emulator's clock (whole seconds, "Z").
 */
import { isAbsolute, resolve } from 'node:path';
import { parseIso8601 } from '../common/iso8601.js';
import type { FdObject, FreshdeskAccountChange, FreshdeskSeed } from './types.js';

export const FALLBACK_MS = Date.UTC(2020, 0, 1);
export const isoSec = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const clone = <T>(v: T): T => structuredClone(v);

export class AccountChangeError extends Error {}

export interface AttachmentRecord {
  id: number;
  name: string;
  contentType: string;
  size: number;
  localPath: string | undefined;
}

/** A record with its times in ms (ordering and the updated_since filter). */
export interface Timed {
  id: number;
  data: FdObject;
  createdMs: number;
  updatedMs: number;
}

export function msOf(v: unknown, fallback: number): number {
  return (typeof v === 'string' ? parseIso8601(v) : undefined) ?? fallback;
}

const isObject = (v: unknown): v is FdObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

export class FreshdeskStore {
  tickets = new Map<number, Timed>();
  contacts = new Map<number, Timed>();
  agents = new Map<number, Timed>();
  companies = new Map<number, Timed>();
  conversations = new Map<number, Timed[]>();
  attachments = new Map<number, AttachmentRecord>();
  private nextConversationId = 1;

  constructor(
    private readonly seed: FreshdeskSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    for (const m of [this.tickets, this.contacts, this.agents, this.companies, this.conversations, this.attachments]) m.clear();
    this.nextConversationId = 1;
    for (const t of this.seed.tickets ?? []) this.tickets.set(t.id as number, this.timed(clone(t)));
    for (const c of this.seed.contacts ?? []) this.contacts.set(c.id as number, this.timed(clone(c)));
    for (const a of this.seed.agents ?? []) this.agents.set(a.id as number, this.timed(clone(a)));
    for (const c of this.seed.companies ?? []) this.companies.set(c.id as number, this.timed(clone(c)));
    for (const c of this.seed.conversations ?? []) this.putConversation(clone(c));
  }

  private timed(data: FdObject): Timed {
    const createdMs = msOf(data.created_at, FALLBACK_MS);
    this.noteAttachments(data);
    return { id: data.id as number, data, createdMs, updatedMs: msOf(data.updated_at, createdMs) };
  }

  private noteAttachments(data: FdObject): void {
    for (const a of Array.isArray(data.attachments) ? (data.attachments as FdObject[]) : []) {
      const local = typeof a.local_path === 'string' ? (isAbsolute(a.local_path) ? a.local_path : resolve(a.local_path)) : undefined;
      const size = typeof a.size === 'number' ? a.size : typeof a.file_size === 'number' ? a.file_size : 0;
      this.attachments.set(a.id as number, { id: a.id as number, name: String(a.name), contentType: typeof a.content_type === 'string' ? a.content_type : 'application/octet-stream', size, localPath: local });
    }
  }

  private putConversation(data: FdObject): void {
    const rec = this.timed(data);
    const ticketId = data.ticket_id as number;
    const list = this.conversations.get(ticketId) ?? [];
    list.push(rec);
    this.conversations.set(ticketId, list);
    this.nextConversationId = Math.max(this.nextConversationId, rec.id + 1);
  }

  /** A ticket's conversations, oldest first (then by id). */
  ticketConversations(ticketId: number): Timed[] {
    return [...(this.conversations.get(ticketId) ?? [])].sort((a, b) => a.createdMs - b.createdMs || a.id - b.id);
  }

  hasConversation(id: number): boolean {
    for (const list of this.conversations.values()) if (list.some((c) => c.id === id)) return true;
    return false;
  }

  // ------------------------------------------------------------ the account-change hook

  /** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
  change(body: unknown): void {
    const KEYS = ['tickets', 'conversations', 'contacts', 'agents', 'companies', 'deleteTickets', 'spamTickets'];
    if (!isObject(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
    for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
    const list = (key: string): FdObject[] => {
      const v = body[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every(isObject)) throw new AccountChangeError(`"${key}" must be a list of objects`);
      v.forEach((o, i) => {
        if (key !== 'conversations' && !isId(o.id)) throw new AccountChangeError(`${key}[${i}].id is required and must be an integer ≥ 1`);
        for (const t of ['created_at', 'updated_at']) {
          if (o[t] !== undefined && (typeof o[t] !== 'string' || parseIso8601(o[t]) === undefined)) throw new AccountChangeError(`${key}[${i}].${t} must be an ISO 8601 timestamp`);
        }
      });
      return v;
    };
    const c: Required<FreshdeskAccountChange> = {
      tickets: list('tickets'),
      conversations: list('conversations'),
      contacts: list('contacts'),
      agents: list('agents'),
      companies: list('companies'),
      deleteTickets: [],
      spamTickets: [],
    };
    const ticketIds = new Set([...this.tickets.keys(), ...c.tickets.map((t) => t.id as number)]);
    c.tickets.forEach((t, i) => {
      if (t.status !== undefined && !(typeof t.status === 'number' && Number.isInteger(t.status) && t.status >= 2)) throw new AccountChangeError(`tickets[${i}].status must be an integer ≥ 2 (2 Open, 3 Pending, 4 Resolved, 5 Closed, custom above)`);
    });
    const seen = new Set<number>();
    c.conversations.forEach((cv, i) => {
      if (!isId(cv.ticket_id) || !ticketIds.has(cv.ticket_id)) throw new AccountChangeError(`conversations[${i}].ticket_id must be a ticket of the account`);
      if (cv.id !== undefined) {
        if (!isId(cv.id)) throw new AccountChangeError(`conversations[${i}].id must be an integer ≥ 1`);
        if (seen.has(cv.id) || this.hasConversation(cv.id)) throw new AccountChangeError(`conversations[${i}].id ${cv.id} is already used`);
        seen.add(cv.id);
      }
    });
    for (const key of ['deleteTickets', 'spamTickets'] as const) {
      const v = body[key] ?? [];
      if (!Array.isArray(v) || !v.every(isId)) throw new AccountChangeError(`"${key}" must be a list of ticket ids`);
      for (const id of v) if (!ticketIds.has(id)) throw new AccountChangeError(`${key}: ${id} is not a ticket of the account`);
      c[key] = v;
    }

    for (const o of c.companies) this.upsert(this.companies, o);
    for (const o of c.agents) this.upsert(this.agents, o);
    for (const o of c.contacts) this.upsert(this.contacts, o);
    for (const t of c.tickets) this.upsert(this.tickets, t, { spam: false, deleted: false, tags: [], status: 2, priority: 1, source: 2 });
    for (const cv of c.conversations) this.addConversation(cv);
    // Whether trashing or marking spam moves updated_at is not documented (source-apis.md §2): here it does.
    for (const id of c.deleteTickets) this.upsert(this.tickets, { id, deleted: true });
    for (const id of c.spamTickets) this.upsert(this.tickets, { id, spam: true });
  }

  private upsert(map: Map<number, Timed>, patch: FdObject, defaults: FdObject = {}): void {
    const nowMs = this.now();
    const stamp = isoSec(nowMs);
    const existing = map.get(patch.id as number);
    if (existing) {
      Object.assign(existing.data, clone(patch), { updated_at: stamp });
      existing.updatedMs = msOf(stamp, nowMs);
      this.noteAttachments(existing.data);
      return;
    }
    map.set(patch.id as number, this.timed({ ...defaults, created_at: stamp, ...clone(patch), updated_at: stamp }));
  }

  private addConversation(input: FdObject): void {
    const nowMs = this.now();
    const stamp = isoSec(nowMs);
    const data: FdObject = { incoming: false, private: false, source: 0, attachments: [], ...clone(input) };
    data.id ??= this.nextConversationId;
    data.created_at ??= stamp;
    data.updated_at ??= stamp;
    this.putConversation(data);
    const t = this.tickets.get(data.ticket_id as number);
    if (t) {
      t.data.updated_at = stamp;
      t.updatedMs = msOf(stamp, nowMs);
    }
  }

  /** GET /__emulator/state. */
  snapshot(): unknown {
    const byId = (m: Map<number, Timed>) => [...m.values()].sort((a, b) => a.id - b.id).map((r) => clone(r.data));
    return {
      tickets: byId(this.tickets),
      contacts: byId(this.contacts),
      agents: byId(this.agents),
      companies: byId(this.companies),
      conversations: Object.fromEntries([...this.conversations.keys()].sort((a, b) => a - b).map((k) => [String(k), this.ticketConversations(k).map((c) => c.id)])),
    };
  }
}
