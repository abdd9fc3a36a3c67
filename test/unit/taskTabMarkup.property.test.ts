/**
 * The task tab's markup renderer: any document becomes elements from the allow-list only,
 * with class names of its own, its portal text only in text nodes (none lost, none elsewhere),
 * and buttons that ask to open exactly the document's links, mentions and attachments.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Markup, MarkupNode, portalMarkup } from '../../src/core/portalMarkup';
import { portalText } from '../../src/core/portalText';
import { linkHost, MARKUP_TAGS, MarkupDom, OpenRequest, renderMarkup } from '../../src/webview/markup';
import { propertyRuns } from './propertyRuns';

type FakeNode = { kind: 'element'; tag: string; className?: string; children: FakeNode[] } | { kind: 'text'; text: string } | { kind: 'button'; className: string; open: OpenRequest; children: FakeNode[] };

const CLASSES = new Set(['link', 'link mention', 'link attachment', 'truncated', 'host']);
const WORDS = { attachment: '<attachment>', truncated: '<truncated>' };

function render(markup: Markup): { nodes: FakeNode[]; all: FakeNode[] } {
  const all: FakeNode[] = [];
  const made = <N extends FakeNode>(node: N) => (all.push(node), node);
  const dom: MarkupDom<FakeNode> = {
    element: (tag, className) => made({ kind: 'element', tag, className, children: [] }),
    text: (text) => made({ kind: 'text', text }),
    button: (className, open) => made({ kind: 'button', className, open, children: [] }),
    append: (parent, child) => {
      assert.notEqual(parent.kind, 'text', 'nothing is appended to text');
      if (parent.kind !== 'text') parent.children.push(child);
    },
  };
  return { nodes: renderMarkup(markup, dom, WORDS), all };
}

/** The portal strings of a document, and what it links to. */
function expected(markup: Markup): { texts: string[]; opens: OpenRequest[] } {
  const texts: string[] = [];
  const opens: OpenRequest[] = [];
  const walk = (nodes: Markup) => nodes.forEach(visit);
  const visit = (node: MarkupNode): void => {
    switch (node.kind) {
      case 'text': texts.push(node.text); return;
      case 'lineBreak': return;
      case 'mention': texts.push(node.name); opens.push({ type: 'openUser', userId: node.userId }); return;
      case 'attachment': texts.push(WORDS.attachment); opens.push({ type: 'openFile', fileId: node.fileId }); return;
      case 'truncated': texts.push(WORDS.truncated); return;
      case 'code': texts.push(node.lines.join('\n')); return;
      case 'list': node.items.forEach(walk); return;
      case 'table': node.rows.forEach((row) => row.forEach(walk)); return;
      case 'quote': if (node.author !== undefined) texts.push(node.author); walk(node.children); return;
      case 'link': {
        opens.push({ type: 'openLink', href: node.href });
        walk(node.children);
        const host = linkHost(node);
        if (host !== undefined) texts.push(' ', `(${host})`);
        return;
      }
      default: walk(node.children);
    }
  };
  walk(markup);
  return { texts, opens };
}

function check(markup: Markup): void {
  const { all } = render(markup);
  const allowed = new Set<string>(MARKUP_TAGS);
  for (const node of all) {
    if (node.kind === 'element') {
      assert.ok(allowed.has(node.tag), node.tag);
      assert.ok(node.className === undefined || CLASSES.has(node.className), node.className);
    }
    if (node.kind === 'button') assert.ok(CLASSES.has(node.className), node.className);
  }
  const want = expected(markup);
  assert.deepEqual(all.flatMap((n) => (n.kind === 'text' ? [n.text] : [])), want.texts, 'portal text only and all in text nodes, in order');
  assert.deepEqual(all.flatMap((n) => (n.kind === 'button' ? [n.open] : [])), want.opens, 'a button for each link, mention and attachment');
}

const same = (text: string) => text;
const str = fc.string({ maxLength: 20 }).map((s) => portalText(s, same));
const { markup } = fc.letrec<{ markup: Markup; node: MarkupNode }>((tie) => ({
  markup: fc.array(tie('node'), { maxLength: 4 }),
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    str.map((text): MarkupNode => ({ kind: 'text', text })),
    fc.constant<MarkupNode>({ kind: 'lineBreak' }),
    fc.constant<MarkupNode>({ kind: 'truncated' }),
    fc.tuple(fc.constantFrom('bold', 'italic', 'underline', 'strike') as fc.Arbitrary<'bold'>, tie('markup')).map(([kind, children]) => ({ kind, children })),
    fc.tuple(fc.string(), tie('markup')).map(([href, children]): MarkupNode => ({ kind: 'link', href, children })),
    fc.tuple(fc.integer(), str).map(([userId, name]): MarkupNode => ({ kind: 'mention', userId, name })),
    fc.string().map((fileId): MarkupNode => ({ kind: 'attachment', fileId })),
    fc.tuple(fc.boolean(), fc.array(tie('markup'), { maxLength: 3 })).map(([ordered, items]): MarkupNode => ({ kind: 'list', ordered, items })),
    fc.tuple(fc.option(str, { nil: undefined }), tie('markup')).map(([author, children]): MarkupNode => ({ kind: 'quote', author, children })),
    fc.array(str, { maxLength: 3 }).map((lines): MarkupNode => ({ kind: 'code', lines })),
    fc.array(fc.array(tie('markup'), { maxLength: 3 }), { maxLength: 3 }).map((rows): MarkupNode => ({ kind: 'table', rows })),
  ),
})) as { markup: fc.Arbitrary<Markup> };

describe('task tab: markup rendering (properties)', () => {
  it("shows the host a link really leads to when its label reads otherwise (a portal-looking label to another site)", () => {
    const [disguised] = portalMarkup('[URL=https://evil.example/login]https://portal.example/company/personal/user/1/[/URL]', same);
    assert.equal(disguised.kind, 'link');
    const shown = render([disguised]).all.flatMap((n) => (n.kind === 'text' ? [n.text] : [])).join('');
    assert.equal(shown, 'https://portal.example/company/personal/user/1/ (evil.example)');
    const plain = portalMarkup('[URL]https://status.example/gateway[/URL]', same);
    assert.equal(render(plain).all.flatMap((n) => (n.kind === 'text' ? [n.text] : [])).join(''), 'https://status.example/gateway', 'an address as its own label needs no host');
  });


  it('any document becomes allow-listed elements, its text in text nodes and its links as buttons', () => {
    fc.assert(fc.property(markup, check), propertyRuns(300));
  });

  it('hostile BB-code: scripts and HTML are text, only the http(s) link is a link', () => {
    const hostile = portalMarkup(
      '<script>alert(1)</script> [URL=javascript:alert(1)]x[/URL] [URL=command:workbench.action.terminal.new]t[/URL] ' +
        '[IMG]https://tracker.example/p.gif[/IMG] <img src=x onerror=alert(1)> [URL=https://status.example/]ok[/URL] [USER=3]Viktor[/USER] [DISK FILE ID=n12]',
      same,
    );
    check(hostile);
    const { all } = render(hostile);
    assert.deepEqual(all.flatMap((n) => (n.kind === 'button' ? [n.open] : [])), [
      { type: 'openLink', href: 'https://status.example/' },
      { type: 'openUser', userId: 3 },
      { type: 'openFile', fileId: 'n12' },
    ]);
    const shown = all.flatMap((n) => (n.kind === 'text' ? [n.text] : [])).join('');
    assert.ok(shown.includes('<script>alert(1)</script>'), 'the script tag as text');
    assert.ok(shown.includes('https://tracker.example/p.gif'), 'the tracking image as its address, never fetched');
  });
});
