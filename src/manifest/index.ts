/** The manifest module: load, interpolate, validate, compile. See /work/shared/MANIFEST.md. */
export { loadManifest, DEFAULT_MANIFEST_FILE, type LoadOptions } from './load.js';
export { ManifestError } from './errors.js';
export { isLoopbackUrl } from './loopback.js';
export { sourceLabel } from './types.js';
export { parseDuration } from './duration.js';
export { DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CEILING, parseSize } from './size.js';
export { manifestSchema, SCHEMA_URL } from './schema-validate.js';
export { DEFAULT_PLAIN_ENDPOINT, DEFAULT_THERETHERE_BASE_URL } from './build-target.js';
export { DEFAULT_BATCHING, DEFAULT_STATE_PATH } from './build.js';
export type * from './types.js';
