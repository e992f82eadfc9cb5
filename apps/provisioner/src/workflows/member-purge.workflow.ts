// The daily removal of members whose deletion is due (SPEC M7, seed 000: "runs at midnight ... changes to this
// setting will be evaluated at the next execution"). Run by the `member-purge` Schedule. Which members are due is
// decided by an activity with each instance's delay as configured at run time; each removal is its own activity,
// so one instance that cannot be reached does not stop the others, and is tried again the next night.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { MemberActivities } from '../activities/member.activities.ts';
import type { PurgeDueMembersResult } from '../contracts/index.ts';

const { listDueMembers } = proxyActivities<MemberActivities>({ startToCloseTimeout: '1 minute' });
const { purgeMember } = proxyActivities<MemberActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function purgeDueMembersWorkflow(): Promise<PurgeDueMembersResult> {
  const result: PurgeDueMembersResult = { purged: [], failed: [] };
  for (const due of await listDueMembers()) {
    try {
      if (await purgeMember(due)) result.purged.push(due);
    } catch (e) {
      const cause = e instanceof ActivityFailure ? e.cause : e;
      result.failed.push({ ...due, error: cause instanceof Error ? cause.message : String(cause) });
    }
  }
  return result;
}
