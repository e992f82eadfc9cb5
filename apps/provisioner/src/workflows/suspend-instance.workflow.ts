// Suspend (SPEC V3, P7): the instance stops answering and its containers stop; containers and volumes are kept,
// so resume is quick and loses nothing. active → suspending → suspended; a failure → failed (lastError says why).
import type { InstanceOperationInput, InstanceOperationResult } from '../contracts/index.ts';
import { control, hostActivities, placedOn, runInstanceOperation } from './instance-operation.ts';

export async function suspendInstanceWorkflow({
  instanceId,
}: InstanceOperationInput): Promise<InstanceOperationResult> {
  const done = await runInstanceOperation(instanceId, 'suspend', async (instance) => {
    // Unrouted first, so visitors get no answer rather than a 502 while the app shuts down.
    await control.unrouteInstance({ instanceId });
    await hostActivities(placedOn(instance)).stopInstanceStack({ instanceId });
    return { appHostPort: null };
  });
  return { instanceId, outcome: done ? 'done' : 'already-done' };
}
