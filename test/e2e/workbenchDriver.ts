/**
 * What a user does in the VS Code workbench, for Playwright: the command palette, quick picks,
 * the status bar item, the "Bitrix24 Tasks" view, the open-external dialog, and screenshots.
 * Everything waits for elements; nothing sleeps a fixed time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Locator, Page, Request, Route } from 'playwright-core';
import { statusBarItem } from '../launch/headless';

// Browser globals for the functions that run in the page (the project compiles without the
// DOM lib; these declarations stay local to this module).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
type PageElement = any;

export const EXTENSION_ID = 'b24tools.bitrix24-task-counters';
export const STATUS_ITEM_ID = 'bitrix24Tasks.status';
/** The activity-bar entry of the `bitrix24Tasks` view container. */
const CONTAINER_ACTION = 'a.action-label[class*="activity-workbench-view-extension-bitrix24Tasks-"]';

/** Default wait for one UI reaction (both are local; generous for a loaded 2-CPU machine). */
export const UI_TIMEOUT_MS = 30_000;

export class WorkbenchDriver {
  constructor(readonly page: Page) {}

  // --- The status bar ----------------------------------------------------------------------

  get statusItem(): Locator {
    return statusBarItem(this.page, EXTENSION_ID, STATUS_ITEM_ID);
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
      has: this.page.locator('.pane-header', { hasText: /counters/i }),
    }).first();
  }

  get sidebar(): Locator {
    return this.page.locator('.part.sidebar');
  }

  /** Opens the container from the activity bar (the badge covers the icon: force the click). */
  async openCountersView(): Promise<void> {
    const title = this.sidebar.locator('.composite.title', { hasText: /bitrix24 tasks/i });
    if (await title.isVisible()) return;
    await this.containerAction.click({ force: true, timeout: UI_TIMEOUT_MS });
    await title.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
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

  /** The first tree row whose label (not description) is exactly `label`. */
  treeRow(label: string): Locator {
    const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
    return this.treeRows.filter({ has: this.page.locator('.label-name', { hasText: exact }) }).first();
  }

  /** The welcome view's "Connect Webhook" button (shown while disconnected). */
  get welcomeConnectButton(): Locator {
    return this.countersPane.locator('.welcome-view-content .monaco-button', { hasText: 'Connect Webhook' });
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

  /**
   * A PNG of the page clipped to the union of `boxes` plus `padding` CSS pixels, kept inside
   * `within` (default: the viewport).
   */
  async screenshotOf(file: string, boxes: Box[], padding = 0, within?: Box): Promise<string> {
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
