// Instance-realm sign-ins (SPEC M7, U4): sessions and login attempts of members, and revoking everything a member
// can act with (sessions and API keys) when they are disabled or deleted.
import { isUuid } from '@photoplane/tenant-model';
import type { InstanceId, MemberId, SessionId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import { createSessionRepository } from '../identity/session.repository.ts';

export interface MemberLoginAttempt {
  instanceId: InstanceId;
  clientIp: string;
  /** As typed, so attempts on addresses that match nobody are visible too. */
  email: string;
  memberId: MemberId | null;
  status: 'succeeded' | 'failed' | 'throttled';
  at: Date;
}

export interface MemberSessionRecord {
  id: SessionId;
  instanceId: InstanceId;
  memberId: MemberId;
  familyId: string;
  deviceType: string | null;
  deviceOs: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** One signed-in device (U4): the live row of a sign-in, with when the sign-in began. */
export interface MemberDevice {
  id: SessionId;
  deviceType: string | null;
  deviceOs: string | null;
  signedInAt: Date;
  lastUsedAt: Date;
}

// Last access is written at most this often per session, so every request does not cost a write.
const TOUCH_INTERVAL_MS = 60_000;

export function createMemberSessionRepository(db: Db) {
  const sessionRows = createSessionRepository(db);
  return {
    async create(session: {
      instanceId: InstanceId;
      memberId: MemberId;
      familyId: string;
      refreshTokenHash: string;
      expiresAt: Date;
      at: Date;
      deviceType?: string | null;
      deviceOs?: string | null;
    }): Promise<SessionId> {
      const { at, ...rest } = session;
      const row = await db.session.create({
        data: { ...rest, realm: 'instance', createdAt: at, lastUsedAt: at },
        select: { id: true },
      });
      return row.id as SessionId;
    },

    async isLive(id: string, instanceId: InstanceId, memberId: string, now: Date): Promise<boolean> {
      if (!isUuid(id) || !isUuid(memberId)) return false;
      const row = await db.session.findFirst({
        where: { id, realm: 'instance', instanceId, memberId, revokedAt: null, expiresAt: { gt: now } },
        select: { id: true },
      });
      return row !== null;
    },

    /** The instance-realm session a refresh token belongs to, revoked or not (reuse detection needs both). */
    async findByRefreshTokenHash(
      instanceId: InstanceId,
      refreshTokenHash: string,
    ): Promise<MemberSessionRecord | null> {
      const row = await db.session.findFirst({
        where: { refreshTokenHash, realm: 'instance', instanceId, memberId: { not: null } },
        select: {
          id: true,
          instanceId: true,
          memberId: true,
          familyId: true,
          deviceType: true,
          deviceOs: true,
          expiresAt: true,
          revokedAt: true,
        },
      });
      return row as MemberSessionRecord | null;
    },

    // Rotation and reuse detection work on session rows alike in both realms: the portal's repository does them.
    revoke: (id: SessionId, at: Date) => sessionRows.revoke(id, at),
    revokeFamily: (familyId: string, at: Date) => sessionRows.revokeFamily(familyId, at),

    /** U4: ends the sign-in that `id` belongs to, if it is this member's; 0 when it names nothing of theirs. */
    async revokeDevice(instanceId: InstanceId, memberId: MemberId, id: string, at: Date): Promise<number> {
      if (!isUuid(id)) return 0;
      const row = await db.session.findFirst({
        where: { id, realm: 'instance', instanceId, memberId, revokedAt: null, expiresAt: { gt: at } },
        select: { familyId: true },
      });
      if (!row) return 0;
      const { count } = await db.session.updateMany({
        where: { familyId: row.familyId, instanceId, memberId, revokedAt: null },
        data: { revokedAt: at },
      });
      return count;
    },

    /** U4: the member's live sign-ins, newest access first. */
    async listDevices(instanceId: InstanceId, memberId: MemberId, now: Date): Promise<MemberDevice[]> {
      const live = await db.session.findMany({
        where: { realm: 'instance', instanceId, memberId, revokedAt: null, expiresAt: { gt: now } },
        select: { id: true, familyId: true, deviceType: true, deviceOs: true, lastUsedAt: true },
        orderBy: { lastUsedAt: 'desc' },
      });
      if (live.length === 0) return [];
      // A refresh replaces the row; the sign-in began when its family's first row was made.
      const starts = await db.session.groupBy({
        by: ['familyId'],
        where: { familyId: { in: live.map((s) => s.familyId) }, instanceId, memberId },
        _min: { createdAt: true },
      });
      const startOf = new Map(starts.map((s) => [s.familyId, s._min.createdAt]));
      return live.map((s) => ({
        id: s.id as SessionId,
        deviceType: s.deviceType,
        deviceOs: s.deviceOs,
        signedInAt: startOf.get(s.familyId) ?? s.lastUsedAt,
        lastUsedAt: s.lastUsedAt,
      }));
    },

    /** Records an access for the devices list, at most once a minute per session. */
    async touch(id: SessionId, at: Date): Promise<void> {
      await db.session.updateMany({
        where: { id, lastUsedAt: { lt: new Date(at.getTime() - TOUCH_INTERVAL_MS) } },
        data: { lastUsedAt: at },
      });
    },

    /** Every session of the member except `keep` (the one that asked, e.g. for a password change). */
    async revokeAllOf(instanceId: InstanceId, memberId: MemberId, at: Date, keep?: SessionId): Promise<number> {
      const { count } = await db.session.updateMany({
        where: { realm: 'instance', instanceId, memberId, revokedAt: null, ...(keep ? { id: { not: keep } } : {}) },
        data: { revokedAt: at },
      });
      return count;
    },

    /** API keys have no revoked state: a revoked key is a deleted key (U3). */
    async deleteApiKeysOf(instanceId: InstanceId, memberId: MemberId): Promise<number> {
      const { count } = await db.apiKey.deleteMany({ where: { instanceId, memberId } });
      return count;
    },

    async recordLoginAttempt(attempt: MemberLoginAttempt): Promise<void> {
      await db.loginAttempt.create({ data: { ...attempt, realm: 'instance' } });
    },
  };
}

export type MemberSessionRepository = ReturnType<typeof createMemberSessionRepository>;
