// A member's "forgot password" links (issue 10: password reset at the instance's own address). Only the SHA-256 of
// a token is stored; the token exists only in the e-mail.
import type { InstanceId, MemberId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface MemberPasswordResetRecord {
  id: string;
  instanceId: InstanceId;
  memberId: MemberId;
  expiresAt: Date;
  usedAt: Date | null;
}

export function createMemberPasswordResetRepository(db: Db) {
  return {
    async create(input: {
      instanceId: InstanceId;
      memberId: MemberId;
      tokenHash: string;
      createdAt: Date;
      expiresAt: Date;
    }): Promise<void> {
      await db.memberPasswordReset.create({ data: input });
    },

    /** Links asked for since `since`: a bound on the mail one member's address can be sent. */
    async countSince(instanceId: InstanceId, memberId: MemberId, since: Date): Promise<number> {
      return db.memberPasswordReset.count({ where: { instanceId, memberId, createdAt: { gte: since } } });
    },

    /** By hash alone: the caller compares the instance, so another instance's link reads like an unknown one. */
    async findByTokenHash(tokenHash: string): Promise<MemberPasswordResetRecord | null> {
      return (await db.memberPasswordReset.findUnique({
        where: { tokenHash },
        select: { id: true, instanceId: true, memberId: true, expiresAt: true, usedAt: true },
      })) as MemberPasswordResetRecord | null;
    },

    /** Uses up every open link of the member; true when `id` was among them (of two racing resets, one wins). */
    async useAllOf(instanceId: InstanceId, memberId: MemberId, id: string, at: Date): Promise<boolean> {
      const mine = await db.memberPasswordReset.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
      await db.memberPasswordReset.updateMany({ where: { instanceId, memberId, usedAt: null }, data: { usedAt: at } });
      return mine.count === 1;
    },
  };
}
