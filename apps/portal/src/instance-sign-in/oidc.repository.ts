// The OpenID provider's storage (SPEC I1): oidc-provider's models (codes, sessions, grants, interactions, tokens)
// as JSON rows keyed by (kind, id), its signing keys, and the mirror of every photo-app sign-in as a member
// session (a "device", U4) so that revoking one there, or disabling the member, ends the photo app's session too.
import type { Prisma } from '@photoplane/db';
import type { InstanceId, MemberId, SessionId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

export interface SigningKeyRecord {
  kid: string;
  privateJwkCipher: string;
  createdAt: Date;
  retiredAt: Date | null;
}

/** A photo-app sign-in that has been revoked and whose photo-app session must still be ended. */
export interface PendingLogout {
  sessionId: string;
  instanceId: InstanceId;
  memberId: MemberId;
  oidcSid: string;
}

export function createOidcRepository(db: Db) {
  const live = (now: Date) => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] });
  const toStored = (row: { payload: Prisma.JsonValue; consumedAt: Date | null } | null): StoredPayload | null =>
    row ? { payload: row.payload as Record<string, unknown>, consumedAt: row.consumedAt } : null;

  return {
    async upsert(kind: string, id: string, payload: Record<string, unknown>, expiresAt: Date | null): Promise<void> {
      const columns = {
        payload: payload as Prisma.InputJsonValue,
        grantId: typeof payload.grantId === 'string' ? payload.grantId : null,
        userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        expiresAt,
      };
      await db.oidcPayload.upsert({
        where: { kind_id: { kind, id } },
        create: { kind, id, ...columns },
        update: columns,
      });
    },

    async find(kind: string, id: string, now: Date): Promise<StoredPayload | null> {
      return toStored(
        await db.oidcPayload.findFirst({
          where: { kind, id, ...live(now) },
          select: { payload: true, consumedAt: true },
        }),
      );
    },

    async findBy(kind: string, field: 'uid' | 'userCode', value: string, now: Date): Promise<StoredPayload | null> {
      return toStored(
        await db.oidcPayload.findFirst({
          where: { kind, [field]: value, ...live(now) },
          select: { payload: true, consumedAt: true },
        }),
      );
    },

    /** Marks a code or token used; a second use is refused by the provider from this mark. */
    async consume(kind: string, id: string, at: Date): Promise<void> {
      await db.oidcPayload.updateMany({ where: { kind, id }, data: { consumedAt: at } });
    },

    /** Removes one row and returns what it held (a destroyed session must also end its mirror). */
    async destroy(kind: string, id: string): Promise<Record<string, unknown> | null> {
      const rows = await db.$queryRaw<{ payload: Prisma.JsonValue }[]>`
        DELETE FROM oidc_payload WHERE kind = ${kind} AND id = ${id} RETURNING payload`;
      return (rows[0]?.payload as Record<string, unknown> | undefined) ?? null;
    },

    /** The instance a pending logout is for: its name and whether its photo app runs. */
    async instanceOf(instanceId: InstanceId): Promise<{ id: InstanceId; subdomain: string; state: string } | null> {
      const row = await db.instance.findUnique({ where: { id: instanceId }, select: { subdomain: true, state: true } });
      return row ? { id: instanceId, ...row } : null;
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.oidcPayload.deleteMany({ where: { grantId } });
    },

    /** Housekeeping: codes, tokens and sessions past their expiry. */
    async deleteExpired(now: Date): Promise<number> {
      const { count } = await db.oidcPayload.deleteMany({ where: { expiresAt: { lte: now } } });
      return count;
    },

    signingKeys: {
      async list(): Promise<SigningKeyRecord[]> {
        return db.oidcSigningKey.findMany({ orderBy: { createdAt: 'desc' } });
      },
      async insert(kid: string, privateJwkCipher: string, at: Date): Promise<void> {
        await db.oidcSigningKey.create({ data: { kid, privateJwkCipher, createdAt: at } });
      },
      /** Retires every key but `keep`: they stop signing and stay published until their tokens have expired. */
      async retireAllBut(keep: string, at: Date): Promise<void> {
        await db.oidcSigningKey.updateMany({ where: { kid: { not: keep }, retiredAt: null }, data: { retiredAt: at } });
      },
      async deleteRetiredBefore(before: Date): Promise<number> {
        const { count } = await db.oidcSigningKey.deleteMany({ where: { retiredAt: { lt: before } } });
        return count;
      },
    },

    devices: {
      /**
       * The provider session `oidcSessionUid` signed `memberId` in to the photo app: one device row (U4) per
       * provider session, made at the first save and kept in step after (the sid appears once the photo app is
       * authorised). Refresh-token columns hold an unusable random hash: this row is never refreshed.
       */
      async mirror(input: {
        instanceId: InstanceId;
        memberId: MemberId;
        oidcSessionUid: string;
        oidcSid: string | null;
        expiresAt: Date;
        deviceType: string | null;
        deviceOs: string | null;
        unusableRefreshTokenHash: string;
        familyId: string;
        at: Date;
      }): Promise<void> {
        await db.session.upsert({
          where: { oidcSessionUid: input.oidcSessionUid },
          create: {
            realm: 'instance',
            instanceId: input.instanceId,
            memberId: input.memberId,
            oidcSessionUid: input.oidcSessionUid,
            oidcSid: input.oidcSid,
            refreshTokenHash: input.unusableRefreshTokenHash,
            familyId: input.familyId,
            deviceType: input.deviceType,
            deviceOs: input.deviceOs,
            createdAt: input.at,
            lastUsedAt: input.at,
            expiresAt: input.expiresAt,
          },
          update: { ...(input.oidcSid ? { oidcSid: input.oidcSid } : {}), lastUsedAt: input.at },
        });
      },

      /** True while the device row of a provider session is neither revoked nor expired. */
      async isLive(oidcSessionUid: string, now: Date): Promise<boolean> {
        const row = await db.session.findUnique({
          where: { oidcSessionUid },
          select: { revokedAt: true, expiresAt: true, member: { select: { status: true } } },
        });
        if (!row) return true; // not mirrored yet (the session is being created)
        return row.revokedAt === null && row.expiresAt > now;
      },

      /** The device row of a live provider session: the principal the account pages act as. */
      async findLive(
        oidcSessionUid: string,
        now: Date,
      ): Promise<{ sessionId: SessionId; instanceId: InstanceId; memberId: MemberId } | null> {
        const row = await db.session.findFirst({
          where: { oidcSessionUid, revokedAt: null, expiresAt: { gt: now } },
          select: { id: true, instanceId: true, memberId: true },
        });
        if (!row?.instanceId || !row.memberId) return null;
        return {
          sessionId: row.id as SessionId,
          instanceId: row.instanceId as InstanceId,
          memberId: row.memberId as MemberId,
        };
      },

      async revoke(oidcSessionUid: string, at: Date): Promise<void> {
        await db.session.updateMany({ where: { oidcSessionUid, revokedAt: null }, data: { revokedAt: at } });
      },

      async pendingLogouts(since: Date, limit: number): Promise<PendingLogout[]> {
        const rows = await db.session.findMany({
          where: {
            realm: 'instance',
            oidcSid: { not: null },
            revokedAt: { not: null, gt: since },
            photoAppLogoutAt: null,
          },
          select: { id: true, instanceId: true, memberId: true, oidcSid: true },
          orderBy: { revokedAt: 'asc' },
          take: limit,
        });
        return rows.map((r) => ({
          sessionId: r.id,
          instanceId: r.instanceId as InstanceId,
          memberId: r.memberId as MemberId,
          oidcSid: r.oidcSid!,
        }));
      },

      async markLoggedOut(sessionId: string, at: Date): Promise<void> {
        await db.session.updateMany({ where: { id: sessionId }, data: { photoAppLogoutAt: at } });
      },
    },
  };
}

export type OidcRepository = ReturnType<typeof createOidcRepository>;
