// Portal-realm sessions. A sign-in starts a family; each refresh revokes the family's current row and adds a
// new one, so a revoked row whose refresh token is presented again is evidence of a stolen token.
import { isUuid } from '@photoplane/tenant-model';
import type { AccountId, SessionId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import type { PreparedSql } from '../platform/data/prepared.ts';

export interface SessionRecord {
  id: SessionId;
  accountId: AccountId;
  familyId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  deviceType: string | null;
  deviceOs: string | null;
}

export interface LiveSignIn {
  familyId: string;
  liveUntil: Date;
}

export interface NewSession {
  accountId: AccountId;
  familyId: string;
  refreshTokenHash: string;
  expiresAt: Date;
  deviceType: string | null;
  deviceOs: string | null;
}

export function createSessionRepository(db: Db, prepared?: PreparedSql) {
  return {
    async create(session: NewSession, now: Date): Promise<SessionId> {
      const row = await db.session.create({
        data: { ...session, realm: 'portal', createdAt: now, lastUsedAt: now },
        select: { id: true },
      });
      return row.id as SessionId;
    },

    async findByRefreshTokenHash(refreshTokenHash: string): Promise<SessionRecord | null> {
      const row = await db.session.findFirst({
        where: { refreshTokenHash, realm: 'portal', accountId: { not: null } },
        select: {
          id: true,
          accountId: true,
          familyId: true,
          expiresAt: true,
          revokedAt: true,
          deviceType: true,
          deviceOs: true,
        },
      });
      return row as SessionRecord | null;
    },

    /** False when the row was already revoked, i.e. a concurrent refresh or a logout got there first. */
    async revoke(id: SessionId, at: Date): Promise<boolean> {
      const { count } = await db.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
      return count === 1;
    },

    async revokeFamily(familyId: string, at: Date): Promise<number> {
      const { count } = await db.session.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: at } });
      return count;
    },

    async revokeFamilyOf(id: SessionId, accountId: AccountId, at: Date): Promise<void> {
      if (!isUuid(id)) return;
      await db.$executeRaw`
        UPDATE session SET "revokedAt" = ${at}
        WHERE "revokedAt" IS NULL
          AND "familyId" = (SELECT "familyId" FROM session WHERE id = ${id}::uuid AND "accountId" = ${accountId}::uuid)`;
    },

    async revokeAllOfAccount(accountId: AccountId, at: Date): Promise<number> {
      const { count } = await db.session.updateMany({
        where: { accountId, realm: 'portal', revokedAt: null },
        data: { revokedAt: at },
      });
      return count;
    },

    /**
     * Whether the sign-in that issued this session id is still live: some row of its family is neither revoked
     * nor expired. Refresh replaces the row, so an access token from before a refresh keeps working until it
     * expires, while logout, reuse detection and password reset (which revoke the whole family) end it at once.
     * Live: the family and until when (its newest live row's expiry), which is what the liveness cache keeps.
     */
    async findLiveSignIn(id: SessionId, accountId: AccountId, now: Date): Promise<LiveSignIn | null> {
      if (!isUuid(id) || !isUuid(accountId)) return null;
      const text = `
        SELECT issued."familyId"::text AS "familyId", max(current."expiresAt") AS "liveUntil"
          FROM session issued
          JOIN session current ON current."familyId" = issued."familyId"
         WHERE issued.id = $1::uuid
           AND issued."accountId" = $2::uuid
           AND issued.realm = 'portal'
           AND current."revokedAt" IS NULL
           AND current."expiresAt" > ($3::timestamptz AT TIME ZONE 'UTC')
         GROUP BY issued."familyId"`;
      type Row = { familyId: string; liveUntil: Date | null };
      const rows = prepared
        ? await prepared.rows<Row>('portal-live-sign-in', text, [id, accountId, now.toISOString()])
        : await db.$queryRawUnsafe<Row[]>(text, id, accountId, now.toISOString());
      const row = rows[0];
      return row?.liveUntil ? { familyId: row.familyId, liveUntil: row.liveUntil } : null;
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
