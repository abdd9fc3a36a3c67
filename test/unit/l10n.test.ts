/**
 * Localization completeness, in plain Node (no VS Code): the Russian bundle holds exactly the
 * keys the code uses, and the manifest's Russian strings exactly the English ones, with the same
 * placeholders.
 *
 * The `vscode.l10n.t` keys come from @vscode/l10n-dev, the extractor of the VS Code team. It
 * sees literal calls only; the two kinds of key it cannot see are listed here: the plural
 * messages, written as `plural(count, { one: '…', other: '…' })` (the shape plural.ts
 * documents) and read from that shape, and the webhook problems of PROBLEM_MESSAGES, which
 * src/ui/commands.ts translates from a variable.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getL10nJson } from '@vscode/l10n-dev';
import { PROBLEM_MESSAGES } from '../../src/core/webhookUrl';
import { localizePlural, Localizer, pluralEntry, pluralKeys, PluralForms } from '../../src/ui/plural';

/** The repository root (this file runs from out/test/unit/). */
const ROOT = path.resolve(__dirname, '../../..');
const RUSSIAN = 'ru';

/** A flat JSON map of strings (a bundle or a package.nls file), refusing a key given twice. */
function readStrings(relative: string): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, relative), 'utf8');
  const parsed = JSON.parse(text) as Record<string, string>;
  // One entry a line in these files: JSON.parse would keep the last of two silently.
  const lines = text.match(/^\s*"(?:[^"\\]|\\.)*"\s*:/gm) ?? [];
  assert.equal(lines.length, Object.keys(parsed).length, `${relative}: a key is given twice`);
  return parsed;
}

/** The TypeScript files under src/, as `[path from the root, contents]`. */
const SOURCES: ReadonlyArray<readonly [string, string]> = fs
  .readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => [`src/${file.split(path.sep).join('/')}`, fs.readFileSync(path.join(ROOT, 'src', file), 'utf8')] as const);

/**
 * The only `l10n.t` calls with a message that is not a literal, and what covers each: the
 * webhook problems (src/core stays free of `vscode`, so the UI translates its English messages)
 * and the plural helper (its keys come from the `plural(...)` calls).
 */
const DYNAMIC_SITES: readonly string[] = [
  'src/ui/commands.ts: parsed.message',
  'src/ui/plural.ts: { message, args: [count], comment: [comment] }',
];

/** The sources without their comments, which show calls that are not made. */
const CODE = SOURCES.map(([file, text]) => [file, text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')] as const);

/** `file: argument` of each `l10n.t(` whose argument is neither a string nor `{ message: '…' }`: l10n-dev skips these. */
function dynamicCalls(): string[] {
  const calls = CODE.flatMap(([file, text]) =>
    [...text.matchAll(/\bl10n\.t\((?!\s*(?:['"`]|\{\s*message\s*:\s*['"`]))([^)]*)\)/g)].map((m) => `${file}: ${m[1].trim()}`),
  );
  return [...new Set(calls)];
}

/** Every `plural(count, { one: '…', other: '…' })` in src/, and how many `plural(` calls there are. */
function pluralMessages(): { forms: Array<{ forms: PluralForms; file: string }>; calls: number } {
  const shape = /\bplural\([^;{}]*?,\s*\{\s*one:\s*'([^'\\]*)',\s*other:\s*'([^'\\]*)',?\s*\}\s*\)/g;
  return {
    forms: CODE.flatMap(([file, text]) => [...text.matchAll(shape)].map((m) => ({ forms: { one: m[1], other: m[2] }, file }))),
    calls: CODE.reduce((sum, [, text]) => sum + (text.match(/(?<!function )\bplural\(/g) ?? []).length, 0),
  };
}

/** `{0}`, `{1}`, `{name}`: sorted, without repeats. */
function placeholders(text: string): string[] {
  return [...new Set(text.match(/\{[^{}\s]+\}/g) ?? [])].sort();
}

/** The targets of `[text](command:...)` and `(https://...)` links in Markdown. */
function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).sort();
}

/** Keys in `a` and not in `b`. */
function missingFrom(a: Iterable<string>, b: object): string[] {
  return [...a].filter((key) => !Object.hasOwn(b, key));
}

// ---------------------------------------------------------------------------------------------

const bundle = readStrings('l10n/bundle.l10n.ru.json');
const plurals = pluralMessages();

describe('localization: code (l10n/bundle.l10n.ru.json)', () => {
  /** Every key the Russian bundle must hold, with its English text. */
  const required = new Map<string, string>();

  before(async function () {
    // l10n-dev parses every source file with tree-sitter (WebAssembly): seconds on a busy machine.
    this.timeout(60_000);
    const extracted = await getL10nJson(SOURCES.map(([, contents]) => ({ contents, extension: '.ts' })));
    for (const [key, value] of Object.entries(extracted)) required.set(key, typeof value === 'string' ? value : value.message);
    for (const message of Object.values(PROBLEM_MESSAGES)) required.set(message, message);
    for (const { forms } of plurals.forms) {
      for (const key of pluralKeys(forms, RUSSIAN)) {
        required.set(key, pluralEntry(forms, key.slice(key.lastIndexOf('/') + 1) as Intl.LDMLPluralRule).message);
      }
    }
  });

  it('finds the l10n.t calls and plural messages in src/', () => {
    assert.ok(required.size > 100, `only ${required.size} keys found: is the extractor looking at src/?`);
    assert.ok(plurals.forms.length >= 5, 'the counts in words go through plural()');
  });

  it('calls l10n.t with a literal message, except at the known dynamic sites', () => {
    assert.deepEqual(
      dynamicCalls(),
      DYNAMIC_SITES,
      'l10n.t needs a literal message for the extractor; a computed one needs its own source of keys here',
    );
  });

  it('writes every plural() as plural(count, { one: \'…\', other: \'…\' }) with the count as {0}', () => {
    assert.equal(plurals.forms.length, plurals.calls, 'a plural() call of another shape: its keys cannot be checked');
    for (const { forms, file } of plurals.forms) {
      assert.ok(forms.one.includes('{0}') && forms.other.includes('{0}'), `${file}: both forms of ${JSON.stringify(forms)} need {0}`);
    }
  });

  it('has a Russian entry for every key, and no other', () => {
    assert.deepEqual(missingFrom(required.keys(), bundle), [], 'missing from l10n/bundle.l10n.ru.json');
    assert.deepEqual(
      Object.keys(bundle).filter((key) => !required.has(key)),
      [],
      'entries no code uses any more: remove them from l10n/bundle.l10n.ru.json',
    );
  });

  it('keeps the placeholders of the English text, and translates every entry', () => {
    for (const [key, english] of required) {
      const russian = bundle[key];
      if (russian === undefined) continue; // reported above
      assert.ok(russian.trim() !== '', `${JSON.stringify(key)}: empty translation`);
      assert.deepEqual(placeholders(russian), placeholders(english), `placeholders differ for ${JSON.stringify(key)}`);
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
  const MINUTES: PluralForms = { one: '{0} minute overdue', other: '{0} minutes overdue' };

  it('uses the forms the code uses', () => {
    const used = plurals.forms.map((p) => JSON.stringify(p.forms));
    for (const forms of [OVERDUE, NEW_COMMENTS, MINUTES]) assert.ok(used.includes(JSON.stringify(forms)), JSON.stringify(forms));
  });

  it('reads naturally in Russian: one, few, many', () => {
    const cases: Array<[number, string, string, string]> = [
      [1, '1 задача просрочена', '1 новый комментарий', 'просрочена на 1 минуту'],
      [2, '2 задачи просрочены', '2 новых комментария', 'просрочена на 2 минуты'],
      [4, '4 задачи просрочены', '4 новых комментария', 'просрочена на 4 минуты'],
      [5, '5 задач просрочено', '5 новых комментариев', 'просрочена на 5 минут'],
      [11, '11 задач просрочено', '11 новых комментариев', 'просрочена на 11 минут'],
      [12, '12 задач просрочено', '12 новых комментариев', 'просрочена на 12 минут'],
      [21, '21 задача просрочена', '21 новый комментарий', 'просрочена на 21 минуту'],
      [22, '22 задачи просрочены', '22 новых комментария', 'просрочена на 22 минуты'],
      [0, '0 задач просрочено', '0 новых комментариев', 'просрочена на 0 минут'],
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
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const english = readStrings('package.nls.json');
  const russian = readStrings('package.nls.ru.json');

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

  it('has an English entry for every %key% package.json uses, and no other', () => {
    assert.ok(used.size > 30, `only ${used.size} %keys% in package.json`);
    assert.deepEqual(missingFrom(used, english), [], 'missing from package.nls.json');
    assert.deepEqual(Object.keys(english).filter((k) => !used.has(k)), [], 'stale in package.nls.json');
  });

  it('has the same keys in Russian as in English', () => {
    assert.deepEqual(missingFrom(Object.keys(english), russian), [], 'missing from package.nls.ru.json');
    assert.deepEqual(missingFrom(Object.keys(russian), english), [], 'stale in package.nls.ru.json');
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
