/**
 * Git branches for tasks: the branch name a template gives for a task, checked against git's
 * rules for a ref name before git is asked, and the task id a branch name holds. Pure: no
 * `vscode`, no git.
 */
import * as vm from 'node:vm';
import slugify from 'slugify';
import { isId } from './taskListLink';

export const DEFAULT_BRANCH_TEMPLATE = 'task/{id}-{title}';

/** `task/123-…`, `123-…`, `feature/T123`: digits at a component's start (after an optional T), then `-` or the end. */
export const DEFAULT_TASK_ID_PATTERN = '(?:^|/)[Tt]?(\\d+)(?=-|$)';

/** The commit box's prefix; `{id}` is the only variable. */
export const DEFAULT_COMMIT_TEMPLATE = '#{id} ';

/** The commit message's start for a task: the template with `{id}` replaced; empty when the template is. */
export function commitPrefix(template: string, taskId: number): string {
  return template.replaceAll('{id}', String(taskId));
}

/** The title's part of a branch name, at most this many characters. */
export const MAX_TITLE_SLUG = 40;

export const BRANCH_VARIABLES = ['id', 'title', 'user', 'prefix'] as const;
export type BranchVariable = (typeof BRANCH_VARIABLES)[number];

/** What makes a name no git branch name (`git check-ref-format --branch`), or a template no template. */
export type BranchNameProblem =
  | { readonly kind: 'empty' }
  | { readonly kind: 'character'; readonly character: string }
  | { readonly kind: 'componentStartsWithDot' }
  | { readonly kind: 'componentEndsWithLock' }
  | { readonly kind: 'doubleDot' }
  | { readonly kind: 'slash' }
  | { readonly kind: 'endsWithDot' }
  | { readonly kind: 'atBrace' }
  | { readonly kind: 'startsWithDash' }
  | { readonly kind: 'reserved'; readonly name: string }
  | { readonly kind: 'componentTooLong' }
  | { readonly kind: 'unknownVariable'; readonly variable: string }
  | { readonly kind: 'notATaskId' };

export type BranchNameOutcome = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly problem: BranchNameProblem };

/** A component is a file name under .git/refs/heads: most file systems take 255 bytes at most. */
const MAX_COMPONENT_BYTES = 255;

/**
 * Why git would refuse `name` as a branch (`git check-ref-format --branch`), or undefined when
 * it takes it: no control character, space, `~ ^ : ? * [ \`, no `..` or `@{`, no component
 * starting with `.` or ending with `.lock`, no leading, trailing or double `/`, no trailing `.`,
 * not starting with `-`, not `HEAD`. Stricter than git in three ways: C1 control characters
 * (git refuses only the ASCII ones), `@` alone (git takes it, and its commands read it as HEAD),
 * and a component over 255 bytes (a file name under .git/refs).
 */
export function branchNameProblem(name: string): BranchNameProblem | undefined {
  if (name === '') return { kind: 'empty' };
  const bad = /[\p{Cc} ~^:?*[\\]/u.exec(name);
  if (bad) return { kind: 'character', character: bad[0] };
  if (name.startsWith('-')) return { kind: 'startsWithDash' };
  if (name === '@' || name === 'HEAD') return { kind: 'reserved', name };
  if (name.includes('..')) return { kind: 'doubleDot' };
  if (name.includes('@{')) return { kind: 'atBrace' };
  const components = name.split('/');
  if (components.some((component) => component === '')) return { kind: 'slash' };
  if (components.some((component) => component.startsWith('.'))) return { kind: 'componentStartsWithDot' };
  if (components.some((component) => component.endsWith('.lock'))) return { kind: 'componentEndsWithLock' };
  if (name.endsWith('.')) return { kind: 'endsWithDot' };
  if (components.some((component) => Buffer.byteLength(component) > MAX_COMPONENT_BYTES)) return { kind: 'componentTooLong' };
  return undefined;
}

/** A variable the template names that is none of BRANCH_VARIABLES. */
export function templateProblem(template: string): BranchNameProblem | undefined {
  for (const [, variable] of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!(BRANCH_VARIABLES as readonly string[]).includes(variable)) return { kind: 'unknownVariable', variable };
  }
  return undefined;
}

export function usesVariable(template: string, variable: BranchVariable): boolean {
  return template.includes(`{${variable}}`);
}

/**
 * Words for a branch name: letters and digits in lower case joined by `-`, Cyrillic (and other
 * scripts slugify knows) transliterated, at most `max` characters, cut at a word's end when one
 * is near. Empty when nothing is left (emoji, punctuation, a script without a transliteration).
 */
export function slug(text: string, max = MAX_TITLE_SLUG): string {
  // slugify drops `_`, `.` and the like without a space, gluing the words around them together.
  const spaced = text.slice(0, max * 8).replace(/[\p{P}\p{Z}\p{C}]+/gu, ' ');
  const whole = slugify(spaced, { lower: true, strict: true, trim: true });
  if (whole.length <= max) return whole;
  const cut = whole.slice(0, max);
  const wordEnd = whole[max] === '-' ? max : cut.lastIndexOf('-');
  return (wordEnd >= max / 2 ? cut.slice(0, wordEnd) : cut).replace(/-+$/, '');
}

export interface BranchValues {
  readonly taskId: number;
  readonly title: string;
  /** The user's name (slugged here), or their id when the name is not known. */
  readonly user: string;
  /** A prefix the user picked from `bitrix24Tasks.branch.prefixes`, as written there. */
  readonly prefix?: string;
}

/**
 * The branch name `template` gives: each variable replaced, a `-` left dangling at a
 * component's ends by an empty value dropped, an emptied component dropped (`task/123` for a
 * title of emoji only), `task-<id>` when nothing is left; then git's rules, before git is
 * asked. A problem says why the name is refused.
 */
export function branchName(template: string, values: BranchValues): BranchNameOutcome {
  const unknown = templateProblem(template);
  if (unknown) return { ok: false, problem: unknown };
  if (!isId(values.taskId)) return { ok: false, problem: { kind: 'notATaskId' } };
  const byVariable: Record<BranchVariable, string> = {
    id: String(values.taskId),
    title: slug(values.title),
    user: slug(values.user),
    prefix: values.prefix?.trim() ?? '',
  };
  const expanded = template.replace(/\{(id|title|user|prefix)\}/g, (_, variable: BranchVariable) => byVariable[variable]);
  const tidy = expanded
    .split('/')
    .map((component) => component.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, ''))
    .filter((component) => component !== '')
    .join('/');
  const name = tidy === '' ? `task-${values.taskId}` : tidy;
  const problem = branchNameProblem(name);
  return problem ? { ok: false, problem } : { ok: true, name };
}

/** Why a task-id pattern is not used (the default is, then). */
export type PatternProblem =
  | { readonly kind: 'invalid'; readonly detail: string }
  /** It took longer than MATCH_TIMEOUT_MS on a branch name: catastrophic backtracking. */
  | { readonly kind: 'slow' }
  | { readonly kind: 'tooLong' };

/** A pattern from settings.json longer than this is no pattern anyone means. */
const MAX_PATTERN_LENGTH = 500;

/** One match may take this long; a pattern that takes longer backtracks catastrophically. */
export const MATCH_TIMEOUT_MS = 50;

/**
 * Names a catastrophic pattern shows itself on: runs of what branch names are made of, with a
 * character at the end that spoils a match (nested quantifiers then try every split of the run).
 */
const PROBES = ['a', '1', '-', '/', 'a-', '1-', 'T1', 'a/', '1/', 'a1'].flatMap((run) => [
  `${run.repeat(32)}!`,
  `task/${run.repeat(32)}\u0000`,
]);

/**
 * The user's `bitrix24Tasks.branch.taskIdPattern`: its first capture group (or the whole
 * match, when it has none) is the task id. A match runs in a `vm` context with a time limit,
 * so a pattern that backtracks catastrophically (`(\d+)+x`) is stopped and refused rather than
 * hanging the extension host.
 */
export class TaskIdPattern {
  private readonly context: vm.Context;

  private constructor(readonly source: string, regex: RegExp) {
    this.context = vm.createContext({ regex, name: '' });
  }

  /** The pattern, or the default with the problem that refused `source`. */
  static parse(source: string): { readonly pattern: TaskIdPattern; readonly problem?: PatternProblem } {
    if (source.length > MAX_PATTERN_LENGTH) return { pattern: TaskIdPattern.default(), problem: { kind: 'tooLong' } };
    let regex: RegExp;
    try {
      regex = new RegExp(source);
    } catch (error) {
      return { pattern: TaskIdPattern.default(), problem: { kind: 'invalid', detail: error instanceof Error ? error.message : String(error) } };
    }
    const pattern = new TaskIdPattern(source, regex);
    if (PROBES.some((probe) => pattern.taskIdOf(probe) === 'slow')) {
      return { pattern: TaskIdPattern.default(), problem: { kind: 'slow' } };
    }
    return { pattern };
  }

  static default(): TaskIdPattern {
    return new TaskIdPattern(DEFAULT_TASK_ID_PATTERN, new RegExp(DEFAULT_TASK_ID_PATTERN));
  }

  /**
   * The task id in `branch`: a positive safe integer, or undefined when there is none (no
   * match, a match that is not all digits, 0, past 2^53). `slow` when the match was stopped.
   */
  taskIdOf(branch: string): number | undefined | 'slow' {
    this.context.name = branch;
    let match: unknown;
    try {
      match = MATCH.runInContext(this.context, { timeout: MATCH_TIMEOUT_MS });
    } catch {
      return 'slow';
    }
    if (!Array.isArray(match)) return undefined;
    const digits: unknown = match.length > 1 ? match[1] : match[0];
    if (typeof digits !== 'string' || !/^\d{1,16}$/.test(digits)) return undefined;
    const id = Number(digits);
    return isId(id) ? id : undefined;
  }
}

/** Compiled once; the context holds the pattern and the name. */
const MATCH = new vm.Script('regex.exec(name)');
