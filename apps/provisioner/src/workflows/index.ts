// The workflow bundle's entry: every workflow the worker runs.
export { probeDockerHostWorkflow } from './probe-docker-host.workflow.ts';
export { provisionInstanceWorkflow } from './provision-instance.workflow.ts';
export { suspendInstanceWorkflow } from './suspend-instance.workflow.ts';
export { resumeInstanceWorkflow } from './resume-instance.workflow.ts';
export { deprovisionInstanceWorkflow } from './deprovision-instance.workflow.ts';
export { upgradeInstanceWorkflow } from './upgrade-instance.workflow.ts';
export { reprovisionInstanceWorkflow } from './reprovision-instance.workflow.ts';
export { reconcileInstancesWorkflow } from './reconcile-instances.workflow.ts';
export { subscriptionWorkflow } from './subscription.workflow.ts';
export { syncMemberWorkflow } from './member-sync.workflow.ts';
export { purgeDueMembersWorkflow } from './member-purge.workflow.ts';
export { syncUsageWorkflow } from './usage-sync.workflow.ts';
export { refreshInstanceQuotasWorkflow } from './instance-quotas.workflow.ts';
export { applyPhotoAppConfigWorkflow } from './photo-app-config.workflow.ts';
export { backupInstanceWorkflow } from './backup-instance.workflow.ts';
export { backupFleetWorkflow, checkBackupsWorkflow } from './backup-fleet.workflow.ts';
export { restoreInstanceWorkflow } from './restore-instance.workflow.ts';
export { fleetUpgradeWorkflow } from './fleet-upgrade.workflow.ts';
