// Member sign-in at the instance realm (SPEC M3, M7, U2): e-mail and password against the member table, every
// attempt recorded (realm instance), refused for anyone who may not sign in (invited, disabled, pending deletion).
// The access token is signed by the member-auth plugin; this service deals in sessions, which live in the database
// and are checked on every request, so deleting or disabling a member ends their tokens at once.
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  memberCanSignIn,
  normaliseEmail,
  type InstanceId,
  type MemberId,
  type MemberRole,
  type SessionId,
} from '@photoplane/tenant-model';
import type { MemberUnitOfWork } from '../repositories/member-unit-of-work.ts';
import { assertPasswordPolicy, type PasswordService } from './password.service.ts';
import { createSecretToken } from './secret-token.ts';

export interface MemberAuthServiceDeps {
  repositories: MemberUnitOfWork;
  passwords: PasswordService;
  sessionTtlSeconds: number;
  now?: () => Date;
}

export interface MemberPrincipal {
  instanceId: InstanceId;
  memberId: MemberId;
  sessionId: SessionId;
}

export interface SignedInMember extends MemberPrincipal {
  mustChangePassword: boolean;
}

export interface MemberSelf {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  mustChangePassword: boolean;
}

// One message for unknown address, wrong password and a member who may not sign in: which one it was is the secret.
const wrongCredentials = () =>
  new DomainError('unauthenticated', 'The e-mail address or password is wrong, or this account cannot sign in.');
const signedOut = () => new DomainError('unauthenticated', 'This sign-in has ended; sign in again.');

export function createMemberAuthService({
  repositories,
  passwords,
  sessionTtlSeconds,
  now = () => new Date(),
}: MemberAuthServiceDeps) {
  return {
    /** The instance id behind a subdomain, for the token's audience; null when nobody holds it. */
    async instanceIdOf(subdomain: string): Promise<InstanceId | null> {
      return (await repositories.members.findInstanceBySubdomain(subdomain))?.id ?? null;
    },

    async logIn(input: {
      subdomain: string;
      email: string;
      password: string;
      clientIp: string;
    }): Promise<SignedInMember> {
      const tried = input.email.trim();
      const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
      const member = instance ? await repositories.members.findByEmail(instance.id, normaliseEmail(input.email)) : null;
      let ok = false;
      if (member?.passwordHash) ok = await passwords.verifyPassword(member.passwordHash, input.password);
      else await passwords.verifyAgainstDummy(input.password);
      const at = now();
      if (!instance || !member || !ok || !memberCanSignIn(member)) {
        if (instance) {
          await repositories.memberSessions.recordLoginAttempt({
            instanceId: instance.id,
            clientIp: input.clientIp,
            email: tried,
            memberId: member?.id ?? null,
            status: 'failed',
            at,
          });
        }
        throw wrongCredentials();
      }
      const sessionId = await repositories.transaction(async (repos) => {
        const id = await repos.memberSessions.create({
          instanceId: instance.id,
          memberId: member.id,
          familyId: randomUUID(),
          // Required by the table; no refresh endpoint hands it out yet, so only its hash ever exists.
          refreshTokenHash: createSecretToken().hash,
          expiresAt: new Date(at.getTime() + sessionTtlSeconds * 1000),
          at,
        });
        await repos.memberSessions.recordLoginAttempt({
          instanceId: instance.id,
          clientIp: input.clientIp,
          email: tried,
          memberId: member.id,
          status: 'succeeded',
          at,
        });
        return id;
      });
      return { instanceId: instance.id, memberId: member.id, sessionId, mustChangePassword: member.mustChangePassword };
    },

    /** For every request with a member token: the session is live and the member may still sign in. */
    async assertSignedIn(principal: MemberPrincipal): Promise<MemberSelf> {
      const at = now();
      const live = await repositories.memberSessions.isLive(
        principal.sessionId,
        principal.instanceId,
        principal.memberId,
        at,
      );
      if (!live) throw signedOut();
      const member = await repositories.members.find(principal.instanceId, principal.memberId);
      if (!member || !memberCanSignIn(member)) throw signedOut();
      return {
        id: member.id,
        email: member.email,
        name: member.name,
        role: member.role,
        mustChangePassword: member.mustChangePassword,
      };
    },

    /** U2 and the must-change flow (M3, M6): the current password is required; other sessions are signed out. */
    async changePassword(
      principal: MemberPrincipal,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      assertPasswordPolicy(input.newPassword, 'newPassword');
      if (input.newPassword === input.currentPassword) {
        throw new DomainError('validation', 'The new password must differ from the current one.', {
          field: 'newPassword',
          rule: 'unchanged',
        });
      }
      const member = await repositories.members.find(principal.instanceId, principal.memberId);
      if (!member?.passwordHash || !(await passwords.verifyPassword(member.passwordHash, input.currentPassword))) {
        throw new DomainError('password_invalid', 'The current password is wrong.', { field: 'currentPassword' });
      }
      const passwordHash = await passwords.hashPassword(input.newPassword);
      await repositories.transaction(async (repos) => {
        await repos.members.update(principal.instanceId, member.id, { passwordHash, mustChangePassword: false });
        await repos.memberSessions.revokeAllOf(principal.instanceId, member.id, now(), principal.sessionId);
      });
    },
  };
}

export type MemberAuthService = ReturnType<typeof createMemberAuthService>;
