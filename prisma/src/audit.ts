// The audit log (SPEC A5): one way to write a row, shared by the portal and the provisioner's activities, and the
// one list of what an action may be called. A new action is added here, so the support API's filters, the tests
// and the docs have a single place to read them from.
import type { Prisma } from './generated/prisma/client.ts';

export const auditActions = [
  // Accounts and sessions (SPEC P1, P2).
  'account.password_reset',
  'session.refresh_token_reused',
  // Members (SPEC M1-M8), by their admins or by themselves.
  'member.create',
  'member.update',
  'member.delete',
  'member.restore',
  'member.password_reset',
  'member.password_reset_by_link',
  'member.password_set',
  'member.two_factor_disabled',
  'member.purged',
  'instance.settings',
  // The photo app put back in line by the worker (issue 10: roll-up cannot be escaped in its admin screens).
  'photo_app.config_reasserted',
  'photo_app.quota_reasserted',
  'photo_app.user_adopted',
  'photo_app.user_refused',
  // Billing (SPEC P5-P8) and the subscription workflow.
  'subscription.state_changed',
  'subscription.plan_changed',
  'subscription.plan_change_refused',
  'subscription.checkout_completed_after_release',
  'subscription.checkout_expired',
  'subscription.staff_hold',
  'subscription.staff_hold_lifted',
  // The storage watchdog (issue 13): an instance over its plan's hard limit held, and released.
  'subscription.storage_hold',
  'subscription.storage_hold_lifted',
  // Backups and restores (SPEC F1), by the worker.
  'backup.succeeded',
  'backup.failed',
  'backup.repository_corrupted',
  'restore.started',
  'restore.succeeded',
  'restore.failed',
  // An inspection stack removed (or its removal failed), by the worker.
  'inspection.removed',
  'inspection.remove_failed',
  // The owner's export of their library (SPEC F1, seed 001): asked by the owner, made and expired by the worker,
  // each download by its link.
  'export.requested',
  'export.ready',
  'export.failed',
  'export.downloaded',
  'export.expired',
  // Fleet upgrades (SPEC F3): the rollout's own state changes, by the worker.
  'fleet.upgrade.running',
  'fleet.upgrade.paused',
  'fleet.upgrade.halted',
  'fleet.upgrade.completed',
  'fleet.upgrade.cancelled',
  // Staff (SPEC A1-A6): reads are audited like changes.
  'support.denied',
  'staff.bootstrap',
  'staff.add',
  'staff.rm',
  'staff.role',
  'staff.list',
  'tenant.list',
  'tenant.show',
  'tenant.usage',
  'tenant.suspend',
  'tenant.resume',
  'tenant.deprovision',
  'tenant.reprovision',
  'tenant.backups',
  'tenant.backup',
  'tenant.restore',
  'tenant.inspections',
  'tenant.inspection.remove',
  'fleet.upgrade.start',
  'fleet.upgrade.list',
  'fleet.upgrade.show',
  'fleet.upgrade.pause',
  'fleet.upgrade.resume',
  'fleet.upgrade.cancel',
  // Shared links taken down at the edge (issue 14).
  'link.block',
  'link.unblock',
  'link.list',
  // A link refused at the edge for breaking its plan's link policy, at its first refusal (issue 14).
  'link.policy_refused',
  'member.list',
  'member.show',
  'auth.add',
  'auth.list',
  'auth.show',
  'auth.reset',
  'auth.rm',
  'logins.list',
  'logins.clear',
  'audit.list',
] as const;

export type AuditAction = (typeof auditActions)[number];

export interface AuditRecord {
  /** 'account' (a portal account, staff included), 'member' or 'system' (a workflow, the usage sync). */
  actorType: 'account' | 'member' | 'system';
  actorId?: string | null;
  /** Who the actor was at the time (a staff member's e-mail, "subscription workflow"). */
  actorLabel?: string | null;
  action: AuditAction;
  targetType: string;
  targetId?: string | null;
  instanceId?: string | null;
  /** Why: required of staff for every change they make (SPEC A5). */
  reason?: string | null;
  details?: Prisma.InputJsonObject;
  /** Where the action came from (staff actions). */
  clientIp?: string | null;
  /** Defaults to the database's now(). */
  at?: Date;
}

/**
 * Writes one audit row through `db`: the client, or the transaction of the change it describes. Returns Prisma's
 * lazy promise, so it can also go into an array `$transaction([...])`.
 */
export function recordAudit(db: Pick<Prisma.TransactionClient, 'auditEvent'>, event: AuditRecord) {
  return db.auditEvent.create({ data: event });
}
