// Portal sign-in (SPEC P2): password login, rotating refresh tokens with reuse detection, logout, and the
// per-request check that a sign-in has not been revoked. Access tokens are signed by the auth plugin; this
// service deals in sessions and refresh tokens, which live in the database.
import { randomUUID } from 'node:crypto';
import { DomainError, isStaffRole, normaliseEmail, type AccountId, type SessionId } from '@photoplane/tenant-model';
import type { UnitOfWork } from '../platform/data/unit-of-work.ts';
import type { PasswordService } from '../platform/password.service.ts';
import type { SessionLivenessCache } from './session-liveness-cache.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { createSecretToken, hashSecretToken } from '../platform/secret-token.ts';
import { matchTotpStep } from '../platform/totp.ts';

export interface SessionServiceDeps {
  repositories: UnitOfWork;
  passwords: PasswordService;
  refreshTokenTtlSeconds: number;
  /**
   * Staff (SPEC A6): their TOTP secrets' box, and how long a staff sign-in lasts at most. Staff sign-ins are not
   * extended by refreshing: after this long the CLI or the console signs in again, with a new code.
   */
  staff?: { totp: SecretBox; sessionTtlSeconds: number };
  /** Sign-ins known live in this process (issue 18); without it every request asks the database. */
  liveness?: SessionLivenessCache;
  now?: () => Date;
}

export interface SignedIn {
  accountId: AccountId;
  sessionId: SessionId;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface LogInInput {
  email: string;
  password: string;
  /** The authenticator's code; required of staff accounts. */
  totpCode?: string | undefined;
  clientIp: string;
}

/** Staff sessions are 8 hours unless configured. */
export const DEFAULT_STAFF_SESSION_TTL_SECONDS = 8 * 60 * 60;

// One message for unknown address, wrong password and unverified address: which one it was is the secret.
const wrongCredentials = () =>
  new DomainError(
    'unauthenticated',
    'The e-mail address or password is wrong, or the address has not been confirmed yet.',
  );
const invalidRefreshToken = () => new DomainError('unauthenticated', 'The refresh token is not valid.');

export function createSessionService({
  repositories,
  passwords,
  refreshTokenTtlSeconds,
  staff,
  liveness,
  now = () => new Date(),
}: SessionServiceDeps) {
  const expiryFrom = (at: Date) => new Date(at.getTime() + refreshTokenTtlSeconds * 1000);
  const staffTtl = staff?.sessionTtlSeconds ?? DEFAULT_STAFF_SESSION_TTL_SECONDS;

  /**
   * The second factor of a staff sign-in whose password was right. No code: 401 naming the field `totpCode`, so a
   * client knows to ask for one (and nothing is recorded: the password is not the secret any more at this point).
   * A wrong or replayed code is a failed attempt.
   */
  async function checkStaffCode(
    account: { id: AccountId; totpSecretCipher: string | null },
    totpCode: string | undefined,
    at: Date,
  ): Promise<boolean> {
    if (!staff || !account.totpSecretCipher)
      throw new DomainError(
        'unauthenticated',
        'This staff account has no two-factor authentication set up; ask a superadmin.',
      );
    if (!totpCode)
      throw new DomainError('unauthenticated', 'Staff accounts sign in with a code from their authenticator app.', {
        field: 'totpCode',
        twoFactorRequired: true,
      });
    const step = matchTotpStep(staff.totp.open(account.totpSecretCipher), totpCode.trim(), at);
    return step !== null && (await repositories.accounts.useTotpStep(account.id, step));
  }

  return {
    async logIn({ email, password, totpCode, clientIp }: LogInInput): Promise<SignedIn> {
      const tried = email.trim();
      const account = await repositories.accounts.findByEmail(normaliseEmail(email));
      let ok = false;
      if (account) ok = await passwords.verifyPassword(account.passwordHash, password);
      else await passwords.verifyAgainstDummy(password);
      const at = now();
      if (!account || !ok || !account.emailVerifiedAt) {
        await repositories.loginAttempts.record({
          clientIp,
          email: tried,
          accountId: account?.id ?? null,
          status: 'failed',
          at,
        });
        throw wrongCredentials();
      }
      const isStaff = isStaffRole(account.role);
      if (isStaff && !(await checkStaffCode(account, totpCode, at))) {
        await repositories.loginAttempts.record({
          clientIp,
          email: tried,
          accountId: account.id,
          status: 'failed',
          at,
        });
        throw new DomainError('unauthenticated', 'The code from the authenticator app is wrong or was already used.', {
          field: 'totpCode',
        });
      }
      const { token, hash } = createSecretToken();
      const refreshTokenExpiresAt = isStaff ? new Date(at.getTime() + staffTtl * 1000) : expiryFrom(at);
      const sessionId = await repositories.transaction(async (repos) => {
        const id = await repos.sessions.create(
          {
            accountId: account.id,
            familyId: randomUUID(),
            refreshTokenHash: hash,
            expiresAt: refreshTokenExpiresAt,
            deviceType: null,
            deviceOs: null,
          },
          at,
        );
        await repos.loginAttempts.record({ clientIp, email: tried, accountId: account.id, status: 'succeeded', at });
        return id;
      });
      return { accountId: account.id, sessionId, refreshToken: token, refreshTokenExpiresAt };
    },

    /** A sign-in refused before its password was looked at, because the client or the address hit the limit. */
    async recordThrottledLogin({ email, clientIp }: { email: string; clientIp: string }): Promise<void> {
      const account = await repositories.accounts.findByEmail(normaliseEmail(email));
      await repositories.loginAttempts.record({
        clientIp,
        email: email.trim(),
        accountId: account?.id ?? null,
        status: 'throttled',
        at: now(),
      });
    },

    /**
     * Trades a refresh token for a new one. A token whose session is already revoked was either replayed after
     * a rotation (someone holds a copy) or raced a concurrent refresh; either way the whole sign-in is revoked,
     * the newest token included, and the owner must sign in again.
     */
    async refresh(refreshToken: string): Promise<SignedIn> {
      const at = now();
      const outcome = await repositories.transaction(async (repos) => {
        const session = await repos.sessions.findByRefreshTokenHash(hashSecretToken(refreshToken));
        if (!session || session.expiresAt <= at) return { kind: 'invalid' as const };
        if (!(await repos.sessions.revoke(session.id, at))) {
          const revokedSessions = await repos.sessions.revokeFamily(session.familyId, at);
          await repos.auditEvents.record({
            actorType: 'system',
            actorId: null,
            action: 'session.refresh_token_reused',
            targetType: 'account',
            targetId: session.accountId,
            at,
            details: { familyId: session.familyId, sessionId: session.id, revokedSessions },
          });
          return { kind: 'reused' as const };
        }
        const next = createSecretToken();
        // A staff sign-in ends when it ends: refreshing does not extend it.
        const owner = await repos.accounts.findById(session.accountId);
        const expiresAt = owner && isStaffRole(owner.role) ? session.expiresAt : expiryFrom(at);
        const sessionId = await repos.sessions.create(
          {
            accountId: session.accountId,
            familyId: session.familyId,
            refreshTokenHash: next.hash,
            expiresAt,
            deviceType: session.deviceType,
            deviceOs: session.deviceOs,
          },
          at,
        );
        return {
          kind: 'rotated' as const,
          signedIn: {
            accountId: session.accountId,
            sessionId,
            refreshToken: next.token,
            refreshTokenExpiresAt: expiresAt,
          },
        };
      });
      // Thrown only now: inside the transaction the error would roll the family's revocation back.
      if (outcome.kind === 'reused') await liveness?.barrier();
      if (outcome.kind !== 'rotated') throw invalidRefreshToken();
      return outcome.signedIn;
    },

    /** Ends the sign-in this session belongs to; its access tokens stop working at once. */
    async logOut({ accountId, sessionId }: { accountId: AccountId; sessionId: SessionId }): Promise<void> {
      await repositories.sessions.revokeFamilyOf(sessionId, accountId, now());
      // Answered only once PostgreSQL has handed the revocation to every portal process's cache.
      await liveness?.barrier();
    },

    async assertSignedIn({ accountId, sessionId }: { accountId: AccountId; sessionId: SessionId }): Promise<void> {
      const at = now();
      if (liveness?.isKnownLive(sessionId, accountId, at)) return;
      const ticket = liveness?.ticket() ?? -1;
      const live = await repositories.sessions.findLiveSignIn(sessionId, accountId, at);
      if (!live) throw new DomainError('unauthenticated', 'This sign-in has ended; sign in again.');
      liveness?.remember(ticket, sessionId, {
        accountId,
        familyId: live.familyId,
        liveUntil: live.liveUntil.getTime(),
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
