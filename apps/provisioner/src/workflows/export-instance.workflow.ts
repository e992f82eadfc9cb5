// The owner's export (SPEC F1; seed 001): the library volume and the members list into a tar in the exports folder
// (on the instance's host), then the link mailed to the owner. expireExportsWorkflow, on a Schedule, deletes the
// archives whose links have expired.
import { ApplicationFailure, CancellationScope, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ExportActivities } from '../activities/export.activities.ts';
import type { ExportHostActivities } from '../activities/export-host.activities.ts';
import type { ExpireExportsResult, ExportInstanceInput, ExportInstanceResult } from '../contracts/exports.ts';
import { describe } from './describe-failure.ts';

const retry: ActivityOptions['retry'] = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 3,
};

const control = proxyActivities<ExportActivities>({ startToCloseTimeout: '1 minute', retry });

export async function exportInstanceWorkflow(input: ExportInstanceInput): Promise<ExportInstanceResult> {
  const e = await control.beginExport(input);
  // A large library takes long to read; heartbeats say the activity is still alive.
  const host = proxyActivities<ExportHostActivities>({
    taskQueue: e.taskQueue,
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: '1 minute',
    retry,
  });
  let written;
  try {
    written = await host.writeInstanceExport({
      instanceId: e.instanceId,
      subscriptionId: e.subscriptionId,
      appImage: e.appImage,
      fileName: e.fileName,
      top: e.top,
      members: e.members,
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() =>
      control.finishExport({ exportId: input.exportId, error: describe(err) }),
    );
    throw ApplicationFailure.nonRetryable(`export failed: ${describe(err)}`, 'ExportFailed');
  }
  const { expiresAt } = await control.finishExport({
    exportId: input.exportId,
    result: { fileName: e.fileName, ...written },
  });
  return { exportId: input.exportId, fileName: e.fileName, ...written, expiresAt: expiresAt ?? '' };
}

export async function expireExportsWorkflow(): Promise<ExpireExportsResult> {
  return control.expireExports();
}
