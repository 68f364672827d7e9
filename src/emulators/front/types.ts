/** Public and internal types of the Front emulator. */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';
import type { FrontStore } from './store.js';

/** A JSON object as Front sends it; unknown fields are kept as they are. */
export type FrObject = Record<string, unknown>;

/**
 * An account, as a seed directory holds it (conversations.jsonl, messages.jsonl, comments.jsonl, contacts.jsonl,
 * teammates.jsonl, optional tags.jsonl, inboxes.jsonl, events.jsonl) or in process. Ids are Front's prefixed
 * strings (cnv_, msg_, com_, crd_, tea_, tag_, inb_, evt_, fil_). Messages and comments carry
 * `conversation_id` in the seed only: the emulator serves them as Front does, without it.
 */
export interface FrontSeed {
  conversations?: FrObject[];
  messages?: FrObject[];
  comments?: FrObject[];
  contacts?: FrObject[];
  teammates?: FrObject[];
  tags?: FrObject[];
  inboxes?: FrObject[];
  /** Past events ({id, type, emitted_at, conversation_id}); the account hook adds more. */
  events?: FrObject[];
}

/** The body of POST /__emulator/account and of `emulator.account.change()`: each change emits the event Front would. */
export interface FrontAccountChange {
  /** Partial conversations merge into the one with that id (an unknown id creates it); updated_at becomes now. Event: archive / assign. */
  conversations?: FrObject[];
  /** Appended messages with conversation_id (id and created_at default). Event: inbound / outbound by is_inbound. */
  messages?: FrObject[];
  /** Appended comments with conversation_id. Event: comment. */
  comments?: FrObject[];
  /** Contacts upserted; updated_at becomes now. */
  contacts?: FrObject[];
  /** Moved to the trash: status "deleted". Event: trash. */
  trashConversations?: string[];
  /** `from` is merged into `into`: its messages and comments move, `from` answers 301. Event: conversations_merged on `into`. */
  mergeConversations?: Array<{ from: string; into: string }>;
}

export interface FrontRequestLog extends RequestLogEntry {
  /** The Host header the request was sent to (pagination links point at the company host). */
  host: string;
  /** Whether an Authorization header came with it. */
  authorized: boolean;
}

export type FrontFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type FrontFaultRule = FaultRuleOf<FrontFaultAction>;

export const OPERATIONS = [
  'conversations.list',
  'conversation.get',
  'conversation.messages',
  'conversation.comments',
  'events.list',
  'contacts.list',
  'teammates.list',
  'tags.list',
  'inboxes.list',
  'attachment.download',
] as const;
export type FrontOperation = (typeof OPERATIONS)[number];

export const CONFIG_KEYS = ['requestsPerMinute', 'burstPerSecond', 'retryAfterSeconds', 'latencyMs'] as const;
export type FrontConfigKey = (typeof CONFIG_KEYS)[number];
/** retryAfterSeconds -1: a 429 announces the time left in the window. burstPerSecond 0: no burst limit. */
export type FrontConfig = Record<FrontConfigKey, number>;

export interface FrontEmulatorOptions {
  host?: string;
  port?: number;
  seed?: FrontSeed;
  /** The API token (Bearer). Default front-emulator-token. */
  token?: string;
  /** Company requests per minute. Default 200 (Enterprise); 0 = unlimited. */
  requestsPerMinute?: number;
  /** Per resource-intensive route (messages, comments) per second. Default 5; 0 = off. */
  burstPerSecond?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /**
   * The company host that `_pagination.next`, `_links` and attachment URLs point at (§5: api2.frontapp.com
   * serves, {company}.api.frontapp.com is linked). Default http://localhost:PORT — the same server under
   * another origin than the one it listens on (127.0.0.1).
   */
  companyUrl?: string;
  now?: () => number;
  maxLoggedRequests?: number;
}

export interface FrontEmulator {
  /** http://127.0.0.1:PORT (the api2.frontapp.com of the emulator). */
  readonly url: string;
  /** The company host its links use (default http://localhost:PORT). */
  readonly companyUrl: string;
  readonly port: number;
  readonly store: FrontStore;
  readonly account: { change(change: FrontAccountChange): void };
  snapshot(): unknown;
  requests(): FrontRequestLog[];
  config(): FrontConfig;
  configure(patch: Partial<FrontConfig>): void;
  reset(): void;
  close(): Promise<void>;
}
