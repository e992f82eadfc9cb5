// Backups and restores for support (SPEC F1): list an instance's backups and restores, take a backup now, restore
// one (in place, or into an inspection stack beside the instance). The work runs in the provisioner's workflows,
// which record each backup and restore; this side checks the permission and the input, writes the staff audit row
// in the transaction that starts the workflow (a start Temporal refuses rolls it back) and returns the workflow id.
import type { PrismaClient } from '@photoplane/db';
import {
  backupWorkflowId,
  backupWorkflowNames,
  inspectionRemovalWorkflowId,
  restoreWorkflowId,
  type BackupInstanceInput,
  type RemoveInspectionStackInput,
  type RestoreInstanceInput,
  type RestoreTarget,
} from '@photoplane/provisioner/contracts';
import { instanceLifecycleWorkflowId } from '@photoplane/provisioner/contracts';
import { DomainError, isUuid, resourceNotFound, validationError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import { createStaffContext, iso, parseReason, requirePermission, type Staff } from './staff-context.ts';

export interface BackupView {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  bytesProcessed: string | null;
  bytesAdded: string | null;
  error: string | null;
}

export interface RestoreView {
  id: string;
  backupId: string;
  target: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  inspectionInstanceId: string | null;
  appHostPort: number | null;
  error: string | null;
}

export interface BackupList {
  subdomain: string;
  backups: BackupView[];
  restores: RestoreView[];
  lastCheck: { checkedAt: string; ok: boolean; errors: string | null } | null;
}

export interface BackupStarted {
  subdomain: string;
  operation: 'backup' | 'restore';
  workflowId: string;
}

/** An inspection stack (a restore into a stack beside the instance) and where it stands. */
export interface InspectionView {
  /** The inspection restore's id: what `tenants inspection rm` takes. */
  id: string;
  backupId: string;
  /** restoring, ready, failed (a partial stack may be left), removing or removed. */
  state: 'restoring' | 'ready' | 'failed' | 'removing' | 'removed';
  /** The stack's id (its Docker resources' instance label). */
  stackId: string;
  host: string | null;
  /** Where its photo app answers on its Docker host while it is ready. */
  address: string | null;
  startedAt: string;
  finishedAt: string | null;
  removalRequestedAt: string | null;
  removedAt: string | null;
  reason: string | null;
  error: string | null;
}

export interface InspectionList {
  subdomain: string;
  inspections: InspectionView[];
}

export interface InspectionRemovalStarted {
  subdomain: string;
  id: string;
  stackId: string;
  workflowId: string;
}

const SNAPSHOT = /^[0-9a-f]{12}$/;

type RestoreRow = {
  status: string;
  removalRequestedAt: Date | null;
  removedAt: Date | null;
};

function inspectionState(r: RestoreRow): InspectionView['state'] {
  if (r.removedAt) return 'removed';
  if (r.removalRequestedAt) return 'removing';
  if (r.status === 'running') return 'restoring';
  return r.status === 'succeeded' ? 'ready' : 'failed';
}

export function createBackupSupport(deps: {
  repositories: SupportUnitOfWork;
  db: PrismaClient;
  client: Client;
  taskQueue: string;
  now?: () => Date;
}) {
  const { repositories, db } = deps;
  const context = createStaffContext(repositories, deps.now ?? (() => new Date()));

  async function start(workflowType: string, workflowId: string, input: unknown) {
    try {
      const handle = await deps.client.workflow.start(workflowType, {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [input],
      });
      return handle.workflowId;
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError)
        throw new DomainError('conflict', 'Another backup, restore or operation is running on this instance.', {
          field: 'subdomain',
        });
      throw e;
    }
  }

  return {
    async listBackups(who: Staff, subdomain: string): Promise<BackupList> {
      requirePermission(who, 'tenant.read');
      const t = await context.requireTenant(repositories, subdomain);
      const [backups, restores, lastCheck] = await Promise.all([
        db.instanceBackup.findMany({ where: { instanceId: t.instanceId }, orderBy: { startedAt: 'desc' }, take: 200 }),
        db.instanceRestore.findMany({ where: { instanceId: t.instanceId }, orderBy: { startedAt: 'desc' }, take: 50 }),
        db.backupCheck.findFirst({ where: { instanceId: t.instanceId }, orderBy: { checkedAt: 'desc' } }),
      ]);
      await context.audit(repositories, who, {
        action: 'tenant.backups',
        targetType: 'instance',
        targetId: t.instanceId,
        instanceId: t.instanceId,
        details: { subdomain: t.subdomain, count: backups.length },
      });
      return {
        subdomain: t.subdomain,
        backups: backups.map((b) => ({
          id: b.id,
          trigger: b.trigger,
          status: b.status,
          startedAt: b.startedAt.toISOString(),
          finishedAt: iso(b.finishedAt),
          bytesProcessed: b.bytesProcessed?.toString() ?? null,
          bytesAdded: b.bytesAdded?.toString() ?? null,
          error: b.error,
        })),
        restores: restores.map((r) => ({
          id: r.id,
          backupId: r.backupId,
          target: r.target,
          status: r.status,
          startedAt: r.startedAt.toISOString(),
          finishedAt: iso(r.finishedAt),
          inspectionInstanceId: r.inspectionInstanceId,
          appHostPort: r.appHostPort,
          error: r.error,
        })),
        lastCheck: lastCheck
          ? { checkedAt: lastCheck.checkedAt.toISOString(), ok: lastCheck.ok, errors: lastCheck.errors }
          : null,
      };
    },

    /** A backup now (support), with the staff member and reason on its row and in the audit log. */
    async backupTenant(who: Staff, subdomain: string, reasonInput: unknown): Promise<BackupStarted> {
      requirePermission(who, 'tenant.support');
      const reason = parseReason(reasonInput);
      return repositories.transaction(async (repos) => {
        const t = await context.requireTenant(repos, subdomain);
        if (t.instanceState !== 'active')
          throw new DomainError(
            'illegal_transition',
            `Only an active instance is backed up; this one is ${t.instanceState}.`,
            {
              field: 'state',
              state: t.instanceState,
            },
          );
        await context.audit(repos, who, {
          action: 'tenant.backup',
          targetType: 'instance',
          targetId: t.instanceId,
          instanceId: t.instanceId,
          reason,
          details: { subdomain: t.subdomain },
        });
        const input: BackupInstanceInput = {
          instanceId: t.instanceId,
          trigger: 'on-demand',
          actorId: who.accountId,
          reason,
        };
        const workflowId = await start(backupWorkflowNames.backupInstance, backupWorkflowId(t.instanceId), input);
        return { subdomain: t.subdomain, operation: 'backup' as const, workflowId };
      });
    },

    /**
     * Restore: in place replaces the instance's library and database with the backup's (what was added since is
     * lost), so it needs tenant.delete (superadmin); into the inspection stack leaves the instance untouched and
     * needs tenant.support.
     */
    async restoreTenant(
      who: Staff,
      subdomain: string,
      body: { snapshot: unknown; target?: unknown; reason: unknown },
    ): Promise<BackupStarted> {
      const target: RestoreTarget = body.target === undefined ? 'in-place' : (body.target as RestoreTarget);
      if (target !== 'in-place' && target !== 'inspection')
        throw validationError('target', 'The target must be in-place or inspection.');
      // The route's gate let tenant.support in; in place needs more, and a refusal is audited.
      await context.ensure(who, target === 'in-place' ? 'tenant.delete' : 'tenant.support', { target });
      const reason = parseReason(body.reason);
      const snapshot = typeof body.snapshot === 'string' ? body.snapshot.trim().toLowerCase() : '';
      if (!SNAPSHOT.test(snapshot))
        throw validationError('snapshot', 'The snapshot is the 12-digit id `tenants backups` lists.');
      return repositories.transaction(async (repos) => {
        const t = await context.requireTenant(repos, subdomain);
        const backup = await db.instanceBackup.findUnique({ where: { id: snapshot } });
        if (!backup || backup.instanceId !== t.instanceId || backup.status !== 'succeeded')
          throw validationError(
            'snapshot',
            'No restorable backup of this instance has this id (see `tenants backups`).',
          );
        if (target === 'in-place' && t.instanceState !== 'active')
          throw new DomainError(
            'illegal_transition',
            `Restore in place needs an active instance; this one is ${t.instanceState}.`,
            {
              field: 'state',
              state: t.instanceState,
            },
          );
        // Nothing is restored beside an instance being taken away (the worker refuses it too, under the row's lock).
        if (t.instanceState === 'deprovisioning' || t.instanceState === 'deprovisioned')
          throw new DomainError('illegal_transition', `This instance is ${t.instanceState}: nothing can be restored.`, {
            field: 'state',
            state: t.instanceState,
          });
        await context.audit(repos, who, {
          action: 'tenant.restore',
          targetType: 'instance',
          targetId: t.instanceId,
          instanceId: t.instanceId,
          reason,
          details: { subdomain: t.subdomain, snapshot, target },
        });
        const input: RestoreInstanceInput = {
          instanceId: t.instanceId,
          backupId: snapshot,
          target,
          actorId: who.accountId,
          reason,
        };
        // In place it runs under the lifecycle id, so it never overlaps a suspend, upgrade or deprovision.
        const id = target === 'in-place' ? instanceLifecycleWorkflowId(t.instanceId) : restoreWorkflowId(t.instanceId);
        const workflowId = await start(backupWorkflowNames.restoreInstance, id, input);
        return { subdomain: t.subdomain, operation: 'restore' as const, workflowId };
      });
    },

    /** The instance's inspection stacks (newest first): state, and where a ready one answers on its host. */
    async listInspections(who: Staff, subdomain: string): Promise<InspectionList> {
      requirePermission(who, 'tenant.read');
      const t = await context.requireTenant(repositories, subdomain);
      const rows = await db.instanceRestore.findMany({
        where: { instanceId: t.instanceId, target: 'inspection' },
        orderBy: { startedAt: 'desc' },
        take: 50,
      });
      // Each stack's own host (where it was made); rows from before that was recorded: the instance's.
      const hostIds = [...new Set(rows.flatMap((r) => (r.dockerHostId ? [r.dockerHostId] : [])))];
      const hostNames = new Map(
        (await db.dockerHost.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true } })).map(
          (h) => [h.id, h.name],
        ),
      );
      await context.audit(repositories, who, {
        action: 'tenant.inspections',
        targetType: 'instance',
        targetId: t.instanceId,
        instanceId: t.instanceId,
        details: { subdomain: t.subdomain, count: rows.length },
      });
      return {
        subdomain: t.subdomain,
        inspections: rows.map((r) => {
          const state = inspectionState(r);
          return {
            id: r.id,
            backupId: r.backupId,
            state,
            stackId: r.inspectionInstanceId ?? '',
            host: r.dockerHostId ? (hostNames.get(r.dockerHostId) ?? null) : t.hostName,
            address: r.appHostPort && (state === 'ready' || state === 'removing') ? `127.0.0.1:${r.appHostPort}` : null,
            startedAt: r.startedAt.toISOString(),
            finishedAt: iso(r.finishedAt),
            removalRequestedAt: iso(r.removalRequestedAt),
            removedAt: iso(r.removedAt),
            reason: r.reason,
            error: r.error,
          };
        }),
      };
    },

    /**
     * Removes an inspection stack from the Docker host it was made on (the instance is not touched). The row is claimed
     * first (a conditional update, so a second request is refused even before the workflow runs), then the staff
     * audit row and the workflow start share a transaction; a refused start releases the claim.
     */
    async removeInspection(
      who: Staff,
      subdomain: string,
      id: string,
      reasonInput: unknown,
    ): Promise<InspectionRemovalStarted> {
      requirePermission(who, 'tenant.support');
      const reason = parseReason(reasonInput);
      const t = await context.requireTenant(repositories, subdomain);
      const row = isUuid(id)
        ? await db.instanceRestore.findFirst({ where: { id, instanceId: t.instanceId, target: 'inspection' } })
        : null;
      if (!row) throw resourceNotFound('inspection');
      const claimed = await db.instanceRestore.updateMany({
        where: { id: row.id, status: { not: 'running' }, removalRequestedAt: null, removedAt: null },
        data: { removalRequestedAt: (deps.now ?? (() => new Date()))() },
      });
      if (claimed.count === 0) {
        const now = await db.instanceRestore.findUniqueOrThrow({ where: { id: row.id } });
        const state = inspectionState(now);
        const why =
          state === 'removed'
            ? `This inspection stack was already removed (${now.removedAt!.toISOString()}).`
            : state === 'removing'
              ? `This inspection stack is being removed (asked ${now.removalRequestedAt!.toISOString()}).`
              : 'This inspection restore is still running; remove its stack once it ended.';
        throw new DomainError('illegal_transition', why, { field: 'id', state });
      }
      try {
        return await repositories.transaction(async (repos) => {
          await context.audit(repos, who, {
            action: 'tenant.inspection.remove',
            targetType: 'instance',
            targetId: t.instanceId,
            instanceId: t.instanceId,
            reason,
            details: { subdomain: t.subdomain, restoreId: row.id, stackId: row.inspectionInstanceId ?? '' },
          });
          const input: RemoveInspectionStackInput = {
            instanceId: t.instanceId,
            restoreId: row.id,
            actorId: who.accountId,
            reason,
          };
          const workflowId = await start(
            backupWorkflowNames.removeInspectionStack,
            inspectionRemovalWorkflowId(t.instanceId),
            input,
          );
          return { subdomain: t.subdomain, id: row.id, stackId: row.inspectionInstanceId ?? '', workflowId };
        });
      } catch (e) {
        await db.instanceRestore.update({ where: { id: row.id }, data: { removalRequestedAt: null } });
        throw e;
      }
    },
  };
}

export type BackupSupport = ReturnType<typeof createBackupSupport>;
