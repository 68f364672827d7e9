/** Public and internal types of the Intercom emulator. */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';
import type { IntercomStore } from './store.js';

/** A JSON object as Intercom sends it; unknown fields are kept as they are. */
export type IcObject = Record<string, unknown>;

/**
 * A workspace, as an export directory holds it (conversations.jsonl, contacts.jsonl, admins.jsonl, optional
 * tags.jsonl) or in process. Ids are strings, times unix seconds (source-formats.md §4).
 */
export interface IntercomSeed {
  /**
   * Conversations as `GET /conversations/{id}` returns them, but with every part in
   * `conversation_parts.conversation_parts` (the emulator serves the 500 most recent); `deleted_at` (unix s)
   * makes one deleted (404 on retrieve, listed by /conversations/deleted). Attachments may carry `local_path`.
   */
  conversations?: IcObject[];
  contacts?: IcObject[];
  admins?: IcObject[];
  tags?: IcObject[];
}

/** The body of POST /__emulator/account and of `emulator.account.change()`. */
export interface IntercomAccountChange {
  /** Partial conversations merge into the one with that id; an unknown id creates it. updated_at becomes now. */
  conversations?: IcObject[];
  /** Parts appended to `conversation_id` (id and created_at default to the next id and now); the conversation's updated_at becomes now. */
  parts?: IcObject[];
  contacts?: IcObject[];
  admins?: IcObject[];
  /** Deleted: 404 on retrieve, gone from search, listed by /conversations/deleted with deleted_at now. */
  deleteConversations?: string[];
}

export interface IntercomRequestLog extends RequestLogEntry {
  /** The JSON body of a search (for request assertions). */
  body?: unknown;
}

export type IntercomFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type IntercomFaultRule = FaultRuleOf<IntercomFaultAction>;

export const OPERATIONS = ['conversations.search', 'conversation.retrieve', 'conversations.deleted', 'conversations.list', 'contacts.search', 'admins.list', 'tags.list', 'attachment.download'] as const;
export type IntercomOperation = (typeof OPERATIONS)[number];

export const CONFIG_KEYS = ['requestsPerMinute', 'latencyMs', 'partsCap'] as const;
export type IntercomConfigKey = (typeof CONFIG_KEYS)[number];
export type IntercomConfig = Record<IntercomConfigKey, number>;

export interface IntercomEmulatorOptions {
  host?: string;
  port?: number;
  seed?: IntercomSeed;
  /** The access token (Bearer). Default ic-emulator-token. */
  token?: string;
  /** Per minute, enforced in 10-second windows of a sixth of it (§4 Rate limits). Default 10,000 (a private app); 0 = unlimited. */
  requestsPerMinute?: number;
  latencyMs?: number;
  /** Parts a retrieve returns at most. Default 500 (§4). */
  partsCap?: number;
  /** The version used when a request sends no Intercom-Version (the app's, set in the Developer Hub). Default 2.11. */
  appVersion?: string;
  now?: () => number;
  maxLoggedRequests?: number;
}

export interface IntercomEmulator {
  /** http://127.0.0.1:PORT (the API is at the root, as api.intercom.io). */
  readonly url: string;
  readonly port: number;
  readonly store: IntercomStore;
  readonly account: { change(change: IntercomAccountChange): void };
  snapshot(): unknown;
  requests(): IntercomRequestLog[];
  config(): IntercomConfig;
  configure(patch: Partial<IntercomConfig>): void;
  reset(): void;
  close(): Promise<void>;
}
