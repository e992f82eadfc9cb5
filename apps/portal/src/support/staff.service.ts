// Staff accounts (SPEC A6): their own accounts, never a customer's turned into staff by e-mail. A superadmin adds,
// lists, removes them and changes their role; the very first superadmin comes from the bootstrap command, which
// refuses once any superadmin exists. Every staff account has two-factor from the start: its password and its TOTP
// secret are generated, shown once, and stored only as an argon2id hash and a sealed secret.
import {
  DomainError,
  isStaffRole,
  normaliseEmail,
  resourceNotFound,
  validationError,
  type AccountRole,
} from '@photoplane/tenant-model';
import type { SupportRepositories, SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { StaffRecord } from '../identity/staff.repository.ts';
import type { PasswordService } from '../platform/password.service.ts';
import { generatePassword } from '../platform/random-password.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { generateTotpSecret, otpauthUri } from '../platform/totp.ts';
import { parseReason, requirePermission, type Staff, type StaffContext } from './staff-context.ts';

export type StaffRole = 'support' | 'superadmin';

export interface StaffView {
  id: string;
  email: string;
  name: string | null;
  role: AccountRole;
  createdAt: string;
  liveSessions: number;
}

export interface NewStaffCredentials {
  staff: StaffView;
  /** Shown once. */
  password: string;
  /** Shown once: the base32 secret and the URI authenticator apps read from a QR code. */
  totpSecret: string;
  otpauthUri: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function parseStaffRole(input: unknown, field = 'role'): StaffRole {
  if (input === 'support' || input === 'superadmin') return input;
  throw validationError(field, 'The role must be support or superadmin.');
}

function parseEmail(input: unknown): { email: string; emailNormalized: string } {
  const email = typeof input === 'string' ? input.trim() : '';
  if (!EMAIL.test(email) || email.length > 254) throw validationError('email', 'A valid e-mail address is required.');
  return { email, emailNormalized: normaliseEmail(email) };
}

const staffView = (s: StaffRecord): StaffView => ({
  id: s.id,
  email: s.email,
  name: s.name,
  role: s.role,
  createdAt: s.createdAt.toISOString(),
  liveSessions: s.liveSessions,
});

export function createStaffSupport(deps: {
  repositories: SupportUnitOfWork;
  context: StaffContext;
  passwords: PasswordService;
  /** Seals staff TOTP secrets (TOTP_ENCRYPTION_KEY, purpose photoplane/staff-totp/v1). */
  totpBox: SecretBox;
  totpIssuer?: string;
  now: () => Date;
  /** After a removal: resolves once every portal process's cache of live sign-ins dropped its sessions (issue 18). */
  sessionsEnded?: () => Promise<void>;
}) {
  const { repositories, context, passwords, totpBox, now } = deps;
  const issuer = deps.totpIssuer ?? 'Photoplane staff';

  async function createAccount(
    repos: SupportRepositories,
    input: { email: string; emailNormalized: string; name: string | null; role: StaffRole },
  ): Promise<NewStaffCredentials> {
    const password = generatePassword();
    const totpSecret = generateTotpSecret();
    const created = await repos.staff.create({
      ...input,
      passwordHash: await passwords.hashPassword(password),
      totpSecretCipher: totpBox.seal(totpSecret),
      at: now(),
    });
    if (!created)
      throw new DomainError(
        'conflict',
        'An account with this e-mail address exists; staff accounts are accounts of their own, never a customer made staff.',
        { field: 'email' },
      );
    return {
      staff: staffView(created),
      password,
      totpSecret,
      otpauthUri: otpauthUri({ secret: totpSecret, issuer, account: input.email }),
    };
  }

  /** The staff account `email`, refusing customers and unknown addresses alike ("no such staff account"). */
  async function requireStaffAccount(repos: SupportRepositories, email: string) {
    const found = await repos.staff.findByEmail(normaliseEmail(email));
    if (!found || !isStaffRole(found.role)) throw resourceNotFound('staff');
    return found;
  }

  async function keepOneSuperadmin(repos: SupportRepositories, role: AccountRole) {
    if (role === 'superadmin' && (await repos.staff.countSuperadmins()) <= 1)
      throw new DomainError('conflict', 'This is the last superadmin; make another one first.', { field: 'role' });
  }

  return {
    /**
     * The first superadmin (`photoplane-admin bootstrap`): refused once any superadmin exists, so it cannot be used to
     * make a second one, nor change an existing account's role.
     */
    async bootstrapSuperadmin(input: { email: unknown; name?: string | undefined }): Promise<NewStaffCredentials> {
      const address = parseEmail(input.email);
      return repositories.transaction(async (repos) => {
        await repos.staff.lockStaff();
        if ((await repos.staff.countSuperadmins()) > 0)
          throw new DomainError('conflict', 'A superadmin exists already; a superadmin adds further staff.', {
            field: 'email',
          });
        const made = await createAccount(repos, { ...address, name: input.name ?? null, role: 'superadmin' });
        await repos.auditEvents.record({
          actorType: 'system',
          actorId: null,
          actorLabel: 'bootstrap',
          action: 'staff.bootstrap',
          targetType: 'account',
          targetId: made.staff.id,
          at: now(),
          details: { email: made.staff.email },
        });
        return made;
      });
    },

    async listStaff(who: Staff): Promise<StaffView[]> {
      requirePermission(who, 'staff.manage');
      const rows = await repositories.staff.list(now());
      await context.audit(repositories, who, {
        action: 'staff.list',
        targetType: 'account',
        targetId: null,
        details: { count: rows.length },
      });
      return rows.map(staffView);
    },

    async addStaff(who: Staff, input: { email: unknown; name?: string | undefined; role: unknown; reason: unknown }) {
      requirePermission(who, 'staff.manage');
      const reason = parseReason(input.reason);
      const address = parseEmail(input.email);
      const role = parseStaffRole(input.role);
      return repositories.transaction(async (repos) => {
        const made = await createAccount(repos, { ...address, name: input.name ?? null, role });
        await context.audit(repos, who, {
          action: 'staff.add',
          targetType: 'account',
          targetId: made.staff.id,
          reason,
          details: { email: made.staff.email, role },
        });
        return made;
      });
    },

    /** Changes a staff account's role; the last superadmin cannot be demoted. */
    async setStaffRole(who: Staff, email: string, roleInput: unknown, reasonInput: unknown): Promise<StaffView> {
      requirePermission(who, 'staff.manage');
      const role = parseStaffRole(roleInput);
      const reason = parseReason(reasonInput);
      return repositories.transaction(async (repos) => {
        await repos.staff.lockStaff();
        const target = await requireStaffAccount(repos, email);
        if (target.role !== role) {
          await keepOneSuperadmin(repos, target.role);
          await repos.staff.setRole(target.id, role);
        }
        await context.audit(repos, who, {
          action: 'staff.role',
          targetType: 'account',
          targetId: target.id,
          reason,
          details: { email: target.email, from: target.role, to: role },
        });
        const [updated] = (await repos.staff.list(now())).filter((s) => s.id === target.id);
        return staffView(updated!);
      });
    },

    /** Removes a staff account and its sessions; not oneself, not the last superadmin. */
    async removeStaff(who: Staff, email: string, reasonInput: unknown): Promise<{ email: string }> {
      requirePermission(who, 'staff.manage');
      const reason = parseReason(reasonInput);
      const removed = await repositories.transaction(async (repos) => {
        await repos.staff.lockStaff();
        const target = await requireStaffAccount(repos, email);
        if (target.id === who.accountId)
          throw new DomainError('conflict', 'You cannot remove your own account; ask another superadmin.', {
            field: 'email',
          });
        await keepOneSuperadmin(repos, target.role);
        if (target.subscriptions > 0)
          throw new DomainError('conflict', 'This account pays for subscriptions; it cannot be removed.', {
            field: 'email',
          });
        await repos.staff.remove(target.id);
        await context.audit(repos, who, {
          action: 'staff.rm',
          targetType: 'account',
          targetId: target.id,
          reason,
          details: { email: target.email, role: target.role },
        });
        return { email: target.email };
      });
      await deps.sessionsEnded?.();
      return removed;
    },
  };
}
