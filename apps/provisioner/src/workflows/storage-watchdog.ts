// The storage watchdog's step for one instance (issue 13), shared by the usage-sync schedule and the quota refresh
// after a plan change. Not a workflow itself; index.ts does not export it. The instance's volumes are measured on its
// Docker host; over the plan's hard limit the subscription workflow is told to hold it stopped (a hold billing events
// never lift), and a held one that fits its plan again (an upgrade) is released.
import { getExternalWorkflowHandle, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { HostActivities } from '../activities/index.ts';
import type { StorageActivities, StorageCheckTarget } from '../activities/storage.activities.ts';
import { staffHoldSignal, subscriptionWorkflowId, type StaffHoldSignal } from '../contracts/index.ts';

const storage = proxyActivities<StorageActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

function host(taskQueue: string) {
  return proxyActivities<HostActivities>({
    taskQueue,
    // Measuring walks the volumes' files: on a large library that takes a while, with heartbeats.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
  });
}

export type StorageOutcome = 'within' | 'held' | 'released' | 'still-over';

export async function checkInstanceStorage(target: StorageCheckTarget): Promise<StorageOutcome> {
  const { bytes } = await host(target.taskQueue).measureInstanceStorage({ instanceId: target.instanceId });
  const verdict = await storage.storageVerdict({ instanceId: target.instanceId, measuredBytes: bytes });
  if (verdict.over === verdict.held) return verdict.over ? 'still-over' : 'within';
  const signal: StaffHoldSignal = {
    requestId: `storage/${uuid4()}`,
    hold: verdict.over,
    actorId: null,
    reason: verdict.over
      ? `storage ${verdict.measuredBytes} bytes over the plan's hard limit of ${verdict.limitBytes} bytes`
      : `storage ${verdict.measuredBytes} bytes within the plan's hard limit of ${verdict.limitBytes} bytes`,
    kind: 'storage',
    measuredBytes: verdict.measuredBytes,
    limitBytes: verdict.limitBytes,
  };
  // The subscription workflow of a live instance runs for as long as the subscription; it records the hold.
  await getExternalWorkflowHandle(subscriptionWorkflowId(verdict.subscriptionId)).signal(staffHoldSignal, signal);
  return verdict.over ? 'held' : 'released';
}
