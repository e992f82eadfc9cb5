// The tenant model's AccessPort over PostgreSQL, in the shape of Immich's access repository: each method is one
// set-based query that answers "which of these ids may this party touch", so a bulk request costs one round trip
// however many ids it names.
//
// Every query starts from the ids the caller asked about (unnested as text, so the answer holds exactly the strings
// that were asked) and joins towards the actor. Tenancy needs no extra filter: a member id belongs to one instance,
// and the composite foreign keys keep albums, shares and links inside it, so a path from another instance's row to
// this actor cannot exist in the data.
import type {
  AccessPort,
  AccountId,
  AlbumId,
  AlbumRole,
  ApiKeyId,
  AssetId,
  InstanceId,
  MemberId,
  SessionId,
  SharedLinkId,
} from '@photoplane/tenant-model';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

/** A client or an interactive transaction: access checks can run inside the use case's transaction. */
export type AccessDb = Pick<PrismaClient, '$queryRaw'>;

// Every id in these tables is a UUID. Anything else cannot name a row, and must not reach a ::uuid cast, where it
// would turn "not yours" into a database error.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function uuidsOf(ids: Iterable<string>): string[] {
  return [...ids].filter((id) => UUID.test(id));
}

/**
 * Runs `query` over the requested ids that can exist at all and returns the granted ones. `query` gets a
 * `requested(id)` relation to join: one row per candidate id, as text, exactly as the caller spelled it.
 */
async function grant<T extends string>(
  db: AccessDb,
  actorId: string,
  ids: ReadonlySet<T>,
  query: (requested: Prisma.Sql) => Prisma.Sql,
): Promise<Set<T>> {
  const candidates = uuidsOf(ids);
  if (candidates.length === 0 || !UUID.test(actorId)) return new Set();
  const requested = Prisma.sql`unnest(${candidates}::text[]) AS requested(id)`;
  const rows = await db.$queryRaw<{ id: T }[]>(query(requested));
  return new Set(rows.map((row) => row.id));
}

export function createAccessRepository(db: AccessDb): AccessPort {
  return {
    member: {
      checkInstanceAccess: (instanceId: InstanceId, memberIds: ReadonlySet<MemberId>) =>
        grant(
          db,
          instanceId,
          memberIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "member" m ON m."id" = requested.id::uuid
            WHERE m."instanceId" = ${instanceId}::uuid AND m."status" <> 'deleted'`,
        ),
    },

    album: {
      checkOwnerAccess: (memberId: MemberId, albumIds: ReadonlySet<AlbumId>) =>
        grant(
          db,
          memberId,
          albumIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "album" a ON a."id" = requested.id::uuid
            WHERE a."ownerId" = ${memberId}::uuid`,
        ),

      checkSharedAlbumAccess: (memberId: MemberId, albumIds: ReadonlySet<AlbumId>, roles: readonly AlbumRole[]) =>
        roles.length === 0
          ? Promise.resolve(new Set<AlbumId>())
          : grant(
              db,
              memberId,
              albumIds,
              (requested) => Prisma.sql`
                SELECT requested.id FROM ${requested}
                JOIN "album_member" am ON am."albumId" = requested.id::uuid
                WHERE am."memberId" = ${memberId}::uuid AND am."role"::text = ANY(${[...roles]}::text[])`,
            ),

      // Expiry and password are checked when the visitor's link is accepted (checkSharedLinkAccess, with the
      // app's clock). Revocation is checked here too because it is absolute and takes effect at once.
      checkSharedLinkAccess: (sharedLinkId: SharedLinkId, albumIds: ReadonlySet<AlbumId>) =>
        grant(
          db,
          sharedLinkId,
          albumIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "shared_link" sl ON sl."albumId" = requested.id::uuid
            WHERE sl."id" = ${sharedLinkId}::uuid AND sl."revokedAt" IS NULL`,
        ),
    },

    asset: {
      // The owner keeps access to archived and trashed assets: that is how they are restored.
      checkOwnerAccess: (memberId: MemberId, assetIds: ReadonlySet<AssetId>) =>
        grant(
          db,
          memberId,
          assetIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "asset" a ON a."id" = requested.id::uuid
            WHERE a."ownerId" = ${memberId}::uuid`,
        ),

      // Albums the member owns or was added to. A trashed asset has left every album as far as others can see.
      checkAlbumAccess: (memberId: MemberId, assetIds: ReadonlySet<AssetId>) =>
        grant(
          db,
          memberId,
          assetIds,
          (requested) => Prisma.sql`
            SELECT DISTINCT requested.id FROM ${requested}
            JOIN "asset" a ON a."id" = requested.id::uuid AND NOT a."isTrashed"
            JOIN "album_asset" aa ON aa."assetId" = a."id"
            JOIN "album" al ON al."id" = aa."albumId"
            LEFT JOIN "album_member" am ON am."albumId" = al."id" AND am."memberId" = ${memberId}::uuid
            WHERE al."ownerId" = ${memberId}::uuid OR am."memberId" IS NOT NULL`,
        ),

      // SPEC S2: a partner sees the sharer's library except archived and trashed assets.
      checkPartnerAccess: (memberId: MemberId, assetIds: ReadonlySet<AssetId>) =>
        grant(
          db,
          memberId,
          assetIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "asset" a ON a."id" = requested.id::uuid AND NOT a."isArchived" AND NOT a."isTrashed"
            JOIN "partner_share" ps ON ps."sharedById" = a."ownerId"
            WHERE ps."sharedWithId" = ${memberId}::uuid`,
        ),

      // Assets the link names directly, or that sit in the album it points to.
      checkSharedLinkAccess: (sharedLinkId: SharedLinkId, assetIds: ReadonlySet<AssetId>) =>
        grant(
          db,
          sharedLinkId,
          assetIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "asset" a ON a."id" = requested.id::uuid AND NOT a."isTrashed"
            JOIN "shared_link" sl ON sl."id" = ${sharedLinkId}::uuid AND sl."revokedAt" IS NULL
            WHERE EXISTS (
                SELECT 1 FROM "shared_link_asset" sla WHERE sla."sharedLinkId" = sl."id" AND sla."assetId" = a."id"
              )
              OR EXISTS (
                SELECT 1 FROM "album_asset" aa WHERE aa."albumId" = sl."albumId" AND aa."assetId" = a."id"
              )`,
        ),
    },

    sharedLink: {
      checkOwnerAccess: (memberId: MemberId, sharedLinkIds: ReadonlySet<SharedLinkId>) =>
        grant(
          db,
          memberId,
          sharedLinkIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "shared_link" sl ON sl."id" = requested.id::uuid
            WHERE sl."creatorId" = ${memberId}::uuid`,
        ),
    },

    apiKey: {
      checkOwnerAccess: (memberId: MemberId, apiKeyIds: ReadonlySet<ApiKeyId>) =>
        grant(
          db,
          memberId,
          apiKeyIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "api_key" k ON k."id" = requested.id::uuid
            WHERE k."memberId" = ${memberId}::uuid`,
        ),
    },

    session: {
      checkOwnerAccess: (memberId: MemberId, sessionIds: ReadonlySet<SessionId>) =>
        grant(
          db,
          memberId,
          sessionIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "session" s ON s."id" = requested.id::uuid
            WHERE s."realm" = 'instance' AND s."memberId" = ${memberId}::uuid`,
        ),
    },

    instance: {
      checkAccountAccess: (accountId: AccountId, instanceIds: ReadonlySet<InstanceId>) =>
        grant(
          db,
          accountId,
          instanceIds,
          (requested) => Prisma.sql`
            SELECT requested.id FROM ${requested}
            JOIN "instance" i ON i."id" = requested.id::uuid
            JOIN "subscription" s ON s."id" = i."subscriptionId"
            WHERE s."accountId" = ${accountId}::uuid`,
        ),
    },
  };
}
