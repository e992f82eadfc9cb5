// Portal accounts (SPEC P1): sign-up with e-mail verification, password reset, and reading one's own account.
// Neither sign-up nor a reset request says whether an address has an account: both answer the same and the
// difference only shows in the mailbox of the address's owner.
import {
  DomainError,
  normaliseEmail,
  parseEmail,
  parseMemberName,
  validationError,
  type AccountId,
} from '@photoplane/tenant-model';
import type { AccountTokenPurpose, AccountTokenRecord } from './account-token.repository.ts';
import type { AccountRole } from './account.repository.ts';
import type { AccountRepositories, UnitOfWork } from '../platform/data/unit-of-work.ts';
import { uncachedViews, type ViewCache } from '../platform/data/view-cache.ts';
import type { MailService } from '../platform/mail.service.ts';
import { assertPasswordPolicy, type PasswordService } from '../platform/password.service.ts';
import { createSecretToken, hashSecretToken } from '../platform/secret-token.ts';

export interface AccountServiceDeps {
  repositories: UnitOfWork;
  passwords: PasswordService;
  mail: MailService;
  /** After signing an account out everywhere: resolves once every portal process's liveness cache heard of it. */
  sessionsEnded?: () => Promise<void>;
  /** Where the account's view is remembered between visits (issue 18); by default it is read every time. */
  views?: ViewCache;
  now?: () => Date;
  verificationTtlMs?: number;
  passwordResetTtlMs?: number;
}

export interface SignUpInput {
  email: string;
  password: string;
  name?: string | undefined;
}

export interface AccountView {
  id: AccountId;
  email: string;
  name: string | null;
  role: AccountRole;
  emailVerified: boolean;
}

const HOUR_MS = 60 * 60 * 1000;

export function createAccountService({
  repositories,
  passwords,
  mail,
  sessionsEnded,
  views = uncachedViews,
  now = () => new Date(),
  verificationTtlMs = 24 * HOUR_MS,
  passwordResetTtlMs = HOUR_MS,
}: AccountServiceDeps) {
  /**
   * Uses up a mailed token inside the caller's transaction. A token that is unknown is a bad request; one that
   * was valid once (used or expired) is gone, so the page can offer to send a new one.
   */
  async function redeemToken(
    repos: AccountRepositories,
    token: string,
    purpose: AccountTokenPurpose,
    at: Date,
  ): Promise<AccountTokenRecord> {
    const record = await repos.accountTokens.findByHash(hashSecretToken(token), purpose);
    if (!record) throw validationError('token', 'This link is not valid.');
    const gone = new DomainError('expired', 'This link has expired or was already used.', { field: 'token' });
    if (record.usedAt || record.expiresAt <= at) throw gone;
    // Conditional on "not used yet": of two concurrent redemptions exactly one gets past this line.
    if (!(await repos.accountTokens.markUsed(record.id, at))) throw gone;
    return record;
  }

  return {
    async signUp(input: SignUpInput): Promise<void> {
      const emailNormalized = parseEmail(input.email);
      const name = input.name === undefined ? null : parseMemberName(input.name);
      assertPasswordPolicy(input.password);
      // Hashed before we know whether the address is taken, so both outcomes cost the same time.
      const passwordHash = await passwords.hashPassword(input.password);
      const at = now();
      const created = await repositories.transaction(async (repos) => {
        const account = await repos.accounts.create({ email: input.email.trim(), emailNormalized, name, passwordHash });
        if (!account) return null;
        const { token, hash } = createSecretToken();
        await repos.accountTokens.create({
          accountId: account.id,
          purpose: 'verify_email',
          tokenHash: hash,
          expiresAt: new Date(at.getTime() + verificationTtlMs),
        });
        return { email: account.email, token };
      });
      if (created) {
        mail.sendEmailVerification(created.email, created.token);
        return;
      }
      // The password given here is dropped: adopting it would let anyone who knows an address set the password
      // of an account that its owner has not verified yet. The owner is told and can reset it.
      const existing = await repositories.accounts.findByEmail(emailNormalized);
      if (existing) mail.sendSignUpAttemptNotice(existing.email);
    },

    async verifyEmail(token: string): Promise<void> {
      const at = now();
      await repositories.transaction(async (repos) => {
        const record = await redeemToken(repos, token, 'verify_email', at);
        await repos.accounts.markEmailVerified(record.accountId, at);
      });
    },

    async requestPasswordReset(email: string): Promise<void> {
      const account = await repositories.accounts.findByEmail(normaliseEmail(email));
      if (!account) return;
      const { token, hash } = createSecretToken();
      await repositories.accountTokens.create({
        accountId: account.id,
        purpose: 'reset_password',
        tokenHash: hash,
        expiresAt: new Date(now().getTime() + passwordResetTtlMs),
      });
      mail.sendPasswordReset(account.email, token);
    },

    /** Sets a new password from a reset link and signs the account out everywhere. */
    async resetPassword(input: { token: string; password: string }): Promise<void> {
      assertPasswordPolicy(input.password);
      const passwordHash = await passwords.hashPassword(input.password);
      const at = now();
      await repositories.transaction(async (repos) => {
        const { accountId } = await redeemToken(repos, input.token, 'reset_password', at);
        await repos.accounts.updatePasswordHash(accountId, passwordHash);
        // Following the link proved the mailbox, as a verification link would have.
        await repos.accounts.markEmailVerified(accountId, at);
        await repos.accountTokens.markAllUsed(accountId, 'reset_password', at);
        const revokedSessions = await repos.sessions.revokeAllOfAccount(accountId, at);
        await repos.auditEvents.record({
          actorType: 'account',
          actorId: accountId,
          action: 'account.password_reset',
          targetType: 'account',
          targetId: accountId,
          at,
          details: { revokedSessions },
        });
      });
      await sessionsEnded?.();
    },

    async getAccount(accountId: AccountId): Promise<AccountView> {
      const view = await views.read(
        `account:${accountId}`,
        async (): Promise<AccountView | null> => {
          const account = await repositories.accounts.findById(accountId);
          return (
            account && {
              id: account.id,
              email: account.email,
              name: account.name,
              role: account.role,
              emailVerified: account.emailVerifiedAt !== null,
            }
          );
        },
        () => [`account:${accountId}`],
      );
      // The token outlived its account (deleted since): to the client that is a sign-in that no longer holds.
      if (!view) throw new DomainError('unauthenticated', 'The account no longer exists.');
      return view;
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
