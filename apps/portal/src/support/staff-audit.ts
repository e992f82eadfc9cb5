// The audit log of staff actions (SPEC A5), searchable by actor, tenant and time. Reading it is itself audited.
import { isUuid, resourceNotFound } from '@photoplane/tenant-model';
import type { Prisma } from '@photoplane/db';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import { limitOf, requirePermission, type Staff, type StaffContext } from './staff-context.ts';

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
  clientIp: string | null;
  details: Prisma.JsonValue;
}

export interface AuditQuery {
  /** An instance's subdomain, or the id of one since removed. */
  instance?: string | undefined;
  /** The actor's account id or their e-mail at the time. */
  actor?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit?: number | undefined;
}

export function createAuditSupport(deps: { repositories: SupportUnitOfWork; context: StaffContext }) {
  const { repositories, context } = deps;
  return {
    async listAudit(who: Staff, query: AuditQuery): Promise<AuditView[]> {
      requirePermission(who, 'staff.audit');
      let instanceId: string | undefined;
      if (query.instance) {
        // A removed instance's rows are still wanted: fall back to the instance id itself.
        const tenant = await repositories.support.findTenant(query.instance);
        instanceId = tenant?.instanceId ?? (isUuid(query.instance) ? query.instance : undefined);
        if (!instanceId) throw resourceNotFound('instance');
      }
      const rows = await repositories.support.listAudit({
        instanceId,
        actor: query.actor,
        since: query.since,
        until: query.until,
        limit: limitOf(query.limit),
      });
      await context.audit(repositories, who, {
        action: 'audit.list',
        targetType: 'audit_event',
        targetId: null,
        instanceId: instanceId ?? null,
        details: {
          ...(query.actor ? { actor: query.actor } : {}),
          ...(query.since ? { since: query.since.toISOString() } : {}),
          ...(query.until ? { until: query.until.toISOString() } : {}),
          count: rows.length,
        },
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
        clientIp: r.clientIp,
        details: r.details,
      }));
    },
  };
}
