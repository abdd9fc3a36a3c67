/**
 * The sandbox portal's public entry: what the scripts and the host and end-to-end suites use of
 * it. Everything else in test/sandbox/ is its inside (eslint.config.mjs keeps scripts/ to this
 * file; the unit tests of the sandbox read the inside on purpose).
 */
export type { CardInput, CardOptions, CardQuirks } from './cards';
export { startDemo, type Demo } from './demo';
export {
  batchCommandsOf, DEFAULT_COUNTERS, DEFAULT_USERS, FAULT_KINDS, SandboxPortal,
  type BatchCommand, type FaultKind, type FaultOptions, type RequestLogEntry, type SandboxOptions,
} from './portal';
