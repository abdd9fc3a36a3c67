/**
 * The task tab's page script (bundled by esbuild into dist/taskTab.js, loaded under the tab's
 * content security policy with its nonce). It lays out the `TaskView` the extension sends,
 * with plain DOM calls and text nodes only (never HTML from a string), and sends back what the
 * user does; the extension checks every message and decides.
 *
 * The comment box lives across renders (its text, focus and caret stay), and its draft is kept
 * in the webview's state and sent to the extension, which keeps it beyond the tab.
 */
import type { CardView, ChecklistItemView, FromWebview, LabelKey, PersonView, TaskView, ToWebview } from '../ui/taskTab/protocol';
import { MAX_COMMENT_LENGTH } from '../ui/taskTab/protocol';
import { MarkupDom, OpenRequest, renderMarkup } from './markup';

interface WebviewApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: SavedState): void;
}
declare function acquireVsCodeApi(): WebviewApi;

/** What the webview keeps across a hide, a reload and a restore (VS Code's webview state); the task names the tab to restore. */
interface SavedState {
  readonly taskId?: number;
  readonly draft: string;
}

const api = acquireVsCodeApi();
const DRAFT_DELAY_MS = 400;

let view: TaskView | undefined;
/** When the shown time spent was received, for the running timer. */
let spentSince = Date.now();
let draftTimer: ReturnType<typeof setTimeout> | undefined;

const root = document.getElementById('root') ?? document.body;
const notice = element('div', 'notice');
notice.setAttribute('role', 'status');
notice.setAttribute('aria-live', 'polite');
const noticeText = element('span');
const tryAgain = button('tryAgain', () => post({ type: 'tryAgain' }));
const content = element('main');
const commentBox = document.createElement('textarea');
commentBox.id = 'comment';
commentBox.maxLength = MAX_COMMENT_LENGTH;
commentBox.rows = 4;
commentBox.value = savedDraft();
const sendButton = button('send', send);
root.append(content);

commentBox.addEventListener('input', () => keepDraft(commentBox.value));
commentBox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    send();
  }
});

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message?.type) {
    case 'render':
      render(message.view);
      break;
    case 'draft':
      if (commentBox.value === '' && typeof message.text === 'string') {
        commentBox.value = message.text;
        save(message.text);
      }
      break;
    case 'commentSent':
      commentBox.value = '';
      save('');
      break;
  }
});

setInterval(tickTimer, 1000);
post({ type: 'ready' });

function post(message: FromWebview): void {
  api.postMessage(message);
}

function savedDraft(): string {
  const state = api.getState() as Partial<SavedState> | undefined;
  return typeof state?.draft === 'string' ? state.draft : '';
}

function save(draft: string): void {
  api.setState({ taskId: view?.taskId, draft });
}

function keepDraft(text: string): void {
  save(text);
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => post({ type: 'draft', text }), DRAFT_DELAY_MS);
}

function send(): void {
  const text = commentBox.value;
  if (!view || view.busy || text.trim() === '') return;
  clearTimeout(draftTimer);
  post({ type: 'draft', text });
  post({ type: 'comment', text });
  setBusy(true); // until the extension's next render says otherwise: a second press sends nothing
}

function render(next: TaskView): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset.key;
  view = next;
  save(commentBox.value);
  spentSince = Date.now();
  tryAgain.textContent = label('tryAgain');
  sendButton.textContent = label('send');
  const parts: HTMLElement[] = [header(next)];
  parts.push(noticeLine(next));
  if (next.body.kind === 'loading') parts.push(paragraph(label('loading'), 'muted'));
  else if (next.body.kind === 'failed') {
    parts.push(paragraph(next.body.sentence, 'error'));
    if (next.body.detail) parts.push(paragraph(next.body.detail, 'muted'));
  } else parts.push(...cardSections(next.body.card, next));
  content.replaceChildren(...parts);
  setBusy(next.busy);
  if (focused) content.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function header(v: TaskView): HTMLElement {
  const head = element('header');
  const title = element('h1');
  title.textContent = v.body.kind === 'card' ? `#${v.taskId} ${v.body.card.title}` : `#${v.taskId}`;
  const links = element('div', 'toolbar');
  links.append(
    button('openInBitrix24', () => post({ type: 'openInBitrix24' }), false),
    button('copyLink', () => post({ type: 'copyLink' }), false),
  );
  head.append(title);
  if (v.body.kind === 'card') head.append(fact('status', v.body.card.status, 'status'));
  head.append(links);
  if (v.readOnly) head.append(paragraph(label('readOnly'), 'muted'));
  return head;
}

function noticeLine(v: TaskView): HTMLElement {
  // The live region stays the same element, so screen readers announce its changes.
  const text = v.notice?.text ?? '';
  if (noticeText.textContent !== text) noticeText.textContent = text;
  notice.className = `notice ${v.notice?.kind ?? ''}`;
  tryAgain.hidden = !(v.notice?.tryAgain ?? false);
  notice.replaceChildren(noticeText, tryAgain);
  return notice;
}

function cardSections(card: CardView, v: TaskView): HTMLElement[] {
  const sections: HTMLElement[] = [];
  if (card.actions.length > 0 || card.timer) {
    const actions = card.actions.map((a) => {
      const b = plainButton(a.label, `status:${a.action}`, () => post({ type: 'status', action: a.action }));
      b.classList.add('action');
      return b;
    });
    if (card.timer) {
      const start = !card.timerRunning;
      actions.push(button(start ? 'startTimer' : 'stopTimer', () => post({ type: 'timer', start })));
    }
    sections.push(section('actions', ...actions));
  }
  const facts = element('dl');
  if (card.deadline) {
    const when = element('dd', card.deadline.overdue ? 'overdue' : undefined);
    when.textContent = `${card.deadline.words} (${card.deadline.date})`;
    facts.append(term('deadline'), when);
  }
  for (const [key, people] of [
    ['creator', card.creator ? [card.creator] : []],
    ['responsible', card.responsible ? [card.responsible] : []],
    ['participants', card.participants],
    ['observers', card.observers],
  ] as const) {
    if (people.length > 0) facts.append(term(key), peopleList(people));
  }
  if (card.group !== undefined) facts.append(term('group'), text('dd', card.group));
  sections.push(section('people', facts));

  const time = element('dl');
  if (card.estimate !== undefined) time.append(term('estimate'), text('dd', card.estimate));
  const spent = element('dd');
  const clock = element('span', 'spent');
  clock.textContent = clockTime(card.spentSeconds);
  spent.append(clock);
  if (card.timerRunning) spent.append(' ', text('span', `(${label('timerRunning')})`));
  time.append(term('spent'), spent);
  sections.push(section('time', time));

  const description = element('div', 'markup');
  description.append(...(card.description.length > 0 ? markup(card.description) : [paragraph(label('noDescription'), 'muted')]));
  sections.push(section('description', description));

  if (card.checklist.length > 0) sections.push(section('checklist', checklist(card.checklist)));
  sections.push(section('comments', ...comments(card, v)));
  return sections;
}

function checklist(items: readonly ChecklistItemView[]): HTMLElement {
  const list = element('ul', 'checklist');
  for (const item of items) {
    const row = element('li', item.heading ? 'heading' : undefined);
    if (item.heading) {
      row.append(text('h3', item.title));
    } else {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = item.done;
      box.dataset.key = `checklist:${item.id}`;
      if (!item.canToggle) box.dataset.never = 'true';
      box.id = `checklist-${item.id}`;
      box.classList.add('write');
      box.addEventListener('change', () => {
        // The box shows what the portal says, not the click: the answer re-renders it.
        box.checked = item.done;
        if (!view?.busy) post({ type: 'checklist', itemId: item.id, done: !item.done });
      });
      const name = text('label', item.title);
      name.setAttribute('for', box.id);
      row.append(box, name);
    }
    list.append(row);
  }
  return list;
}

function comments(card: CardView, v: TaskView): HTMLElement[] {
  const parts: HTMLElement[] = [];
  // A chat that refuses the webhook: why, then the older comments from before the chat, if any.
  if (card.chatRefused !== undefined) parts.push(paragraph(card.chatRefused, 'warning'));
  if (card.comments.kind === 'unavailable') parts.push(paragraph(card.comments.sentence, 'warning'));
  else if (card.comments.items.length === 0) {
    if (card.chatRefused === undefined) parts.push(paragraph(label('noComments'), 'muted'));
  } else {
    if (card.chatRefused !== undefined) parts.push(text('h3', label('olderComments')));
    const list = element('ol', 'comments');
    for (const c of card.comments.items) {
      const item = element('li', c.unread ? 'comment unread' : 'comment');
      const meta = element('div', 'meta');
      meta.append(personButton(c.author), ' ', text('span', c.time, 'muted'));
      if (c.unread) meta.append(' ', text('span', label('unread'), 'badge'));
      const body = element('div', 'markup');
      body.append(...markup(c.body));
      item.append(meta, body);
      list.append(item);
    }
    parts.push(list);
  }
  if (card.canComment && !v.readOnly) {
    const form = element('div', 'comment-form');
    const name = text('label', label('commentBox'));
    name.setAttribute('for', commentBox.id);
    const hint = paragraph(label('commentHint'), 'muted');
    hint.id = 'comment-hint';
    commentBox.setAttribute('aria-describedby', hint.id);
    form.append(name, commentBox, hint, sendButton);
    parts.push(form);
  } else if (card.commentWithheld !== undefined && !v.readOnly) {
    parts.push(paragraph(card.commentWithheld, 'muted'));
  }
  return parts;
}

function setBusy(busy: boolean): void {
  for (const control of content.querySelectorAll<HTMLButtonElement | HTMLInputElement>('.write')) {
    control.disabled = busy || control.dataset.never === 'true';
  }
  commentBox.readOnly = busy;
  sendButton.disabled = busy;
  tryAgain.disabled = busy;
  content.setAttribute('aria-busy', String(busy));
}

function tickTimer(): void {
  if (view?.body.kind !== 'card' || !view.body.card.timerRunning) return;
  const clock = content.querySelector('.spent');
  if (clock) clock.textContent = clockTime(view.body.card.spentSeconds + Math.floor((Date.now() - spentSince) / 1000));
}

/** 1:05:09: the same in every language. */
function clockTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

const DOM: MarkupDom<Node> = {
  element: (tag, className) => element(tag, className),
  text: (value) => document.createTextNode(value),
  button: (className, open) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.addEventListener('click', () => post(open));
    return b;
  },
  append: (parent, child) => void parent.appendChild(child),
};

function markup(body: CardView['description']): Node[] {
  return renderMarkup(body, DOM, { attachment: label('attachment'), truncated: label('truncated') });
}

function personButton(person: PersonView): HTMLButtonElement {
  const open: OpenRequest = { type: 'openUser', userId: person.id };
  const b = DOM.button('link person', open) as HTMLButtonElement;
  b.textContent = person.name;
  return b;
}

function peopleList(people: readonly PersonView[]): HTMLElement {
  const dd = element('dd');
  people.forEach((person, i) => {
    if (i > 0) dd.append(', ');
    dd.append(personButton(person));
  });
  return dd;
}

function label(key: LabelKey): string {
  return view?.labels[key] ?? '';
}

function section(key: LabelKey, ...children: Array<Node | string>): HTMLElement {
  const s = element('section');
  const heading = text('h2', label(key));
  heading.id = `h-${key}`;
  s.setAttribute('aria-labelledby', heading.id);
  s.append(heading, ...children);
  return s;
}

function fact(key: LabelKey, value: string, className?: string): HTMLElement {
  const p = element('p', className);
  p.append(text('span', `${label(key)}: `, 'muted'), text('strong', value));
  return p;
}

function term(key: LabelKey): HTMLElement {
  return text('dt', label(key));
}

/** A button of the extension's own words; `write`: it sends a write, so it waits while one is in flight. */
function button(key: LabelKey, onClick: () => void, write = true): HTMLButtonElement {
  return plainButton(label(key), key, onClick, write);
}

/** `key` names the button across renders, to give its focus back. */
function plainButton(caption: string, key: string, onClick: () => void, write = true): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = caption;
  b.dataset.key = key;
  if (write) b.classList.add('write');
  b.addEventListener('click', onClick);
  return b;
}

function paragraph(value: string, className?: string): HTMLElement {
  return text('p', value, className);
}

function text(tag: string, value: string, className?: string): HTMLElement {
  const e = element(tag, className);
  e.textContent = value;
  return e;
}

function element(tag: string, className?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
