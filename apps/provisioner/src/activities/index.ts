import { createBackupActivities, type BackupActivityDeps } from './backup.activities.ts';
import { createExportActivities } from './export.activities.ts';
import { createFleetActivities } from './fleet.activities.ts';
import { createReconcileReportActivities } from './reconcile-report.activities.ts';
import { createDockerHostActivities, type DockerHostActivityDeps } from './docker-host.activities.ts';
import { createInstanceActivities, type InstanceActivityDeps } from './instance.activities.ts';
import { createLifecycleActivities } from './lifecycle.activities.ts';
import { createMemberActivities } from './member.activities.ts';
import { createStorageActivities, type StorageActivityDeps } from './storage.activities.ts';
import { createSubscriptionActivities } from './subscription.activities.ts';

export { createHostActivities, type HostActivities, type HostActivityDeps } from './host.activities.ts';
export type { InstanceActivities } from './instance.activities.ts';
export type { BegunOperation, InstanceToReconcile, LifecycleActivities } from './lifecycle.activities.ts';

export type ActivityDeps = DockerHostActivityDeps &
  InstanceActivityDeps &
  Pick<StorageActivityDeps, 'storageGracePercent'> & {
    backupRetention?: BackupActivityDeps['backupRetention'];
    /** The owner's export (SPEC F1): PHOTOPLANE_EXPORT_DIR, PORTAL_PUBLIC_URL, PHOTOPLANE_EXPORT_LINK_DAYS. */
    exports?: { exportDir: string; portalUrl: string; linkDays: number };
  };

/**
 * The activities of the general task queue (workflows run there too), built from injected dependencies. Docker
 * work on instances runs on each host's own queue: see createHostActivities.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDockerHostActivities(deps),
    ...createInstanceActivities(deps),
    ...createLifecycleActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createMemberActivities(deps),
    ...createStorageActivities(deps),
    ...createBackupActivities(deps),
    ...createFleetActivities(deps),
    ...createReconcileReportActivities(deps),
    ...createExportActivities({
      prisma: deps.prisma,
      mailer: deps.mailer,
      ...(deps.exports ?? {
        exportDir: '/var/lib/photoplane/exports',
        portalUrl: `https://${deps.domain}`,
        linkDays: 3,
      }),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { SubscriptionActivities, SubscriptionActivityDeps } from './subscription.activities.ts';
export { createSubscriptionActivities };
export type { MemberActivities, MemberActivityDeps } from './member.activities.ts';
export { createMemberActivities };
export type { StorageActivities, StorageCheckTarget } from './storage.activities.ts';
export { createBackupActivities, type BackupActivities } from './backup.activities.ts';
export {
  createBackupHostActivities,
  type BackupHostActivities,
  type BackupHostActivityDeps,
} from './backup-host.activities.ts';
export type { FleetActivities, UpgradeTarget } from './fleet.activities.ts';
export { createExportActivities, type ExportActivities, type ExportActivityDeps } from './export.activities.ts';
export {
  createExportHostActivities,
  type ExportHostActivities,
  type ExportHostActivityDeps,
} from './export-host.activities.ts';
