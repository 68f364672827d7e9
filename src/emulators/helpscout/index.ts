/**
 * The strict Help Scout (Mailbox API 2.0) emulator: a loopback HTTP server with the token endpoint,
 * conversations, threads, customers, users and mailboxes, its auth, HAL paging, ordering and rate-limit
 * rules, plus fault injection, inspection and an account-change hook under /__emulator/. See README.md.
 */
export { startHelpScoutEmulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKEN_TTL_SECONDS, CONVERSATIONS_PAGE, PAGE } from './server.js';
export { loadHelpScoutSeed, checkHelpScoutSeed } from './seed.js';
export { AccountChangeError } from './store.js';
export { CONFIG_KEYS, OPERATIONS } from './types.js';
export type { HelpScoutEmulator, HelpScoutEmulatorOptions, HelpScoutSeed, HelpScoutAccountChange, HelpScoutRequestLog, HelpScoutFaultRule, HsObject } from './types.js';
