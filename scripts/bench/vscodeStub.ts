/**
 * Just enough of the `vscode` module for the extension's render path (status bar, tree, badge,
 * rise notifier, request log) to run in plain Node, so that the CPU and heap figures include
 * the real formatting code. What VS Code does after an assignment (IPC to the workbench,
 * painting) is not here and not measured.
 */
import Module from 'node:module';

type Listener<T> = (value: T) => void;

class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class MarkdownString {
  isTrusted: unknown;
  supportThemeIcons: boolean;
  constructor(public value = '', supportThemeIcons = false) {
    this.supportThemeIcons = supportThemeIcons;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    // VS Code escapes Markdown in appended text.
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&').replace(/\n/g, '\n\n');
    return this;
  }
}

class ThemeColor {
  constructor(readonly id: string) {}
}

class ThemeIcon {
  constructor(readonly id: string) {}
}

class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  command?: unknown;
  accessibilityInformation?: unknown;
  constructor(
    public label: string,
    public collapsibleState = 0,
  ) {}
}

type L10nArgs = Array<string | number | boolean> | Record<string, unknown>;

/**
 * `vscode.l10n.t` without a bundle (English), in its three call forms: (message, ...args),
 * (message, {named}), and ({message, args, comment}); `{0}` or `{name}` placeholders.
 */
function t(first: string | { message: string; args?: L10nArgs; comment?: string | string[] }, ...rest: unknown[]): string {
  let message: string;
  let args: L10nArgs;
  if (typeof first === 'string') {
    message = first;
    const only = rest[0];
    args = rest.length === 1 && typeof only === 'object' && only !== null && !Array.isArray(only) ? (only as Record<string, unknown>) : (rest as L10nArgs);
  } else {
    message = first.message;
    args = first.args ?? [];
  }
  return message.replace(/\{([^}]+)\}/g, (match, name: string) => {
    const value = Array.isArray(args) ? args[Number(name)] : args[name];
    return value === undefined ? match : formatArg(value);
  });
}

/** An argument as the replacement text: primitives as `String()` makes them, anything else as JSON. */
function formatArg(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function statusBarItem() {
  return {
    name: '',
    text: '',
    tooltip: undefined as unknown,
    command: undefined as unknown,
    backgroundColor: undefined as unknown,
    accessibilityInformation: undefined as unknown,
    visible: false,
    show() {
      this.visible = true;
    },
    hide() {
      this.visible = false;
    },
    dispose() {},
  };
}

const windowState = new EventEmitter<{ focused: boolean }>();

export const vscodeStub = {
  EventEmitter,
  MarkdownString,
  ThemeColor,
  ThemeIcon,
  TreeItem,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  l10n: { t, bundle: undefined as Record<string, string> | undefined, uri: undefined },
  env: { language: 'en' },
  commands: { executeCommand: () => Promise.resolve(undefined) },
  window: {
    state: { focused: true },
    onDidChangeWindowState: windowState.event,
    createStatusBarItem: () => statusBarItem(),
    createTreeView: (_id: string, options: { treeDataProvider: unknown }) => ({
      badge: undefined as unknown,
      visible: true,
      provider: options.treeDataProvider,
      // A visible view whose rows nobody expands or collapses.
      onDidExpandElement: new EventEmitter<unknown>().event,
      onDidCollapseElement: new EventEmitter<unknown>().event,
      onDidChangeVisibility: new EventEmitter<unknown>().event,
      dispose() {},
    }),
    showInformationMessage: () => Promise.resolve(undefined),
  },
};

/** A LogOutputChannel that formats each line as VS Code's logger does and keeps the last one. */
export function stubLogChannel() {
  let last = '';
  const line = (level: string, message: string) => {
    last = `${new Date().toISOString().replace('T', ' ').slice(0, 23)} [${level}] ${message}`;
  };
  return {
    get lastLine() {
      return last;
    },
    info: (message: string) => line('info', message),
    warn: (message: string) => line('warning', message),
    error: (message: string) => line('error', message),
    debug: (message: string) => line('debug', message),
    trace: (message: string) => line('trace', message),
  };
}

let installed = false;

/** Makes `require('vscode')` return the stub. Call before requiring anything under src/ui. */
export function installVscodeStub(): void {
  if (installed) return;
  installed = true;
  const loader = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  loader._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeStub, children: [], paths: [] };
}
