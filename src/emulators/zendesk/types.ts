/** Public and internal types of the Zendesk emulator. */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';
import type { ZendeskStore } from './store.js';

/** A JSON object as Zendesk sends it; the emulator keeps unknown fields as they are. */
export type ZdObject = Record<string, unknown>;

// ---------------------------------------------------------------- seed (public)

/**
 * An account, as an export directory holds it (see loadZendeskSeed) or as an object in process.
 * Every record needs an integer `id` ≥ 1.
 */
export interface ZendeskSeed {
  /**
   * Zendesk tickets. `generated_timestamp` (unix s) optional: default `updated_at`, else `created_at`.
   * `status: "deleted"` is a soft-deleted ticket. Emulator extension: `ai_agent: true` marks a ticket
   * that only `support_type_scope=all|ai_agent` returns (the flag is not served).
   */
  tickets?: ZdObject[];
  /** Users; ordered in the users export by `updated_at` (else `created_at`, else 2020-01-01T00:00:00Z). */
  users?: ZdObject[];
  /**
   * Comments, each with `ticket_id`. Attachments may carry `local_path`: the file served as the bytes
   * (absent or unreadable: a deterministic placeholder of `size` bytes).
   */
  comments?: ZdObject[];
  organizations?: ZdObject[];
  /** Absent or empty: Zendesk's system fields (subject, description, status, …). */
  ticketFields?: ZdObject[];
}

// ---------------------------------------------------------------- account hook (public)

/** The body of POST /__emulator/account and of `emulator.account.change()`. */
export interface ZendeskAccountChange {
  /** Partial objects merge into the ticket with that id (a status change, new tags …); an unknown id creates it. */
  tickets?: ZdObject[];
  /** Soft-deletes: the status becomes "deleted". */
  deleteTickets?: number[];
  /** Appended comments, each with `ticket_id` (id and created_at default to the next id and now). */
  comments?: ZdObject[];
  /** Merge or create, like tickets. */
  users?: ZdObject[];
  organizations?: ZdObject[];
}

// ---------------------------------------------------------------- inspection (public)

export type ZendeskRequestLog = RequestLogEntry;

export type ZendeskFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type ZendeskFaultRule = FaultRuleOf<ZendeskFaultAction>;

export const OPERATIONS = [
  'incremental.tickets',
  'incremental.users',
  'incremental.organizations',
  'incremental.ticket_events',
  'ticket.comments',
  'ticket_fields',
  'tickets.show',
  'users.show',
  'attachment',
  'attachment.download',
] as const;
export type ZendeskOperation = (typeof OPERATIONS)[number];

// ---------------------------------------------------------------- domain (internal)

export interface TicketRecord {
  id: number;
  /** The ticket as served, without generated_timestamp and the ai_agent marker. */
  data: ZdObject;
  /** Unix seconds. */
  generatedTimestamp: number;
  aiAgent: boolean;
}

/** A user or an organization: ordered by `ts` (unix s of updated_at). */
export interface TimedRecord {
  id: number;
  data: ZdObject;
  ts: number;
}

export interface CommentRecord {
  id: number;
  ticketId: number;
  /** The comment as the seed had it, minus ticket_id (attachments keep local_path: views strip it). */
  data: ZdObject;
  createdMs: number;
  /** When its audit happened (unix s): created_at for seeded comments, the change time for added ones. */
  eventTs: number;
}

export interface StatusChangeRecord {
  id: number;
  ticketId: number;
  ts: number;
  previous: unknown;
  value: unknown;
}

export interface AttachmentRecord {
  id: number;
  fileName: string;
  contentType: string;
  size: number;
  /** The seed's local_path, resolved; undefined: serve the placeholder. */
  localPath: string | undefined;
}

// ---------------------------------------------------------------- configuration (public)

/** The integer settings GET|POST /__emulator/config reads and changes. */
export const CONFIG_KEYS = [
  'incrementalPerMinute',
  'requestsPerMinute',
  'retryAfterSeconds',
  'minStartTimeLagSeconds',
  'hideLastSeconds',
  'emptyPageGapSeconds',
  'latencyMs',
] as const;
export type ZendeskConfigKey = (typeof CONFIG_KEYS)[number];
/** retryAfterSeconds -1: a 429 announces the time left in the window. */
export type ZendeskConfig = Record<ZendeskConfigKey, number>;

// ---------------------------------------------------------------- the emulator (public)

export interface ZendeskEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  seed?: ZendeskSeed;
  /** The API token's user. Default admin@acme.test. */
  email?: string;
  /** Basic "{email}/token:{apiToken}". Default zd-emulator-token. */
  apiToken?: string;
  /** Bearer token. Default zd-emulator-oauth. */
  oauthToken?: string;
  /** /api/v2/incremental/* requests per minute. Default 10; 0 = unlimited. */
  incrementalPerMinute?: number;
  /** Account limit: requests per minute. Default 700; 0 = unlimited. */
  requestsPerMinute?: number;
  /** The Retry-After a 429 announces. Default: the time left in the window. */
  retryAfterSeconds?: number;
  /** How far in the past start_time must be. Default 60. */
  minStartTimeLagSeconds?: number;
  /** Rows stamped within this many seconds of now are not exported yet. Default 60. */
  hideLastSeconds?: number;
  /** A cursor page whose next row lies further than this beyond the cursor is empty (end_of_stream false). Default 30 days; 0 = never. */
  emptyPageGapSeconds?: number;
  /** Delay before answering each API request. Default 0. */
  latencyMs?: number;
  /** Clock in ms: rate windows, start_time checks, the hidden last minute, change stamps. Default Date.now. */
  now?: () => number;
  /** How many requests the log keeps (oldest dropped). Default 10 000. */
  maxLoggedRequests?: number;
}

export interface ZendeskEmulator {
  /** http://127.0.0.1:PORT (the API is under /api/v2). */
  readonly url: string;
  readonly port: number;
  /** The live account (tests may read it; change it through `account`). */
  readonly store: ZendeskStore;
  /** Same as POST /__emulator/account; throws AccountChangeError on an invalid change. */
  readonly account: { change(change: ZendeskAccountChange): void };
  /** Same JSON as GET /__emulator/state. */
  snapshot(): unknown;
  requests(): ZendeskRequestLog[];
  config(): ZendeskConfig;
  /** Same as POST /__emulator/config. */
  configure(patch: Partial<ZendeskConfig>): void;
  /** Same as POST /__emulator/reset: the seed again; log, faults and rate windows cleared (config kept). */
  reset(): void;
  close(): Promise<void>;
}
