/** Public and internal types of the Freshdesk emulator. */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';
import type { FreshdeskStore } from './store.js';

/** A JSON object as Freshdesk sends it; unknown fields are kept as they are. */
export type FdObject = Record<string, unknown>;

/**
 * An account, as an export directory holds it (tickets.jsonl, conversations.jsonl, contacts.jsonl,
 * agents.jsonl, optional companies.jsonl) or in process. Every record needs an integer `id` ≥ 1.
 */
export interface FreshdeskSeed {
  /** Tickets in API v2 shape; `spam: true` and `deleted: true` put one in those listings only. */
  tickets?: FdObject[];
  /** Conversations with `ticket_id`; attachments may carry `local_path` (served as the bytes). */
  conversations?: FdObject[];
  /** Contacts; `deleted: true` lists one under state=deleted only. */
  contacts?: FdObject[];
  /** Agents, each with `contact: {name, email, …}`. */
  agents?: FdObject[];
  companies?: FdObject[];
}

/** The body of POST /__emulator/account and of `emulator.account.change()`. */
export interface FreshdeskAccountChange {
  /** Partial tickets merge into the ticket with that id; an unknown id creates it. updated_at becomes now. */
  tickets?: FdObject[];
  /** Appended conversations with ticket_id (id and created_at default to the next id and now); the ticket's updated_at becomes now. */
  conversations?: FdObject[];
  contacts?: FdObject[];
  agents?: FdObject[];
  companies?: FdObject[];
  /** Moved to the trash: deleted: true, updated_at now. */
  deleteTickets?: number[];
  /** Marked spam: spam: true, updated_at now. */
  spamTickets?: number[];
}

export type FreshdeskRequestLog = RequestLogEntry;

export type FreshdeskFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type FreshdeskFaultRule = FaultRuleOf<FreshdeskFaultAction>;

export const OPERATIONS = ['tickets.list', 'ticket.conversations', 'contacts.list', 'agents.list', 'companies.list', 'attachment.download'] as const;
export type FreshdeskOperation = (typeof OPERATIONS)[number];

export const CONFIG_KEYS = ['requestsPerMinute', 'listPerMinute', 'retryAfterSeconds', 'latencyMs', 'attachmentTtlSeconds', 'defaultWindowDays'] as const;
export type FreshdeskConfigKey = (typeof CONFIG_KEYS)[number];
/** retryAfterSeconds -1: a 429 announces the time left in the window. */
export type FreshdeskConfig = Record<FreshdeskConfigKey, number>;

export interface FreshdeskEmulatorOptions {
  host?: string;
  port?: number;
  seed?: FreshdeskSeed;
  /** The API key (Basic "{apiKey}:X"). Default fd-emulator-key. */
  apiKey?: string;
  /** Account credits per minute. Default 700 (Enterprise); 0 = unlimited. */
  requestsPerMinute?: number;
  /** Ticket and contact list requests per minute. Default 200 (Enterprise); 0 = unlimited. */
  listPerMinute?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /** How long an attachment_url stays valid. Default 300. */
  attachmentTtlSeconds?: number;
  /** The ticket list without updated_since: tickets created in the last N days. Default 30. */
  defaultWindowDays?: number;
  now?: () => number;
  maxLoggedRequests?: number;
}

export interface FreshdeskEmulator {
  /** http://127.0.0.1:PORT (the API is under /api/v2). */
  readonly url: string;
  readonly port: number;
  readonly store: FreshdeskStore;
  readonly account: { change(change: FreshdeskAccountChange): void };
  snapshot(): unknown;
  requests(): FreshdeskRequestLog[];
  config(): FreshdeskConfig;
  configure(patch: Partial<FreshdeskConfig>): void;
  reset(): void;
  close(): Promise<void>;
}
