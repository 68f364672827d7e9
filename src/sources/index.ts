/** The public API of `sources/`: streaming readers and on-disk indexes for `$record` / `$records`. */
export { readSource, type ReadOptions } from './read.js';
export { openSourceIndex, type DiskSourceIndex, type OpenIndexOptions } from './index-store.js';
export { keyToString } from './key.js';
export type { RecordLocation, SourceIndex, SourceItem } from './types.js';
