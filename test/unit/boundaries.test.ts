/**
 * The layering that eslint.config.mjs keeps: the rules must fail on a forbidden import, or
 * they keep nothing. Lints real files of the project with one import added.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');

/** The messages of one rule for a real file of the project with `line` added on top. */
async function lintWith(file: string, line: string, ruleId: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const source = `${line}\n${fs.readFileSync(path.join(root, file), 'utf8')}`;
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message);
}

function restrictedImports(file: string, importLine: string): Promise<string[]> {
  return lintWith(file, importLine, 'no-restricted-imports');
}

describe('import boundaries (eslint.config.mjs)', function () {
  this.timeout(60_000);

  it('src/core may not import vscode', async () => {
    const messages = await restrictedImports('src/core/clock.ts', "import * as vscode from 'vscode'; void vscode;");
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0], /src\/core is pure/);
  });

  it('src/core may not import the UI', async () => {
    const messages = await restrictedImports('src/core/clock.ts', "import '../ui/words';");
    assert.equal(messages.length, 1, messages.join('\n'));
  });

  it('src may not import tests or scripts', async () => {
    for (const line of ["import '../../test/unit/fakeTime';", "import '../../scripts/fleet';"]) {
      const messages = await restrictedImports('src/ui/words.ts', line);
      assert.equal(messages.length, 1, `${line}: ${messages.join('\n')}`);
    }
  });

  it('scripts and the host and end-to-end suites reach the sandbox only through its index', async () => {
    for (const [file, inside, entry] of [
      ['scripts/start.ts', '../test/sandbox/portal', '../test/sandbox'],
      ['scripts/bench/cpu.ts', '../../test/sandbox/leakyBucket', '../../test/sandbox/index'],
      ['test/e2e/testHost.ts', '../sandbox/demo', '../sandbox'],
      ['test/host/smoke.test.ts', '../sandbox/portal', '../sandbox'],
    ]) {
      const messages = await restrictedImports(file, `import '${inside}';`);
      assert.equal(messages.length, 1, `${file}: ${messages.join('\n')}`);
      assert.match(messages[0], /test\/sandbox \(its index\.ts\)/);
      assert.deepEqual(await restrictedImports(file, `import '${entry}';`), [], `${file} may import ${entry}`);
    }
  });

  it('only portalText.ts makes PortalText and only taskListLink.ts a PortalLink: a cast anywhere else is refused', async () => {
    const forgeries = [
      ['src/ui/requestLog.ts', "import type { PortalText } from '../core/portalText'; export const forged = 'raw' as PortalText;"],
      ['src/ui/requestLog.ts', "import type { PortalText } from '../core/portalText'; export const forged = 'raw' as unknown as PortalText;"],
      ['src/core/sharedPoll.ts', "import type { PortalText } from './portalText'; export const forged = <PortalText>'raw';"],
      ['test/unit/support.ts', "import type { PortalText } from '../../src/core/portalText'; export const forged = 'raw' as PortalText;"],
      ['src/ui/requestLog.ts', "import type { PortalLink } from '../core/taskListLink'; export const forged = 'https://evil.example/' as PortalLink;"],
    ];
    for (const [file, line] of forgeries) {
      const messages = await lintWith(file, line, 'no-restricted-syntax');
      assert.equal(messages.length, 1, `${file}: ${line}\n${messages.join('\n')}`);
      assert.match(messages[0], /Portal(Text|Link) is made only by/);
    }
    assert.deepEqual(await lintWith('src/core/portalText.ts', "export const made = 'x' as PortalText;", 'no-restricted-syntax'), []);
  });

  it('an address leaves for the browser or the clipboard only through src/ui/portalLinks.ts', async () => {
    for (const line of ["export const open = () => vscode.env.openExternal(vscode.Uri.parse('https://evil.example/'));",
      "export const copy = () => vscode.env.clipboard.writeText('https://evil.example/');"]) {
      const messages = await lintWith('src/ui/commands.ts', line, 'no-restricted-syntax');
      assert.equal(messages.length, 1, `${line}\n${messages.join('\n')}`);
      assert.match(messages[0], /openPortalLink or copyPortalLink/);
    }
    assert.deepEqual(await lintWith('src/ui/portalLinks.ts', '', 'no-restricted-syntax'), []);
  });

  it('the UI may import vscode and the core', async () => {
    assert.deepEqual(await restrictedImports('src/ui/words.ts', "import '../core/clock';"), []);
  });
});

describe('the request gate cannot be bypassed (eslint.config.mjs)', function () {
  this.timeout(60_000);
  const RULE = '@typescript-eslint/no-restricted-imports';

  it('the UI may not make a client, a transport, a scheduler, a gate or a shared poll of its own', async () => {
    for (const [module, name] of [
      ['countersClient', 'CountersClient'],
      ['transport', 'nodeFetchTransport'],
      ['pollScheduler', 'PollScheduler'],
      ['requestGate', 'RequestGate'],
      ['sharedPoll', 'SharedPoll'],
    ]) {
      const messages = await lintWith('src/ui/commands.ts', `import { ${name} } from '../core/${module}'; void ${name};`, RULE);
      assert.equal(messages.length, 1, `${name}: ${messages.join('\n')}`);
      assert.match(messages[0], /only through CountersPoller/);
    }
  });

  it('the UI may still use their types and constants', async () => {
    for (const line of [
      "import type { CountersClient } from '../core/countersClient'; export type A = CountersClient;",
      "import { RequestLogEntry } from '../core/countersClient'; export type B = RequestLogEntry;",
      "import { MIN_INTERVAL_MS } from '../core/pollScheduler'; export const C = MIN_INTERVAL_MS;",
    ]) {
      assert.deepEqual(await lintWith('src/ui/commands.ts', line, RULE), [], line);
    }
  });

  it('only the poller calls the client\'s requests', async () => {
    for (const [file, call] of [
      ['src/ui/commands.ts', 'export const d = (c: { userGroups(): void }) => c.userGroups();'],
      ['src/core/taskList.ts', 'export const e = (c: { getCountersByRole(): void }) => c.getCountersByRole();'],
      ['src/extension.ts', 'export const f = (c: { getCountersByRole(): void }) => c.getCountersByRole();'],
    ]) {
      const messages = await lintWith(file, call, 'no-restricted-syntax');
      assert.equal(messages.length, 1, `${file}: ${messages.join('\n')}`);
      assert.match(messages[0], /Only CountersPoller asks the portal/);
    }
    assert.deepEqual(await lintWith('src/core/countersPoller.ts', '', 'no-restricted-syntax'), [], 'the poller itself');
  });
});
