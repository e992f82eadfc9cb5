// Staff accounts (SPEC A6): accounts with the role support or superadmin, made only by a superadmin or, for the
// very first one, by the bootstrap command.
import type { AccountId, AccountRole } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface StaffRecord {
  id: AccountId;
  email: string;
  name: string | null;
  role: AccountRole;
  createdAt: Date;
  liveSessions: number;
}

export interface NewStaffAccount {
  email: string;
  emailNormalized: string;
  name: string | null;
  role: 'support' | 'superadmin';
  passwordHash: string;
  totpSecretCipher: string;
  at: Date;
}

export function createStaffRepository(db: Db) {
  return {
    async list(at: Date): Promise<StaffRecord[]> {
      const rows = await db.account.findMany({
        where: { role: { in: ['support', 'superadmin'] } },
        select: {
          id: true,
          email: true,
          name: true,
          role: true,
          createdAt: true,
          _count: { select: { sessions: { where: { revokedAt: null, expiresAt: { gt: at } } } } },
        },
        orderBy: [{ role: 'desc' }, { emailNormalized: 'asc' }],
      });
      return rows.map(({ _count, ...r }) => ({ ...r, id: r.id as AccountId, liveSessions: _count.sessions }));
    },

    async findByEmail(emailNormalized: string) {
      const row = await db.account.findUnique({
        where: { emailNormalized },
        select: {
          id: true,
          email: true,
          name: true,
          role: true,
          createdAt: true,
          _count: { select: { subscriptions: true } },
        },
      });
      return row && { ...row, id: row.id as AccountId, subscriptions: row._count.subscriptions };
    },

    /** Serialises staff changes (bootstrap, role changes, removal) so "the last superadmin" stays true. */
    async lockStaff(): Promise<void> {
      await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('photoplane:staff'))`;
    },

    async countSuperadmins(): Promise<number> {
      return db.account.count({ where: { role: 'superadmin' } });
    },

    /** Null when the e-mail is taken by any account, customer or staff. */
    async create(account: NewStaffAccount): Promise<StaffRecord | null> {
      const { at, ...data } = account;
      const rows = await db.account.createManyAndReturn({
        data: [{ ...data, emailVerifiedAt: at, createdAt: at }],
        select: { id: true, email: true, name: true, role: true, createdAt: true },
        skipDuplicates: true,
      });
      const row = rows[0];
      return row ? { ...row, id: row.id as AccountId, liveSessions: 0 } : null;
    },

    async setRole(id: AccountId, role: 'support' | 'superadmin'): Promise<void> {
      await db.account.update({ where: { id }, data: { role } });
    },

    /** Removes the account; its sessions and sign-in history go with it (foreign keys cascade). */
    async remove(id: AccountId): Promise<void> {
      await db.account.delete({ where: { id } });
    },
  };
}

export type StaffRepository = ReturnType<typeof createStaffRepository>;
