/**
 * The hook that changes the account between pulls (POST /__emulator/account, emulator.account.change):
 * validated as a whole, then applied in order organizations, users, tickets, comments, deleteTickets.
 * Every change stamps updated_at / generated_timestamp with the emulator's now.
 */
import { parseIso8601 } from '../common/iso8601.js';
import { TICKET_STATUSES } from './seed.js';
import type { ZendeskStore } from './store.js';
import type { ZdObject, ZendeskAccountChange } from './types.js';

const KEYS = ['tickets', 'deleteTickets', 'comments', 'users', 'organizations'];

export class AccountChangeError extends Error {}

const isObject = (v: unknown): v is ZdObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function objects(body: ZdObject, key: string): ZdObject[] {
  const v = body[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new AccountChangeError(`"${key}" must be a list`);
  v.forEach((o, i) => {
    if (!isObject(o)) throw new AccountChangeError(`${key}[${i}] must be an object`);
  });
  return v as ZdObject[];
}

function checkRecords(key: string, list: ZdObject[], idKey = 'id'): void {
  list.forEach((o, i) => {
    if (!isId(o[idKey])) throw new AccountChangeError(`${key}[${i}].${idKey} is required and must be an integer ≥ 1`);
    for (const t of ['created_at', 'updated_at']) {
      if (o[t] !== undefined && (typeof o[t] !== 'string' || parseIso8601(o[t]) === undefined)) throw new AccountChangeError(`${key}[${i}].${t} must be an ISO 8601 timestamp`);
    }
  });
}

function checkComments(store: ZendeskStore, comments: ZdObject[], ticketIds: Set<number>): void {
  checkRecords('comments', comments, 'ticket_id');
  const ids = new Set<number>();
  comments.forEach((c, i) => {
    const p = `comments[${i}]`;
    if (!ticketIds.has(c.ticket_id as number)) throw new AccountChangeError(`${p}.ticket_id ${String(c.ticket_id)} is not a ticket of the account`);
    if (c.id !== undefined) {
      if (!isId(c.id)) throw new AccountChangeError(`${p}.id must be an integer ≥ 1`);
      if (ids.has(c.id) || store.hasComment(c.id)) throw new AccountChangeError(`${p}.id ${c.id} is already used`);
      ids.add(c.id);
    }
    if (c.public !== undefined && typeof c.public !== 'boolean') throw new AccountChangeError(`${p}.public must be true or false`);
    const atts = c.attachments;
    if (atts === undefined) return;
    if (!Array.isArray(atts)) throw new AccountChangeError(`${p}.attachments must be a list`);
    atts.forEach((a, j) => {
      if (!isObject(a) || !isId(a.id) || typeof a.file_name !== 'string' || a.file_name === '') {
        throw new AccountChangeError(`${p}.attachments[${j}] needs an integer id and a file_name`);
      }
      if (store.attachments.has(a.id)) throw new AccountChangeError(`${p}.attachments[${j}].id ${a.id} is already used`);
      if (a.size !== undefined && !(typeof a.size === 'number' && Number.isInteger(a.size) && a.size >= 0)) throw new AccountChangeError(`${p}.attachments[${j}].size must be an integer ≥ 0`);
    });
  });
}

/** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
export function changeAccount(store: ZendeskStore, body: unknown): void {
  if (!isObject(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
  for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
  const change: ZendeskAccountChange = {
    tickets: objects(body, 'tickets'),
    comments: objects(body, 'comments'),
    users: objects(body, 'users'),
    organizations: objects(body, 'organizations'),
  };
  const tickets = change.tickets ?? [];
  checkRecords('tickets', tickets);
  checkRecords('users', change.users ?? []);
  checkRecords('organizations', change.organizations ?? []);
  tickets.forEach((t, i) => {
    if (t.generated_timestamp !== undefined) throw new AccountChangeError(`tickets[${i}].generated_timestamp is set by the emulator (to now)`);
    if (t.status !== undefined && !(TICKET_STATUSES as readonly unknown[]).includes(t.status)) throw new AccountChangeError(`tickets[${i}].status must be one of ${TICKET_STATUSES.join(', ')}`);
    if (t.tags !== undefined && !(Array.isArray(t.tags) && t.tags.every((x) => typeof x === 'string'))) throw new AccountChangeError(`tickets[${i}].tags must be a list of strings`);
    if (t.ai_agent !== undefined && typeof t.ai_agent !== 'boolean') throw new AccountChangeError(`tickets[${i}].ai_agent must be true or false`);
  });
  const ticketIds = new Set([...store.tickets.keys(), ...tickets.map((t) => t.id as number)]);
  checkComments(store, change.comments ?? [], ticketIds);
  const del = body.deleteTickets ?? [];
  if (!Array.isArray(del) || !del.every(isId)) throw new AccountChangeError('"deleteTickets" must be a list of ticket ids');
  for (const id of del) if (!ticketIds.has(id)) throw new AccountChangeError(`deleteTickets: ${id} is not a ticket of the account`);

  for (const o of change.organizations ?? []) store.upsertOrganization(o);
  for (const u of change.users ?? []) store.upsertUser(u);
  for (const t of tickets) store.upsertTicket(t);
  for (const c of change.comments ?? []) store.addComment(c);
  for (const id of del) store.deleteTicket(id);
}
