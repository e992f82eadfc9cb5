// Control-queue activities of backups and restores (SPEC F1): the rows that say what was backed up, when, by whom
// and why (InstanceBackup, InstanceRestore, BackupCheck), audit events, and which instances to back up. Docker and
// restic work runs on the instance's host queue (backup-host.activities.ts).
import { randomBytes } from 'node:crypto';
import { recordAudit, type AuditAction, type PrismaClient } from '@photoplane/db';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BackupTrigger, RestoreTarget, RetentionPolicy } from '../contracts/backups.ts';
import { activityWorkflowStatus, closeAbandonedRestores } from '../backup/abandoned-restores.ts';
import { inspectionInstanceId } from '../contracts/backups.ts';
import { hostTaskQueue } from '../contracts/index.ts';

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4 };

/** Instance states nothing may be restored into: it is being taken away, or is gone. */
const GOING_AWAY = new Set(['deprovisioning', 'deprovisioned']);

export interface BackupActivityDeps {
  prisma: PrismaClient;
  /** Retention by plan id; plans not named get `default` (else 7 daily, 4 weekly). */
  backupRetention?: Record<string, RetentionPolicy>;
}

export interface BackupSubject {
  instanceId: string;
  subscriptionId: string;
  subdomain: string;
  imageRef: string | null;
  taskQueue: string;
  state: string;
  retention: RetentionPolicy;
}

/** The workflow execution calling this activity (recorded on a restore's row), when there is one. */
function runningWorkflow(): { workflowId: string; workflowRunId: string } | Record<string, never> {
  try {
    const execution = Context.current().info.workflowExecution;
    return execution ? { workflowId: execution.workflowId, workflowRunId: execution.runId } : {};
  } catch {
    return {};
  }
}

function refuse(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

export function createBackupActivities(deps: BackupActivityDeps) {
  const { prisma } = deps;
  const retentionFor = (planId: string) =>
    deps.backupRetention?.[planId] ?? deps.backupRetention?.default ?? DEFAULT_RETENTION;

  async function subject(instanceId: string): Promise<BackupSubject> {
    const row = await prisma.instance.findUnique({
      where: { id: instanceId },
      include: { dockerHost: true, subscription: true },
    });
    if (!row) throw refuse(`instance ${instanceId} does not exist`, 'InstanceNotFound');
    if (!row.dockerHost) throw refuse(`instance ${instanceId} is not placed on any Docker host`, 'NotPlaced');
    return {
      instanceId,
      subscriptionId: row.subscriptionId,
      subdomain: row.subdomain,
      imageRef: row.imageRef,
      taskQueue: hostTaskQueue(row.dockerHost.name),
      state: row.state,
      retention: retentionFor(row.subscription.planId),
    };
  }

  function audit(
    instanceId: string,
    action: AuditAction,
    actorId: string | null | undefined,
    reason: string | null | undefined,
    details: object,
  ) {
    return recordAudit(prisma, {
      actorType: actorId ? 'account' : 'system',
      actorId: actorId ?? null,
      action,
      targetType: 'instance',
      targetId: instanceId,
      instanceId,
      reason: reason ?? null,
      details,
    });
  }

  return {
    /** The instances the nightly schedule backs up: every active one. */
    async listInstancesToBackUp(): Promise<string[]> {
      const rows = await prisma.instance.findMany({ where: { state: 'active' }, select: { id: true } });
      return rows.map((r) => r.id);
    },

    /** The instances with a repository to check: those with at least one backup that is not forgotten. */
    async listInstancesWithBackups(): Promise<string[]> {
      const rows = await prisma.instanceBackup.findMany({
        where: { status: 'succeeded' },
        distinct: ['instanceId'],
        select: { instanceId: true },
      });
      return rows.map((r) => r.instanceId);
    },

    async backupSubject(input: { instanceId: string }): Promise<BackupSubject> {
      return subject(input.instanceId);
    },

    /** Opens the backup's row; only an active instance (running containers) can be dumped consistently. */
    async beginBackup(input: {
      instanceId: string;
      trigger: BackupTrigger;
      actorId?: string | null;
      reason?: string | null;
    }): Promise<BackupSubject & { backupId: string }> {
      const s = await subject(input.instanceId);
      if (s.state !== 'active')
        throw refuse(`instance ${input.instanceId} is ${s.state}: only an active instance is backed up`, 'NotActive');
      const backupId = randomBytes(6).toString('hex');
      await prisma.instanceBackup.create({
        data: {
          id: backupId,
          instanceId: input.instanceId,
          trigger: input.trigger,
          status: 'running',
          actorId: input.actorId ?? null,
          reason: input.reason ?? null,
        },
      });
      return { ...s, backupId };
    },

    async finishBackup(input: {
      backupId: string;
      instanceId: string;
      result?: { databaseSnapshotId: string; librarySnapshotId: string; bytesProcessed: number; bytesAdded: number };
      error?: string;
      actorId?: string | null;
      reason?: string | null;
    }): Promise<void> {
      const r = input.result;
      await prisma.instanceBackup.update({
        where: { id: input.backupId },
        data: r
          ? {
              status: 'succeeded',
              finishedAt: new Date(),
              databaseSnapshotId: r.databaseSnapshotId,
              librarySnapshotId: r.librarySnapshotId,
              bytesProcessed: BigInt(r.bytesProcessed),
              bytesAdded: BigInt(r.bytesAdded),
            }
          : { status: 'failed', finishedAt: new Date(), error: input.error ?? 'failed' },
      });
      await audit(input.instanceId, r ? 'backup.succeeded' : 'backup.failed', input.actorId, input.reason, {
        backupId: input.backupId,
        ...(r ? { bytesProcessed: r.bytesProcessed, bytesAdded: r.bytesAdded } : { error: input.error }),
      });
    },

    /** After retention: backups no longer in the repository are marked forgotten. Returns their ids. */
    async markForgotten(input: { instanceId: string; kept: string[] }): Promise<string[]> {
      const gone = await prisma.instanceBackup.findMany({
        where: { instanceId: input.instanceId, status: 'succeeded', id: { notIn: input.kept } },
        select: { id: true },
      });
      if (gone.length)
        await prisma.instanceBackup.updateMany({
          where: { id: { in: gone.map((g) => g.id) } },
          data: { status: 'forgotten' },
        });
      return gone.map((g) => g.id);
    },

    /** A check's finding, with an audit event (and the log line of the workflow) when the repository is damaged. */
    async recordBackupCheck(input: { instanceId: string; ok: boolean; errors: string }): Promise<void> {
      await prisma.backupCheck.create({
        data: { instanceId: input.instanceId, ok: input.ok, errors: input.ok ? null : input.errors },
      });
      if (!input.ok) await audit(input.instanceId, 'backup.repository_corrupted', null, null, { errors: input.errors });
    },

    /** Opens the restore's row; the backup must be one of this instance's that is still in its repository. */
    async beginRestore(input: {
      instanceId: string;
      backupId: string;
      target: RestoreTarget;
      actorId?: string | null;
      reason?: string | null;
    }): Promise<BackupSubject & { restoreId: string; into: string }> {
      const s = await subject(input.instanceId);
      const backup = await prisma.instanceBackup.findUnique({ where: { id: input.backupId } });
      if (!backup || backup.instanceId !== input.instanceId || backup.status !== 'succeeded')
        throw refuse(`backup ${input.backupId} is not a restorable backup of this instance`, 'BackupNotFound');
      if (input.target === 'in-place' && s.state !== 'active')
        throw refuse(
          `instance ${input.instanceId} is ${s.state}: restore in place needs an active instance`,
          'NotActive',
        );
      const into = input.target === 'in-place' ? input.instanceId : inspectionInstanceId(input.instanceId);
      // The row is written with the instance's row locked, after its state is read again under that lock: a
      // deprovision moves the state under the same lock, then waits for the running restores it can see
      // (waitingInspectionRestores). So either this restore is refused, or the deprovision sees it and waits.
      const row = await prisma.$transaction(async (tx) => {
        const [locked] = await tx.$queryRaw<{ state: string; dockerHostId: string | null }[]>`
          SELECT state::text AS state, "dockerHostId" FROM instance WHERE id = ${input.instanceId}::uuid FOR UPDATE`;
        if (!locked || GOING_AWAY.has(locked.state))
          throw refuse(
            `instance ${input.instanceId} is ${locked?.state ?? 'gone'}: nothing to restore into`,
            'GoingAway',
          );
        // One inspection stack per instance: this restore replaces an earlier one (restoreInstanceData removes it).
        if (input.target === 'inspection')
          await tx.instanceRestore.updateMany({
            where: { instanceId: input.instanceId, target: 'inspection', removedAt: null },
            data: { removedAt: new Date() },
          });
        return tx.instanceRestore.create({
          data: {
            instanceId: input.instanceId,
            backupId: input.backupId,
            target: input.target,
            status: 'running',
            inspectionInstanceId: input.target === 'inspection' ? into : null,
            // Where the inspection stack is made: its removal goes to that host even if the instance moves.
            dockerHostId: input.target === 'inspection' ? locked.dockerHostId : null,
            actorId: input.actorId ?? null,
            reason: input.reason ?? null,
            ...runningWorkflow(),
          },
        });
      });
      await audit(input.instanceId, 'restore.started', input.actorId, input.reason, {
        restoreId: row.id,
        backupId: input.backupId,
        target: input.target,
      });
      return { ...s, restoreId: row.id, into };
    },

    async finishRestore(input: {
      restoreId: string;
      instanceId: string;
      appHostPort?: number;
      error?: string;
      actorId?: string | null;
      reason?: string | null;
    }): Promise<void> {
      const ok = input.error === undefined;
      await prisma.instanceRestore.update({
        where: { id: input.restoreId },
        data: {
          status: ok ? 'succeeded' : 'failed',
          finishedAt: new Date(),
          appHostPort: input.appHostPort ?? null,
          error: input.error ?? null,
        },
      });
      await audit(input.instanceId, ok ? 'restore.succeeded' : 'restore.failed', input.actorId, input.reason, {
        restoreId: input.restoreId,
        ...(ok ? {} : { error: input.error }),
      });
    },

    /**
     * Which stack an inspection restore's removal takes away, and on which host queue. Refused when the row is not
     * an inspection of this instance, is still being restored into, or its stack is already gone.
     */
    async beginInspectionRemoval(input: {
      instanceId: string;
      restoreId: string;
    }): Promise<{ taskQueue: string; inspectionInstanceId: string }> {
      const row = await prisma.instanceRestore.findUnique({ where: { id: input.restoreId } });
      if (!row || row.instanceId !== input.instanceId || row.target !== 'inspection' || !row.inspectionInstanceId)
        throw refuse(`restore ${input.restoreId} is not an inspection of instance ${input.instanceId}`, 'NotFound');
      if (row.removedAt)
        throw refuse(
          `the inspection stack of restore ${input.restoreId} was removed at ${row.removedAt.toISOString()}`,
          'AlreadyRemoved',
        );
      if (row.status === 'running')
        throw refuse(`restore ${input.restoreId} is still running: remove its stack once it ended`, 'RestoreRunning');
      // The host the stack was made on, wherever the instance is now; the instance's own host for rows from before
      // that was recorded.
      if (!row.dockerHostId)
        return {
          taskQueue: (await subject(input.instanceId)).taskQueue,
          inspectionInstanceId: row.inspectionInstanceId,
        };
      const madeOn = await prisma.dockerHost.findUnique({ where: { id: row.dockerHostId }, select: { name: true } });
      if (!madeOn)
        throw refuse(
          `the Docker host inspection stack ${row.inspectionInstanceId} was made on is no longer registered`,
          'HostGone',
        );
      return { taskQueue: hostTaskQueue(madeOn.name), inspectionInstanceId: row.inspectionInstanceId };
    },

    /**
     * Deprovision (SPEC V3 with F1): the inspection restores of this instance still running, which the deprovision
     * waits for before it removes their stack (a stack still being made would otherwise be left behind). Rows whose
     * workflow ended without closing them are closed first (closeAbandonedRestores), so a dead restore does not
     * hold the deprovision.
     */
    async waitingInspectionRestores(input: { instanceId: string }): Promise<string[]> {
      const lookup = activityWorkflowStatus();
      if (lookup) await closeAbandonedRestores(prisma, lookup, { instanceIds: [input.instanceId] });
      const rows = await prisma.instanceRestore.findMany({
        where: { instanceId: input.instanceId, target: 'inspection', status: 'running' },
        select: { id: true },
      });
      return rows.map((r) => r.id);
    },

    /**
     * Deprovision (SPEC V3 with F1): the host queues where this instance's inspection stack may be, each once: the
     * hosts its inspection restores not yet removed were made on, and the instance's own host (older rows name no
     * host, and a stack from before any row is kept is looked for there too). A host no longer registered is left
     * out: nothing can be asked of it.
     */
    async inspectionStackQueues(input: { instanceId: string }): Promise<string[]> {
      const rows = await prisma.instanceRestore.findMany({
        where: { instanceId: input.instanceId, target: 'inspection', removedAt: null, dockerHostId: { not: null } },
        select: { dockerHostId: true },
      });
      const instance = await prisma.instance.findUnique({
        where: { id: input.instanceId },
        select: { dockerHostId: true },
      });
      const ids = [instance?.dockerHostId, ...rows.map((r) => r.dockerHostId)].filter((id): id is string => !!id);
      const hosts = await prisma.dockerHost.findMany({ where: { id: { in: ids } }, select: { name: true } });
      return hosts.map((h) => hostTaskQueue(h.name));
    },

    /**
     * Deprovision (SPEC V3 with F1): the instance's inspection stack went from Docker with the instance, so every
     * row of it not yet marked removed is marked now and audited (one event per stack, `removed` what the Engine
     * had). Returns the stacks marked; none when there were none (a repeated deprovision).
     */
    async markInspectionsRemovedWithInstance(input: {
      instanceId: string;
      inspectionInstanceId: string;
      removed: number;
    }): Promise<string[]> {
      const rows = await prisma.instanceRestore.findMany({
        where: { instanceId: input.instanceId, target: 'inspection', removedAt: null },
        select: { id: true },
        orderBy: { startedAt: 'desc' },
      });
      if (!rows.length) return [];
      await prisma.instanceRestore.updateMany({
        where: { id: { in: rows.map((r) => r.id) }, removedAt: null },
        data: { removedAt: new Date() },
      });
      await audit(input.instanceId, 'inspection.removed', null, 'instance deprovisioned', {
        restoreId: rows[0]!.id,
        inspectionInstanceId: input.inspectionInstanceId,
        removed: input.removed,
      });
      return rows.map((r) => r.id);
    },

    /** The removal's outcome on the row (gone, or asked for again later) and in the audit log. */
    async finishInspectionRemoval(input: {
      restoreId: string;
      instanceId: string;
      inspectionInstanceId?: string;
      removed?: number;
      error?: string;
      actorId?: string | null;
      reason?: string | null;
    }): Promise<void> {
      const ok = input.error === undefined;
      if (ok)
        // Every row naming this stack: older rows' stacks were replaced by it, and it is gone now.
        await prisma.instanceRestore.updateMany({
          where: {
            instanceId: input.instanceId,
            inspectionInstanceId: input.inspectionInstanceId ?? '',
            removedAt: null,
          },
          data: { removedAt: new Date() },
        });
      else await prisma.instanceRestore.update({ where: { id: input.restoreId }, data: { removalRequestedAt: null } });
      await audit(
        input.instanceId,
        ok ? 'inspection.removed' : 'inspection.remove_failed',
        input.actorId,
        input.reason,
        {
          restoreId: input.restoreId,
          ...(ok
            ? { inspectionInstanceId: input.inspectionInstanceId, removed: input.removed }
            : { error: input.error }),
        },
      );
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
