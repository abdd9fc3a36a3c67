/**
 * Headless VS Code harness: a real VS Code (code-server, installed by scripts/setup-headless.sh)
 * opened in Debian's Chromium through playwright-core.
 *
 * Used by test/launch/runHostTests.ts (extension-host mocha suite) and by the Playwright
 * end-to-end suite (UI tests against the workbench with the extension loaded).
 *
 *   const wb = await startWorkbench({ extensionDevelopmentPath: repoRoot });
 *   try {
 *     await statusBarItem(wb.page, 'b24tools.bitrix24-task-counters', 'counters').waitFor();
 *   } finally {
 *     await wb.dispose();
 *   }
 *
 * Environment overrides:
 *   B24_VSCODE            which VS Code: `current` (the current release, default) or `floor` (the
 *                         oldest one engines.vscode admits); see .vscode-test/code-servers.json
 *   B24_CHROMIUM_PATH     Chromium executable (default /usr/bin/chromium)
 *   B24_HEADED=1          show the browser window (needs a display)
 *   B24_KEEP_TEMP=1       keep the temporary user-data/extensions/workspace dirs after dispose
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import * as v from 'valibot';

/** Repository root (this file compiles to out/test/launch/headless.js). */
export const repoRoot: string = findRepoRoot(__dirname);

/**
 * The two VS Codes the suites run on: `floor`, the oldest that package.json's engines.vscode
 * admits, and `current`, the current release. scripts/setup-headless.sh pins and installs both
 * (code-server, each with the Node.js it needs) and writes what it installed to this file.
 */
export const CODE_SERVERS_FILE = path.join(repoRoot, '.vscode-test', 'code-servers.json');
export const VSCODE_ROLES = ['current', 'floor'] as const;
export type VSCodeRole = (typeof VSCODE_ROLES)[number];
/** Environment variable that picks one of VSCODE_ROLES (default `current`). */
export const VSCODE_ENV = 'B24_VSCODE';

const CodeServerInstall = v.object({
  codeServer: v.string(),
  vscode: v.string(),
  /** The Node.js that runs it (this machine's, or the one installed beside it). */
  node: v.string(),
  /** code-server's entry script. */
  entry: v.string(),
  /** Whether code-server passes VS Code server options through `--vscode-option`. */
  vscodeOption: v.boolean(),
});
const CodeServers = v.object({ floor: CodeServerInstall, current: CodeServerInstall });

/** One VS Code to run: which role, its versions, and how to start it. */
export interface VSCodeUnderTest {
  role: VSCodeRole;
  /** e.g. '1.139.1' */
  version: string;
  codeServerVersion: string;
  node: string;
  entry: string;
  acceptsVscodeOption: boolean;
}

/** The role B24_VSCODE names, `current` when unset; anything else is an error. */
export function vscodeRoleFromEnv(): VSCodeRole {
  const value = process.env[VSCODE_ENV] || 'current';
  const role = VSCODE_ROLES.find((r) => r === value);
  if (!role) throw new Error(`${VSCODE_ENV}=${value}: expected one of ${VSCODE_ROLES.join(', ')}`);
  return role;
}

/** The installed VS Code of that role (default: B24_VSCODE's), as the set-up recorded it. */
export function vscodeUnderTest(role: VSCodeRole = vscodeRoleFromEnv()): VSCodeUnderTest {
  const setup = 'Run `npm run setup:headless` (scripts/setup-headless.sh) first.';
  let installs;
  try {
    installs = v.parse(CodeServers, JSON.parse(fs.readFileSync(CODE_SERVERS_FILE, 'utf8')));
  } catch (error) {
    throw new Error(`no usable ${CODE_SERVERS_FILE} (${error instanceof Error ? error.message : String(error)}). ${setup}`);
  }
  const install = installs[role];
  for (const file of [install.node, install.entry]) {
    if (!fs.existsSync(file)) throw new Error(`code-server ${install.codeServer} is incomplete: no ${file}. ${setup}`);
  }
  return {
    role, version: install.vscode, codeServerVersion: install.codeServer, node: install.node, entry: install.entry,
    acceptsVscodeOption: install.vscodeOption,
  };
}

/**
 * What code-server needs to serve a workbench URL whose payload carries development options
 * (extensionDevelopmentPath, extensionTestsPath). A built VS Code's web workbench takes them
 * only with its smoke-test driver enabled since some release after 1.99 (1.139 ignores them
 * otherwise: no extension, no tests, nothing in any log); code-server 4.139 passes that server
 * option through `--vscode-option`. 1.99 takes them always, and code-server 4.99 has no
 * `--vscode-option`.
 */
function extensionDevelopmentArgs(vscode: VSCodeUnderTest): string[] {
  return vscode.acceptsVscodeOption ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
}

/** "VS Code 1.139.1 (current)", for logs and test titles. */
export function describeVSCode(vscode: VSCodeUnderTest): string {
  return `VS Code ${vscode.version} (${vscode.role})`;
}
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Chromium flags for this offline machine (see shared note offline-vscode-host.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-popup-blocking',
];

/** Settings written to the fresh user-data-dir, to keep the workbench quiet and offline. */
export const DEFAULT_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  // VS Code since 1.10x: no AI chat, which reaches for GitHub (offline here) and opens in the
  // secondary side bar, taking a third of the window from the editor and the panel.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface WorkbenchOptions {
  /** Absolute path of the extension to load in development mode (omit to open plain VS Code). */
  extensionDevelopmentPath?: string;
  /** Absolute path of the tests module whose `run()` the extension host calls (host tests). */
  extensionTestsPath?: string;
  /** Folder to open; default: a fresh empty temp folder. */
  workspace?: string;
  /** Extra environment for the code-server process; the extension host inherits it. */
  env?: Record<string, string | undefined>;
  /** Display language, e.g. 'ru' (uses the languagepacks.json trick; no pack download). */
  locale?: string;
  /** VSIX file(s) to install into the fresh extensions dir before the server starts. */
  installVsix?: string | readonly string[];
  /** Merged over DEFAULT_USER_SETTINGS into User/settings.json. */
  userSettings?: Record<string, unknown>;
  /** Where code-server.log, browser.log, vscode-logs/ and screenshots go (default: a new
   *  folder under <repo>/test-results/headless/). Created if missing; not emptied. */
  logDir?: string;
  /** Which VS Code (default: B24_VSCODE's, see vscodeUnderTest). */
  vscode?: VSCodeUnderTest;
  chromiumPath?: string;
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Device pixel ratio of the browser context (default 1); 2 gives sharp screenshots. */
  deviceScaleFactor?: number;
  extraServerArgs?: readonly string[];
  extraBrowserArgs?: readonly string[];
  /** Wait for `.monaco-workbench` after navigation (default true). */
  waitForWorkbench?: boolean;
  /** For the server to answer and for the workbench to render, each (default 90 s). */
  startTimeoutMs?: number;
  /** Keep temp dirs after dispose (default: env B24_KEEP_TEMP === '1'). */
  keepTemp?: boolean;
}

export interface Workbench {
  page: Page;
  browser: Browser;
  context: BrowserContext;
  /** e.g. http://127.0.0.1:34567/ */
  serverUrl: string;
  /** The URL the page was opened at (folder + payload). */
  workbenchUrl: string;
  port: number;
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  logDir: string;
  /** The VS Code that runs (its version, for what differs between releases). */
  vscode: VSCodeUnderTest;
  /** code-server's stdout+stderr. */
  serverLogFile: string;
  /** Console messages and page errors of the workbench page(s). */
  browserLogFile: string;
  server: CodeServer;
  /** Saves a PNG of the page into logDir (or the given path) and returns its path. */
  screenshot(name?: string): Promise<string>;
  /** Closes the browser, kills code-server's process group, copies VS Code's logs into
   *  logDir and removes the temp dirs. Safe to call more than once; never throws. */
  dispose(): Promise<void>;
}

export interface CodeServer {
  port: number;
  url: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the server process exits. */
  exited: Promise<number | string | null>;
  hasExited(): boolean;
  /** Last lines of the server log. */
  logTail(lines?: number): string;
  dispose(): Promise<void>;
}

// -------------------------------------------------------------------------------------------
// Emergency clean-up: if the launcher dies without dispose(), do not leave servers behind.
// -------------------------------------------------------------------------------------------
const liveProcessGroups = new Set<number>();
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of liveProcessGroups) killGroup(pgid, 'SIGKILL');
    for (const dir of liveTempDirs) {
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
    }
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pgid, signal); } catch { /* already gone */ }
}

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'test', 'launch'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..', '..', '..');
    dir = parent;
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Last `lines` lines of a text file ('' if unreadable). */
export function tailFile(file: string, lines = 60): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/** `vscode-remote://127.0.0.1:PORT/abs/path` — how the web workbench names server paths. */
export function remoteUri(port: number, absPath: string): string {
  const p = path.resolve(absPath).split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://127.0.0.1:${port}${p.startsWith('/') ? p : '/' + p}`;
}

/** The workbench URL with `folder` and the `payload` that carries the development options. */
export function buildWorkbenchUrl(serverUrl: string, port: number, opts: {
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  skipWelcome?: boolean;
}): string {
  const payload: [string, string][] = [];
  if (opts.extensionDevelopmentPath) {
    payload.push(['extensionDevelopmentPath', remoteUri(port, opts.extensionDevelopmentPath)]);
  }
  if (opts.extensionTestsPath) {
    payload.push(['extensionTestsPath', remoteUri(port, opts.extensionTestsPath)]);
  }
  if (opts.skipWelcome !== false) {
    payload.push(['skipWelcome', 'true']);
    payload.push(['skipReleaseNotes', 'true']);
  }
  const query = new URLSearchParams();
  query.set('folder', path.resolve(opts.folder));
  if (payload.length) query.set('payload', JSON.stringify(payload));
  return `${serverUrl}?${query.toString()}`;
}

/** Locator for a status bar item contributed by an extension: `div.statusbar-item#PUBLISHER.NAME.ITEM_ID`
 *  (ITEM_ID = the id given to `vscode.window.createStatusBarItem(id, ...)`). */
export function statusBarItem(page: Page, extensionId: string, itemId: string): Locator {
  return page.locator(`div.statusbar-item[id="${extensionId}.${itemId}"]`);
}

/** Writes languagepacks.json (+ an empty core translation) so that `--locale` is honoured
 *  without downloading a language pack. */
export function writeLanguagePack(userDataDir: string, locale: string): void {
  const empty = path.join(userDataDir, `empty.${locale}.i18n.json`);
  fs.writeFileSync(empty, JSON.stringify({ version: '1.0.0', contents: {} }));
  const packs = {
    [locale]: {
      hash: `b24-empty-${locale}-${Date.now()}`,
      extensions: [{ extensionIdentifier: { id: `local.language-pack-${locale}` }, version: '1.0.0' }],
      translations: { vscode: empty },
      label: locale,
    },
  };
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs, null, 2));
}

function serverEnv(extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Do not leak the environment of a VS Code this launcher may itself run in.
    if (/^(VSCODE_|ELECTRON_)/.test(name)) continue;
    if (name === 'PASSWORD' || name === 'HASHED_PASSWORD') continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Starts code-server (`vscode.entry` in its own Node.js) in a process group of its own. */
function spawnCodeServerProcess(vscode: VSCodeUnderTest, args: string[], env: NodeJS.ProcessEnv, logFile: string,
  cwd?: string): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n$ code-server ${vscode.codeServerVersion} ${args.join(' ')}\n`);
  // detached: its own process group, so it can be killed with all it started (extension host,
  // pty host, file watcher ...) at once.
  const child = spawn(vscode.node, [vscode.entry, ...args], { env, stdio: ['ignore', fd, fd], detached: true, cwd });
  fs.closeSync(fd);
  return child;
}

function runToCompletion(vscode: VSCodeUnderTest, args: string[], env: NodeJS.ProcessEnv, logFile: string,
  timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnCodeServerProcess(vscode, args, env, logFile);
    const timer = setTimeout(() => {
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      reject(new Error(`code-server ${args.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`code-server ${args.join(' ')} failed (${code ?? signal}); see ${logFile}:\n${tailFile(logFile, 30)}`));
    });
  });
}

export interface CodeServerOptions {
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  env?: Record<string, string | undefined>;
  locale?: string;
  installVsix?: string | readonly string[];
  /** Default: B24_VSCODE's (see vscodeUnderTest). */
  vscode?: VSCodeUnderTest;
  /** Whether the workbench URL will carry development options (see buildWorkbenchUrl). */
  extensionDevelopment?: boolean;
  extraServerArgs?: readonly string[];
  startTimeoutMs?: number;
  /** Listen on this 127.0.0.1 port instead of a free one (fails if it is taken). */
  port?: number;
}

/** Starts code-server on a free 127.0.0.1 port (or `opts.port`) and waits until it answers /healthz. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  installExitHook();
  const vscode = opts.vscode ?? vscodeUnderTest();
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const env = serverEnv(opts.env);
  // A config file of our own, so code-server never writes ~/.config/code-server/config.yaml.
  const configFile = path.join(opts.userDataDir, 'code-server-config.yaml');
  fs.writeFileSync(configFile, 'auth: none\n');
  const common = ['--config', configFile, '--user-data-dir', opts.userDataDir,
    '--extensions-dir', opts.extensionsDir];

  const vsixes = opts.installVsix === undefined ? []
    : typeof opts.installVsix === 'string' ? [opts.installVsix] : [...opts.installVsix];
  for (const vsix of vsixes) {
    await runToCompletion(vscode, [...common, '--install-extension', path.resolve(vsix), '--force'],
      env, opts.logFile, 120_000);
  }

  if (opts.locale) writeLanguagePack(opts.userDataDir, opts.locale);

  if (opts.port !== undefined) return spawnCodeServer(vscode, opts.port, common, env, opts, timeoutMs);
  // freePort() can race with another process taking the port: retry on EADDRINUSE.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const logSize = fs.statSync(opts.logFile, { throwIfNoEntry: false })?.size ?? 0;
    try {
      return await spawnCodeServer(vscode, port, common, env, opts, timeoutMs);
    } catch (err) {
      const logged = fs.readFileSync(opts.logFile, 'utf8').slice(logSize);
      if (attempt < 3 && /EADDRINUSE/.test(logged)) continue;
      throw err;
    }
  }
}

async function spawnCodeServer(vscode: VSCodeUnderTest, port: number, common: string[], env: NodeJS.ProcessEnv,
  opts: CodeServerOptions, timeoutMs: number): Promise<CodeServer> {
  const args = [
    ...common,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.locale ? ['--locale', opts.locale] : []),
    ...(opts.extensionDevelopment ? extensionDevelopmentArgs(vscode) : []),
    ...(opts.extraServerArgs ?? []),
    opts.workspace,
  ];
  const child = spawnCodeServerProcess(vscode, args, env, opts.logFile, opts.workspace);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not start code-server ${vscode.codeServerVersion} (${vscode.node} ${vscode.entry})`);
  liveProcessGroups.add(pgid);

  let exitedFlag = false;
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => { exitedFlag = true; resolve(code ?? signal); });
    child.once('error', (err) => {
      exitedFlag = true;
      fs.appendFileSync(opts.logFile, `\n[harness] spawn error: ${err.message}\n`);
      resolve(null);
    });
  });

  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    killGroup(pgid, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    // Whatever is left of the group (extension host, pty host ...) goes too.
    killGroup(pgid, 'SIGKILL');
    if (!done) await Promise.race([exited, sleep(2_000)]);
    liveProcessGroups.delete(pgid);
  };

  const url = `http://127.0.0.1:${port}/`;
  const server: CodeServer = {
    port, url, process: child, logFile: opts.logFile, exited,
    hasExited: () => exitedFlag,
    logTail: (lines = 60) => tailFile(opts.logFile, lines),
    dispose,
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitedFlag) {
      await dispose();
      throw new Error(`code-server exited before answering (exit ${await exited}); log ${opts.logFile}:\n${server.logTail(40)}`);
    }
    try {
      const res = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await dispose();
      throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms; log ${opts.logFile}:\n${server.logTail(40)}`);
    }
    await sleep(200);
  }
  return server;
}

/** Launches Chromium (playwright-core, no browser download) with the flags this machine needs. */
export async function launchChromium(opts: {
  chromiumPath?: string;
  headless?: boolean;
  extraBrowserArgs?: readonly string[];
} = {}): Promise<Browser> {
  const executablePath = opts.chromiumPath ?? process.env.B24_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}. Run \`bash scripts/setup-headless.sh\` `
      + '(installs Debian\'s chromium) or set B24_CHROMIUM_PATH.');
  }
  // Loaded lazily so that importing this module (e.g. from runElectronTests) costs nothing.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: opts.headless ?? process.env.B24_HEADED !== '1',
    args: [...CHROMIUM_ARGS, ...(opts.extraBrowserArgs ?? [])],
  });
}

/** Starts code-server + Chromium and opens the workbench (with the extension in development
 *  mode, and the extension-host tests if `extensionTestsPath` is given). */
export async function startWorkbench(opts: WorkbenchOptions = {}): Promise<Workbench> {
  installExitHook();
  const t0 = Date.now();
  const vscode = opts.vscode ?? vscodeUnderTest();
  const logDir = path.resolve(opts.logDir ?? path.join(repoRoot, 'test-results', 'headless', timestamp()));
  fs.mkdirSync(logDir, { recursive: true });
  const serverLogFile = path.join(logDir, 'code-server.log');
  const browserLogFile = path.join(logDir, 'browser.log');
  fs.writeFileSync(serverLogFile, `[harness] ${new Date().toISOString()} starting code-server ${vscode.codeServerVersion} (${describeVSCode(vscode)})\n`);
  fs.writeFileSync(browserLogFile, '');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-vscode-'));
  liveTempDirs.add(tmp);
  const keepTemp = opts.keepTemp ?? process.env.B24_KEEP_TEMP === '1';
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const workspace = path.resolve(opts.workspace ?? path.join(tmp, 'workspace'));
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...(opts.userSettings ?? {}) }, null, 2));

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    if (browser) {
      const b = browser;
      await Promise.race([b.close().catch(() => undefined), sleep(10_000)]);
    }
    if (server) await server.dispose().catch(() => undefined);
    // VS Code's own logs (server, extension host, ...) are in the user-data-dir: keep them.
    try {
      const logs = path.join(userDataDir, 'logs');
      if (fs.existsSync(logs)) fs.cpSync(logs, path.join(logDir, 'vscode-logs'), { recursive: true });
    } catch { /* best effort */ }
    if (!keepTemp) {
      try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* ignore */ }
    }
    liveTempDirs.delete(tmp);
  };

  try {
    // code-server and Chromium start in parallel; allSettled so that neither is left running
    // unseen when the other fails.
    const [serverResult, browserResult] = await Promise.allSettled([
      startCodeServer({
        workspace, userDataDir, extensionsDir, logFile: serverLogFile,
        env: opts.env, locale: opts.locale, installVsix: opts.installVsix,
        vscode, extraServerArgs: opts.extraServerArgs,
        extensionDevelopment: opts.extensionDevelopmentPath !== undefined || opts.extensionTestsPath !== undefined,
        startTimeoutMs: opts.startTimeoutMs,
      }).then(async (s) => {
        server = s;
        // code-server loads VS Code's server lazily on the first workbench request: do that
        // now, while Chromium starts.
        await fetch(s.url, { signal: AbortSignal.timeout(opts.startTimeoutMs ?? 90_000) })
          .then((r) => r.arrayBuffer()).catch(() => undefined);
        return s;
      }),
      launchChromium(opts).then((b) => { browser = b; return b; }),
    ]);
    if (serverResult.status === 'rejected') throw serverResult.reason;
    if (browserResult.status === 'rejected') throw browserResult.reason;
    server = serverResult.value;
    browser = browserResult.value;
    const tServer = Date.now();

    const context = await browser.newContext({
      viewport: opts.viewport ?? { width: 1400, height: 900 },
      deviceScaleFactor: opts.deviceScaleFactor,
      locale: opts.locale,
    });
    const logLine = (line: string): void => {
      try { fs.appendFileSync(browserLogFile, `${new Date().toISOString()} ${line}\n`); } catch { /* ignore */ }
    };
    const watchPage = (p: Page): void => {
      p.on('console', (msg) => logLine(`[console.${msg.type()}] ${msg.text()}`));
      p.on('pageerror', (err) => logLine(`[pageerror] ${err.stack ?? err.message}`));
      p.on('crash', () => logLine('[crash] page crashed'));
    };
    context.on('page', watchPage);
    const page = await context.newPage();

    const workbenchUrl = buildWorkbenchUrl(server.url, server.port, {
      folder: workspace,
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
    });
    logLine(`[harness] goto ${workbenchUrl}`);
    const timeoutMs = opts.startTimeoutMs ?? 90_000;
    await page.goto(workbenchUrl, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    if (opts.waitForWorkbench !== false) {
      await page.locator('.monaco-workbench').first().waitFor({ state: 'attached', timeout: timeoutMs });
    }
    logLine(`[harness] server + browser up in ${tServer - t0} ms, workbench rendered ${Date.now() - tServer} ms later`);

    const srv = server;
    let shot = 0;
    return {
      page, browser, context,
      serverUrl: srv.url, workbenchUrl, port: srv.port,
      workspace, userDataDir, extensionsDir, logDir, vscode, serverLogFile, browserLogFile,
      server: srv,
      async screenshot(name?: string): Promise<string> {
        const file = name && path.isAbsolute(name) ? name
          : path.join(logDir, `${name ?? `screenshot-${++shot}`}${name?.endsWith('.png') ? '' : '.png'}`);
        await page.screenshot({ path: file });
        return file;
      },
      dispose,
    };
  } catch (err) {
    const tail = server ? `\n--- code-server log tail (${serverLogFile}) ---\n${server.logTail(40)}` : '';
    await dispose();
    if (err instanceof Error) {
      err.message += tail;
      throw err;
    }
    throw new Error(String(err) + tail);
  }
}

// -------------------------------------------------------------------------------------------
// Results written by test/host/index.ts (shared by the headless and the Electron launchers).
// -------------------------------------------------------------------------------------------

/** Environment variable through which launchers tell test/host/index.ts where to write. */
export const RESULTS_ENV = 'B24_TEST_RESULTS';

export interface HostTestResults {
  passes: number;
  failures: number;
  pending: number;
  tests: number;
  durationMs: number;
  /** Spec-reporter text, without colours. */
  specText: string;
  failureDetails: { fullTitle: string; message: string; stack?: string }[];
  /** Set when the runner itself failed (no test file, load error ...). */
  error?: string;
}

export function readHostResults(file: string): HostTestResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as HostTestResults;
  } catch {
    return undefined;
  }
}

/** Prints the spec text and a closing `host-tests: N passed, N failed` line; returns the exit
 *  code a launcher should use (1 on any failure, a runner error or zero tests). */
export function reportHostResults(results: HostTestResults, label = 'host-tests'): number {
  process.stdout.write(results.specText.endsWith('\n') ? results.specText : results.specText + '\n');
  if (results.error) console.error(`${label}: runner error: ${results.error}`);
  if (results.tests === 0 && !results.error) console.error(`${label}: no tests ran`);
  const skipped = results.pending ? `, ${results.pending} skipped` : '';
  console.log(`${label}: ${results.passes} passed, ${results.failures} failed${skipped}`);
  return results.failures > 0 || results.tests === 0 || results.error ? 1 : 0;
}
