// Restore (SPEC F1): a backup into the instance itself (its app stopped and recreated, the library volume replaced,
// the dump put back, the stack started and waited for until healthy, the edge re-pointed) or into the instance's
// inspection stack beside it (never routed; the original is not touched). Audited with the staff member and reason.
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import type { RestoreInstanceInput, RestoreInstanceResult } from '../contracts/backups.ts';
import { backupControl, backupHost } from './backup-activities.ts';
import { describe } from './describe-failure.ts';
import { control } from './instance-operation.ts';

export async function restoreInstanceWorkflow(input: RestoreInstanceInput): Promise<RestoreInstanceResult> {
  const r = await backupControl.beginRestore(input);
  const who = { actorId: input.actorId ?? null, reason: input.reason ?? null };
  try {
    const { appHostPort } = await backupHost(r.taskQueue).restoreInstanceData({
      instanceId: input.instanceId,
      subscriptionId: r.subscriptionId,
      appImage: r.imageRef,
      backupId: input.backupId,
      into: r.into,
    });
    if (input.target === 'in-place') {
      await control.routeInstance({ instanceId: input.instanceId, subdomain: r.subdomain, appHostPort });
      await control.recordAppHostPort({ instanceId: input.instanceId, appHostPort });
    }
    await backupControl.finishRestore({ restoreId: r.restoreId, instanceId: input.instanceId, appHostPort, ...who });
    return {
      restoreId: r.restoreId,
      instanceId: input.instanceId,
      backupId: input.backupId,
      target: input.target,
      stackInstanceId: r.into,
      appHostPort,
    };
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      await backupControl.finishRestore({
        restoreId: r.restoreId,
        instanceId: input.instanceId,
        error: describe(err),
        ...who,
      });
      if (input.target === 'in-place')
        // Reconcile recreates what is missing from the spec; support sees why here.
        await control.recordAppHostPort({
          instanceId: input.instanceId,
          appHostPort: null,
          lastError: `restore of backup ${input.backupId} failed: ${describe(err)}`,
        });
    });
    throw ApplicationFailure.nonRetryable(`restore failed: ${describe(err)}`, 'RestoreFailed');
  }
}
