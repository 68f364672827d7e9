/** Public and internal types of the Help Scout (Mailbox API 2.0) emulator. */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';

/** A JSON object as Help Scout sends it; unknown fields are kept as they are. */
export type HsObject = Record<string, unknown>;

/**
 * An account, as a seed directory holds it (conversations.jsonl, customers.jsonl, users.jsonl,
 * mailboxes.jsonl; see loadHelpScoutSeed) or as an object in process. Every record needs an integer id ≥ 1.
 */
export interface HelpScoutSeed {
  /**
   * Conversations in the API's shape, each with its threads under `_embedded.threads` (as `embed=threads`
   * returns them: newest first). `userUpdatedAt` (else `createdAt`) is the time the conversation was last
   * modified (the emulator's hidden `modifiedAt`, what `modifiedSince` and `sortField=modifiedAt` use).
   */
  conversations?: HsObject[];
  /** Customers; `updatedAt` (else `createdAt`) is their modification time. */
  customers?: HsObject[];
  users?: HsObject[];
  mailboxes?: HsObject[];
}

/** The body of POST /__emulator/account and of `emulator.account.change()`. */
export interface HelpScoutAccountChange {
  /** Partial objects merge into the conversation with that id (a status, tags…); an unknown id creates it. */
  conversations?: HsObject[];
  /** Appended threads, each with `conversationId` (emulator-only; id and createdAt default to the next id and now). */
  threads?: HsObject[];
  /** Merge or create, like conversations. */
  customers?: HsObject[];
  users?: HsObject[];
  /** Soft-deletes: the conversation's state becomes "deleted" (listed with status=all only). */
  deleteConversations?: number[];
}

export type HelpScoutRequestLog = RequestLogEntry;

export type HelpScoutFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type HelpScoutFaultRule = FaultRuleOf<HelpScoutFaultAction>;

export const OPERATIONS = [
  'oauth2.token',
  'conversations.list',
  'conversations.get',
  'threads.list',
  'attachment.data',
  'customers.list',
  'users.list',
  'mailboxes.list',
] as const;
export type HelpScoutOperation = (typeof OPERATIONS)[number];

export const CONFIG_KEYS = ['requestsPerMinute', 'tokenTtlSeconds', 'latencyMs', 'retryAfterSeconds'] as const;
export type HelpScoutConfigKey = (typeof CONFIG_KEYS)[number];
export type HelpScoutConfig = Record<HelpScoutConfigKey, number>;

export interface HelpScoutEmulatorOptions {
  host?: string;
  port?: number;
  seed?: HelpScoutSeed;
  /** The OAuth app's credentials the token endpoint accepts. */
  clientId?: string;
  clientSecret?: string;
  /** Requests a minute for the account (0: unlimited). Default 200 (the v1 limit; plan numbers are [u], source-apis.md §3). */
  requestsPerMinute?: number;
  /** Lifetime of an access token. Default 172800 (48 h, source-apis.md §3 Auth). */
  tokenTtlSeconds?: number;
  /** X-RateLimit-Retry-After of a 429; default: the time left in the window. */
  retryAfterSeconds?: number;
  latencyMs?: number;
  now?: () => number;
  maxLoggedRequests?: number;
}

export interface HelpScoutEmulator {
  readonly url: string;
  readonly port: number;
  account: { change(change: HelpScoutAccountChange): void };
  snapshot(): unknown;
  requests(): HelpScoutRequestLog[];
  config(): HelpScoutConfig;
  configure(patch: Partial<HelpScoutConfig>): void;
  /** Every access token issued so far (tests check none leaks). */
  tokens(): string[];
  /** Makes every token issued so far expire now. */
  expireTokens(): void;
  reset(): void;
  close(): Promise<void>;
}
