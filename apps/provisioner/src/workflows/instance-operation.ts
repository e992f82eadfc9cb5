// What the lifecycle workflows share: activity proxies and the frame of a state-changing operation on an instance
// (begin → work → finish, or failed with the reason). Not a workflow itself; index.ts does not export it.
import { ApplicationFailure, CancellationScope, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities, BegunOperation, HostActivities } from '../activities/index.ts';
import { INSTANCE_OPERATION_FAILED, type InstanceOperation } from '../contracts/index.ts';
import { describe } from './describe-failure.ts';

const retry: ActivityOptions['retry'] = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 5,
};

export const control = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry });

export function hostActivities(taskQueue: string) {
  return proxyActivities<HostActivities>({
    taskQueue,
    // Starting and stopping wait for containers; heartbeats show the activity is still alive.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry,
  });
}

/**
 * Runs `work` between moving the instance into the operation's working state and into its target state.
 * Returns undefined when the instance was already in the target state (a repeated request is not an error).
 * A failure after the start leaves the instance `failed` with the reason in lastError, and unrouted: a failed
 * instance serves no traffic (instanceServesTraffic), and support decides between reprovision and deprovision.
 * Nothing else is undone: the data volumes are never at risk, and half-stopped containers are harmless.
 */
export async function runInstanceOperation<T extends { appHostPort: number | null }>(
  instanceId: string,
  operation: InstanceOperation,
  work: (instance: BegunOperation) => Promise<T>,
): Promise<T | undefined> {
  const instance = await control.beginInstanceOperation({ instanceId, operation });
  if (instance.alreadyDone) return undefined;
  try {
    const result = await work(instance);
    await control.finishInstanceOperation({ instanceId, operation, appHostPort: result.appHostPort });
    return result;
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      // The state first: it is what support and the portal read, and the ask endpoint refuses a failed instance
      // even while its route is still there.
      await control.failInstanceOperation({ instanceId, operation, error: describe(err) });
      await control.unrouteInstance({ instanceId });
    });
    throw ApplicationFailure.nonRetryable(`${operation} failed: ${describe(err)}`, INSTANCE_OPERATION_FAILED);
  }
}

/** The host queue of a placed instance; an operation that needs Docker cannot run on an unplaced one. */
export function placedOn(instance: BegunOperation): string {
  if (!instance.taskQueue) {
    throw ApplicationFailure.nonRetryable('the instance is not placed on any Docker host', 'NotPlaced');
  }
  return instance.taskQueue;
}
