// Support staff's use cases (SPEC A1-A5), shared by the support API and the `photoplane` CLI: tenants (list, show,
// suspend, resume, reprovision, remove, usage), an instance's users through the member service (its quota, sync and
// deletion rules are not repeated here), login history, sessions and API keys, and the audit log.
// Every call first resolves the acting account and asks the tenant model whether its role may do this; every change
// needs a reason and writes an audit row (who, with their e-mail at the time, what, on what, why) in the same
// transaction as the change.
import type { InstanceOperation } from '@photoplane/provisioner/shared';
import {
  accountActor,
  DomainError,
  hasPermission,
  instanceEventsAllowed,
  instanceStates,
  memberNotFound,
  normaliseEmail,
  resourceNotFound,
  usageStats,
  validationError,
  type AccountActor,
  type AccountId,
  type InstanceEvent,
  type InstanceId,
  type InstanceState,
  type MemberId,
  type Permission,
} from '@photoplane/tenant-model';
import type { Prisma } from '@photoplane/db';
import type { SupportRepositories, SupportUnitOfWork } from '../repositories/support-unit-of-work.ts';
import type { CredentialRecord, TenantRecord } from '../repositories/support.repository.ts';
import type { InstanceOperations } from './instance-operations.ts';
import type { MemberPatch, MemberService, MemberView, NewMemberInput } from './member.service.ts';
import { assertPasswordPolicy, type PasswordService } from './password.service.ts';
import { createSecretToken } from './secret-token.ts';

/** Who asks: the signed-in account (API) or the account the CLI acts as. */
export interface StaffRef {
  accountId: AccountId;
}

export interface Staff {
  accountId: AccountId;
  email: string;
  actor: AccountActor;
}

export const MAX_LIST_LIMIT = 10_000;
const MAX_REASON_LENGTH = 500;

export interface TenantView {
  subdomain: string;
  instanceId: string;
  state: InstanceState;
  subscriptionState: string;
  plan: string;
  owner: string;
  host: string | null;
  provisioningStep: string | null;
  members: number;
  createdAt: string;
}

export interface TenantUsage {
  subdomain: string;
  state: InstanceState;
  members: number;
  planBytes: string;
  allocatedBytes: string;
  usedBytes: string;
  freeBytes: string;
  usedPercent: number;
}

export interface TenantDetail extends TenantView {
  subscriptionId: string;
  currentPeriodEnd: string | null;
  ownerName: string | null;
  planBytes: string;
  imageRef: string | null;
  appHostPort: number | null;
  lastError: string | null;
  usage: TenantUsage;
}

export interface AuditView {
  id: string;
  at: string;
  actorId: string | null;
  actor: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  instanceId: string | null;
  reason: string | null;
  details: Prisma.JsonValue;
}

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

export interface SupportServiceDeps {
  repositories: SupportUnitOfWork;
  members: MemberService;
  passwords: PasswordService;
  operations: InstanceOperations;
  now?: () => Date;
}

/** The instance event each operation starts with, and the state in which it has nothing left to do. */
const operationStart: Record<InstanceOperation, { event: InstanceEvent; done: InstanceState | null }> = {
  suspend: { event: 'suspend_started', done: 'suspended' },
  resume: { event: 'resume_started', done: 'active' },
  deprovision: { event: 'deprovision_started', done: 'deprovisioned' },
  reprovision: { event: 'reprovision_started', done: null },
};

export function parseReason(input: unknown): string {
  const reason = typeof input === 'string' ? input.trim() : '';
  if (!reason) throw validationError('reason', 'Staff must give a reason for every change they make.', 'required');
  if (reason.length > MAX_REASON_LENGTH)
    throw validationError('reason', `The reason must be at most ${MAX_REASON_LENGTH} characters.`);
  return reason;
}

export function parseInstanceState(input: string, field = 'state'): InstanceState {
  if ((instanceStates as readonly string[]).includes(input)) return input as InstanceState;
  throw validationError(field, `The state must be one of ${instanceStates.join(', ')}.`);
}

function limitOf(limit: number | undefined, fallback = 100): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
    throw validationError('limit', `The limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  return limit;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function tenantView(t: TenantRecord): TenantView {
  return {
    subdomain: t.subdomain,
    instanceId: t.instanceId,
    state: t.instanceState,
    subscriptionState: t.subscriptionState,
    plan: t.planId,
    owner: t.owner.email,
    host: t.hostName,
    provisioningStep: t.provisioningStep,
    members: t.membersCount,
    createdAt: t.createdAt.toISOString(),
  };
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

export function createSupportService({
  repositories,
  members,
  passwords,
  operations,
  now = () => new Date(),
}: SupportServiceDeps) {
  /** The acting account, if it is staff and its role holds `permission`; customers are refused outright. */
  async function staff(ref: StaffRef, permission: Permission = 'tenant.support'): Promise<Staff> {
    const account = await repositories.accounts.findById(ref.accountId);
    if (!account) throw new DomainError('unauthenticated', 'The account no longer exists.');
    const actor = accountActor(account.id, account.role);
    if (!hasPermission(actor, 'tenant.support'))
      throw new DomainError('forbidden', 'Only support staff may use the support area.', { permission });
    if (!hasPermission(actor, permission))
      throw new DomainError('forbidden', `Your role (${account.role}) may not do this: ${permission}.`, {
        permission,
      });
    return { accountId: account.id, email: account.email, actor };
  }

  async function audit(
    repos: SupportRepositories,
    who: Staff,
    event: {
      action: string;
      targetType: string;
      targetId: string | null;
      instanceId?: string | null;
      reason: string;
      details?: Prisma.InputJsonObject;
    },
  ) {
    await repos.auditEvents.record({
      actorType: 'account',
      actorId: who.accountId,
      actorLabel: who.email,
      at: now(),
      ...event,
    });
  }

  async function requireTenant(repos: SupportRepositories, subdomain: string): Promise<TenantRecord> {
    const tenant = await repos.support.findTenant(subdomain);
    if (!tenant) throw resourceNotFound('instance');
    return tenant;
  }

  async function usageOf(repos: SupportRepositories, t: TenantRecord): Promise<TenantUsage> {
    const stats = usageStats(t.planBytes, await repos.members.quotaMembers(t.instanceId as InstanceId));
    return {
      subdomain: t.subdomain,
      state: t.instanceState,
      members: t.membersCount,
      planBytes: stats.planBytes.toString(),
      allocatedBytes: stats.allocatedBytes.toString(),
      usedBytes: stats.usedBytes.toString(),
      freeBytes: stats.freeBytes.toString(),
      usedPercent: stats.usedBasisPoints / 100,
    };
  }

  /** A member of the instance by id or e-mail address; anything else reads exactly like nobody. */
  async function memberIdOf(subdomain: string, user: string): Promise<string> {
    if (!user.includes('@')) return user;
    const tenant = await requireTenant(repositories, subdomain);
    const member = await repositories.support.findMemberByEmail(tenant.instanceId, normaliseEmail(user));
    if (!member) throw memberNotFound();
    return member.id;
  }

  const asAdmin = (who: Staff, reason?: string) => ({ accountId: who.accountId, reason });

  return {
    staff,

    // ----- audit (A5) ----------------------------------------------------------------------------------------
    async listAudit(
      ref: StaffRef,
      query: { instance?: string | undefined; actor?: string | undefined; since?: Date | undefined; limit?: number },
    ): Promise<AuditView[]> {
      await staff(ref, 'staff.audit');
      let instanceId: string | undefined;
      if (query.instance) {
        // A removed instance's rows are still wanted: fall back to the instance id itself.
        const tenant = await repositories.support.findTenant(query.instance);
        instanceId = tenant?.instanceId ?? (/^[0-9a-f-]{36}$/i.test(query.instance) ? query.instance : undefined);
        if (!instanceId) throw resourceNotFound('instance');
      }
      const rows = await repositories.support.listAudit({
        instanceId,
        actor: query.actor,
        since: query.since,
        limit: limitOf(query.limit),
      });
      return rows.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actorId: r.actorId,
        actor: r.actorLabel,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        instanceId: r.instanceId,
        reason: r.reason,
        details: r.details,
      }));
    },

    // ----- tenants (A4) --------------------------------------------------------------------------------------
    async listTenants(
      ref: StaffRef,
      query: { search?: string | undefined; state?: string | undefined; limit?: number | undefined },
    ): Promise<TenantView[]> {
      await staff(ref, 'tenant.read');
      const rows = await repositories.support.listTenants({
        search: query.search,
        state: query.state ? parseInstanceState(query.state) : undefined,
        limit: limitOf(query.limit),
      });
      return rows.map(tenantView);
    },

    async showTenant(ref: StaffRef, subdomain: string): Promise<TenantDetail> {
      await staff(ref, 'tenant.read');
      const t = await requireTenant(repositories, subdomain);
      return {
        ...tenantView(t),
        subscriptionId: t.subscriptionId,
        currentPeriodEnd: iso(t.currentPeriodEnd),
        ownerName: t.owner.name,
        planBytes: t.planBytes.toString(),
        imageRef: t.imageRef,
        appHostPort: t.appHostPort,
        lastError: t.lastError,
        usage: await usageOf(repositories, t),
      };
    },

    /** Per instance: what the plan gives, what quotas allocate, what is used, how many members. */
    async usageReport(
      ref: StaffRef,
      query: { search?: string | undefined; state?: string | undefined; limit?: number | undefined },
    ): Promise<TenantUsage[]> {
      await staff(ref, 'tenant.read');
      const rows = await repositories.support.listTenants({
        search: query.search,
        state: query.state ? parseInstanceState(query.state) : undefined,
        limit: limitOf(query.limit),
      });
      const report: TenantUsage[] = [];
      for (const t of rows) report.push(await usageOf(repositories, t));
      return report;
    },

    /**
     * Starts the provisioner's workflow for `operation` (rm is deprovision, which needs tenant.delete). The audit row
     * is written in the transaction that starts the workflow: a start Temporal refuses rolls the row back.
     */
    async operateTenant(ref: StaffRef, subdomain: string, operation: InstanceOperation, reasonInput: unknown) {
      const who = await staff(ref, operation === 'deprovision' ? 'tenant.delete' : 'tenant.support');
      const reason = parseReason(reasonInput);
      return repositories.transaction(async (repos) => {
        const tenant = await requireTenant(repos, subdomain);
        const { event, done } = operationStart[operation];
        if (tenant.instanceState !== done && !instanceEventsAllowed(tenant.instanceState).includes(event)) {
          throw new DomainError(
            'illegal_transition',
            `Cannot ${operation} an instance that is ${tenant.instanceState}.`,
            { field: 'state', state: tenant.instanceState },
          );
        }
        await audit(repos, who, {
          action: `tenant.${operation}`,
          targetType: 'instance',
          targetId: tenant.instanceId,
          instanceId: tenant.instanceId,
          reason,
          details: { subdomain: tenant.subdomain, stateBefore: tenant.instanceState },
        });
        const started = await operations.start(operation, tenant.instanceId);
        return { subdomain: tenant.subdomain, operation, state: tenant.instanceState, workflowId: started.workflowId };
      });
    },

    // ----- users = members of an instance (A1), through the member service ------------------------------------
    async listUsers(ref: StaffRef, subdomain: string, search?: string): Promise<MemberView[]> {
      const who = await staff(ref, 'member.read');
      return members.listMembers(asAdmin(who), subdomain, search);
    },

    async showUser(ref: StaffRef, subdomain: string, user: string): Promise<MemberView> {
      const who = await staff(ref, 'member.read');
      return members.getMember(asAdmin(who), subdomain, await memberIdOf(subdomain, user));
    },

    /** Adds by invitation or with a random password shown once; `noLogin` then disables the new member at once. */
    async addUser(ref: StaffRef, subdomain: string, input: NewMemberInput & { noLogin?: boolean; reason: unknown }) {
      const who = await staff(ref, 'member.create');
      const reason = parseReason(input.reason);
      const { noLogin, reason: _reason, ...member } = input;
      const created = await members.addMember(asAdmin(who, reason), subdomain, member);
      if (!noLogin) return created;
      const disabled = await members.updateMember(asAdmin(who, reason), subdomain, created.member.id, {
        noLogin: true,
      });
      return { ...created, member: disabled };
    },

    async modUser(ref: StaffRef, subdomain: string, user: string, patch: MemberPatch & { reason: unknown }) {
      const who = await staff(ref, 'member.update');
      const { reason, ...changes } = patch;
      const memberId = await memberIdOf(subdomain, user);
      return members.updateMember(asAdmin(who, parseReason(reason)), subdomain, memberId, changes);
    },

    async removeUser(
      ref: StaffRef,
      subdomain: string,
      user: string,
      options: { reason: unknown; immediate?: boolean | undefined; confirm?: string | undefined },
    ) {
      const who = await staff(ref, 'member.delete');
      const memberId = await memberIdOf(subdomain, user);
      return members.deleteMember(asAdmin(who, parseReason(options.reason)), subdomain, memberId, options);
    },

    /** SPEC M6 through the member service: a random password shown once, to be changed at the next sign-in. */
    async resetUser(ref: StaffRef, subdomain: string, user: string, reasonInput: unknown) {
      const who = await staff(ref, 'member.update');
      const memberId = await memberIdOf(subdomain, user);
      return members.resetPassword(asAdmin(who, parseReason(reasonInput)), subdomain, memberId);
    },

    /** `users mod --disable-2fa` (SPEC A1, U6): recovery for a member who lost their authenticator. */
    async disableUserTwoFactor(ref: StaffRef, subdomain: string, user: string, reasonInput: unknown): Promise<void> {
      const who = await staff(ref, 'member.update');
      const memberId = await memberIdOf(subdomain, user);
      await members.disableTwoFactor(asAdmin(who, parseReason(reasonInput)), subdomain, memberId);
    },

    /**
     * `passwd`: a password staff chose (as PhotoPrism's), for an active or disabled member. Their other sign-ins end,
     * and they must change it at the next sign-in, since someone else knows it.
     */
    async setUserPassword(ref: StaffRef, subdomain: string, user: string, password: string, reasonInput: unknown) {
      const who = await staff(ref, 'member.update');
      const reason = parseReason(reasonInput);
      assertPasswordPolicy(password);
      // Read through the member service: the same access check and the same "no such member" for anyone else.
      const view = await members.getMember(asAdmin(who), subdomain, await memberIdOf(subdomain, user));
      if (view.status !== 'active' && view.status !== 'disabled') {
        throw new DomainError('illegal_transition', `Cannot set the password of a member who is ${view.status}.`, {
          field: 'status',
        });
      }
      const passwordHash = await passwords.hashPassword(password);
      const at = now();
      const tenant = await requireTenant(repositories, subdomain);
      await repositories.transaction(async (repos) => {
        await repos.members.update(tenant.instanceId as InstanceId, view.id as MemberId, {
          passwordHash,
          mustChangePassword: true,
        });
        const revoked = await repos.support.revokeAllOfMember(tenant.instanceId, view.id, at);
        await audit(repos, who, {
          action: 'member.password_set',
          targetType: 'member',
          targetId: view.id,
          instanceId: tenant.instanceId,
          reason,
          details: { revokedSessions: revoked.sessions },
        });
      });
      return members.getMember(asAdmin(who), subdomain, view.id);
    },

    // ----- login history (A2) --------------------------------------------------------------------------------
    async listLogins(ref: StaffRef, query: { search?: string | undefined; limit?: number | undefined }) {
      await staff(ref, 'staff.auth');
      const rows = await repositories.support.listLogins({ search: query.search, limit: limitOf(query.limit) });
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

    async clearLogins(ref: StaffRef, reasonInput: unknown) {
      const who = await staff(ref, 'staff.auth');
      const reason = parseReason(reasonInput);
      return repositories.transaction(async (repos) => {
        const deleted = await repos.support.clearLogins();
        await audit(repos, who, {
          action: 'logins.clear',
          targetType: 'login_attempt',
          targetId: null,
          reason,
          details: { deleted },
        });
        return { deleted };
      });
    },

    // ----- sessions and API keys (A3) ------------------------------------------------------------------------
    async listCredentials(
      ref: StaffRef,
      query: { search?: string | undefined; limit?: number | undefined; all?: boolean | undefined },
    ) {
      await staff(ref, 'staff.auth');
      const at = now();
      const rows = await repositories.support.listCredentials({
        search: query.search,
        limit: limitOf(query.limit),
        ...(query.all ? {} : { liveAt: at }),
      });
      return rows.map((c) => credentialView(c, at));
    },

    async showCredential(ref: StaffRef, id: string) {
      await staff(ref, 'staff.auth');
      const found = await repositories.support.findCredential(id);
      if (!found) throw resourceNotFound('session');
      return credentialView(found, now());
    },

    /** A personal API key for a member (U3 keys): the secret is shown once here, only its SHA-256 is kept. */
    async addApiKey(ref: StaffRef, input: { instance: string; user: string; name: string; reason: unknown }) {
      const who = await staff(ref, 'staff.auth');
      const reason = parseReason(input.reason);
      const name = input.name.trim();
      if (!name || name.length > 100) throw validationError('name', 'The key needs a name of 1 to 100 characters.');
      // The member service's read: the member must exist in that instance and be able to act.
      const view = await members.getMember(asAdmin(who), input.instance, await memberIdOf(input.instance, input.user));
      if (view.status !== 'active')
        throw new DomainError('illegal_transition', `A member who is ${view.status} cannot have API keys.`, {
          field: 'user',
        });
      const tenant = await requireTenant(repositories, input.instance);
      const { token, hash } = createSecretToken();
      const created = await repositories.transaction(async (repos) => {
        const key = await repos.support.createApiKey({
          instanceId: tenant.instanceId,
          memberId: view.id,
          name,
          keyHash: hash,
          at: now(),
        });
        await audit(repos, who, {
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

    async revokeCredential(ref: StaffRef, id: string, reasonInput: unknown) {
      const who = await staff(ref, 'staff.auth');
      const reason = parseReason(reasonInput);
      const at = now();
      return repositories.transaction(async (repos) => {
        const found = await repos.support.findCredential(id);
        if (!found) throw resourceNotFound('session');
        const revoked = await repos.support.revokeCredential(found, at);
        await audit(repos, who, {
          action: 'auth.rm',
          targetType: found.kind,
          targetId: found.id,
          instanceId: found.instanceId,
          reason,
          details: { user: found.user, alreadyRevoked: !revoked },
        });
        return credentialView({ ...found, revokedAt: found.revokedAt ?? at }, at);
      });
    },

    /** Every session (and, for a member, API key) of one user: a portal account, or a member with `instance`. */
    async resetCredentials(ref: StaffRef, input: { user: string; instance?: string | undefined; reason: unknown }) {
      const who = await staff(ref, 'staff.auth');
      const reason = parseReason(input.reason);
      const email = normaliseEmail(input.user);
      const at = now();
      return repositories.transaction(async (repos) => {
        let target: { type: string; id: string; instanceId: string | null };
        let revoked: { sessions: number; apiKeys: number };
        if (input.instance) {
          const tenant = await requireTenant(repos, input.instance);
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
        await audit(repos, who, {
          action: 'auth.reset',
          targetType: target.type,
          targetId: target.id,
          instanceId: target.instanceId,
          reason,
          details: { user: email, ...revoked },
        });
        return { user: email, ...revoked };
      });
    },
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
