/**
 * `npm run bench`: measures what the extension costs (bundle, package, activation, first
 * numbers, requests, CPU, memory, fleet behaviour) and prints one Markdown table, then the
 * naive designs next to ours. It asserts nothing: a ✓ or ✗ only compares with the target.
 * It exits 1 only when a measurement itself could not run.
 *
 *   node out/scripts/bench.js [--launches 5] [--only build,requests,taskLists,taskTab,cpu,fleet,launches] [--vsix]
 *
 *   --launches N  headless VS Code launches for activation and first numbers (default 5)
 *   --only LIST   run only these measurements (the others print "skipped")
 *   --vsix        install the packaged .vsix in every launch (about 6 s more per launch) instead
 *                 of loading the same production bundle as a development extension
 *
 * Needs `npm run compile && npx tsc -p .` first, and for the launches the headless VS Code of
 * `npm run setup:headless`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandLine, parsePositiveInteger, UsageError } from '../test/launch/args';
import { measureBuild } from './bench/build';
import { measureCpuAndHeap } from './bench/cpu';
import { measureFleet } from './bench/fleet';
import { measureLaunches } from './bench/launches';
import { Comparison, comparisonLines, crashedRow, markdownTable, Measurement, Row } from './bench/report';
import { measureRequests } from './bench/requests';
import { measureTaskLists } from './bench/taskLists';
import { measureTaskTab } from './bench/taskTab';

const repoRoot = path.resolve(__dirname, '..', '..');

type Step = 'build' | 'launches' | 'requests' | 'taskLists' | 'taskTab' | 'cpu' | 'fleet';
const STEPS: readonly Step[] = ['build', 'requests', 'taskLists', 'taskTab', 'cpu', 'fleet', 'launches'];

/** The table's rows in the order, with the target and method shown when not measured. */
const FIGURES: ReadonlyArray<{ step: Step; figure: string; target: string; how: string }> = [
  { step: 'build', figure: 'bundle size', target: '≤ 150 KB minified', how: 'node esbuild.mjs --production' },
  { step: 'build', figure: '`.vsix` size', target: '≤ 250 KB', how: 'vsce package --no-dependencies' },
  { step: 'build', figure: 'task tab script + styles', target: '≤ 60 KB', how: 'dist/taskTab.js (production) + media/taskTab.css' },
  { step: 'launches', figure: 'activation time', target: '≤ 15 ms', how: 'headless VS Code launches' },
  { step: 'launches', figure: 'time to first numbers', target: '≤ 500 ms', how: 'headless VS Code launches' },
  { step: 'requests', figure: 'requests per poll', target: '1', how: 'one window against the sandbox' },
  { step: 'requests', figure: 'requests per hour, 3 windows, default settings', target: '≤ 60 + jitter', how: 'three pollers sharing one poll' },
  { step: 'requests', figure: 'requests per hour, all windows unfocused', target: '~0 after the idle delay', how: 'three paused pollers' },
  { step: 'taskLists', figure: 'poll bytes, no task list shown', target: '—', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskLists', figure: 'poll bytes, "Overdue" expanded (2 tasks)', target: '—', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskLists', figure: 'poll bytes, both lists shown (2 + 4 tasks)', target: '—', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskLists', figure: 'showTaskLists → tasks in the state', target: '—', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskLists', figure: 'HTTP requests per poll with both lists', target: '1', how: "the sandbox's request log" },
  { step: 'taskTab', figure: 'showTask → card in the state', target: "≤ 150 ms plus the portal's round trip", how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'opening a card, forum (old card)', target: '1 request', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'opening a card, chat (new card)', target: '1 request', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'a status action (Pause)', target: '1 request', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'a comment, forum card', target: '1 request', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'a comment, chat card (REST 3.0)', target: '1 request', how: 'one poller against the sandbox over HTTP' },
  { step: 'taskTab', figure: 'HTTP requests per poll with a tab shown', target: '1', how: "the sandbox's request log" },
  { step: 'taskTab', figure: 'requests per poll with a branch task', target: '1', how: "the sandbox's request log" },
  { step: 'taskTab', figure: 'time from checkout to the item showing the task', target: "≤ 150 ms plus the portal's round trip", how: 'core: showTask for a new id → its card in the state' },
  { step: 'cpu', figure: 'CPU per poll cycle', target: '≤ 1 ms', how: 'process.cpuUsage around the poll path' },
  { step: 'cpu', figure: 'heap after 10,000 cycles vs. after 100', target: 'growth ≤ 1 MB', how: 'soak with an injected clock' },
  { step: 'fleet', figure: 'fleet, N = 50', target: '503 share 0; ≤ 2 min old; back within 10 min', how: 'test/sim/fleet.ts' },
  { step: 'fleet', figure: 'fleet, N = 200', target: '503 share ≤ 5%; ≤ 3 min old; back within 10 min', how: 'test/sim/fleet.ts' },
  { step: 'fleet', figure: 'fleet, N = 500', target: '503 share ≤ 10%; ≤ 10 min old; back within 10 min', how: 'test/sim/fleet.ts' },
];

interface Args {
  launches: number;
  only: Set<Step>;
  vsix: boolean;
}

const USAGE = `Usage: node out/scripts/bench.js [--launches N] [--only ${STEPS.join(',')}] [--vsix]`;

function readArgs(): Args {
  const values = parseCommandLine({
    launches: { type: 'string', default: '5' },
    only: { type: 'string', default: STEPS.join(',') },
    vsix: { type: 'boolean', default: false },
  }, USAGE);
  const steps = values.only.split(',') as Step[];
  const unknown = steps.filter((s) => !STEPS.includes(s));
  if (unknown.length) throw new UsageError(`--only: unknown ${unknown.join(', ')} (known: ${STEPS.join(', ')})`);
  return { launches: parsePositiveInteger(values.launches, 'launches'), only: new Set(steps), vsix: values.vsix };
}

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<number> {
  const args = readArgs();
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const rows = new Map<string, Row>();
  const comparisons: Comparison[] = [];
  const notes: string[] = [];
  let crashed = false;
  let built: { vsix: string; projectCopy: string } | undefined;
  const cleanups: string[] = [];

  const step = async (name: Step, body: () => Promise<Measurement>) => {
    if (!args.only.has(name)) return;
    const t0 = Date.now();
    progress(`${name}…`);
    try {
      const result = await body();
      result.rows.forEach((row) => rows.set(row.figure, row));
      comparisons.push(...(result.comparisons ?? []));
      notes.push(...(result.notes ?? []));
      progress(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      crashed = true;
      progress(`${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      for (const figure of FIGURES.filter((f) => f.step === name)) {
        if (!rows.has(figure.figure)) rows.set(figure.figure, crashedRow(figure.figure, figure.target, figure.how, error));
      }
    }
  };

  try {
    await step('build', async () => {
      const result = await measureBuild(repoRoot);
      cleanups.push(result.workDir);
      built = result;
      return result;
    });
    await step('requests', measureRequests);
    await step('taskLists', measureTaskLists);
    await step('taskTab', measureTaskTab);
    await step('cpu', measureCpuAndHeap);
    await step('fleet', measureFleet);
    await step('launches', () => {
      if (!built) progress('no production build from the build step: launching the development build (dist/) instead');
      return measureLaunches({
        count: args.launches,
        vsix: args.vsix ? built?.vsix : undefined,
        developmentPath: built?.projectCopy ?? repoRoot,
        production: built !== undefined,
        logRoot: path.join(repoRoot, 'test-results', 'bench'),
      });
    });
  } finally {
    cleanups.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  }

  const ordered: Row[] = FIGURES.map(
    (f) => rows.get(f.figure) ?? { figure: f.figure, measured: 'skipped', target: f.target, how: f.how },
  );
  const cpu = os.cpus();
  const loadAtEnd = os.loadavg()[0];
  const out: string[] = [
    `Bitrix24 Task Counters benchmark: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end`,
    '',
    markdownTable(ordered),
    '',
    '✓/✗: measured value against the target (no assertion).',
  ];
  if (Math.max(loadAtStart, loadAtEnd) > cpu.length) {
    out.push(`**The machine was busy** (load average above its ${cpu.length} cores): times and CPU figures are inflated; request counts, sizes and the simulations are not affected.`);
  }
  if (comparisons.length) out.push('', '**Naive vs ours** (same run, same sandbox):', '', comparisonLines(comparisons));
  if (notes.length) out.push('', ...notes.map((n) => `- ${n}`));
  const missed = ordered.filter((r) => r.met === false).map((r) => r.figure);
  out.push('', missed.length ? `Targets not met: ${missed.join('; ')}.` : 'Every measured target is met.');
  out.push(`Run time ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  console.log(out.join('\n'));
  return crashed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(1);
  },
);
