// The portal's Prometheus metrics (issue 15): HTTP latency by route, Stripe webhook deliveries by type and outcome,
// and, read from the database at each scrape, instances by state, each instance's stored bytes against its plan
// and each Docker host's load against its capacity. One registry per portal (tests build several in a process);
// Node's own process metrics come along. Route labels are route patterns, never raw URLs, so nothing a client sends
// can grow the series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What reconcile compares (the provisioner's ReconcileSubject). */
const RECONCILE_SUBJECTS = ['db', 'cache', 'app', 'route', 'photo-app-config'];
import type { FleetMetricsRepository } from './fleet-metrics.repository.ts';

export interface PortalMetricsDeps {
  fleet: FleetMetricsRepository;
  log: { error(details: object, message: string): void };
}

export function createPortalMetrics({ fleet, log }: PortalMetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'photoplane_portal_' });
  // prom-client names these three gauges like counters, which Prometheus's linter refuses; the same figures are
  // exported by type without the suffix (photoplane_portal_nodejs_active_handles{type} and so on).
  for (const misnamed of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
    registry.removeSingleMetric(`photoplane_portal_nodejs_${misnamed}`);

  const httpDuration = new Histogram({
    name: 'photoplane_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const webhookEvents = new Counter({
    name: 'photoplane_stripe_webhook_events_total',
    help: 'Stripe webhook deliveries by event type and outcome (applied, duplicate, stale, ignored, rejected)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });

  const webhookLag = new Histogram({
    name: 'photoplane_stripe_webhook_lag_seconds',
    help: 'From the moment Stripe created an event to the moment the portal handled its delivery',
    buckets: [1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86400],
    registers: [registry],
  });

  // Read at scrape time, once per scrape for every gauge (prom-client collects the metrics concurrently, so each
  // gauge awaits the same snapshot). A failed query leaves its gauges empty for that scrape, nothing else.
  const read = async <T>(what: string, query: () => Promise<T>): Promise<T | null> => {
    try {
      return await query();
    } catch (err) {
      log.error({ err, metric: what }, 'could not read a metric from the database');
      return null;
    }
  };
  const readFleet = async () => {
    const [states, usage, hosts, backups, reconciles] = await Promise.all([
      read('photoplane_instances', () => fleet.instancesByState()),
      read('photoplane_instance_used_bytes', () => fleet.instanceUsage()),
      read('photoplane_docker_host_instances', () => fleet.hostLoad()),
      read('photoplane_instance_last_backup_timestamp_seconds', () => fleet.instanceBackups()),
      read('photoplane_reconcile_last_drift', () => fleet.lastReconcileRuns()),
    ]);
    return { states, usage, hosts, backups, reconciles };
  };
  let current: ReturnType<typeof readFleet> | undefined;
  const snapshot = () => current ?? readFleet();

  const gauge = <L extends string>(
    name: string,
    help: string,
    label: L,
    fill: (s: Awaited<ReturnType<typeof readFleet>>, set: (value: string, n: number) => void) => void,
  ) => {
    const g: Gauge<L> = new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        const s = await snapshot();
        g.reset();
        fill(s, (value, n) => g.set({ [label]: value } as Record<L, string>, n));
      },
    });
    return g;
  };

  gauge('photoplane_instances', 'Instances by state', 'state', (s, set) => {
    for (const r of s.states ?? []) set(r.state, r.count);
  });
  gauge(
    'photoplane_instance_used_bytes',
    "Bytes an instance's members store (active and suspended instances)",
    'instance',
    (s, set) => {
      for (const r of s.usage ?? []) set(r.subdomain, Number(r.usedBytes));
    },
  );
  gauge('photoplane_instance_plan_bytes', "Bytes an instance's plan allows", 'instance', (s, set) => {
    for (const r of s.usage ?? []) set(r.subdomain, Number(r.planBytes));
  });
  gauge(
    'photoplane_docker_host_instances',
    'Instances placed on a Docker host (from placement until they are gone)',
    'host',
    (s, set) => {
      for (const r of s.hosts ?? []) set(r.name, r.instances);
    },
  );
  gauge('photoplane_docker_host_capacity', 'How many instances a Docker host takes', 'host', (s, set) => {
    for (const r of s.hosts ?? []) set(r.name, r.capacity);
  });

  // Backups (SPEC F1): the backup age alert is `time() - this > 36 h`.
  gauge(
    'photoplane_instance_last_backup_timestamp_seconds',
    "When an active instance's last successful backup ended (its creation time while it has none), Unix seconds",
    'instance',
    (s, set) => {
      for (const r of s.backups ?? []) set(r.subdomain, r.lastBackupAt);
    },
  );
  gauge(
    'photoplane_backup_repository_ok',
    "1 when the last integrity check (restic check) of an active instance's backup repository passed, 0 when it found damage",
    'instance',
    (s, set) => {
      for (const r of s.backups ?? []) if (r.checkOk !== null) set(r.subdomain, r.checkOk ? 1 : 0);
    },
  );

  // The last reconcile's drift (SPEC F2), per host ('' for a run over every host): what it found out of line and
  // repaired, by subject (every subject present, 0 when in line, so a rule can compare), and what it could not.
  gauge(
    'photoplane_reconcile_last_run_timestamp_seconds',
    'When the last reconcile run ended, Unix seconds',
    'host',
    (s, set) => {
      for (const r of s.reconciles ?? []) set(r.host, r.finishedAt);
    },
  );
  gauge(
    'photoplane_reconcile_last_checked_instances',
    'Instances the last reconcile run looked at',
    'host',
    (s, set) => {
      for (const r of s.reconciles ?? []) set(r.host, r.checked);
    },
  );
  gauge(
    'photoplane_reconcile_last_failed_instances',
    'Instances the last reconcile run could not bring back in line',
    'host',
    (s, set) => {
      for (const r of s.reconciles ?? []) set(r.host, r.failed);
    },
  );
  gauge(
    'photoplane_reconcile_last_skipped_instances',
    'Instances the last reconcile run left alone on purpose (an in-place restore was running on them)',
    'host',
    (s, set) => {
      for (const r of s.reconciles ?? []) set(r.host, r.skipped);
    },
  );
  const drift: Gauge<'host' | 'subject'> = new Gauge({
    name: 'photoplane_reconcile_last_drift',
    help: 'Repairs the last reconcile run made, by what had drifted (db, cache, app containers, route, photo-app-config)',
    labelNames: ['host', 'subject'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      drift.reset();
      for (const r of s.reconciles ?? [])
        for (const subject of new Set([...RECONCILE_SUBJECTS, ...Object.keys(r.drift)]))
          drift.set({ host: r.host, subject }, r.drift[subject] ?? 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,

    observeRequest(labels: { method: string; route: string; statusCode: number }, seconds: number): void {
      httpDuration.observe(
        { method: labels.method, route: labels.route, status_code: String(labels.statusCode) },
        seconds,
      );
    },

    observeWebhook(event: { type: string; outcome: string; createdAt?: Date | undefined }, at = new Date()): void {
      webhookEvents.inc({ type: event.type, outcome: event.outcome });
      if (event.createdAt) webhookLag.observe(Math.max(0, (at.getTime() - event.createdAt.getTime()) / 1000));
    },

    /** The text exposition format, every metric collected now (the database read once for all gauges). */
    async render(): Promise<string> {
      current = readFleet();
      try {
        return await registry.metrics();
      } finally {
        current = undefined;
      }
    },
  };
}

export type PortalMetrics = ReturnType<typeof createPortalMetrics>;
