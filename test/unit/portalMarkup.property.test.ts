/**
 * The promises about portal markup, searched with fast-check: whatever a description or a
 * comment holds (any string, and soups and nestings of BB-code tags with hostile attributes,
 * the webhook's secret whole or split by markup, HTML, bidi controls),
 *
 *  - reading it never throws;
 *  - every node is of a kind of the allow-list, with that kind's fields and no others;
 *  - every link's address is an absolute http(s) URL without credentials;
 *  - no string in the document holds the secret, and neither does its text read in order;
 *  - no text holds a control or bidi character;
 *  - its text is at most MAX_MARKUP_LENGTH characters, its containers nest at most
 *    MAX_MARKUP_DEPTH deep, it has no more nodes than the input has characters (and one
 *    `truncated` node, only ever last);
 *  - text without markup reads as written.
 * Counterexamples stay as examples in portalMarkup.test.ts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Markup, MarkupNode, markupText, MAX_MARKUP_DEPTH, MAX_MARKUP_LENGTH, portalMarkup } from '../../src/core/portalMarkup';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { propertyRuns } from './propertyRuns';

const SECRET = 'markupproperty0042';
const parsed = WebhookUrl.parse(`https://portal.bitrix24.com/rest/3/${SECRET}/`);
assert.ok(parsed.ok);
const webhook = parsed.webhook;
const read = (bbcode: string) => portalMarkup(bbcode, webhook.redact);

/** The allow-list: each kind and the fields it may have. */
const FIELDS: Record<MarkupNode['kind'], readonly string[]> = {
  text: ['kind', 'text'],
  lineBreak: ['kind'],
  bold: ['kind', 'children'],
  italic: ['kind', 'children'],
  underline: ['kind', 'children'],
  strike: ['kind', 'children'],
  link: ['kind', 'href', 'children'],
  mention: ['kind', 'userId', 'name'],
  attachment: ['kind', 'fileId'],
  list: ['kind', 'ordered', 'items'],
  quote: ['kind', 'author', 'children'],
  code: ['kind', 'lines'],
  table: ['kind', 'rows'],
  truncated: ['kind'],
};

const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

const holdsSecret = (text: string) => text.toLowerCase().includes(SECRET.toLowerCase());

/** The documents a node holds (a list's items, a table's cells), each one level deeper. */
function inner(node: MarkupNode): Markup[] {
  switch (node.kind) {
    case 'bold':
    case 'italic':
    case 'underline':
    case 'strike':
    case 'link':
    case 'quote':
      return [node.children];
    case 'list':
      return [...node.items];
    case 'table':
      return node.rows.flat();
    default:
      return [];
  }
}

function nodes(markup: Markup): MarkupNode[] {
  return markup.flatMap((node) => [node, ...inner(node).flatMap(nodes)]);
}

/** How many containers nest on the deepest path. */
function depth(markup: Markup): number {
  return Math.max(0, ...markup.map((node) => (inner(node).length > 0 ? 1 + Math.max(...inner(node).map(depth)) : 0)));
}

/** The texts a view shows: text, names, authors, lines of code. */
function texts(node: MarkupNode): string[] {
  switch (node.kind) {
    case 'text':
      return [node.text];
    case 'mention':
      return [node.name];
    case 'quote':
      return node.author === undefined ? [] : [node.author];
    case 'code':
      return [...node.lines];
    default:
      return [];
  }
}

function assertWellFormed(input: string, markup: Markup): void {
  const all = nodes(markup);
  for (const node of all) {
    assert.ok(Object.hasOwn(FIELDS, node.kind), `kind ${String(node.kind)}`);
    const extra = Object.keys(node).filter((key) => !FIELDS[node.kind].includes(key));
    assert.deepEqual(extra, [], `fields of ${node.kind}`);
    if (node.kind === 'link') {
      const url = new URL(node.href);
      assert.ok(url.protocol === 'https:' || url.protocol === 'http:', node.href);
      assert.equal(url.href, node.href);
      assert.equal(url.username + url.password, '');
    }
    if (node.kind === 'mention') assert.ok(Number.isSafeInteger(node.userId) && node.userId > 0);
    if (node.kind === 'attachment') assert.match(node.fileId, /^n?[0-9]+$/);
    if (node.kind === 'list') assert.equal(typeof node.ordered, 'boolean');
    for (const text of texts(node)) {
      assert.equal(typeof text, 'string');
      assert.doesNotMatch(text, UNPRINTABLE);
    }
  }
  const serialized = JSON.stringify(markup);
  assert.ok(!holdsSecret(serialized), serialized);
  assert.ok(!holdsSecret(markupText(markup)), markupText(markup));
  const shown = all.flatMap(texts).join('');
  assert.ok(shown.length <= MAX_MARKUP_LENGTH, `${shown.length} characters`);
  assert.ok(depth(markup) <= MAX_MARKUP_DEPTH, `${depth(markup)} deep`);
  assert.ok(all.length <= input.length + 1, `${all.length} nodes from ${input.length} characters`);
  const cuts = all.filter((node) => node.kind === 'truncated');
  assert.ok(cuts.length === 0 || (cuts.length === 1 && markup.at(-1) === cuts[0]), 'truncated only last');
}

const TAG_NAMES = [
  'b', 'I', 'u', 'S', 'url', 'URL', 'user', 'USER', 'disk', 'DISK FILE', 'list', 'LIST', '*', 'quote', 'QUOTE', 'code', 'CODE',
  'table', 'TR', 'td', 'TH', 'img', 'IMG', 'color', 'size', 'font', 'video', 'spoiler', 'constructor', '__proto__', 'x', '',
];
const ATTRIBUTES = [
  '', '=https://x.example/a', '=HTTPS://A.EXAMPLE', '=http://x.example/a b', '=javascript:alert(1)', '=JavaScript:alert(1)',
  '=java\tscript:x', '=data:text/html,<script>', '=file:///etc/passwd', '=vscode:extension/x', '=command:workbench.action.terminal.new',
  '=//evil.example', '=/company/', '=https://user:pw@x.example', `=${webhook.reveal()}`, `=${SECRET}`, '=5', '=0', '=n123', ' ID=n123',
  ' FILE ID=n123', ' FILE ID=../x', '="quoted value"', '=Anna Petrova', '=1', ' width=1 height=1', '=', '==',
];
const TEXTS = [
  'text', ' ', '\n', '\r\n', '\t', '[', ']', '=', '"', '\\', '/', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
  'https://tracker.example/p.gif', 'javascript:alert(1)', '\u202E', '\u2066', '\u2069', '\u0000', '\u2028', '😀', '\uD83D', 'Анна',
  SECRET, SECRET.toUpperCase(), SECRET.slice(0, 9), SECRET.slice(9), webhook.reveal(), '…',
];
const tagName = fc.constantFrom(...TAG_NAMES);
const piece = fc.oneof(
  fc.tuple(tagName, fc.constantFrom(...ATTRIBUTES)).map(([name, attrs]) => `[${name}${attrs}]`),
  tagName.map((name) => `[/${name}]`),
  fc.constantFrom(...TEXTS),
  fc.string({ maxLength: 8 }),
);
/** BB-code soups: random tags, attributes and text, opened, closed, misnested or not. */
const soup = fc.array(piece, { maxLength: 80, size: 'max' }).map((pieces) => pieces.join(''));
const ADDRESSES = [
  'https://x.example/a', 'HTTPS://A.EXAMPLE', 'http://x.example/a b', 'javascript:alert(1)', 'java\tscript:x', 'data:text/html,<script>',
  'file:///etc/passwd', 'vscode:extension/x', 'command:workbench.action.terminal.new', '//evil.example', '/company/',
  'https://user:pw@x.example', webhook.reveal(), `https://portal.bitrix24.com/rest/3/${SECRET.slice(0, 9)}[B][/B]${SECRET.slice(9)}/`, 'ftp://x.example',
  `https://portal.bitrix24.com/rest/3/${SECRET.slice(0, 9)}\t${SECRET.slice(9)}/`, `https://portal.bitrix24.com/rest/3/${SECRET.slice(0, 9)}\n${SECRET.slice(9)}/`,
];
const address = fc.constantFrom(...ADDRESSES);
const id = fc.constantFrom('5', '0', 'n123', '123', 'x', SECRET, '');
/** Markup as people write it: each tag with the attributes it takes, mostly closed (by name, in any case), nested. */
const { nested } = fc.letrec<{ nested: string; element: string }>((tie) => {
  const inside = tie('nested');
  const close = (name: string) => fc.constantFrom(`[/${name}]`, `[/${name.toLowerCase()}]`, '');
  const wrap = (open: fc.Arbitrary<string>, name: string, content = inside) =>
    fc.tuple(open, content, close(name)).map(([start, middle, end]) => `${start}${middle}${end}`);
  const items = fc.array(inside.map((item) => `[*]${item}\n`), { maxLength: 4 }).map((parts) => `\n${parts.join('')}`);
  const row = fc.array(fc.tuple(fc.constantFrom('TD', 'TH'), inside).map(([cell, text]) => `[${cell}]${text}[/${cell}]`), { maxLength: 3 });
  return {
    nested: fc.oneof(
      { depthSize: 'medium', maxDepth: 8 },
      piece,
      { arbitrary: tie('element'), weight: 3 },
      fc.array(inside, { maxLength: 4 }).map((parts) => parts.join('')),
    ),
    element: fc.oneof(
      fc.constantFrom('B', 'I', 'U', 'S').chain((name) => wrap(fc.constant(`[${name}]`), name)),
      address.chain((href) => wrap(fc.constantFrom(`[URL=${href}]`, '[URL]'), 'URL', fc.oneof(inside, fc.constant(href)))),
      id.chain((user) => wrap(fc.constant(`[USER=${user}]`), 'USER')),
      id.map((file) => `[DISK FILE ID=${file}]`),
      wrap(fc.constantFrom('[LIST]', '[LIST=1]'), 'LIST', items),
      wrap(fc.constantFrom('[QUOTE]', '[QUOTE=Anna Petrova]', `[QUOTE=${SECRET}]`), 'QUOTE'),
      wrap(fc.constant('[CODE]'), 'CODE'),
      wrap(fc.constant('[TABLE]'), 'TABLE', fc.array(row.map((cells) => `[TR]${cells.join('')}[/TR]`), { maxLength: 3 }).map((rows) => rows.join('\n'))),
      address.chain((src) => wrap(fc.constantFrom('[IMG]', '[IMG width=1 height=1]'), 'IMG', fc.constant(src))),
      fc.constantFrom('COLOR=red', 'SIZE=20', 'FONT=Arial', 'VIDEO', 'SPOILER', 'constructor', '__proto__').chain((tag) => wrap(fc.constant(`[${tag}]`), tag.split('=')[0])),
    ),
  };
});
const anyText = fc.oneof(soup, { arbitrary: nested, weight: 2 }, fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));

describe('portal markup (properties)', () => {
  it('any text reads into a well-formed, bounded, secret-free document of allowed kinds', () => {
    fc.assert(
      fc.property(anyText, (input) => assertWellFormed(input, read(input))),
      propertyRuns(500),
    );
  });

  it('deep nesting, long text and text that grows when read stay within the caps', () => {
    const TAGS = [
      ['[B]', '[/B]'], ['[I]', '[/i]'], ['[QUOTE]', '[/QUOTE]'], ['[LIST][*]', '[/LIST]'], ['[TABLE][TR][TD]', '[/TD][/TR][/TABLE]'],
      ['[COLOR=red]', '[/COLOR]'],
    ];
    const deep = fc
      .tuple(fc.array(fc.constantFrom(...TAGS), { minLength: 2 * MAX_MARKUP_DEPTH, maxLength: 300 }), nested)
      .map(([tags, middle]) => `${tags.map(([open]) => open).join('')}${middle}${tags.map(([, close]) => close).reverse().join('')}`);
    const long = fc.tuple(fc.oneof(soup, nested), fc.integer({ min: 1, max: 4000 })).map(([text, times]) => text.repeat(times));
    // A link without a label shows its address, here percent-encoded at six characters a letter: more text than it took.
    const growing = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 200, max: 2000 }))
      .map(([letters, times]) => `[URL=https://x.example/${'ÿ'.repeat(letters)}][/URL]`.repeat(times));
    fc.assert(
      fc.property(fc.oneof(deep, long, growing), (input) => assertWellFormed(input, read(input))),
      propertyRuns(30),
    );
  });

  it('text without markup reads as written, control and bidi characters as spaces', () => {
    const plain = fc
      .oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), soup)
      .filter((text) => !text.includes('[') && !holdsSecret(text));
    fc.assert(
      fc.property(plain, (input) => {
        const lines = input.replace(/\r\n?/g, '\n').split('\n');
        const expected = lines.map((line) => line.replace(new RegExp(`${UNPRINTABLE.source}+`, 'gu'), ' ')).join('\n');
        assert.equal(markupText(read(input)), expected);
      }),
      propertyRuns(300),
    );
  });
});
