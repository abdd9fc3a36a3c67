/**
 * Settings are the source of truth for filters and timing: read through `readSettings`
 * only, written by the switch commands, and edited by hand with immediate effect.
 */
import * as vscode from 'vscode';
import { isRole } from '../core/counters';
import { Filters } from '../core/countersState';

export const SECTION = 'bitrix24Tasks';

export interface Settings {
  readonly filters: Filters;
  readonly pollIntervalMs: number;
  /** How long a window may be unfocused before it stops polling; 0 = never. */
  readonly pauseWhenUnfocusedMs: number;
}

export const MIN_POLL_INTERVAL_SECONDS = 15;

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const role = config.get<unknown>('role');
  return {
    filters: {
      role: isRole(role) ? role : 'view_all',
      groupId: nonNegativeInteger(config.get('groupId')),
      userId: nonNegativeInteger(config.get('userId')),
    },
    pollIntervalMs: Math.max(MIN_POLL_INTERVAL_SECONDS, nonNegativeInteger(config.get('pollIntervalSeconds'), 60)) * 1000,
    pauseWhenUnfocusedMs: nonNegativeInteger(config.get('pauseWhenUnfocusedMinutes'), 5) * 60_000,
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

/** A hand-edited settings.json can hold anything: fall back rather than fail. */
function nonNegativeInteger(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}
