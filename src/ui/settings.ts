/**
 * Settings are the source of truth for filters and timing: read through `readSettings`
 * only, written by the switch commands, and edited by hand with immediate effect.
 */
import * as vscode from 'vscode';
import { DEFAULT_BRANCH_TEMPLATE, DEFAULT_COMMIT_TEMPLATE, DEFAULT_TASK_ID_PATTERN } from '../core/branchName';
import { isRole } from '../core/counters';
import { Filters } from '../core/countersState';
import { DEFAULT_INTERVAL_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../core/pollScheduler';

export const SECTION = 'bitrix24Tasks';

export type StatusBarAlignment = 'left' | 'right';

export interface StatusBarSettings {
  /** Counter names to show, in this order (each when the portal sends it). */
  readonly counters: readonly string[];
  readonly hideWhenZero: boolean;
  readonly alignment: StatusBarAlignment;
  readonly priority: number;
}

/** Where a task opens from the tree and Go to Task: its tab in the editor, or its page in the browser. */
export type OpenTasksIn = 'editor' | 'browser';

/** Where Start Work branches from: the current branch, or the repository's default (`main`, `master`). */
export type BranchBase = 'current' | 'default';

/** Tasks and git branches: Start Work, the branch's task, the commit box. */
export interface BranchSettings {
  /** `task/{id}-{title}`; checked by `branchName` before git is asked. */
  readonly template: string;
  /** Offered in a pick for `{prefix}` when not empty. */
  readonly prefixes: readonly string[];
  readonly base: BranchBase;
  /** A regular expression as the user wrote it; `TaskIdPattern.parse` refuses a bad one. */
  readonly taskIdPattern: string;
  /** The commit box's prefix, `#{id} `; empty: none. */
  readonly commitTemplate: string;
  /** Start Work also starts the task (when Bitrix24 allows it), and its timer. */
  readonly startTask: boolean;
  readonly startTimer: boolean;
}

export interface Settings {
  readonly filters: Filters;
  readonly pollIntervalMs: number;
  /** How long a window may be unfocused before it stops polling; 0 = never. */
  readonly pauseWhenUnfocusedMs: number;
  readonly notifyOnIncrease: boolean;
  readonly statusBar: StatusBarSettings;
  readonly openTasksIn: OpenTasksIn;
  /** The task tab offers no action and does not mark comments read (for people who share a webhook). */
  readonly readOnly: boolean;
  readonly branches: BranchSettings;
}

export const DEFAULT_STATUS_BAR_COUNTERS = ['expired', 'new_comments', 'mentioned'];

/** The schema's `maximum` for pauseWhenUnfocusedMinutes: a day. */
const MAX_PAUSE_MINUTES = 1440;

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const role = config.get<unknown>('role');
  return {
    filters: {
      role: isRole(role) ? role : 'view_all',
      groupId: nonNegativeInteger(config.get('groupId')),
      userId: nonNegativeInteger(config.get('userId')),
    },
    pollIntervalMs:
      numberIn(config.get('pollIntervalSeconds'), MIN_INTERVAL_MS / 1000, MAX_INTERVAL_MS / 1000, DEFAULT_INTERVAL_MS / 1000) * 1000,
    pauseWhenUnfocusedMs: numberIn(config.get('pauseWhenUnfocusedMinutes'), 0, MAX_PAUSE_MINUTES, 5) * 60_000,
    notifyOnIncrease: config.get('notifyOnIncrease') === true,
    statusBar: {
      counters: stringList(config.get('statusBar.counters')) ?? DEFAULT_STATUS_BAR_COUNTERS,
      hideWhenZero: config.get('statusBar.hideWhenZero') === true,
      alignment: config.get('statusBar.alignment') === 'right' ? 'right' : 'left',
      priority: finiteNumber(config.get('statusBar.priority')),
    },
    openTasksIn: config.get('openTasksIn') === 'browser' ? 'browser' : 'editor',
    readOnly: config.get('readOnly') === true,
    branches: {
      template: text(config.get('branch.template'), DEFAULT_BRANCH_TEMPLATE),
      prefixes: (stringList(config.get('branch.prefixes')) ?? []).filter((prefix) => prefix.trim() !== ''),
      base: config.get('branch.base') === 'default' ? 'default' : 'current',
      taskIdPattern: text(config.get('branch.taskIdPattern'), DEFAULT_TASK_ID_PATTERN),
      commitTemplate: typeof config.get('commit.template') === 'string' ? config.get<string>('commit.template', '') : DEFAULT_COMMIT_TEMPLATE,
      startTask: config.get('startWork.startTask') !== false,
      startTimer: config.get('startWork.startTimer') === true,
    },
  };
}

/**
 * Writes a filter where it belongs: the workspace when a folder is open (a repository tied to
 * its Bitrix24 project), the user's settings otherwise.
 */
export async function writeFilter(key: 'role' | 'groupId', value: string | number): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update(key, value, target);
}

export function onDidChangeSettings(listener: (settings: Settings) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(SECTION)) {
      listener(readSettings());
    }
  });
}

/** A hand-edited settings.json can hold anything (1e20 too, not an id): fall back rather than fail. */
function nonNegativeInteger(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

/** The schema's bounds cannot stop a hand-edited 3000000 or -5: the nearest bound; not a number: the default. */
function numberIn(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && !Number.isNaN(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** A string setting; an empty or missing one is the default. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value : fallback;
}

function finiteNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
