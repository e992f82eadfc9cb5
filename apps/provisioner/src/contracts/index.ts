// The portal ↔ worker contract: for each workflow family its name, id, input, result, signals and queries, and the
// workflow function's type (type-only, so a caller starts it typed: `client.workflow.start<typeof fooWorkflow>`).
// Holds types and constants only: the portal imports it, and nothing here may pull worker code into the portal.
import { probeDockerHostWorkflowName } from './docker-host.ts';
import { instanceLifecycleWorkflowNames } from './instance-lifecycle.ts';
import { syncUsageWorkflowName } from './members.ts';
import { provisionInstanceWorkflowName } from './provision.ts';
import { reconcileInstancesWorkflowName } from './reconcile.ts';

export * from './task-queue.ts';
export * from './docker-host.ts';
export * from './provision.ts';
export * from './instance-lifecycle.ts';
export * from './reconcile.ts';
export * from './subscription.ts';
export * from './members.ts';
export * from './photo-app-config.ts';
export * from './backups.ts';
export * from './exports.ts';
export * from './fleet-upgrade.ts';

/** The instance workflows by name (the member, subscription and photo-app-config families have their own). */
export const workflowNames = {
  probeDockerHost: probeDockerHostWorkflowName,
  provisionInstance: provisionInstanceWorkflowName,
  syncUsage: syncUsageWorkflowName,
  ...instanceLifecycleWorkflowNames,
  reconcileInstances: reconcileInstancesWorkflowName,
} as const;
