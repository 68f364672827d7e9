/** What the plan and the executor need from recorded state. One implementation per backend. */

export type ResourceKind = 'customer' | 'thread' | 'message' | 'tenant' | 'membership' | 'label_type' | 'attachment';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['customer', 'thread', 'message', 'tenant', 'membership', 'label_type', 'attachment'];
/** applied: the target acknowledged it (CREATED, NOOP or UPDATED). failed: the last attempt failed. */
export type ResourceStatus = 'applied' | 'failed';
export type TargetResult = 'CREATED' | 'NOOP' | 'UPDATED';

export interface RecordedError {
  /** e.g. input_validation, forbidden, http_401, GRAPHQL_VALIDATION_FAILED, timeout */
  readonly code: string;
  readonly message: string;
  /** VALIDATION | FORBIDDEN | INTERNAL | TRANSPORT … */
  readonly type?: string;
  readonly fields?: ReadonlyArray<{ field: string; message: string; type: string }>;
}

export interface ResourceRow {
  readonly address: string;
  readonly kind: ResourceKind;
  /** The thread's address, for messages. */
  readonly parent: string | null;
  readonly externalId: string;
  /** The target's id (th_…, c_…, t_…/n_…); null until applied. */
  readonly targetId: string | null;
  /** sha256 of the desired input last sent (or last planned). */
  readonly inputHash: string | null;
  /** Threads: the attributes last applied to the target, as JSON (null for older rows and other kinds). */
  readonly applied: unknown;
  readonly status: ResourceStatus;
  readonly result: TargetResult | null;
  readonly lastError: RecordedError | null;
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StateMeta {
  readonly lineage: string;
  readonly serial: number;
  readonly manifestName: string;
  readonly schemaVersion: number;
}

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  /** The operation: `apply <name>`, `pull <name>`… */
  readonly command: string;
  /** `user@host` (PostgreSQL states; absent in SQLite files). */
  readonly who?: string;
}

/** A held lock as `force-unlock` and a refused run name it. */
export interface LockInfo extends LockHolder {
  readonly lockId: number;
}

export interface ApplyOutcome {
  readonly address: string;
  readonly kind: ResourceKind;
  readonly parent?: string | null;
  readonly externalId: string;
  readonly inputHash: string;
  /** Set on success. */
  readonly targetId?: string;
  /** Set on success, for threads: the attributes the target now has from us (replaces the recorded ones). */
  readonly applied?: unknown;
  readonly result?: TargetResult;
  /** Set on failure. */
  readonly error?: RecordedError;
  /** Attempts made for this outcome (added to the stored count). */
  readonly attempts: number;
}

export interface RunSummary {
  readonly id: number;
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly outcome: string | null;
  readonly counts: Record<string, number> | null;
}

/** A record that could not be imported, as the last apply that saw it reported it. */
export interface InvalidRow {
  readonly address: string;
  readonly where: string;
  readonly reasons: readonly string[];
  readonly runId: number;
  readonly updatedAt: string;
}

/** A thread's recorded messages, counted (StateStore.childrenSummary). */
export interface ChildrenSummary {
  readonly count: number;
  readonly applied: number;
  readonly latestUpdatedAt: string;
}

/**
 * The recorded state of one migration. Every method is asynchronous because a backend may be across a
 * network (PostgreSQL); a write's promise resolves once the write is durable, never before.
 */
export interface StateStore {
  /** Where the state is, for messages: a file path, or `postgres://host:port/db (schema, name)` without credentials. */
  readonly path: string;
  readonly backend: 'sqlite' | 'postgres';
  /** The pulled records of live sources (see SnapshotStore). */
  readonly snapshot: SnapshotStore;
  /**
   * Aborted when the lock this store holds can no longer be trusted (PostgreSQL: its connection died).
   * A run stops sending at once; its writes fail from then on. Never aborted for SQLite.
   */
  readonly lockLost: AbortSignal;
  meta(): Promise<StateMeta>;
  get(address: string): Promise<ResourceRow | undefined>;
  /** Messages recorded under a thread address. */
  children(parentAddress: string): Promise<ResourceRow[]>;
  /** How many messages are recorded under a thread address, how many applied, and the latest updatedAt ('' if none). */
  childrenSummary(parentAddress: string): Promise<ChildrenSummary>;
  /** Every row whose address matches the pattern (`*` wildcard), in address order, read in pages. */
  list(pattern?: string): AsyncIterableIterator<ResourceRow>;
  /** Rows of one kind after `after` in address order, at most `limit` (for paging while writing). */
  page(kind: ResourceKind, after: string, limit: number): Promise<ResourceRow[]>;
  count(): Promise<Record<ResourceKind, Record<ResourceStatus, number>>>;
  /** Commit outcomes atomically (one transaction). Called as soon as the target acknowledges; resolves once durable. */
  record(outcomes: readonly ApplyOutcome[], runId: number): Promise<void>;
  remove(pattern: string): Promise<number>;
  /** Remember invalid records reported by a run (replacing earlier reports of the same address). */
  recordInvalid(records: ReadonlyArray<{ address: string; where: string; reasons: readonly string[] }>, runId: number): Promise<void>;
  /** After a complete run: forget invalid records that run did not see again (they were fixed or are gone). */
  forgetInvalidNotSeenIn(runId: number): Promise<void>;
  invalidRecords(pattern?: string): Promise<InvalidRow[]>;
  /** Resources whose last attempt failed (including updates that failed on applied threads). */
  failures(pattern?: string): Promise<ResourceRow[]>;
  /**
   * Take the lock or throw PmError('state.locked') naming the holder. A lock whose holder is gone (a dead
   * process on this host for SQLite; a closed session for PostgreSQL) is taken over and reported.
   */
  acquireLock(command: string): Promise<{ runId: number; tookOverFrom?: LockHolder }>;
  releaseLock(runId: number, outcome: string, counts: Record<string, number>): Promise<void>;
  /** The lock, if one is recorded. */
  lockHolder(): Promise<LockInfo | undefined>;
  /** `force-unlock LOCK_ID`: free the lock if its ID is the one given; says what it did. */
  forceUnlock(lockId: number): Promise<{ holder: LockInfo; did: string }>;
  runs(limit?: number): Promise<RunSummary[]>;
  /** A remembered identity (kind 'user': email → user id), or undefined. */
  identity(kind: string, key: string): Promise<string | undefined>;
  rememberIdentity(kind: string, key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** One record of a pulled stream as the snapshot keeps it. */
export interface SnapshotRecordInput {
  /** The record's id within its stream (the kind's key, as a string). */
  readonly id: string;
  /** The helpdesk reports it deleted (it stays in the snapshot, with this flag and its own status field). */
  readonly deleted: boolean;
  /** The record as JSON text (canonical enough: the same record pulled twice gives the same text). */
  readonly json: string;
}

export interface SnapshotRow {
  readonly id: string;
  /** Position in the stream: the order it was first pulled in (reading follows it). */
  readonly ord: number;
  /** The snapshot version at which it last changed. */
  readonly seq: number;
  readonly deleted: boolean;
  readonly json: string;
}

export interface SnapshotStreamInfo {
  /** `<connection>.<stream>` or `command.<source>`. */
  readonly stream: string;
  /** The stream's incremental cursor, as the adapter gave it (null before the first page). */
  readonly cursor: unknown;
  /** The stream has been pulled to its end at least once. */
  readonly complete: boolean;
  readonly records: number;
  readonly deleted: number;
  /** The snapshot version at which a record of this stream last changed (0: none yet). */
  readonly seq: number;
  readonly pulledAt: string | null;
}

/**
 * The pulled records of live sources and each stream's cursor, kept beside the state by the same backend.
 * Records are added or updated, never dropped: a stopped pull cannot make a record look gone.
 */
export interface SnapshotStore {
  /** Grows by one with every commit that changed a record; a plan is bound to it. */
  version(): Promise<number>;
  stream(stream: string): Promise<SnapshotStreamInfo | undefined>;
  streams(): Promise<SnapshotStreamInfo[]>;
  /**
   * One page, atomically: its records are added (or updated where their text or deleted flag changed) and
   * the stream's cursor moves to `cursor`. `complete` marks the stream pulled to its end. Returns how many
   * records were added and how many updated.
   */
  commit(stream: string, records: readonly SnapshotRecordInput[], cursor: unknown, opts?: { complete?: boolean }): Promise<{ added: number; updated: number }>;
  /** Records in stream order after position `afterOrd`, at most `limit`. */
  page(stream: string, afterOrd: number, limit: number): Promise<SnapshotRow[]>;
  /**
   * Records that changed after position (afterSeq, afterOrd) in the order they changed (by seq, then ord),
   * at most `limit`: a child stream follows its parent's changes with this as its cursor.
   */
  changedSince(stream: string, after: { readonly seq: number; readonly ord: number }, limit: number): Promise<SnapshotRow[]>;
  get(stream: string, id: string): Promise<SnapshotRow | undefined>;
}
