/**
 * What the task tab's webview sends, checked on arrival: the webview shows portal text and is
 * treated as untrusted input. Anything that is not one of the `FromWebview` messages, within
 * its bounds, is ignored.
 */
import { boolean, check, literal, maxLength, minValue, number, object, picklist, pipe, safeInteger, safeParse, string, variant } from 'valibot';
import { STATUS_ACTIONS } from '../../core/taskCard';
import { FromWebview, MAX_COMMENT_LENGTH, MAX_HREF_LENGTH } from './protocol';

const id = pipe(number(), safeInteger(), minValue(1));
const comment = pipe(string(), maxLength(MAX_COMMENT_LENGTH));
const signal = <T extends string>(type: T) => object({ type: literal(type) });

const FROM_WEBVIEW = variant('type', [
  signal('ready'),
  object({ type: literal('status'), action: picklist(STATUS_ACTIONS) }),
  object({ type: literal('timer'), start: boolean() }),
  object({ type: literal('checklist'), itemId: id, done: boolean() }),
  object({ type: literal('comment'), text: pipe(comment, check((text) => text.trim() !== '')) }),
  object({ type: literal('draft'), text: comment }),
  signal('tryAgain'),
  object({ type: literal('openLink'), href: pipe(string(), maxLength(MAX_HREF_LENGTH)) }),
  object({ type: literal('openUser'), userId: id }),
  object({ type: literal('openFile'), fileId: pipe(string(), maxLength(32)) }),
  signal('openInBitrix24'),
  signal('copyLink'),
]);

/** A message from the webview, checked; undefined for anything else (which is ignored). */
export function fromWebview(message: unknown): FromWebview | undefined {
  const parsed = safeParse(FROM_WEBVIEW, message);
  return parsed.success ? parsed.output : undefined;
}

/** For the unit tests' generators: every type the webview may send. */
export const FROM_WEBVIEW_TYPES = FROM_WEBVIEW.options.map((option) => option.entries.type.literal);
