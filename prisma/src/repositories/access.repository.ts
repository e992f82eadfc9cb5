// The tenant model's AccessPort over PostgreSQL, in the shape of Immich's access repository: each method is one
// set-based query that answers "which of these ids may this party touch", so a bulk request costs one round trip
// however many ids it names.
//
// Every query starts from the ids the caller asked about (unnested as text, so the answer holds exactly the strings
// that were asked) and joins towards the actor. Tenancy needs no extra filter: a member id belongs to one instance,
// and the composite foreign keys keep API keys and sessions inside it, so a path from another instance's row to
// this actor cannot exist in the data.
import type { AccessPort, AccountId, ApiKeyId, InstanceId, MemberId, SessionId } from '@photoplane/tenant-model';
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
