/**
 * The inbound webhook: `https://PORTAL/rest/USER_ID/SECRET/`. Whoever holds it acts as that
 * user, so the secret is kept in a private field and every printable form is redacted.
 */

export type WebhookProblem =
  | 'empty'
  | 'notUrl'
  | 'insecure'
  | 'credentials'
  | 'fragment'
  | 'noRestPath';

export type WebhookParse =
  | { readonly ok: true; readonly webhook: WebhookUrl }
  | { readonly ok: false; readonly problem: WebhookProblem; readonly message: string };

/**
 * In English, the source language: the UI shows them through `vscode.l10n.t(message)`, so each
 * is also a key of l10n/bundle.l10n.*.json (a unit test checks).
 */
export const PROBLEM_MESSAGES: Readonly<Record<WebhookProblem, string>> = {
  empty: 'Paste the inbound webhook URL from Bitrix24.',
  notUrl: 'This is not a URL. A webhook looks like https://your-portal.bitrix24.com/rest/1/abc123xyz/.',
  insecure: 'The webhook must use https:// (plain http:// is allowed only for a local test portal).',
  credentials: 'The URL must not contain a user name or password before the host.',
  fragment: 'The URL must not contain a #fragment.',
  noRestPath: 'The URL must contain /rest/<user id>/<secret>/, as Bitrix24 shows it for an inbound webhook.',
};

/** `/rest/<numeric user>/<secret>/` and, optionally, a method name left on the end. */
const REST_PATH = /^\/rest\/([1-9][0-9]{0,9})\/([A-Za-z0-9]+)(?:\/(?:[A-Za-z0-9_.]+)?)?\/?$/;

const REDACTED = '•••';

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.[0-9]{1,3}){3}$/.test(hostname);
}

export class WebhookUrl {
  readonly #secret: string;
  /** The secret in any case: a host name that spells it comes back lowercased. */
  readonly #anyCase: RegExp;

  private constructor(
    /** `https://portal.example`, without a trailing slash. */
    readonly origin: string,
    /** The Bitrix24 user the webhook acts as. */
    readonly userId: number,
    secret: string,
  ) {
    this.#secret = secret;
    this.#anyCase = new RegExp(secret, 'gi'); // letters and digits only (REST_PATH)
  }

  /** Parses what a person pastes: surrounding spaces, no trailing slash, a method on the end. */
  static parse(input: string): WebhookParse {
    const text = input.trim();
    if (text === '') {
      return reject('empty');
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return reject('notUrl');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return reject('notUrl');
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      return reject('insecure');
    }
    if (url.username !== '' || url.password !== '') {
      return reject('credentials');
    }
    if (url.hash !== '' || text.includes('#')) {
      return reject('fragment');
    }
    const match = REST_PATH.exec(url.pathname);
    if (!match) {
      return reject('noRestPath');
    }
    return { ok: true, webhook: new WebhookUrl(url.origin, Number(match[1]), match[2]) };
  }

  /** The address of one REST method. */
  methodUrl(method: string): string {
    return `${this.origin}/rest/${this.userId}/${this.#secret}/${method}`;
  }

  /** The address of one REST 3.0 method (`/rest/api/<user>/<secret>/<method>`). */
  apiMethodUrl(method: string): string {
    return `${this.origin}/rest/api/${this.userId}/${this.#secret}/${method}`;
  }

  /** Safe to show and log: `https://portal.example/rest/12/•••/`. */
  get redacted(): string {
    return `${this.origin}/rest/${this.userId}/${REDACTED}/`;
  }

  /** The full URL, for SecretStorage only. */
  reveal(): string {
    return `${this.origin}/rest/${this.userId}/${this.#secret}/`;
  }

  /**
   * Removes the secret from any text (an echoed URL in a portal's message, a redirect's host),
   * in any case. A bound function: `portalText(text, webhook.redact)`.
   */
  readonly redact = (text: string): string => text.replace(this.#anyCase, REDACTED);

  sameAs(other: WebhookUrl): boolean {
    return other.reveal() === this.reveal();
  }

  /** Whether an absolute URL points at this webhook's portal (redirect checks). */
  isOwnOrigin(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }

  toString(): string {
    return this.redacted;
  }

  toJSON(): string {
    return this.redacted;
  }
}

function reject(problem: WebhookProblem): WebhookParse {
  return { ok: false, problem, message: PROBLEM_MESSAGES[problem] };
}
