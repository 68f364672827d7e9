/** Public and internal types of the HelpSpot emulator (../shared/reference/source-apis.md §6, §8). */
import type { FaultRuleOf } from '../common/faults.js';
import type { RequestLogEntry } from '../common/log.js';
import type { HelpSpotStore } from './store.js';

/** A JSON object as HelpSpot's `output=json` sends it; unknown fields are kept as they are. */
export type HsObject = Record<string, unknown>;

/**
 * An installation, as a seed directory holds it (requests.jsonl, staff.jsonl, optional categories.jsonl,
 * statuses.jsonl) or in process. A request is `private.request.get`'s answer with `fRawValues=1` (ids, unix
 * seconds) and its history inside: `request_history: {item: [...]}` (§6 Endpoints); a history item's files may
 * carry `local_path` (served as the bytes).
 */
export interface HelpSpotSeed {
  requests?: HsObject[];
  /** HS_Person rows: xPerson, sFname, sLname, sEmail, fDeleted… */
  staff?: HsObject[];
  /** HS_Category rows: xCategory, sCategory, reportingTags {tag: [{xReportingTag, sReportingTag}]}. */
  categories?: HsObject[];
  /** {xStatus, sStatus}; default 1 Active, 2 Spam, 3 Not Spam (HelpSpot's seeds, cHD_STATUS_SPAM = 2). */
  statuses?: HsObject[];
}

/** The body of POST /__emulator/account and of `emulator.account.change()`. Every change writes a request-history row at now. */
export interface HelpSpotAccountChange {
  /** Partial requests merge into the request with that xRequest (a status-change row is logged); an unknown id creates it (with an initial note). */
  requests?: HsObject[];
  /** History items appended to their xRequest (xRequestHistory and dtGMTChange default to the next id and now). */
  notes?: HsObject[];
  /** Moved to the trash: fTrash 1, dtGMTTrashed now. */
  trashRequests?: number[];
  /** Marked spam: xStatus 2 (cHD_STATUS_SPAM). */
  spamRequests?: number[];
  /** Merged: the first into the second; the history moves to the target, the old id answers with the target. */
  mergeRequests?: Array<[number, number]>;
  /** Deleted for good (HelpSpot's purge): gone with its history, with no trace in getChanged. */
  purgeRequests?: number[];
  staff?: HsObject[];
}

export interface HelpSpotRequestLog extends RequestLogEntry {
  /** The API method (`private.request.get`…), `file.download`, or null. */
  operation: string | null;
}

export type HelpSpotFaultAction = `status:${number}` | 'rate-limit' | 'reset' | 'hang';
export type HelpSpotFaultRule = FaultRuleOf<HelpSpotFaultAction>;

export const METHODS = [
  'private.request.getChanged',
  'private.request.get',
  'private.request.multiGet',
  'private.request.search',
  'private.util.getAllStaff',
  'private.util.getActiveStaff',
  'private.request.getCategories',
  'private.request.getStatusTypes',
  'private.request.getMailboxes',
  'private.document.get',
] as const;
export type HelpSpotMethod = (typeof METHODS)[number];

export const CONFIG_KEYS = ['requestsPerMinute', 'retryAfterSeconds', 'latencyMs', 'maxSearchResults'] as const;
export type HelpSpotConfigKey = (typeof CONFIG_KEYS)[number];
/** requestsPerMinute 0 (the default): no limit, as HelpSpot's API has none (§6). retryAfterSeconds -1: the time left in the window. */
export type HelpSpotConfig = Record<HelpSpotConfigKey, number>;

export interface HelpSpotEmulatorOptions {
  host?: string;
  port?: number;
  seed?: HelpSpotSeed;
  /** A personal access token (Authorization: Bearer). Default hs-emulator-token. */
  token?: string;
  /** A staff login for Basic auth or ?username=&password=. Default admin@acme.test / hs-emulator-password. */
  username?: string;
  password?: string;
  /**
   * HelpSpot's API has no rate limit (§6); a value > 0 puts one in front of it (as a proxy would: 429 with
   * Retry-After). Default 0.
   */
  requestsPerMinute?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /** private.request.search's default `length` (setting cHD_MAXSEARCHRESULTS, seed 50). */
  maxSearchResults?: number;
  now?: () => number;
  maxLoggedRequests?: number;
}

export interface HelpSpotEmulator {
  /** http://127.0.0.1:PORT (the API is /api/index.php). */
  readonly url: string;
  readonly port: number;
  readonly store: HelpSpotStore;
  readonly account: { change(change: HelpSpotAccountChange): void };
  snapshot(): unknown;
  requests(): HelpSpotRequestLog[];
  config(): HelpSpotConfig;
  configure(patch: Partial<HelpSpotConfig>): void;
  reset(): void;
  close(): Promise<void>;
}
