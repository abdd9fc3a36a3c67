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
import { parseCommandLine, parsePositiveInteger, UsageError } from '../test/launch/args';
import {
  FleetResult, HOUR, MINUTE, NORMAL_TOLERANCE, NORMAL_WINDOW_MINUTES, OutageKind, simulateFleet, TABLE_HEADER, tableRow, targetFor, formatMinutes, formatShare,
} from '../test/sim/fleet';

interface Args {
  clients: number[];
  hours: number;
  outages: Array<OutageKind | 'none'>;
  seed: number;
  json: boolean;
}

const USAGE = 'Usage: node out/scripts/fleet.js [--clients 50,200,500] [--hours 3] [--outage network,503,none] [--seed 1] [--json]';

function readArgs(): Args {
  const values = parseCommandLine({
    clients: { type: 'string', default: '50,200,500' },
    hours: { type: 'string', default: '3' },
    outage: { type: 'string', default: 'network,503' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  }, USAGE);
  const hours = Number(values.hours);
  if (!(hours > 0)) throw new UsageError(`--hours needs a positive number, got "${values.hours}"`);
  return {
    clients: values.clients.split(',').map((n) => parsePositiveInteger(n, 'clients')),
    hours,
    outages: values.outage.split(',') as Args['outages'],
    seed: Number(values.seed),
    json: values.json,
  };
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
    `Steady state = after the first 10 minutes, outside the outage and the 10 minutes after it. Age = how old a client's numbers are (now − its last success), sampled every 10 s. "All fresh" = until every client that failed in the outage has succeeded again; "back to normal" = from when on every ${NORMAL_WINDOW_MINUTES} minutes to the end of the run sent at least as many requests, and had a p95 age no higher, as the worst ${NORMAL_WINDOW_MINUTES} minutes of the steady state before the outage, give or take ${NORMAL_TOLERANCE * 100}% (never = not by the end of the run).`,
  ];
  return { rows, markdown: lines.join('\n') };
}

if (require.main === module) {
  const started = Date.now();
  Promise.resolve()
    .then(async () => {
      const args = readArgs();
      const { rows, markdown } = await fleetTable(args);
      console.log(args.json ? JSON.stringify(rows, null, 2) : markdown);
      console.error(`(simulated in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof UsageError ? error.message : error);
      process.exit(1);
    });
}
