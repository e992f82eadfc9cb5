// A workflow bundle for the support tests: in place of the provisioner's lifecycle workflows (tested with Docker in
// apps/provisioner/test/lifecycle-instance.test.ts) stubs with the same names that report each call through the
// `recordStaffOperation` activity, and a member sync that only records. What is under test is which workflow support
// starts, under which id, with which input. Suspend and resume reach them through the real subscription workflow,
// which owns the instance's lifecycle (a staff hold is a signal to it).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';

export { subscriptionWorkflow } from '../../../provisioner/src/workflows/subscription.workflow.ts';
// The real fleet rollout; the instance upgrades it starts (by name) are the recording stub below.
export { fleetUpgradeWorkflow } from '../../../provisioner/src/workflows/fleet-upgrade.workflow.ts';

export interface StaffOperationCall {
  workflow: string;
  workflowId: string;
  input: unknown;
}

export interface StaffRecorderActivities {
  recordStaffOperation(call: StaffOperationCall): Promise<void>;
}

const recorder = proxyActivities<StaffRecorderActivities>({ startToCloseTimeout: '10 seconds' });

async function record(input: { instanceId: string }) {
  const info = workflowInfo();
  await recorder.recordStaffOperation({ workflow: info.workflowType, workflowId: info.workflowId, input });
  return { instanceId: input.instanceId, outcome: 'done' };
}

export const suspendInstanceWorkflow = record;
export const resumeInstanceWorkflow = record;
export const deprovisionInstanceWorkflow = record;
export const reprovisionInstanceWorkflow = record;
export const upgradeInstanceWorkflow = record;
/** Backups on demand, and the fleet rollout's before each upgrade: recorded, with a backup id as the real one has. */
export async function backupInstanceWorkflow(input: { instanceId: string }) {
  await record(input);
  return { backupId: workflowInfo().runId.replace(/-/g, '').slice(0, 12), instanceId: input.instanceId };
}
export const syncMemberWorkflow = record;

// Backups (SPEC F1): the provisioner's backup and restore workflows are tested with Docker and restic in
// apps/provisioner/test/backup-restore.test.ts; here only which one support starts, under which id, with what input.
export const restoreInstanceWorkflow = record;
export const removeInspectionStackWorkflow = record;
