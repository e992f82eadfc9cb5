// Single-use tokens mailed to account holders. Only the SHA-256 of a token is stored.
import type { AccountId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export type AccountTokenPurpose = 'verify_email' | 'reset_password';

export interface AccountTokenRecord {
  id: string;
  accountId: AccountId;
  purpose: AccountTokenPurpose;
  expiresAt: Date;
  usedAt: Date | null;
}

export function createAccountTokenRepository(db: Db) {
  return {
    async create(token: {
      accountId: AccountId;
      purpose: AccountTokenPurpose;
      tokenHash: string;
      expiresAt: Date;
    }): Promise<void> {
      await db.accountToken.create({ data: token });
    },

    async findByHash(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountTokenRecord | null> {
      return (await db.accountToken.findFirst({
        where: { tokenHash, purpose },
        select: { id: true, accountId: true, purpose: true, expiresAt: true, usedAt: true },
      })) as AccountTokenRecord | null;
    },

    /** False when another request used it first: the conditional update is what makes a token single-use. */
    async markUsed(id: string, at: Date): Promise<boolean> {
      const { count } = await db.accountToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
      return count === 1;
    },

    /** Retires every outstanding token of one purpose, e.g. older reset links once the password was reset. */
    async markAllUsed(accountId: AccountId, purpose: AccountTokenPurpose, at: Date): Promise<void> {
      await db.accountToken.updateMany({ where: { accountId, purpose, usedAt: null }, data: { usedAt: at } });
    },
  };
}

export type AccountTokenRepository = ReturnType<typeof createAccountTokenRepository>;
