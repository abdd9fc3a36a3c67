/**
 * Errors as values. Every call to the portal ends in an `Outcome`: either the value or a
 * `Failure` whose `kind` tells each surface what to say and the scheduler what to do.
 */
import type { PortalText } from './portalText';

export type FailureKind =
  /** The webhook is not accepted (deleted, mistyped, user may not use REST): reconnect. */
  | 'auth'
  /** The webhook lacks a scope; `missingScope` names it when known. */
  | 'scope'
  /** The portal refuses this request (plan, auth type, a group the user cannot see). */
  | 'access'
  /** QUERY_LIMIT_EXCEEDED or OPERATION_TIME_LIMIT; `retryAt` when the portal says. */
  | 'rateLimited'
  /**
   * OVERLOAD_LIMIT: Bitrix24 blocked the portal's REST API by hand for overload. It is not
   * lifted by waiting: only Bitrix24 support lifts it, so polling stops.
   */
  | 'blocked'
  /** Refused, DNS, reset, TLS or timeout: `networkCause` says which. */
  | 'network'
  /** The portal answered something that is not JSON (an SSO login page, a proxy's HTML). */
  | 'notJson'
  /** A 5xx answer that is not a rate limit. */
  | 'server'
  /** The portal rejected the parameters (a bad user id, an unknown method). */
  | 'badRequest'
  /** A redirect to another origin, which would carry the secret along: not followed. */
  | 'redirected'
  /** The answer exceeded the size cap and was cut off. */
  | 'tooLarge';

/** Every kind once, for reading a failure back from a file (a kind added above must be added here). */
const FAILURE_KINDS: Readonly<Record<FailureKind, true>> = {
  auth: true,
  scope: true,
  access: true,
  rateLimited: true,
  blocked: true,
  network: true,
  notJson: true,
  server: true,
  badRequest: true,
  redirected: true,
  tooLarge: true,
};

export function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && Object.hasOwn(FAILURE_KINDS, value);
}

export type NetworkCause = 'timeout' | 'refused' | 'dns' | 'reset' | 'tls' | 'other';

export interface Failure {
  readonly kind: FailureKind;
  /** Technical detail for the log and tooltips: the portal's words or ours around them (`sentence`). */
  readonly detail: PortalText;
  /** The portal's `error` string, when it sent one. */
  readonly code?: PortalText;
  readonly status?: number;
  /** Epoch ms when the portal says trying again makes sense (Retry-After, operating_reset_at). */
  readonly retryAt?: number;
  /** For `rateLimited`: which limit was hit. */
  readonly limit?: 'queryRate' | 'operationTime';
  readonly missingScope?: string;
  readonly networkCause?: NetworkCause;
  /** For `redirected`: where the portal tried to send us. */
  readonly redirectHost?: PortalText;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure };

export function succeed<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: Failure): Outcome<T> {
  return { ok: false, error };
}

/** Whether waiting and trying again can help, or only the user can (reconnect, fix settings). */
export function isRetryable(failure: Failure): boolean {
  switch (failure.kind) {
    case 'rateLimited':
    case 'network':
    case 'notJson':
    case 'server':
    case 'tooLarge':
      return true;
    case 'auth':
    case 'scope':
    case 'access':
    case 'blocked':
    case 'badRequest':
    case 'redirected':
      return false;
  }
}
