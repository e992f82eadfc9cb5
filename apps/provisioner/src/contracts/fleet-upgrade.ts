// Fleet upgrades in waves (SPEC F3): what the portal needs to start, steer and watch one. Types and constants only.
import type { RolloutPolicy } from '@photoplane/tenant-model';

export const FLEET_UPGRADE_WORKFLOW = 'fleetUpgradeWorkflow';
/** One rollout at a time: Temporal refuses a second start while this id runs. */
export const FLEET_UPGRADE_WORKFLOW_ID = 'fleet-upgrade';
export const FLEET_UPGRADE_PAUSE_SIGNAL = 'fleetUpgradePause';
export const FLEET_UPGRADE_RESUME_SIGNAL = 'fleetUpgradeResume';
export const FLEET_UPGRADE_PROGRESS_QUERY = 'fleetUpgradeProgress';

export interface FleetUpgradeInput {
  /** The fleet_upgrade row the portal made; progress is written there. */
  upgradeId: string;
  /** The photo-app image to run, e.g. ghcr.io/immich-app/immich-server:v3.3.0; it must be on every host. */
  appImage: string;
  policy: RolloutPolicy;
}

/** Where one instance of the rollout stands. */
export type FleetUpgradeInstanceStatus =
  | 'pending'
  | 'backing-up'
  | 'upgrading'
  | 'upgraded'
  /** The new image did not come up; the instance serves from its previous image again. */
  | 'rolled-back'
  /** The upgrade and its rollback failed, or the backup before it did: support must look. */
  | 'failed'
  /** Another operation was running on the instance; it was left as it was. */
  | 'skipped'
  /** The rollout halted (or was cancelled) before this instance's wave. */
  | 'untouched';

export interface FleetUpgradeInstance {
  instanceId: string;
  subdomain: string;
  status: FleetUpgradeInstanceStatus;
  /** Why it failed, rolled back or was skipped. */
  detail?: string;
  /** The backup taken just before its upgrade (`tenants restore SUB --snapshot ID` brings it back). */
  backupId?: string;
}

export type FleetUpgradeState = 'running' | 'paused' | 'halted' | 'completed' | 'cancelled';

export interface FleetUpgradeProgress {
  state: FleetUpgradeState;
  /** Why it halted or was cancelled. */
  reason?: string;
  waves: { index: number; instances: FleetUpgradeInstance[] }[];
}

/** A wave counts an instance as failed when its upgrade did not stick (rolled back, or failed outright). */
export function failedInWave(instances: readonly FleetUpgradeInstance[]): number {
  return instances.filter((i) => i.status === 'rolled-back' || i.status === 'failed').length;
}

/** How many of the rollout's instances stand in each status (the audit rows and the support API show it). */
export function countByStatus(waves: readonly { instances: readonly { status: string }[] }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of waves.flatMap((w) => w.instances)) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return counts;
}
