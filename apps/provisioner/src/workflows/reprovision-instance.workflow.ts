// Reprovision (SPEC V3, A4): rebuild a failed or misbehaving instance from its spec, keeping its data.
// active | failed → provisioning → active. The containers and network are removed and made again (that also
// clears drift and a broken network), the volumes stay; then the owner, the route and the state, as provisioning
// does. A failure leaves it `failed` with the reason; the data volumes are never removed here.
import { ApplicationFailure } from '@temporalio/workflow';
import type { InstanceOperationInput, ReprovisionInstanceResult } from '../contracts/index.ts';
import { control, hostActivities, runInstanceOperation } from './instance-operation.ts';

export async function reprovisionInstanceWorkflow({
  instanceId,
}: InstanceOperationInput): Promise<ReprovisionInstanceResult> {
  const result = await runInstanceOperation(instanceId, 'reprovision', async (instance) => {
    // Keeps the host it has; one whose provisioning failed (and was released) is placed anew.
    const placement = await control.placeInstance({ instanceId });
    const host = hostActivities(placement.taskQueue);
    await host.removeInstanceStack({ instanceId, keepVolumes: true });
    const { appHostPort } = await host.ensureInstanceStack({
      instanceId,
      subscriptionId: instance.subscriptionId,
      appImage: instance.imageRef,
    });
    await control.ensureOwnerRegistered({ instanceId, appHostPort, owner: instance.owner });
    // A rebuilt app whose data was lost starts with Immich's defaults; one that kept it is only checked.
    await control.configurePhotoApp({ instanceId, appHostPort, reason: 'provision' });
    const { url } = await control.routeInstance({ instanceId, subdomain: instance.subdomain, appHostPort });
    return { instanceId, hostName: placement.hostName, appHostPort, url };
  });
  // Unreachable (reprovision has no "already done" state); an ApplicationFailure, as a plain Error would only
  // fail the workflow task and be retried forever.
  if (!result) throw ApplicationFailure.nonRetryable('reprovision reported nothing to do');
  return result;
}
