// Upgrade (SPEC V3): the app container is replaced by one from another image; db, cache and the volumes stay.
// If the new one does not come up healthy (or the image is missing, or routing it fails), the app is rebuilt from
// the previous image so the instance keeps serving, and the workflow fails as UpgradeRolledBack. imageRef is
// written only after success. The instance stays `active` throughout: there is no upgrading state.
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { UPGRADE_ROLLED_BACK, type UpgradeInstanceInput, type UpgradeInstanceResult } from '../contracts/index.ts';
import { describe } from './describe-failure.ts';
import { control, hostActivities } from './instance-operation.ts';

export async function upgradeInstanceWorkflow({
  instanceId,
  appImage,
}: UpgradeInstanceInput): Promise<UpgradeInstanceResult> {
  const instance = await control.beginUpgrade({ instanceId });
  const host = hostActivities(instance.taskQueue);
  const target = { instanceId, subscriptionId: instance.subscriptionId };
  // Each new app container publishes a new host port, so the edge is re-pointed after every replacement.
  const replaceAndRoute = async (image: string | null) => {
    const { appHostPort } = await host.replaceAppContainer({ ...target, appImage: image });
    await control.routeInstance({ instanceId, subdomain: instance.subdomain, appHostPort });
    return appHostPort;
  };
  try {
    const appHostPort = await replaceAndRoute(appImage);
    await control.recordAppImage({ instanceId, appImage, appHostPort });
    return { instanceId, appImage, previousImage: instance.imageRef, appHostPort };
  } catch (err) {
    const reason = `upgrade to ${appImage}: ${describe(err)}`;
    await CancellationScope.nonCancellable(async () => {
      try {
        const appHostPort = await replaceAndRoute(instance.imageRef);
        await control.recordAppHostPort({ instanceId, appHostPort, lastError: `${reason} (rolled back)` });
      } catch (rollbackErr) {
        // Still `active` (there is no transition for this); reconcile rebuilds the app from imageRef, which is
        // the previous image, or support reprovisions.
        await control.recordAppHostPort({
          instanceId,
          appHostPort: null,
          lastError: `${reason}; rollback failed: ${describe(rollbackErr)}`,
        });
        throw ApplicationFailure.nonRetryable(
          `${reason}; rolling back failed too: ${describe(rollbackErr)}`,
          'UpgradeRollbackFailed',
        );
      }
    });
    throw ApplicationFailure.nonRetryable(`${reason}; rolled back to the previous image`, UPGRADE_ROLLED_BACK);
  }
}
