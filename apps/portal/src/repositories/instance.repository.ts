// Instances as the edge sees them: which subdomain is there, in which state.
import type { Db } from './db.ts';

export function createInstanceRepository(db: Db) {
  return {
    async findStateBySubdomain(subdomain: string) {
      const row = await db.instance.findUnique({ where: { subdomain }, select: { state: true } });
      return row?.state;
    },
  };
}

export type InstanceRepository = ReturnType<typeof createInstanceRepository>;
