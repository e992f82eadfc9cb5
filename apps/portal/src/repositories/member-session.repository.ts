// Instance-realm sign-ins (SPEC M7, U4): sessions and login attempts of members, and revoking everything a member
// can act with (sessions and API keys) when they are disabled or deleted.
import type { InstanceId, MemberId, SessionId } from '@photoplane/tenant-model';
import type { Db } from './db.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MemberLoginAttempt {
  instanceId: InstanceId;
  clientIp: string;
  /** As typed, so attempts on addresses that match nobody are visible too. */
  email: string;
  memberId: MemberId | null;
  status: 'succeeded' | 'failed' | 'throttled';
  at: Date;
}

export function createMemberSessionRepository(db: Db) {
  return {
    async create(session: {
      instanceId: InstanceId;
      memberId: MemberId;
      familyId: string;
      refreshTokenHash: string;
      expiresAt: Date;
      at: Date;
    }): Promise<SessionId> {
      const { at, ...rest } = session;
      const row = await db.session.create({
        data: { ...rest, realm: 'instance', createdAt: at, lastUsedAt: at },
        select: { id: true },
      });
      return row.id as SessionId;
    },

    async isLive(id: string, instanceId: InstanceId, memberId: string, now: Date): Promise<boolean> {
      if (!UUID.test(id) || !UUID.test(memberId)) return false;
      const row = await db.session.findFirst({
        where: { id, realm: 'instance', instanceId, memberId, revokedAt: null, expiresAt: { gt: now } },
        select: { id: true },
      });
      return row !== null;
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
