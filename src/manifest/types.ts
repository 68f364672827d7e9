/**
 * The validated, compiled manifest: the only product of `manifest/`. Nothing downstream re-reads YAML.
 * See ../shared/MANIFEST.md (contract v1) for the user-facing form.
 */
import type { Expression as JsonataExpression } from 'jsonata';
import type { SourceLocation } from '../core/errors.js';
import type { FastEval } from './fast-path.js';

/**
 * A manifest value under `threads`/`messages` (and `key`/`groupBy`/`where`): a JSONata expression
 * compiled once at load, or a YAML constant (number, boolean, null) which evaluates to itself.
 */
export interface Expr {
  /** The expression text as written (for constants, the YAML source text of the scalar). */
  readonly text: string;
  /** Where the value starts in the manifest file. */
  readonly location: SourceLocation;
  /** Property path in the manifest, e.g. `threads.messages.text`. */
  readonly path: string;
  /** Present for YAML constants (number, boolean, null): evaluating gives this value. */
  readonly constant?: { value: unknown };
  /** Present for expressions: compiled with the guardrail options (timeout, stack). */
  readonly compiled?: JsonataExpression;
  /** Present for the expressions simple enough to evaluate without JSONata, to the same value (fast-path.ts). */
  readonly fast?: FastEval;
}

export type SourceFormat = 'jsonl' | 'json' | 'csv';

export interface CsvOptions {
  /** One character, default ','. */
  delimiter: string;
  /** true (default): the first row names the columns. */
  header: boolean;
  /** Column names; required when header is false, overrides the header row's names when given. */
  columns?: string[];
}

/** A source read from a file of an export. */
export interface FileSourceDecl {
  readonly kind: 'file';
  /** The name under `sources:`. */
  readonly name: string;
  /** Absolute path (relative paths resolve against the manifest's directory). */
  readonly path: string;
  /** Path as written in the manifest, for messages. */
  readonly pathAsWritten: string;
  readonly format: SourceFormat;
  /** The file is gzip-compressed (`.gz` suffix). */
  readonly gzip: boolean;
  /** json only: a JSONata path naming the array inside a top-level object, e.g. `tickets` or `data.items`. */
  readonly select?: string;
  /** csv only. */
  readonly csv?: CsvOptions;
  /** `$record(source, k)` finds the record whose key expression equals k (compared as strings). */
  readonly key?: Expr;
  /** `$records(source, k)` finds every record whose groupBy expression equals k (compared as strings). */
  readonly groupBy?: Expr;
  /**
   * The most bytes one record may take (a jsonl line, a csv record, the text of a json array element); a
   * longer one is an invalid record, skipped without being held. Absent: DEFAULT_MAX_RECORD_BYTES (64 MiB).
   */
  readonly maxRecordBytes?: number;
  readonly location: SourceLocation;
}

/**
 * A source pulled from a live helpdesk (a stream of a `connections:` entry) or from a program (`command:`).
 * Its records live in the snapshot kept beside the state (`plain-migrate pull`) and are read from there.
 */
export interface LiveSourceDecl {
  readonly kind: 'live';
  readonly name: string;
  /** The adapter that pulls it: the connection's kind (zendesk, http, …) or `command`. */
  readonly adapter: string;
  /** The name under `connections:`; absent for command sources. */
  readonly connection?: string;
  /** The adapter's stream (zendesk: tickets, users, ticket_comments…; http and command: the source's name or `stream:`). */
  readonly stream: string;
  /** The snapshot's name for it: `<connection>.<stream>`, or `command.<source>`. What it is shown as (`zendesk.tickets`). */
  readonly snapshotStream: string;
  /** The adapter's own keys of this source (http: request, records, next, cursor, id; command: command, protocol, env…), checked by the adapter. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The options that are JSONata (http: records, next, cursor; both: id), compiled. */
  readonly exprs: Readonly<Record<string, Expr>>;
  /** command sources: the environment the program gets (names → interpolated values). Secrets: never shown. */
  readonly env: Readonly<Record<string, string>>;
  readonly key?: Expr;
  readonly groupBy?: Expr;
  readonly location: SourceLocation;
}

export type SourceDecl = FileSourceDecl | LiveSourceDecl;

/** What a source is shown as in messages: its path as written, or its snapshot stream (`zendesk.tickets`). */
export function sourceLabel(decl: SourceDecl): string {
  return decl.kind === 'live' ? decl.snapshotStream : decl.pathAsWritten;
}

/**
 * `connections:` — a live helpdesk's API: where it is, its credentials (from the environment), and how
 * fast it may be asked. The kind's adapter (src/sources/live/) knows its streams and auth keys.
 */
export interface ConnectionDecl {
  readonly name: string;
  readonly kind: string;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  /** Credentials by the kind's key names (email, token, oauthToken, apiKey…), interpolated. Never logged, stored or printed. */
  readonly auth: Readonly<Record<string, string>>;
  /** Extra request headers, interpolated. Never logged, stored or printed. */
  readonly headers: Readonly<Record<string, string>>;
  /** Nothing last changed before this time is pulled (epoch ms). */
  readonly sinceMs?: number;
  /** The account's own limit; the kind's default when absent. */
  readonly requestsPerMinute?: number;
  readonly location: SourceLocation;
}

/**
 * What the manifest needs to know of a live source kind to check a manifest (the kinds themselves live in
 * src/sources/; the CLI hands their catalog to loadManifest, so manifest/ names no kind).
 */
export interface LiveKindInfo {
  readonly kind: string;
  /** Reached through `connections:` (true), or a `command:` source (false). */
  readonly usesConnection: boolean;
  /** Accepted sets of auth keys, e.g. [['email', 'token'], ['oauthToken']]; [] = none. */
  readonly auth: ReadonlyArray<readonly string[]>;
  /** The kind reads `connections.<name>.since`. */
  readonly since?: boolean;
  /** The kind's stream names; absent when each source defines its own (http, command). */
  readonly streamNames?: readonly string[];
  /** Keys a source of the kind may have besides connection, stream, key and groupBy. */
  readonly sourceKeys: readonly string[];
  /** Keys of those that must be there. */
  readonly requiredSourceKeys?: readonly string[];
  /** Further checks of a source's own keys; `path` is below `sources.<name>`. */
  checkSource?(decl: LiveSourceDecl): ReadonlyArray<{ readonly message: string; readonly path: readonly string[]; readonly hint?: string }>;
}

export interface LiveKindCatalog {
  get(kind: string): LiveKindInfo | undefined;
  /** Every kind's name, for messages. */
  names(): readonly string[];
}

export interface TableDecl {
  readonly name: string;
  /** Rows keyed by the source value as a string. `_default` is not a row. */
  readonly rows: ReadonlyMap<string, unknown>;
  /** `_default` present (its value may be null). */
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly location: SourceLocation;
}

export interface PlainTargetDecl {
  readonly kind: 'plain';
  /** The interpolated key. Never log, store or print it. */
  readonly apiKey: string;
  /** Default https://core-api.uk.plain.com/graphql/v1 */
  readonly endpoint: string;
  /** true when the manifest wrote a literal key rather than ${VAR} (allowed only for loopback endpoints). */
  readonly apiKeyIsLiteral: boolean;
  readonly createMissingLabelTypes: boolean;
}

export interface TherethereTargetDecl {
  readonly kind: 'therethere';
  readonly token: string;
  readonly tokenIsLiteral: boolean;
  readonly channel: string;
  readonly baseUrl: string;
  readonly workspaceId?: string;
  readonly appendAs: 'skip' | 'note';
}

export type TargetDecl = PlainTargetDecl | TherethereTargetDecl;

/** `customer:` is either a mapping of expressions or one expression yielding `{email, fullName, externalId}`. */
export type CustomerDecl =
  | { readonly kind: 'fields'; readonly email?: Expr; readonly fullName?: Expr; readonly externalId?: Expr }
  | { readonly kind: 'expr'; readonly expr: Expr };

export interface MessagesDecl {
  readonly each: Expr;
  readonly where?: Expr;
  readonly externalId: Expr;
  readonly type?: Expr;
  readonly text: Expr;
  readonly createdAt: Expr;
  readonly author?: Expr;
  readonly attachments?: Expr;
  readonly location: SourceLocation;
}

export interface ThreadsDecl {
  /** Name of a declared source. */
  readonly source: string;
  readonly where?: Expr;
  readonly externalId: Expr;
  readonly title: Expr;
  readonly description?: Expr;
  readonly externalUrl?: Expr;
  readonly createdAt: Expr;
  readonly closedAt?: Expr;
  readonly status?: Expr;
  readonly statusDetail?: Expr;
  readonly priority?: Expr;
  readonly labels?: Expr;
  readonly assignee?: Expr;
  readonly tenant?: Expr;
  /** Plain thread fields by key. */
  readonly fields?: Readonly<Record<string, Expr>>;
  readonly customer: CustomerDecl;
  readonly messages?: MessagesDecl;
  readonly location: SourceLocation;
}

export interface AttachmentsDecl {
  readonly fetch: ReadonlyArray<{ prefix: string; headers: Readonly<Record<string, string>> }>;
  readonly maxBytes: number;
  readonly onSkip: 'note' | 'fail';
}

export interface BatchingDecl {
  /** 1..25, default 25. */
  readonly messagesPerRequest: number;
  /** Requests in flight, default 8. */
  readonly concurrency: number;
  /** Default 450. */
  readonly requestsPerMinute: number;
  /** Tries per request (first try included), default 8. */
  readonly maxAttempts: number;
  /** Parsed from e.g. `30s`, `1500ms`, `2m`; default 30000. */
  readonly requestTimeoutMs: number;
}

/** Where the state is kept (manifest `state:`). */
export type StateDecl =
  | { readonly backend: 'sqlite'; readonly path: string }
  | {
      readonly backend: 'postgres';
      /** postgres://… with its password, from the environment: never printed (shown as [redacted]). */
      readonly url: string;
      /** The PostgreSQL schema holding the tables; one state per manifest name inside it. */
      readonly schema: string;
    };

export interface Manifest {
  /** Absolute path of the manifest file. */
  readonly file: string;
  /** Absolute directory of the manifest file: relative paths resolve against it. */
  readonly dir: string;
  readonly version: 1;
  readonly name: string;
  readonly target: TargetDecl;
  /**
   * Absolute path of the SQLite state database (default `<dir>/.plain-migrate/state.db`). With a
   * PostgreSQL state, the file a SQLite state would be in: its directory holds local caches only.
   */
  readonly statePath: string;
  readonly state: StateDecl;
  readonly sources: Readonly<Record<string, SourceDecl>>;
  /** Live helpdesks the sources pull from, by name (empty when every source is a file). */
  readonly connections: Readonly<Record<string, ConnectionDecl>>;
  readonly tables: Readonly<Record<string, TableDecl>>;
  readonly threads: ThreadsDecl;
  readonly attachments?: AttachmentsDecl;
  readonly batching: BatchingDecl;
  /** sha256 of the manifest file's bytes as written (before interpolation, so it holds no secret). */
  readonly sourceHash: string;
}
