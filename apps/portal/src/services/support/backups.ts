// Backups and restores for support (SPEC F1): list an instance's backups and restores, take a backup now, restore
// one (in place, or into an inspection stack beside the instance). The work runs in the provisioner's workflows,
// which record each backup and restore; this side checks the permission and the input, writes the staff audit row
// in the transaction that starts the workflow (a start Temporal refuses rolls it back) and returns the workflow id.
import type { PrismaClient } from '@photoplane/db';
import {
  backupWorkflowId,
  backupWorkflowNames,
  restoreWorkflowId,
  type BackupInstanceInput,
  type RestoreInstanceInput,
  type RestoreTarget,
} from '@photoplane/provisioner/contracts';
import { instanceLifecycleWorkflowId } from '@photoplane/provisioner/contracts';
import { DomainError, validationError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SupportUnitOfWork } from '../../repositories/unit-of-work.ts';
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

const SNAPSHOT = /^[0-9a-f]{12}$/;

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
  };
}

export type BackupSupport = ReturnType<typeof createBackupSupport>;
