/**
 * Error classification: from a portal's HTTP answer to an `Outcome`.
 *
 * Bitrix24's documentation and its server code disagree on statuses (401 vs 403 for the same
 * error), and a batch command's error has no status at all, so the `error` string decides first
 * and the HTTP status only for a code this table does not know: a documented error is the same
 * failure inside a batch and outside it.
 */
import { Failure, FailureKind, fail, Outcome, succeed } from './outcome';
import { PortalText, portalText, Redact, sentence, showableTime } from './portalText';
import { HttpResponse } from './transport';

/** The parts of Bitrix24's envelope this extension reads. */
export interface Envelope {
  readonly result: unknown;
  readonly time?: unknown;
}

/** A portal error: `{"error":"CODE","error_description":"..."}`. */
export interface PortalError {
  readonly error: string;
  readonly error_description?: string;
  readonly operating_reset_at?: unknown;
}

const KIND_BY_CODE: Readonly<Record<string, FailureKind>> = {
  NO_AUTH_FOUND: 'auth',
  INVALID_CREDENTIALS: 'auth',
  EXPIRED_TOKEN: 'auth',
  INVALID_TOKEN: 'auth',
  USER_ACCESS_ERROR: 'auth',
  INVALID_REQUEST: 'auth',
  PORTAL_DELETED: 'auth',
  INSUFFICIENT_SCOPE: 'scope',
  ACCESS_DENIED: 'access',
  WRONG_AUTH_TYPE: 'access',
  QUERY_LIMIT_EXCEEDED: 'rateLimited',
  OPERATION_TIME_LIMIT: 'rateLimited',
  OVERLOAD_LIMIT: 'blocked',
  INTERNAL_SERVER_ERROR: 'server',
  ERROR_UNEXPECTED_ANSWER: 'server',
  ERROR_METHOD_NOT_FOUND: 'badRequest',
};

/** The one error this method answers with a numeric code: `{"error":"0", ...}`. */
const GROUP_NOT_FOUND = /group not found or access denied/i;

export interface ClassifyContext {
  /** Epoch ms now, to turn `Retry-After` seconds into a time. */
  readonly now: number;
  /** The REST method, for messages ("the task scope"). */
  readonly method: string;
  /** Strips the secret from anything the portal echoes back. */
  readonly redact: Redact;
}

/** An HTTP answer that is not a redirect: the envelope, or a failure with its kind. */
export function classifyResponse(response: HttpResponse, context: ClassifyContext): Outcome<Envelope> {
  const parsed = restV3Error(parseJson(response.body));
  if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    if (response.status >= 500) {
      return fail({ kind: 'server', status: response.status, detail: sentence`the portal answered HTTP ${response.status}` });
    }
    return fail({ kind: 'notJson', status: response.status, detail: describeNotJson(response, context.redact) });
  }
  if (isPortalError(parsed)) {
    return fail(classifyPortalError(parsed, { ...context, status: response.status, retryAfter: response.retryAfter }));
  }
  if (response.status >= 400) {
    return fail(byStatus(response.status, sentence`the portal answered HTTP ${response.status} without an error code`));
  }
  if (!('result' in parsed)) {
    return fail({ kind: 'notJson', status: response.status, detail: sentence`the answer is JSON but not a Bitrix24 envelope (no result)` });
  }
  return succeed(parsed as Envelope);
}

export function isPortalError(value: unknown): value is PortalError {
  return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'string';
}

/** Also used for the per-command errors inside a `batch` answer (no status there). */
export function classifyPortalError(
  error: PortalError,
  context: ClassifyContext & { status?: number; retryAfter?: string },
): Failure {
  // The code and the description are the portal's words, shown in tooltips and logs.
  const code = portalText(error.error, context.redact);
  const description = portalText(String(error.error_description ?? ''), context.redact);
  const detail = description ? sentence`${code}: ${description}` : code;
  const base = { code, status: context.status, detail };
  const known = error.error.toUpperCase();
  const kind = Object.hasOwn(KIND_BY_CODE, known) ? KIND_BY_CODE[known] : undefined;
  if (kind === 'rateLimited') {
    return known === 'OPERATION_TIME_LIMIT'
      ? { ...base, kind, limit: 'operationTime', retryAt: unixSecondsToMs(error.operating_reset_at) }
      : { ...base, kind, limit: 'queryRate', retryAt: retryAfterToMs(context.retryAfter, context.now) };
  }
  if (kind === 'scope') {
    return { ...base, kind, missingScope: scopeOf(context.method) };
  }
  if (kind) {
    return { ...base, kind };
  }
  if (GROUP_NOT_FOUND.test(description)) {
    return { ...base, kind: 'access' };
  }
  return context.status === undefined ? { ...base, kind: 'badRequest' } : { ...byStatus(context.status, detail), code };
}

function byStatus(status: number, detail: PortalText): Failure {
  if (status === 401) return { kind: 'auth', status, detail };
  if (status === 403) return { kind: 'access', status, detail };
  if (status === 429) return { kind: 'rateLimited', limit: 'queryRate', status, detail };
  if (status >= 500) return { kind: 'server', status, detail };
  return { kind: 'badRequest', status, detail };
}

/** The scope a method needs, to tell the user which one to add to the webhook. */
export function scopeOf(method: string): string | undefined {
  if (method.startsWith('tasks.') || method.startsWith('task.')) return 'task';
  if (method.startsWith('im.')) return 'im';
  if (method.startsWith('sonet_group.')) return 'sonet';
  if (method.startsWith('user.')) return 'user';
  return undefined;
}

/** REST 3.0 (`/rest/api/`) errors are `{"error": {"code", "message"}}`: read as the usual `{error, error_description}`. */
function restV3Error(parsed: unknown): unknown {
  const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return parsed;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { error: typeof code === 'string' || typeof code === 'number' ? String(code) : '', error_description: typeof message === 'string' ? message : '' };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function describeNotJson(response: HttpResponse, redact: Redact): PortalText {
  const type = portalText(response.contentType.split(';')[0], redact) || sentence`no content type`;
  if (/html/i.test(type) || /^\s*</.test(response.body)) {
    return sentence`the portal answered an HTML page (HTTP ${response.status}, ${type}), perhaps a login page of a proxy or single sign-on`;
  }
  return sentence`the portal's answer is not valid JSON (HTTP ${response.status}, ${type}); it may have been cut off`;
}

function unixSecondsToMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' ? Number(value) : value;
  return typeof seconds === 'number' && seconds > 0 ? showableTime(seconds * 1000) : undefined;
}

/**
 * `Retry-After` is either delay seconds or an HTTP date. A number is never a date: Date.parse
 * reads "-5" as May 2001.
 */
function retryAfterToMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return Number.isFinite(seconds) && seconds >= 0 ? showableTime(now + seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}
