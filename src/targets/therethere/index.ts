/**
 * The There There target's lowest layers: the REST client (one request per call), the
 * classification of its failures, and the per-record rules of MANIFEST.md's There There table.
 * Not wired into the engine yet.
 */
export * from './client.js';
export * from './errors.js';
export * from './rules.js';
