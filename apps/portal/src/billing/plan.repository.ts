// The plan table: a copy of the configured catalogue (SPEC P3) that subscriptions reference.
import type { Db } from '../platform/data/db.ts';

export interface PlanRow {
  id: string;
  name: string;
  storageBytes: bigint;
  stripePriceId: string;
  priceCents: number;
  currency: string;
  publicLinks: boolean;
  linkMaxExpiryDays: number | null;
  linkPasswordRequired: boolean;
}

export function createPlanRepository(db: Db) {
  return {
    /** Creates or updates each plan; plans no longer configured stay, since subscriptions may still reference them. */
    async upsert(plan: PlanRow): Promise<void> {
      const { id, ...data } = plan;
      await db.plan.upsert({ where: { id }, create: plan, update: data });
    },
  };
}

export type PlanRepository = ReturnType<typeof createPlanRepository>;
