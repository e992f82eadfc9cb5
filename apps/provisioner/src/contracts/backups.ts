// Backups and restores (SPEC F1): what the portal (and tests) need to start the workflows. Types and constants only.

export const backupWorkflowNames = {
  backupInstance: 'backupInstanceWorkflow',
  backupFleet: 'backupFleetWorkflow',
  checkBackups: 'checkBackupsWorkflow',
  restoreInstance: 'restoreInstanceWorkflow',
  removeInspectionStack: 'removeInspectionStackWorkflow',
} as const;

export type BackupTrigger = 'scheduled' | 'on-demand' | 'pre-upgrade';

/** One backup or restore of an instance at a time; a second request while one runs is refused by Temporal. */
export function backupWorkflowId(instanceId: string): string {
  return `instance-backup-${instanceId}`;
}
export function restoreWorkflowId(instanceId: string): string {
  return `instance-restore-${instanceId}`;
}

/** The Temporal Schedules: every active instance backed up nightly; every repository checked weekly. */
export const BACKUP_SCHEDULE_ID = 'backups-nightly';
export const BACKUP_CHECK_SCHEDULE_ID = 'backups-check';

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly?: number;
}

export interface BackupInstanceInput {
  instanceId: string;
  trigger: BackupTrigger;
  actorId?: string | null;
  reason?: string | null;
}

export interface BackupInstanceResult {
  backupId: string;
  instanceId: string;
  databaseSnapshotId: string;
  librarySnapshotId: string;
  bytesProcessed: number;
  bytesAdded: number;
  /** Backups retention removed from the repository after this one. */
  forgotten: string[];
}

export interface BackupFleetResult {
  instances: number;
  succeeded: string[];
  failed: { instanceId: string; error: string }[];
}

export interface CheckBackupsInput {
  /** Share of the packs read back and verified (0: the structure only; 100: everything). */
  readDataPercent?: number;
  /** Only this instance; every instance that has backups when absent. */
  instanceId?: string;
}

export interface CheckBackupsResult {
  checked: number;
  corrupted: { instanceId: string; errors: string }[];
  failed: { instanceId: string; error: string }[];
}

export type RestoreTarget = 'in-place' | 'inspection';

export interface RestoreInstanceInput {
  instanceId: string;
  backupId: string;
  target: RestoreTarget;
  actorId?: string | null;
  reason?: string | null;
}

export interface RestoreInstanceResult {
  restoreId: string;
  instanceId: string;
  backupId: string;
  target: RestoreTarget;
  /** The stack restored into: the instance's own id, or its inspection stack's. */
  stackInstanceId: string;
  /** Where the restored photo app answers on its Docker host (127.0.0.1). */
  appHostPort: number;
}

/** The inspection stack of an instance: one at a time, beside the instance, never routed. */
export function inspectionInstanceId(instanceId: string): string {
  return `${instanceId}-inspect`;
}

/**
 * Removing an inspection stack runs under the inspection restore's own workflow id: a double click, or a removal
 * while a new inspection restore fills the same stack, is refused by Temporal.
 */
export function inspectionRemovalWorkflowId(instanceId: string): string {
  return restoreWorkflowId(instanceId);
}

export interface RemoveInspectionStackInput {
  instanceId: string;
  /** The inspection restore whose stack goes (a row of `tenants inspections`). */
  restoreId: string;
  actorId?: string | null;
  reason?: string | null;
}

export interface RemoveInspectionStackResult {
  restoreId: string;
  instanceId: string;
  inspectionInstanceId: string;
  /** Containers, networks and volumes removed from the Docker host. */
  removed: number;
}
