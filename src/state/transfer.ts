/**
 * `state migrate`: a whole state — every resource, run, invalid record, identity, the live sources'
 * snapshot, lineage and serial — copied from one backend to another in pages (memory does not grow
 * with the state). The rows travel in one neutral shape (the SQLite columns); run ids are given anew
 * by the destination and the rows that name a run follow them.
 */
export type TransferTable = 'runs' | 'resources' | 'invalid' | 'identities' | 'snapshot_streams' | 'snapshot_records';

/** Tables in the order they are written (runs first: the others name them). */
export const TRANSFER_TABLES: readonly TransferTable[] = ['runs', 'resources', 'invalid', 'identities', 'snapshot_streams', 'snapshot_records'];

export interface TransferMeta {
  readonly lineage: string;
  readonly serial: number;
  readonly snapshotSeq: number;
}

export interface TransferRun {
  id: number;
  command: string;
  pid: number;
  host: string;
  started_at: string;
  finished_at: string | null;
  outcome: string | null;
  counts: string | null;
}

export interface TransferResource {
  address: string;
  kind: string;
  parent: string | null;
  external_id: string;
  target_id: string | null;
  input_hash: string | null;
  applied: string | null;
  status: string;
  result: string | null;
  last_error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  run_id: number | null;
}

export interface TransferInvalid {
  address: string;
  where_: string;
  reasons: string;
  run_id: number;
  updated_at: string;
}

export interface TransferIdentity {
  kind: string;
  key: string;
  value: string;
  updated_at: string;
}

export interface TransferStream {
  stream: string;
  cursor: string | null;
  complete: boolean;
  records: number;
  deleted: number;
  next_ord: number;
  seq: number;
  pulled_at: string | null;
}

export interface TransferRecord {
  stream: string;
  id: string;
  ord: number;
  seq: number;
  deleted: boolean;
  data: string;
}

export type TransferChunk =
  | { table: 'runs'; rows: TransferRun[] }
  | { table: 'resources'; rows: TransferResource[] }
  | { table: 'invalid'; rows: TransferInvalid[] }
  | { table: 'identities'; rows: TransferIdentity[] }
  | { table: 'snapshot_streams'; rows: TransferStream[] }
  | { table: 'snapshot_records'; rows: TransferRecord[] };

/** What a store gives and takes in a migration. */
export interface TransferableState {
  transferMeta(): Promise<TransferMeta>;
  /** Every row, table by table in TRANSFER_TABLES order, in pages; without the run `skipRun` (the copy's own). */
  exportState(skipRun?: number): AsyncGenerator<TransferChunk>;
  /** True when nothing is recorded: no resource, no pulled record, no run but `exceptRun`. */
  isEmpty(exceptRun?: number): Promise<boolean>;
  /**
   * Replace everything but the run `keepRun` (the copy's own, under whose lock it runs) by the chunks,
   * in one transaction, then take lineage and serial from `meta`. Returns rows written per table.
   */
  importState(meta: TransferMeta, chunks: AsyncIterable<TransferChunk>, keepRun: number): Promise<Record<TransferTable, number>>;
}

export const TRANSFER_PAGE = 2000;

export function emptyCounts(): Record<TransferTable, number> {
  return { runs: 0, resources: 0, invalid: 0, identities: 0, snapshot_streams: 0, snapshot_records: 0 };
}
