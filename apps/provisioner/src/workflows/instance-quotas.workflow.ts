// Brings one instance's effective limits in the photo app in line with its plan right after a plan change (SPEC P6),
// instead of at the next usage-sync run. Started by the portal with signalWithStart once the change is committed; a
// change arriving while a pass runs is signalled and causes one more pass, so the last plan always wins. Then the
// storage watchdog looks at the instance again: an upgrade that makes it fit releases a storage hold at once.
import { ActivityFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { MemberActivities } from '../activities/member.activities.ts';
import type { StorageActivities } from '../activities/storage.activities.ts';
import {
  quotasChangedSignal,
  type RefreshInstanceQuotasInput,
  type RefreshInstanceQuotasResult,
} from '../contracts/index.ts';
import { checkInstanceStorage } from './storage-watchdog.ts';

const { refreshInstanceQuotas } = proxyActivities<MemberActivities>({
  startToCloseTimeout: '2 minutes',
  // A photo app briefly down (restart, upgrade) is waited for a few minutes; after that the usage-sync schedule,
  // which pushes the same limits, is the safety net, so giving up loses nothing.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

const { storageCheckTarget } = proxyActivities<StorageActivities>({ startToCloseTimeout: '1 minute' });

export async function refreshInstanceQuotasWorkflow(
  input: RefreshInstanceQuotasInput,
): Promise<RefreshInstanceQuotasResult> {
  let dirty = true;
  setHandler(quotasChangedSignal, () => {
    dirty = true;
  });
  const result: RefreshInstanceQuotasResult = {
    instanceId: input.instanceId,
    outcome: 'skipped',
    limitsPushed: 0,
    passes: 0,
  };
  while (dirty) {
    dirty = false;
    result.passes += 1;
    try {
      const pass = await refreshInstanceQuotas(input);
      result.outcome = pass.ran ? 'refreshed' : 'skipped';
      result.limitsPushed += pass.limitsPushed;
      delete result.error;
    } catch (e) {
      if (!(e instanceof ActivityFailure)) throw e;
      result.outcome = 'failed';
      result.error = e.cause?.message ?? e.message;
    }
  }
  try {
    const target = await storageCheckTarget(input);
    if (target) result.storage = await checkInstanceStorage(target);
  } catch (e) {
    // The usage-sync schedule checks again.
    result.storage = 'failed';
    result.storageError = e instanceof ActivityFailure ? (e.cause?.message ?? e.message) : (e as Error).message;
  }
  return result;
}
