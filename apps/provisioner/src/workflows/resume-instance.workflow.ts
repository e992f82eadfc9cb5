// Resume (SPEC V3, P7): suspended → resuming → active. The stack is brought up with the same idempotent step as
// provisioning (db and cache healthy, then the app healthy; anything missing is recreated over the kept volumes),
// then routed again. The Engine picks a new host port at every start, so the route and appHostPort follow it.
import type { InstanceOperationInput, ResumeInstanceResult } from '../contracts/index.ts';
import { control, hostActivities, placedOn, runInstanceOperation } from './instance-operation.ts';

export async function resumeInstanceWorkflow({ instanceId }: InstanceOperationInput): Promise<ResumeInstanceResult> {
  const done = await runInstanceOperation(instanceId, 'resume', async (instance) => {
    const { appHostPort } = await hostActivities(placedOn(instance)).ensureInstanceStack({
      instanceId,
      subscriptionId: instance.subscriptionId,
      appImage: instance.imageRef,
    });
    await control.routeInstance({ instanceId, subdomain: instance.subdomain, appHostPort });
    return { appHostPort };
  });
  return done
    ? { instanceId, outcome: 'done', appHostPort: done.appHostPort }
    : { instanceId, outcome: 'already-done', appHostPort: null };
}
