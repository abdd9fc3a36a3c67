/**
 * What the sandbox portal keeps beside each task for its card: description, checklist,
 * comments, time spent, and each user's timer; who may do what on a task; and the behaviours
 * the notes (bitrix24-task-actions.md) rate M or L, each selectable both ways (CardQuirks).
 *
 * The unread counts stay in the task (tasks.ts): they are what the counters are derived from.
 * Posting a comment raises them, reading lowers them, so counters, lists and cards agree. Which
 * comments are unread is derived from them: a user's newest N comments by others.
 *
 * The REST methods live in taskCard.ts (the task, its status, timers, checklist, time) and
 * comments.ts (forum and chat); cardSample.ts holds the default tasks' cards.
 */
import { sampleCards, SampleKind } from './cardSample';
import { failure, Failure, methodNotFound, Outcome, Params } from './outcome';
import type { SandboxGroup, SandboxUser } from './portal';
import type { RealStatus, SandboxTask } from './tasks';
import { intParam, isObject } from './wire';

// ---------------------------------------------------------------------------------------------
// What a card holds
// ---------------------------------------------------------------------------------------------

export interface CardComment {
  id: number;
  authorId: number;
  /** Epoch ms. */
  postedAt: number;
  /** BB-code, as the author wrote it. */
  text: string;
}

export interface ChecklistItem {
  id: number;
  /** 0 = a checklist heading. */
  parentId: number;
  title: string;
  isComplete: boolean;
  sortIndex: number;
}

/** task.elapseditem's SOURCE: 1 unknown, 2 manual, 3 system (a stopped timer). */
export type ElapsedSource = 1 | 2 | 3;

export interface ElapsedRecord {
  id: number;
  userId: number;
  seconds: number;
  commentText: string;
  source: ElapsedSource;
  /** Epoch ms. */
  createdAt: number;
  startedAt: number;
  stoppedAt: number;
}

export interface TaskCard {
  /** BB-code. */
  description: string;
  /** Seconds. */
  timeEstimate: number;
  allowTimeTracking: boolean;
  /** "Check the task after completion": completing can end in 4, awaiting control. */
  taskControl: boolean;
  /** The task asks for a result before completion (A2, `TASKS_FAILED_RESULT_REQUIRED`). */
  requireResult: boolean;
  checklist: ChecklistItem[];
  /** Oldest first. */
  comments: CardComment[];
  /**
   * A3: comments written on the old card before the task got its chat stay in the forum; with
   * the 'chat' quirk task.commentitem.getlist answers these (and `comments` are the chat's).
   */
  forumComments: CardComment[];
  elapsed: ElapsedRecord[];
}

/** A user's running timer (one per user). */
export interface Timer {
  taskId: number;
  /** Epoch ms. */
  startedAt: number;
}

/** What putCard and the control API accept: any subset, ids given or not. */
export type CardInput = Partial<
  Omit<TaskCard, 'checklist' | 'comments' | 'forumComments' | 'elapsed'> & {
    checklist: Array<Partial<ChecklistItem> & Pick<ChecklistItem, 'title'>>;
    comments: Array<Partial<CardComment> & Pick<CardComment, 'authorId' | 'text'>>;
    forumComments: Array<Partial<CardComment> & Pick<CardComment, 'authorId' | 'text'>>;
    elapsed: Array<Partial<ElapsedRecord> & Pick<ElapsedRecord, 'userId' | 'seconds'>>;
  }
>;

// ---------------------------------------------------------------------------------------------
// Behaviours the notes are not sure of (M or L), each either way
// ---------------------------------------------------------------------------------------------

export interface CardQuirks {
  /**
   * A3 (M): 'forum' = the old card (tasks < 25.700, or `tasks_old_form=Y`): no CHAT_ID field,
   * comments through task.commentitem.*; 'chat' = the new card: `chatId` > 0, comments are
   * the task chat's messages (im.*, scope `im`), REST 3.0 task methods under /rest/api/.
   */
  comments: 'forum' | 'chat';
  /**
   * A2 (M): a status action whose target is the current status: 'unchanged' = success with
   * the unchanged task and no access check (the notes); 'checked' = the from-status and rights
   * table apply like to any other action.
   */
  sameStatus: 'unchanged' | 'checked';
  /** A2 (H, by core): the error code of "not allowed": new cores 1048582, older ones "0". */
  notAllowedCode: '1048582' | '0';
  /** A2 (M): the result check of complete runs only with params.PLATFORM web/mobile, or always. */
  resultCheck: 'platform' | 'always';
  /** A1 (M): params.WITH_TIMER_INFO adds timeElapsed and timerIsRunningForCurrentUser, or is ignored. */
  timerInfo: boolean;
  /** Not confirmed: tasks.task.view.update also reads a new-card task's chat. */
  viewReadsChat: boolean;
  /** A4 (M) against the chat docs: im.dialog.read without MESSAGE_ID reads all (false), or is refused (true). */
  chatReadNeedsMessageId: boolean;
  /** A4: counters are recounted asynchronously: portal ms after a read before the counters drop. */
  recountDelayMs: number;
  /** Not confirmed: auditors are members of the task chat (may read it; get its messages). */
  auditorsInChat: boolean;
  /** L: the scope of REST 3.0 task methods: the method pages say `task`, the overview `tasks`. */
  restV3Scope: 'task' | 'tasks';
  /**
   * M methods (code only, not in the docs) this portal lacks: they answer ERROR_METHOD_NOT_FOUND.
   * Lower-case names, e.g. 'tasks.task.starttimer', 'tasks.task.view.update'.
   */
  missingMethods: string[];
}

export const DEFAULT_QUIRKS: Readonly<CardQuirks> = {
  // The sandbox's tasks module is 24.x (see CommentFilterMode): the old card.
  comments: 'forum',
  sameStatus: 'unchanged',
  notAllowedCode: '1048582',
  resultCheck: 'platform',
  timerInfo: true,
  viewReadsChat: false,
  chatReadNeedsMessageId: false,
  recountDelayMs: 0,
  auditorsInChat: true,
  restV3Scope: 'task',
  missingMethods: [],
};

/** The values each quirk may take; a number for recountDelayMs, a list of names for missingMethods. */
const QUIRK_VALUES: Readonly<Record<Exclude<keyof CardQuirks, 'recountDelayMs' | 'missingMethods'>, readonly unknown[]>> = {
  comments: ['forum', 'chat'],
  sameStatus: ['unchanged', 'checked'],
  notAllowedCode: ['1048582', '0'],
  resultCheck: ['platform', 'always'],
  timerInfo: [true, false],
  viewReadsChat: [true, false],
  chatReadNeedsMessageId: [true, false],
  auditorsInChat: [true, false],
  restV3Scope: ['task', 'tasks'],
};

export interface CardOptions extends Partial<CardQuirks> {
  /**
   * The default tasks' cards (loaded with the default tasks only): 'plain' (default), or
   * 'hostile': the same tasks with hostile descriptions and comments (cardSample.ts). The
   * tasks, and so the counters and lists, are the same either way.
   */
  sample?: SampleKind;
}

// ---------------------------------------------------------------------------------------------
// The portal the cards belong to, and the caller's standing on a task
// ---------------------------------------------------------------------------------------------

/** What the cards need of the portal's data (PortalData in portal.ts). */
export interface CardPortal {
  user(id: number): SandboxUser | undefined;
  group(id: number): SandboxGroup | undefined;
  tasksVisibleTo(caller: SandboxUser): SandboxTask[];
  allTasks(): SandboxTask[];
  updateTask(id: number, changes: unknown, nowMs: number): SandboxTask;
}

export interface Standing {
  creator: boolean;
  responsible: boolean;
  accomplice: boolean;
  auditor: boolean;
  admin: boolean;
}

export function standing(task: SandboxTask, caller: SandboxUser): Standing {
  return {
    creator: task.createdBy === caller.id,
    responsible: task.responsibleId === caller.id,
    accomplice: task.accomplices.includes(caller.id),
    auditor: task.auditors.includes(caller.id),
    admin: caller.admin === true,
  };
}

/** Who works on a task: admin, creator, responsible, accomplice (group rights and bosses are not modelled). */
export function isExecutor(s: Standing): boolean {
  return s.admin || s.creator || s.responsible || s.accomplice;
}

/** A REST method of the card; portal.ts runs it like its own (MethodCall has these fields). */
export interface CardCall {
  caller: SandboxUser;
  params: Params;
  data: { readonly cards: TaskCards };
  nowMs: number;
}

export interface CardMethod {
  /** Any one of these scopes grants the method (as in portal.ts). */
  scopes: readonly string[];
  run(call: CardCall): Outcome;
}

/** A method that one scope grants. */
export function method(scope: string, run: CardMethod['run']): CardMethod {
  return { scopes: [scope], run };
}

/** REST 3.0 methods (`/rest/api/<user>/<secret>/<method>`) are found under this prefix. */
export const REST_V3_PREFIX = 'api/';

/** A method known from server code only (M): the portal may lack it (CardQuirks.missingMethods). */
export function unlessMissing(name: string, method: CardMethod): CardMethod {
  return { scopes: method.scopes, run: (call) => (call.data.cards.isMissing(name) ? methodNotFound() : method.run(call)) };
}

// ---------------------------------------------------------------------------------------------
// Errors of the task methods
// ---------------------------------------------------------------------------------------------

/** A2: denied or not found: 400 with TE_ACCESS_DENIED | TE_ACTION_NOT_ALLOWED, or "0" on older cores. */
export function notAllowed(quirks: CardQuirks): Failure {
  return failure(400, quirks.notAllowedCode, 'Action on the task is not allowed');
}

/** A controller's own error (`new Error(text)`): code "0". */
export function controllerError(text: string): Failure {
  return failure(400, '0', text);
}

/**
 * The deprecated task.* methods' CTaskAssert/TasksException errors, e.g. `TASKS_ERROR_EXCEPTION_#8;
 * Action failed; 8/TE/ACTION_FAILED_TO_BE_PROCESSED.<br>` (the docs' example keeps the `<br>`).
 */
export function coreError(code: number, text: string, tag: string): Failure {
  return failure(400, 'ERROR_CORE', `TASKS_ERROR_EXCEPTION_#${code}; ${text}; ${code}/TE/${tag}.<br>`);
}

export const actionFailed = () => coreError(8, 'Action failed', 'ACTION_FAILED_TO_BE_PROCESSED');

/**
 * The deprecated task.* methods bind their parameters by position, not by name: values in the
 * order sent, named in the order of the method's signature. A wrong order puts a value under
 * the wrong name (the docs: "pass parameters in the order of the table").
 */
export function positional(params: Params, names: readonly string[]): Record<string, unknown> {
  const values = Object.entries(params).filter(([key]) => key.toLowerCase() !== 'auth').map(([, value]) => value);
  return Object.fromEntries(names.map((name, index) => [name, values[index]]));
}

/** `taskId` of the tasks.task.* controllers: missing → 400 "100"; not a positive integer → "wrong task id". */
export function taskIdParam(params: Params): number | Failure {
  if (params.taskId === undefined) {
    // The autowired CTaskItem without its id (the notes give the text's start only).
    return failure(400, '100', 'CTaskItem All parameters in the constructor must be specified');
  }
  const id = intParam(params.taskId);
  return id !== undefined && id > 0 ? id : controllerError('wrong task id');
}

// ---------------------------------------------------------------------------------------------
// The cards
// ---------------------------------------------------------------------------------------------

/** Chat ids of task chats: the task id plus this (a sandbox choice; any positive id would do). */
const CHAT_ID_OFFSET = 4000;

export function chatIdOf(taskId: number): number {
  return taskId + CHAT_ID_OFFSET;
}

export function taskIdOfChat(chatId: number): number {
  return chatId - CHAT_ID_OFFSET;
}

interface PendingRead {
  taskId: number;
  userId: number;
  /** Comments up to this id are read. */
  upToId: number;
  /** Epoch ms when the counters follow. */
  dueAt: number;
}

function emptyCard(): TaskCard {
  return {
    description: '',
    timeEstimate: 0,
    allowTimeTracking: true,
    taskControl: false,
    requireResult: false,
    checklist: [],
    comments: [],
    forumComments: [],
    elapsed: [],
  };
}

export class TaskCards {
  private readonly cards = new Map<number, TaskCard>();
  private readonly timers = new Map<number, Timer>();
  private pendingReads: PendingRead[] = [];
  private quirkValues: CardQuirks = { ...DEFAULT_QUIRKS, missingMethods: [] };
  private sample: SampleKind | undefined;
  /** Comment, checklist item and elapsed record ids: one sequence, like forum message ids grow. */
  private nextId = 3000;

  constructor(readonly portal: CardPortal) {}

  get quirks(): Readonly<CardQuirks> {
    return this.quirkValues;
  }

  /** Changes some quirks (RangeError for an unknown one or value). */
  setQuirks(changes: Partial<CardQuirks>): void {
    const next = { ...this.quirkValues, ...changes };
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'recountDelayMs') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RangeError('recountDelayMs must be an integer >= 0');
      } else if (name === 'missingMethods') {
        if (!Array.isArray(value) || !value.every((m) => typeof m === 'string')) throw new RangeError('missingMethods must be a list of names');
        next.missingMethods = value.map((m: string) => m.toLowerCase());
      } else if (!Object.hasOwn(QUIRK_VALUES, name)) {
        throw new RangeError(`Unknown card quirk: ${name}`);
      } else if (!QUIRK_VALUES[name as keyof typeof QUIRK_VALUES].includes(value)) {
        throw new RangeError(`${name} must be one of ${QUIRK_VALUES[name as keyof typeof QUIRK_VALUES].join(', ')}`);
      }
    }
    this.quirkValues = next;
  }

  /** From SandboxOptions.card; `withSample`: the portal holds the default tasks, so their cards are loaded on start. */
  configure({ sample = 'plain', ...quirks }: CardOptions, withSample: boolean): void {
    if (sample !== 'plain' && sample !== 'hostile') throw new RangeError('sample must be plain or hostile');
    this.setQuirks(quirks);
    this.sample = withSample ? sample : undefined;
  }

  /** Loads the default tasks' cards, once the portal listens (a hostile comment quotes a webhook URL). */
  loadSample(webhookUrl: (userId: number) => string, nowMs: number): void {
    if (!this.sample) return;
    for (const [taskId, card] of sampleCards(this.sample, webhookUrl, nowMs)) this.putCard(taskId, card, nowMs);
  }

  /** The control API's card routes (`/_sandbox/…`); undefined for a route that is not theirs. */
  control(route: string, body: Record<string, unknown>, nowMs: number): unknown {
    const onCard = /^(GET|PATCH) cards\/(\d+)$/.exec(route);
    if (onCard?.[1] === 'GET') return this.cardOf(Number(onCard[2]));
    if (onCard?.[1] === 'PATCH') return this.putCard(Number(onCard[2]), body, nowMs);
    const comment = /^POST cards\/(\d+)\/comments$/.exec(route);
    if (comment) {
      const authorId = intParam(body.authorId);
      if (authorId === undefined || !this.portal.user(authorId)) throw new RangeError('authorId must be a user of the portal');
      if (typeof body.text !== 'string' || body.text === '') throw new RangeError('text must be a non-empty string');
      return this.post(Number(comment[1]), authorId, body.text, nowMs);
    }
    switch (route) {
      case 'GET card-quirks':
        return this.quirks;
      case 'POST card-quirks':
        this.setQuirks(body);
        return this.quirks;
      case 'GET timers':
        return Object.fromEntries(this.timers);
      default:
        return undefined;
    }
  }

  isMissing(method: string): boolean {
    return this.quirkValues.missingMethods.includes(method);
  }

  /** The live card of a task (an empty one until something is put there). */
  card(taskId: number): TaskCard {
    let card = this.cards.get(taskId);
    if (!card) {
      card = emptyCard();
      this.cards.set(taskId, card);
    }
    return card;
  }

  /** A copy of a task's card. */
  cardOf(taskId: number): TaskCard {
    return structuredClone(this.card(taskId));
  }

  /** Replaces the given parts of a task's card; missing ids are given (RangeError for bad input). */
  putCard(taskId: number, input: CardInput, nowMs: number): TaskCard {
    if (!isObject(input)) throw new RangeError('a card must be an object');
    const card = this.card(taskId);
    const text = (value: unknown, name: string) => {
      if (typeof value !== 'string') throw new RangeError(`${name} must be a string`);
      return value;
    };
    const count = (value: unknown, name: string) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer >= 0`);
      return value;
    };
    // Epoch ms: any integer (a test clock may start at 0, putting the sample's comments before 1970).
    const instant = (value: unknown, name: string) => {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new RangeError(`${name} must be epoch ms`);
      return value;
    };
    const flag = (value: unknown, name: string) => {
      if (typeof value !== 'boolean') throw new RangeError(`${name} must be true or false`);
      return value;
    };
    const list = <T>(value: unknown, name: string, item: (entry: Record<string, unknown>) => T): T[] => {
      if (!Array.isArray(value) || !value.every(isObject)) throw new RangeError(`${name} must be a list of objects`);
      return value.map(item);
    };
    if (input.description !== undefined) card.description = text(input.description, 'description');
    if (input.timeEstimate !== undefined) card.timeEstimate = count(input.timeEstimate, 'timeEstimate');
    if (input.allowTimeTracking !== undefined) card.allowTimeTracking = flag(input.allowTimeTracking, 'allowTimeTracking');
    if (input.taskControl !== undefined) card.taskControl = flag(input.taskControl, 'taskControl');
    if (input.requireResult !== undefined) card.requireResult = flag(input.requireResult, 'requireResult');
    if (input.checklist !== undefined) {
      card.checklist = list(input.checklist, 'checklist', (entry) => ({
        id: entry.id === undefined ? this.newId() : count(entry.id, 'checklist id'),
        parentId: entry.parentId === undefined ? 0 : count(entry.parentId, 'parentId'),
        title: text(entry.title, 'checklist title'),
        isComplete: entry.isComplete === undefined ? false : flag(entry.isComplete, 'isComplete'),
        sortIndex: entry.sortIndex === undefined ? 0 : count(entry.sortIndex, 'sortIndex'),
      }));
    }
    const comment = (entry: Record<string, unknown>): CardComment => ({
      id: entry.id === undefined ? this.newId() : count(entry.id, 'comment id'),
      authorId: count(entry.authorId, 'authorId'),
      postedAt: entry.postedAt === undefined ? nowMs : instant(entry.postedAt, 'postedAt'),
      text: text(entry.text, 'comment text'),
    });
    if (input.comments !== undefined) card.comments = list(input.comments, 'comments', comment);
    if (input.forumComments !== undefined) card.forumComments = list(input.forumComments, 'forumComments', comment);
    if (input.elapsed !== undefined) {
      card.elapsed = list(input.elapsed, 'elapsed', (entry) => {
        const seconds = count(entry.seconds, 'seconds');
        const stoppedAt = entry.stoppedAt === undefined ? nowMs : instant(entry.stoppedAt, 'stoppedAt');
        return {
          id: entry.id === undefined ? this.newId() : count(entry.id, 'elapsed id'),
          userId: count(entry.userId, 'userId'),
          seconds,
          commentText: entry.commentText === undefined ? '' : text(entry.commentText, 'commentText'),
          source: entry.source === undefined ? 2 : (count(entry.source, 'source') as ElapsedSource),
          createdAt: stoppedAt,
          startedAt: stoppedAt - seconds * 1000,
          stoppedAt,
        };
      });
    }
    this.nextId = Math.max(this.nextId, ...[...card.checklist, ...card.comments, ...card.forumComments, ...card.elapsed].map((x) => x.id + 1));
    return this.cardOf(taskId);
  }

  /** A removed task: its card goes, and any timer on it stops without logging. */
  forget(taskId: number): void {
    this.cards.delete(taskId);
    this.pendingReads = this.pendingReads.filter((read) => read.taskId !== taskId);
    for (const [userId, timer] of this.timers) if (timer.taskId === taskId) this.timers.delete(userId);
  }

  newId(): number {
    return this.nextId++;
  }

  /** "Name Last-name", as the portal shows a user; '' for no such user. */
  userName(userId: number): string {
    const user = this.portal.user(userId);
    return user ? `${user.name} ${user.lastName}` : '';
  }

  /** The task if the caller may see it (membership, group, admin), a copy; else undefined. */
  visibleTask(caller: SandboxUser, taskId: number): SandboxTask | undefined {
    const task = this.portal.tasksVisibleTo(caller).find((t) => t.id === taskId);
    return task && structuredClone(task);
  }

  task(taskId: number): SandboxTask | undefined {
    return this.portal.allTasks().find((t) => t.id === taskId);
  }

  setStatus(task: SandboxTask, status: RealStatus, nowMs: number): SandboxTask {
    return this.portal.updateTask(task.id, { status }, nowMs);
  }

  timeSpent(taskId: number): number {
    return this.card(taskId).elapsed.reduce((sum, record) => sum + record.seconds, 0);
  }

  // --- Comments and what is unread ------------------------------------------------------------

  /** Who reads a task's comments: its members; in a chat, its members without auditors unless they are in it. */
  readers(task: SandboxTask): number[] {
    const auditors = this.quirkValues.comments === 'chat' && !this.quirkValues.auditorsInChat ? [] : task.auditors;
    return [...new Set([task.createdBy, task.responsibleId, ...task.accomplices, ...auditors])];
  }

  /** A new comment (or chat message): one more unread for every reader but its author. */
  post(taskId: number, authorId: number, text: string, nowMs: number): CardComment {
    const task = this.task(taskId);
    if (!task) throw new RangeError(`The sandbox portal has no task ${taskId}`);
    const comment = { id: this.newId(), authorId, postedAt: nowMs, text };
    this.card(taskId).comments.push(comment);
    const unread = { ...task.unread };
    for (const reader of this.readers(task)) if (reader !== authorId) unread[reader] = (unread[reader] ?? 0) + 1;
    this.portal.updateTask(taskId, { unread, changedDate: task.changedDate }, nowMs);
    return structuredClone(comment);
  }

  /** The user's unread comments on a task: their newest N comments by others, N = the task's unread count. */
  unreadComments(taskId: number, userId: number): CardComment[] {
    const task = this.task(taskId);
    const count = task ? (task.unread[userId] ?? 0) : 0;
    const others = this.card(taskId).comments.filter((comment) => comment.authorId !== userId);
    return count === 0 ? [] : others.slice(-count);
  }

  /** What stays unread for the user once comments up to `upToId` are read. */
  unreadAfter(taskId: number, userId: number, upToId: number): number {
    const unread = this.unreadComments(taskId, userId);
    return unread.filter((comment) => comment.id > upToId).length;
  }

  /** The user reads a task's comments up to `upToId` (all: Infinity); the counters follow after recountDelayMs. */
  read(taskId: number, userId: number, upToId: number, nowMs: number): void {
    this.pendingReads.push({ taskId, userId, upToId, dueAt: nowMs + this.quirkValues.recountDelayMs });
    this.settle(nowMs);
  }

  /** Applies the reads whose recount is due (called before every REST method). */
  settle(nowMs: number): void {
    const due = this.pendingReads.filter((read) => read.dueAt <= nowMs);
    this.pendingReads = this.pendingReads.filter((read) => read.dueAt > nowMs);
    for (const read of due) {
      const task = this.task(read.taskId);
      if (!task || (task.unread[read.userId] ?? 0) === 0) continue;
      const unread = { ...task.unread, [read.userId]: this.unreadAfter(read.taskId, read.userId, read.upToId) };
      this.portal.updateTask(read.taskId, { unread, changedDate: task.changedDate }, nowMs);
    }
  }

  // --- Timers (one per user) -------------------------------------------------------------------

  timerOf(userId: number): Timer | undefined {
    const timer = this.timers.get(userId);
    return timer && { ...timer };
  }

  startTimer(userId: number, taskId: number, nowMs: number): void {
    this.stopTimer(userId, nowMs);
    this.timers.set(userId, { taskId, startedAt: nowMs });
  }

  /** Stops the user's timer and logs its whole seconds (SOURCE 3) if any passed; the stopped timer, if one ran. */
  stopTimer(userId: number, nowMs: number): Timer | undefined {
    const timer = this.timers.get(userId);
    if (!timer) return undefined;
    this.timers.delete(userId);
    const seconds = Math.floor((nowMs - timer.startedAt) / 1000);
    if (seconds > 0) {
      this.card(timer.taskId).elapsed.push({
        id: this.newId(),
        userId,
        seconds,
        commentText: '',
        source: 3,
        createdAt: timer.startedAt,
        startedAt: timer.startedAt,
        stoppedAt: timer.startedAt + seconds * 1000,
      });
    }
    return timer;
  }
}
