/**
 * The strict Zendesk Support emulator: a loopback HTTP server that speaks the parts of Zendesk's API
 * a pull needs (incremental exports, ticket comments, ticket fields, users, attachments) with its
 * auth, paging, lag and rate-limit rules, plus fault injection, inspection and an account-change hook
 * under /__emulator/. See README.md in this folder.
 */
export { startZendeskEmulator, DEFAULT_INCREMENTAL_PER_MINUTE, DEFAULT_REQUESTS_PER_MINUTE } from './server.js';
export type { ZendeskEmulator, ZendeskEmulatorOptions } from './server.js';
export { loadZendeskSeed, checkZendeskSeed } from './seed.js';
export { AccountChangeError } from './account.js';
export type { ZendeskStore } from './store.js';
export { CONFIG_KEYS, OPERATIONS } from './types.js';
export type {
  ZendeskSeed,
  ZendeskAccountChange,
  ZendeskConfig,
  ZendeskConfigKey,
  ZendeskRequestLog,
  ZendeskFaultRule,
  ZendeskFaultAction,
  ZendeskOperation,
  ZdObject,
} from './types.js';
