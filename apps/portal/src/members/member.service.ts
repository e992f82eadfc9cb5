// The instance owner's (or staff's) administration of members (SPEC M1-M8, seed 000): list, add by invitation or
// with a password shown once, edit, reset a password, delete (after the instance's delay, or at once), restore,
// the deletion delay, and usage stats. Every use case first asks the access layer whether this actor may act on
// this instance and these member ids; a member of another instance reads exactly like a random id (memberNotFound).
// The photo app follows through the member sync workflow, started after each commit.
import { randomUUID } from 'node:crypto';
import {
  accountActor,
  changeMemberRole,
  checkAccess,
  checkAcceptsMembers,
  checkAllocation,
  createInvitation,
  createMember,
  DomainError,
  deletionDeadline,
  memberNotFound,
  normaliseEmail,
  parseDeletionDelayDays,
  parseMemberName,
  parseMemberRole,
  parseStorageLabel,
  quotaFromGib,
  quotaToGib,
  requireAccess,
  resourceNotFound,
  restoreMember,
  scheduleDeletion,
  setMemberDisabled,
  usageStats,
  validationError,
  type AccessPort,
  type AccountId,
  type AccountRole,
  type Actor,
  type InstanceId,
  type InstanceState,
  type InvitationId,
  type Member,
  type MemberId,
  type MemberRole,
  type MemberStatus,
  type Permission,
} from '@photoplane/tenant-model';
import type { MemberRepositories, MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import { uncachedViews, type ViewCache } from '../platform/data/view-cache.ts';
import { toDomainMember, type MemberInstance, type MemberRecord } from './member.repository.ts';
import type { MemberMailService } from './member-mail.service.ts';
import type { MemberSync } from './member-workflows.ts';
import type { PasswordService } from '../platform/password.service.ts';
import { generatePassword } from '../platform/random-password.ts';
import { createSecretToken } from '../platform/secret-token.ts';
import type { AuditAction } from '../platform/audit-event.repository.ts';

export interface MemberServiceDeps {
  repositories: MemberUnitOfWork;
  passwords: PasswordService;
  mail: MemberMailService;
  sync: MemberSync;
  log: { error(details: object, message: string): void };
  now?: () => Date;
  invitationTtlHours?: number;
  /** Where the members' view is remembered between visits (issue 18); by default it is read every time. */
  views?: ViewCache;
}

export interface AdminPrincipal {
  accountId: AccountId;
  /** Why a member of staff makes this change (SPEC A5); required of staff for every change, recorded in the audit. */
  reason?: string | undefined;
  /** Where the request came from, for the audit row (SPEC A5). */
  clientIp?: string | undefined;
}

export interface MemberView {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  status: MemberStatus;
  /** 0 = unlimited (seed 000). */
  quotaGiB: number;
  quotaBytes: string | null;
  usageBytes: string;
  storageLabel: string | null;
  mustChangePassword: boolean;
  noLogin: boolean;
  deletion: { requestedAt: string; immediate: boolean; deleteAt: string } | null;
  createdAt: string;
}

export interface NewMemberInput {
  name: string;
  email: string;
  quotaGiB?: number | undefined;
  storageLabel?: string | null | undefined;
  role?: string | undefined;
  mode: 'invite' | 'password';
  mustChangePassword?: boolean | undefined;
}

export interface MemberPatch {
  name?: string | undefined;
  role?: string | undefined;
  quotaGiB?: number | undefined;
  storageLabel?: string | null | undefined;
  noLogin?: boolean | undefined;
}

interface Authorized {
  instance: MemberInstance;
  actor: Actor;
  label: string;
}

const instanceNotFound = () => resourceNotFound('instance');

function conflictOn(field: 'email' | 'storageLabel'): DomainError {
  return field === 'email'
    ? new DomainError('conflict', 'A member with this e-mail address already exists.', { field: 'email' })
    : new DomainError('conflict', 'Another member already uses this storage label.', { field: 'storageLabel' });
}

export function toMemberView(record: MemberRecord, deletionDelayDays: number): MemberView {
  const deadline = deletionDeadline(toDomainMember(record), deletionDelayDays);
  return {
    id: record.id,
    email: record.email,
    name: record.name,
    role: record.role,
    status: record.status,
    quotaGiB: quotaToGib(record.quotaBytes),
    quotaBytes: record.quotaBytes === null ? null : record.quotaBytes.toString(),
    usageBytes: record.usageBytes.toString(),
    storageLabel: record.storageLabel,
    mustChangePassword: record.mustChangePassword,
    noLogin: record.status === 'disabled',
    deletion:
      record.status === 'pending_deletion' && record.deletionRequestedAt && deadline
        ? {
            requestedAt: record.deletionRequestedAt.toISOString(),
            immediate: record.deletionImmediate,
            deleteAt: deadline.toISOString(),
          }
        : null,
    createdAt: record.createdAt.toISOString(),
  };
}

export function createMemberService({
  repositories,
  passwords,
  mail,
  sync,
  log,
  now = () => new Date(),
  invitationTtlHours,
  views = uncachedViews,
}: MemberServiceDeps) {
  const { access } = repositories;
  // The members list and stats as answered, per set of member rows the view cache remembers (the same array until a
  // row of the instance changes): both follow from those rows and the instance read with them.
  const listed = new WeakMap<MemberRecord[], MemberView[]>();
  const counted = new WeakMap<MemberRecord[], MemberStats>();

  /**
   * The instance by subdomain, if this account may administer it: its owner (the account paying for the
   * subscription, acting as the instance's owner member, SPEC M1) or staff. Any other account reads "no such
   * instance", the same as a subdomain nobody holds.
   */
  async function authorizeInstance(principal: AdminPrincipal, subdomain: string): Promise<Authorized> {
    const account = await repositories.accounts.findById(principal.accountId);
    if (!account) throw new DomainError('unauthenticated', 'The account no longer exists.');
    const instance = await repositories.members.findInstanceBySubdomain(subdomain);
    if (!instance) throw instanceNotFound();
    const asAccount = accountActor(account.id, account.role);
    const tenantPermission = account.role === 'customer' ? 'tenant.read' : 'tenant.support';
    const granted = await checkAccess(access, asAccount, tenantPermission, [instance.id]);
    if (!granted.has(instance.id)) throw instanceNotFound();
    if (account.role !== 'customer') return { instance, actor: asAccount, label: account.email };
    const owner = await ensureOwner(instance);
    return {
      instance,
      actor: { kind: 'member', memberId: owner.id, instanceId: instance.id, role: 'owner' },
      label: account.email,
    };
  }

  /**
   * authorizeInstance and every member row of the instance in one statement (issue 18: the member pages are read
   * on every visit). The rule is still the tenant model's: checkAccess is asked with a port that answers the one
   * ownership question from the row that statement read. The first visit ever (no owner row yet) takes the long way.
   */
  async function authorizeWithMembers(
    principal: AdminPrincipal,
    subdomain: string,
  ): Promise<{ authorized: Authorized; members: MemberRecord[] }> {
    const view = await views.read(
      `members:${principal.accountId}:${subdomain.toLowerCase()}`,
      () => repositories.members.findAdminView(principal.accountId, subdomain),
      (v) => v.tags,
    );
    const { account, instance } = view;
    if (!account) throw new DomainError('unauthenticated', 'The account no longer exists.');
    if (!instance) throw instanceNotFound();
    const role = account.role as AccountRole;
    const asAccount = accountActor(account.id as AccountId, role);
    const read: AccessPort = {
      ...access,
      instance: {
        checkAccountAccess: (accountId, ids) =>
          Promise.resolve(
            new Set([...ids].filter((id) => id === instance.id && instance.owner.accountId === accountId)),
          ),
      },
    };
    const granted = await checkAccess(read, asAccount, role === 'customer' ? 'tenant.read' : 'tenant.support', [
      instance.id,
    ]);
    if (!granted.has(instance.id)) throw instanceNotFound();
    if (role !== 'customer')
      return { authorized: { instance, actor: asAccount, label: account.email }, members: view.members };
    const owner = view.members.find((m) => m.role === 'owner');
    if (!owner) {
      const authorized = await authorizeInstance(principal, subdomain);
      return { authorized, members: await repositories.members.list(authorized.instance.id) };
    }
    return {
      authorized: {
        instance,
        actor: { kind: 'member', memberId: owner.id, instanceId: instance.id, role: 'owner' },
        label: account.email,
      },
      members: view.members,
    };
  }

  /** SPEC M1: the owner is the instance's first member; the row is made the first time anyone administers it. */
  async function ensureOwner(instance: MemberInstance): Promise<MemberRecord> {
    const existing = await repositories.members.findOwner(instance.id);
    if (existing) return existing;
    const emailNormalized = normaliseEmail(instance.owner.email);
    await repositories.members.createIfAbsent({
      instanceId: instance.id,
      email: instance.owner.email,
      emailNormalized,
      name: instance.owner.name ?? instance.owner.email,
      role: 'owner',
      status: 'active',
      storageLabel: null,
      quotaBytes: null,
      mustChangePassword: false,
      passwordHash: null,
      photoAppUserId: instance.photoAppOwnerId,
    });
    const owner = await repositories.members.findOwner(instance.id);
    if (!owner)
      throw new Error(`instance ${instance.id}: the owner's e-mail is taken by a member who is not the owner`);
    return owner;
  }

  /** Checks the instance-level permission (create, settings) for the actor. */
  async function requireOnInstance(authorized: Authorized, permission: 'member.create' | 'instance.settings') {
    // Staff hold no instance.settings of their own; tenant.support is their right to change an instance.
    const p: Permission =
      authorized.actor.kind === 'account' && permission === 'instance.settings' ? 'tenant.support' : permission;
    await requireAccess(access, authorized.actor, p as 'member.create', [authorized.instance.id]);
  }

  /** The member, if the actor may do `permission` on them; memberNotFound for anything else, whoever's it is. */
  async function requireMember(
    repos: MemberRepositories,
    authorized: Authorized,
    permission: 'member.read' | 'member.update' | 'member.delete',
    memberId: string,
  ): Promise<MemberRecord> {
    await requireAccess(repos.access, authorized.actor, permission, [memberId as MemberId]);
    const record = await repos.members.find(authorized.instance.id, memberId);
    if (!record) throw memberNotFound();
    return record;
  }

  async function audit(
    repos: MemberRepositories,
    principal: AdminPrincipal,
    authorized: Authorized,
    action: AuditAction,
    memberId: string,
    details: Record<string, string | number | boolean | null> = {},
  ) {
    await repos.auditEvents.record({
      actorType: 'account',
      actorId: principal.accountId,
      actorLabel: authorized.label,
      action,
      targetType: 'member',
      targetId: memberId,
      instanceId: authorized.instance.id,
      at: now(),
      reason: staffReason(principal, authorized),
      clientIp: principal.clientIp ?? null,
      details: { actorLabel: authorized.label, ...details },
    });
  }

  /**
   * Staff must say why they change a customer's instance (SPEC A5). Checked here, inside the transaction that writes
   * the audit row, so a change without a reason is rolled back whole; the owner needs none.
   */
  function staffReason(principal: AdminPrincipal, authorized: Authorized): string | null {
    const reason = principal.reason?.trim() || null;
    if (authorized.actor.kind === 'account' && reason === null)
      throw validationError('reason', 'Staff must give a reason for every change they make.', 'required');
    return reason;
  }

  /** After the commit: the row is the truth, so a failed start is logged and the next change or run catches up. */
  async function startSync(instanceId: InstanceId, memberId: MemberId) {
    try {
      await sync.syncMember({ instanceId, memberId });
    } catch (err) {
      log.error({ err, instanceId, memberId }, 'could not start the member sync workflow');
    }
  }

  async function assertAllocation(
    repos: MemberRepositories,
    instance: MemberInstance,
    memberId: MemberId,
    quotaBytes: bigint | null,
  ) {
    const check = checkAllocation(instance.planBytes, await repos.members.quotaMembers(instance.id), {
      memberId,
      quotaBytes,
    });
    if (!check.ok) {
      // The request names the field quotaGiB; bytesAvailable says how much could still be given.
      throw new DomainError('quota_exceeded', check.error.message, { ...check.error.details, field: 'quotaGiB' });
    }
  }

  function invitationFor(member: Pick<Member, 'id' | 'instanceId' | 'email' | 'status'>, at: Date) {
    return createInvitation({
      id: randomUUID() as InvitationId,
      member,
      now: at,
      ...(invitationTtlHours === undefined ? {} : { ttlHours: invitationTtlHours }),
    });
  }

  return {
    async listMembers(principal: AdminPrincipal, subdomain: string, search?: string) {
      if (!search?.trim()) {
        const { authorized, members } = await authorizeWithMembers(principal, subdomain);
        let answer = listed.get(members);
        if (!answer) {
          answer = members
            .filter((m) => m.status !== 'deleted')
            .map((row) => toMemberView(row, authorized.instance.deletionDelayDays));
          listed.set(members, answer);
        }
        return answer;
      }
      const authorized = await authorizeInstance(principal, subdomain);
      const rows = await repositories.members.list(authorized.instance.id, search);
      return rows.map((row) => toMemberView(row, authorized.instance.deletionDelayDays));
    },

    async getMember(principal: AdminPrincipal, subdomain: string, memberId: string) {
      const authorized = await authorizeInstance(principal, subdomain);
      const record = await requireMember(repositories, authorized, 'member.read', memberId);
      return toMemberView(record, authorized.instance.deletionDelayDays);
    },

    /** SPEC M2/M3. Returns the generated password in 'password' mode: the only time it is ever shown. */
    async addMember(principal: AdminPrincipal, subdomain: string, input: NewMemberInput) {
      const authorized = await authorizeInstance(principal, subdomain);
      await requireOnInstance(authorized, 'member.create');
      const { instance } = authorized;
      const open = checkAcceptsMembers(instance.state as InstanceState);
      if (!open.ok) throw open.error;
      const id = randomUUID() as MemberId;
      const member = createMember({
        id,
        instanceId: instance.id,
        email: input.email,
        name: input.name,
        role: input.role,
        quotaGib: input.quotaGiB,
        storageLabel: input.storageLabel ?? null,
        initialPassword: input.mode === 'password',
        mustChangePassword: input.mustChangePassword ?? true,
      });
      const password = input.mode === 'password' ? generatePassword() : null;
      const passwordHash = password === null ? null : await passwords.hashPassword(password);
      const at = now();
      const created = await repositories.transaction(async (repos) => {
        await repos.members.lockInstance(instance.id);
        const conflict = await repos.members.findConflict(instance.id, {
          emailNormalized: member.email,
          storageLabel: member.storageLabel,
        });
        if (conflict) throw conflictOn(conflict);
        await assertAllocation(repos, instance, id, member.quotaBytes);
        const record = await repos.members.create({
          id,
          instanceId: instance.id,
          email: input.email.trim(),
          emailNormalized: member.email,
          name: member.name,
          role: member.role,
          status: member.status,
          storageLabel: member.storageLabel,
          quotaBytes: member.quotaBytes,
          mustChangePassword: member.mustChangePassword,
          passwordHash,
        });
        let invitation: { token: string; expiresAt: Date } | null = null;
        if (input.mode === 'invite') {
          const invite = invitationFor(member, at);
          const { token, hash } = createSecretToken();
          await repos.invitations.create({
            instanceId: instance.id,
            memberId: id,
            tokenHash: hash,
            createdAt: invite.createdAt,
            expiresAt: invite.expiresAt,
          });
          invitation = { token, expiresAt: invite.expiresAt };
        }
        await audit(repos, principal, authorized, 'member.create', id, { mode: input.mode });
        return { record, invitation };
      });
      if (created.invitation) {
        mail.sendInvitation({
          to: created.record.email,
          name: created.record.name,
          subdomain: instance.subdomain,
          invitedBy: instance.owner.name ?? instance.owner.email,
          token: created.invitation.token,
          expiresAt: created.invitation.expiresAt,
        });
      } else {
        await startSync(instance.id, id);
      }
      return {
        member: toMemberView(created.record, instance.deletionDelayDays),
        ...(password === null ? {} : { password }),
        ...(created.invitation ? { invitationExpiresAt: created.invitation.expiresAt.toISOString() } : {}),
      };
    },

    /** Name, role, quota (re-checked against the plan), storage label (unique) and no-login (SPEC M4, M5). */
    async updateMember(principal: AdminPrincipal, subdomain: string, memberId: string, patch: MemberPatch) {
      const authorized = await authorizeInstance(principal, subdomain);
      const { instance } = authorized;
      const at = now();
      const updated = await repositories.transaction(async (repos) => {
        await repos.members.lockInstance(instance.id);
        const record = await requireMember(repos, authorized, 'member.update', memberId);
        let member = toDomainMember(record);
        if (member.status === 'pending_deletion') {
          throw new DomainError('illegal_transition', 'This member is scheduled for deletion; restore them first.', {
            field: 'status',
          });
        }
        if (patch.name !== undefined) member = { ...member, name: parseMemberName(patch.name) };
        if (patch.role !== undefined && patch.role !== member.role)
          member = changeMemberRole(member, parseMemberRole(patch.role));
        if (patch.quotaGiB !== undefined) {
          const quotaBytes = quotaFromGib(patch.quotaGiB, 'quotaGiB');
          await assertAllocation(repos, instance, member.id, quotaBytes);
          member = { ...member, quotaBytes };
        }
        if (patch.storageLabel !== undefined) {
          const storageLabel = patch.storageLabel === null ? null : parseStorageLabel(patch.storageLabel);
          const conflict = await repos.members.findConflict(instance.id, { id: member.id, storageLabel });
          if (conflict) throw conflictOn(conflict);
          member = { ...member, storageLabel };
        }
        if (patch.noLogin !== undefined) member = setMemberDisabled(member, patch.noLogin);
        const saved = await repos.members.update(instance.id, member.id, {
          name: member.name,
          role: member.role,
          quotaBytes: member.quotaBytes,
          storageLabel: member.storageLabel,
          status: member.status,
        });
        if (saved.status === 'disabled' && record.status !== 'disabled') {
          await repos.memberSessions.revokeAllOf(instance.id, member.id, at);
          await repos.memberSessions.deleteApiKeysOf(instance.id, member.id);
        }
        await audit(repos, principal, authorized, 'member.update', member.id, {
          fields: Object.keys(patch).join(','),
        });
        return saved;
      });
      await startSync(instance.id, updated.id);
      return toMemberView(updated, instance.deletionDelayDays);
    },

    /** SPEC M6: a random password, shown once; the member must change it at the next sign-in. */
    async resetPassword(principal: AdminPrincipal, subdomain: string, memberId: string) {
      const authorized = await authorizeInstance(principal, subdomain);
      const { instance } = authorized;
      const password = generatePassword();
      const passwordHash = await passwords.hashPassword(password);
      const at = now();
      const updated = await repositories.transaction(async (repos) => {
        const record = await requireMember(repos, authorized, 'member.update', memberId);
        if (record.status === 'pending_deletion') {
          throw new DomainError('illegal_transition', 'This member is scheduled for deletion; restore them first.', {
            field: 'status',
          });
        }
        // An invited member who never registered is switched to the password: their link stops working.
        await repos.invitations.revokeAllOf(instance.id, record.id, at);
        await repos.memberSessions.revokeAllOf(instance.id, record.id, at);
        const saved = await repos.members.update(instance.id, record.id, {
          passwordHash,
          mustChangePassword: true,
          ...(record.status === 'invited' ? { status: 'active' as const } : {}),
        });
        await audit(repos, principal, authorized, 'member.password_reset', record.id);
        return saved;
      });
      await startSync(instance.id, updated.id);
      return { member: toMemberView(updated, instance.deletionDelayDays), password };
    },

    /**
     * SPEC U6, recovery: the owner (or staff) turns a member's two-factor authentication off, e.g. after a lost
     * phone; the member signs in with the password alone and may enrol again. Audited; nothing to do is no error.
     */
    async disableTwoFactor(principal: AdminPrincipal, subdomain: string, memberId: string): Promise<void> {
      const authorized = await authorizeInstance(principal, subdomain);
      await repositories.transaction(async (repos) => {
        const record = await requireMember(repos, authorized, 'member.update', memberId);
        const removed = await repos.memberAccount.twoFactor.remove(authorized.instance.id, record.id);
        await audit(repos, principal, authorized, 'member.two_factor_disabled', record.id, { removed });
      });
    },

    /**
     * SPEC M7: disabled at once (status pending_deletion, sessions and API keys revoked); removed by the midnight
     * purge once the instance's delay has passed, or at once when `immediate` (irreversible, so the member's
     * e-mail must be typed as confirmation).
     */
    async deleteMember(
      principal: AdminPrincipal,
      subdomain: string,
      memberId: string,
      options: { immediate?: boolean | undefined; confirm?: string | undefined },
    ) {
      const authorized = await authorizeInstance(principal, subdomain);
      const { instance } = authorized;
      const at = now();
      const updated = await repositories.transaction(async (repos) => {
        const record = await requireMember(repos, authorized, 'member.delete', memberId);
        const immediate = options.immediate ?? false;
        if (immediate && normaliseEmail(options.confirm ?? '') !== record.emailNormalized) {
          throw validationError(
            'confirm',
            "Immediate deletion cannot be undone: confirm it with the member's e-mail address.",
            'confirmation',
          );
        }
        const { member } = scheduleDeletion(toDomainMember(record), at, instance.deletionDelayDays, { immediate });
        const saved = await repos.members.update(instance.id, record.id, {
          status: 'pending_deletion',
          deletionRequestedAt: member.deletion!.requestedAt,
          deletionImmediate: member.deletion!.immediate,
          statusBeforeDeletion: member.deletion!.previousStatus,
        });
        const revokedSessions = await repos.memberSessions.revokeAllOf(instance.id, record.id, at);
        const deletedApiKeys = await repos.memberSessions.deleteApiKeysOf(instance.id, record.id);
        await repos.invitations.revokeAllOf(instance.id, record.id, at);
        await audit(repos, principal, authorized, 'member.delete', record.id, {
          immediate,
          revokedSessions,
          deletedApiKeys,
        });
        return saved;
      });
      await startSync(instance.id, updated.id);
      return toMemberView(updated, instance.deletionDelayDays);
    },

    /** SPEC M7: back to the status before deletion, strictly before the deadline under today's delay. */
    async restoreMember(principal: AdminPrincipal, subdomain: string, memberId: string) {
      const authorized = await authorizeInstance(principal, subdomain);
      const { instance } = authorized;
      const updated = await repositories.transaction(async (repos) => {
        await repos.members.lockInstance(instance.id);
        const record = await requireMember(repos, authorized, 'member.delete', memberId);
        const member = restoreMember(toDomainMember(record), now(), instance.deletionDelayDays);
        const saved = await repos.members.update(instance.id, record.id, {
          status: member.status,
          deletionRequestedAt: null,
          deletionImmediate: false,
          statusBeforeDeletion: null,
        });
        await audit(repos, principal, authorized, 'member.restore', record.id);
        return saved;
      });
      await startSync(instance.id, updated.id);
      return toMemberView(updated, instance.deletionDelayDays);
    },

    /**
     * The instance's shared links support has taken down at the edge (issue 14), newest first, lifted ones included:
     * which link (its first characters), why, since when. Who at the operator did it is staff's business.
     */
    async blockedLinks(principal: AdminPrincipal, subdomain: string) {
      const authorized = await authorizeInstance(principal, subdomain);
      const blocks = await repositories.linkBlocks.list({ instanceId: authorized.instance.id, limit: 100 });
      const refusals = await repositories.linkBlocks.refusals(authorized.instance.id, 100);
      return {
        refused: refusals.map((r) => ({
          kind: r.kind as 'key' | 'slug', // CHECKs keep these columns to their values
          hint: r.hint,
          rule: r.rule as 'password' | 'expiry',
          firstAt: r.firstAt.toISOString(),
          lastAt: r.lastAt.toISOString(),
        })),
        links: blocks.map((b) => ({
          id: b.id,
          kind: b.kind as 'key' | 'slug', // a CHECK keeps the column to these two
          hint: b.hint,
          reason: b.reason,
          blockedAt: b.createdAt.toISOString(),
          liftedAt: b.liftedAt ? b.liftedAt.toISOString() : null,
          liftReason: b.liftReason,
        })),
      };
    },

    /** The instance's member settings as they stand (the deletion delay, M7). */
    async getSettings(principal: AdminPrincipal, subdomain: string) {
      const authorized = await authorizeInstance(principal, subdomain);
      return { deletionDelayDays: authorized.instance.deletionDelayDays };
    },

    /** The delay is read by the purge at run time, so a change applies to members already pending (seed 000). */
    async updateSettings(principal: AdminPrincipal, subdomain: string, settings: { deletionDelayDays: number }) {
      const authorized = await authorizeInstance(principal, subdomain);
      await requireOnInstance(authorized, 'instance.settings');
      const deletionDelayDays = parseDeletionDelayDays(settings.deletionDelayDays);
      await repositories.transaction(async (repos) => {
        await repos.members.setDeletionDelay(authorized.instance.id, deletionDelayDays);
        await repos.auditEvents.record({
          actorType: 'account',
          actorId: principal.accountId,
          actorLabel: authorized.label,
          reason: staffReason(principal, authorized),
          clientIp: principal.clientIp ?? null,
          action: 'instance.settings',
          targetType: 'instance',
          targetId: authorized.instance.id,
          instanceId: authorized.instance.id,
          at: now(),
          details: { deletionDelayDays, previous: authorized.instance.deletionDelayDays },
        });
      });
      // Immich purges soft-deleted users after its own delay: it must follow at once, not at the next reconcile.
      try {
        await sync.applyPhotoAppConfig({ instanceId: authorized.instance.id });
      } catch (err) {
        log.error({ err, instanceId: authorized.instance.id }, 'could not start the photo-app settings workflow');
      }
      return { deletionDelayDays };
    },

    /** SPEC M8: each member's usage and share of their quota; the instance's total against the plan. */
    async stats(principal: AdminPrincipal, subdomain: string): Promise<MemberStats> {
      const { authorized, members } = await authorizeWithMembers(principal, subdomain);
      let answer = counted.get(members);
      if (!answer) {
        answer = statsOf(authorized.instance, members);
        counted.set(members, answer);
      }
      return answer;
    },
  };
}

/** SPEC M8 over an instance's member rows (deleted ones count towards nothing but are in the sums' input). */
function statsOf(instance: MemberInstance, members: MemberRecord[]) {
  const rows = members.filter((m) => m.status !== 'deleted');
  const quotaMembers = members.map(({ id, quotaBytes, usageBytes, status }) => ({
    id,
    quotaBytes,
    usageBytes,
    status,
  }));
  const stats = usageStats(instance.planBytes, quotaMembers);
  const byId = new Map(stats.members.map((m) => [m.memberId as string, m]));
  const percent = (basisPoints: number) => basisPoints / 100;
  return {
    planBytes: stats.planBytes.toString(),
    usedBytes: stats.usedBytes.toString(),
    allocatedBytes: stats.allocatedBytes.toString(),
    unallocatedBytes: stats.unallocatedBytes.toString(),
    freeBytes: stats.freeBytes.toString(),
    usedPercent: percent(stats.usedBasisPoints),
    members: rows.flatMap((row) => {
      const usage = byId.get(row.id);
      if (!usage) return [];
      return [
        {
          id: row.id,
          name: row.name,
          email: row.email,
          status: row.status,
          usageBytes: usage.usageBytes.toString(),
          quotaGiB: quotaToGib(usage.quotaBytes),
          quotaBytes: usage.quotaBytes === null ? null : usage.quotaBytes.toString(),
          effectiveLimitBytes: usage.effectiveLimitBytes.toString(),
          quotaPercent: usage.quotaBasisPoints === null ? null : percent(usage.quotaBasisPoints),
        },
      ];
    }),
  };
}

/** What `stats` answers. */
export type MemberStats = ReturnType<typeof statsOf>;

export type MemberService = ReturnType<typeof createMemberService>;
