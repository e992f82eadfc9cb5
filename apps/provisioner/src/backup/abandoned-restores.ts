// Restores whose workflow ended without closing their row (SPEC F1): a workflow terminated by hand (or timed out, or
// gone from Temporal's history) never runs its `finishRestore`, so its row stays `running` and reconcile would skip
// the instance forever. Such a row is found by asking Temporal for the restore's workflow execution once the row is
// older than a bound, and closed as failed, audited.
import { recordAudit, type PrismaClient } from '@photoplane/db';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { restoreWorkflowId } from '../contracts/backups.ts';
import { instanceLifecycleWorkflowId } from '../contracts/instance-lifecycle.ts';

/** Rows younger than this are not checked: a restore just begun is running, and Temporal is not asked for nothing. */
export const RESTORE_CHECK_AFTER_MS = 2 * 60_000;

/** A workflow execution's status name (RUNNING, TERMINATED, …), or null when Temporal does not know it any more. */
export type WorkflowStatusLookup = (workflowId: string, runId: string | null) => Promise<string | null>;

/** The lookup through the Temporal client of the activity running now; undefined outside an activity. */
export function activityWorkflowStatus(): WorkflowStatusLookup | undefined {
  let client;
  try {
    client = Context.current().client;
  } catch {
    return undefined; // called directly (a bench, a script): nothing is closed
  }
  return async (workflowId, runId) => {
    try {
      return (await client.workflow.getHandle(workflowId, runId ?? undefined).describe()).status.name;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
  };
}

/** The workflow a restore ran under: recorded on the row, else (older rows) the id its target starts it with. */
function workflowOf(row: {
  instanceId: string;
  target: string;
  workflowId: string | null;
  workflowRunId: string | null;
}) {
  if (row.workflowId) return { workflowId: row.workflowId, runId: row.workflowRunId };
  const workflowId =
    row.target === 'in-place' ? instanceLifecycleWorkflowId(row.instanceId) : restoreWorkflowId(row.instanceId);
  return { workflowId, runId: null };
}

export interface ClosedRestore {
  restoreId: string;
  instanceId: string;
  workflowId: string;
  workflowStatus: string | null;
}

/**
 * Closes, as failed, the running restores of these instances (older than the bound) whose workflow is no longer
 * running. A row the workflow closes meanwhile is left as the workflow wrote it. A lookup that fails leaves the row
 * for the next call.
 */
export async function closeAbandonedRestores(
  prisma: PrismaClient,
  lookup: WorkflowStatusLookup,
  input: { instanceIds: string[]; olderThanMs?: number; now?: Date },
): Promise<ClosedRestore[]> {
  const now = input.now ?? new Date();
  const rows = await prisma.instanceRestore.findMany({
    where: {
      status: 'running',
      instanceId: { in: input.instanceIds },
      startedAt: { lt: new Date(now.getTime() - (input.olderThanMs ?? RESTORE_CHECK_AFTER_MS)) },
    },
  });
  const closed: ClosedRestore[] = [];
  for (const row of rows) {
    const { workflowId, runId } = workflowOf(row);
    let status: string | null;
    try {
      status = await lookup(workflowId, runId);
    } catch {
      continue;
    }
    if (status === 'RUNNING') continue;
    const error =
      status === null
        ? `its workflow ${workflowId} is not known to Temporal any more; the restore did not finish`
        : `its workflow ${workflowId} ended ${status} without finishing the restore`;
    const { count } = await prisma.instanceRestore.updateMany({
      where: { id: row.id, status: 'running' },
      data: { status: 'failed', finishedAt: now, error },
    });
    if (count !== 1) continue;
    if (row.target === 'in-place')
      await prisma.instance.update({
        where: { id: row.instanceId },
        data: { lastError: `restore of backup ${row.backupId} failed: ${error}` },
      });
    await recordAudit(prisma, {
      actorType: 'system',
      actorId: null,
      action: 'restore.failed',
      targetType: 'instance',
      targetId: row.instanceId,
      instanceId: row.instanceId,
      reason: null,
      details: { restoreId: row.id, error, workflowId, workflowStatus: status },
    });
    closed.push({ restoreId: row.id, instanceId: row.instanceId, workflowId, workflowStatus: status });
  }
  return closed;
}
