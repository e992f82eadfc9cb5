// Member sign-in at the instance realm (SPEC M3, M7, U2, U3, U4, U6): e-mail and password (and the TOTP code once
// two-factor is on) against the member table, every attempt recorded (realm instance), refused for anyone who may
// not sign in (invited, disabled, pending deletion). A sign-in is a session with a rotating refresh token, as in the
// portal realm; the access token is signed by the member-auth plugin. Sessions and API keys live in the database
// and are checked on every request, so revoking a device, deleting or disabling a member ends their access at once.
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  memberCanSignIn,
  normaliseEmail,
  type AccountId,
  type InstanceId,
  type MemberId,
  type MemberRole,
  type SessionId,
} from '@photoplane/tenant-model';
import type { MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import { assertPasswordPolicy, type PasswordService } from '../platform/password.service.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { createSecretToken, hashSecretToken } from '../platform/secret-token.ts';
import { twoFactorEnabled, useTotpCode } from './two-factor.ts';
import { deviceFromUserAgent } from '../platform/user-agent.ts';

export interface MemberAuthServiceDeps {
  repositories: MemberUnitOfWork;
  passwords: PasswordService;
  /** Opens members' TOTP secrets (U6). */
  secretBox: SecretBox;
  sessionTtlSeconds: number;
  now?: () => Date;
}

/** Who a request acts as: a member, through one of their sessions (bearer token) or one of their API keys. */
export interface MemberPrincipal {
  instanceId: InstanceId;
  memberId: MemberId;
  /** Null when the request came with an API key. */
  sessionId: SessionId | null;
  /** Null when the request came with a bearer token. */
  apiKeyId: string | null;
}

export interface SignedInMember {
  instanceId: InstanceId;
  memberId: MemberId;
  sessionId: SessionId;
  refreshToken: string;
  mustChangePassword: boolean;
}

/** A member whose e-mail and password were right, before the second factor. */
export interface PasswordChecked {
  instanceId: InstanceId;
  memberId: MemberId;
  /** As typed, for the recorded attempts. */
  triedEmail: string;
  twoFactor: boolean;
  mustChangePassword: boolean;
}

export interface MemberSelf {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  mustChangePassword: boolean;
}

export interface MemberLogInInput {
  subdomain: string;
  email: string;
  password: string;
  /** Required once the member has confirmed two-factor authentication. */
  totpCode?: string | undefined;
  clientIp: string;
  userAgent?: string | undefined;
}

// One message for unknown address, wrong password and a member who may not sign in: which one it was is the secret.
const wrongCredentials = () =>
  new DomainError('unauthenticated', 'The e-mail address or password is wrong, or this account cannot sign in.');
const signedOut = () => new DomainError('unauthenticated', 'This sign-in has ended; sign in again.');
const invalidRefreshToken = () => new DomainError('unauthenticated', 'The refresh token is not valid.');
const invalidApiKey = () =>
  new DomainError('unauthenticated', 'A valid bearer access token for this instance is required.');

export function createMemberAuthService({
  repositories,
  passwords,
  secretBox,
  sessionTtlSeconds,
  now = () => new Date(),
}: MemberAuthServiceDeps) {
  const expiryFrom = (at: Date) => new Date(at.getTime() + sessionTtlSeconds * 1000);

  async function recordAttempt(
    instanceId: InstanceId,
    attempt: {
      clientIp: string;
      email: string;
      memberId: MemberId | null;
      status: 'succeeded' | 'failed' | 'throttled';
    },
  ) {
    await repositories.memberSessions.recordLoginAttempt({ instanceId, ...attempt, at: now() });
  }

  /**
   * The first step of every member sign-in (API and photo app): e-mail and password, one answer for every way it
   * can fail, each failure recorded. The owner signs in with their portal account's password (SPEC I1: one
   * identity); everyone else with the member's own.
   */
  async function verifyPassword(input: {
    subdomain: string;
    email: string;
    password: string;
    clientIp: string;
  }): Promise<PasswordChecked> {
    const tried = input.email.trim();
    const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
    const member = instance ? await repositories.members.findByEmail(instance.id, normaliseEmail(input.email)) : null;
    let passwordHash = member?.passwordHash ?? null;
    if (member?.role === 'owner' && instance) {
      passwordHash =
        (await repositories.accounts.findById(instance.owner.accountId as AccountId))?.passwordHash ?? null;
    }
    let ok = false;
    if (passwordHash) ok = await passwords.verifyPassword(passwordHash, input.password);
    else await passwords.verifyAgainstDummy(input.password);
    if (!instance || !member || !ok || !memberCanSignIn(member)) {
      if (instance) {
        await recordAttempt(instance.id, {
          clientIp: input.clientIp,
          email: tried,
          memberId: member?.id ?? null,
          status: 'failed',
        });
      }
      throw wrongCredentials();
    }
    const ids = { instanceId: instance.id, memberId: member.id };
    return {
      ...ids,
      triedEmail: tried,
      twoFactor: await twoFactorEnabled(repositories.memberAccount.twoFactor, ids),
      mustChangePassword: member.mustChangePassword,
    };
  }

  /** The second step once two-factor is on: a fresh TOTP code (U6), every failure recorded. */
  async function verifySecondFactor(
    checked: PasswordChecked,
    totpCode: string | undefined,
    clientIp: string,
  ): Promise<void> {
    const code = totpCode?.trim();
    const check = code
      ? await useTotpCode(repositories.memberAccount.twoFactor, secretBox, checked, code, now())
      : null;
    if (check === 'accepted') return;
    await recordAttempt(checked.instanceId, {
      clientIp,
      email: checked.triedEmail,
      memberId: checked.memberId,
      status: 'failed',
    });
    throw code
      ? new DomainError('unauthenticated', 'The two-factor code is wrong, expired or already used.', {
          field: 'totpCode',
          rule: 'invalid',
        })
      : new DomainError(
          'unauthenticated',
          'Two-factor authentication is on: send the 6-digit code from the authenticator app in totpCode.',
          { field: 'totpCode', rule: 'required' },
        );
  }

  return {
    verifyPassword,
    verifySecondFactor,

    /** A photo-app sign-in that passed every step (I1), recorded like an API sign-in. */
    async recordSignIn(checked: PasswordChecked, clientIp: string): Promise<void> {
      await recordAttempt(checked.instanceId, {
        clientIp,
        email: checked.triedEmail,
        memberId: checked.memberId,
        status: 'succeeded',
      });
    },

    /**
     * The forced change at sign-in (M3, M6) once password (and code) are proven: the new password replaces the one
     * that had to go, and the member's other sign-ins end.
     */
    async replaceMustChangePassword(checked: PasswordChecked, newPassword: string): Promise<void> {
      assertPasswordPolicy(newPassword, 'newPassword');
      const passwordHash = await passwords.hashPassword(newPassword);
      await repositories.transaction(async (repos) => {
        await repos.members.update(checked.instanceId, checked.memberId, { passwordHash, mustChangePassword: false });
        await repos.memberSessions.revokeAllOf(checked.instanceId, checked.memberId, now());
      });
    },

    /** The instance id behind a subdomain, for the token's audience; null when nobody holds it. */
    async instanceIdOf(subdomain: string): Promise<InstanceId | null> {
      return (await repositories.members.findInstanceBySubdomain(subdomain))?.id ?? null;
    },

    async logIn(input: MemberLogInInput): Promise<SignedInMember> {
      const checked = await verifyPassword(input);
      const ids = { instanceId: checked.instanceId, memberId: checked.memberId };
      // Past the password: only now may the answer say that a code is needed (the password proved who asks).
      if (checked.twoFactor) await verifySecondFactor(checked, input.totpCode, input.clientIp);
      const at = now();
      const { token, hash } = createSecretToken();
      const device = deviceFromUserAgent(input.userAgent);
      const sessionId = await repositories.transaction(async (repos) => {
        const id = await repos.memberSessions.create({
          ...ids,
          familyId: randomUUID(),
          refreshTokenHash: hash,
          expiresAt: expiryFrom(at),
          at,
          ...device,
        });
        await repos.memberSessions.recordLoginAttempt({
          ...ids,
          clientIp: input.clientIp,
          email: checked.triedEmail,
          status: 'succeeded',
          at,
        });
        return id;
      });
      return { ...ids, sessionId, refreshToken: token, mustChangePassword: checked.mustChangePassword };
    },

    /** A sign-in refused before its password was looked at, because the client or the address hit the limit. */
    async recordThrottledLogin(input: { subdomain: string; email: string; clientIp: string }): Promise<void> {
      const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
      if (!instance) return;
      const member = await repositories.members.findByEmail(instance.id, normaliseEmail(input.email));
      await recordAttempt(instance.id, {
        clientIp: input.clientIp,
        email: input.email.trim(),
        memberId: member?.id ?? null,
        status: 'throttled',
      });
    },

    /**
     * Trades a refresh token for a new pair, as in the portal realm (P2): a token whose session is already revoked
     * was replayed or raced a concurrent refresh, and the whole sign-in is revoked. A revoked device (U4) is
     * revoked the same way, so its refresh token is refused from that moment.
     */
    async refresh(input: { subdomain: string; refreshToken: string }): Promise<SignedInMember> {
      const instance = await repositories.members.findInstanceBySubdomain(input.subdomain);
      if (!instance) throw invalidRefreshToken();
      const at = now();
      const outcome = await repositories.transaction(async (repos) => {
        const session = await repos.memberSessions.findByRefreshTokenHash(
          instance.id,
          hashSecretToken(input.refreshToken),
        );
        if (!session || session.expiresAt <= at) return null;
        if (!(await repos.memberSessions.revoke(session.id, at))) {
          const revokedSessions = await repos.memberSessions.revokeFamily(session.familyId, at);
          await repos.auditEvents.record({
            actorType: 'system',
            actorId: null,
            action: 'session.refresh_token_reused',
            targetType: 'member',
            targetId: session.memberId,
            instanceId: instance.id,
            at,
            details: { familyId: session.familyId, sessionId: session.id, revokedSessions },
          });
          return null;
        }
        const member = await repos.members.find(instance.id, session.memberId);
        if (!member || !memberCanSignIn(member)) return null;
        const next = createSecretToken();
        const sessionId = await repos.memberSessions.create({
          instanceId: instance.id,
          memberId: session.memberId,
          familyId: session.familyId,
          refreshTokenHash: next.hash,
          expiresAt: expiryFrom(at),
          at,
          deviceType: session.deviceType,
          deviceOs: session.deviceOs,
        });
        return {
          instanceId: instance.id,
          memberId: session.memberId,
          sessionId,
          refreshToken: next.token,
          mustChangePassword: member.mustChangePassword,
        };
      });
      // Thrown only now: inside the transaction the error would roll the family's revocation back.
      if (!outcome) throw invalidRefreshToken();
      return outcome;
    },

    /** Ends the sign-in this request was made with; its refresh and access tokens stop working at once. */
    async logOut(principal: MemberPrincipal): Promise<void> {
      if (principal.sessionId)
        await repositories.memberSessions.revokeDevice(
          principal.instanceId,
          principal.memberId,
          principal.sessionId,
          now(),
        );
    },

    /** U3: the member an `x-api-key` belongs to, in this instance only; the key's last use is recorded. */
    async authenticateApiKey(instanceId: InstanceId, key: string): Promise<MemberPrincipal> {
      const found = await repositories.memberAccount.apiKeys.findByHash(instanceId, hashSecretToken(key));
      if (!found) throw invalidApiKey();
      await repositories.memberAccount.apiKeys.touch(found.id, now());
      return { instanceId, memberId: found.memberId, sessionId: null, apiKeyId: found.id };
    },

    /** For every request as a member: the session (or key) is live and the member may still sign in. */
    async assertSignedIn(principal: MemberPrincipal): Promise<MemberSelf> {
      const at = now();
      if (principal.sessionId) {
        const live = await repositories.memberSessions.isLive(
          principal.sessionId,
          principal.instanceId,
          principal.memberId,
          at,
        );
        if (!live) throw signedOut();
      }
      const member = await repositories.members.find(principal.instanceId, principal.memberId);
      if (!member || !memberCanSignIn(member)) throw signedOut();
      if (principal.sessionId) await repositories.memberSessions.touch(principal.sessionId, at);
      return {
        id: member.id,
        email: member.email,
        name: member.name,
        role: member.role,
        mustChangePassword: member.mustChangePassword,
      };
    },

    /**
     * U2 and the must-change flow (M3, M6): the current password is required, and a wrong one counts as a failed
     * sign-in (recorded like one), so this door cannot be used to guess passwords. Every other session of the
     * member is signed out; the one that asked stays.
     */
    async changePassword(
      principal: MemberPrincipal,
      input: { currentPassword: string; newPassword: string; clientIp: string },
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
        await recordAttempt(principal.instanceId, {
          clientIp: input.clientIp,
          email: member?.email ?? '',
          memberId: member?.id ?? null,
          status: 'failed',
        });
        throw new DomainError('password_invalid', 'The current password is wrong.', { field: 'currentPassword' });
      }
      const passwordHash = await passwords.hashPassword(input.newPassword);
      await repositories.transaction(async (repos) => {
        await repos.members.update(principal.instanceId, member.id, { passwordHash, mustChangePassword: false });
        await repos.memberSessions.revokeAllOf(
          principal.instanceId,
          member.id,
          now(),
          principal.sessionId ?? undefined,
        );
      });
    },
  };
}

export type MemberAuthService = ReturnType<typeof createMemberAuthService>;
