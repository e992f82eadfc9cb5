// Shared links taken down at the edge (issue 14): the blocks support places and lifts, and the one question the edge
// asks on every link visit (is any credential of this request blocked at this host?), answered by one indexed
// statement. Credentials arrive here already hashed; nothing in this table can open a link.
import type { Db } from './db.ts';

export interface LinkBlockRecord {
  id: string;
  instanceId: string;
  kind: string;
  hint: string;
  reason: string;
  blockedByLabel: string | null;
  createdAt: Date;
  liftedAt: Date | null;
  liftedByLabel: string | null;
  liftReason: string | null;
  instance: { subdomain: string };
}

const select = {
  id: true,
  instanceId: true,
  kind: true,
  hint: true,
  reason: true,
  blockedByLabel: true,
  createdAt: true,
  liftedAt: true,
  liftedByLabel: true,
  liftReason: true,
  instance: { select: { subdomain: true } },
} as const;

export function createLinkBlockRepository(db: Db) {
  return {
    /** Null when a block already holds for this credential at this instance (the partial unique index). */
    async create(data: {
      instanceId: string;
      kind: 'key' | 'slug';
      credentialHash: string;
      hint: string;
      reason: string;
      blockedById: string;
      blockedByLabel: string;
    }): Promise<LinkBlockRecord | null> {
      const rows = await db.sharedLinkBlock.createManyAndReturn({ data: [data], skipDuplicates: true, select });
      return rows[0] ?? null;
    },

    findHolding(instanceId: string, credentialHash: string): Promise<LinkBlockRecord | null> {
      return db.sharedLinkBlock.findFirst({ where: { instanceId, credentialHash, liftedAt: null }, select });
    },

    find(id: string): Promise<LinkBlockRecord | null> {
      return db.sharedLinkBlock.findUnique({ where: { id }, select });
    },

    /** Lifts a block that still holds; null when it was lifted already (or never was). */
    async lift(
      id: string,
      by: { liftedById: string; liftedByLabel: string; liftReason: string; liftedAt: Date },
    ): Promise<LinkBlockRecord | null> {
      const { count } = await db.sharedLinkBlock.updateMany({ where: { id, liftedAt: null }, data: by });
      return count === 1 ? db.sharedLinkBlock.findUnique({ where: { id }, select }) : null;
    },

    /** Newest first; `holdingOnly` leaves lifted blocks out. */
    list(filter: { instanceId?: string; holdingOnly?: boolean; limit: number }): Promise<LinkBlockRecord[]> {
      return db.sharedLinkBlock.findMany({
        where: {
          ...(filter.instanceId ? { instanceId: filter.instanceId } : {}),
          ...(filter.holdingOnly ? { liftedAt: null } : {}),
        },
        orderBy: { createdAt: 'desc' },
        take: filter.limit,
        select,
      });
    },

    /**
     * The edge's question, one statement: for the instance answering at `subdomain`, whether its plan allows public
     * links and the block holding for any of `credentialHashes`, if one does. Undefined for a host that is no
     * instance.
     */
    async accessAt(
      subdomain: string,
      credentialHashes: string[],
    ): Promise<{ publicLinks: boolean; blockId: string | null } | undefined> {
      const rows = await db.$queryRaw<{ publicLinks: boolean; blockId: string | null }[]>`
        SELECT p."publicLinks" AS "publicLinks",
          (SELECT b.id::text FROM shared_link_block b
            WHERE b."instanceId" = i.id AND b."credentialHash" = ANY(${credentialHashes}::text[])
              AND b."liftedAt" IS NULL
            LIMIT 1) AS "blockId"
        FROM instance i
          JOIN subscription s ON s.id = i."subscriptionId"
          JOIN plan p ON p.id = s."planId"
        WHERE i.subdomain = ${subdomain}`;
      return rows[0];
    },
  };
}

export type LinkBlockRepository = ReturnType<typeof createLinkBlockRepository>;
