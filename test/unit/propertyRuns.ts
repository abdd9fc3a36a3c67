/**
 * How hard a property test searches. `npm test`: a fixed seed and a few runs, so the suite is
 * repeatable and takes seconds. `npm run fuzz` (B24_FUZZ=1): a random seed and many more runs;
 * fast-check prints the seed and the shrunk counterexample of any failure, to be replayed with
 * `B24_FUZZ_SEED=<seed>` and kept as a plain example test beside the property.
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */
import type { Parameters } from 'fast-check';

const FUZZ = process.env.B24_FUZZ === '1';
const FIXED_SEED = 20261129;

/** `runs` under `npm test`; fifty times as many under `npm run fuzz`. */
export function propertyRuns<T>(runs: number): Parameters<T> {
  const seed = process.env.B24_FUZZ_SEED;
  if (seed !== undefined) return { seed: Number(seed), numRuns: runs * 50 };
  return FUZZ ? { numRuns: runs * 50 } : { seed: FIXED_SEED, numRuns: runs };
}
