// Fleet upgrades on record (SPEC F3): the row the support API makes when staff start one, and the worker's
// fleetUpgradeWorkflow fills in as it goes (state, waves). At most one is in flight: a partial unique index.
import type { Prisma } from '@photoplane/db';
import type { Db } from '../platform/data/db.ts';

export interface FleetUpgradeRecord {
  id: string;
  appImage: string;
  reason: string;
  actorLabel: string | null;
  state: string;
  stateReason: string | null;
  policy: Prisma.JsonValue;
  waves: Prisma.JsonValue;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export function createFleetUpgradeRepository(db: Db) {
  return {
    /** Null when another rollout is still running or paused (the partial unique index refused the row). */
    async create(data: {
      appImage: string;
      reason: string;
      actorId: string;
      actorLabel: string;
      policy: Prisma.InputJsonObject;
    }): Promise<FleetUpgradeRecord | null> {
      const rows = await db.fleetUpgrade.createManyAndReturn({ data: [data], skipDuplicates: true });
      return rows[0] ?? null;
    },
    inFlight(): Promise<FleetUpgradeRecord | null> {
      return db.fleetUpgrade.findFirst({ where: { state: { in: ['running', 'paused'] } } });
    },
    find(id: string): Promise<FleetUpgradeRecord | null> {
      return db.fleetUpgrade.findUnique({ where: { id } });
    },
    list(limit: number): Promise<FleetUpgradeRecord[]> {
      return db.fleetUpgrade.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
    },
    /** A row whose workflow never started: closed, with the reason, so it does not block the next rollout. */
    async markNotStarted(id: string, reason: string): Promise<void> {
      await db.fleetUpgrade.update({
        where: { id },
        data: { state: 'cancelled', stateReason: reason, finishedAt: new Date() },
      });
    },
  };
}

export type FleetUpgradeRepository = ReturnType<typeof createFleetUpgradeRepository>;
