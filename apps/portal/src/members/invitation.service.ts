// Registering with an invitation link (SPEC M2): the member sets their password at the instance the link was made
// for. A token of another instance, a revoked one and an unknown one all read "No such invitation" (the tenant
// model's acceptInvitation), so a link says nothing about instances it does not belong to.
import {
  acceptInvitation,
  DomainError,
  type InstanceId,
  type Invitation,
  type MemberId,
} from '@photoplane/tenant-model';
import type { MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { InvitationRecord } from './invitation.repository.ts';
import type { MemberSync } from './member-workflows.ts';
import { assertPasswordPolicy, type PasswordService } from '../platform/password.service.ts';
import { hashSecretToken } from '../platform/secret-token.ts';

export interface InvitationServiceDeps {
  repositories: MemberUnitOfWork;
  passwords: PasswordService;
  sync: MemberSync;
  log: { error(details: object, message: string): void };
  now?: () => Date;
}

const noSuchInvitation = () => new DomainError('not_found', 'No such invitation', { field: 'token' });

function toInvitation(record: InvitationRecord, email: string): Invitation {
  return {
    id: record.id,
    instanceId: record.instanceId,
    memberId: record.memberId,
    email,
    state: record.acceptedAt ? 'accepted' : record.revokedAt ? 'revoked' : 'pending',
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
  };
}

export function createInvitationService({
  repositories,
  passwords,
  sync,
  log,
  now = () => new Date(),
}: InvitationServiceDeps) {
  return {
    async register(input: { subdomain: string; token: string; password: string }): Promise<void> {
      assertPasswordPolicy(input.password);
      const passwordHash = await passwords.hashPassword(input.password);
      const at = now();
      const registered = await repositories.transaction(async (repos) => {
        const instance = await repos.members.findInstanceBySubdomain(input.subdomain);
        const record = await repos.invitations.findByTokenHash(hashSecretToken(input.token));
        if (!instance || !record || record.instanceId !== instance.id) throw noSuchInvitation();
        const member = await repos.members.find(instance.id, record.memberId);
        if (!member) throw noSuchInvitation();
        // Used or expired links say so (the invitee can ask for a new one); then only an invited member can register.
        acceptInvitation(toInvitation(record, member.emailNormalized), { instanceId: instance.id, now: at });
        if (member.status !== 'invited') throw noSuchInvitation();
        // Conditional on "not used yet": of two concurrent registrations exactly one gets past this line.
        if (!(await repos.invitations.markAccepted(record.id, at)))
          throw new DomainError('conflict', 'This invitation has already been used.', { field: 'token' });
        await repos.members.update(instance.id, member.id, {
          passwordHash,
          status: 'active',
          mustChangePassword: false,
        });
        return { instanceId: instance.id, memberId: member.id };
      });
      await startSync(registered.instanceId, registered.memberId);
    },
  };

  async function startSync(instanceId: InstanceId, memberId: MemberId) {
    try {
      await sync.syncMember({ instanceId, memberId });
    } catch (err) {
      log.error({ err, instanceId, memberId }, 'could not start the member sync workflow');
    }
  }
}

export type InvitationService = ReturnType<typeof createInvitationService>;
