/**
 * The strict HelpSpot emulator: a loopback HTTP server that speaks the private Web Service API methods a pull
 * needs (getChanged, get, multiGet, search, staff, categories, statuses, documents) with HelpSpot's auth,
 * output and error rules, the files behind private_url, plus fault injection, inspection and an account-change
 * hook under /__emulator/ (../shared/reference/source-apis.md §6, §8).
 */
export { startHelpSpotEmulator, API_VERSION, DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, ERRORS, toXml } from './server.js';
export { loadHelpSpotSeed, checkHelpSpotSeed, historyItems, itemFiles } from './seed.js';
export { AccountChangeError, SPAM_STATUS } from './store.js';
export type { HelpSpotStore } from './store.js';
export { CONFIG_KEYS, METHODS } from './types.js';
export type { HelpSpotSeed, HelpSpotAccountChange, HelpSpotConfig, HelpSpotEmulator, HelpSpotEmulatorOptions, HelpSpotRequestLog, HelpSpotFaultRule, HsObject } from './types.js';
