/**
 * No polling while the window has been unfocused for a while; on focus, polling resumes at
 * the time it was due (at once if the numbers are older than the interval).
 */
import * as vscode from 'vscode';

export interface Pausable {
  pause(): void;
  resume(): void;
}

/** Node runs a longer timeout after 1 ms: a long pause setting must not pause at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `delayMs` is read at each blur, so the setting applies without a reload; 0 = never pause. */
export function pauseWhileUnfocused(target: Pausable, delayMs: () => number): vscode.Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onFocusChange = (focused: boolean) => {
    clearTimeout(timer);
    timer = undefined;
    if (focused) {
      target.resume();
    } else {
      const delay = delayMs();
      if (delay > 0) timer = setTimeout(() => target.pause(), Math.min(MAX_TIMEOUT_MS, delay));
    }
  };
  if (!vscode.window.state.focused) onFocusChange(false);
  const subscription = vscode.window.onDidChangeWindowState((state) => onFocusChange(state.focused));
  return {
    dispose: () => {
      clearTimeout(timer);
      subscription.dispose();
    },
  };
}
