/**
 * The strict Front emulator: a loopback HTTP server that speaks the parts of Front's Core API a pull needs
 * (conversations, their messages and comments, events, contacts, teammates, tags, inboxes, attachment
 * downloads) with its auth, paging, burst and rate-limit rules, plus fault injection, inspection and an
 * account-change hook under /__emulator/.
 */
export { startFrontEmulator, DEFAULT_BURST_PER_SECOND, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKEN, EVENTS_MAX_LIMIT, UNAUTHORIZED } from './server.js';
export { loadFrontSeed, checkFrontSeed } from './seed.js';
export { AccountChangeError } from './store.js';
export type { FrontStore } from './store.js';
export { CONFIG_KEYS, OPERATIONS } from './types.js';
export type { FrontSeed, FrontAccountChange, FrontConfig, FrontEmulator, FrontEmulatorOptions, FrontRequestLog, FrontFaultRule, FrObject } from './types.js';
