/**
 * Portal markup: a task's description and its comments, which Bitrix24 keeps as BB-code, read
 * into a document of a closed set of node kinds that a view renders itself, never as HTML.
 *
 * Whoever can write a task or a comment writes this text, so what comes out is bounded and
 * inert: every piece of text is `PortalText` (the webhook's secret redacted, control and bidi
 * characters made spaces); a link carries only an absolute http(s) address, as data; a
 * mention carries a user id, an attachment a disk file id; any other tag (`[IMG]`, `[COLOR]`,
 * `[VIDEO]`, …) is dropped and its text kept, so a remote image is its address as text and is
 * never fetched. The portal has already decoded HTML entities (`htmlspecialchars_decode`), so
 * `<script>` is text like any other. At most MAX_MARKUP_LENGTH characters are read and as many
 * come out, and containers nest at most MAX_MARKUP_DEPTH deep; a cut ends the document with a
 * `truncated` node.
 */
import { parse } from '@bbob/parser';
import type { TagNode } from '@bbob/parser';
import { portalRun, PortalText, portalText, Redact } from './portalText';

/**
 * How much markup is read and how much text comes out, in UTF-16 units. The parser's time
 * grows with the square of the length for some inputs (it searches the rest of the text for
 * each distinct tag's close and for each `[`): at this length the worst takes a fraction of a
 * second, at 256 KiB it took seconds.
 */
export const MAX_MARKUP_LENGTH = 32_768;

/** How deep containers (formatting, links, lists, quotes, tables) nest; deeper tags are dropped, their text kept. */
export const MAX_MARKUP_DEPTH = 32;

export type Markup = readonly MarkupNode[];

export type MarkupNode =
  | { readonly kind: 'text'; readonly text: PortalText }
  | { readonly kind: 'lineBreak' }
  | { readonly kind: 'bold' | 'italic' | 'underline' | 'strike'; readonly children: Markup }
  /** `href` is an absolute http: or https: URL (as `URL.href` writes it), on any host. */
  | { readonly kind: 'link'; readonly href: string; readonly children: Markup }
  | { readonly kind: 'mention'; readonly userId: number; readonly name: PortalText }
  /** A file on the portal's disk (`n123`), shown as "open in Bitrix24". */
  | { readonly kind: 'attachment'; readonly fileId: string }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly items: readonly Markup[] }
  | { readonly kind: 'quote'; readonly author?: PortalText; readonly children: Markup }
  | { readonly kind: 'code'; readonly lines: readonly PortalText[] }
  | { readonly kind: 'table'; readonly rows: readonly (readonly Markup[])[] }
  /** The rest of the text is on the portal. */
  | { readonly kind: 'truncated' };

type Content = ReturnType<typeof parse>[number] | string | number | null | undefined;

/**
 * Tag names in any case (`[B]…[/b]`); `[CODE]` holds its text as written, tags and all.
 * Backslash escapes stay off, so a path like `C:\[x]` stays as written.
 */
const PARSE_OPTIONS = { caseFreeTags: true, contextFreeTags: ['code'] };

/** A Map, not an object: a tag named `[constructor]` or `[__proto__]` is no format. */
const FORMATS = new Map<string, 'bold' | 'italic' | 'underline' | 'strike'>([
  ['b', 'bold'],
  ['i', 'italic'],
  ['u', 'underline'],
  ['s', 'strike'],
]);

const USER_ID = /^[1-9][0-9]{0,9}$/;
/** `[DISK FILE ID=n123]`: `n` marks a disk object id, a bare number an attached file's. */
const FILE_ID = /^n?[0-9]{1,18}$/;

const LINE_BREAK: MarkupNode = { kind: 'lineBreak' };
const TRUNCATED: MarkupNode = { kind: 'truncated' };

/** A task's description or a comment, from the portal's BB-code. Never throws. */
export function portalMarkup(bbcode: string, redact: Redact): Markup {
  // Redacted before the cut, so no part of the secret is left at it.
  const whole = redact(bbcode.replace(/\r\n?/g, '\n'));
  const input = cut(whole, MAX_MARKUP_LENGTH);
  const reader = new MarkupReader(redact);
  let markup = reader.nodes(parse(input, PARSE_OPTIONS), 0, false);
  let truncated = reader.truncated || input.length < whole.length;
  // Every run is redacted, but markup can spell the secret across runs (`abc[B]def[/B]`): then
  // the document is its text alone, redacted as one.
  const text = markupText(markup);
  const redacted = redact(text);
  if (redacted !== text) {
    const plain = new MarkupReader(redact);
    markup = plain.nodes([redacted], 0, false);
    truncated ||= plain.truncated;
  }
  return truncated ? [...markup, TRUNCATED] : markup;
}

/**
 * The document's text as it reads: line breaks and the edges of blocks (list items, table
 * cells, quotes, code) as newlines, links as their labels, mentions as names, attachments as
 * nothing.
 */
export function markupText(markup: Markup): string {
  return markup.map(nodeText).join('');
}

function nodeText(node: MarkupNode): string {
  switch (node.kind) {
    case 'text':
      return node.text;
    case 'lineBreak':
      return '\n';
    case 'mention':
      return node.name;
    case 'attachment':
    case 'truncated':
      return '';
    case 'code':
      return `\n${node.lines.join('\n')}\n`;
    case 'list':
      return `${node.items.map((item) => `\n${markupText(item)}`).join('')}\n`;
    case 'quote':
      return `\n${node.author ?? ''}\n${markupText(node.children)}\n`;
    case 'table':
      return `${node.rows.map((row) => row.map((cell) => `\n${markupText(cell)}`).join('')).join('')}\n`;
    default:
      return markupText(node.children);
  }
}

/** Reads the parser's tree within one budget of characters; `truncated` once it ran out. */
class MarkupReader {
  truncated = false;
  #left = MAX_MARKUP_LENGTH;

  constructor(private readonly redact: Redact) {}

  /**
   * The nodes of `content` at nesting `depth`. A dropped tag's content takes its place in the
   * same loop (not a call deeper), so text on both sides of it forms one run and any depth of
   * unknown tags costs no stack.
   */
  nodes(content: readonly Content[], depth: number, inLink: boolean): MarkupNode[] {
    const out: MarkupNode[] = [];
    const pending = [...content].reverse();
    let run = '';
    while (pending.length > 0 && !this.truncated) {
      const item = pending.pop();
      if (!isTag(item)) {
        run += item ?? '';
        continue;
      }
      const convert = this.#converter(item, depth, inLink);
      if (convert === undefined) {
        append(pending, contentOf(item).reverse());
        continue;
      }
      this.#text(run, out);
      run = '';
      append(out, convert());
    }
    this.#text(run, out);
    return out;
  }

  /** How to convert a known tag here, or undefined to drop the tag and keep its content. */
  #converter(tag: TagNode, depth: number, inLink: boolean): (() => MarkupNode[]) | undefined {
    const name = String(tag.tag).toLowerCase();
    const content = contentOf(tag);
    const nests = depth < MAX_MARKUP_DEPTH;
    const inner = (edges: 'keep' | 'trim' = 'keep') => {
      const nodes = this.nodes(content, depth + 1, inLink);
      return edges === 'trim' ? trimBlock(nodes) : nodes;
    };
    const format = FORMATS.get(name);
    if (format !== undefined && nests) return () => nonEmpty(inner(), (children) => ({ kind: format, children }));
    // Inside a link only formatting: no link in a link, nor a mention or an attachment.
    if (inLink || !nests) return undefined;
    switch (name) {
      case 'url':
        return this.#link(uniqueAttr(tag) ?? innerText(content), content, depth);
      case 'user':
        return this.#mention(uniqueAttr(tag), innerText(content));
      case 'disk':
        return this.#attachment(tag, inner);
      case 'list':
        return () => this.#list(content, uniqueAttr(tag) !== undefined, depth);
      case 'quote':
        return () => this.#quote(uniqueAttr(tag), () => inner('trim'));
      case 'code':
        return () => this.#code(innerText(content));
      case 'table':
        return () => this.#table(content, depth);
      default:
        return undefined;
    }
  }

  #link(address: string, content: readonly Content[], depth: number): (() => MarkupNode[]) | undefined {
    const href = externalHref(address.trim(), this.redact);
    if (href === undefined) return undefined;
    return () => {
      const label = this.nodes(content, depth + 1, true);
      if (label.length === 0) this.#text(href, label);
      return nonEmpty(label, (children) => ({ kind: 'link', href, children }));
    };
  }

  #mention(id: string | undefined, name: string): (() => MarkupNode[]) | undefined {
    const userId = id?.trim();
    const shown = portalText(name, this.redact);
    if (userId === undefined || !USER_ID.test(userId) || shown === '') return undefined;
    return () => (this.#fits(shown) ? [{ kind: 'mention', userId: Number(userId), name: shown }] : []);
  }

  #attachment(tag: TagNode, inner: () => MarkupNode[]): (() => MarkupNode[]) | undefined {
    const fileId = attr(tag, 'id')?.trim();
    if (attr(tag, 'file') === undefined || fileId === undefined || !FILE_ID.test(fileId)) return undefined;
    return () => [{ kind: 'attachment', fileId }, ...inner()];
  }

  /** `[LIST]` (`[LIST=1]` numbered): each `[*]` starts an item; text before the first is one too. */
  #list(content: readonly Content[], ordered: boolean, depth: number): MarkupNode[] {
    const groups: Content[][] = [[]];
    for (const item of content) {
      if (isTag(item) && String(item.tag) === '*') groups.push(contentOf(item));
      else groups[groups.length - 1].push(item);
    }
    const items = groups.map((group) => trimBlock(this.nodes(group, depth + 1, false))).filter((item) => item.length > 0);
    return nonEmpty(items, (items) => ({ kind: 'list', ordered, items }));
  }

  /** The author first, as the quote reads: its text takes the budget before the quoted text. */
  #quote(author: string | undefined, inner: () => MarkupNode[]): MarkupNode[] {
    const by = author === undefined ? '' : portalText(author, this.redact);
    if (by === '') return nonEmpty(inner(), (children) => ({ kind: 'quote', children }));
    return this.#fits(by) ? [{ kind: 'quote', author: by, children: inner() }] : [];
  }

  #code(text: string): MarkupNode[] {
    const lines: PortalText[] = [];
    for (const line of text.replace(/^\n+|\n+$/g, '').split('\n')) {
      const taken = this.#take(line);
      if (taken === undefined) break;
      lines.push(taken);
    }
    return nonEmpty(lines, (lines) => ({ kind: 'code', lines }));
  }

  /** `[TABLE][TR][TD]…`; `[TH]` is a cell too, and text between rows or cells is a row or a cell of its own. */
  #table(content: readonly Content[], depth: number): MarkupNode[] {
    const rows = segments(content, ['tr'])
      .map((row) => segments(row, ['td', 'th']).map((cell) => trimBlock(this.nodes(cell, depth + 1, false))).filter((cell) => cell.length > 0))
      .filter((row) => row.length > 0);
    return nonEmpty(rows, (rows) => ({ kind: 'table', rows }));
  }

  /** A run of text as text nodes and line breaks, appended to `out`. */
  #text(run: string, out: MarkupNode[]): void {
    run.split('\n').forEach((line, i) => {
      if (i > 0 && !this.truncated) out.push(LINE_BREAK);
      const text = this.#take(line);
      if (text !== undefined && text !== '') out.push({ kind: 'text', text });
    });
  }

  /** `line` cleaned, cut to what is left of the budget; undefined once nothing is. */
  #take(line: string): PortalText | undefined {
    if (this.truncated) return undefined;
    const text = portalRun(line, this.redact, Infinity);
    if (this.#fits(text)) return text;
    if (this.#left === 0) return undefined;
    const cut = portalRun(line, this.redact, this.#left);
    this.#left = 0;
    return cut;
  }

  /** Whether `text` fits what is left of the budget, and takes it; if not, the document is truncated. */
  #fits(text: string): boolean {
    if (text.length > this.#left) {
      this.truncated = true;
      return false;
    }
    this.#left -= text.length;
    return true;
  }
}

/**
 * An absolute http: or https: address without a user name or password, as `URL.href` writes it
 * (ASCII: the host in punycode, the rest percent-encoded), or undefined: `javascript:`,
 * `data:`, `file:`, `vscode:`, `command:`, relative and malformed addresses stay text, and so
 * does one whose href holds the webhook's secret (the input was redacted, but `[URL]` takes its
 * address from text that markup may split, `[URL]…/rest/1/ab[B][/B]cd/[/URL]`, and the URL
 * parser drops tabs and newlines, `…/rest/1/ab<tab>cd/`).
 */
function externalHref(address: string, redact: Redact): string | undefined {
  if (!URL.canParse(address)) return undefined;
  const { href, protocol, username, password } = new URL(address);
  const web = protocol === 'https:' || protocol === 'http:';
  return web && username === '' && password === '' && redact(href) === href ? href : undefined;
}

function isTag(item: Content): item is TagNode {
  return typeof item === 'object' && item !== null && 'tag' in item;
}

function contentOf(tag: TagNode): Content[] {
  const content = tag.content as Content | Content[];
  return Array.isArray(content) ? [...content] : [content];
}

/** The value of `[TAG=value]` (the parser keeps it as an attribute named by its own value). */
function uniqueAttr(tag: TagNode): string | undefined {
  return Object.keys(tag.attrs).find((key) => tag.attrs[key] === key);
}

/** The attribute `name` in any case (`[DISK FILE ID=n123]`: `FILE` and `ID`). */
function attr(tag: TagNode, name: string): string | undefined {
  const key = Object.keys(tag.attrs).find((key) => key.toLowerCase() === name);
  return key === undefined ? undefined : String(tag.attrs[key]);
}

/** The text of a subtree, its tags dropped; a loop, not recursion (the tree can be deep). */
function innerText(content: readonly Content[]): string {
  let text = '';
  const pending = [...content].reverse();
  while (pending.length > 0) {
    const item = pending.pop();
    if (isTag(item)) append(pending, contentOf(item).reverse());
    else text += item ?? '';
  }
  return text;
}

/**
 * `content` split into the content of each tag named in `names` and, between them, runs of
 * anything else that is not only white space.
 */
function segments(content: readonly Content[], names: readonly string[]): Content[][] {
  const out: Content[][] = [];
  let run: Content[] = [];
  const endRun = () => {
    if (run.some((item) => isTag(item) || String(item ?? '').trim() !== '')) out.push(run);
    run = [];
  };
  for (const item of content) {
    if (isTag(item) && names.includes(String(item.tag).toLowerCase())) {
      endRun();
      out.push(contentOf(item));
    } else {
      run.push(item);
    }
  }
  endRun();
  return out;
}

/** A block's content without the line breaks and blank text at its edges (`[QUOTE]\ntext\n[/QUOTE]`). */
function trimBlock(nodes: MarkupNode[]): MarkupNode[] {
  const blank = (node: MarkupNode | undefined) => node?.kind === 'lineBreak' || (node?.kind === 'text' && node.text.trim() === '');
  let start = 0;
  let end = nodes.length;
  while (start < end && blank(nodes[start])) start++;
  while (end > start && blank(nodes[end - 1])) end--;
  return nodes.slice(start, end);
}

/** A loop, not `target.push(...items)`: its arguments go on the stack, and a tag can hold 32,000 pieces. */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

function nonEmpty<T>(parts: T[], make: (parts: T[]) => MarkupNode): MarkupNode[] {
  return parts.length > 0 ? [make(parts)] : [];
}

/** At most `max` UTF-16 units, never half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}
