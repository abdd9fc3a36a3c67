/**
 * The fleet rows: N clients with default settings behind one office IP against Bitrix24's
 * leaky bucket, in virtual time, from test/sim/fleet.ts (the same simulation and parameters as
 * `node out/scripts/fleet.js`, which prints the detailed table).
 */
import { FleetResult, formatMinutes, formatShare, HOUR, MINUTE, OutageKind, simulateFleet, targetFor } from '../../test/sim/fleet';
import { Row } from './report';

const HOURS = 3;
const OUTAGES: OutageKind[] = ['network', '503'];

export async function measureFleet(sizes: readonly number[] = [50, 200, 500]): Promise<{ rows: Row[] }> {
  const durationMs = HOURS * HOUR;
  const outageStart = Math.round(durationMs / 2 / MINUTE) * MINUTE;
  const rows: Row[] = [];
  for (const clients of sizes) {
    const results: FleetResult[] = [];
    for (const kind of OUTAGES) {
      results.push(await simulateFleet({ clients, durationMs, seed: 1, outage: { startMs: outageStart, durationMs: 5 * MINUTE, kind } }));
    }
    const target = targetFor(clients);
    const share = Math.max(...results.map((r) => r.share503Steady));
    const shareAll = Math.max(...results.map((r) => r.share503));
    const maxAge = Math.max(...results.map((r) => r.maxAgeMs));
    const p95 = Math.max(...results.map((r) => r.p95AgeMs));
    const back = results.map((r) => `${formatMinutes(r.backToNormalAfterOutageMs)} (${r.outage!.kind})`).join(', ');
    const worstBack = Math.max(...results.map((r) => r.backToNormalAfterOutageMs ?? 0));
    const perHour = Math.round(results[0].requestsPerHour);
    rows.push({
      figure: `fleet, N = ${clients}`,
      measured: `503 share ${formatShare(share)} steady (${formatShare(shareAll)} overall); max age ${formatMinutes(maxAge)} (p95 ${formatMinutes(p95)}); back to normal ${back} after a 5-min outage; ${perHour} requests/h`,
      target: `503 share ${formatShare(target.share503)}; numbers ≤ ${formatMinutes(target.maxAgeMs)} old; back within ${formatMinutes(target.backWithinMs)}`,
      how: `test/sim/fleet.ts: ${clients} real PollSchedulers (defaults) starting within one minute, one leaky bucket (burst 50, 2/s), ${HOURS} simulated hours, a 5-min outage (network errors, then 503s) at ${formatMinutes(outageStart)}; steady = after 10 min, outside outage + 10 min; worst of both runs. Details: node out/scripts/fleet.js`,
      met: share <= target.share503 && maxAge <= target.maxAgeMs && worstBack <= target.backWithinMs,
    });
  }
  return { rows };
}
