/**
 * Localization completeness, in plain Node (no VS Code): every string the code passes to
 * `vscode.l10n.t` and every `%key%` of package.json has an English and a Russian entry, no
 * Russian entry is left over, and placeholders agree.
 *
 * The sources are parsed with the TypeScript compiler API, so multi-line calls, any quote style
 * and the `{ message, comment }` form are all found. A call whose message is not a literal must
 * be one of the known dynamic sites below, each of which has its own check.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { PROBLEM_MESSAGES } from '../../src/core/webhookUrl';
import { localizePlural, Localizer, pluralEntry, pluralKeys, PluralForms } from '../../src/ui/plural';

/** The repository root (this file runs from out/test/unit/). */
const ROOT = findRoot(__dirname);
const RUSSIAN = 'ru';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

/** Reads a JSON file, refusing a key given twice (JSON.parse would keep the last silently). */
function readJson<T>(relative: string): T {
  const text = fs.readFileSync(path.join(ROOT, relative), 'utf8');
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const names = node.properties.map((p) => (p.name && ts.isStringLiteral(p.name) ? p.name.text : ''));
      const twice = names.filter((name, i) => names.indexOf(name) !== i);
      assert.deepEqual(twice, [], `${relative}: keys given twice`);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.parseJsonText(relative, text));
  return JSON.parse(text) as T;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Site {
  /** `src/ui/words.ts:42` */
  readonly where: string;
  readonly file: string;
  /** The argument's source text, for dynamic sites. */
  readonly text: string;
}

/** An l10n key the code uses, with the English text it stands for. */
interface Key {
  readonly key: string;
  readonly english: string;
  readonly where: string;
}

interface Extracted {
  readonly keys: Key[];
  /** `l10n.t(...)` whose message is not a literal. */
  readonly dynamicCalls: Site[];
  readonly pluralForms: Array<{ forms: PluralForms; where: string }>;
  /** `plural(...)` whose forms are not literals. */
  readonly dynamicPlurals: Site[];
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

function property(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of object.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name) {
      return p.initializer;
    }
  }
  return undefined;
}

/** `l10n.t`'s key for `{ message, comment }`: VS Code appends `/` and the joined comment. */
function keyOfOptions(object: ts.ObjectLiteralExpression): { key: string; english: string } | undefined {
  const message = literalText(property(object, 'message'));
  if (message === undefined) return undefined;
  const comment = property(object, 'comment');
  if (comment === undefined) return { key: message, english: message };
  const parts = ts.isArrayLiteralExpression(comment) ? comment.elements.map((e) => literalText(e)) : [literalText(comment)];
  if (parts.some((p) => p === undefined)) return undefined;
  const joined = parts.join('');
  return { key: joined ? `${message}/${joined}` : message, english: message };
}

/** `vscode.l10n.t(...)` or `l10n.t(...)`. */
function isL10nCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const target = callee.expression;
  return (ts.isIdentifier(target) && target.text === 'l10n') || (ts.isPropertyAccessExpression(target) && target.name.text === 'l10n');
}

/** `plural(count, { one, other })`, the helper words.ts exports. */
function isPluralCall(call: ts.CallExpression): boolean {
  return ts.isIdentifier(call.expression) && call.expression.text === 'plural';
}

function extract(files: readonly string[]): Extracted {
  const result: Extracted = { keys: [], dynamicCalls: [], pluralForms: [], dynamicPlurals: [] };
  for (const file of files) {
    const relative = path.relative(ROOT, file).split(path.sep).join('/');
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const site = (node: ts.Node): Site => ({
      where: `${relative}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`,
      file: relative,
      text: node.getText(source),
    });
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isL10nCall(node)) {
        const [first] = node.arguments;
        const literal = literalText(first);
        const options = first && ts.isObjectLiteralExpression(first) ? keyOfOptions(first) : undefined;
        if (literal !== undefined) result.keys.push({ key: literal, english: literal, where: site(node).where });
        else if (options) result.keys.push({ ...options, where: site(node).where });
        else result.dynamicCalls.push(site(first ?? node));
      } else if (ts.isCallExpression(node) && isPluralCall(node)) {
        const forms = node.arguments[1];
        const one = forms && ts.isObjectLiteralExpression(forms) ? literalText(property(forms, 'one')) : undefined;
        const other = forms && ts.isObjectLiteralExpression(forms) ? literalText(property(forms, 'other')) : undefined;
        if (one !== undefined && other !== undefined) result.pluralForms.push({ forms: { one, other }, where: site(node).where });
        else result.dynamicPlurals.push(site(forms ?? node));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return result;
}

/**
 * The only `l10n.t` calls allowed a non-literal message, and what covers each: the webhook
 * problems (src/core stays free of `vscode`, so the UI translates its English messages) and
 * the plural helper (its keys come from the `plural(...)` calls).
 */
const DYNAMIC_SITES: ReadonlyArray<{ file: string; text: string; coveredBy: string }> = [
  { file: 'src/ui/commands.ts', text: 'parsed.message', coveredBy: 'PROBLEM_MESSAGES' },
  { file: 'src/ui/plural.ts', text: '{ message, args: [count], comment: [comment] }', coveredBy: 'plural(...) calls' },
];

/** Every key the Russian bundle must hold, with its English text and where it comes from. */
function requiredKeys(found: Extracted): Map<string, Key> {
  const keys = new Map<string, Key>();
  const add = (key: Key) => {
    const known = keys.get(key.key);
    assert.ok(!known || known.english === key.english, `key ${JSON.stringify(key.key)} has two English texts`);
    if (!known) keys.set(key.key, key);
  };
  found.keys.forEach(add);
  for (const [problem, message] of Object.entries(PROBLEM_MESSAGES)) {
    add({ key: message, english: message, where: `PROBLEM_MESSAGES.${problem}` });
  }
  for (const { forms, where } of found.pluralForms) {
    for (const key of pluralKeys(forms, RUSSIAN)) {
      const category = key.slice(key.lastIndexOf('/') + 1) as Intl.LDMLPluralRule;
      add({ key, english: pluralEntry(forms, category).message, where });
    }
  }
  return keys;
}

/** `{0}`, `{1}`, `{name}`: sorted, without repeats. */
function placeholders(text: string): string[] {
  return [...new Set(text.match(/\{[^{}\s]+\}/g) ?? [])].sort();
}

/** The targets of `[text](command:...)` and `(https://...)` links in Markdown. */
function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).sort();
}

function describeList(items: readonly string[]): string {
  return items.map((item) => `\n  ${item}`).join('');
}

// ---------------------------------------------------------------------------------------------

const found = extract(sourceFiles(path.join(ROOT, 'src')));
const bundle = readJson<Record<string, string>>('l10n/bundle.l10n.ru.json');

describe('localization: code (l10n/bundle.l10n.ru.json)', () => {
  it('finds the l10n.t calls and plural messages in src/', () => {
    assert.ok(found.keys.length > 50, `only ${found.keys.length} l10n.t calls found: is the parser looking at src/?`);
    assert.ok(found.pluralForms.length >= 5, 'the counts in words go through plural()');
  });

  it('calls l10n.t with a literal message, except at the known dynamic sites', () => {
    const unexpected = found.dynamicCalls.filter(
      (call) => !DYNAMIC_SITES.some((known) => known.file === call.file && known.text === call.text),
    );
    assert.deepEqual(
      unexpected.map((c) => `${c.where}: ${c.text}`),
      [],
      'l10n.t needs a literal message so the test can check its translation; a computed one needs its own check here',
    );
    for (const known of DYNAMIC_SITES) {
      assert.ok(
        found.dynamicCalls.some((call) => call.file === known.file && call.text === known.text),
        `the dynamic site ${known.file}: ${known.text} is gone: update DYNAMIC_SITES`,
      );
    }
  });

  it('gives plural() literal English forms with the count as {0}', () => {
    assert.deepEqual(found.dynamicPlurals.map((c) => `${c.where}: ${c.text}`), [], 'plural() needs literal { one, other }');
    for (const { forms, where } of found.pluralForms) {
      assert.ok(forms.one.includes('{0}') && forms.other.includes('{0}'), `${where}: both forms need {0}`);
    }
  });

  it('has a Russian entry for every message', () => {
    const missing = [...requiredKeys(found).values()].filter((k) => !(k.key in bundle));
    assert.deepEqual(
      missing.map((k) => `${k.where}: ${JSON.stringify(k.key)}`),
      [],
      `missing from l10n/bundle.l10n.ru.json:${describeList(missing.map((k) => JSON.stringify(k.key)))}`,
    );
  });

  it('has no stale Russian entries', () => {
    const required = requiredKeys(found);
    const stale = Object.keys(bundle).filter((key) => !required.has(key));
    assert.deepEqual(stale, [], 'entries no code uses any more: remove them from l10n/bundle.l10n.ru.json');
  });

  it('keeps the placeholders of the English text, and translates every entry', () => {
    for (const [key, english] of requiredKeys(found)) {
      const russian = bundle[key];
      if (russian === undefined) continue; // reported above
      assert.equal(typeof russian, 'string', `${JSON.stringify(key)}: not a string`);
      assert.ok(russian.trim() !== '', `${JSON.stringify(key)}: empty translation`);
      assert.deepEqual(placeholders(russian), placeholders(english.english), `placeholders differ for ${JSON.stringify(key)}`);
    }
  });

  it('has a translation for every webhook problem the UI shows', () => {
    for (const message of Object.values(PROBLEM_MESSAGES)) {
      assert.ok(bundle[message], `PROBLEM_MESSAGES: ${JSON.stringify(message)} has no Russian entry`);
    }
  });
});

describe('localization: plurals', () => {
  /** VS Code's `l10n.t` lookup: the key is the message, plus `/comment` when there is one. */
  function localizer(language: string | undefined): Localizer {
    const loaded = language === RUSSIAN ? bundle : undefined;
    return {
      bundle: loaded,
      t: ({ message, args, comment }) => {
        const key = comment.length > 0 ? `${message}/${comment.join('')}` : message;
        const text = loaded?.[key] ?? message;
        return text.replace(/\{(\d+)\}/g, (whole, index: string) => String(args[Number(index)] ?? whole));
      },
    };
  }

  const say = (language: string, count: number, forms: PluralForms) =>
    localizePlural(localizer(language), language, count, forms);

  const OVERDUE: PluralForms = { one: '{0} overdue', other: '{0} overdue' };
  const NEW_COMMENTS: PluralForms = { one: '{0} new comment', other: '{0} new comments' };
  const MINUTES: PluralForms = { one: '{0} min ago', other: '{0} min ago' };

  it('uses the forms the code uses', () => {
    const used = found.pluralForms.map((p) => JSON.stringify(p.forms));
    for (const forms of [OVERDUE, NEW_COMMENTS, MINUTES]) assert.ok(used.includes(JSON.stringify(forms)), JSON.stringify(forms));
  });

  it('reads naturally in Russian: one, few, many', () => {
    const cases: Array<[number, string, string, string]> = [
      [1, '1 задача просрочена', '1 новый комментарий', '1 минуту назад'],
      [2, '2 задачи просрочены', '2 новых комментария', '2 минуты назад'],
      [4, '4 задачи просрочены', '4 новых комментария', '4 минуты назад'],
      [5, '5 задач просрочено', '5 новых комментариев', '5 минут назад'],
      [11, '11 задач просрочено', '11 новых комментариев', '11 минут назад'],
      [12, '12 задач просрочено', '12 новых комментариев', '12 минут назад'],
      [21, '21 задача просрочена', '21 новый комментарий', '21 минуту назад'],
      [22, '22 задачи просрочены', '22 новых комментария', '22 минуты назад'],
      [0, '0 задач просрочено', '0 новых комментариев', '0 минут назад'],
    ];
    for (const [count, overdue, comments, minutes] of cases) {
      assert.equal(say(RUSSIAN, count, OVERDUE), overdue);
      assert.equal(say(RUSSIAN, count, NEW_COMMENTS), comments);
      assert.equal(say(RUSSIAN, count, MINUTES), minutes);
    }
  });

  it('reads naturally in English, with English rules', () => {
    assert.equal(say('en', 1, NEW_COMMENTS), '1 new comment');
    assert.equal(say('en', 0, NEW_COMMENTS), '0 new comments');
    assert.equal(say('en', 21, NEW_COMMENTS), '21 new comments');
    assert.equal(say('en', 2, OVERDUE), '2 overdue');
  });

  it('falls back to English rules in a language without a bundle', () => {
    // Ukrainian puts 21 in "one"; with English text that would read "21 new comment".
    assert.equal(say('uk', 21, NEW_COMMENTS), '21 new comments');
    assert.equal(say('uk', 1, NEW_COMMENTS), '1 new comment');
  });
});

describe('localization: manifest (package.nls.json, package.nls.ru.json)', () => {
  interface Manifest {
    l10n?: string;
    [key: string]: unknown;
  }
  const manifest = readJson<Manifest>('package.json');
  const english = readJson<Record<string, string>>('package.nls.json');
  const russian = readJson<Record<string, string>>('package.nls.ru.json');

  /** Every string in the manifest, with its JSON path. */
  function strings(value: unknown, at: string): Array<{ at: string; text: string }> {
    if (typeof value === 'string') return [{ at, text: value }];
    if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
    if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
    return [];
  }
  const all = strings(manifest, '$');
  const used = new Set(all.flatMap(({ text }) => /^%([^%\s]+)%$/.exec(text)?.[1] ?? []));

  /** Properties people read: each must be a %key%. */
  const USER_FACING = /\.(displayName|description|title|category|name|contents|altText|markdownDescription|enumDescriptions\[\d+\])$/;
  /** Manifest fields with those names that are not text for people. */
  const NOT_TEXT = new Set(['$.name']);

  it('points VS Code at the l10n bundles', () => {
    assert.equal(manifest.l10n, './l10n');
    assert.ok(fs.existsSync(path.join(ROOT, 'l10n', 'bundle.l10n.ru.json')));
  });

  it('has no user-facing text left in package.json', () => {
    const literal = all.filter(({ at, text }) => USER_FACING.test(at) && !NOT_TEXT.has(at) && !/^%[^%\s]+%$/.test(text));
    assert.deepEqual(literal.map(({ at, text }) => `${at}: ${text}`), [], 'use a %key% from package.nls.json');
  });

  it('has an English and a Russian entry for every %key%', () => {
    assert.ok(used.size > 30, `only ${used.size} %keys% in package.json`);
    assert.deepEqual([...used].filter((k) => !(k in english)), [], 'missing from package.nls.json');
    assert.deepEqual([...used].filter((k) => !(k in russian)), [], 'missing from package.nls.ru.json');
  });

  it('has no stale entries', () => {
    assert.deepEqual(Object.keys(english).filter((k) => !used.has(k)), [], 'stale in package.nls.json');
    assert.deepEqual(Object.keys(russian).filter((k) => !used.has(k)), [], 'stale in package.nls.ru.json');
  });

  it('keeps placeholders and link targets in Russian', () => {
    for (const [key, text] of Object.entries(english)) {
      const translated = russian[key];
      if (translated === undefined) continue; // reported above
      assert.ok(translated.trim() !== '', `${key}: empty translation`);
      assert.deepEqual(placeholders(translated), placeholders(text), `${key}: placeholders differ`);
      assert.deepEqual(linkTargets(translated), linkTargets(text), `${key}: links differ`);
    }
  });

  it('points localized walkthrough media at files that exist', () => {
    for (const [key, text] of [...Object.entries(english), ...Object.entries(russian)]) {
      if (/^media\//.test(text)) assert.ok(fs.existsSync(path.join(ROOT, text)), `${key}: ${text} does not exist`);
    }
  });
});
