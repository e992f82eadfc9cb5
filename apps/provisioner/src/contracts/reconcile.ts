// Reconciliation (SPEC V4): what runs is brought back to what the database says.
export type { reconcileInstancesWorkflow } from '../workflows/reconcile-instances.workflow.ts';

export const reconcileInstancesWorkflowName = 'reconcileInstancesWorkflow';

export interface ReconcileInstancesInput {
  /** Only the instances placed on this host; all hosts when absent. */
  hostName?: string;
}

/** `photo-app-config`: the app's settings the control plane relies on (OAuth, password login, …; SPEC I1). */
export type ReconcileSubject = 'db' | 'cache' | 'app' | 'route' | 'photo-app-config';
export type ReconcileProblem =
  | 'missing'
  | 'stopped'
  | 'drifted'
  | 'running-while-suspended'
  | 'route-stale'
  | 'routed-while-suspended'
  | 'config-drifted';
export type ReconcileAction = 'recreated' | 'started' | 'stopped' | 'routed' | 'unrouted' | 'reasserted';

export interface ReconcileRepair {
  instanceId: string;
  subject: ReconcileSubject;
  problem: ReconcileProblem;
  action: ReconcileAction;
  /** For drift: which field differed and how (for the photo app's config: which fields, never their values). */
  detail?: string;
}

export interface ReconcileReport {
  /** Instances looked at: active ones (should run) and suspended ones (should not); skipped ones not counted. */
  checked: number;
  repaired: ReconcileRepair[];
  failed: { instanceId: string; error: string }[];
  /** Left alone on purpose, with why (an in-place restore is running on it). */
  skipped: { instanceId: string; reason: string }[];
}

export function reconcileInstancesWorkflowId(hostName?: string): string {
  return hostName ? `instances-reconcile-${hostName}` : 'instances-reconcile';
}

/** For the Temporal Schedule that runs reconcileInstancesWorkflow periodically (DESIGN: Schedules). */
export function reconcileScheduleId(hostName?: string): string {
  return hostName ? `photoplane-reconcile-${hostName}` : 'photoplane-reconcile';
}
