/**
 * Property of the sandbox portal: for any tasks, what the counters say is what the lists behind
 * them show, for every user, role and group (the notes: the overdue list is the `expired` set,
 * and newComments summed over the comment list is `new_comments`).
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_GROUPS, DEFAULT_USERS, ROLES, TaskInput } from '../sandbox/portal';
import { countersAndLists, withPortal } from './sandboxHttp';
import { propertyRuns } from './propertyRuns';

const NOW = Date.UTC(2025, 8, 26, 9, 0, 0);
const DAY = 24 * 3_600_000;
const USER_IDS = DEFAULT_USERS.map((user) => user.id);

const userId = fc.constantFrom(...USER_IDS);
const someUsers = fc.uniqueArray(userId, { maxLength: USER_IDS.length });

/** Deadlines around now, the boundary (exactly now, a millisecond either side) included. */
const deadline = fc.option(
  fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -3 * DAY, max: 3 * DAY })).map((offset) => NOW + offset),
  { nil: null },
);

const task: fc.Arbitrary<TaskInput> = fc.record({
  title: fc.constantFrom('Fix the build', 'Исправить оплату картой'),
  createdBy: userId,
  responsibleId: userId,
  accomplices: someUsers,
  auditors: someUsers,
  groupId: fc.constantFrom(0, ...DEFAULT_GROUPS.map((group) => group.id)),
  status: fc.constantFrom(1, 2, 3, 4, 5, 6, 7),
  deadline,
  mutedBy: someUsers,
  unread: fc.dictionary(userId.map(String), fc.nat(3), { maxKeys: USER_IDS.length }),
});

/** The groups whose counters the user may read: their own, or all for an admin. */
function visibleGroups(id: number): number[] {
  const admin = DEFAULT_USERS.find((user) => user.id === id)?.admin === true;
  return [0, ...DEFAULT_GROUPS.filter((group) => admin || group.members.includes(id)).map((group) => group.id)];
}

describe('SandboxPortal tasks (property)', () => {
  it('expired = the overdue list and new_comments = the comment lists, for every user, role and group', async function () {
    this.timeout(60_000);
    await fc.assert(
      fc.asyncProperty(fc.array(task, { maxLength: 25 }), async (tasks) => {
        await withPortal({ now: () => NOW, tasks }, async (portal) => {
          for (const id of USER_IDS) {
            for (const groupId of visibleGroups(id)) {
              const byRole = await countersAndLists(portal, id, groupId, ROLES);
              for (const role of ROLES) {
                const seen = byRole[role];
                const where = `user ${id}, ${role}, group ${groupId}`;
                assert.equal(seen.overdue, seen.expired, `overdue list vs expired: ${where}`);
                assert.equal(seen.storedComments, seen.newComments, `WITH_COMMENT_COUNTERS vs new_comments: ${where}`);
                assert.equal(seen.liveComments, seen.newComments, `WITH_NEW_COMMENTS vs new_comments: ${where}`);
              }
            }
          }
        });
      }),
      propertyRuns(12),
    );
  });
});
