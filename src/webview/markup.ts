/**
 * A task's description or comment (`Markup`) as page elements, from an allow-list only: the
 * tags below, text through text nodes, links, mentions and attachments as buttons whose click
 * asks the extension to open them. No attribute ever carries portal text, and no HTML is
 * parsed. Written against `MarkupDom` rather than the DOM, so the unit tests can check in
 * plain Node that no document makes anything else.
 */
import type { Markup, MarkupNode } from '../core/portalMarkup';

/** Every element a document can become. */
export const MARKUP_TAGS = ['p', 'b', 'i', 'u', 's', 'ul', 'ol', 'li', 'blockquote', 'cite', 'pre', 'code', 'table', 'tr', 'td', 'br', 'span'] as const;
export type MarkupTag = (typeof MARKUP_TAGS)[number];

/** What a link, a mention or an attachment asks the extension to open. */
export type OpenRequest =
  | { readonly type: 'openLink'; readonly href: string }
  | { readonly type: 'openUser'; readonly userId: number }
  | { readonly type: 'openFile'; readonly fileId: string };

/** The few ways the renderer touches the page; `N` is a node. */
export interface MarkupDom<N> {
  element(tag: MarkupTag, className?: string): N;
  text(text: string): N;
  /** A `<button type="button">` with `className` that calls `open` when pressed. */
  button(className: string, open: OpenRequest): N;
  append(parent: N, child: N): void;
}

export interface MarkupWords {
  readonly attachment: string;
  readonly truncated: string;
}

/** The nodes of a document, in order. */
export function renderMarkup<N>(markup: Markup, dom: MarkupDom<N>, words: MarkupWords): N[] {
  return markup.map((node) => renderNode(node, dom, words));
}

function renderNode<N>(node: MarkupNode, dom: MarkupDom<N>, words: MarkupWords): N {
  const wrap = (tag: MarkupTag, children: Markup, className?: string) => filled(dom.element(tag, className), renderMarkup(children, dom, words), dom);
  switch (node.kind) {
    case 'text':
      return dom.text(node.text);
    case 'lineBreak':
      return dom.element('br');
    case 'bold':
      return wrap('b', node.children);
    case 'italic':
      return wrap('i', node.children);
    case 'underline':
      return wrap('u', node.children);
    case 'strike':
      return wrap('s', node.children);
    case 'link': {
      const link = filled(dom.button('link', { type: 'openLink', href: node.href }), renderMarkup(node.children, dom, words), dom);
      // A label can read like one address (the portal's) and lead to another: unless it is the
      // address itself, the host it really leads to follows it.
      const host = linkHost(node);
      return host === undefined ? link : filled(dom.element('span'), [link, dom.text(' '), filled(dom.element('span', 'host'), [dom.text(`(${host})`)], dom)], dom);
    }
    case 'mention':
      return filled(dom.button('link mention', { type: 'openUser', userId: node.userId }), [dom.text(node.name)], dom);
    case 'attachment':
      return filled(dom.button('link attachment', { type: 'openFile', fileId: node.fileId }), [dom.text(words.attachment)], dom);
    case 'list':
      return filled(dom.element(node.ordered ? 'ol' : 'ul'), node.items.map((item) => wrap('li', item)), dom);
    case 'quote': {
      const quote = dom.element('blockquote');
      if (node.author !== undefined) dom.append(quote, filled(dom.element('cite'), [dom.text(node.author)], dom));
      return filled(quote, renderMarkup(node.children, dom, words), dom);
    }
    case 'code':
      return filled(dom.element('pre'), [filled(dom.element('code'), [dom.text(node.lines.join('\n'))], dom)], dom);
    case 'table':
      return filled(dom.element('table'), node.rows.map((row) => filled(dom.element('tr'), row.map((cell) => wrap('td', cell)), dom)), dom);
    case 'truncated':
      return filled(dom.element('p', 'truncated'), [dom.text(words.truncated)], dom);
  }
}

function filled<N>(parent: N, children: readonly N[], dom: MarkupDom<N>): N {
  for (const child of children) dom.append(parent, child);
  return parent;
}

/** The host a link leads to, unless its label is its address; undefined for an address that does not parse. */
export function linkHost(link: Extract<MarkupNode, { kind: 'link' }>): string | undefined {
  let host: string;
  try {
    host = new URL(link.href).host;
  } catch {
    return undefined;
  }
  return labelOf(link.children) === link.href ? undefined : host;
}

function labelOf(markup: Markup): string {
  return markup.map((node) => (node.kind === 'text' ? node.text : 'children' in node ? labelOf(node.children) : '\u0000')).join('');
}
