// Deprovision (SPEC V3, P8): from active, suspended or failed → deprovisioning → deprovisioned, leaving no
// container, network, volume or route. Every step tolerates "nothing there", so a deprovision that failed half-way
// (the instance is then `failed`) is simply started again.
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
    }
    await control.releasePlacement({ instanceId });
    return { appHostPort: null };
  });
  return { instanceId, outcome: done ? 'done' : 'already-done' };
}
