// Deprovision (SPEC V3, P8): from active, suspended or failed → deprovisioning → deprovisioned, leaving no
// container, network, volume or route. Every step tolerates "nothing there", so a deprovision that failed half-way
// (the instance is then `failed`) is simply started again. Its inspection stack (SPEC F1) goes with it.
import { patched } from '@temporalio/workflow';
import { inspectionInstanceId } from '../contracts/backups.ts';
import type { InstanceOperationInput, InstanceOperationResult } from '../contracts/index.ts';
import { control, hostActivities, runInstanceOperation } from './instance-operation.ts';

export async function deprovisionInstanceWorkflow({
  instanceId,
}: InstanceOperationInput): Promise<InstanceOperationResult> {
  const done = await runInstanceOperation(instanceId, 'deprovision', async (instance) => {
    await control.unrouteInstance({ instanceId });
    // An instance whose provisioning failed was already cleaned up and released by the saga's compensations.
    if (instance.taskQueue) {
      await hostActivities(instance.taskQueue).removeInstanceStack({ instanceId, keepVolumes: false });
      // Deprovisions begun before this step existed replay without it.
      if (patched('deprovision-removes-inspection-stack')) {
        // An inspection restore's stack beside the instance: nothing there (none made, or removed) is no error.
        const stackId = inspectionInstanceId(instanceId);
        const { removed } = await hostActivities(instance.taskQueue).removeInstanceStack({
          instanceId: stackId,
          keepVolumes: false,
        });
        await control.markInspectionsRemovedWithInstance({ instanceId, inspectionInstanceId: stackId, removed });
      }
    }
    await control.releasePlacement({ instanceId });
    return { appHostPort: null };
  });
  return { instanceId, outcome: done ? 'done' : 'already-done' };
}
