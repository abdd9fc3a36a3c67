/**
 * The finishing touches, end to end through the real workbench UI (code-server in headless
 * Chromium, the sandbox portal over HTTPS at https://portal.b24.test:PORT, the webhook from
 * BITRIX24_WEBHOOK_URL, nothing typed):
 *
 *  - rise notifications (`bitrix24Tasks.notifyOnIncrease`): none for the first answer, a toast
 *    with "Open Task List" / "Don't Show Again" when the overdue count rises, and "Don't Show
 *    Again" turns the setting off (in the user settings and in effect);
 *  - the "Get started with Bitrix24 Task Counters" walkthrough: its four steps and its media;
 *  - VS Code's `http.proxy` setting: the extension's requests go through a local proxy.
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/polish.test.js
 *   npm run package && B24_E2E_VSIX=$PWD/bitrix24-task-counters-0.1.0.vsix npx mocha --timeout 300000 out/test/e2e/polish.test.js
 *
 * Artifacts go to test-results/e2e/polish/ (the walkthrough screenshot also to
 * test-results/e2e/walkthrough.png).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { startWorkbench, type Workbench, type WorkbenchOptions } from '../launch/headless';
import type { SandboxPortal } from '../sandbox';
import { startHttpsSandbox, TEST_HOST } from './testHost';
import {
  extensionUnderTest, freshResultsDir, RESULTS_ROOT, stopAtFirstFailure, UI_TIMEOUT_MS, WorkbenchDriver,
  type ExtensionUnderTest, waitForExtension } from './workbenchDriver';

const SECRET = 'sandboxsecret0001';
const RESULTS_DIR = path.join(RESULTS_ROOT, 'polish');
const WALKTHROUGH_SHOT = path.join(RESULTS_ROOT, 'walkthrough.png');
/** How long a notification that should not come is given to come anyway. */
const QUIET_MS = 2_500;
const RISE_TEXT = /Bitrix24: now /;

/** code-server and Chromium with the extension under test, connected from the environment. */
async function startConnected(target: ExtensionUnderTest, portal: SandboxPortal, logDir: string,
  userSettings: Record<string, unknown>): Promise<{ wb: Workbench; ui: WorkbenchDriver }> {
  const started = Date.now();
  const options: WorkbenchOptions = {
    ...target.options,
    logDir,
    env: { BITRIX24_WEBHOOK_URL: portal.webhookUrl(1) },
    userSettings: { 'bitrix24Tasks.pollIntervalSeconds': 600, ...userSettings },
    startTimeoutMs: 120_000,
  };
  const wb = await startWorkbench(options);
  try {
    const ui = new WorkbenchDriver(wb.page, { secrets: [SECRET] });
    await waitForExtension(ui, wb, target, { started, sandboxOrigin: portal.origin, resultsDir: logDir });
    return { wb, ui };
  } catch (error) {
    await wb.dispose();
    throw error;
  }
}

/** The notification toasts now on screen that say a counter rose. */
async function riseToasts(ui: WorkbenchDriver): Promise<string[]> {
  return ui.page.locator('.notifications-toasts .notification-list-item')
    .filter({ hasText: RISE_TEXT }).allInnerTexts();
}

describe('Bitrix24 Task Counters: rise notifications and the walkthrough (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);

  let portal: SandboxPortal | undefined;
  let wb: Workbench | undefined;
  let ui: WorkbenchDriver;

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    console.log(`    (extension under test: ${target.label})`);
    freshResultsDir(RESULTS_DIR);
    fs.rmSync(WALKTHROUGH_SHOT, { force: true });
    portal = await startHttpsSandbox();
    ({ wb, ui } = await startConnected(target, portal, path.join(RESULTS_DIR, 'notify'),
      { 'bitrix24Tasks.notifyOnIncrease': true }));
  });

  stopAtFirstFailure(() => wb, path.join(RESULTS_DIR, 'notify'));

  after(async function () {
    this.timeout(60_000);
    await wb?.dispose();
    await portal?.close();
  });

  it('connects from BITRIX24_WEBHOOK_URL without a rise notification for the first answer', async () => {
    await ui.waitForStatus(/^Bitrix24, 2 overdue, 5 new comments$/, 45_000);
    await ui.page.waitForTimeout(QUIET_MS);
    assert.deepEqual(await riseToasts(ui), [], 'a notification for the first answer');
  });

  it('notifies when the overdue count rises after "Bitrix24: Refresh Counters"', async () => {
    portal!.setCounters(1, { expired: 4, new_comments: 5 });
    await ui.runCommand('Bitrix24: Refresh Counters');
    await ui.waitForStatus(/^Bitrix24, 4 overdue, 5 new comments$/);
    const text = await ui.waitForNotification(RISE_TEXT);
    assert.match(text, /4 overdue/);
    assert.doesNotMatch(text, /new comment/, 'only the counter that rose is named');
    assert.equal((await riseToasts(ui)).length, 1, 'one notification for one poll');
    const toast = ui.notification(RISE_TEXT);
    const buttons = (await toast.locator('.monaco-button').allInnerTexts()).map((label) => label.trim());
    assert.deepEqual(buttons, ['Open Task List', "Don't Show Again"]);
    await ui.screenshot(path.join(RESULTS_DIR, 'rise-notification.png'));
  });

  it('"Don\'t Show Again" turns bitrix24Tasks.notifyOnIncrease off: no notification for the next rise', async () => {
    const toast = ui.notification(RISE_TEXT);
    await toast.locator('.monaco-button', { hasText: "Don't Show Again" }).click();
    await toast.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });

    // Written to the user settings (the file the settings editor's JSON view shows).
    const settingsFile = path.join(wb!.userDataDir, 'User', 'settings.json');
    await ui.waitForValue(() => fs.promises.readFile(settingsFile, 'utf8'),
      (text) => /"bitrix24Tasks\.notifyOnIncrease":\s*false/.test(text), 'the setting to be false in User/settings.json');

    // And in effect: the next rise goes without a word.
    portal!.setCounters(1, { expired: 6, new_comments: 7 });
    await ui.runCommand('Bitrix24: Refresh Counters');
    await ui.waitForStatus(/^Bitrix24, 6 overdue, 7 new comments$/);
    await ui.page.waitForTimeout(QUIET_MS);
    assert.deepEqual(await riseToasts(ui), [], 'a notification after "Don\'t Show Again"');
  });

  it('opens the walkthrough from "Welcome: Open Walkthrough...": four steps and their media', async () => {
    await ui.runCommand('Welcome: Open Walkthrough...');
    const entry = ui.quickPickRow('Get started with Bitrix24 Task Counters');
    await entry.waitFor({ state: 'visible' });
    await entry.click();

    const page = ui.page.locator('.gettingStartedContainer');
    await page.waitFor({ state: 'visible' });
    const titles = [
      'Create an inbound webhook in Bitrix24', 'Connect', 'Choose role and group', 'What the numbers mean',
    ];
    const steps = page.locator('.getting-started-step:visible');
    const shown = await ui.waitForValue(
      () => steps.locator('.step-title').allInnerTexts().then((texts) => texts.map((t) => t.trim())),
      (texts) => titles.every((title) => texts.includes(title)), 'the four step titles');
    assert.deepEqual(shown, titles);

    // The open step shows its image from media/walkthrough (an <img> with a srcset), loaded.
    // VS Code ticks the first step (no completion events); 1.99 then opens the next one,
    // "Connect", 1.139 keeps the first one open: each step is opened by its title.
    const image = page.locator('.getting-started-media img').first();
    const step = (title: string) => steps.filter({ has: ui.page.locator('.step-title', { hasText: new RegExp(`^\\s*${title}\\s*$`) }) });
    const imageLoaded = async (file: string, alt: RegExp): Promise<void> => {
      const source = await ui.waitForValue(
        () => image.evaluate((img: { complete: boolean; naturalWidth: number; currentSrc: string }) =>
          (img.complete && img.naturalWidth > 0 ? img.currentSrc : '')),
        (src) => src.includes(`media/walkthrough/${file}`) || src.includes(encodeURIComponent(`media/walkthrough/${file}`)),
        `the step image ${file} to load`);
      assert.match(source, /vscode-remote-resource/);
      assert.match((await image.getAttribute('alt')) ?? '', alt);
    };
    await step(titles[1]).click();
    await imageLoaded('connect.svg', /Connect to Bitrix24 password box/);
    await step(titles[0]).click();
    await imageLoaded('webhook.svg', /Inbound webhook/);

    await ui.parkMouse();
    await ui.screenshot(WALKTHROUGH_SHOT);
  });
});

/**
 * A forward proxy for the test: CONNECT host:port is piped to the target (no TLS of its own),
 * plain requests are refused. Records what it was asked for.
 */
class RecordingProxy {
  readonly connects: string[] = [];
  readonly plain: string[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: http.Server, readonly port: number) {}

  static async start(): Promise<RecordingProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    const proxy = new RecordingProxy(server, typeof address === 'object' && address ? address.port : 0);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      proxy.plain.push(`${req.method} ${req.url}`);
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end('the test proxy tunnels only');
    });
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const target = req.url ?? '';
      proxy.connects.push(target);
      proxy.sockets.add(client);
      client.on('close', () => proxy.sockets.delete(client));
      const match = /^(.+):(\d+)$/.exec(target);
      if (!match) {
        client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      const upstream = net.connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ''), () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      proxy.sockets.add(upstream);
      upstream.on('close', () => proxy.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('Bitrix24 Task Counters behind VS Code\'s http.proxy (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);

  let portal: SandboxPortal | undefined;
  let proxy: RecordingProxy | undefined;
  let wb: Workbench | undefined;
  let ui: WorkbenchDriver;
  const logDir = path.join(RESULTS_DIR, 'proxy');

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    portal = await startHttpsSandbox();
    proxy = await RecordingProxy.start();
    ({ wb, ui } = await startConnected(target, portal, logDir,
      { 'http.proxy': proxy.url, 'http.proxyStrictSSL': true }));
  });

  stopAtFirstFailure(() => wb, logDir);

  after(async function () {
    this.timeout(60_000);
    await wb?.dispose();
    await portal?.close();
    await proxy?.close();
  });

  it('sends the extension\'s requests through the proxy (CONNECT portal.b24.test) and shows the counters', async () => {
    await ui.waitForStatus(/^Bitrix24, 2 overdue, 5 new comments$/, 45_000);
    const port = new URL(portal!.origin).port;
    assert.ok(proxy!.connects.includes(`${TEST_HOST}:${port}`),
      `the proxy saw ${JSON.stringify({ connects: proxy!.connects, plain: proxy!.plain })}, not CONNECT ${TEST_HOST}:${port}`);
    console.log(`    (the proxy saw CONNECT ${[...new Set(proxy!.connects)].join(', ')}: ${proxy!.connects.length} tunnel(s))`);
    assert.ok(portal!.requests.length > 0, 'the sandbox answered');
    assert.deepEqual(proxy!.plain, [], 'no plain-HTTP request through the proxy');
  });
});
