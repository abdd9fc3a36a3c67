/**
 * The task tab's words in the display language: its labels, and what it says about a task and
 * about a write (sending, what the portal answered, why it failed). Failures are said as the
 * status bar and the tree say them (`failureSentence`).
 */
import * as vscode from 'vscode';
import { Failure } from '../../core/outcome';
import { StatusAction, TaskCard, TaskWrite, WriteFailure, WriteOutcome } from '../../core/taskCard';
import { dateAndTime, dueIn, duration, failureSentence, overdueBy, taskStatusLabel } from '../words';
import { Notice, TabLabels } from './protocol';
import { TaskWords } from './taskView';

export function tabLabels(): TabLabels {
  return {
    status: vscode.l10n.t('Status'),
    deadline: vscode.l10n.t('Deadline'),
    creator: vscode.l10n.t('Created by'),
    responsible: vscode.l10n.t('Responsible'),
    participants: vscode.l10n.t('Participants'),
    observers: vscode.l10n.t('Observers'),
    group: vscode.l10n.t('Group'),
    people: vscode.l10n.t('People'),
    time: vscode.l10n.t('Time'),
    estimate: vscode.l10n.t('Estimate'),
    spent: vscode.l10n.t('Spent'),
    timerRunning: vscode.l10n.t('timer running'),
    startTimer: vscode.l10n.t('Start Timer'),
    stopTimer: vscode.l10n.t('Stop Timer'),
    description: vscode.l10n.t('Description'),
    noDescription: vscode.l10n.t('No description.'),
    truncated: vscode.l10n.t('The rest of the text is in Bitrix24.'),
    attachment: vscode.l10n.t('Attachment: open in Bitrix24'),
    checklist: vscode.l10n.t('Checklist'),
    comments: vscode.l10n.t('Comments'),
    noComments: vscode.l10n.t('No comments yet.'),
    olderComments: vscode.l10n.t('Older comments, from before the task chat'),
    unread: vscode.l10n.t('unread'),
    commentBox: vscode.l10n.t('Write a comment'),
    commentHint: vscode.l10n.t('Ctrl+Enter sends.'),
    send: vscode.l10n.t('Send'),
    tryAgain: vscode.l10n.t('Try Again'),
    openInBitrix24: vscode.l10n.t('Open in Bitrix24'),
    copyLink: vscode.l10n.t('Copy Task Link'),
    actions: vscode.l10n.t('Actions'),
    loading: vscode.l10n.t('Loading the task…'),
    readOnly: vscode.l10n.t('Read-only: actions are hidden (bitrix24Tasks.readOnly).'),
  };
}

export function tabWords(): TaskWords {
  return {
    labels: tabLabels(),
    status: taskStatusLabel,
    action: actionLabel,
    deadline: (deadline, now) => ({
      words: deadline < now ? overdueBy(deadline, now) : dueIn(deadline, now),
      date: dateAndTime(deadline),
      overdue: deadline < now,
    }),
    duration,
    postedAt: dateAndTime,
    commentsUnavailable,
    chatCommentWithheld: vscode.l10n.t('New comments go to the task chat, so they can be written here once the webhook has the "im" scope; until then, in Bitrix24.'),
    cardFailure: failureSentence,
    notConnected: vscode.l10n.t('Not connected to Bitrix24. Connect a webhook to see the task.'),
  };
}

export function actionLabel(action: StatusAction): string {
  switch (action) {
    case 'start':
      return vscode.l10n.t('Start');
    case 'pause':
      return vscode.l10n.t('Pause');
    case 'complete':
      return vscode.l10n.t('Complete');
    case 'defer':
      return vscode.l10n.t('Defer');
    case 'renew':
      return vscode.l10n.t('Renew');
    case 'approve':
      return vscode.l10n.t('Approve');
    case 'disapprove':
      return vscode.l10n.t('Return for Rework');
  }
}

function commentsUnavailable(failure: Failure, commentsIn: TaskCard['commentsIn']): string {
  if (failure.kind === 'scope' && (failure.missingScope === 'im' || commentsIn === 'chat')) {
    return vscode.l10n.t(
      'The comments of this task are in its chat, which the webhook can read only with the "im" scope. Edit the inbound webhook in Bitrix24 and add "im".',
    );
  }
  return vscode.l10n.t('The comments could not be loaded: {0}', failureSentence(failure));
}

/** The aria-live line while a write is in flight. */
export function pendingNotice(write: TaskWrite): Notice {
  const text = write.kind === 'comment' ? vscode.l10n.t('Sending the comment…') : vscode.l10n.t('Sending to Bitrix24…');
  return { kind: 'pending', text, tryAgain: false };
}

/** What the portal's answer to a write means, in words; a failure offers Try Again. */
export function outcomeNotice(write: TaskWrite, outcome: WriteOutcome): Notice {
  if (!outcome.ok) return { kind: 'failed', text: writeFailureSentence(write, outcome.error), tryAgain: true };
  const { said, card, stoppedTaskId } = outcome.value;
  return { kind: 'done', text: doneSentence(write, said, card, stoppedTaskId), tryAgain: false };
}

function doneSentence(write: TaskWrite, said: string, card: TaskCard | undefined, stoppedTaskId: number | undefined): string {
  const status = card ? taskStatusLabel(card.status) : undefined;
  switch (write.kind) {
    case 'comment':
      return vscode.l10n.t('Comment sent.');
    case 'checklist':
      return write.done ? vscode.l10n.t('Checklist item ticked.') : vscode.l10n.t('Checklist item unticked.');
    case 'timer':
      if (!write.start) return vscode.l10n.t('Timer stopped.');
      return said === 'timerMoved' && stoppedTaskId !== undefined
        ? vscode.l10n.t('Timer started. Bitrix24 stopped your timer on task #{0} (one timer per person).', stoppedTaskId)
        : vscode.l10n.t('Timer started.');
    case 'status':
      if (said === 'awaitingControl') return vscode.l10n.t('Sent for approval: the task awaits review by its creator.');
      if (said === 'unchanged') {
        return status === undefined ? vscode.l10n.t('Nothing changed: the task already had that status.') : vscode.l10n.t('Nothing changed: the task is already {0}.', status);
      }
      return status === undefined ? vscode.l10n.t('Done.') : vscode.l10n.t('Done. Status: {0}.', status);
  }
}

/**
 * Why a write failed, by kind; a refusal of the action itself (400 "not allowed") in its own
 * words; a write that may have reached the portal says so, since it is never sent again by itself.
 */
export function writeFailureSentence(write: TaskWrite, failure: WriteFailure): string {
  const why =
    write.kind !== 'comment' && (failure.kind === 'badRequest' || failure.kind === 'access')
      ? vscode.l10n.t('Bitrix24 does not allow this on the task now; the buttons follow what it allows.')
      : failureSentence(failure);
  const sentence = write.kind === 'comment' ? vscode.l10n.t('The comment was not sent: {0}', why) : vscode.l10n.t('Failed: {0}', why);
  if (failure.applied !== 'unknown') return sentence;
  return `${sentence} ${
    write.kind === 'comment'
      ? vscode.l10n.t('It may or may not have been posted; check the comments after the next refresh before trying again.')
      : vscode.l10n.t('It may or may not have been applied; check the status after the next refresh before trying again.')
  }`;
}
