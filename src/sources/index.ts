/** The public API of `sources/`: streaming readers and on-disk indexes for `$record` / `$records`. */
export { readSource, type ReadOptions } from './read.js';
export { openIndexFile, openSourceIndex, type DiskSourceIndex, type OpenIndexOptions } from './index-store.js';
export { keyToString } from './key.js';
export { DEFAULT_MAX_RECORD_BYTES, MAX_DEPTH, MAX_RECORD_BYTES_CEILING } from './limits.js';
export type { RecordLocation, SourceIndex, SourceItem } from './types.js';
