// "Forgot password" at the instance's own address (issue 10, SPEC I1): a member who cannot sign in asks for a link
// by e-mail and chooses a new password on the instance's reset page. The owner's password is their portal
// account's (one identity), so the owner gets the portal's own reset e-mail instead. The request answers the same
// whether or not the address belongs to anyone; the link works once, for one hour, in this instance only, and
// using it signs the member out everywhere (the photo app too, through the back-channel logout outbox).
import { DomainError, memberCanSignIn, normaliseEmail, validationError } from '@photoplane/tenant-model';
import type { MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { MemberMailService } from './member-mail.service.ts';
import { assertPasswordPolicy, type PasswordService } from '../platform/password.service.ts';
import { createSecretToken, hashSecretToken } from '../platform/secret-token.ts';

export interface MemberPasswordResetDeps {
  repositories: MemberUnitOfWork;
  passwords: Pick<PasswordService, 'hashPassword'>;
  mail: Pick<MemberMailService, 'sendPasswordReset'>;
  /** The portal's own reset (AccountService.requestPasswordReset), for the owner. */
  requestOwnerReset: (accountEmail: string) => Promise<void>;
  now?: () => Date;
  ttlMs?: number;
  /** At most this many links per member and hour: an address cannot be flooded through this form. */
  maxPerHour?: number;
}

const HOUR_MS = 60 * 60 * 1000;

export function createMemberPasswordResetService({
  repositories,
  passwords,
  mail,
  requestOwnerReset,
  now = () => new Date(),
  ttlMs = HOUR_MS,
  maxPerHour = 3,
}: MemberPasswordResetDeps) {
  return {
    async requestReset(input: { subdomain: string; email: string }): Promise<void> {
      const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
      if (!instance || instance.state !== 'active') return;
      const member = await repositories.members.findByEmail(instance.id, normaliseEmail(input.email));
      if (!member || !memberCanSignIn(member)) return;
      if (member.role === 'owner') {
        await requestOwnerReset(instance.owner.email);
        return;
      }
      const at = now();
      if (
        (await repositories.passwordResets.countSince(instance.id, member.id, new Date(at.getTime() - HOUR_MS))) >=
        maxPerHour
      )
        return;
      const { token, hash } = createSecretToken();
      const expiresAt = new Date(at.getTime() + ttlMs);
      await repositories.passwordResets.create({
        instanceId: instance.id,
        memberId: member.id,
        tokenHash: hash,
        createdAt: at,
        expiresAt,
      });
      mail.sendPasswordReset({ to: member.email, name: member.name, subdomain: instance.subdomain, token, expiresAt });
    },

    async resetPassword(input: { subdomain: string; token: string; password: string }): Promise<void> {
      assertPasswordPolicy(input.password, 'password');
      const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
      const record = await repositories.passwordResets.findByTokenHash(hashSecretToken(input.token));
      if (!instance || !record || record.instanceId !== instance.id)
        throw validationError('token', 'This link is not valid.');
      const gone = () =>
        new DomainError('expired', 'This link has expired or was already used; ask for a new one.', { field: 'token' });
      const at = now();
      if (record.usedAt || record.expiresAt <= at) throw gone();
      const passwordHash = await passwords.hashPassword(input.password);
      await repositories.transaction(async (repos) => {
        if (!(await repos.passwordResets.useAllOf(instance.id, record.memberId, record.id, at))) throw gone();
        const member = await repos.members.find(instance.id, record.memberId);
        if (!member || !memberCanSignIn(member) || member.role === 'owner') throw gone();
        await repos.members.update(instance.id, member.id, { passwordHash, mustChangePassword: false });
        const signedOut = await repos.memberSessions.revokeAllOf(instance.id, member.id, at);
        await repos.auditEvents.record({
          actorType: 'system',
          actorId: null,
          action: 'member.password_reset_by_link',
          targetType: 'member',
          targetId: member.id,
          instanceId: instance.id,
          at,
          details: { signedOutSessions: signedOut },
        });
      });
    },
  };
}

export type MemberPasswordResetService = ReturnType<typeof createMemberPasswordResetService>;
