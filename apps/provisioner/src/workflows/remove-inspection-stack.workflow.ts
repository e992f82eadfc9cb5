// Removing an inspection stack (SPEC F1): the containers, network and volumes an inspection restore left beside the
// instance go from the Docker host they were made on (that host's queue, wherever the instance is now); the
// restore's row says when, the audit log who and why. The instance itself is not touched. Runs under the inspection
// restore's workflow id (one at a time).
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import type { RemoveInspectionStackInput, RemoveInspectionStackResult } from '../contracts/backups.ts';
import { backupControl, backupHost } from './backup-activities.ts';
import { describe } from './describe-failure.ts';

export async function removeInspectionStackWorkflow(
  input: RemoveInspectionStackInput,
): Promise<RemoveInspectionStackResult> {
  const who = { actorId: input.actorId ?? null, reason: input.reason ?? null };
  const ids = { restoreId: input.restoreId, instanceId: input.instanceId };
  let stack: { taskQueue: string; inspectionInstanceId: string };
  try {
    stack = await backupControl.beginInspectionRemoval(ids);
  } catch (err) {
    await CancellationScope.nonCancellable(() =>
      backupControl.finishInspectionRemoval({ ...ids, error: describe(err), ...who }),
    );
    throw ApplicationFailure.nonRetryable(`inspection stack not removed: ${describe(err)}`, 'InspectionRemovalRefused');
  }
  try {
    const { removed } = await backupHost(stack.taskQueue).removeInspectionStack({
      inspectionInstanceId: stack.inspectionInstanceId,
    });
    await backupControl.finishInspectionRemoval({
      ...ids,
      inspectionInstanceId: stack.inspectionInstanceId,
      removed,
      ...who,
    });
    return { ...ids, inspectionInstanceId: stack.inspectionInstanceId, removed };
  } catch (err) {
    await CancellationScope.nonCancellable(() =>
      backupControl.finishInspectionRemoval({ ...ids, error: describe(err), ...who }),
    );
    throw ApplicationFailure.nonRetryable(`inspection stack not removed: ${describe(err)}`, 'InspectionRemovalFailed');
  }
}
