// The last reconcile's drift (SPEC F2): each run of reconcileInstancesWorkflow records what it checked, repaired
// (by subject) and could not repair, so `/metrics` can report it per host and an operator sees drift without
// reading workflow histories.
import type { PrismaClient } from '@photoplane/db';
import type { ReconcileReport } from '../contracts/reconcile.ts';

const KEEP_MS = 7 * 86_400_000;

export function createReconcileReportActivities(deps: { prisma: PrismaClient }) {
  const { prisma } = deps;
  return {
    async recordReconcileRun(input: { hostName?: string; report: ReconcileReport }): Promise<void> {
      const drift: Record<string, number> = {};
      for (const r of input.report.repaired) drift[r.subject] = (drift[r.subject] ?? 0) + 1;
      await prisma.reconcileRun.create({
        data: {
          hostName: input.hostName ?? '',
          checked: input.report.checked,
          failed: input.report.failed.length,
          drift,
          skipped: input.report.skipped ?? [],
        },
      });
      await prisma.reconcileRun.deleteMany({ where: { finishedAt: { lt: new Date(Date.now() - KEEP_MS) } } });
    },
  };
}

export type ReconcileReportActivities = ReturnType<typeof createReconcileReportActivities>;
