/**
 * The strict Freshdesk emulator: a loopback HTTP server that speaks the parts of Freshdesk's API v2 a pull
 * needs (the ticket list and its spam/deleted listings, conversations, contacts, agents, companies,
 * attachments) with its auth, paging, page cap and rate-limit rules, plus fault injection, inspection and an
 * account-change hook under /__emulator/. See README.md in this folder.
 */
export { startFreshdeskEmulator, DEFAULT_LIST_PER_MINUTE, DEFAULT_REQUESTS_PER_MINUTE, INVALID_CREDENTIALS, PAGE_CAP } from './server.js';
export { loadFreshdeskSeed, checkFreshdeskSeed } from './seed.js';
export { AccountChangeError } from './store.js';
export type { FreshdeskStore } from './store.js';
export { CONFIG_KEYS, OPERATIONS } from './types.js';
export type { FreshdeskSeed, FreshdeskAccountChange, FreshdeskConfig, FreshdeskEmulator, FreshdeskEmulatorOptions, FreshdeskRequestLog, FreshdeskFaultRule, FdObject } from './types.js';
