// Invitation links for members (SPEC M2). Only the SHA-256 of a token is stored; the token exists only in the e-mail.
import type { InstanceId, InvitationId, MemberId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface InvitationRecord {
  id: InvitationId;
  instanceId: InstanceId;
  memberId: MemberId;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

const columns = {
  id: true,
  instanceId: true,
  memberId: true,
  createdAt: true,
  expiresAt: true,
  acceptedAt: true,
  revokedAt: true,
} as const;

export function createInvitationRepository(db: Db) {
  return {
    async create(invitation: {
      instanceId: InstanceId;
      memberId: MemberId;
      tokenHash: string;
      createdAt: Date;
      expiresAt: Date;
    }): Promise<void> {
      await db.invitation.create({ data: invitation });
    },

    /** Looked up by hash alone: the caller compares the instance, so a foreign link reads like an unknown one. */
    async findByTokenHash(tokenHash: string): Promise<InvitationRecord | null> {
      return (await db.invitation.findUnique({ where: { tokenHash }, select: columns })) as InvitationRecord | null;
    },

    /** False when a concurrent registration used it first: the conditional update makes the link single-use. */
    async markAccepted(id: InvitationId, at: Date): Promise<boolean> {
      const { count } = await db.invitation.updateMany({
        where: { id, acceptedAt: null, revokedAt: null },
        data: { acceptedAt: at },
      });
      return count === 1;
    },

    /** Retires every open link of a member (deleted before registering, or sent a new invitation). */
    async revokeAllOf(instanceId: InstanceId, memberId: MemberId, at: Date): Promise<void> {
      await db.invitation.updateMany({
        where: { instanceId, memberId, acceptedAt: null, revokedAt: null },
        data: { revokedAt: at },
      });
    },
  };
}

export type InvitationRepository = ReturnType<typeof createInvitationRepository>;
