// Sign-ins (SPEC A2, A3): the login history, sessions and API keys across the fleet. Support reads them and
// revokes a member's or a customer's; a staff account's sessions are superadmin's (staff.manage), and so are
// clearing the history (logins.clear) and minting a key that acts as a member (member.apiKey).
import {
  DomainError,
  isStaffRole,
  memberNotFound,
  normaliseEmail,
  resourceNotFound,
  validationError,
  type AccountId,
} from '@photoplane/tenant-model';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { CredentialRecord } from './support.repository.ts';
import type { MemberService } from '../members/member.service.ts';
import { createSecretToken } from '../platform/secret-token.ts';
import { iso, limitOf, parseReason, requirePermission, type Staff, type StaffContext } from './staff-context.ts';

export interface LoginView {
  clientIp: string;
  user: string;
  /** `portal`, or the instance's subdomain for member sign-ins. */
  realm: string;
  status: string;
  lastLogin: string | null;
  failedAt: string | null;
  attempts: number;
}

export interface CredentialView {
  id: string;
  kind: 'session' | 'api_key';
  realm: string;
  user: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  status: 'live' | 'revoked' | 'expired';
}

function credentialView(c: CredentialRecord, now: Date): CredentialView {
  const status = c.revokedAt ? 'revoked' : c.expiresAt && c.expiresAt <= now ? 'expired' : 'live';
  return {
    id: c.id,
    kind: c.kind,
    realm: c.realm === 'portal' ? 'portal' : (c.subdomain ?? 'instance'),
    user: c.user,
    label: c.label,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: iso(c.lastUsedAt),
    expiresAt: iso(c.expiresAt),
    status,
  };
}

export function createCredentialSupport(deps: {
  repositories: SupportUnitOfWork;
  context: StaffContext;
  members: MemberService;
  now: () => Date;
  /** After a revocation: resolves once every portal process's cache of live sign-ins has dropped it (issue 18). */
  sessionsEnded?: () => Promise<void>;
}) {
  const { repositories, context, members, now } = deps;
  /** The answer only once no portal process still accepts what was revoked. */
  async function afterEnded<T>(result: T): Promise<T> {
    await deps.sessionsEnded?.();
    return result;
  }

  /** Nobody but a superadmin touches another staff account's sign-ins (checked before the transaction). */
  async function requireMayRevokeAccount(who: Staff, accountId: string | null) {
    if (!accountId || accountId === who.accountId) return;
    const owner = await repositories.accounts.findById(accountId as AccountId);
    if (owner && isStaffRole(owner.role)) await context.ensure(who, 'staff.manage', { account: owner.email });
  }

  return {
    async listLogins(who: Staff, query: { search?: string | undefined; limit?: number | undefined }) {
      requirePermission(who, 'credential.read');
      const rows = await repositories.support.listLogins({ search: query.search, limit: limitOf(query.limit) });
      await context.audit(repositories, who, {
        action: 'logins.list',
        targetType: 'login_attempt',
        targetId: null,
        details: { ...(query.search ? { search: query.search } : {}), count: rows.length },
      });
      return rows.map((r): LoginView => ({
        clientIp: r.clientIp,
        user: r.email,
        realm: r.realm === 'portal' ? 'portal' : (r.subdomain ?? 'instance'),
        status: r.status,
        lastLogin: iso(r.lastLogin),
        failedAt: iso(r.failedAt),
        attempts: r.attempts,
      }));
    },

    async clearLogins(who: Staff, reasonInput: unknown) {
      requirePermission(who, 'logins.clear');
      const reason = parseReason(reasonInput);
      return repositories.transaction(async (repos) => {
        const deleted = await repos.support.clearLogins();
        await context.audit(repos, who, {
          action: 'logins.clear',
          targetType: 'login_attempt',
          targetId: null,
          reason,
          details: { deleted },
        });
        return { deleted };
      });
    },

    async listCredentials(
      who: Staff,
      query: { search?: string | undefined; limit?: number | undefined; all?: boolean | undefined },
    ) {
      requirePermission(who, 'credential.read');
      const at = now();
      const rows = await repositories.support.listCredentials({
        search: query.search,
        limit: limitOf(query.limit),
        ...(query.all ? {} : { liveAt: at }),
      });
      await context.audit(repositories, who, {
        action: 'auth.list',
        targetType: 'credential',
        targetId: null,
        details: { ...(query.search ? { search: query.search } : {}), all: query.all ?? false, count: rows.length },
      });
      return rows.map((c) => credentialView(c, at));
    },

    async showCredential(who: Staff, id: string) {
      requirePermission(who, 'credential.read');
      const found = await repositories.support.findCredential(id);
      if (!found) throw resourceNotFound('session');
      await context.audit(repositories, who, {
        action: 'auth.show',
        targetType: found.kind,
        targetId: found.id,
        instanceId: found.instanceId,
        details: { user: found.user },
      });
      return credentialView(found, now());
    },

    /** A personal API key for a member (U3 keys): the secret is shown once here, only its SHA-256 is kept. */
    async addApiKey(who: Staff, input: { instance: string; user: string; name: string; reason: unknown }) {
      requirePermission(who, 'member.apiKey');
      const reason = parseReason(input.reason);
      const name = input.name.trim();
      if (!name || name.length > 100) throw validationError('name', 'The key needs a name of 1 to 100 characters.');
      const tenant = await context.requireTenant(repositories, input.instance);
      const found = input.user.includes('@')
        ? await repositories.support.findMemberByEmail(tenant.instanceId, normaliseEmail(input.user))
        : { id: input.user };
      if (!found) throw memberNotFound();
      // The member service's read: the member must exist in that instance and be able to act.
      const view = await members.getMember({ accountId: who.accountId }, input.instance, found.id);
      if (view.status !== 'active')
        throw new DomainError('illegal_transition', `A member who is ${view.status} cannot have API keys.`, {
          field: 'user',
        });
      const { token, hash } = createSecretToken();
      const created = await repositories.transaction(async (repos) => {
        const key = await repos.support.createApiKey({
          instanceId: tenant.instanceId,
          memberId: view.id,
          name,
          keyHash: hash,
          at: now(),
        });
        await context.audit(repos, who, {
          action: 'auth.add',
          targetType: 'api_key',
          targetId: key.id,
          instanceId: tenant.instanceId,
          reason,
          details: { memberId: view.id, name },
        });
        return key;
      });
      return { credential: credentialView(created, now()), secret: token };
    },

    async revokeCredential(who: Staff, id: string, reasonInput: unknown) {
      requirePermission(who, 'credential.revoke');
      const reason = parseReason(reasonInput);
      const at = now();
      const found = await repositories.support.findCredential(id);
      if (!found) throw resourceNotFound('session');
      await requireMayRevokeAccount(who, found.accountId);
      return afterEnded(
        await repositories.transaction(async (repos) => {
          const revoked = await repos.support.revokeCredential(found, at);
          await context.audit(repos, who, {
            action: 'auth.rm',
            targetType: found.kind,
            targetId: found.id,
            instanceId: found.instanceId,
            reason,
            details: { user: found.user, alreadyRevoked: !revoked },
          });
          return credentialView({ ...found, revokedAt: found.revokedAt ?? at }, at);
        }),
      );
    },

    /** Every session (and, for a member, API key) of one user: a portal account, or a member with `instance`. */
    async resetCredentials(who: Staff, input: { user: string; instance?: string | undefined; reason: unknown }) {
      requirePermission(who, 'credential.revoke');
      const reason = parseReason(input.reason);
      const email = normaliseEmail(input.user);
      const at = now();
      if (!input.instance) {
        const account = await repositories.support.findAccountByEmail(email);
        if (account) await requireMayRevokeAccount(who, account.id);
      }
      return afterEnded(
        await repositories.transaction(async (repos) => {
          let target: { type: string; id: string; instanceId: string | null };
          let revoked: { sessions: number; apiKeys: number };
          if (input.instance) {
            const tenant = await context.requireTenant(repos, input.instance);
            const member = await repos.support.findMemberByEmail(tenant.instanceId, email);
            if (!member) throw memberNotFound();
            revoked = await repos.support.revokeAllOfMember(tenant.instanceId, member.id, at);
            target = { type: 'member', id: member.id, instanceId: tenant.instanceId };
          } else {
            const account = await repos.support.findAccountByEmail(email);
            if (!account) throw resourceNotFound('account');
            revoked = await repos.support.revokeAllOfAccount(account.id, at);
            target = { type: 'account', id: account.id, instanceId: null };
          }
          await context.audit(repos, who, {
            action: 'auth.reset',
            targetType: target.type,
            targetId: target.id,
            instanceId: target.instanceId,
            reason,
            details: { user: email, ...revoked },
          });
          return { user: email, ...revoked };
        }),
      );
    },
  };
}
