/**
 * Where the webhook lives: VS Code's SecretStorage (the OS keychain), and nowhere else.
 * `BITRIX24_WEBHOOK_URL` in the environment is read when nothing is stored (Codespaces,
 * dev containers, demos) and is never written anywhere.
 */
import * as vscode from 'vscode';
import { WebhookSource } from '../core/countersState';
import { WebhookUrl } from '../core/webhookUrl';

const SECRET_KEY = 'bitrix24Tasks.webhookUrl';
export const ENVIRONMENT_VARIABLE = 'BITRIX24_WEBHOOK_URL';

export interface StoredWebhook {
  readonly webhook: WebhookUrl;
  readonly source: WebhookSource;
}

export class WebhookStore {
  /** Set by Disconnect while the webhook comes from the environment: honoured until restart. */
  private environmentDeclined = false;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  async load(): Promise<StoredWebhook | undefined> {
    const stored = parse(await this.secrets.get(SECRET_KEY));
    if (stored) return { webhook: stored, source: 'stored' };
    const fromEnvironment = this.environmentDeclined ? undefined : parse(this.environment[ENVIRONMENT_VARIABLE]);
    return fromEnvironment ? { webhook: fromEnvironment, source: 'environment' } : undefined;
  }

  async save(webhook: WebhookUrl): Promise<void> {
    await this.secrets.store(SECRET_KEY, webhook.reveal());
  }

  /** Forgets the stored webhook and stops using the environment's for this session. */
  async clear(): Promise<void> {
    this.environmentDeclined = true;
    await this.secrets.delete(SECRET_KEY);
  }

  /** Another window connected or disconnected. */
  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((event) => {
      if (event.key === SECRET_KEY) listener();
    });
  }
}

function parse(text: string | undefined): WebhookUrl | undefined {
  if (!text) return undefined;
  const parsed = WebhookUrl.parse(text);
  return parsed.ok ? parsed.webhook : undefined;
}
