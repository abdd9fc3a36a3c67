/**
 * Localization in a real VS Code: the manifest's %keys% resolved by VS Code itself, the code's
 * bundle loaded for the display language, and counts in words with that language's plurals.
 *
 * The suite normally runs in English, where this checks that English plurals follow English
 * rules (21 → "21 new comments", where Russian rules would pick the "one" form) and that no
 * placeholder leaks; launched with `startWorkbench({ locale: 'ru' })` the same tests check the
 * Russian texts. Any other display language is skipped.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import { countOf } from '../../src/core/counters';
import type { CountersSnapshot } from '../../src/core/countersState';
import { SandboxPortal } from '../sandbox';
import { extensionUnderTest, testHandles, waitForState } from './support';

interface Expected {
  readonly refreshTitle: string;
  readonly category: string;
  readonly viewName: string;
  /** Whether VS Code loads a bundle from l10n/ for this language. */
  readonly bundle: boolean;
  readonly allMyTasks: string;
  readonly overdueLabel: string;
  /** The status bar's accessible label and the badge tooltip for (overdue, new comments). */
  readonly words: ReadonlyArray<{ overdue: number; comments: number; label: string; badge: string }>;
}

const EXPECTED: Readonly<Record<string, Expected>> = {
  en: {
    refreshTitle: 'Refresh Counters',
    category: 'Bitrix24',
    viewName: 'Counters',
    bundle: false,
    allMyTasks: 'All my tasks',
    overdueLabel: 'Overdue',
    words: [
      { overdue: 1, comments: 1, label: 'Bitrix24, 1 overdue, 1 new comment', badge: '2 need attention (overdue and new comments)' },
      { overdue: 0, comments: 1, label: 'Bitrix24, 0 overdue, 1 new comment', badge: '1 needs attention (overdue and new comments)' },
      { overdue: 21, comments: 22, label: 'Bitrix24, 21 overdue, 22 new comments', badge: '43 need attention (overdue and new comments)' },
    ],
  },
  ru: {
    refreshTitle: 'Обновить счетчики',
    category: 'Битрикс24',
    viewName: 'Счетчики',
    bundle: true,
    allMyTasks: 'Все мои задачи',
    overdueLabel: 'Просрочено',
    words: [
      {
        overdue: 1,
        comments: 1,
        label: 'Битрикс24, 1 задача просрочена, 1 новый комментарий',
        badge: '2 задачи требуют внимания (просроченные и с новыми комментариями)',
      },
      {
        overdue: 0,
        comments: 1,
        label: 'Битрикс24, 0 задач просрочено, 1 новый комментарий',
        badge: '1 задача требует внимания (просроченные и с новыми комментариями)',
      },
      {
        overdue: 21,
        comments: 22,
        label: 'Битрикс24, 21 задача просрочена, 22 новых комментария',
        badge: '43 задачи требуют внимания (просроченные и с новыми комментариями)',
      },
    ],
  },
};

/** Every string in the manifest VS Code handed to the extension host, with its JSON path. */
function manifestStrings(value: unknown, at = '$'): Array<{ at: string; text: string }> {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => manifestStrings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => manifestStrings(v, `${at}.${k}`));
  return [];
}

describe('Localization in VS Code', function () {
  const expected = EXPECTED[vscode.env.language];
  let extension: vscode.Extension<Bitrix24TasksApi>;
  let api: Bitrix24TasksApi;
  let portal: SandboxPortal | undefined;

  function waitFor(predicate: (s: CountersSnapshot) => boolean, what: string, timeoutMs?: number): Promise<CountersSnapshot> {
    return waitForState(api, predicate, what, timeoutMs);
  }

  before(async function () {
    if (!expected) this.skip();
    extension = extensionUnderTest();
    api = testHandles(await extension.activate());
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    await portal?.close();
    portal = undefined;
  });

  it(`resolves every %key% of the manifest (display language: ${vscode.env.language})`, () => {
    const unresolved = manifestStrings(extension.packageJSON).filter(({ text }) => /^%[^%\s]+%$/.test(text));
    assert.deepEqual(unresolved.map(({ at, text }) => `${at}: ${text}`), []);
    // In a translated language VS Code makes command titles { value, original } (the palette
    // matches both).
    type Title = string | { value: string; original: string };
    const shown = (title: Title | undefined) => (typeof title === 'object' ? title.value : title);
    const pkg = extension.packageJSON as {
      contributes: { commands: Array<{ command: string; title: Title; category: Title }>; views: Record<string, Array<{ name: string }>> };
    };
    const refresh = pkg.contributes.commands.find((c) => c.command === 'bitrix24Tasks.refresh');
    assert.equal(shown(refresh?.title), expected.refreshTitle);
    assert.equal(shown(refresh?.category), expected.category);
    if (typeof refresh?.title === 'object') assert.equal(refresh.title.original, 'Refresh Counters');
    assert.equal(pkg.contributes.views.bitrix24Tasks[0].name, expected.viewName);
  });

  it('loads the l10n bundle only for a translated language', () => {
    // Test modules under the extension's folder get the extension's own `vscode.l10n`.
    assert.equal(vscode.l10n.bundle !== undefined, expected.bundle, `bundle: ${vscode.l10n.uri?.toString()}`);
  });

  it("counts in words with the display language's plurals", async () => {
    portal = await SandboxPortal.start();
    const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', portal.webhookUrl(1));
    assert.equal(ok, true, 'connect reported failure');
    for (const { overdue, comments, label, badge } of expected.words) {
      portal.setCounters(1, { expired: overdue, new_comments: comments });
      await vscode.commands.executeCommand('bitrix24Tasks.refresh');
      await waitFor(
        (s) => s.counters !== undefined && countOf(s.counters, 'expired') === overdue && countOf(s.counters, 'new_comments') === comments,
        `${overdue} overdue and ${comments} new comments`,
      );
      assert.equal(api.statusBar.item.accessibilityInformation?.label, label);
      assert.equal(api.view.treeView.badge?.tooltip, badge);
    }
    const rows = api.view.provider.getChildren();
    assert.equal(rows.find((r) => r.id === 'filter:role')?.description, expected.allMyTasks);
    assert.equal(rows.find((r) => r.id === 'counter:expired')?.label, expected.overdueLabel);
  });
});
