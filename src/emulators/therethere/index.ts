/**
 * The strict There There emulator: a loopback HTTP server that speaks There There's REST API (/api/…)
 * with the rules of its import page and API reference, Laravel-style errors and the import rate
 * limit, plus fault injection and inspection endpoints under /__emulator/. See README.md in this folder.
 */
export { startThereThereEmulator, DEFAULT_IMPORT_RATE_LIMIT } from './server.js';
export type { ThereThereEmulator, ThereThereEmulatorOptions } from './server.js';
export { loadThereThereSeed, checkThereThereSeed } from './seed.js';
export type {
  ThereThereSeed,
  SeedWorkspace,
  SeedMember,
  SeedChannel,
  SeedTag,
  SeedToken,
  SeedContact,
  ThereThereStateSnapshot,
  ThereThereRequestLog,
  ThereThereFaultRule,
  ThereThereFaultAction,
} from './types.js';
