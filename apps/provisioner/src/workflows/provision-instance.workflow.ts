// Provisioning an instance as a saga (SPEC V1, V2). Every step is an idempotent activity; before a step runs, the
// compensation that undoes it is registered, and on any failure the compensations run in reverse order, in a
// scope that cancellation cannot interrupt, so a failed instance leaves no container, volume, network or route.
// The current step is visible through the `progress` query and in the instance's row.
import {
  ApplicationFailure,
  CancellationScope,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities, HostActivities } from '../activities/index.ts';
import {
  progressQuery,
  type ProvisionInstanceInput,
  type ProvisionInstanceResult,
  type ProvisionProgress,
  type ProvisionStep,
} from '../contracts/index.ts';
import { describe } from './describe-failure.ts';

const retry: ActivityOptions['retry'] = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 5,
};

const control = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry });
/**
 * The instance row's bookkeeping (state, step, placement) is a few milliseconds of SQL: run as local activities, in
 * this worker, without a round trip through the task queue per step. Their results still land in the history.
 */
const bookkeeping = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });
/** Histories written before the bookkeeping became local replay with the remote activities they recorded. */
export const LOCAL_BOOKKEEPING_PATCH = 'provision-local-bookkeeping';
/**
 * Once the containers are up, the owner's registration, the photo app's configuration and the route are a second
 * or less each (HTTP calls to the app and to Caddy's admin API from this worker): as local activities they run one
 * after the other within a workflow task, instead of a round trip through the task queue and a new workflow task
 * each (about 150 ms apiece on the 2-core machine, issue 18). Retries, timeouts and the compensations are unchanged;
 * a worker that dies midway runs the step again (each is idempotent, as it had to be for retries).
 */
const appSteps = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 minute', retry });
/** Histories written while those three steps were remote activities replay with them. */
export const LOCAL_APP_STEPS_PATCH = 'provision-local-app-steps';

function hostActivities(taskQueue: string) {
  return proxyActivities<HostActivities>({
    taskQueue,
    // Bringing a stack up waits for health checks; heartbeats show it is still alive.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '20 seconds',
    retry,
  });
}

export async function provisionInstanceWorkflow(input: ProvisionInstanceInput): Promise<ProvisionInstanceResult> {
  const { instanceId } = input;
  const progress: ProvisionProgress = { step: 'start', completed: [], failed: false };
  setHandler(progressQuery, () => progress);
  const compensations: (() => Promise<unknown>)[] = [];
  let result: ProvisionInstanceResult;
  const books = patched(LOCAL_BOOKKEEPING_PATCH) ? bookkeeping : control;
  const app = patched(LOCAL_APP_STEPS_PATCH) ? appSteps : control;

  async function step<T>(name: ProvisionStep, run: () => Promise<T>): Promise<T> {
    progress.step = name;
    await books.recordProvisioningStep({ instanceId, step: name });
    const result = await run();
    progress.completed.push(name);
    return result;
  }

  try {
    const { subscriptionId, subdomain } = await step('start', () => books.startProvisioning({ instanceId }));

    compensations.unshift(() => books.releasePlacement({ instanceId }));
    const placement = await step('place', () => books.placeInstance({ instanceId }));
    const host = hostActivities(placement.taskQueue);

    compensations.unshift(() => host.removeInstanceStack({ instanceId, keepVolumes: false }));
    const { appHostPort } = await step('containers', () => host.ensureInstanceStack({ instanceId, subscriptionId }));

    // No compensation of its own: the owner lives in the app's database, which the stack removal takes away.
    await step('owner', () => app.registerOwner({ instanceId, appHostPort, owner: input.owner }));

    // Nor here: the config lives in the same database. Before the route, so the app is never reachable with
    // password login on or without Photoplane as its OpenID provider.
    await step('configure', () => app.configurePhotoApp({ instanceId, appHostPort, reason: 'provision' }));

    compensations.unshift(() => control.unrouteInstance({ instanceId }));
    const { url } = await step('route', () => app.routeInstance({ instanceId, subdomain, appHostPort }));

    await step('activate', () => books.markInstanceActive({ instanceId, appHostPort }));
    result = { instanceId, hostName: placement.hostName, appHostPort, url, ownerNotified: false };
  } catch (err) {
    progress.failed = true;
    const failedStep = progress.step;
    await CancellationScope.nonCancellable(async () => {
      for (const undo of compensations) await undo();
      await books.markInstanceFailed({ instanceId, step: failedStep, error: describe(err) });
    });
    throw ApplicationFailure.nonRetryable(
      `provisioning failed at step "${failedStep}": ${describe(err)}`,
      'ProvisioningFailed',
    );
  }
  // After activation nothing is undone: a mail that cannot be sent does not take a working instance away.
  // Not a provisioning step in the instance's row (it is active already), only in the progress query.
  progress.step = 'notify';
  try {
    await control.notifyOwner({ instanceId, owner: input.owner, url: result.url });
    progress.completed.push('notify');
    result.ownerNotified = true;
  } catch {
    // The activity's retries are spent; the owner can still sign in with a password reset from support.
  }
  return result;
}
