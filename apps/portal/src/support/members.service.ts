// An instance's users (SPEC A1) through the member service, whose quota, sync and deletion rules are not repeated
// here; it writes the audit row of each change (with the staff reason and address). Reads are audited here.
// Members are addressed by id or e-mail within one instance, resolved once per call by `resolveMember`.
import {
  DomainError,
  type InstanceId,
  isUuid,
  type MemberId,
  memberNotFound,
  normaliseEmail,
} from '@photoplane/tenant-model';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type {
  AdminPrincipal,
  MemberPatch,
  MemberService,
  MemberView,
  NewMemberInput,
} from '../members/member.service.ts';
import { assertPasswordPolicy, type PasswordService } from '../platform/password.service.ts';
import { parseReason, requirePermission, type Staff, type StaffContext } from './staff-context.ts';
import type { AuditAction } from '../platform/audit-event.repository.ts';

export function createMemberSupport(deps: {
  repositories: SupportUnitOfWork;
  context: StaffContext;
  members: MemberService;
  passwords: PasswordService;
  now: () => Date;
}) {
  const { repositories, context, members, passwords, now } = deps;

  const asAdmin = (who: Staff, reason?: string): AdminPrincipal => ({
    accountId: who.accountId,
    reason,
    clientIp: who.clientIp,
  });

  /** "Member USER of instance SUBDOMAIN": by id or e-mail; anything else reads exactly like nobody. */
  async function resolveMember(subdomain: string, user: string) {
    const tenant = await context.requireTenant(repositories, subdomain);
    if (!user.includes('@')) {
      if (!isUuid(user)) throw memberNotFound();
      return { tenant, memberId: user };
    }
    const member = await repositories.support.findMemberByEmail(tenant.instanceId, normaliseEmail(user));
    if (!member) throw memberNotFound();
    return { tenant, memberId: member.id };
  }

  async function auditRead(who: Staff, action: AuditAction, instanceId: string, targetId: string | null, details = {}) {
    await context.audit(repositories, who, {
      action,
      targetType: targetId ? 'member' : 'instance',
      targetId: targetId ?? instanceId,
      instanceId,
      details,
    });
  }

  return {
    async listUsers(who: Staff, subdomain: string, search?: string): Promise<MemberView[]> {
      requirePermission(who, 'member.read');
      const list = await members.listMembers(asAdmin(who), subdomain, search);
      const tenant = await context.requireTenant(repositories, subdomain);
      await auditRead(who, 'member.list', tenant.instanceId, null, {
        ...(search ? { search } : {}),
        count: list.length,
      });
      return list;
    },

    async showUser(who: Staff, subdomain: string, user: string): Promise<MemberView> {
      requirePermission(who, 'member.read');
      const { tenant, memberId } = await resolveMember(subdomain, user);
      const view = await members.getMember(asAdmin(who), subdomain, memberId);
      await auditRead(who, 'member.show', tenant.instanceId, view.id);
      return view;
    },

    /** Adds by invitation or with a random password shown once; `noLogin` then disables the new member at once. */
    async addUser(who: Staff, subdomain: string, input: NewMemberInput & { noLogin?: boolean; reason: unknown }) {
      requirePermission(who, 'member.create');
      const reason = parseReason(input.reason);
      const { noLogin, reason: _reason, ...member } = input;
      const created = await members.addMember(asAdmin(who, reason), subdomain, member);
      if (!noLogin) return created;
      const disabled = await members.updateMember(asAdmin(who, reason), subdomain, created.member.id, {
        noLogin: true,
      });
      return { ...created, member: disabled };
    },

    async modUser(who: Staff, subdomain: string, user: string, patch: MemberPatch & { reason: unknown }) {
      requirePermission(who, 'member.update');
      const { reason, ...changes } = patch;
      const { memberId } = await resolveMember(subdomain, user);
      return members.updateMember(asAdmin(who, parseReason(reason)), subdomain, memberId, changes);
    },

    /** Deletion after the instance's delay (support), or at once (superadmin: member.purge, irreversible). */
    async removeUser(
      who: Staff,
      subdomain: string,
      user: string,
      options: { reason: unknown; immediate?: boolean | undefined; confirm?: string | undefined },
    ) {
      requirePermission(who, 'member.delete');
      if (options.immediate) await context.ensure(who, 'member.purge', { subdomain, user });
      const { memberId } = await resolveMember(subdomain, user);
      return members.deleteMember(asAdmin(who, parseReason(options.reason)), subdomain, memberId, options);
    },

    /** SPEC M6 through the member service: a random password shown once, to be changed at the next sign-in. */
    async resetUser(who: Staff, subdomain: string, user: string, reasonInput: unknown) {
      requirePermission(who, 'member.update');
      const { memberId } = await resolveMember(subdomain, user);
      return members.resetPassword(asAdmin(who, parseReason(reasonInput)), subdomain, memberId);
    },

    /** `users mod --disable-2fa` (SPEC A1, U6): recovery for a member who lost their authenticator. */
    async disableUserTwoFactor(who: Staff, subdomain: string, user: string, reasonInput: unknown): Promise<void> {
      requirePermission(who, 'member.update');
      const { memberId } = await resolveMember(subdomain, user);
      await members.disableTwoFactor(asAdmin(who, parseReason(reasonInput)), subdomain, memberId);
    },

    /**
     * `passwd`: a password staff chose (as PhotoPrism's), for an active or disabled member. Their other sign-ins end,
     * and they must change it at the next sign-in, since someone else knows it.
     */
    async setUserPassword(who: Staff, subdomain: string, user: string, password: string, reasonInput: unknown) {
      requirePermission(who, 'member.update');
      const reason = parseReason(reasonInput);
      assertPasswordPolicy(password);
      const { tenant, memberId } = await resolveMember(subdomain, user);
      // Read through the member service: the same access check and the same "no such member" for anyone else.
      const view = await members.getMember(asAdmin(who), subdomain, memberId);
      if (view.status !== 'active' && view.status !== 'disabled') {
        throw new DomainError('illegal_transition', `Cannot set the password of a member who is ${view.status}.`, {
          field: 'status',
        });
      }
      const passwordHash = await passwords.hashPassword(password);
      const at = now();
      await repositories.transaction(async (repos) => {
        await repos.members.update(tenant.instanceId as InstanceId, view.id as MemberId, {
          passwordHash,
          mustChangePassword: true,
        });
        const revoked = await repos.support.revokeAllOfMember(tenant.instanceId, view.id, at);
        await context.audit(repos, who, {
          action: 'member.password_set',
          targetType: 'member',
          targetId: view.id,
          instanceId: tenant.instanceId,
          reason,
          details: { revokedSessions: revoked.sessions },
        });
      });
      return { ...view, mustChangePassword: true };
    },
  };
}
