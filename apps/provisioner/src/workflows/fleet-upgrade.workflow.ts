// A fleet upgrade in waves (SPEC F3). The targets are the active instances not on the image yet, oldest first; the
// tenant model splits them into a canary wave and growing waves. Each instance is first backed up (its own backup
// workflow, trigger pre-upgrade), then upgraded by its own upgrade workflow under its lifecycle id (so it never
// races another operation on that instance), which rolls it back to its previous image when the new one does not
// come up. After each wave the rollout halts if more of the wave failed than the policy allows: the instances of
// later waves are left untouched. Staff can pause (the wave in flight finishes, the next waits), resume and cancel
// (the wave in flight finishes; no other starts). Progress is a query, and is written to the fleet_upgrade row
// after every change.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { planWaves, waveHaltsRollout } from '@photoplane/tenant-model';
import type { Activities } from '../activities/index.ts';
import {
  failedInWave,
  FLEET_UPGRADE_PAUSE_SIGNAL,
  FLEET_UPGRADE_PROGRESS_QUERY,
  FLEET_UPGRADE_RESUME_SIGNAL,
  type FleetUpgradeInput,
  type FleetUpgradeInstance,
  type FleetUpgradeProgress,
} from '../contracts/fleet-upgrade.ts';
import { backupWorkflowId } from '../contracts/backups.ts';
import { instanceLifecycleWorkflowId, UPGRADE_ROLLED_BACK } from '../contracts/index.ts';
import { backupInstanceWorkflow } from './backup-instance.workflow.ts';
import { describe } from './describe-failure.ts';
import { upgradeInstanceWorkflow } from './upgrade-instance.workflow.ts';

const control = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export const fleetUpgradePauseSignal = defineSignal(FLEET_UPGRADE_PAUSE_SIGNAL);
export const fleetUpgradeResumeSignal = defineSignal(FLEET_UPGRADE_RESUME_SIGNAL);
export const fleetUpgradeProgressQuery = defineQuery<FleetUpgradeProgress>(FLEET_UPGRADE_PROGRESS_QUERY);

/** The innermost failure's type: an upgrade's ChildWorkflowFailure wraps the ApplicationFailure it threw. */
function failureType(err: unknown): string | undefined {
  let cur: unknown = err;
  while (cur instanceof Error && cur.cause instanceof Error) cur = cur.cause;
  return cur instanceof ApplicationFailure ? (cur.type ?? undefined) : cur instanceof Error ? cur.name : undefined;
}

export async function fleetUpgradeWorkflow(input: FleetUpgradeInput): Promise<FleetUpgradeProgress> {
  const { upgradeId, appImage, policy } = input;
  const progress: FleetUpgradeProgress = { state: 'running', waves: [] };
  let pauseRequested = false;
  setHandler(fleetUpgradeProgressQuery, () => progress);
  setHandler(fleetUpgradePauseSignal, () => void (pauseRequested = true));
  setHandler(fleetUpgradeResumeSignal, () => void (pauseRequested = false));
  const record = () => control.recordFleetUpgrade({ upgradeId, progress });
  let failure: Error | undefined;

  async function upgradeOne(target: FleetUpgradeInstance): Promise<void> {
    // A fresh backup first (SPEC F3): an upgrade whose migrations go wrong must have something to restore. No
    // backup, no upgrade: the instance counts as failed in its wave.
    target.status = 'backing-up';
    try {
      const backup = await executeChild(backupInstanceWorkflow, {
        workflowId: backupWorkflowId(target.instanceId),
        args: [{ instanceId: target.instanceId, trigger: 'pre-upgrade', reason: `before the upgrade to ${appImage}` }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      target.backupId = backup.backupId;
    } catch (err) {
      // A backup already running (the nightly one) is another operation on the instance: skipped, as below.
      const busy = failureType(err) === 'WorkflowExecutionAlreadyStartedError';
      target.status = busy ? 'skipped' : 'failed';
      target.detail = busy
        ? 'a backup of this instance was already running'
        : `the backup before the upgrade failed: ${describe(err)}`;
      return;
    }
    target.status = 'upgrading';
    try {
      await executeChild(upgradeInstanceWorkflow, {
        workflowId: instanceLifecycleWorkflowId(target.instanceId),
        args: [{ instanceId: target.instanceId, appImage }],
        // Should the rollout's own run end abruptly (terminated), the upgrades in flight still finish: each keeps
        // the new image or rolls back by itself, never stopping halfway.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      target.status = 'upgraded';
    } catch (err) {
      const type = failureType(err);
      target.detail = describe(err);
      target.status =
        type === UPGRADE_ROLLED_BACK
          ? 'rolled-back'
          : type === 'WorkflowExecutionAlreadyStartedError'
            ? 'skipped'
            : 'failed';
      if (target.status === 'skipped') target.detail = 'another operation was running on this instance';
    }
  }

  try {
    const targets = await control.listUpgradeTargets({ appImage });
    progress.waves = planWaves(targets, policy).map((instances, index) => ({
      index,
      instances: instances.map((t): FleetUpgradeInstance => ({ ...t, status: 'pending' })),
    }));
    await record();
    for (const wave of progress.waves) {
      if (pauseRequested) {
        progress.state = 'paused';
        await record();
        await condition(() => !pauseRequested);
        progress.state = 'running';
        await record();
      }
      // A wave, once started, finishes even if the rollout is cancelled meanwhile: the cancellation takes effect
      // before the next wave.
      await CancellationScope.nonCancellable(() => Promise.all(wave.instances.map(upgradeOne)));
      const failed = failedInWave(wave.instances);
      if (waveHaltsRollout({ size: wave.instances.length, failed }, policy)) {
        progress.state = 'halted';
        progress.reason =
          `wave ${wave.index + 1}: ${failed} of ${wave.instances.length} failed ` +
          `(more than ${Math.round(policy.maxFailureRate * 100)}% allowed)`;
        break;
      }
      await record();
    }
    if (progress.state === 'running') progress.state = 'completed';
  } catch (err) {
    // Either way the record must end: a row left `running` would block every later rollout.
    if (isCancellation(err)) {
      progress.state = 'cancelled';
      progress.reason = 'cancelled by staff';
    } else {
      progress.state = 'halted';
      progress.reason = `the rollout failed: ${describe(err)}`;
      failure = err instanceof Error ? err : new Error(String(err));
    }
  } finally {
    for (const i of progress.waves.flatMap((w) => w.instances)) {
      if (i.status === 'pending') i.status = 'untouched';
    }
    await CancellationScope.nonCancellable(record);
  }
  if (failure !== undefined) throw failure;
  return progress;
}
