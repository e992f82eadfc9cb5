// What `/metrics` reads from the database at each scrape (issue 15): instances by state, each live instance's
// stored bytes against its plan, and each Docker host's capacity against the instances placed on it. Three
// aggregate queries, whatever the size of the fleet.
import type { Db } from './data/db.ts';

export interface InstanceUsageRow {
  subdomain: string;
  state: string;
  usedBytes: bigint;
  planBytes: bigint;
}

export interface HostLoadRow {
  name: string;
  capacity: number;
  instances: number;
}

export interface InstanceBackupRow {
  subdomain: string;
  /** The last successful backup's end, or the instance's creation when it has none yet (epoch seconds). */
  lastBackupAt: number;
  /** The last integrity check of its repository: true, false, or null when never checked. */
  checkOk: boolean | null;
}

export interface ReconcileRunRow {
  /** The host the run covered ('' for a run over every host). */
  host: string;
  finishedAt: number;
  checked: number;
  failed: number;
  /** Repairs by subject (db, cache, app, route, photo-app-config). */
  drift: Record<string, number>;
  /** Instances it left alone on purpose (an in-place restore running on them). */
  skipped: number;
}

export function createFleetMetricsRepository(db: Db) {
  return {
    /** The last reconcile run of each host (SPEC F2: the last reconcile's drift). */
    async lastReconcileRuns(): Promise<ReconcileRunRow[]> {
      const rows = await db.$queryRaw<
        {
          hostName: string;
          finishedAt: Date;
          checked: number;
          failed: number;
          drift: Record<string, number>;
          skipped: number;
        }[]
      >`
        SELECT DISTINCT ON (r."hostName") r."hostName", r."finishedAt", r."checked", r."failed", r."drift",
               jsonb_array_length(r."skipped")::int AS "skipped"
        FROM "reconcile_run" r
        ORDER BY r."hostName", r."finishedAt" DESC`;
      return rows.map((r) => ({
        host: r.hostName,
        finishedAt: Math.floor(r.finishedAt.getTime() / 1000),
        checked: r.checked,
        failed: r.failed,
        drift: r.drift,
        skipped: r.skipped,
      }));
    },

    /** Backups (SPEC F1) of active instances: when the last one succeeded, and whether the repository checked sound. */
    async instanceBackups(): Promise<InstanceBackupRow[]> {
      const rows = await db.$queryRaw<{ subdomain: string; lastBackupAt: Date; checkOk: boolean | null }[]>`
        SELECT i."subdomain",
               COALESCE((SELECT MAX(b."finishedAt") FROM "instance_backup" b
                         WHERE b."instanceId" = i."id" AND b."status" IN ('succeeded', 'forgotten')),
                        i."createdAt") AS "lastBackupAt",
               (SELECT c."ok" FROM "backup_check" c WHERE c."instanceId" = i."id"
                ORDER BY c."checkedAt" DESC LIMIT 1) AS "checkOk"
        FROM "instance" i
        WHERE i."state" = 'active'`;
      return rows.map((r) => ({
        subdomain: r.subdomain,
        lastBackupAt: Math.floor(r.lastBackupAt.getTime() / 1000),
        checkOk: r.checkOk,
      }));
    },

    async instancesByState(): Promise<{ state: string; count: number }[]> {
      const rows = await db.instance.groupBy({ by: ['state'], _count: { _all: true } });
      return rows.map((r) => ({ state: r.state, count: r._count._all }));
    },

    /** Instances holding data (active or suspended): what their members store, and what the plan allows. */
    async instanceUsage(): Promise<InstanceUsageRow[]> {
      return db.$queryRaw<InstanceUsageRow[]>`
        SELECT i."subdomain", i."state"::text AS "state",
               COALESCE(SUM(m."usageBytes"), 0)::bigint AS "usedBytes", p."storageBytes" AS "planBytes"
        FROM "instance" i
        JOIN "subscription" s ON s."id" = i."subscriptionId"
        JOIN "plan" p ON p."id" = s."planId"
        LEFT JOIN "member" m ON m."instanceId" = i."id" AND m."status" <> 'deleted'
        WHERE i."state" IN ('active', 'suspended')
        GROUP BY i."subdomain", i."state", p."storageBytes"`;
    },

    /** Instances count against a host's capacity from placement until they are gone. */
    async hostLoad(): Promise<HostLoadRow[]> {
      const rows = await db.$queryRaw<{ name: string; capacity: number; instances: bigint }[]>`
        SELECT h."name", h."capacity", COUNT(i."id") AS "instances"
        FROM "docker_host" h
        LEFT JOIN "instance" i ON i."dockerHostId" = h."id" AND i."state" NOT IN ('deprovisioned', 'failed')
        GROUP BY h."name", h."capacity"`;
      return rows.map((r) => ({ name: r.name, capacity: r.capacity, instances: Number(r.instances) }));
    },
  };
}

export type FleetMetricsRepository = ReturnType<typeof createFleetMetricsRepository>;
