/**
 * No polling while the window has been unfocused for a while; on focus, polling resumes at
 * the time it was due (at once if the numbers are older than the interval).
 */
import * as vscode from 'vscode';

export interface Pausable {
  pause(): void;
  resume(): void;
}

/** `delayMs` is read at each blur, so the setting applies without a reload; 0 = never pause. */
export function pauseWhileUnfocused(target: Pausable, delayMs: () => number): vscode.Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onFocusChange = (focused: boolean) => {
    clearTimeout(timer);
    timer = undefined;
    if (focused) {
      target.resume();
    } else if (delayMs() > 0) {
      timer = setTimeout(() => target.pause(), delayMs());
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
