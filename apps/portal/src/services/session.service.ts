// Portal sign-in (SPEC P2): password login, rotating refresh tokens with reuse detection, logout, and the
// per-request check that a sign-in has not been revoked. Access tokens are signed by the auth plugin; this
// service deals in sessions and refresh tokens, which live in the database.
import { randomUUID } from 'node:crypto';
import { DomainError, normaliseEmail, type AccountId, type SessionId } from '@photoplane/tenant-model';
import type { UnitOfWork } from '../repositories/unit-of-work.ts';
import type { PasswordService } from './password.service.ts';
import { createSecretToken, hashSecretToken } from './secret-token.ts';

export interface SessionServiceDeps {
  repositories: UnitOfWork;
  passwords: PasswordService;
  refreshTokenTtlSeconds: number;
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
  clientIp: string;
}

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
  now = () => new Date(),
}: SessionServiceDeps) {
  const expiryFrom = (at: Date) => new Date(at.getTime() + refreshTokenTtlSeconds * 1000);

  return {
    async logIn({ email, password, clientIp }: LogInInput): Promise<SignedIn> {
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
      const { token, hash } = createSecretToken();
      const refreshTokenExpiresAt = expiryFrom(at);
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
        const expiresAt = expiryFrom(at);
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
      if (outcome.kind !== 'rotated') throw invalidRefreshToken();
      return outcome.signedIn;
    },

    /** Ends the sign-in this session belongs to; its access tokens stop working at once. */
    async logOut({ accountId, sessionId }: { accountId: AccountId; sessionId: SessionId }): Promise<void> {
      await repositories.sessions.revokeFamilyOf(sessionId, accountId, now());
    },

    async assertSignedIn({ accountId, sessionId }: { accountId: AccountId; sessionId: SessionId }): Promise<void> {
      if (!(await repositories.sessions.isSignInLive(sessionId, accountId, now())))
        throw new DomainError('unauthenticated', 'This sign-in has ended; sign in again.');
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
