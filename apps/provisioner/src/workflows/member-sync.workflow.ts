// Makes the photo app match one member's row (SPEC M2-M7). Started by the portal with signalWithStart after each
// committed change; a change made while a pass runs arrives as another signal and causes one more pass, so the
// last state always wins and two syncs of one member never run at once (one workflow id per member).
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { MemberActivities } from '../activities/member.activities.ts';
import {
  memberChangedSignal,
  type MemberSyncOutcome,
  type SyncMemberInput,
  type SyncMemberResult,
} from '../contracts/index.ts';

const { syncMemberToPhotoApp } = proxyActivities<MemberActivities>({
  startToCloseTimeout: '2 minutes',
  // The instance may be briefly down (restart, upgrade); a sync that still fails is redone by the next change.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function syncMemberWorkflow(input: SyncMemberInput): Promise<SyncMemberResult> {
  // Started without a signal (a plain start) still makes one pass.
  let dirty = true;
  setHandler(memberChangedSignal, () => {
    dirty = true;
  });
  let passes = 0;
  let outcome: MemberSyncOutcome = 'skipped';
  while (dirty) {
    dirty = false;
    outcome = await syncMemberToPhotoApp(input);
    passes += 1;
  }
  return { memberId: input.memberId, outcome, passes };
}
