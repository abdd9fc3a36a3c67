/**
 * Runs the sandbox portal for a person:
 *
 *   node out/test/sandbox/cli.js [--port N] [--host H] [--demo] [--leaky-bucket]
 *
 * Prints the origin and each user's webhook URL (the one place the sandbox shows a secret, on
 * purpose: it is what you paste into the extension). Ctrl-C or SIGTERM closes it cleanly.
 */
import { parseCommandLine, parsePort } from '../launch/args';
import { startDemo } from './demo';
import { DEFAULT_USERS, SandboxPortal, SandboxUser } from './portal';

interface CliOptions {
  port: number;
  host: string;
  demo: boolean;
  leakyBucket: boolean;
  hostile: boolean;
}

const USAGE = 'Usage: node out/test/sandbox/cli.js [--port N] [--host H] [--demo] [--leaky-bucket] [--hostile]';

function readOptions(): CliOptions {
  const values = parseCommandLine({
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    demo: { type: 'boolean', default: false },
    'leaky-bucket': { type: 'boolean', default: false },
    hostile: { type: 'boolean', default: false },
  }, USAGE);
  return {
    port: parsePort(values.port, 'port'),
    host: values.host,
    demo: values.demo,
    leakyBucket: values['leaky-bucket'],
    hostile: values.hostile,
  };
}

function printBanner(portal: SandboxPortal, options: CliOptions): void {
  const lines = [
    `Bitrix24 sandbox portal on ${portal.origin}${options.leakyBucket ? ' (rate limit: burst 50, 2/s per IP)' : ''}`,
    '',
    'Inbound webhooks (paste one into the extension):',
    ...DEFAULT_USERS.map((user) => `  ${describeUser(user).padEnd(46)} ${portal.webhookUrl(user.id)}`),
    '',
    'Control (JSON):',
    `  curl ${portal.origin}/_sandbox/tasks                 (the tasks the counters are derived from)`,
    `  curl -X POST ${portal.origin}/_sandbox/tasks -d '{"title":"Call the client","responsibleId":1,"deadline":"2025-01-01T09:00:00Z"}'`,
    `  curl -X PATCH ${portal.origin}/_sandbox/tasks/105 -d '{"unread":{"1":3}}'      (DELETE removes it)`,
    `  curl -X POST ${portal.origin}/_sandbox/counters -d '{"userId":1,"counters":{"expired":4,"new_comments":1}}'`,
    `       (overrides what the tasks say; POST reset-counters undoes every override)`,
    `  curl -X POST ${portal.origin}/_sandbox/comment-filters -d '{"mode":"rejected"}'   (or ignored, supported)`,
    `  curl -X POST ${portal.origin}/_sandbox/fault -d '{"kind":"queryLimit","times":3}'`,
    `  curl -X POST ${portal.origin}/_sandbox/clear        (clears faults)`,
    `  curl ${portal.origin}/_sandbox/requests              (request log; POST reset-log empties it)`,
    `  curl ${portal.origin}/_sandbox/cards/101             (a task's card: description, checklist, comments, time; PATCH changes it)`,
    `  curl -X POST ${portal.origin}/_sandbox/cards/101/comments -d '{"authorId":3,"text":"Any news?"}'   (a colleague comments)`,
    `  curl -X POST ${portal.origin}/_sandbox/card-quirks -d '{"comments":"chat"}'   (the new card: comments in the task chat)`,
    '',
    options.demo ? "Demo: user 1's tasks change every ~20 s." : "Run with --demo to make user 1's tasks change over time.",
    'Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
}

function describeUser(user: SandboxUser): string {
  const scopes = user.scopes.join(', ') + (user.admin ? '; admin' : '');
  return `user ${user.id} ${user.name} ${user.lastName} (${scopes})`;
}

async function main(): Promise<void> {
  const options = readOptions();
  const portal = await SandboxPortal.start({
    host: options.host,
    port: options.port,
    leakyBucket: options.leakyBucket,
    // Descriptions and comments with <script>, javascript: links, tracking images, bidi controls, a webhook URL.
    card: { sample: options.hostile ? 'hostile' : 'plain' },
  });
  printBanner(portal, options);
  const demo = options.demo
    ? startDemo(portal, {
        onChange: (description, viewAll) =>
          console.log(`[demo] ${description}: overdue ${viewAll.expired}, new comments ${viewAll.new_comments}`),
      })
    : undefined;
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) process.exit(130); // a second Ctrl-C: do not wait
    closing = true;
    console.log(`\n${signal}: closing the sandbox portal`);
    demo?.stop();
    void portal.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
