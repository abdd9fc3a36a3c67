/**
 * What the task tab shows, made from the card in the state: `TaskView`, words and all, for the
 * webview to lay out. Pure: the words come in through `TaskWords` (the extension's are in
 * tabWords.ts), so the rules are unit-tested in plain Node: an action only when the task's
 * `action` map allows it and the tab is not read-only (and only those writes are sent, `offered`), the newest comment at the bottom, the
 * status only as the card says it.
 */
import { Failure, Outcome } from '../../core/outcome';
import { CardPerson, STATUS_ACTIONS, StatusAction, TaskCard, TaskComment, TaskStatus, TaskWrite } from '../../core/taskCard';
import { CardView, CommentView, Notice, PersonView, TabLabels, TaskView } from './protocol';

/** The words the view needs, in the display language. */
export interface TaskWords {
  readonly labels: TabLabels;
  status(status: TaskStatus): string;
  action(action: StatusAction): string;
  /** "overdue by 2 days" / "due in 3 hours", and the date and time. */
  deadline(deadline: number, now: number): { readonly words: string; readonly date: string; readonly overdue: boolean };
  duration(seconds: number): string;
  postedAt(epochMs: number): string;
  /** Why the comments cannot be shown (the `im` scope for a chat). */
  commentsUnavailable(failure: Failure, commentsIn: TaskCard['commentsIn']): string;
  /** Why a chat card that refuses the webhook has no comment box. */
  readonly chatCommentWithheld: string;
  /** Why the task cannot be shown. */
  cardFailure(failure: Failure): string;
  readonly notConnected: string;
}

export interface TabFacts {
  readonly taskId: number;
  readonly connected: boolean;
  /** The card from the state (or the last write's answer); undefined = not fetched yet. */
  readonly card: Outcome<TaskCard> | undefined;
  readonly readOnly: boolean;
  readonly busy: boolean;
  readonly notice?: Notice;
  readonly now: number;
}

export function taskView(facts: TabFacts, words: TaskWords): TaskView {
  const common = { taskId: facts.taskId, labels: words.labels, notice: facts.notice, busy: facts.busy, readOnly: facts.readOnly };
  if (!facts.connected) return { ...common, body: { kind: 'failed', sentence: words.notConnected } };
  if (facts.card === undefined) return { ...common, body: { kind: 'loading' } };
  if (!facts.card.ok) {
    return { ...common, body: { kind: 'failed', sentence: words.cardFailure(facts.card.error), detail: facts.card.error.detail } };
  }
  return { ...common, body: { kind: 'card', card: cardView(facts.card.value, facts, words) } };
}

function cardView(card: TaskCard, facts: TabFacts, words: TaskWords): CardView {
  const act = !facts.readOnly;
  return {
    title: card.title,
    status: words.status(card.status),
    deadline: card.deadline === undefined ? undefined : words.deadline(card.deadline, facts.now),
    creator: person(card.creator),
    responsible: person(card.responsible),
    participants: card.accomplices.map((p) => ({ id: p.id, name: p.name })),
    observers: card.auditors.map((p) => ({ id: p.id, name: p.name })),
    group: card.group?.name,
    estimate: card.timeEstimate > 0 ? words.duration(card.timeEstimate) : undefined,
    spentSeconds: card.timeSpent,
    timerRunning: card.timerRunning,
    description: card.description,
    checklist: card.checklist.map((item) => ({
      id: item.id,
      title: item.title,
      done: item.done,
      heading: item.parentId === 0,
      canToggle: act && item.parentId !== 0 && item.canToggle,
    })),
    comments: card.comments.ok
      ? { kind: 'shown', items: [...card.comments.value].sort((a, b) => a.postedAt - b.postedAt || a.id - b.id).map((c) => comment(c, words)) }
      : // While the chat is refused, the comments that failed are the forum's.
        { kind: 'unavailable', sentence: words.commentsUnavailable(card.comments.error, card.chatRefused ? 'forum' : card.commentsIn) },
    chatRefused: card.chatRefused && words.commentsUnavailable(card.chatRefused, card.commentsIn),
    actions: act ? STATUS_ACTIONS.filter((a) => card.allowed.status.has(a)).map((action) => ({ action, label: words.action(action) })) : [],
    timer: act && card.allowed.timer,
    canComment: act && card.allowed.comment,
    commentWithheld: act && card.chatRefused ? words.chatCommentWithheld : undefined,
  };
}

function person(p: CardPerson | undefined): PersonView | undefined {
  return p && { id: p.id, name: p.name };
}

function comment(c: TaskComment, words: TaskWords): CommentView {
  return { id: c.id, author: { id: c.author.id, name: c.author.name }, time: words.postedAt(c.postedAt), body: c.body, unread: c.unread };
}

/** Whether the card offers the write, as the view shows it: its `action` map, the checklist item's own right, the timer's state. */
export function offered(write: TaskWrite, card: TaskCard): boolean {
  switch (write.kind) {
    case 'status':
      return card.allowed.status.has(write.action);
    case 'timer':
      return card.allowed.timer && write.start !== card.timerRunning;
    case 'checklist':
      return card.checklist.some((item) => item.id === write.itemId && item.canToggle && item.parentId !== 0);
    case 'comment':
      return card.allowed.comment && write.text.trim() !== '';
  }
}
