// Shared links taken down at the edge (issue 14): the blocks support places and lifts, and the one question the edge
// asks on every link visit (is any credential of this request blocked at this host?), answered by one indexed
// statement. Credentials arrive here already hashed; nothing in this table can open a link.
import type { AuditAction } from '@photoplane/db';
import type { Db } from '../platform/data/db.ts';

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

/** What the edge's question needs of an instance (`accessAt`). */
export interface LinkAccess {
  instanceId: string;
  appHostPort: number | null;
  publicLinks: boolean;
  linkMaxExpiryDays: number | null;
  linkPasswordRequired: boolean;
  blockId: string | null;
}

export interface LinkRefusalRecord {
  kind: string;
  hint: string;
  rule: string;
  firstAt: Date;
  lastAt: Date;
}

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
     * The edge's question, one statement: for the instance answering at `subdomain`, its plan's link policy, where
     * its photo app listens, and the block holding for any of `credentialHashes`, if one does. Undefined for a host
     * that is no instance.
     */
    async accessAt(subdomain: string, credentialHashes: string[]): Promise<LinkAccess | undefined> {
      const rows = await db.$queryRaw<LinkAccess[]>`
        SELECT i.id::text AS "instanceId", i."appHostPort" AS "appHostPort", p."publicLinks" AS "publicLinks",
          p."linkMaxExpiryDays" AS "linkMaxExpiryDays", p."linkPasswordRequired" AS "linkPasswordRequired",
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

    /**
     * Notes that the edge refused a link for breaking `rule` of its plan's policy, in one statement: a new row and an
     * audit row at the first refusal (then `first` is true, with whom to tell), `lastAt` moved at later ones.
     */
    async noteRefusal(refusal: {
      instanceId: string;
      kind: 'key' | 'slug';
      credentialHash: string;
      hint: string;
      rule: 'password' | 'expiry';
    }): Promise<{ first: boolean; subdomain: string; ownerEmail: string }> {
      const { instanceId, kind, credentialHash, hint, rule } = refusal;
      const action: AuditAction = 'link.policy_refused';
      const rows = await db.$queryRaw<{ first: boolean; subdomain: string; ownerEmail: string }[]>`
        WITH noted AS (
          INSERT INTO shared_link_refusal (id, "instanceId", kind, "credentialHash", hint, rule)
          VALUES (gen_random_uuid(), ${instanceId}::uuid, ${kind}, ${credentialHash}, ${hint}, ${rule})
          ON CONFLICT ("instanceId", "credentialHash", rule) DO UPDATE SET "lastAt" = CURRENT_TIMESTAMP
          RETURNING id, (xmax = 0) AS first
        ), audited AS (
          INSERT INTO audit_event (id, "actorType", "actorLabel", action, "targetType", "targetId", "instanceId", details)
          SELECT gen_random_uuid(), 'system', 'edge link policy', ${action}, 'shared_link_refusal', noted.id::text,
            ${instanceId}::uuid, jsonb_build_object('kind', ${kind}::text, 'hint', ${hint}::text, 'rule', ${rule}::text)
          FROM noted WHERE noted.first
        )
        SELECT noted.first, i.subdomain, a.email AS "ownerEmail"
        FROM noted, instance i
          JOIN subscription s ON s.id = i."subscriptionId"
          JOIN account a ON a.id = s."accountId"
        WHERE i.id = ${instanceId}::uuid`;
      return rows[0]!;
    },

    /** The links of an instance the edge refused for its plan's policy, the latest refusal first. */
    refusals(instanceId: string, limit: number): Promise<LinkRefusalRecord[]> {
      return db.sharedLinkRefusal.findMany({
        where: { instanceId },
        orderBy: { lastAt: 'desc' },
        take: limit,
        select: { kind: true, hint: true, rule: true, firstAt: true, lastAt: true },
      });
    },
  };
}

export type LinkBlockRepository = ReturnType<typeof createLinkBlockRepository>;
