// Control-queue activities of a fleet upgrade (SPEC F3): which instances it covers, and its progress on record in
// the fleet_upgrade row (read by the support API and /metrics), with an audit row whenever its state changes.
import { recordAudit, type Prisma, type PrismaClient } from '@photoplane/db';
import { countByStatus, type FleetUpgradeProgress } from '../contracts/fleet-upgrade.ts';
import { withPermanentErrors } from './errors.ts';

export interface FleetActivityDeps {
  prisma: PrismaClient;
}

export interface UpgradeTarget {
  instanceId: string;
  subdomain: string;
}

export function createFleetActivities({ prisma }: FleetActivityDeps) {
  return withPermanentErrors({
    /**
     * The active instances not already on the image, oldest first: the instances that have run longest on the
     * current image make the canary (they are the best known). Suspended, failed or busy instances are not
     * touched: they get the image when they are resumed or reprovisioned by the usual path.
     */
    async listUpgradeTargets(input: { appImage: string }): Promise<UpgradeTarget[]> {
      const rows = await prisma.instance.findMany({
        where: { state: 'active', OR: [{ imageRef: null }, { imageRef: { not: input.appImage } }] },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select: { id: true, subdomain: true },
      });
      return rows.map((r) => ({ instanceId: r.id, subdomain: r.subdomain }));
    },

    /** Writes where the rollout stands; a change of state (paused, halted, completed …) is also audited. */
    async recordFleetUpgrade(input: { upgradeId: string; progress: FleetUpgradeProgress }): Promise<void> {
      const { upgradeId, progress } = input;
      const finished = ['halted', 'completed', 'cancelled'].includes(progress.state);
      await prisma.$transaction(async (tx) => {
        const before = await tx.fleetUpgrade.findUniqueOrThrow({ where: { id: upgradeId } });
        await tx.fleetUpgrade.update({
          where: { id: upgradeId },
          data: {
            state: progress.state,
            stateReason: progress.reason ?? null,
            waves: progress.waves as unknown as Prisma.InputJsonValue,
            finishedAt: finished ? (before.finishedAt ?? new Date()) : null,
          },
        });
        if (before.state === progress.state) return;
        await recordAudit(tx, {
          actorType: 'system',
          actorLabel: 'fleet-upgrade',
          action: `fleet.upgrade.${progress.state}`,
          targetType: 'fleet_upgrade',
          targetId: upgradeId,
          reason: progress.reason ?? null,
          details: { appImage: before.appImage, from: before.state, instances: countByStatus(progress.waves) },
        });
      });
    },
  });
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
