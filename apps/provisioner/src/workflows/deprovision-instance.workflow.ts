// Deprovision (SPEC V3, P8): from active, suspended or failed → deprovisioning → deprovisioned, leaving no
// container, network, volume or route. Every step tolerates "nothing there", so a deprovision that failed half-way
// (the instance is then `failed`) is simply started again. Its inspection stack (SPEC F1) goes with it.
import { patched, sleep } from '@temporalio/workflow';
import { inspectionInstanceId } from '../contracts/backups.ts';
import type { InstanceOperationInput, InstanceOperationResult } from '../contracts/index.ts';
import { control, hostActivities, runInstanceOperation } from './instance-operation.ts';

export async function deprovisionInstanceWorkflow({
  instanceId,
}: InstanceOperationInput): Promise<InstanceOperationResult> {
  const done = await runInstanceOperation(instanceId, 'deprovision', async (instance) => {
    await control.unrouteInstance({ instanceId });
    // An instance whose provisioning failed was already cleaned up and released by the saga's compensations.
    if (instance.taskQueue)
      await hostActivities(instance.taskQueue).removeInstanceStack({ instanceId, keepVolumes: false });
    const stackId = inspectionInstanceId(instanceId);
    if (patched('deprovision-removes-inspection-stacks-where-made')) {
      // An inspection restore still running would finish its stack after the removal: wait until none runs.
      // None can begin now (beginRestore refuses an instance being deprovisioned, under the row's lock).
      for (let wait = 2; (await control.waitingInspectionRestores({ instanceId })).length > 0;) {
        await sleep(`${wait} seconds`);
        wait = Math.min(wait * 2, 60);
      }
      // Wherever its stack was made, also on a host the instance has since left; nothing there is no error.
      let removed = 0;
      for (const queue of await control.inspectionStackQueues({ instanceId })) {
        const host = hostActivities(queue);
        removed += (await host.removeInstanceStack({ instanceId: stackId, keepVolumes: false })).removed;
      }
      await control.markInspectionsRemovedWithInstance({ instanceId, inspectionInstanceId: stackId, removed });
    } else if (instance.taskQueue && patched('deprovision-removes-inspection-stack')) {
      // Histories recorded before the step above replay this older one; those from before both, neither.
      const { removed } = await hostActivities(instance.taskQueue).removeInstanceStack({
        instanceId: stackId,
        keepVolumes: false,
      });
      await control.markInspectionsRemovedWithInstance({ instanceId, inspectionInstanceId: stackId, removed });
    }
    await control.releasePlacement({ instanceId });
    return { appHostPort: null };
  });
  return { instanceId, outcome: done ? 'done' : 'already-done' };
}
