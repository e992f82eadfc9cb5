// Instances as the edge sees them (which subdomain is there, in which state), and whose subscription each is.
import type { Db } from '../platform/data/db.ts';

export function createInstanceRepository(db: Db) {
  return {
    async findStateBySubdomain(subdomain: string) {
      const row = await db.instance.findUnique({ where: { subdomain }, select: { state: true } });
      return row?.state;
    },

    async findSubscriptionId(instanceId: string): Promise<string | null> {
      const row = await db.instance.findUnique({ where: { id: instanceId }, select: { subscriptionId: true } });
      return row?.subscriptionId ?? null;
    },
  };
}

export type InstanceRepository = ReturnType<typeof createInstanceRepository>;
