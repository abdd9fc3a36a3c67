/**
 * Command lines of the scripts and tools (npm start, the sandbox CLI, bench, fleet, the host-test
 * launchers): Node's `util.parseArgs` reads them; what is left here is the usage on a mistake and
 * the checks of values it does not make.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** A mistake on the command line: its message alone says what to fix. */
export class UsageError extends Error {}

/**
 * `util.parseArgs` over this process's arguments, options only (`--flag value` or
 * `--flag=value`); `--help` or `-h` prints `usage` and exits; an unknown option or a missing
 * value is a UsageError that shows `usage`.
 */
export function parseCommandLine<const O extends Options>(options: O, usage: string): Values<O> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const { help, ...values } = parsed.values as Values<O> & { help?: boolean };
  if (help) {
    console.log(usage);
    process.exit(0);
  }
  return values as Values<O>;
}

/** A TCP port, 0 meaning "any free one". */
export function parsePort(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new UsageError(`--${flag} needs 0..65535, got "${text}"`);
  }
  return value;
}

/** A whole number above 0. */
export function parsePositiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} needs a positive integer, got "${text}"`);
  return value;
}
