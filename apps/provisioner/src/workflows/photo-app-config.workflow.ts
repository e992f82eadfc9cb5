// Brings one instance's photo-app settings in line with the instance's right after a change the photo app mirrors
// (the deletion delay, SPEC M7: Immich purges soft-deleted users itself after its own delay), instead of at the next
// reconcile. Started by the portal with signalWithStart once the change is committed; a change arriving while a
// pass runs is signalled and causes one more pass, so the last setting always wins.
import { ActivityFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { InstanceActivities } from '../activities/index.ts';
import {
  photoAppConfigChangedSignal,
  type ApplyPhotoAppConfigInput,
  type ApplyPhotoAppConfigResult,
} from '../contracts/index.ts';

const { applyInstanceSettingsToPhotoApp } = proxyActivities<InstanceActivities>({
  startToCloseTimeout: '1 minute',
  // A photo app briefly down is waited for a few minutes; after that reconcile, which re-asserts the same settings
  // on its schedule, is the safety net.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export async function applyPhotoAppConfigWorkflow(input: ApplyPhotoAppConfigInput): Promise<ApplyPhotoAppConfigResult> {
  let dirty = true;
  setHandler(photoAppConfigChangedSignal, () => {
    dirty = true;
  });
  const result: ApplyPhotoAppConfigResult = {
    instanceId: input.instanceId,
    outcome: 'skipped',
    changed: [],
    passes: 0,
  };
  while (dirty) {
    dirty = false;
    result.passes += 1;
    try {
      const pass = await applyInstanceSettingsToPhotoApp(input);
      result.outcome = pass.ran ? 'applied' : 'skipped';
      result.changed = pass.changed;
      delete result.error;
    } catch (e) {
      if (!(e instanceof ActivityFailure)) throw e;
      result.outcome = 'failed';
      result.error = e.cause?.message ?? e.message;
    }
  }
  return result;
}
