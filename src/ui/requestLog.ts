/**
 * The "Bitrix24 Tasks" log: one line per request with its method, duration and outcome.
 * Entries come from the client, which never puts the secret into them.
 */
import * as vscode from 'vscode';
import { RequestLogEntry } from '../core/countersClient';

export function logRequest(channel: vscode.LogOutputChannel, entry: RequestLogEntry): void {
  const status = entry.status === undefined ? '' : ` HTTP ${entry.status}`;
  const line = `${entry.method} ${Math.round(entry.durationMs)} ms${status}`;
  if (entry.failure) {
    channel.warn(`${line} ${entry.failure.kind}: ${entry.failure.detail}`);
  } else {
    channel.info(`${line} ok`);
  }
}
