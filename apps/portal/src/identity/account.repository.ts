// Portal accounts (customers and staff).
import { isUuid } from '@photoplane/tenant-model';
import type { AccountId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import type { PreparedSql } from '../platform/data/prepared.ts';

export type AccountRole = 'customer' | 'support' | 'superadmin';

export interface AccountRecord {
  id: AccountId;
  email: string;
  emailNormalized: string;
  name: string | null;
  role: AccountRole;
  passwordHash: string;
  emailVerifiedAt: Date | null;
  /** Staff only: the sealed TOTP secret, and the step of the last code accepted. */
  totpSecretCipher: string | null;
  totpLastUsedStep: number | null;
}

export interface NewAccount {
  email: string;
  emailNormalized: string;
  name: string | null;
  passwordHash: string;
}

const columns = {
  id: true,
  email: true,
  emailNormalized: true,
  name: true,
  role: true,
  passwordHash: true,
  emailVerifiedAt: true,
  totpSecretCipher: true,
  totpLastUsedStep: true,
} as const;

export function createAccountRepository(db: Db, prepared?: PreparedSql) {
  return {
    async findByEmail(emailNormalized: string): Promise<AccountRecord | null> {
      return (await db.account.findUnique({ where: { emailNormalized }, select: columns })) as AccountRecord | null;
    },

    async findById(id: AccountId): Promise<AccountRecord | null> {
      if (prepared) {
        if (!isUuid(id)) return null;
        const rows = await prepared.rows<AccountRecord>(
          'portal-account-by-id',
          `SELECT "id", "email", "emailNormalized", "name", "role"::text AS "role", "passwordHash", "emailVerifiedAt",
                  "totpSecretCipher", "totpLastUsedStep"
             FROM "account" WHERE "id" = $1::uuid`,
          [id],
        );
        return rows[0] ?? null;
      }
      return (await db.account.findUnique({ where: { id }, select: columns })) as AccountRecord | null;
    },

    /** Null when the e-mail is taken (a concurrent sign-up won the unique index). */
    async create(account: NewAccount): Promise<AccountRecord | null> {
      const rows = await db.account.createManyAndReturn({ data: [account], select: columns, skipDuplicates: true });
      return (rows[0] as AccountRecord | undefined) ?? null;
    },

    /** Keeps the first verification time if the address was already proven. */
    async markEmailVerified(id: AccountId, at: Date): Promise<void> {
      await db.account.updateMany({ where: { id, emailVerifiedAt: null }, data: { emailVerifiedAt: at } });
    },

    /** Records `step` as the last TOTP code used; false if that step or a later one was already used (a replay). */
    async useTotpStep(id: AccountId, step: number): Promise<boolean> {
      const { count } = await db.account.updateMany({
        where: { id, OR: [{ totpLastUsedStep: null }, { totpLastUsedStep: { lt: step } }] },
        data: { totpLastUsedStep: step },
      });
      return count === 1;
    },

    async updatePasswordHash(id: AccountId, passwordHash: string): Promise<void> {
      await db.account.update({ where: { id }, data: { passwordHash } });
    },
  };
}

export type AccountRepository = ReturnType<typeof createAccountRepository>;
