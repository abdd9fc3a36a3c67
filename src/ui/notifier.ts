/**
 * Opt-in notifications when the overdue or new-comments count rises: at most one per poll,
 * never while the window is unfocused (the latest waits for focus), and "Don't Show Again"
 * turns the setting off.
 */
import * as vscode from 'vscode';
import { Rise, RiseWatch } from '../core/counterRise';
import { CountersState } from '../core/countersState';
import { inert } from '../core/portalText';
import { COMMANDS } from './commandIds';
import { SECTION } from './settings';
import { counterPhrase } from './words';

export const NOTIFY_SETTING = 'notifyOnIncrease';

export class RiseNotifier implements vscode.Disposable {
  private readonly watch = new RiseWatch();
  private pending: Rise[] | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(state: CountersState, private readonly enabled: () => boolean) {
    const unsubscribe = state.subscribe((snapshot) => {
      const rises = this.watch.observe(snapshot);
      if (rises.length > 0 && this.enabled()) this.notify(rises);
    });
    this.subscriptions.push(
      { dispose: unsubscribe },
      vscode.window.onDidChangeWindowState((window) => {
        if (window.focused && this.pending) this.notify(this.pending);
      }),
    );
  }

  private notify(rises: Rise[]): void {
    if (!vscode.window.state.focused) {
      // Unfocused for several polls: one notification on focus, with the latest counts.
      const merged = new Map((this.pending ?? []).map((r) => [r.name, r]));
      for (const rise of rises) merged.set(rise.name, { ...rise, from: merged.get(rise.name)?.from ?? rise.from });
      this.pending = [...merged.values()];
      return;
    }
    this.pending = undefined;
    const open = vscode.l10n.t('Open Task List');
    const never = vscode.l10n.t("Don't Show Again");
    const what = rises.map((r) => counterPhrase(r.name, r.to)).join(', ');
    onChoice(vscode.window.showInformationMessage(vscode.l10n.t('Bitrix24: now {0}.', what), open, never), (choice) =>
      choice === open
        ? vscode.commands.executeCommand(COMMANDS.openTaskList, rises.length === 1 ? rises[0].name : undefined)
        : vscode.workspace.getConfiguration(SECTION).update(NOTIFY_SETTING, false, vscode.ConfigurationTarget.Global),
    );
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/**
 * Runs what the button chosen on a notification asks for. That can fail (a settings file with
 * unsaved changes refuses the write, a command throws): the failure is shown, not left as an
 * unhandled rejection.
 */
export function onChoice(shown: Thenable<string | undefined>, run: (choice: string) => unknown): void {
  void Promise.resolve(shown)
    .then((choice) => (choice === undefined ? undefined : run(choice)))
    .catch((error: unknown) =>
      vscode.window.showErrorMessage(vscode.l10n.t('Bitrix24: {0}', inert(error instanceof Error ? error.message : String(error)))),
    );
}
