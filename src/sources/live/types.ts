/**
 * Live sources: what a connection kind's adapter (src/sources/<kind>/) declares and does. The core (pull,
 * check, read) knows kinds only through these declarations, as apply knows targets.
 */
import type { ConnectionDecl, LiveSourceDecl } from '../../manifest/types.js';
import type { SnapshotStore } from '../../state/types.js';
import type { HttpSourceClient } from '../../http/client.js';

/** One stream a kind offers (zendesk: tickets, users, ticket_comments…). */
export interface StreamSpec {
  /** The record field that identifies a record within the stream (its snapshot id). */
  readonly key: string;
  /** A child stream: the parent stream whose changed records it follows, and the parent's id field it adds to each record. */
  readonly parent?: { readonly stream: string; readonly field: string };
  /** The field that holds a deleted record's status, and the value that means deleted (for `where`). */
  readonly deleted?: { readonly field: string; readonly value: string };
  readonly description: string;
}

/** A manifest problem an adapter finds in a connection or a source: message, the path under the entry, a hint. */
export interface AdapterProblem {
  readonly message: string;
  /** Keys below `connections.<name>` or `sources.<name>`, e.g. ['auth', 'token']. */
  readonly path: readonly string[];
  readonly hint?: string;
}

/** What a pull reports as it goes (the pull renderers and plan's pre-pull read these). */
export type PullEvent =
  | { readonly type: 'stream-start'; readonly stream: string; readonly total?: number }
  | { readonly type: 'page'; readonly stream: string; readonly records: number; readonly added: number; readonly updated: number; readonly total?: number }
  | { readonly type: 'stream-done'; readonly stream: string }
  | { readonly type: 'request'; readonly connection: string; readonly ok: boolean; readonly at: number }
  | { readonly type: 'retry'; readonly connection: string; readonly url: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'rate-limit-wait'; readonly connection: string; readonly untilMs: number }
  | { readonly type: 'note'; readonly stream: string; readonly message: string };

/** What an adapter gets to pull one connection's streams (or one command source). */
export interface PullJob {
  /** Absent for command sources. */
  readonly connection?: ConnectionDecl;
  /** The sources to bring up to date (their streams; an adapter may pull a parent stream they need too). */
  readonly sources: readonly LiveSourceDecl[];
  /** Paced, retried GETs with the connection's credentials (absent for command sources). */
  readonly http?: HttpSourceClient;
  readonly snapshot: SnapshotStore;
  readonly emit: (e: PullEvent) => void;
  readonly signal: AbortSignal;
  /** The process environment (command sources pass on only what the manifest names). */
  readonly env: NodeJS.ProcessEnv;
  /** The manifest's directory (command sources run there). */
  readonly cwd: string;
  /** The clock, for start times (zendesk's start_time) — tests move it. */
  readonly now: () => number;
}

export interface LiveKind {
  /** The name under `connections.<name>.kind` (or `command`). */
  readonly kind: string;
  /** True for kinds a source reaches through `connection:`; false for `command`. */
  readonly usesConnection: boolean;
  /** Auth keys: each inner list is one accepted set (e.g. [['email','token'], ['oauthToken']]); [] = none needed. */
  readonly auth: ReadonlyArray<readonly string[]>;
  readonly defaultRequestsPerMinute: number;
  /** It reads `connections.<name>.since` (the start of a first pull). */
  readonly since?: boolean;
  /** The kind's streams by name; absent when a source defines its own (http, command). */
  readonly streams?: Readonly<Record<string, StreamSpec>>;
  /** Keys a source of this kind may have besides connection/stream/key/groupBy (http: request, records…). */
  readonly sourceKeys: readonly string[];
  /** Of those, the ones a source must have. */
  readonly requiredSourceKeys?: readonly string[];
  /** Checks a source's own keys at load (their form is checked by the schema); problems are reported at `sources.<name>.<path>`. */
  checkSource?(decl: LiveSourceDecl): AdapterProblem[];
  /** The headers that authenticate a request (never logged). */
  authHeaders?(conn: ConnectionDecl): Record<string, string>;
  /** How its attachment links answer, when not with the file's bytes (see FetchRule.body). */
  readonly attachmentBody?: 'json-base64';
  pull(job: PullJob): Promise<void>;
}
