import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import {
  BranchValues, branchName, branchNameProblem, commitPrefix, DEFAULT_BRANCH_TEMPLATE, DEFAULT_COMMIT_TEMPLATE, MAX_TITLE_SLUG, slug, TaskIdPattern,
  templateProblem,
} from '../../src/core/branchName';

const task: BranchValues = { taskId: 101, title: 'Fix payment webhook retries', user: 'Anna Smirnova' };

function nameOf(template: string, values: Partial<BranchValues> = {}): string {
  const made = branchName(template, { ...task, ...values });
  assert.ok(made.ok, JSON.stringify(made));
  return made.name;
}

/** git itself, when it is on this machine: the rules here must agree with it. */
function gitAccepts(name: string): boolean | undefined {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore', cwd: os.tmpdir() });
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? undefined : false;
  }
}

describe('branchName', () => {
  it('the default template: task/<id>-<title slug>', () => {
    assert.equal(nameOf(DEFAULT_BRANCH_TEMPLATE), 'task/101-fix-payment-webhook-retries');
  });

  it('a Cyrillic title is transliterated, in lower case', () => {
    assert.equal(nameOf(DEFAULT_BRANCH_TEMPLATE, { title: 'Исправить повторы вебхука: срочно!' }), 'task/101-ispravit-povtory-vebhuka-srochno');
    assert.equal(nameOf(DEFAULT_BRANCH_TEMPLATE, { title: 'Ёлка, ёжик и Щука' }), 'task/101-yolka-yozhik-i-shuka');
  });

  it('punctuation between words separates them rather than gluing them', () => {
    assert.equal(slug('foo-bar_baz. qux/quux'), 'foo-bar-baz-qux-quux');
    assert.equal(slug('Ünïcödé façade — ß'), 'unicode-facade-ss');
  });

  it('a title of emoji, punctuation, spaces only or in a script without transliteration leaves task/<id>', () => {
    for (const title of ['🎉🚀', '!!!???', '', '   ', '中文标题', '\u202E\u0000']) {
      assert.equal(nameOf(DEFAULT_BRANCH_TEMPLATE, { title }), 'task/101', JSON.stringify(title));
    }
  });

  it('a template of the title alone gives task-<id> when the title gives nothing', () => {
    assert.equal(nameOf('{title}', { title: '🎉' }), 'task-101');
  });

  it('the title part is at most 40 characters, cut at a word end', () => {
    const whole = nameOf(DEFAULT_BRANCH_TEMPLATE, { title: 'Refactor the payment gateway integration to support retries' });
    assert.equal(whole, 'task/101-refactor-the-payment-gateway-integration');
    const cut = nameOf(DEFAULT_BRANCH_TEMPLATE, { title: 'Refactor the payment gateway integrations to support retries' });
    assert.equal(cut, 'task/101-refactor-the-payment-gateway');
    assert.ok(slug('a'.repeat(100)).length === MAX_TITLE_SLUG);
  });

  it('a 10 KB title gives a valid name quickly', () => {
    const name = nameOf(DEFAULT_BRANCH_TEMPLATE, { title: 'слово '.repeat(2000) });
    assert.ok(name.length <= 'task/101-'.length + MAX_TITLE_SLUG);
    assert.equal(branchNameProblem(name), undefined);
  });

  it('{user} is the slugged name; {prefix} as picked; an empty prefix leaves no empty component', () => {
    assert.equal(nameOf('{user}/{id}'), 'anna-smirnova/101');
    assert.equal(nameOf('{prefix}/{id}-{title}', { prefix: 'feature' }), 'feature/101-fix-payment-webhook-retries');
    assert.equal(nameOf('{prefix}/{id}', { prefix: undefined }), '101');
    assert.equal(nameOf('{prefix}{id}', { prefix: 'bugfix/' }), 'bugfix/101');
  });

  it('an unknown variable is refused, naming it', () => {
    assert.deepEqual(templateProblem('task/{id}-{titel}'), { kind: 'unknownVariable', variable: 'titel' });
    assert.deepEqual(branchName('task/{id}-{titel}', task), { ok: false, problem: { kind: 'unknownVariable', variable: 'titel' } });
  });

  it('a task id that is not a positive safe integer gives no name', () => {
    for (const taskId of [0, -1, 1.5, NaN, 2 ** 53]) {
      assert.deepEqual(branchName(DEFAULT_BRANCH_TEMPLATE, { ...task, taskId }), { ok: false, problem: { kind: 'notATaskId' } });
    }
  });

  it('a template or prefix that breaks git\'s rules is refused with the reason', () => {
    assert.deepEqual(branchName('task {id}', task), { ok: false, problem: { kind: 'character', character: ' ' } });
    assert.deepEqual(branchName('{prefix}/{id}', { ...task, prefix: 'feat..x' }), { ok: false, problem: { kind: 'doubleDot' } });
    assert.deepEqual(branchName('.{id}', task), { ok: false, problem: { kind: 'componentStartsWithDot' } });
    assert.deepEqual(branchName('{id}.lock', task), { ok: false, problem: { kind: 'componentEndsWithLock' } });
  });
});

describe('branchNameProblem', () => {
  const refused: Array<[string, string]> = [
    ['', 'empty'], ['a b', 'character'], ['a~b', 'character'], ['a^b', 'character'], ['a:b', 'character'], ['a?b', 'character'],
    ['a*b', 'character'], ['a[b', 'character'], ['a\\b', 'character'], ['a\tb', 'character'], ['a\x7fb', 'character'],
    ['-a', 'startsWithDash'], ['@', 'reserved'], ['HEAD', 'reserved'], ['a..b', 'doubleDot'], ['a@{b', 'atBrace'],
    ['/a', 'slash'], ['a/', 'slash'], ['a//b', 'slash'], ['.a', 'componentStartsWithDot'], ['a/.b', 'componentStartsWithDot'],
    ['a.lock', 'componentEndsWithLock'], ['a.lock/b', 'componentEndsWithLock'], ['a.', 'endsWithDot'], [`a/${'b'.repeat(256)}`, 'componentTooLong'],
  ];
  for (const [name, kind] of refused) {
    it(`refuses ${JSON.stringify(name.slice(0, 20))}: ${kind}`, () => {
      assert.equal(branchNameProblem(name)?.kind, kind);
      const git = gitAccepts(name);
      // git takes a component of any length (the file system under .git/refs does not), and
      // `@` alone, which its commands read as HEAD.
      if (git !== undefined && kind !== 'componentTooLong' && name !== '@') assert.equal(git, false, `git check-ref-format takes ${JSON.stringify(name)}`);
    });
  }

  for (const name of ['task/101-fix', 'a', 'feature/T123', 'a.b', 'a-b_c', 'юникод/ветка', 'a@b', '@a', 'x/HEAD']) {
    it(`takes ${JSON.stringify(name)}`, () => {
      assert.equal(branchNameProblem(name), undefined);
      const git = gitAccepts(name);
      if (git !== undefined) assert.equal(git, true, `git check-ref-format refuses ${JSON.stringify(name)}`);
    });
  }
});

describe('TaskIdPattern', () => {
  const byDefault = TaskIdPattern.default();

  it('the default finds task/123-…, 123-…, feature/T123 and task/123', () => {
    assert.equal(byDefault.taskIdOf('task/123-fix-payment'), 123);
    assert.equal(byDefault.taskIdOf('123-fix-payment'), 123);
    assert.equal(byDefault.taskIdOf('feature/T123'), 123);
    assert.equal(byDefault.taskIdOf('feature/t45-x'), 45);
    assert.equal(byDefault.taskIdOf('task/101'), 101);
  });

  it('the default finds nothing in main, a version or a number inside a word', () => {
    for (const branch of ['main', 'master', 'release/1.2', 'v2-beta', 'fix-123', 'feature/abc123', 'task/0-zero', 'task/99999999999999999-x']) {
      assert.equal(byDefault.taskIdOf(branch), undefined, branch);
    }
  });

  it('a user pattern: its first group, or the whole match', () => {
    const grouped = TaskIdPattern.parse('^b24-(\\d+)');
    assert.equal(grouped.problem, undefined);
    assert.equal(grouped.pattern.taskIdOf('b24-77-x'), 77);
    assert.equal(TaskIdPattern.parse('\\d+$').pattern.taskIdOf('work/88'), 88);
  });

  it('a group that is not digits only gives no id, even where Number() would read one', () => {
    const word = TaskIdPattern.parse('^([^/]+)').pattern;
    for (const branch of ['task/1', '1e3/x', '0x1F/x', ' 12/x', '12 /x', '+5/x', '1.0/x']) {
      assert.equal(word.taskIdOf(branch), undefined, branch);
    }
  });

  it('an invalid pattern is refused with the reason, and the default used', () => {
    const parsed = TaskIdPattern.parse('task/(\\d+');
    assert.equal(parsed.problem?.kind, 'invalid');
    assert.match(parsed.problem?.kind === 'invalid' ? parsed.problem.detail : '', /Unterminated group/);
    assert.equal(parsed.pattern.taskIdOf('task/5-x'), 5);
  });

  it('a catastrophic pattern is refused, and the default used', () => {
    for (const source of ['^(\\d+)+x', '^(a|a)*$', '(.*a){12}$', '^(\\w+\\s?)*$', '^((task|\\w)+/?)+\\d+z']) {
      const parsed = TaskIdPattern.parse(source);
      assert.equal(parsed.problem?.kind, 'slow', source);
      assert.equal(parsed.pattern.source, TaskIdPattern.default().source);
    }
  });

  it('a pattern slow only on some name is stopped there, not hung', () => {
    // Fine on every probe (they hold no `#`, no `x`), exponential on these names.
    for (const [source, branch] of [['^#(\\d|\\d\\d)+$', `#${'1'.repeat(60)}x`], ['(x+x+)+y', 'x'.repeat(40)]]) {
      const parsed = TaskIdPattern.parse(source);
      assert.equal(parsed.problem, undefined, source);
      assert.equal(parsed.pattern.taskIdOf(branch), 'slow', source);
    }
  });

  it('a pattern longer than 500 characters is refused', () => {
    assert.equal(TaskIdPattern.parse('a'.repeat(501)).problem?.kind, 'tooLong');
  });
});

describe('commitPrefix', () => {
  it('the default names the task: "#101 "', () => {
    assert.equal(commitPrefix(DEFAULT_COMMIT_TEMPLATE, 101), '#101 ');
  });

  it('every {id} is replaced; an empty template gives nothing', () => {
    assert.equal(commitPrefix('[{id}] refs {id}: ', 7), '[7] refs 7: ');
    assert.equal(commitPrefix('', 7), '');
  });
});
