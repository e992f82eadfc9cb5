// Activity proxies of the backup workflows (not a workflow itself; index.ts does not export it).
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { BackupActivities } from '../activities/backup.activities.ts';
import type { BackupHostActivities } from '../activities/backup-host.activities.ts';

const retry: ActivityOptions['retry'] = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 3,
};

export const backupControl = proxyActivities<BackupActivities>({ startToCloseTimeout: '1 minute', retry });

/** A large library takes long to read and to restore; heartbeats say the activity is still alive. */
export function backupHost(taskQueue: string) {
  return proxyActivities<BackupHostActivities>({
    taskQueue,
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: '1 minute',
    retry,
  });
}
