/**
 * The sidebar view: counters, the current role and group, the last error in plain words, and
 * a badge with what needs attention. "Overdue" and "New comments" expand into their tasks.
 * Renders `CountersSnapshot`; never calls the portal: an expanded row only tells the poller
 * which task lists to carry in its batch (`showTasks`).
 */
import * as vscode from 'vscode';
import { attentionCount, Role, ROLES, shownCounters } from '../core/counters';
import { CountersSnapshot, isStale, retryAt } from '../core/countersState';
import { isRetryable } from '../core/outcome';
import { isTaskListCounter, TaskListCounter } from '../core/taskList';
import { COMMANDS } from './commandIds';
import { OpenTasksIn } from './settings';
import { taskRows } from './taskRows';
import {
  age, counterIcon, counterLabel, counterList, counterPhrase, failureSentence, failureTitle, groupLabel, moreCounters, plural, roleLabel,
  timeOfDay,
} from './words';

export const VIEW_ID = 'bitrix24Tasks.counters';

/** A row of the view; "By role" has the roles as children, each role row knows its role. */
export class CountersNode extends vscode.TreeItem {
  children?: CountersNode[];
  /** On a role row: for "Open Task List in Browser" from its context menu. */
  role?: Role;
  /** On a counter row: its name; its tasks are its children when it can expand. */
  counter?: string;
}

export class CountersTreeProvider implements vscode.TreeDataProvider<vscode.TreeItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private items: CountersNode[] = [];
  private snapshot: CountersSnapshot | undefined;
  /** Each row handed out as a child, with its parent: `TreeView.reveal` climbs up through it. */
  private readonly parents = new WeakMap<vscode.TreeItem, vscode.TreeItem>();

  constructor(
    private readonly now: () => number = Date.now,
    /** A counter row's children were asked for: it is expanded. */
    private readonly onExpanded: (counter: TaskListCounter) => void = () => undefined,
    /** Where a task row opens its task (the setting, read at each render). */
    private readonly openTasksIn: () => OpenTasksIn = () => 'editor',
  ) {}

  render(snapshot: CountersSnapshot): void {
    this.snapshot = snapshot;
    this.items = snapshot.connection.kind === 'connected' ? buildItems(snapshot, this.now()) : [];
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: vscode.TreeItem): vscode.TreeItem {
    return item;
  }

  getChildren(parent?: vscode.TreeItem): vscode.TreeItem[] {
    if (!parent) return this.items;
    if (!(parent instanceof CountersNode)) return [];
    let children: vscode.TreeItem[] = parent.children ?? [];
    if (isTaskListCounter(parent.counter) && this.snapshot) {
      this.onExpanded(parent.counter);
      children = taskRows(parent.counter, this.snapshot, this.now(), this.openTasksIn());
    }
    for (const child of children) this.parents.set(child, parent);
    return children;
  }

  /** The row a row was listed under; undefined for a top-level row. */
  getParent(item: vscode.TreeItem): vscode.TreeItem | undefined {
    return this.parents.get(item);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** What the view needs of the poller: carry a task list while a row shows it; the release. */
export type ShowTasks = (counters: readonly TaskListCounter[]) => () => void;

/** The view and its badge, rendered together from one snapshot. */
export class CountersView implements vscode.Disposable {
  readonly provider: CountersTreeProvider;
  readonly treeView: vscode.TreeView<vscode.TreeItem>;
  /** Expanded counter rows of a visible view, each with the release of its task list. */
  private readonly shown = new Map<TaskListCounter, () => void>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    now: () => number = Date.now,
    private readonly showTasks: ShowTasks = () => () => undefined,
    openTasksIn: () => OpenTasksIn = () => 'editor',
  ) {
    this.provider = new CountersTreeProvider(now, (counter) => this.show(counter), openTasksIn);
    this.treeView = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this.provider });
    this.subscriptions = [
      // Expanded again before the tree refreshed, a row shows the children the workbench kept:
      // it does not ask for them again, so its list is asked for here.
      this.treeView.onDidExpandElement(({ element }) => {
        if (element instanceof CountersNode && isTaskListCounter(element.counter)) this.show(element.counter);
      }),
      this.treeView.onDidCollapseElement(({ element }) => {
        if (element instanceof CountersNode && isTaskListCounter(element.counter)) this.hide(element.counter);
      }),
      this.treeView.onDidChangeVisibility(({ visible }) => {
        // A hidden view asks for nothing; shown again, its expanded rows ask for their children.
        if (visible) this.provider.refresh();
        else this.hideAll();
      }),
    ];
  }

  render(snapshot: CountersSnapshot): void {
    if (snapshot.connection.kind !== 'connected') this.hideAll();
    for (const counter of this.shown.keys()) {
      if (!canExpand(snapshot, counter)) this.hide(counter);
    }
    this.provider.render(snapshot);
    const attention = snapshot.counters ? attentionCount(snapshot.counters) : 0;
    this.treeView.badge =
      attention > 0
        ? {
            value: attention,
            tooltip: plural(attention, {
              one: '{0} needs attention (overdue and new comments)',
              other: '{0} need attention (overdue and new comments)',
            }),
          }
        : undefined;
  }

  dispose(): void {
    this.hideAll();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.treeView.dispose();
    this.provider.dispose();
  }

  private show(counter: TaskListCounter): void {
    if (this.treeView.visible && !this.shown.has(counter)) this.shown.set(counter, this.showTasks([counter]));
  }

  private hide(counter: TaskListCounter): void {
    this.shown.get(counter)?.();
    this.shown.delete(counter);
  }

  private hideAll(): void {
    for (const counter of [...this.shown.keys()]) this.hide(counter);
  }
}

/**
 * A counter row expands into its tasks while it counts some and the portal has not refused
 * the list outright; otherwise a click opens the list in the browser, as for any counter.
 */
function canExpand(snapshot: CountersSnapshot, counter: string): counter is TaskListCounter {
  if (!isTaskListCounter(counter) || !(snapshot.counters?.counters.some((c) => c.name === counter && c.count > 0) ?? false)) {
    return false;
  }
  const list = snapshot.taskLists?.[counter];
  return list === undefined || list.ok || isRetryable(list.error);
}

function buildItems(snapshot: CountersSnapshot, now: number): CountersNode[] {
  const items: CountersNode[] = [];
  if (snapshot.error) {
    items.push(errorItem(snapshot));
  }
  const { counters } = snapshot;
  if (counters?.visible) {
    // After a failed update the numbers are the last good ones: say from when.
    const asOf = isStale(snapshot) && snapshot.updatedAt !== undefined ? timeOfDay(snapshot.updatedAt) : undefined;
    const { shown, more } = shownCounters(counters.counters);
    for (const counter of shown) {
      const expandable = canExpand(snapshot, counter.name);
      const item = new CountersNode(
        counterLabel(counter.name),
        expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
      );
      item.id = `counter:${counter.name}`;
      item.counter = counter.name;
      item.description = asOf ? vscode.l10n.t('{0} (as of {1})', counter.count, asOf) : String(counter.count);
      item.iconPath = new vscode.ThemeIcon(counterIcon(counter.name));
      item.tooltip = counterPhrase(counter.name, counter.count);
      item.accessibilityInformation = { label: counterPhrase(counter.name, counter.count) };
      item.contextValue = expandable ? 'counter.expandable' : 'counter';
      // An expandable row opens on a click; its inline button opens the list in the browser.
      if (!expandable) {
        item.command = {
          command: COMMANDS.openTaskList,
          title: vscode.l10n.t('Open Task List in Browser'),
          arguments: [counter.name],
        };
      }
      items.push(item);
    }
    if (more > 0) {
      const item = new CountersNode(moreCounters(more));
      item.id = 'counters:more';
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      items.push(item);
    }
  } else if (counters) {
    const item = new CountersNode(vscode.l10n.t('No counters visible'));
    item.id = 'counters:none';
    item.iconPath = new vscode.ThemeIcon('circle-slash');
    item.tooltip = vscode.l10n.t(
      'Bitrix24 shows no counters for this user and role: the user may not exist or may not be visible to you.',
    );
    items.push(item);
  } else if (!snapshot.error) {
    const item = new CountersNode(vscode.l10n.t('Loading…'));
    item.id = 'counters:loading';
    item.iconPath = new vscode.ThemeIcon('loading~spin');
    items.push(item);
  }
  items.push(filterItem('filter:role', vscode.l10n.t('Role'), roleLabel(snapshot.filters.role), 'person', COMMANDS.selectRole));
  items.push(
    filterItem(
      'filter:group',
      vscode.l10n.t('Group'),
      groupLabel(snapshot.filters.groupId, snapshot.groupName),
      'organization',
      COMMANDS.selectGroup,
    ),
  );
  if (snapshot.byRole) {
    items.push(byRoleItem(snapshot));
  }
  if (snapshot.updatedAt !== undefined) {
    const item = new CountersNode(vscode.l10n.t('Updated {0}', timeOfDay(snapshot.updatedAt)));
    item.id = 'updated';
    item.description = age(snapshot.updatedAt, now);
    item.iconPath = new vscode.ThemeIcon('history');
    items.push(item);
  }
  return items;
}

/** Every role's counters, from the same batch as the rest: click to switch to that role. */
function byRoleItem(snapshot: CountersSnapshot): CountersNode {
  const node = new CountersNode(vscode.l10n.t('By role'), vscode.TreeItemCollapsibleState.Collapsed);
  node.id = 'byRole';
  node.iconPath = new vscode.ThemeIcon('list-tree');
  node.children = ROLES.map((role) => {
    const outcome = snapshot.byRole![role];
    const item = new CountersNode(roleLabel(role));
    item.id = `role:${role}`;
    item.role = role;
    item.iconPath = new vscode.ThemeIcon(role === snapshot.filters.role ? 'check' : 'person');
    item.description = outcome.ok
      ? counterList(outcome.value.counters, (c) => `${counterLabel(c.name)} ${c.count}`).join(' · ')
      : failureSentence(outcome.error);
    item.tooltip = outcome.ok
      ? `${roleLabel(role)}: ${counterList(outcome.value.counters, (c) => counterPhrase(c.name, c.count)).join(', ')}`
      : failureSentence(outcome.error);
    item.contextValue = 'role';
    item.command = { command: COMMANDS.selectRole, title: vscode.l10n.t('Switch Role'), arguments: [role] };
    return item;
  });
  return node;
}

function filterItem(id: string, label: string, value: string, icon: string, command: string): CountersNode {
  const item = new CountersNode(label);
  item.id = id;
  item.description = value;
  item.iconPath = new vscode.ThemeIcon(icon);
  item.tooltip = `${label}: ${value}`;
  item.contextValue = 'filter';
  item.command = { command, title: label };
  return item;
}

function errorItem(snapshot: CountersSnapshot): CountersNode {
  const failure = snapshot.error!.failure;
  const item = new CountersNode(failureTitle(failure));
  item.id = 'error';
  item.iconPath = new vscode.ThemeIcon(failure.kind === 'auth' ? 'error' : 'warning');
  const retry = retryAt(snapshot);
  if (retry !== undefined) {
    item.description = vscode.l10n.t('Retrying at {0}', timeOfDay(retry));
  } else {
    item.description = failure.kind === 'auth' ? vscode.l10n.t('Click to reconnect') : vscode.l10n.t('Click to retry');
  }
  item.tooltip = `${failureSentence(failure)}\n\n${vscode.l10n.t('Details: {0}', failure.detail)}`;
  item.contextValue = 'error';
  item.command =
    failure.kind === 'auth'
      ? { command: COMMANDS.connect, title: vscode.l10n.t('Reconnect') }
      : { command: COMMANDS.refresh, title: vscode.l10n.t('Refresh') };
  return item;
}
