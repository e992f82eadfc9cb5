// Usage sync (SPEC M4, M8): on a Temporal Schedule, every instance's per-member usage is read from its photo app
// into the database and the effective limits that moved are pushed back; users and quotas made in the photo app's own
// admin screens are put right (audited). One instance failing does not stop the rest. The storage watchdog (issue 13)
// runs in the same pass: every instance's volumes measured on its host against its plan's hard limit.
import { ActivityFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { MemberActivities, StorageActivities } from '../activities/index.ts';
import type { UsageSyncReport } from '../contracts/index.ts';
import { checkInstanceStorage } from './storage-watchdog.ts';

const { listInstancesForUsageSync } = proxyActivities<MemberActivities>({ startToCloseTimeout: '1 minute' });
const { listInstancesForStorageCheck } = proxyActivities<StorageActivities>({ startToCloseTimeout: '1 minute' });
const { syncInstanceUsage } = proxyActivities<MemberActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * Instances synced at once (issue 18): each is its own photo app, so a few at a time do not compete, and the pass
 * over a fleet of 1,000 no longer takes 1,000 activity round trips one after another. Behind a patch marker, so a
 * history recorded one instance at a time still replays.
 */
const USAGE_SYNC_CONCURRENCY = 8;
const BOUNDED_USAGE_SYNC_PATCH = 'usage-sync-bounded-concurrency';

export async function syncUsageWorkflow(): Promise<UsageSyncReport> {
  const report: UsageSyncReport = {
    instances: 0,
    membersUpdated: 0,
    limitsPushed: 0,
    quotasReasserted: 0,
    usersAdopted: 0,
    usersRefused: 0,
    failed: [],
    storageMeasured: 0,
    storageHeld: [],
    storageReleased: [],
  };
  async function syncOne(instanceId: string): Promise<void> {
    report.instances++;
    try {
      const r = await syncInstanceUsage({ instanceId });
      report.membersUpdated += r.membersUpdated;
      report.limitsPushed += r.limitsPushed;
      report.quotasReasserted += r.quotasReasserted;
      report.usersAdopted += r.usersAdopted;
      report.usersRefused += r.usersRefused;
    } catch (e) {
      if (!(e instanceof ActivityFailure)) throw e;
      report.failed.push({ instanceId, error: e.cause?.message ?? e.message });
    }
  }
  const instanceIds = await listInstancesForUsageSync();
  if (patched(BOUNDED_USAGE_SYNC_PATCH)) {
    let next = 0;
    const lane = async () => {
      while (next < instanceIds.length) await syncOne(instanceIds[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(USAGE_SYNC_CONCURRENCY, instanceIds.length) }, lane));
  } else {
    for (const instanceId of instanceIds) await syncOne(instanceId);
  }
  for (const target of await listInstancesForStorageCheck()) {
    try {
      const outcome = await checkInstanceStorage(target);
      report.storageMeasured++;
      if (outcome === 'held') report.storageHeld.push(target.instanceId);
      if (outcome === 'released') report.storageReleased.push(target.instanceId);
    } catch (e) {
      // An activity that gave up, or a subscription workflow that is not running to take the signal.
      const error = e instanceof ActivityFailure ? (e.cause?.message ?? e.message) : (e as Error).message;
      report.failed.push({ instanceId: target.instanceId, error: `storage: ${error}` });
    }
  }
  return report;
}
