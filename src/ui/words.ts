/**
 * Everything the extension says about counters, roles and failures, in one place, so the
 * status bar, the tree, the pickers and the notifications say the same thing.
 */
import * as vscode from 'vscode';
import { Counter, KnownCounter, Role, shownCounters } from '../core/counters';
import { Failure } from '../core/outcome';
import { markdownText, PortalText, showableTime } from '../core/portalText';
import { TaskSummary } from '../core/taskList';
import { localizePlural, PluralForms } from './plural';

/** `count` in words, in the form the display language needs for it (see plural.ts). */
export function plural(count: number, forms: PluralForms): string {
  return localizePlural(vscode.l10n, vscode.env.language, count, forms);
}

export function roleLabel(role: Role): string {
  switch (role) {
    case 'view_all':
      return vscode.l10n.t('All my tasks');
    case 'view_role_responsible':
      return vscode.l10n.t('Doing');
    case 'view_role_accomplice':
      return vscode.l10n.t('Assisting');
    case 'view_role_auditor':
      return vscode.l10n.t('Following');
    case 'view_role_originator':
      return vscode.l10n.t('Set by me');
  }
}

export function roleDescription(role: Role): string {
  switch (role) {
    case 'view_all':
      return vscode.l10n.t('Tasks in any role');
    case 'view_role_responsible':
      return vscode.l10n.t('Tasks you are responsible for');
    case 'view_role_accomplice':
      return vscode.l10n.t('Tasks you participate in');
    case 'view_role_auditor':
      return vscode.l10n.t('Tasks you observe');
    case 'view_role_originator':
      return vscode.l10n.t('Tasks you created');
  }
}

/**
 * A counter's name for people; a name this extension does not know is shown as the portal
 * sent it, cleaned (`PortalText`).
 */
export function counterLabel(name: PortalText | KnownCounter): string {
  switch (name) {
    case 'expired':
      return vscode.l10n.t('Overdue');
    case 'new_comments':
      return vscode.l10n.t('New comments');
    case 'mentioned':
      return vscode.l10n.t('Mentions');
    case 'expired_soon':
      return vscode.l10n.t('Due soon');
    case 'not_viewed':
      return vscode.l10n.t('Not viewed');
    case 'wo_deadline':
      return vscode.l10n.t('No deadline');
    case 'wait_ctrl':
      return vscode.l10n.t('Awaiting your review');
    default:
      return name.replace(/_/g, ' ');
  }
}

/** "2 overdue", "5 new comments": for accessible labels and tooltips. */
export function counterPhrase(name: PortalText | KnownCounter, count: number): string {
  switch (name) {
    case 'expired':
      return plural(count, { one: '{0} overdue', other: '{0} overdue' });
    case 'new_comments':
      return plural(count, { one: '{0} new comment', other: '{0} new comments' });
    case 'mentioned':
      return plural(count, { one: '{0} mention', other: '{0} mentions' });
    default:
      return `${counterLabel(name)}: ${count}`;
  }
}

/** What a bounded list of counters leaves out (see MAX_SHOWN_COUNTERS). */
export function moreCounters(count: number): string {
  return plural(count, { one: 'and {0} more counter', other: 'and {0} more counters' });
}

/** The first counters, each through `say`, then "and N more counters" if there are more. */
export function counterList(counters: readonly Counter[], say: (counter: Counter) => string): string[] {
  const { shown, more } = shownCounters(counters);
  const said = shown.map(say);
  return more > 0 ? [...said, moreCounters(more)] : said;
}

export function counterIcon(name: string): string {
  switch (name) {
    case 'expired':
      return 'flame';
    case 'new_comments':
      return 'comment-discussion';
    case 'mentioned':
      return 'mention';
    default:
      return 'circle-small-filled';
  }
}

export function groupLabel(groupId: number, groupName: PortalText | undefined): string {
  if (groupId === 0) return vscode.l10n.t('All groups');
  return groupName ?? vscode.l10n.t('Group #{0}', groupId);
}

/** A short headline for the view's error row (the sentence is in its tooltip). */
export function failureTitle(failure: Failure): string {
  switch (failure.kind) {
    case 'auth':
      return vscode.l10n.t('Webhook not accepted');
    case 'scope':
      return failure.missingScope
        ? vscode.l10n.t('Missing scope: {0}', failure.missingScope)
        : vscode.l10n.t('Missing scope');
    case 'access':
      return vscode.l10n.t('Access denied');
    case 'rateLimited':
      return vscode.l10n.t('Rate-limited by Bitrix24');
    case 'blocked':
      return vscode.l10n.t('Blocked by Bitrix24');
    case 'network':
      return failure.networkCause === 'timeout' ? vscode.l10n.t('Portal timed out') : vscode.l10n.t('Portal unreachable');
    case 'notJson':
      return vscode.l10n.t('Not a Bitrix24 answer');
    case 'tooLarge':
      return vscode.l10n.t('Answer too large');
    case 'server':
      return vscode.l10n.t('Portal error');
    case 'badRequest':
      return vscode.l10n.t('Request rejected');
    case 'redirected':
      return vscode.l10n.t('Redirected to {0}', failure.redirectHost ?? '?');
  }
}

/** A few words for the status bar. */
export function failureShort(failure: Failure): string {
  switch (failure.kind) {
    case 'auth':
      return vscode.l10n.t('reconnect');
    case 'scope':
      return vscode.l10n.t('missing scope');
    case 'access':
      return vscode.l10n.t('no access');
    case 'rateLimited':
      return vscode.l10n.t('rate limited');
    case 'blocked':
      return vscode.l10n.t('blocked, ask support');
    case 'network':
      return failure.networkCause === 'timeout' ? vscode.l10n.t('timed out') : vscode.l10n.t('offline');
    case 'notJson':
    case 'tooLarge':
      return vscode.l10n.t('bad answer');
    case 'server':
      return vscode.l10n.t('portal error');
    case 'badRequest':
      return vscode.l10n.t('check settings');
    case 'redirected':
      return vscode.l10n.t('redirected');
  }
}

/** One plain sentence: what is wrong and what to do. */
export function failureSentence(failure: Failure): string {
  switch (failure.kind) {
    case 'auth':
      return vscode.l10n.t('Bitrix24 does not accept the webhook (deleted, expired or mistyped). Reconnect with a valid webhook.');
    case 'scope':
      return failure.missingScope
        ? vscode.l10n.t('The webhook lacks the "{0}" scope. Edit the inbound webhook in Bitrix24 and add it.', failure.missingScope)
        : vscode.l10n.t('The webhook lacks a scope this needs. Edit the inbound webhook in Bitrix24.');
    case 'access':
      return vscode.l10n.t('Bitrix24 denied access: the group may not exist or be hidden from you, or REST is not available on this plan.');
    case 'rateLimited':
      return failure.limit === 'operationTime'
        ? vscode.l10n.t('Bitrix24 paused this method for the webhook (operation time limit).')
        : vscode.l10n.t('Bitrix24 is rate-limiting requests from this network.');
    case 'blocked':
      return vscode.l10n.t('Bitrix24 has blocked REST requests to this portal for overload. The block is manual and is not lifted by waiting: ask Bitrix24 support to lift it, then Refresh.');
    case 'network':
      return failure.networkCause === 'timeout'
        ? vscode.l10n.t('The portal did not answer in time.')
        : vscode.l10n.t('The portal cannot be reached.');
    case 'notJson':
      return vscode.l10n.t('The portal answered something that is not Bitrix24 REST (a login page of a proxy or single sign-on?).');
    case 'tooLarge':
      return vscode.l10n.t("The portal's answer was too large and was cut off.");
    case 'server':
      return vscode.l10n.t('The portal reported an internal error.');
    case 'badRequest':
      return vscode.l10n.t('Bitrix24 rejected the request: check the user and group settings.');
    case 'redirected':
      return vscode.l10n.t('The portal redirected to {0}. The request was not followed, to keep the webhook secret.', failure.redirectHost ?? '?');
  }
}

/** Built once: a formatter costs ~100 µs to make, and every render shows a time. */
let timeFormat: Intl.DateTimeFormat | undefined;

/** What a time no clock can show reads as (see `showableTime`). */
const NO_TIME = '—';

export function timeOfDay(epochMs: number): string {
  if (showableTime(epochMs) === undefined) return NO_TIME;
  timeFormat ??= new Intl.DateTimeFormat(vscode.env.language, { hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(epochMs);
}

/** Built once, like `timeFormat`. */
let relativeFormat: Intl.RelativeTimeFormat | undefined;

/**
 * "just now", "12 min. ago", "3 hr. ago" ("12 мин. назад", "3 ч назад"): the display language's
 * own short relative time. Under a minute stays "just now": RelativeTimeFormat would say "this
 * minute" (or "now" for 0 seconds), more exact than a once-a-minute tick can be.
 */
export function age(epochMs: number, now: number): string {
  const minutes = Math.floor((now - epochMs) / 60_000);
  if (!Number.isFinite(minutes)) return NO_TIME;
  if (minutes < 1) return vscode.l10n.t('just now');
  relativeFormat ??= new Intl.RelativeTimeFormat(vscode.env.language, { numeric: 'auto', style: 'short' });
  if (minutes < 60) return relativeFormat.format(-minutes, 'minute');
  return relativeFormat.format(-Math.floor(minutes / 60), 'hour');
}

/** "2 days overdue", "3 hours overdue"; a deadline under a minute ago (or none) is just "overdue". */
export function overdueBy(deadline: number | undefined, now: number): string {
  const minutes = deadline === undefined ? 0 : Math.floor((now - deadline) / 60_000);
  if (!(minutes >= 1)) return vscode.l10n.t('overdue');
  if (minutes < 60) return plural(minutes, { one: '{0} minute overdue', other: '{0} minutes overdue' });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return plural(hours, { one: '{0} hour overdue', other: '{0} hours overdue' });
  return plural(Math.floor(hours / 24), { one: '{0} day overdue', other: '{0} days overdue' });
}

/** "due in 3 days", "due in 2 hours"; under a minute (or a deadline just passed) "due now". */
export function dueIn(deadline: number, now: number): string {
  const minutes = Math.floor((deadline - now) / 60_000);
  if (!(minutes >= 1)) return vscode.l10n.t('due now');
  if (minutes < 60) return plural(minutes, { one: 'due in {0} minute', other: 'due in {0} minutes' });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return plural(hours, { one: 'due in {0} hour', other: 'due in {0} hours' });
  return plural(Math.floor(hours / 24), { one: 'due in {0} day', other: 'due in {0} days' });
}

let hourFormat: Intl.NumberFormat | undefined;
let minuteFormat: Intl.NumberFormat | undefined;

/** "4 hr 30 min" ("4 ч 30 мин"): the display language's own short units. */
export function duration(seconds: number): string {
  const minutes = Math.max(0, Math.round(seconds / 60));
  hourFormat ??= new Intl.NumberFormat(vscode.env.language, { style: 'unit', unit: 'hour', unitDisplay: 'short' });
  minuteFormat ??= new Intl.NumberFormat(vscode.env.language, { style: 'unit', unit: 'minute', unitDisplay: 'short' });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return minuteFormat.format(rest);
  return rest === 0 ? hourFormat.format(hours) : `${hourFormat.format(hours)} ${minuteFormat.format(rest)}`;
}

/** A task's real status (REAL_STATUS) in words. */
export function taskStatusLabel(status: number): string {
  switch (status) {
    case 1:
      return vscode.l10n.t('New');
    case 2:
      return vscode.l10n.t('Pending');
    case 3:
      return vscode.l10n.t('In progress');
    case 4:
      return vscode.l10n.t('Awaiting review');
    case 5:
      return vscode.l10n.t('Completed');
    case 6:
      return vscode.l10n.t('Deferred');
    case 7:
      return vscode.l10n.t('Declined');
    default:
      return vscode.l10n.t('Status {0}', status);
  }
}

export function taskStatusIcon(status: number): string {
  switch (status) {
    case 3:
      return 'play-circle';
    case 4:
      return 'eye';
    case 5:
      return 'pass';
    case 6:
      return 'debug-pause';
    case 7:
      return 'circle-slash';
    default:
      return 'circle-large-outline';
  }
}

/** Title, responsible person, group, deadline and status; portal text stays literal. */
export function taskTooltip(task: TaskSummary): vscode.MarkdownString {
  const lines = [`**${markdownText(task.title)}** #${task.id}`, ''];
  const fact = (label: string, value: string) => lines.push(`${markdownText(label)}: ${markdownText(value)}  `);
  if (task.responsible) fact(vscode.l10n.t('Responsible'), task.responsible.name);
  if (task.group) fact(vscode.l10n.t('Group'), task.group.name);
  if (task.deadline !== undefined) fact(vscode.l10n.t('Deadline'), dateAndTime(task.deadline));
  fact(vscode.l10n.t('Status'), taskStatusLabel(task.status));
  return new vscode.MarkdownString(lines.join('\n'));
}

let dateTimeFormat: Intl.DateTimeFormat | undefined;

export function dateAndTime(epochMs: number): string {
  if (showableTime(epochMs) === undefined) return NO_TIME;
  dateTimeFormat ??= new Intl.DateTimeFormat(vscode.env.language, { dateStyle: 'medium', timeStyle: 'short' });
  return dateTimeFormat.format(epochMs);
}
