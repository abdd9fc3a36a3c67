/**
 * What a user does in the VS Code workbench, for Playwright: the command palette, quick picks,
 * the status bar item, the "Bitrix24 Tasks" view, the open-external dialog, and screenshots.
 * Everything waits for elements; nothing sleeps a fixed time.
 *
 * Also what the e2e suites share: which build of the extension they test (development path or
 * the packaged .vsix, see `extensionUnderTest`), where artifacts go, the README screenshots,
 * and the stop-at-the-first-failure step hooks.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, FrameLocator, Locator, Page, Request, Route } from 'playwright-core';
import { describeVSCode, repoRoot, statusBarItem, vscodeRoleFromEnv, type Workbench, type WorkbenchOptions } from '../launch/headless';

// Browser globals for the functions that run in the page (the project compiles without the
// DOM lib; these declarations stay local to this module).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare function getComputedStyle(element: unknown): { opacity: string };
type PageElement = any;

export const EXTENSION_ID = 'b24tools.bitrix24-task-counters';
export const STATUS_ITEM_ID = 'bitrix24Tasks.status';
/** The branch's task item (src/ui/branches/branchTaskItem.ts). */
export const BRANCH_TASK_ITEM_ID = 'bitrix24Tasks.branchTask';
/** The activity-bar entry of the `bitrix24Tasks` view container. */
const CONTAINER_ACTION = 'a.action-label[class*="activity-workbench-view-extension-bitrix24Tasks-"]';

/** Default wait for one UI reaction (both are local; generous for a loaded 2-CPU machine). */
export const UI_TIMEOUT_MS = 30_000;

/**
 * The extension's words the driver finds elements by, in the workbench's display language
 * (VS Code's own words stay English: the harness's language pack translates nothing).
 */
export interface DriverWords {
  /** The view container's title (package.nls `viewsContainer.bitrix24Tasks.title`). */
  containerTitle: string;
  /** The view's name (package.nls `view.counters.name`). */
  countersView: string;
  /** The welcome view's button (package.nls `viewsWelcome.counters.disconnected`). */
  connectButton: string;
  /** The first line of the status bar item's tooltip. */
  tooltipTitle: string;
}

export const ENGLISH_WORDS: DriverWords = {
  containerTitle: 'Bitrix24 Tasks',
  countersView: 'Counters',
  connectButton: 'Connect Webhook',
  tooltipTitle: 'Bitrix24 Task Counters',
};

export const RUSSIAN_WORDS: DriverWords = {
  containerTitle: 'Задачи Битрикс24',
  countersView: 'Счетчики',
  connectButton: 'Подключить вебхук',
  tooltipTitle: 'Счетчики задач Битрикс24',
};

export interface DriverOptions {
  /** Default ENGLISH_WORDS. */
  words?: DriverWords;
  /** Text that must never be on the page: every screenshot checks the page text first. */
  secrets?: readonly string[];
}

export class WorkbenchDriver {
  readonly words: DriverWords;
  readonly secrets: readonly string[];

  constructor(readonly page: Page, options: DriverOptions = {}) {
    this.words = options.words ?? ENGLISH_WORDS;
    this.secrets = options.secrets ?? [];
  }

  // --- The status bar ----------------------------------------------------------------------

  get statusItem(): Locator {
    return statusBarItem(this.page, EXTENSION_ID, STATUS_ITEM_ID);
  }

  /** The second item: the current branch's task. */
  get branchTaskItem(): Locator {
    return statusBarItem(this.page, EXTENSION_ID, BRANCH_TASK_ITEM_ID);
  }

  async statusLabel(): Promise<string> {
    return (await this.statusItem.getAttribute('aria-label')) ?? '';
  }

  /** Waits until the item's aria-label matches; the error says what it was instead. */
  async waitForStatus(pattern: RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    return this.waitForValue(() => this.statusLabel(), (label) => pattern.test(label),
      `the status bar item's aria-label to match ${pattern}`, timeoutMs);
  }

  /** The item's codicons in order, e.g. ['warning', 'flame', 'comment-discussion']. */
  async statusIcons(): Promise<string[]> {
    return this.statusItem.locator('.codicon').evaluateAll((icons) =>
      icons.map((icon) => [...icon.classList].find((c) => c.startsWith('codicon-') && c !== 'codicon')?.slice(8) ?? ''));
  }

  // --- The command palette and quick picks -------------------------------------------------

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** F1, the command's title, then a click on its row (the title must match a row exactly). */
  async runCommand(title: string): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('F1');
    const box = this.quickInput.locator('input.input');
    await box.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await box.fill(`>${title}`);
    const row = this.quickPickRow(title);
    await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS }).catch(async (error: Error) => {
      const rows = await this.quickPickLabels();
      throw new Error(`no palette entry "${title}" (rows: ${JSON.stringify(rows)}): ${error.message}`);
    });
    await row.click();
  }

  /** A quick-pick row whose label (icons aside) is `label`. */
  quickPickRow(label: string): Locator {
    return this.quickInput
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
      .first();
  }

  async quickPickLabels(): Promise<string[]> {
    return this.quickInput.locator('.quick-input-list .monaco-list-row')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
  }

  /** Waits until a busy quick pick (progress bar running) is done. */
  async waitForQuickPickIdle(): Promise<void> {
    await this.page.waitForFunction(() => {
      const bar = document.querySelector('.quick-input-widget .quick-input-progress');
      return !bar || bar.classList.contains('done') || bar.offsetParent === null;
    }, undefined, { timeout: UI_TIMEOUT_MS });
  }

  async closeQuickInput(): Promise<void> {
    if (await this.quickInput.isVisible()) {
      await this.page.keyboard.press('Escape');
      await this.quickInput.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    }
  }

  /** code-server's "Do you want code-server to open the external website?": Open. */
  async confirmOpenExternal(): Promise<string> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const text = await dialog.innerText();
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    return text;
  }

  // --- Notifications -------------------------------------------------------------------------

  /** A notification toast (or one in the notification center) containing `text`. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item')
      .filter({ hasText: text }).first();
  }

  async waitForNotification(text: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    const toast = this.notification(text);
    await toast.waitFor({ state: 'visible', timeout: timeoutMs }).catch(async (error: Error) => {
      const shown = await this.page.locator('.notifications-toasts').innerText().catch(() => '');
      throw new Error(`no notification matching ${String(text)} (shown: ${JSON.stringify(shown)}): ${error.message}`);
    });
    return toast.innerText();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-list-item')
      .first().waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  }

  // --- The "Bitrix24 Tasks" view container -------------------------------------------------

  /** The container's icon in the activity bar. */
  get containerAction(): Locator {
    return this.page.locator(`.activitybar ${CONTAINER_ACTION}`);
  }

  /** The container's whole activity-bar entry (icon and badge). */
  get containerItem(): Locator {
    return this.page.locator('.activitybar li.action-item', { has: this.page.locator(CONTAINER_ACTION) });
  }

  /** The activity-bar badge: its aria-label is "Bitrix24 Tasks - TOOLTIP". */
  get badge(): Locator {
    return this.containerItem.locator('div.badge');
  }

  async badgeLabel(): Promise<string | undefined> {
    const visible = await this.badge.isVisible();
    return visible ? ((await this.badge.getAttribute('aria-label')) ?? '') : undefined;
  }

  /** The pane of the "Counters" view inside the sidebar. */
  get countersPane(): Locator {
    return this.page.locator('.part.sidebar .pane', {
      has: this.page.locator('.pane-header', { hasText: new RegExp(escapeRegExp(this.words.countersView), 'i') }),
    }).first();
  }

  get sidebar(): Locator {
    return this.page.locator('.part.sidebar');
  }

  /** Opens the container from the activity bar (the badge covers the icon: force the click). */
  async openCountersView(): Promise<void> {
    const title = this.sidebarTitle;
    if (await title.isVisible()) return;
    await this.containerAction.click({ force: true, timeout: UI_TIMEOUT_MS });
    await title.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  }

  /** The sidebar's title while it shows the container (the text is upper-cased by CSS only). */
  get sidebarTitle(): Locator {
    return this.sidebar.locator('.composite.title', { hasText: new RegExp(escapeRegExp(this.words.containerTitle), 'i') });
  }

  get treeRows(): Locator {
    return this.countersPane.locator('.monaco-list-row');
  }

  /** Each row as "Label Description" (e.g. "Overdue 2"), in order. */
  async treeRowTexts(): Promise<string[]> {
    return this.treeRows.evaluateAll((rows) => rows
      .map((row) => {
        const name = row.querySelector('.label-name')?.textContent?.trim() ?? '';
        const description = row.querySelector('.label-description')?.textContent?.trim() ?? '';
        return { top: parseFloat((row as PageElement).style.top || '0'), text: `${name} ${description}`.trim() };
      })
      .sort((a, b) => a.top - b.top)
      .map((row) => row.text));
  }

  /** Waits until the tree's rows satisfy `check`; the error lists the rows it last saw. */
  async waitForTree(check: (rows: string[]) => boolean, what: string, timeoutMs = UI_TIMEOUT_MS): Promise<string[]> {
    return this.waitForValue(() => this.treeRowTexts(), check, `the tree to show ${what}`, timeoutMs);
  }

  /**
   * Waits until the tree's first rows are exactly `first` (and `check` holds, if given), and
   * returns all its rows. Waited for as a whole: while the tree re-renders, the page may hold
   * only some of its rows, so a read after a wait for one row can miss the others.
   */
  async waitForTreeStart(first: readonly string[], check: (rows: string[]) => boolean = () => true): Promise<string[]> {
    const wanted = JSON.stringify(first);
    return this.waitForTree((rows) => JSON.stringify(rows.slice(0, first.length)) === wanted && check(rows), `the rows ${wanted}`);
  }

  /** The first tree row whose label (not description) is exactly `label`. */
  treeRow(label: string): Locator {
    const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
    return this.treeRows.filter({ has: this.page.locator('.label-name', { hasText: exact }) }).first();
  }

  /** Clicks a tree row's inline action (shown on hover), e.g. "Open Task List in Browser". */
  async clickRowAction(label: string, action: string): Promise<void> {
    const row = this.treeRow(label);
    await row.hover({ timeout: UI_TIMEOUT_MS });
    await row.locator(`.actions .action-label[aria-label="${action}"]`).click({ timeout: UI_TIMEOUT_MS });
  }

  /** The welcome view's "Connect Webhook" button (shown while disconnected). */
  get welcomeConnectButton(): Locator {
    return this.countersPane.locator('.welcome-view-content .monaco-button', { hasText: this.words.connectButton });
  }

  // --- The task tab ---------------------------------------------------------------------------

  /**
   * The visible task tab's page. A webview is an iframe in the editor whose document holds the
   * extension's page in a second iframe (`#active-frame`); hidden webviews are not visible.
   */
  get taskTab(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
  }

  /** The editor tab whose title starts with `title` (e.g. "#101"). */
  editorTab(title: string): Locator {
    return this.page.locator('.tabs-container .tab', { hasText: title }).first();
  }

  /** The text of the task tab's element `selector` (the first), once it satisfies `accept`. */
  async waitForTabText(selector: string, accept: (text: string) => boolean, what: string, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    const element = this.taskTab.locator(selector).first();
    return this.waitForValue(async () => ((await element.count()) ? await element.innerText() : ''), accept, what, timeoutMs);
  }

  // --- Text checks ---------------------------------------------------------------------------

  /** Everything the page shows as text, plus the values of its non-password inputs. */
  async visibleText(): Promise<string> {
    return this.page.evaluate(() => {
      const inputs = [...document.querySelectorAll('input, textarea')] as PageElement[];
      const values = inputs.filter((el) => el.type !== 'password').map((el) => String(el.value ?? ''));
      return [String(document.body.innerText), ...values].join('\n');
    });
  }

  /** Fails if the page shows one of the secrets (the error does not repeat it). */
  async assertSecretsHidden(when: string): Promise<void> {
    if (this.secrets.length === 0) return;
    const text = await this.visibleText();
    const shown = this.secrets.filter((secret) => text.includes(secret)).length;
    assert.equal(shown, 0, `the webhook secret is visible on the page ${when}`);
  }

  /** Polls `read` until `accept` holds. */
  async waitForValue<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string,
    timeoutMs = UI_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await read();
        lastError = undefined;
        if (accept(last)) return last;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const seen = lastError
          ? `error ${lastError instanceof Error || typeof lastError === 'string' ? String(lastError) : JSON.stringify(lastError)}`
          : JSON.stringify(last);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
      }
      await this.page.waitForTimeout(100);
    }
  }

  // --- Screenshots -----------------------------------------------------------------------------

  /** Moves the mouse to an empty spot of the editor area (no hover, no highlight). */
  async parkMouse(): Promise<void> {
    const editor = await this.page.locator('.part.editor').boundingBox();
    const x = editor ? editor.x + editor.width * 0.6 : 700;
    const y = editor ? editor.y + editor.height * 0.3 : 300;
    await this.page.mouse.move(x, y);
  }

  /** Takes the keyboard focus away from views and lists (no focus outline in screenshots). */
  async focusEditorArea(): Promise<void> {
    const editor = await boxOf(this.page.locator('.part.editor'), 'the editor area');
    await this.page.mouse.click(editor.x + editor.width * 0.6, editor.y + editor.height * 0.3);
  }

  /** A PNG of the whole page (after checking that no secret is shown). */
  async screenshot(file: string): Promise<string> {
    await this.assertSecretsHidden(`before the screenshot ${path.basename(file)}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * A PNG of the page clipped to the union of `boxes` plus `padding` CSS pixels, kept inside
   * `within` (default: the viewport), after checking that no secret is shown.
   */
  async screenshotOf(file: string, boxes: Box[], padding = 0, within?: Box): Promise<string> {
    await this.assertSecretsHidden(`before the screenshot ${path.basename(file)}`);
    const viewport = this.page.viewportSize() ?? { width: 1400, height: 900 };
    const limit = within ?? { x: 0, y: 0, width: viewport.width, height: viewport.height };
    const x0 = Math.max(limit.x, Math.min(...boxes.map((b) => b.x)) - padding);
    const y0 = Math.max(limit.y, Math.min(...boxes.map((b) => b.y)) - padding);
    const x1 = Math.min(limit.x + limit.width, Math.max(...boxes.map((b) => b.x + b.width)) + padding);
    const y1 = Math.min(limit.y + limit.height, Math.max(...boxes.map((b) => b.y + b.height)) + padding);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file, clip: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
    return file;
  }

  /** The status bar's tooltip (a hover) once it is fully shown. */
  async hoverStatusItem(): Promise<Locator> {
    await this.statusItem.hover();
    const hover = this.page.locator('.monaco-hover:visible', { hasText: this.words.tooltipTitle }).first();
    await hover.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    // Past the fade-in.
    await this.page.waitForFunction(() => [...document.querySelectorAll('.monaco-hover')]
      .some((el: PageElement) => el.offsetParent !== null && getComputedStyle(el).opacity === '1'),
    undefined, { timeout: UI_TIMEOUT_MS });
    return hover;
  }

  /** The status bar from its left end to `upTo` (default the counters' item), with the counters'
   *  tooltip when `withHover`. */
  async statusBarShot(file: string, withHover: boolean, upTo: Locator = this.statusItem): Promise<string> {
    await this.parkMouse();
    const bar = await boxOf(this.page.locator('.part.statusbar'), 'the status bar');
    const item = await boxOf(upTo, 'the status bar item');
    const boxes: Box[] = [{ x: bar.x, y: bar.y, width: 1, height: bar.height }, item];
    if (withHover) boxes.push(await boxOf(await this.hoverStatusItem(), 'the status bar tooltip'));
    try {
      return await this.screenshotOf(file, boxes, 8);
    } finally {
      await this.parkMouse();
    }
  }

  /** Drags the sidebar's right edge `by` CSS pixels to the right (room for long rows). */
  async widenSidebar(by: number): Promise<void> {
    const before = await boxOf(this.sidebar, 'the sidebar');
    const edge = { x: before.x + before.width, y: before.y + before.height / 2 };
    await this.page.mouse.move(edge.x, edge.y);
    await this.page.mouse.down();
    await this.page.mouse.move(edge.x + by, edge.y, { steps: 5 });
    await this.page.mouse.up();
    await this.waitForValue(() => boxOf(this.sidebar, 'the sidebar'), (box) => box.width >= before.width + by / 2,
      `the sidebar to be wider than ${before.width} px`);
  }

  /** The activity bar and the container's sidebar, from the top down to the last tree row. */
  async sidebarShot(file: string): Promise<string> {
    await this.parkMouse();
    const title = await boxOf(this.sidebar.locator('.composite.title'), 'the sidebar title');
    const lastRow = await boxOf(this.treeRows.last(), 'the last tree row');
    const action = await boxOf(this.containerItem, 'the activity bar entry');
    const activityBar = await boxOf(this.page.locator('.part.activitybar'), 'the activity bar');
    const sidebar = await boxOf(this.sidebar, 'the sidebar');
    // From the top of the activity bar and the sidebar, nothing of the title bar above.
    const within = { x: activityBar.x, y: sidebar.y, width: sidebar.x + sidebar.width - activityBar.x, height: sidebar.height };
    return this.screenshotOf(file, [{ x: activityBar.x, y: sidebar.y, width: 1, height: 1 }, title, lastRow, action], 10, within);
  }
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export async function boxOf(locator: Locator, what: string): Promise<Box> {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${what} is not on screen`);
  return box;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Catches what the browser is asked to open at one host: the request is answered with a stub
 * page (no network), its URL recorded, and the new tab closed.
 */
export class ExternalOpens {
  readonly urls: string[] = [];
  private waiters: Array<(url: string) => void> = [];

  private constructor(private readonly context: BrowserContext, private readonly host: string) {}

  static async watch(context: BrowserContext, host: string): Promise<ExternalOpens> {
    const opens = new ExternalOpens(context, host);
    await context.route((url) => url.hostname === host, (route, request) => opens.onRequest(route, request));
    context.on('page', (page) => {
      // The workbench itself never navigates to the portal; a new tab that does is ours.
      void page.waitForLoadState('domcontentloaded').then(() => {
        if (new URL(page.url()).hostname === host) return page.close();
        return undefined;
      }).catch(() => undefined);
    });
    return opens;
  }

  private async onRequest(route: Route, request: Request): Promise<void> {
    if (request.isNavigationRequest()) {
      this.urls.push(request.url());
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((resolve) => resolve(request.url()));
    }
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Task list (stub)</title>' });
  }

  /** Runs `trigger` and resolves with the next URL opened at the host. */
  async next(trigger: () => Promise<void>, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const opened = new Promise<string>((resolve, reject) => {
      this.waiters.push(resolve);
      timer = setTimeout(() => reject(new Error(`no page was opened at ${this.host} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await trigger();
      return await opened;
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    await this.context.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => undefined);
  }
}

// --- What the suites share -------------------------------------------------------------------

/** Where the e2e suites put screenshots and logs, one folder per VS Code (B24_VSCODE's, see
 *  runE2eTests.ts); a suite of its own may use a subfolder. */
export const RESULTS_ROOT = path.join(repoRoot, 'test-results', 'e2e', vscodeRoleFromEnv());
/** The subfolders of RESULTS_ROOT that belong to other suites than workbench.test.ts. */
/** (polish.test.ts: its folder and its walkthrough screenshot.) */
export const SUITE_RESULT_DIRS: readonly string[] = ['ru', 'polish', 'walkthrough.png', 'portal-text', 'tasks', 'task-tab', 'branches'];
/** The README's screenshots. */
export const README_SHOTS_DIR = path.join(repoRoot, 'media', 'screenshots');

/**
 * Empties `dir` (creating it if need be) but keeps the named subfolders: a suite clears its
 * own artifacts, not those of another suite run before it by the same mocha.
 */
export function freshResultsDir(dir: string, keep: readonly string[] = []): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(dir)) {
    if (!keep.includes(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return dir;
}

/** Copies a screenshot to media/screenshots/NAME when that is missing or B24_UPDATE_SCREENSHOTS=1,
 *  on the current VS Code release only (the README shows what people run). */
export function copyToReadme(file: string, name: string): boolean {
  const target = path.join(README_SHOTS_DIR, name);
  if (vscodeRoleFromEnv() !== 'current') return false;
  if (process.env.B24_UPDATE_SCREENSHOTS !== '1' && fs.existsSync(target)) return false;
  fs.mkdirSync(README_SHOTS_DIR, { recursive: true });
  fs.copyFileSync(file, target);
  return true;
}

/** Which build of the extension a suite drives. */
export interface ExtensionUnderTest {
  mode: 'development' | 'vsix';
  /** For the test log, e.g. "the packaged test-results/bitrix24-task-counters.vsix, installed". */
  label: string;
  /** What to pass to startWorkbench for it. */
  options: Pick<WorkbenchOptions, 'extensionDevelopmentPath' | 'installVsix'>;
  /** Checks, once the extension is active, that the workbench runs this build and no other. */
  verify(wb: Workbench): Promise<void>;
}

/** Environment variable naming a .vsix to install and test instead of the development path. */
export const VSIX_ENV = 'B24_E2E_VSIX';
const DEV_HOST_TITLE = '[Extension Development Host]';

/**
 * The development path (default: this repository, the extension loaded in development mode
 * from dist/extension.js), or, when B24_E2E_VSIX names a .vsix file, that package installed
 * into the fresh profile's extensions folder before VS Code starts (no development path, so
 * the installed copy is the one that runs).
 */
export function extensionUnderTest(): ExtensionUnderTest {
  const vsixSetting = process.env[VSIX_ENV];
  if (vsixSetting) {
    const vsix = path.resolve(vsixSetting);
    assert.ok(fs.statSync(vsix, { throwIfNoEntry: false })?.isFile(), `${VSIX_ENV}=${vsixSetting}: no such file (run \`npm run package\`)`);
    assert.match(vsix, /\.vsix$/i, `${VSIX_ENV}=${vsixSetting} is not a .vsix file`);
    const [publisher, name] = EXTENSION_ID.split('.');
    return {
      mode: 'vsix',
      label: `the packaged ${path.relative(repoRoot, vsix).startsWith('..') ? vsix : path.relative(repoRoot, vsix)}, installed (${VSIX_ENV})`,
      options: { installVsix: vsix },
      async verify(wb) {
        const installed = fs.readdirSync(wb.extensionsDir)
          .filter((entry) => entry.toLowerCase().startsWith(`${publisher}.${name}-`.toLowerCase()));
        assert.equal(installed.length, 1, `one installed copy of ${EXTENSION_ID} in ${wb.extensionsDir}, found ${JSON.stringify(installed)}`);
        assert.ok(fs.existsSync(path.join(wb.extensionsDir, installed[0], 'dist', 'extension.js')), 'the installed copy has its bundle');
        const title = await wb.page.title();
        assert.ok(!title.includes(DEV_HOST_TITLE), `the window is an Extension Development Host ("${title}"): the development path was loaded`);
      },
    };
  }
  const bundle = path.join(repoRoot, 'dist', 'extension.js');
  assert.ok(fs.existsSync(bundle), `${bundle} is missing: run \`npm run compile\` first`);
  return {
    mode: 'development',
    label: `development mode from ${repoRoot} (set ${VSIX_ENV}=path/to.vsix to test a package)`,
    options: { extensionDevelopmentPath: repoRoot },
    async verify(wb) {
      const installed = fs.readdirSync(wb.extensionsDir).filter((entry) => entry.startsWith(`${EXTENSION_ID}-`));
      assert.deepEqual(installed, [], 'no installed copy next to the development path');
      const title = await wb.page.title();
      assert.ok(title.includes(DEV_HOST_TITLE), `the window title "${title}" does not say ${DEV_HOST_TITLE}`);
    },
  };
}

/**
 * For suites whose steps build on each other: after a failed step the rest are skipped, and
 * the failure names a screenshot of the moment and the logs. Call inside `describe`.
 */
/**
 * Waits until the extension is up (its status bar item, which only `activate()` creates; a
 * fresh profile takes a while), checks that the build under test is the one running, and says
 * how long it took.
 */
export async function waitForExtension(
  ui: WorkbenchDriver,
  wb: Workbench,
  target: ExtensionUnderTest,
  run: { started: number; sandboxOrigin: string; resultsDir: string },
): Promise<void> {
  await ui.statusItem.waitFor({ state: 'visible', timeout: 120_000 });
  await target.verify(wb);
  console.log(`    (${describeVSCode(wb.vscode)}: workbench up, extension active after ${((Date.now() - run.started) / 1000).toFixed(1)} s; `
    + `${target.mode} mode; sandbox ${run.sandboxOrigin}; artifacts in ${path.relative(repoRoot, run.resultsDir)}/)`);
}

export function stopAtFirstFailure(workbench: () => Workbench | undefined, resultsDir: string): void {
  let failed = false;
  let failureShots = 0;

  beforeEach(function () {
    if (failed) this.skip();
  });

  afterEach(async function () {
    const test = this.currentTest;
    const wb = workbench();
    if (test?.state !== 'failed') return;
    failed = true;
    if (!wb) return;
    const slug = test.title.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 60).toLowerCase();
    const file = path.join(resultsDir, `FAILED-${++failureShots}-${slug || 'step'}.png`);
    const saved = await wb.screenshot(file).then(() => file, (error: Error) => `(no screenshot: ${error.message})`);
    if (test.err) {
      test.err.message += `\n      screenshot: ${saved}\n      logs: ${resultsDir} (code-server.log, browser.log, vscode-logs/)`;
    }
  });
}

/** The text files under `dir` (logs), for the secret check. */
export function textFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...textFilesUnder(full));
    else if (entry.isFile() && !entry.name.endsWith('.png')) found.push(full);
  }
  return found;
}
