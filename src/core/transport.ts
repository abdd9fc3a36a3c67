/**
 * HTTP for the REST client: POST JSON with a timeout and a cap on the answer's size.
 * Redirects are returned, not followed: the client decides, since the URL carries the secret.
 *
 * node-fetch rides on Node's `https` module, which VS Code patches to honour `http.proxy`.
 */
import fetch, { FetchError } from 'node-fetch';
import { fail, NetworkCause, Outcome, succeed } from './outcome';
import { PortalText, portalText, Redact, sentence } from './portalText';

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  /** `Retry-After` as sent, if any. */
  readonly retryAfter?: string;
  /** `Location` of a redirect, made absolute. */
  readonly location?: string;
  readonly body: string;
}

export interface PostOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
  /** The webhook's redactor, for what a failure says of the connection. */
  readonly redact: Redact;
}

export interface Transport {
  /** Never rejects; never puts `url` into a failure's text. */
  post(url: string, json: string, options: PostOptions): Promise<Outcome<HttpResponse>>;
}

export const nodeFetchTransport: Transport = {
  async post(url, json, { timeoutMs, maxBytes, signal, redact }) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const abortFromCaller = () => controller.abort();
    if (signal?.aborted) controller.abort();
    signal?.addEventListener('abort', abortFromCaller);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: json,
        redirect: 'manual',
        size: maxBytes,
        compress: true,
        signal: controller.signal,
      });
      const body = await response.text();
      return succeed({
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        retryAfter: response.headers.get('retry-after') ?? undefined,
        location: response.headers.get('location') ?? undefined,
        body,
      });
    } catch (error) {
      if (error instanceof FetchError && error.type === 'max-size') {
        return fail({ kind: 'tooLarge', detail: sentence`the answer was larger than ${maxBytes} bytes and was cut off` });
      }
      const cause: NetworkCause = isAbort(error) ? (signal?.aborted ? 'other' : 'timeout') : networkCause(error);
      return fail({ kind: 'network', networkCause: cause, detail: describe(cause, error, timeoutMs, redact) });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abortFromCaller);
    }
  },
};

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Only the error's code is read: node-fetch's messages contain the URL, hence the secret. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown; errno?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function networkCause(error: unknown): NetworkCause {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'reset';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return 'tls';
  return 'other';
}

function describe(cause: NetworkCause, error: unknown, timeoutMs: number, redact: Redact): PortalText {
  const code = errorCode(error);
  const said = causeWords(cause, timeoutMs);
  if (code) return sentence`${said} (${portalText(code, redact)})`;
  return cause === 'other' && isAbort(error) ? sentence`${said} (cancelled)` : said;
}

function causeWords(cause: NetworkCause, timeoutMs: number): PortalText {
  switch (cause) {
    case 'timeout':
      return sentence`no answer within ${timeoutMs / 1000} s`;
    case 'refused':
      return sentence`the connection was refused`;
    case 'dns':
      return sentence`the portal's host name could not be resolved`;
    case 'reset':
      return sentence`the connection was closed before the answer was complete`;
    case 'tls':
      return sentence`the portal's certificate was not accepted`;
    case 'other':
      return sentence`the request failed`;
  }
}
