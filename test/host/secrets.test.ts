/**
 * Secret hygiene in a real extension host: the extension is driven through every
 * error path (good and bad webhooks, every fault the sandbox injects with Refresh, role and
 * group switches, a webhook without the scopes for the group picker, disconnect), and then the
 * webhook's secret must appear nowhere a person, another extension or a file could see it:
 * the status bar, the tree, the state, notifications, settings (API and files), the log channel's
 * file, and every file the extension or VS Code wrote under the user-data-dir.
 *
 * In code-server, SecretStorage and globalState live in the browser, not under the user-data-dir;
 * a desktop VS Code keeps them in `state.vscdb` files, which the byte scan below covers when present.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import type { CountersSnapshot } from '../../src/core/countersState';
import { FAULT_KINDS, FaultKind, FaultOptions, SandboxPortal } from '../sandbox';
import { testHandles } from './support';

const EXTENSION_ID = 'b24tools.bitrix24-task-counters';
const SECRET = 'sandboxsecret0001';
/** Every sandbox secret, and the mistyped one used below. */
const ANY_SECRET = /sandboxsecret\d{4}/;
const MISTYPED = 'sandboxsecret9999';

let api: Bitrix24TasksApi;
let portal: SandboxPortal;

/** What the extension said through notifications and progress titles. */
const said: string[] = [];
const restore: Array<() => void> = [];

/** Records the extension's notifications (the test shares the extension's `vscode` API object). */
function listenToNotifications(): void {
  const window = vscode.window as unknown as Record<string, unknown>;
  for (const name of ['showErrorMessage', 'showWarningMessage', 'showInformationMessage', 'withProgress']) {
    const original = window[name] as (...args: unknown[]) => unknown;
    window[name] = (...args: unknown[]) => {
      said.push(name === 'withProgress' ? String((args[0] as { title?: unknown }).title) : String(args[0]));
      return original(...args);
    };
    restore.push(() => (window[name] = original));
  }
}

/** The default outlasts the request gate's 15 s: what a settings change asks for may come that late. */
function waitFor(predicate: (s: CountersSnapshot) => boolean, what: string, timeoutMs = 25_000): Promise<CountersSnapshot> {
  return new Promise((resolve, reject) => {
    if (predicate(api.state.snapshot)) return resolve(api.state.snapshot);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}; state: ${JSON.stringify(api.state.snapshot).slice(0, 600)}`));
    }, timeoutMs);
    const unsubscribe = api.state.subscribe((s) => {
      if (predicate(s)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(s);
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function resetSettings(): Promise<void> {
  const config = vscode.workspace.getConfiguration('bitrix24Tasks');
  for (const key of ['role', 'groupId', 'userId']) {
    if (config.inspect(key)?.workspaceValue !== undefined) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    if (config.inspect(key)?.globalValue !== undefined) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

async function connect(url = portal.webhookUrl(1)): Promise<void> {
  const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', url);
  assert.equal(ok, true, 'connect reported failure');
  await waitFor((s) => s.counters !== undefined, 'the first counters');
}

function tooltipText(tooltip: string | vscode.MarkdownString | undefined): string {
  return typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '';
}

/** Every surface a person or another extension can see, as text. */
function visibleText(): string {
  const item = api.statusBar.item;
  const tree = api.view.provider.getChildren().map((i) => ({
    id: i.id,
    label: i.label,
    description: i.description,
    tooltip: tooltipText(i.tooltip),
    accessibility: i.accessibilityInformation,
    command: i.command,
    contextValue: i.contextValue,
  }));
  return JSON.stringify({
    state: api.state.snapshot,
    status: {
      text: item.text,
      tooltip: tooltipText(item.tooltip),
      accessibility: item.accessibilityInformation,
      name: item.name,
      command: item.command,
    },
    tree,
    view: { badge: api.view.treeView.badge, message: api.view.treeView.message, title: api.view.treeView.title },
    said,
  });
}

/** A failure message must not print the secret either: the found one is masked. */
function masked(text: string): string {
  return text.replace(/sandboxsecret\d{4}/g, 'sandboxsecret••••');
}

function assertNothingVisible(where: string): void {
  const text = visibleText();
  const found = ANY_SECRET.exec(text);
  assert.ok(!found, `${where}: a secret is visible: …${found ? masked(text.slice(Math.max(0, found.index - 200), found.index + 40)) : ''}`);
}

/** Every setting the extension contributes, inspected at every level, and all of VS Code's. */
function settingsText(): string {
  const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
    contributes: { configuration: { properties: Record<string, unknown> } | Array<{ properties: Record<string, unknown> }> };
  };
  const sections = [manifest.contributes.configuration].flat();
  const keys = sections.flatMap((section) => Object.keys(section.properties));
  assert.ok(keys.length >= 5, `contributed settings: ${keys.join(', ')}`);
  return JSON.stringify({
    all: vscode.workspace.getConfiguration(),
    inspected: keys.map((key) => vscode.workspace.getConfiguration().inspect(key)),
  });
}

function walk(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The folders to scan: the extension's own, and VS Code's user-data-dir and workspace settings. */
function scanRoots(): { extension: string[]; userDataDir: string; workspaceSettings?: string; logFile?: string } {
  const folders = api.folders;
  // globalStorageUri = <user-data-dir>/User/globalStorage/<extension id>
  const globalStorage = folders.find((f) => f.includes(`${path.sep}globalStorage${path.sep}`));
  assert.ok(globalStorage, `no global storage among ${folders.join(', ')}`);
  const userDataDir = path.dirname(path.dirname(path.dirname(globalStorage)));
  const logFolder = folders[0];
  const logFile = walk(logFolder).find((f) => path.basename(f) === 'Bitrix24 Tasks.log');
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return {
    extension: [...folders],
    userDataDir,
    workspaceSettings: workspace ? path.join(workspace, '.vscode', 'settings.json') : undefined,
    logFile,
  };
}

/** Files (bytes, so SQLite and binary caches count) that contain a secret. */
function filesWithSecret(roots: readonly string[]): { scanned: number; leaks: string[] } {
  const needle = Buffer.from('sandboxsecret');
  const files = [...new Set(roots.flatMap((root) => (fs.existsSync(root) && fs.statSync(root).isFile() ? [root] : walk(root))))];
  const leaks: string[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      continue; // removed meanwhile (a lock, a temp file)
    }
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (/^\d{4}$/.test(bytes.subarray(at + needle.length, at + needle.length + 4).toString('latin1'))) {
        leaks.push(masked(`${file} @${at}: …${bytes.subarray(Math.max(0, at - 80), at + 20).toString('latin1')}`));
        break;
      }
    }
  }
  return { scanned: files.length, leaks };
}

/** What the sandbox's log channel file must show, so that scanning it means something. */
async function waitForLogLines(logFile: string | undefined, patterns: readonly RegExp[]): Promise<string> {
  assert.ok(logFile, 'the "Bitrix24 Tasks" log file was not found under the log folder');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text: string = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    const missing: RegExp[] = patterns.filter((p) => !p.test(text));
    if (missing.length === 0) return text;
    if (Date.now() > deadline) assert.fail(`the log file lacks ${missing.join(', ')}:\n${text.slice(-2000)}`);
    await sleep(200);
  }
}

describe('Secrets never leak (extension host)', function () {
  this.timeout(90_000);

  before(async () => {
    const extension = vscode.extensions.getExtension<Bitrix24TasksApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    api = testHandles(await extension.activate());
    listenToNotifications();
  });

  after(() => {
    restore.splice(0).forEach((undo) => undo());
  });

  beforeEach(async () => {
    portal = await SandboxPortal.start();
    await resetSettings();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    assertNothingVisible('after disconnect');
    await resetSettings();
    await portal.close();
  });

  it('connect: a mistyped secret, a malformed URL, a URL with a method on the end, a good one', async () => {
    const before = said.length;
    const mistyped = portal.webhookUrl(1).replace(SECRET, MISTYPED);
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', mistyped), false);
    assertNothingVisible('after a rejected webhook');
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', `ftp://x/rest/1/${SECRET}/`), false);
    assertNothingVisible('after a malformed webhook');
    assert.equal(
      await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', `http://localhost:1/rest/1/${SECRET}/`),
      false,
      'a portal that refuses the connection',
    );
    assertNothingVisible('after a refused connection');
    await connect(`  ${portal.webhookUrl(1)}profile.json  `);
    assertNothingVisible('connected');
    const messages = said.slice(before);
    assert.ok(messages.some((m) => /Could not connect/.test(m)), `the failures were notified: ${messages.join(' | ')}`);
    assert.ok(messages.some((m) => /Connected to/.test(m)), 'the success was notified');
  });

  it('every fault the sandbox injects, each followed by Refresh, then recovery', async function () {
    this.timeout(FAULT_KINDS.length * 2 * 20_000); // two explicit asks a fault, a gate spacing apart (generous: the real 15 s)
    await connect();
    const options: Partial<Record<FaultKind, FaultOptions>> = {
      slow: { delayMs: 500 }, // within the client's timeout: a slow success
      insufficientScope: { method: 'tasks.task.counters.get' },
      groupNotFound: { method: 'tasks.task.counters.get' },
      emptyResult: { method: 'tasks.task.counters.get' },
      queryLimit: { retryAfterSeconds: 120 },
    };
    for (const kind of FAULT_KINDS) {
      portal.inject(kind, options[kind] ?? {});
      await vscode.commands.executeCommand('bitrix24Tasks.refresh');
      const s = await waitFor((x) => !x.loading, `the refresh with ${kind}`);
      if (kind !== 'slow' && kind !== 'emptyResult') {
        assert.ok(s.error, `${kind}: an error is shown`);
      }
      assertNothingVisible(`with ${kind}`);
      portal.clearFaults();
      await vscode.commands.executeCommand('bitrix24Tasks.refresh');
      await waitFor((x) => x.error === undefined && x.counters?.visible === true && !x.loading, `recovery from ${kind}`);
      assertNothingVisible(`after ${kind}`);
    }
  });

  it('role and group switches, a group that cannot be seen, another user\'s counters', async () => {
    await connect();
    await vscode.commands.executeCommand('bitrix24Tasks.selectRole', 'view_role_auditor');
    await waitFor((s) => s.filters.role === 'view_role_auditor', 'the role');
    assertNothingVisible('another role');
    await vscode.commands.executeCommand('bitrix24Tasks.selectGroup', 7);
    await waitFor((s) => s.filters.groupId === 7 && s.counters !== undefined && !s.loading, 'group 7');
    assertNothingVisible('group 7');
    await vscode.commands.executeCommand('bitrix24Tasks.selectGroup', 30);
    await waitFor((s) => s.filters.groupId === 30 && s.error !== undefined, 'the access error');
    assertNothingVisible('a group that cannot be seen');
    await vscode.commands.executeCommand('bitrix24Tasks.selectGroup', 0);
    await vscode.workspace.getConfiguration('bitrix24Tasks').update('userId', 3, vscode.ConfigurationTarget.Workspace);
    await waitFor((s) => s.filters.userId === 3 && s.counters !== undefined && !s.loading, "another user's counters");
    assert.equal(api.state.snapshot.counters?.visible, false, 'not visible to user 1');
    assertNothingVisible("another user's counters");
    // The settings now hold filters: the API and the workspace's settings file.
    assert.ok(!ANY_SECRET.test(settingsText()), 'a secret in the settings');
    const { workspaceSettings } = scanRoots();
    assert.ok(workspaceSettings && fs.existsSync(workspaceSettings), 'the workspace settings file was written');
    const written = fs.readFileSync(workspaceSettings, 'utf8');
    assert.match(written, /bitrix24Tasks\.userId/, 'it holds the filters');
    assert.ok(!ANY_SECRET.test(written), 'a secret in .vscode/settings.json');
  });

  it('a webhook without the "sonet" scope: the group picker warns, nothing leaks', async () => {
    await connect(portal.webhookUrl(2));
    const before = said.length;
    const picking = vscode.commands.executeCommand('bitrix24Tasks.selectGroup');
    const deadline = Date.now() + 25_000; // the group list waits the gate's spacing after Connect's check
    while (!said.slice(before).some((m) => /sonet/.test(m)) && Date.now() < deadline) await sleep(50);
    assert.ok(said.slice(before).some((m) => /sonet/.test(m)), `the missing scope was explained: ${said.slice(before).join(' | ')}`);
    await sleep(300);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await Promise.race([picking, sleep(3000)]);
    assertNothingVisible('after the group picker');
  });

  it('after all of it: no file, setting or log line holds the secret (connected, then disconnected)', async () => {
    await connect();
    // One fetch of this window's own, so the shared-poll snapshot file is written.
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    await waitFor((s) => !s.loading, 'the refresh');
    const roots = scanRoots();
    const log = await waitForLogLines(roots.logFile, [/batch \d+ ms HTTP 200 ok/, /Connect to .* failed/, /Connected to/, /warn/i]);
    assert.ok(log.length > 500, 'the log file has content');
    assert.match(log, /rest\/1\/•••\//, 'the log names webhooks, redacted');
    const globalStorage = roots.extension.find((f) => f.includes('globalStorage'))!;
    // The snapshot is written after the poll settles: wait for it rather than read once.
    const snapshotWritten = () => walk(globalStorage).some((f) => /snapshot-[0-9a-f]+\.json$/.test(f));
    for (const deadline = Date.now() + 5000; !snapshotWritten() && Date.now() < deadline; ) await sleep(50);
    assert.ok(snapshotWritten(), 'the shared-poll snapshot was written, so scanning it means something');

    for (const phase of ['connected', 'disconnected']) {
      if (phase === 'disconnected') {
        await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
        await sleep(500);
      }
      const scan = filesWithSecret([...roots.extension, roots.userDataDir, ...(roots.workspaceSettings ? [roots.workspaceSettings] : [])]);
      assert.ok(scan.scanned >= 5, `only ${scan.scanned} files scanned`);
      assert.deepEqual(scan.leaks, [], `${phase}: files holding a secret`);
      assert.ok(!ANY_SECRET.test(settingsText()), `${phase}: a secret in the settings`);
      assertNothingVisible(phase);
    }
    assert.ok(said.length > 5, 'notifications were recorded');
  });
});
