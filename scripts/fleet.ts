/**
 * Prints the fleet table (markdown): N clients with default settings behind one office IP
 * against Bitrix24's leaky bucket, simulated hours, with a forced 5-minute outage.
 *
 *   node out/scripts/fleet.js [--clients 50,200,500] [--hours 3] [--outage network,503,none]
 *        [--seed 1] [--json]
 *
 * The figures are measurements of the real PollScheduler in virtual time (see test/sim/fleet.ts),
 * printed, never asserted.
 */
import { parseStrictFlags } from '../test/launch/args';
import { FleetResult, HOUR, MINUTE, OutageKind, simulateFleet, TABLE_HEADER, tableRow, targetFor, formatMinutes, formatShare } from '../test/sim/fleet';

interface Args {
  clients: number[];
  hours: number;
  outages: Array<OutageKind | 'none'>;
  seed: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { clients: [50, 200, 500], hours: 3, outages: ['network', '503'], seed: 1, json: false };
  parseStrictFlags(argv, {
    '--clients': (value) => {
      args.clients = value().split(',').map(Number);
    },
    '--hours': (value) => {
      args.hours = Number(value());
    },
    '--outage': (value) => {
      args.outages = value().split(',') as Args['outages'];
    },
    '--seed': (value) => {
      args.seed = Number(value());
    },
    '--json': () => {
      args.json = true;
    },
  });
  if (args.clients.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--clients: positive integers');
  if (!(args.hours > 0)) throw new Error('--hours: a positive number');
  return args;
}

export async function fleetTable(args: Args): Promise<{ rows: FleetResult[]; markdown: string }> {
  const rows: FleetResult[] = [];
  const durationMs = args.hours * HOUR;
  // The outage starts half way, after the fleet has settled.
  const outageStart = Math.round(durationMs / 2 / MINUTE) * MINUTE;
  for (const clients of args.clients) {
    for (const kind of args.outages) {
      rows.push(
        await simulateFleet({
          clients,
          durationMs,
          seed: args.seed,
          outage: kind === 'none' ? undefined : { startMs: outageStart, durationMs: 5 * MINUTE, kind },
        }),
      );
    }
  }
  const lines = [
    `Fleet simulation: default settings (60 s interval, ±10% jitter, 15 min backoff cap), all clients connecting within one minute, one office IP against a leaky bucket of burst 50 and 2 requests/s, ${args.hours} h simulated, a 5-minute outage at ${formatMinutes(outageStart)}. Seed ${args.seed}.`,
    '',
    ...TABLE_HEADER,
    ...rows.map(tableRow),
    '',
    'Targets: 503 share (steady) ' +
      [...new Set(args.clients)].map((n) => `${n}: ${formatShare(targetFor(n).share503)}`).join(', ') +
      '; max age ' +
      [...new Set(args.clients)].map((n) => `${n}: ${formatMinutes(targetFor(n).maxAgeMs)}`).join(', ') +
      '; back to normal within 10 min after the outage.',
    'Steady state = after the first 10 minutes, outside the outage and the 10 minutes after it. Age = how old a client\'s numbers are (now − its last success), sampled every 10 s. "All fresh" = until every client that failed in the outage has succeeded again; "ages ≤ target" = from when on no client\'s numbers are older than the age target (never = not by the end of the run).',
  ];
  return { rows, markdown: lines.join('\n') };
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  fleetTable(args).then(
    ({ rows, markdown }) => {
      console.log(args.json ? JSON.stringify(rows, null, 2) : markdown);
      console.error(`(simulated in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
