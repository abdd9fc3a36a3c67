/**
 * The status bar glance: the counters, a tooltip with the details and actions, one click to
 * act. Renders `CountersSnapshot`; never calls the portal.
 */
import * as vscode from 'vscode';
import { CounterSet, countOf, shownCounters } from '../core/counters';
import { CountersSnapshot, isStale, retryAt } from '../core/countersState';
import { markdownText } from '../core/portalText';
import { COMMANDS } from './commandIds';
import { onChoice } from './notifier';
import { StatusBarSettings } from './settings';
import {
  age, counterIcon, counterLabel, counterPhrase, failureSentence, failureShort, groupLabel, moreCounters, roleLabel, timeOfDay,
} from './words';

export const STATUS_ITEM_ID = 'bitrix24Tasks.status';

export class CountersStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private last: CountersSnapshot | undefined;

  constructor(
    private options: StatusBarSettings,
    private readonly now: () => number = Date.now,
  ) {
    const alignment = options.alignment === 'right' ? vscode.StatusBarAlignment.Right : vscode.StatusBarAlignment.Left;
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, alignment, options.priority);
    this.item.name = vscode.l10n.t('Bitrix24 Task Counters');
  }

  /**
   * Alignment and priority are fixed when an item is created, and VS Code gives a re-created
   * item with the same id its old place back: moving it takes a reload, which we offer.
   */
  configure(options: StatusBarSettings): void {
    const moved = options.alignment !== this.options.alignment || options.priority !== this.options.priority;
    this.options = { ...options, alignment: this.options.alignment, priority: this.options.priority };
    if (moved) {
      const reload = vscode.l10n.t('Reload Window');
      onChoice(vscode.window.showInformationMessage(vscode.l10n.t('The Bitrix24 status bar item moves after a reload.'), reload), () =>
        vscode.commands.executeCommand('workbench.action.reloadWindow'),
      );
    }
    if (this.last) this.render(this.last);
  }

  render(snapshot: CountersSnapshot): void {
    this.last = snapshot;
    const item = this.item;
    item.backgroundColor = undefined;
    if (snapshot.connection.kind === 'disconnected') {
      item.text = `$(plug) ${vscode.l10n.t('Bitrix24')}`;
      item.tooltip = vscode.l10n.t('Bitrix24 Task Counters: not connected. Click to connect a webhook.');
      item.accessibilityInformation = { label: vscode.l10n.t('Bitrix24: not connected, click to connect') };
      item.command = COMMANDS.connect;
      item.show();
    } else {
      this.renderConnected(snapshot);
    }
  }

  private renderConnected(snapshot: CountersSnapshot): void {
    const item = this.item;
    const { counters, error } = snapshot;
    const glance = counters ? glanceParts(counters, this.options.counters) : undefined;
    if (error) {
      item.text = glance
        ? `$(warning) ${glance.text}`
        : `$(warning) ${vscode.l10n.t('Bitrix24: {0}', failureShort(error.failure))}`;
      item.backgroundColor = new vscode.ThemeColor(
        error.failure.kind === 'auth' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground',
      );
    } else if (glance) {
      item.text = glance.text;
      if (countOf(counters!, 'expired') > 0) {
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      }
    } else {
      item.text = `$(loading~spin) ${vscode.l10n.t('Bitrix24')}`;
    }
    const label = [
      vscode.l10n.t('Bitrix24'),
      glance?.words ?? (snapshot.loading ? vscode.l10n.t('loading') : ''),
      error ? failureShort(error.failure) : '',
    ].filter(Boolean);
    item.accessibilityInformation = { label: label.join(', ') };
    item.tooltip = tooltip(snapshot, this.now());
    item.command = error?.failure.kind === 'auth' ? COMMANDS.connect : COMMANDS.openTaskList;
    if (this.options.hideWhenZero && !error && glance?.allZero) item.hide();
    else item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** `$(flame) 2 $(comment-discussion) 5` and "2 overdue, 5 new comments", for the chosen counters. */
function glanceParts(set: CounterSet, names: readonly string[]): { text: string; words: string; allZero: boolean } {
  if (!set.visible) {
    return { text: `$(circle-slash) ${vscode.l10n.t('Bitrix24')}`, words: vscode.l10n.t('no counters visible'), allZero: false };
  }
  const shown = names.flatMap((name) => set.counters.filter((c) => c.name === name));
  if (shown.length === 0) {
    return { text: `$(tasklist) ${vscode.l10n.t('Bitrix24')}`, words: '', allZero: true };
  }
  return {
    text: shown.map((c) => `$(${counterIcon(c.name)}) ${c.count}`).join(' '),
    words: shown.map((c) => counterPhrase(c.name, c.count)).join(', '),
    allZero: shown.every((c) => c.count === 0),
  };
}

function tooltip(snapshot: CountersSnapshot, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: Object.values(COMMANDS) };
  md.supportThemeIcons = true;
  const { connection, counters, error, filters } = snapshot;
  if (connection.kind !== 'connected') return md;
  md.appendMarkdown(`**${vscode.l10n.t('Bitrix24 Task Counters')}**\n\n`);
  if (counters?.visible) {
    const { shown, more } = shownCounters(counters.counters);
    for (const c of shown) {
      md.appendMarkdown(`$(${counterIcon(c.name)}) ${markdownText(counterLabel(c.name))}: **${c.count}**  \n`);
    }
    if (more > 0) md.appendMarkdown(`${markdownText(moreCounters(more))}  \n`);
  } else if (counters) {
    md.appendMarkdown(`${markdownText(vscode.l10n.t('No counters are visible for this user and role.'))}\n`);
  } else if (!error) {
    md.appendMarkdown(`$(loading~spin) ${markdownText(vscode.l10n.t('Loading…'))}\n`);
  }
  if (error) {
    md.appendMarkdown(`\n---\n\n$(warning) ${markdownText(failureSentence(error.failure))}  \n`);
    md.appendMarkdown(`_${markdownText(vscode.l10n.t('Details: {0}', error.failure.detail))}_  \n`);
    const retry = retryAt(snapshot);
    if (retry !== undefined) {
      md.appendMarkdown(`${markdownText(vscode.l10n.t('Retrying at {0}.', timeOfDay(retry)))}  \n`);
    }
    if (error.failure.kind === 'auth') {
      md.appendMarkdown(`[$(plug) ${markdownText(vscode.l10n.t('Reconnect'))}](command:${COMMANDS.connect})  \n`);
    }
  }
  md.appendMarkdown('\n---\n\n');
  md.appendMarkdown(`${markdownText(vscode.l10n.t('Role'))}: ${markdownText(roleLabel(filters.role))}  \n`);
  md.appendMarkdown(`${markdownText(vscode.l10n.t('Group'))}: ${markdownText(groupLabel(filters.groupId, snapshot.groupName))}  \n`);
  const user = snapshot.user ? `${snapshot.user.name}` : `#${connection.webhookUserId}`;
  const userLine = filters.userId > 0 ? vscode.l10n.t('{0}, viewing user #{1}', user, filters.userId) : user;
  md.appendMarkdown(`${markdownText(vscode.l10n.t('User'))}: ${markdownText(userLine)}  \n`);
  const portal = connection.source === 'environment'
    ? vscode.l10n.t('{0} (from environment)', connection.portal)
    : connection.portal;
  md.appendMarkdown(`${markdownText(vscode.l10n.t('Portal'))}: ${markdownText(portal)}  \n`);
  if (snapshot.updatedAt !== undefined) {
    const updated = vscode.l10n.t('Updated {0} ({1})', timeOfDay(snapshot.updatedAt), age(snapshot.updatedAt, now));
    md.appendMarkdown(`${markdownText(updated)}${isStale(snapshot) ? ` — ${markdownText(vscode.l10n.t('the last update failed'))}` : ''}  \n`);
  }
  md.appendMarkdown('\n---\n\n');
  md.appendMarkdown(
    [
      `[$(refresh) ${markdownText(vscode.l10n.t('Refresh'))}](command:${COMMANDS.refresh})`,
      `[$(person) ${markdownText(vscode.l10n.t('Switch Role'))}](command:${COMMANDS.selectRole})`,
      `[$(organization) ${markdownText(vscode.l10n.t('Switch Group'))}](command:${COMMANDS.selectGroup})`,
      `[$(link-external) ${markdownText(vscode.l10n.t('Open Task List'))}](command:${COMMANDS.openTaskList})`,
    ].join(' · '),
  );
  return md;
}
