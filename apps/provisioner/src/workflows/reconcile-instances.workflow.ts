// Reconcile (SPEC V4): compare every placed instance with what its host's Docker Engine runs, repair the drift,
// and report it. Active instances should run from their spec: missing, stopped or drifted containers are
// recreated or started (on the host's queue), and the edge route must point at the app's current port.
// The photo app's settings the control plane relies on (OAuth, password login off, storage template, deletion delay,
// external domain) are re-asserted and each correction audited. Suspended instances should not run and not be routed.
// An instance an in-place restore is running on is skipped (and reported so). One instance failing to reconcile does
// not stop the rest; it is reported. Meant to run from a Temporal Schedule (reconcileScheduleId).
import { ApplicationFailure, log } from '@temporalio/workflow';
import type { InstanceToReconcile } from '../activities/index.ts';
import type { ReconcileInstancesInput, ReconcileRepair, ReconcileReport } from '../contracts/index.ts';
import { describe } from './describe-failure.ts';
import { control, hostActivities } from './instance-operation.ts';

async function reconcileOne(instance: InstanceToReconcile): Promise<ReconcileRepair[]> {
  const { instanceId } = instance;
  const shouldRun = instance.state === 'active';
  const { findings, appHostPort } = await hostActivities(instance.taskQueue).reconcileInstanceStack({
    instanceId,
    subscriptionId: instance.subscriptionId,
    appImage: instance.imageRef,
    shouldRun,
  });
  const repaired: ReconcileRepair[] = findings.map(({ role, ...f }) => ({ instanceId, subject: role, ...f }));
  if (!shouldRun) {
    const { outcome } = await control.unrouteInstance({ instanceId });
    if (outcome === 'removed')
      repaired.push({ instanceId, subject: 'route', problem: 'routed-while-suspended', action: 'unrouted' });
    return repaired;
  }
  if (appHostPort === null) throw ApplicationFailure.nonRetryable('the app publishes no port after reconciling');
  // routeInstance is idempotent: 'unchanged' is the healthy case, anything else was a missing or stale route.
  const { outcome } = await control.routeInstance({ instanceId, subdomain: instance.subdomain, appHostPort });
  if (outcome !== 'unchanged')
    repaired.push({ instanceId, subject: 'route', problem: 'route-stale', action: 'routed' });
  if (appHostPort !== instance.appHostPort) await control.recordAppHostPort({ instanceId, appHostPort });
  // The owner is the app's admin and can change its settings; what the control plane relies on is put back, and
  // the activity records an audit row for each correction.
  const { changed } = await control.configurePhotoApp({ instanceId, appHostPort, reason: 'reconcile' });
  if (changed.length > 0)
    repaired.push({
      instanceId,
      subject: 'photo-app-config',
      problem: 'config-drifted',
      action: 'reasserted',
      detail: changed.join(', '),
    });
  return repaired;
}

export async function reconcileInstancesWorkflow(input: ReconcileInstancesInput = {}): Promise<ReconcileReport> {
  const instances = await control.listInstancesToReconcile({ ...(input.hostName ? { hostName: input.hostName } : {}) });
  const report: ReconcileReport = { checked: 0, repaired: [], failed: [], skipped: [] };
  // One at a time: a fleet-wide repair after an Engine restart should not start every stack on a host at once.
  for (const instance of instances) {
    // An in-place restore removes and recreates the app and swaps its volume; "repairing" that midway would race it.
    if (instance.restoringSince) {
      report.skipped.push({
        instanceId: instance.instanceId,
        reason: `restore in place running since ${instance.restoringSince}`,
      });
      continue;
    }
    report.checked += 1;
    try {
      report.repaired.push(...(await reconcileOne(instance)));
    } catch (err) {
      report.failed.push({ instanceId: instance.instanceId, error: describe(err) });
    }
  }
  // The drift found, for /metrics (SPEC F2). A failure to record it must not fail the repairs already made.
  try {
    await control.recordReconcileRun({ ...(input.hostName ? { hostName: input.hostName } : {}), report });
  } catch (err) {
    log.warn('could not record the reconcile run', { error: describe(err) });
  }
  return report;
}
