/**
 * What a REST method of the sandbox portal produces: a result, or one of Bitrix24's errors.
 * Shared by the portal and the modules of its methods (the task card, the comments).
 */

export type Params = Record<string, unknown>;

export interface Success {
  ok: true;
  result: unknown;
  total?: number;
  next?: number;
}

export interface Failure {
  ok: false;
  status: number;
  error: string;
  description: string;
  /** Extra body fields (e.g. operating_reset_at). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Outcome = Success | Failure;

export function succeed(result: unknown, more: { total?: number; next?: number } = {}): Success {
  return { ok: true, result, ...more };
}

export function failure(status: number, error: string, description: string, more: Partial<Failure> = {}): Failure {
  return { ok: false, status, error, description, ...more };
}

export const insufficientScope = () =>
  failure(401, 'insufficient_scope', 'The request requires higher privileges than provided by the webhook token');
export const methodNotFound = () => failure(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
