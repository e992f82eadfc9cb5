// One backup of an instance (SPEC F1): its database dump and library volume into its own restic repository, the
// row that records it, then retention (the plan's policy, `forget --prune`). Started nightly by backupFleetWorkflow,
// on demand by support, before upgrades.
import { log } from '@temporalio/workflow';
import type { BackupInstanceInput, BackupInstanceResult } from '../contracts/backups.ts';
import { backupControl, backupHost } from './backup-activities.ts';
import { describe } from './describe-failure.ts';

export async function backupInstanceWorkflow(input: BackupInstanceInput): Promise<BackupInstanceResult> {
  const b = await backupControl.beginBackup(input);
  const host = backupHost(b.taskQueue);
  const who = { actorId: input.actorId ?? null, reason: input.reason ?? null };
  let result;
  try {
    result = await host.backupInstanceData({
      instanceId: input.instanceId,
      subscriptionId: b.subscriptionId,
      appImage: b.imageRef,
      backupId: b.backupId,
      trigger: input.trigger,
    });
  } catch (err) {
    await backupControl.finishBackup({
      backupId: b.backupId,
      instanceId: input.instanceId,
      error: describe(err),
      ...who,
    });
    throw err;
  }
  await backupControl.finishBackup({ backupId: b.backupId, instanceId: input.instanceId, result, ...who });
  let forgotten: string[] = [];
  try {
    const kept = await host.pruneInstanceBackups({ instanceId: input.instanceId, policy: b.retention });
    forgotten = await backupControl.markForgotten({ instanceId: input.instanceId, kept });
  } catch (err) {
    // The backup is made; retention runs again after the next one.
    log.error('backup retention failed', { instanceId: input.instanceId, error: describe(err) });
  }
  return { backupId: b.backupId, instanceId: input.instanceId, ...result, forgotten };
}
