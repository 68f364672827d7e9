/**
 * The strict Intercom emulator: a loopback HTTP server that speaks the parts of Intercom's REST API (2.x) a
 * pull needs (conversation search, retrieve with its 500-part cap, deleted conversations, contact search,
 * admins, tags, attachments on a CDN origin) with its auth, versions, cursor pagination and 10-second rate
 * windows, plus fault injection, inspection and an account-change hook under /__emulator/.
 */
export { startIntercomEmulator, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKEN, PARTS_CAP, UNAUTHORIZED } from './server.js';
export { loadIntercomSeed, checkIntercomSeed } from './seed.js';
export { AccountChangeError } from './store.js';
export type { IntercomStore } from './store.js';
export { CONFIG_KEYS, OPERATIONS } from './types.js';
export type { IntercomSeed, IntercomAccountChange, IntercomConfig, IntercomEmulator, IntercomEmulatorOptions, IntercomRequestLog, IntercomFaultRule, IcObject } from './types.js';
