/**
 * The extension in a Russian VS Code, end to end through the real workbench UI: code-server
 * started with `--locale ru` (the harness writes a languagepacks.json, so VS Code loads the
 * extension's package.nls.ru.json and l10n/bundle.l10n.ru.json; VS Code's own words stay
 * English), the webhook of a plain-HTTP sandbox portal in BITRIX24_WEBHOOK_URL (the extension
 * connects from the environment, nothing is typed). Checks the status bar item, its tooltip,
 * the "Задачи Битрикс24" container, its tree and badge, the role picker, Russian plurals
 * (1 задача просрочена, 2 задачи просрочены, 5 новых комментариев …), and that the secret is
 * never shown.
 *
 *   npm run compile && npx tsc -p . && npx mocha out/test/e2e/russian.test.js
 *   npm run package && B24_E2E_VSIX=$PWD/bitrix24-task-counters-0.1.0.vsix npx mocha out/test/e2e/russian.test.js
 *
 * Artifacts go to test-results/e2e/ru/; the README screenshots
 * media/screenshots/{status-bar,tree}.ru.png are written when missing or when
 * B24_UPDATE_SCREENSHOTS=1.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startWorkbench, type Workbench } from '../launch/headless';
import { DEFAULT_COUNTERS, DEFAULT_USERS, SandboxPortal } from '../sandbox';
import {
  copyToReadme, extensionUnderTest, freshResultsDir, RESULTS_ROOT, RUSSIAN_WORDS, stopAtFirstFailure,
  textFilesUnder, WorkbenchDriver, waitForExtension } from './workbenchDriver';

const SECRET = 'sandboxsecret0001';
const RESULTS_DIR = path.join(RESULTS_ROOT, 'ru');
/** How long ago the counters came, in words ("только что" unless the machine is very slow). */
const AGE = '(?:только что|\\d+ минут[уы]? назад)';

describe('Bitrix24 Task Counters in a Russian VS Code (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);

  let portal: SandboxPortal | undefined;
  let wb: Workbench | undefined;
  let ui: WorkbenchDriver;

  const file = (name: string): string => path.join(RESULTS_DIR, `${name}.png`);

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    console.log(`    (extension under test: ${target.label})`);
    freshResultsDir(RESULTS_DIR);

    const started = Date.now();
    // Plain HTTP on 127.0.0.1 (allowed for a local portal); Anna under her Russian name, with
    // the sandbox's usual counters (which a custom user list does not load by itself).
    portal = await SandboxPortal.start({
      users: DEFAULT_USERS.map((user) => (user.id === 1 ? { ...user, name: 'Анна', lastName: 'Смирнова' } : { ...user })),
    });
    for (const preset of DEFAULT_COUNTERS) {
      portal.setCounters(preset.userId, preset.counters, { role: preset.role, groupId: preset.groupId });
    }
    wb = await startWorkbench({
      ...target.options,
      locale: 'ru',
      env: { BITRIX24_WEBHOOK_URL: portal.webhookUrl(1) },
      logDir: RESULTS_DIR,
      deviceScaleFactor: 2,
      userSettings: { 'bitrix24Tasks.pollIntervalSeconds': 600 },
      startTimeoutMs: 120_000,
    });
    ui = new WorkbenchDriver(wb.page, { words: RUSSIAN_WORDS, secrets: [SECRET] });
    await waitForExtension(ui, wb, target, { started, sandboxOrigin: portal.origin, resultsDir: RESULTS_DIR });
  });

  stopAtFirstFailure(() => wb, RESULTS_DIR);

  after(async function () {
    this.timeout(60_000);
    await wb?.dispose();
    await portal?.close();
  });

  it('connects from BITRIX24_WEBHOOK_URL and says the counters in Russian in the status bar', async () => {
    await ui.waitForStatus(/^Битрикс24, 2 задачи просрочены, 5 новых комментариев$/);
    assert.deepEqual(await ui.statusIcons(), ['flame', 'comment-discussion']);
    assert.equal((await ui.statusItem.innerText()).replace(/\s+/g, ' ').trim(), '2 5');
    assert.match((await ui.statusItem.getAttribute('class')) ?? '', /\bwarning-kind\b/, 'overdue tasks: warning background');
  });

  it('shows the "Задачи Битрикс24" container: Russian tree rows and badge', async () => {
    await ui.openCountersView();
    assert.match(await ui.sidebarTitle.innerText(), /^Задачи Битрикс24: Счетчики$/i);
    // The activity-bar entry is named after the container (and says the badge after it).
    assert.match((await ui.containerAction.getAttribute('aria-label')) ?? '', /^Задачи Битрикс24( - |$)/);

    const rows = await ui.waitForTreeStart(['Просрочено 2', 'Новые комментарии 5', 'Роль Все мои задачи', 'Группа Все группы', 'По ролям'],
      (r) => r.some((row) => row.startsWith('Обновлено')));
    assert.ok(rows.some((row) => new RegExp(`^Обновлено в \\d\\d:\\d\\d ${AGE}$`).test(row)), `no "Обновлено в ЧЧ:ММ только что" row in ${JSON.stringify(rows)}`);
    // The counter rows' accessible names are the plural phrases.
    const counterRows = ui.treeRows.filter({ has: ui.page.locator('.codicon-flame, .codicon-comment-discussion') });
    assert.deepEqual((await counterRows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label')))).sort(),
      ['2 задачи просрочены', '5 новых комментариев']);
    await ui.waitForValue(() => ui.badgeLabel(),
      (label) => label === 'Задачи Битрикс24 - 7 задач требуют внимания (просроченные и с новыми комментариями)', 'the badge to say 7');
  });

  it('explains the counters in a Russian tooltip; screenshots of the sidebar and the status bar', async () => {
    await ui.clearNotifications();
    await ui.focusEditorArea();
    copyToReadme(await ui.sidebarShot(file('tree.ru')), 'tree.ru.png');

    const hover = await ui.hoverStatusItem();
    // One line per line of the tooltip, its codicons (empty spans) leaving single spaces.
    const text = (await hover.innerText()).replace(/\u00a0/g, ' ').split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
    for (const line of [
      /^Счетчики задач Битрикс24$/m,
      /^Просрочено: 2$/m,
      /^Новые комментарии: 5$/m,
      /^Роль: Все мои задачи$/m,
      /^Группа: Все группы$/m,
      /^Пользователь: Анна Смирнова$/m,
      new RegExp(`^Портал: ${portal!.origin.replace(/[.:/]/g, '\\$&')} \\(из переменной окружения\\)$`, 'm'),
      new RegExp(`^Обновлено в \\d\\d:\\d\\d \\(${AGE}\\)$`, 'm'),
      /Обновить · Сменить роль · Сменить группу · Открыть список задач/,
    ]) {
      assert.match(text, line, `the tooltip:\n${text}`);
    }
    copyToReadme(await ui.statusBarShot(file('status-bar.ru'), true), 'status-bar.ru.png');
    await ui.statusBarShot(file('status-bar-plain.ru'), false);
    await ui.screenshot(file('window.ru'));
  });

  it('switches role with "Битрикс24: Сменить роль…": Russian picker, singular and paucal forms', async () => {
    await ui.runCommand('Битрикс24: Сменить роль…');
    await ui.waitForQuickPickIdle();
    const doing = ui.quickPickRow('Делаю');
    await doing.waitFor({ state: 'visible' });
    // Each role with its counts in words and what it means; the current one has a check mark.
    const labels = (await ui.quickPickLabels()).map((label) => label.replace(/\s+/g, ' '));
    assert.deepEqual(labels, [
      'check Все мои задачи, 2 задачи просрочены, 5 новых комментариев, Задачи в любой роли',
      'Делаю, 1 задача просрочена, 3 новых комментария, Задачи, где вы ответственный',
      'Помогаю, 1 новый комментарий, Задачи, где вы соисполнитель',
      'Наблюдаю, 1 новый комментарий, Задачи, где вы наблюдатель',
      'Поручил, 1 задача просрочена, Задачи, которые поставили вы',
    ]);
    await doing.click();

    await ui.waitForStatus(/^Битрикс24, 1 задача просрочена, 3 новых комментария$/);
    const rows = await ui.waitForTree((r) => r.includes('Роль Делаю') && r[0] === 'Просрочено 1', 'the Делаю role');
    assert.deepEqual(rows.slice(0, 4), ['Просрочено 1', 'Новые комментарии 3', 'Роль Делаю', 'Группа Все группы']);
    await ui.waitForValue(() => ui.badgeLabel(),
      (label) => label === 'Задачи Битрикс24 - 4 задачи требуют внимания (просроченные и с новыми комментариями)', 'the badge to say 4');
  });

  it('never shows the webhook secret: page text, VS Code\'s log files', async () => {
    // The workbench re-renders parts of the page at any time: wait for the whole UI to be there.
    // Not a length: 1.139's page has less around the view (no chat, no welcome) than 1.99's.
    const text = await ui.waitForValue(() => ui.visibleText(), (shown) => /Просрочено/.test(shown) && /Обновлено/.test(shown),
      'the page text to be the Russian UI');
    assert.ok(!text.includes(SECRET), 'the webhook secret is in the page text');

    await wb!.dispose();
    const leaks = textFilesUnder(RESULTS_DIR).filter((log) => fs.readFileSync(log, 'utf8').includes(SECRET));
    assert.deepEqual(leaks, [], 'log files containing the webhook secret');
  });
});
