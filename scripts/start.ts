/**
 * `npm start`: try the extension in a real VS Code in your browser, against the sandbox portal.
 *
 *   node out/scripts/start.js [--port N] [--sandbox-port N] [--https] [--no-demo]
 *
 * Starts
 *   - the sandbox Bitrix24 portal (test/sandbox/portal.ts) with the demo: every ~20 s
 *     something happens to user 1's tasks (a comment comes or is read, a deadline passes, a
 *     task is closed), and the counters and the task lists behind them follow;
 *   - code-server (the current VS Code release in the browser, or with B24_VSCODE=floor the oldest
 *     one the extension supports; installed by scripts/setup-headless.sh) on 127.0.0.1, with BITRIX24_WEBHOOK_URL set to the sandbox webhook of user 1, so the
 *     extension connects at once ("from environment" in its tooltip);
 * and prints the address that opens VS Code with this repository's extension in development
 * mode (dist/extension.js: run `npm run compile` first; `npm start` does it in prestart).
 *
 * Options:
 *   --port N          code-server's port (default 8080, or a free one if 8080 is taken)
 *   --sandbox-port N  the sandbox portal's port (default: a free one)
 *   --https           serve the sandbox as https://portal.b24.test:PORT (needs the /etc/hosts
 *                     entry and throwaway CA of scripts/setup-headless.sh); then "Open Task
 *                     List" shows the real task-list URL instead of code-server's /proxy/ address
 *   --no-demo         keep the tasks, and so the counters, still
 *
 * Ctrl-C stops everything and removes the temporary profile (user data, extensions, workspace).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildWorkbenchUrl, DEFAULT_USER_SETTINGS, describeVSCode, repoRoot, startCodeServer, vscodeUnderTest, type CodeServer,
  type VSCodeUnderTest,
} from '../test/launch/headless';
import { parseCommandLine, parsePort, UsageError } from '../test/launch/args';
import { SandboxPortal, startDemo, type Demo } from '../test/sandbox';
import { startHttpsSandbox, TEST_HOST } from '../test/e2e/testHost';

const USAGE = 'Usage: npm start -- [--port N] [--sandbox-port N] [--https] [--no-demo]';
const DEFAULT_PORT = 8080;
const WEBHOOK_ENV = 'BITRIX24_WEBHOOK_URL';

interface Options {
  port?: number;
  sandboxPort: number;
  https: boolean;
  demo: boolean;
}

function readOptions(): Options {
  const values = parseCommandLine({
    port: { type: 'string' },
    'sandbox-port': { type: 'string', default: '0' },
    https: { type: 'boolean', default: false },
    'no-demo': { type: 'boolean', default: false },
  }, USAGE);
  return {
    port: values.port === undefined ? undefined : parsePort(values.port, 'port'),
    sandboxPort: parsePort(values['sandbox-port'], 'sandbox-port'),
    https: values.https,
    demo: !values['no-demo'],
  };
}

/** Whether nothing listens on 127.0.0.1:port right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** What must be in place before anything starts (each problem says how to fix it): the VS Code to run. */
function checkPrerequisites(): VSCodeUnderTest {
  const problems: string[] = [];
  const bundle = path.join(repoRoot, 'dist', 'extension.js');
  if (!fs.existsSync(bundle)) problems.push(`${path.relative(repoRoot, bundle)} is missing: run \`npm run compile\`.`);
  let vscode: VSCodeUnderTest | undefined;
  try {
    vscode = vscodeUnderTest();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (!vscode || problems.length) {
    throw new UsageError(`Cannot start yet:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return vscode;
}

/** A workspace with a short note, so the Explorer is not empty. */
function writeWorkspace(dir: string, portal: SandboxPortal): void {
  fs.mkdirSync(dir, { recursive: true });
  const control = `${portal.origin}/_sandbox`;
  fs.writeFileSync(path.join(dir, 'README.md'), [
    '# Bitrix24 Task Counters: sandbox session',
    '',
    `This VS Code runs the extension from \`${repoRoot}\` in development mode. It is connected`,
    `to a sandbox portal at ${portal.origin} through the \`${WEBHOOK_ENV}\` environment variable`,
    '(the status bar tooltip says "from environment").',
    '',
    'Things to try: hover the counters in the status bar; open the "Bitrix24 Tasks" view in the',
    'activity bar and expand "Overdue" or "New comments" to see the tasks behind them (click one',
    'to open it); run "Bitrix24: Go to Task…", "Bitrix24: Switch Role…" or "Bitrix24: Switch',
    'Group…" from the palette (F1).',
    '',
    'The counters follow the portal\'s tasks. The demo changes a task every ~20 s; start with',
    '`npm start -- --no-demo` to keep them still. Add or change tasks yourself, or set a counter',
    'by hand: it stays as set, whatever happens to the tasks, until `reset-counters` (the list',
    'behind it then says, e.g., "2 of 4 listed"). From a terminal:',
    '',
    '```sh',
    `curl -X POST ${control}/tasks -d '{"title":"Fix the login page","responsibleId":1,"status":2,"deadline":"2024-01-01T09:00:00Z"}'`,
    `curl -X PATCH ${control}/tasks/101 -d '{"unread":{"1":3}}'   # three new comments on task 101`,
    `curl -X POST ${control}/counters -d '{"userId":1,"counters":{"expired":4,"new_comments":1}}'`,
    `curl -X POST ${control}/reset-counters`,
    `curl -X POST ${control}/fault -d '{"kind":"invalidCredentials"}'   # or queryLimit, htmlLogin, drop, slow ...`,
    `curl -X POST ${control}/clear`,
    `curl ${control}/requests`,
    '```',
    '',
  ].join('\n'));
}

async function main(): Promise<void> {
  const options = readOptions();
  const vscode = checkPrerequisites();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-start-'));
  const logDir = path.join(repoRoot, 'test-results', 'start');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'code-server.log');
  fs.writeFileSync(logFile, `[start] ${new Date().toISOString()}\n`);

  let portal: SandboxPortal | undefined;
  let demo: Demo | undefined;
  let server: CodeServer | undefined;
  let closing = false;
  const cleanUp = async (): Promise<void> => {
    demo?.stop();
    await server?.dispose().catch(() => undefined);
    await portal?.close().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const shutdown = (reason: string, code: number): void => {
    if (closing) {
      process.exit(130); // a second Ctrl-C: do not wait
    }
    closing = true;
    console.log(`\n${reason}: stopping code-server and the sandbox portal ...`);
    void cleanUp().then(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown('Ctrl-C', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGHUP', () => shutdown('SIGHUP', 0));

  try {
    portal = options.https
      ? await startHttpsSandbox({ port: options.sandboxPort })
      : await SandboxPortal.start({ host: '127.0.0.1', port: options.sandboxPort });
    if (options.demo) {
      demo = startDemo(portal, {
        onChange: (description, viewAll) =>
          console.log(`[demo] ${description}: overdue ${viewAll.expired}, new comments ${viewAll.new_comments}`),
      });
    }

    const userDataDir = path.join(tmp, 'user-data');
    const extensionsDir = path.join(tmp, 'extensions');
    const workspace = path.join(tmp, 'bitrix24-sandbox');
    fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    writeWorkspace(workspace, portal);
    fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({
      ...DEFAULT_USER_SETTINGS,
      'workbench.startupEditor': 'readme',
      // The demo changes something every ~20 s: poll at the shortest allowed interval.
      'bitrix24Tasks.pollIntervalSeconds': 15,
    }, null, 2));

    let port = options.port;
    if (port === undefined) port = (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : undefined;
    else if (port !== 0 && !(await portIsFree(port))) throw new UsageError(`Port ${port} is taken; choose another with --port.`);
    console.log(`Starting code-server ${vscode.codeServerVersion}, ${describeVSCode(vscode)} ...`);
    server = await startCodeServer({
      workspace, userDataDir, extensionsDir, logFile, vscode, extensionDevelopment: true,
      port: port || undefined,
      env: { [WEBHOOK_ENV]: portal.webhookUrl(1) },
      startTimeoutMs: 120_000,
    });
    // The first page load starts VS Code's server; do it now rather than in the reader's browser.
    await fetch(server.url, { signal: AbortSignal.timeout(60_000) }).then((r) => r.arrayBuffer()).catch(() => undefined);
    void server.exited.then((code) => {
      if (closing) return;
      console.error(`\ncode-server exited unexpectedly (${code}). Last lines of ${logFile}:\n${server?.logTail(30) ?? ''}`);
      shutdown('code-server exited', 1);
    });

    // skipWelcome off, so that the workspace's README.md opens (workbench.startupEditor: readme).
    const address = buildWorkbenchUrl(server.url, server.port, {
      folder: workspace, extensionDevelopmentPath: repoRoot, skipWelcome: false,
    });
    const control = `${portal.origin}/_sandbox`;
    console.log([
      '',
      'Bitrix24 Task Counters: VS Code with the extension, against a sandbox portal',
      '',
      '  Open this address in a browser on this machine (it loads the extension from this',
      '  repository in development mode; the plain server address does not):',
      '',
      `    ${address}`,
      '',
      `  Sandbox portal   ${portal.origin}   (user 1, Anna Smirnova; ${options.demo ? 'a task changes every ~20 s' : 'tasks fixed'})`,
      `  Webhook          from ${WEBHOOK_ENV} in code-server's environment; to connect by hand after`,
      `                   "Bitrix24: Disconnect", paste ${portal.webhookUrl(1)}`,
      `  Control          ${control}/   e.g.`,
      `                   curl -X POST ${control}/counters -d '{"userId":1,"counters":{"expired":4,"new_comments":1}}'`,
      `                   curl -X POST ${control}/fault -d '{"kind":"invalidCredentials"}'`,
      `                   curl -X POST ${control}/clear        curl ${control}/requests`,
      `                   (a counter set by hand stays until POST ${control}/reset-counters;`,
      `                   the demo changes tasks, not counters set by hand)`,
      ...(options.https ? [] : [
        `  Note             the portal is on 127.0.0.1, so code-server turns "Open Task List" and task`,
        `                   links into its own /proxy/ address; --https serves it as https://${TEST_HOST}.`,
      ]),
      `  Logs             ${path.relative(repoRoot, logFile)}`,
      '',
      'Ctrl-C to stop.',
      '',
    ].join('\n'));
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof UsageError ? message : `npm start failed: ${message}`);
  process.exit(1);
});
