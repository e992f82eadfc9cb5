// The nightly backup (SPEC F1): every active instance, one after the other (a host's disk and network are shared),
// each as its own child workflow; a failure is reported and the rest go on.
import { executeChild, log } from '@temporalio/workflow';
import {
  backupWorkflowId,
  type BackupFleetResult,
  type CheckBackupsInput,
  type CheckBackupsResult,
} from '../contracts/backups.ts';
import { backupControl, backupHost } from './backup-activities.ts';
import { backupInstanceWorkflow } from './backup-instance.workflow.ts';
import { describe } from './describe-failure.ts';

export async function backupFleetWorkflow(): Promise<BackupFleetResult> {
  const ids = await backupControl.listInstancesToBackUp();
  const result: BackupFleetResult = { instances: ids.length, succeeded: [], failed: [] };
  for (const instanceId of ids) {
    try {
      await executeChild(backupInstanceWorkflow, {
        workflowId: backupWorkflowId(instanceId),
        args: [{ instanceId, trigger: 'scheduled' }],
      });
      result.succeeded.push(instanceId);
    } catch (err) {
      log.error('nightly backup of an instance failed', { instanceId, error: describe(err) });
      result.failed.push({ instanceId, error: describe(err) });
    }
  }
  return result;
}

/** The periodic integrity check (`restic check`) of every repository; a damaged one is recorded and audited. */
export async function checkBackupsWorkflow(input: CheckBackupsInput = {}): Promise<CheckBackupsResult> {
  const ids = input.instanceId ? [input.instanceId] : await backupControl.listInstancesWithBackups();
  const result: CheckBackupsResult = { checked: 0, corrupted: [], failed: [] };
  for (const instanceId of ids) {
    try {
      const subject = await backupControl.backupSubject({ instanceId });
      const found = await backupHost(subject.taskQueue).checkInstanceBackups({
        instanceId,
        readDataPercent: input.readDataPercent ?? 10,
      });
      await backupControl.recordBackupCheck({ instanceId, ...found });
      result.checked++;
      if (!found.ok) {
        log.error('backup repository check found damage', { instanceId, errors: found.errors });
        result.corrupted.push({ instanceId, errors: found.errors });
      }
    } catch (err) {
      result.failed.push({ instanceId, error: describe(err) });
    }
  }
  return result;
}
