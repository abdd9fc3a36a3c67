/**
 * A sandbox started, and one real CountersPoller, CountersClient and node-fetch transport
 * connected to its first user's webhook, on a fake clock, with every exchange's bytes counted:
 * what the task lists' and the task tab's measurements share. The first counters are in the
 * state when it resolves.
 */
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersState } from '../../src/core/countersState';
import { MIN_REQUEST_GAP_MS } from '../../src/core/requestGate';
import { nodeFetchTransport, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxOptions, SandboxPortal } from '../../test/sandbox';
import { fakeTime, FakeTimers } from '../../test/unit/fakeTime';
import { waitForSnapshot } from '../../test/unit/support';

/** Far beyond a run: every poll there is asked for. */
const INTERVAL_MS = 3_600_000;
export const WAIT_MS = 10_000;

export interface Exchange {
  readonly requestBytes: number;
  readonly answerBytes: number;
}

export interface MeasuredPoller {
  readonly portal: SandboxPortal;
  readonly poller: CountersPoller;
  readonly state: CountersState;
  readonly timers: FakeTimers;
  /** Every exchange since the start; empty it to count from a point. */
  readonly exchanges: Exchange[];
  /** Disconnects the poller and stops the sandbox. */
  readonly close: () => Promise<void>;
}

/** `scopes`: the first user's, when not the default ones. */
export async function measuredPoller(options: SandboxOptions = {}, scopes?: string[]): Promise<MeasuredPoller> {
  const portal = await SandboxPortal.start(options);
  if (scopes) portal.setScopes(1, scopes);
  const exchanges: Exchange[] = [];
  const measuring: Transport = {
    async post(url, json, options) {
      const outcome = await nodeFetchTransport.post(url, json, options);
      exchanges.push({
        requestBytes: Buffer.byteLength(json, 'utf8'),
        answerBytes: outcome.ok ? Buffer.byteLength(outcome.value.body, 'utf8') : 0,
      });
      return outcome;
    },
  };
  const { clock, timers } = fakeTime(Date.now());
  const state = new CountersState({ role: 'view_all', groupId: 0, userId: 0 });
  const poller = new CountersPoller(state, {
    intervalMs: INTERVAL_MS,
    clock,
    createClient: (webhook) => new CountersClient(webhook, { transport: measuring, now: () => clock.now() }),
  });
  const close = async () => {
    poller.disconnect();
    await portal.close();
  };
  try {
    const parsed = WebhookUrl.parse(portal.webhookUrl(1));
    if (!parsed.ok) throw new Error(`sandbox webhook rejected: ${parsed.message}`);
    poller.connect(parsed.webhook, 'stored');
    await timers.tickAsync(MIN_REQUEST_GAP_MS);
    await waitForSnapshot(state, (s) => s.counters !== undefined && !s.loading, 'the first counters', WAIT_MS);
  } catch (error) {
    await close();
    throw error;
  }
  return { portal, poller, state, timers, exchanges, close };
}

export function sum(exchanges: readonly Exchange[], key: keyof Exchange): number {
  return exchanges.reduce((total, exchange) => total + exchange[key], 0);
}
