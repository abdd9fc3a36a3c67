/**
 * The promises about branch names, searched with fast-check:
 *
 *  - any task title in any script (emoji, controls, bidi, 10 KB), any user name and any prefix
 *    without git's forbidden characters give a name git takes, and the title's part is at most
 *    40 characters;
 *  - the default template's name holds its task's id again for the default pattern;
 *  - any branch name, under the default pattern or any pattern a user could write, gives an id
 *    that is a positive safe integer, or none.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { branchName, branchNameProblem, DEFAULT_BRANCH_TEMPLATE, MAX_TITLE_SLUG, slug, TaskIdPattern } from '../../src/core/branchName';
import { isId } from '../../src/core/taskListLink';
import { propertyRuns } from './propertyRuns';

/** Text in any script: full Unicode, plus pieces that trouble names (controls, bidi, dots, slashes, digits). */
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.constantFrom('.', '..', '/', '-', '@{', '~', '^', ':', '\\', ' ', '\u202E', '\u0000', '🎉', 'Ж', 'ё', '中', '١٢', '123', 'lock', '.lock'), { maxLength: 30 }).map((parts) => parts.join('')),
  fc.constantFrom('', 'слово '.repeat(2000), '🎉'.repeat(5000)),
);

const taskId = fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constant(Number.MAX_SAFE_INTEGER));

describe('branch names (properties)', () => {
  it('any title, user and prefix give a name git takes (or a refusal only for a prefix git would refuse)', () => {
    fc.assert(
      fc.property(taskId, anyText, anyText, fc.option(anyText, { nil: undefined }), fc.constantFrom(DEFAULT_BRANCH_TEMPLATE, '{title}', '{user}/{id}-{title}', '{prefix}/{id}-{title}', '{prefix}{title}'), (id, title, user, prefix, template) => {
          const made = branchName(template, { taskId: id, title, user, prefix });
          if (made.ok) {
            assert.equal(branchNameProblem(made.name), undefined);
          } else {
            // Only a prefix, written by the user, can break git's rules.
            assert.ok(template.includes('{prefix}') && prefix !== undefined, JSON.stringify(made));
          }
        }),
      propertyRuns(300),
    );
  });

  it('the title\'s slug is at most 40 characters of a-z, 0-9 and single inner dashes', () => {
    fc.assert(
      fc.property(anyText, (title) => {
        const made = slug(title);
        assert.ok(made.length <= MAX_TITLE_SLUG);
        assert.match(made, /^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$/);
      }),
      propertyRuns(300),
    );
  });

  it('the default template\'s name gives its task id back under the default pattern', () => {
    const pattern = TaskIdPattern.default();
    fc.assert(
      fc.property(taskId, anyText, (id, title) => {
        const made = branchName(DEFAULT_BRANCH_TEMPLATE, { taskId: id, title, user: '' });
        assert.ok(made.ok);
        assert.equal(pattern.taskIdOf(made.name), id);
      }),
      propertyRuns(200),
    );
  });

  it('any branch name under the default pattern gives a positive safe integer or none', () => {
    const pattern = TaskIdPattern.default();
    const digitsAndWords = fc.array(fc.constantFrom('task/', 'T', 't', '/', '-', '0', '1', '9', '00', '9007199254740993', '99999999999999999999', 'feature', 'x'), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(anyText, digitsAndWords), (branch) => {
        const id = pattern.taskIdOf(branch);
        assert.ok(id === undefined || isId(id), `${JSON.stringify(branch)} gave ${String(id)}`);
      }),
      propertyRuns(500),
    );
  });

  it('any pattern a user writes, on any branch name: a positive safe integer, none, or stopped as slow', () => {
    const regexPiece = fc.constantFrom('(', ')', '\\d', '+', '*', '?', '|', '.', '^', '$', '[0-9]', '(\\d+)', '(?:', '-', '/', 'T', '{2}', '(\\w+)', '.*');
    fc.assert(
      fc.property(fc.array(regexPiece, { maxLength: 10 }).map((parts) => parts.join('')), fc.oneof(anyText, fc.stringMatching(/^[a-z/T0-9-]{0,40}$/)), (source, branch) => {
        const { pattern } = TaskIdPattern.parse(source);
        const id = pattern.taskIdOf(branch);
        assert.ok(id === undefined || id === 'slow' || isId(id), `${source} on ${JSON.stringify(branch)} gave ${String(id)}`);
      }),
      propertyRuns(300),
    );
  });
});
