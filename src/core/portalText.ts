/**
 * Text that comes from the portal: user, group and counter names, task titles, error codes and
 * descriptions, a redirect's host. Whoever can rename themselves, a group or a task on the
 * portal writes it, so it is cleaned once where it enters (`portalText`: no secret, no control
 * characters, a bounded length) and kept literal where a surface would otherwise interpret
 * it: a notification's links (`inert`), a quick pick's `$(icons)` (`iconsAsText`), a tooltip's
 * Markdown (`markdownText`).
 *
 * Cleaned text has its own type, `PortalText`, which only this module makes (ESLint refuses a
 * cast to it anywhere else): the model holds portal text as `PortalText`, and the surfaces and
 * log lines take it as such, so a raw string from the portal does not type-check there.
 */

declare const cleaned: unique symbol;

/** Portal text fit to show, log or store: made by `portalText`, `portalRun` (or `sentence` around them) only. */
export type PortalText = string & { readonly [cleaned]: true };

/** Removes the webhook's secret from text (`WebhookUrl.redact`). */
export type Redact = (text: string) => string;

/** The longest portal string anything shows or stores (a name, an error description). */
export const MAX_PORTAL_TEXT = 200;

export const ELLIPSIS = '…';

/**
 * Control characters (newlines, tabs, escapes), line and paragraph separators, and the bidi
 * embeddings, overrides and isolates that would let a name reorder the text around it.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]+/gu;

/**
 * Portal text fit to show or store: the webhook's secret redacted (before the cut, so no part
 * of it survives either), unprintable characters and runs of white space turned into one
 * space, at most MAX_PORTAL_TEXT characters with an ellipsis.
 */
export function portalText(text: string, redact: Redact): PortalText {
  return truncate(printable(text, redact).replace(/\s+/g, ' ').trim(), MAX_PORTAL_TEXT) as PortalText;
}

/**
 * A run of portal text inside markup (the words between two tags of a description, a line of
 * code), cleaned like `portalText` but with its spaces kept as written: runs meet at them
 * (`Ask [USER=3]Viktor[/USER] for the logs`), and a line of code keeps its indentation. At most
 * `max` characters (at least 1); the markup's reader bounds the whole.
 */
export function portalRun(text: string, redact: Redact, max: number): PortalText {
  return truncate(printable(text, redact), max) as PortalText;
}

/** The secret redacted after the unprintable characters became spaces (so none splits it). */
function printable(text: string, redact: Redact): string {
  return redact(text.replace(UNPRINTABLE, ' '));
}

/**
 * The extension's own words around portal text, for a failure's detail or a log line:
 * ``sentence`the portal redirected the request to ${host}` ``. What goes in is `PortalText`, a
 * number, or the extension's own words (a string literal type, such as a counter or a method
 * name): a `string` does not type-check (its type here is `never`). The result is capped like
 * any portal text.
 */
export function sentence<const P extends readonly unknown[]>(words: TemplateStringsArray, ...parts: { [K in keyof P]: SentencePart<P[K]> }): PortalText {
  const text = words.reduce((said, word, i) => `${said}${String(parts[i - 1])}${word}`);
  return truncate(text, MAX_PORTAL_TEXT) as PortalText;
}

/**
 * PortalText, a number or a finite union of string literals; `never` for anything else. A
 * `string` (or a template type such as `x${string}`) makes `Record<T, true>` an index
 * signature, which an empty object satisfies.
 */
type SentencePart<T> = T extends PortalText | number
  ? T
  : T extends string
    ? Record<never, never> extends Record<T, true>
      ? never
      : T
    : never;

/** At most `max` UTF-16 units, the last one an ellipsis when cut; never half a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end).trimEnd()}${ELLIPSIS}`;
}

/**
 * `epochMs` when a `Date` can hold it, else undefined: a portal's `Retry-After` or reset time
 * can point past the year 275760, and formatting such a time throws.
 */
export function showableTime(epochMs: number): number | undefined {
  return Number.isNaN(new Date(epochMs).getTime()) ? undefined : epochMs;
}

/**
 * Alphabetical order for names, the same on every machine. Built once: `localeCompare` builds
 * a collator per call, and an answer can hold 40,000 names.
 */
export const compareText = new Intl.Collator('en').compare;

/** U+2060 WORD JOINER: no width, no glyph, no line break. */
const WORD_JOINER = '\u2060';

/**
 * Portal text for a notification message, where VS Code makes a link of
 * `[label](command:…)`, `[label](https://…)` and `[label](file:…)` (`LINK_REGEX` of
 * src/vs/base/common/linkedText.ts, which the notification renderer applies to the message:
 * `/\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi`).
 * Every such link contains `](`. A word joiner after each `]` and before a leading `(`
 * means that pair never forms, inside the text or where it meets the message around it, and
 * the text still reads (and copies) as written.
 */
export function inert(text: string): string {
  return text.replaceAll(']', `]${WORD_JOINER}`).replace(/^\(/, `${WORD_JOINER}(`);
}

/** An icon as VS Code's labels render it (`ThemeIcon.iconNameExpression`, modifier). */
const ICON = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/**
 * Portal text for a quick pick's label, description or detail, which render `$(name)` as an
 * icon and `\$(name)` as the text `$(name)`: a backslash before each icon shows it as written.
 * Unlike VS Code's `escapeIcons`, an icon already after a backslash gets one too, so that
 * backslash stays visible as well.
 */
export function iconsAsText(text: string): string {
  return text.replace(ICON, '\\$&');
}

/**
 * Text that renders as itself in a Markdown tooltip, even one with `supportThemeIcons` and
 * trusted command links: every ASCII punctuation character becomes a numeric character
 * reference. Backslash escapes are not enough: VS Code renders `$(icons)` in the HTML that
 * Markdown produced (after the escapes are gone), and GFM makes links of bare `https://…`,
 * `www.…` and e-mail addresses whatever is escaped around them. A character reference is
 * literal text to Markdown and stays one until the browser decodes it, after both.
 */
export function markdownText(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, (c) => `&#${c.charCodeAt(0)};`);
}
