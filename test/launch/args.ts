/**
 * Command-line flags of the scripts and tools (npm start, the sandbox CLI, bench, fleet): one
 * walk over the arguments, each flag handed to its handler, which takes the flag's value, if it
 * has one, with `value()`.
 */

/** A mistake on the command line: its message alone says what to fix. */
export class UsageError extends Error {}

export type FlagHandlers = Readonly<Record<string, (value: () => string, flag: string) => void>>;

function handlerFor(handlers: FlagHandlers, flag: string): FlagHandlers[string] | undefined {
  return Object.hasOwn(handlers, flag) ? handlers[flag] : undefined;
}

/**
 * For the tools people start by hand: values as `--flag value` or `--flag=value` (a missing one
 * reads as ''); `--help` or `-h` prints `usage` and exits; an unknown flag is a UsageError that
 * shows the usage.
 */
export function parseFlags(args: readonly string[], usage: string, handlers: FlagHandlers): void {
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const handler = handlerFor(handlers, flag);
    if (!handler) throw new UsageError(`Unknown option ${flag}\n${usage}`);
    handler(() => inline ?? args[++i] ?? '', flag);
  }
}

/**
 * For the measuring scripts: values only as `--flag value`, and a flag without its value is an
 * error, as is an unknown flag.
 */
export function parseStrictFlags(args: readonly string[], handlers: FlagHandlers): void {
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const handler = handlerFor(handlers, flag);
    if (!handler) throw new Error(`unknown argument ${flag}`);
    handler(() => {
      const value = args[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    }, flag);
  }
}

/** A TCP port, 0 meaning "any free one". */
export function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} needs 0..65535, got "${text}"`);
  return port;
}
