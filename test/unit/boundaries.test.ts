/**
 * The layering that eslint.config.mjs keeps: the rules must fail on a forbidden import, or
 * they keep nothing. Lints real files of the project with one import added.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');

async function restrictedImports(file: string, importLine: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const source = `${importLine}\n${fs.readFileSync(path.join(root, file), 'utf8')}`;
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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

  it('the UI may import vscode and the core', async () => {
    assert.deepEqual(await restrictedImports('src/ui/words.ts', "import '../core/clock';"), []);
  });
});
