// Instance lifecycle after provisioning (SPEC V3): suspend, resume, deprovision, upgrade and reprovision.
export type { suspendInstanceWorkflow } from '../workflows/suspend-instance.workflow.ts';
export type { resumeInstanceWorkflow } from '../workflows/resume-instance.workflow.ts';
export type { deprovisionInstanceWorkflow } from '../workflows/deprovision-instance.workflow.ts';
export type { upgradeInstanceWorkflow } from '../workflows/upgrade-instance.workflow.ts';
export type { reprovisionInstanceWorkflow } from '../workflows/reprovision-instance.workflow.ts';

export const instanceLifecycleWorkflowNames = {
  suspendInstance: 'suspendInstanceWorkflow',
  resumeInstance: 'resumeInstanceWorkflow',
  deprovisionInstance: 'deprovisionInstanceWorkflow',
  upgradeInstance: 'upgradeInstanceWorkflow',
  reprovisionInstance: 'reprovisionInstanceWorkflow',
} as const;

/** The operations that move an instance through its states; each is a workflow (the tenant model's rules). */
export { instanceOperations, type InstanceOperation } from '@photoplane/tenant-model';

/**
 * One id for suspend, resume, deprovision and upgrade of an instance: Temporal refuses to start a second workflow
 * with a running one's id, so two operations can never work on the same containers at once. Reprovision re-runs
 * the provisioning steps and uses provisionInstanceWorkflowId, which keeps it apart from a provision in flight.
 */
export function instanceLifecycleWorkflowId(instanceId: string): string {
  return `instance-lifecycle-${instanceId}`;
}

/** The ApplicationFailure type of a lifecycle workflow that failed after starting (the instance is `failed`). */
export const INSTANCE_OPERATION_FAILED = 'InstanceOperationFailed';

export interface InstanceOperationInput {
  instanceId: string;
}

export interface InstanceOperationResult {
  instanceId: string;
  /** `already-done`: the instance was in the target state before the workflow started (a repeated request). */
  outcome: 'done' | 'already-done';
}

export interface ResumeInstanceResult extends InstanceOperationResult {
  /** Null when already active (nothing was restarted). */
  appHostPort: number | null;
}

export interface ReprovisionInstanceResult {
  instanceId: string;
  hostName: string;
  appHostPort: number;
  url: string;
}

export interface UpgradeInstanceInput {
  instanceId: string;
  /** The photo app image to run, e.g. ghcr.io/immich-app/immich-server:v1.135.0; it must be on the host. */
  appImage: string;
}

export interface UpgradeInstanceResult {
  instanceId: string;
  appImage: string;
  /** null: the configured default image. */
  previousImage: string | null;
  appHostPort: number;
}

/** A failed upgrade whose rollback worked: the instance serves from its previous image. */
export const UPGRADE_ROLLED_BACK = 'UpgradeRolledBack';
