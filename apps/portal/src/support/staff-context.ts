// What every support use case shares (SPEC A5, A6): the acting member of staff, resolved once per request from the
// signed-in account (role, e-mail at the time, client address); the permission check against the tenant model's
// table; the audit row every staff action writes, reads included; the reason every change needs.
import {
  accountActor,
  DomainError,
  hasPermission,
  isStaffRole,
  resourceNotFound,
  validationError,
  type AccountActor,
  type AccountId,
  type AccountRole,
  type Permission,
} from '@photoplane/tenant-model';
import type { Prisma } from '@photoplane/db';
import type { SupportRepositories, SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { TenantRecord } from './support.repository.ts';
import type { AuditAction } from '../platform/audit-event.repository.ts';

/** The signed-in member of staff, resolved once per request. */
export interface Staff {
  accountId: AccountId;
  email: string;
  role: AccountRole;
  actor: AccountActor;
  clientIp: string;
}

export const MAX_LIST_LIMIT = 10_000;
const MAX_REASON_LENGTH = 500;

export interface StaffEvent {
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  instanceId?: string | null;
  /** Required of every change; reads have none. */
  reason?: string | null;
  details?: Prisma.InputJsonObject;
}

export function parseReason(input: unknown): string {
  const reason = typeof input === 'string' ? input.trim() : '';
  if (!reason) throw validationError('reason', 'Staff must give a reason for every change they make.', 'required');
  if (reason.length > MAX_REASON_LENGTH)
    throw validationError('reason', `The reason must be at most ${MAX_REASON_LENGTH} characters.`);
  return reason;
}

export function limitOf(limit: number | undefined, fallback = 100): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
    throw validationError('limit', `The limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  return limit;
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Refuses with 403 naming the permission; the refusal itself is audited by `authorize`. */
export function requirePermission(who: Staff, permission: Permission): void {
  if (!hasPermission(who.actor, permission))
    throw new DomainError('forbidden', `Your role (${who.role}) may not do this: ${permission}.`, { permission });
}

export function createStaffContext(repositories: SupportUnitOfWork, now: () => Date) {
  async function audit(repos: SupportRepositories, who: Staff, event: StaffEvent): Promise<void> {
    await repos.auditEvents.record({
      actorType: 'account',
      actorId: who.accountId,
      actorLabel: who.email,
      clientIp: who.clientIp,
      at: now(),
      ...event,
    });
  }

  async function requireTenant(repos: SupportRepositories, subdomain: string): Promise<TenantRecord> {
    const tenant = await repos.support.findTenant(subdomain);
    if (!tenant) throw resourceNotFound('instance');
    return tenant;
  }

  return {
    audit,
    requireTenant,

    /**
     * For permissions that depend on the target (an immediate purge, another staff account's sessions): refuses
     * with 403 naming the permission, audited outside any transaction so the refusal's row stays.
     */
    async ensure(who: Staff, permission: Permission, details: Prisma.InputJsonObject = {}): Promise<void> {
      if (hasPermission(who.actor, permission)) return;
      await audit(repositories, who, {
        action: 'support.denied',
        targetType: 'permission',
        targetId: permission,
        details: { role: who.role, ...details },
      });
      requirePermission(who, permission);
    },

    /**
     * The one way into the support area: the signed-in account, if it is staff and its role holds `permission`.
     * Anyone else is refused with 403 naming the permission, and the refusal is audited (who tried what, from where).
     */
    async authorize(
      principal: { accountId: AccountId },
      clientIp: string,
      permission: Permission,
      request: { method: string; route: string },
    ): Promise<Staff> {
      const account = await repositories.accounts.findById(principal.accountId);
      if (!account) throw new DomainError('unauthenticated', 'The account no longer exists.');
      const who: Staff = {
        accountId: account.id,
        email: account.email,
        role: account.role,
        actor: accountActor(account.id, account.role),
        clientIp,
      };
      const refusal = !isStaffRole(account.role)
        ? 'Only support staff may use the support area.'
        : !hasPermission(who.actor, permission)
          ? `Your role (${account.role}) may not do this: ${permission}.`
          : null;
      if (refusal) {
        await audit(repositories, who, {
          action: 'support.denied',
          targetType: 'permission',
          targetId: permission,
          details: { method: request.method, route: request.route, role: account.role },
        });
        throw new DomainError('forbidden', refusal, { permission });
      }
      return who;
    },
  };
}

export type StaffContext = ReturnType<typeof createStaffContext>;
