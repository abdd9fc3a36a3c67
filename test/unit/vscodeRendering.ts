/**
 * What VS Code 1.99's workbench does with text, copied from its source, so the unit tests can
 * check portal text against it without a browser (the e2e suite checks the real thing):
 *
 *  - a notification message: cut at 1000 characters, newlines to spaces, then links by
 *    `LINK_REGEX` (src/vs/base/common/linkedText.ts, applied in
 *    src/vs/workbench/common/notifications.ts);
 *  - a label with icons (quick picks, and hovers after Markdown): `renderLabelWithIcons`
 *    (src/vs/base/browser/ui/iconLabel/iconLabels.ts).
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */

const NOTIFICATION_MAX_MESSAGE_LENGTH = 1000;
const LINK_REGEX = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const LABEL_ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

/** The targets of the links a notification would show for `message`. */
export function notificationLinks(message: string): string[] {
  let text = message;
  if (text.length > NOTIFICATION_MAX_MESSAGE_LENGTH) text = `${text.substring(0, NOTIFICATION_MAX_MESSAGE_LENGTH)}...`;
  text = text.replace(/(\r\n|\n|\r)/gm, ' ').trim();
  return [...text.matchAll(LINK_REGEX)].map((match) => match[2]);
}

/** A label as rendered: its text (icons left out) and its icons. */
export function labelIcons(label: string): { text: string; icons: string[] } {
  const icons: string[] = [];
  const text = label.replace(LABEL_ICON, (_whole, escaped: string | undefined, name: string) => {
    if (escaped) return `$(${name})`;
    icons.push(name);
    return '';
  });
  return { text, icons };
}

/** `&#36;` → `$`: what the browser makes of the numeric references in `markdownText`. */
export function decodeCharacterReferences(html: string): string {
  return html.replace(/&#(\d+);/g, (_whole, code: string) => String.fromCharCode(Number(code)));
}
