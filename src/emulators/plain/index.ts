/**
 * The strict Plain emulator: a loopback HTTP server that speaks Plain's GraphQL wire protocol
 * (POST /graphql/v1) with Plain's documented rules, rate limit and error shapes, plus fault
 * injection and inspection endpoints under /__emulator/. See README.md in this folder.
 */
export { startPlainEmulator } from './server.js';
export type { PlainEmulator, PlainEmulatorOptions } from './server.js';
export { loadPlainSeed, checkPlainSeed } from './seed.js';
export type { PlainSeed, EmulatorStateSnapshot, EmulatorRequestLog, FaultRule, FaultAction } from './types.js';
