// The portal's Prometheus metrics (issue 15): HTTP latency by route, Stripe webhook deliveries by type and outcome,
// and, read from the database at each scrape, instances by state, each instance's stored bytes against its plan
// and each Docker host's load against its capacity. One registry per portal (tests build several in a process);
// Node's own process metrics come along. Route labels are route patterns, never raw URLs, so nothing a client sends
// can grow the series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FleetMetricsRepository } from '../repositories/fleet-metrics.repository.ts';

export interface PortalMetricsDeps {
  fleet: FleetMetricsRepository;
  log: { error(details: object, message: string): void };
}

export function createPortalMetrics({ fleet, log }: PortalMetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'photoplane_portal_' });

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

  // Read at scrape time: one failed query leaves its gauge empty for that scrape instead of failing the scrape.
  const scrape = (name: string, read: () => Promise<void>) => async () => {
    try {
      await read();
    } catch (err) {
      log.error({ err, metric: name }, 'could not read a metric from the database');
    }
  };

  const instances = new Gauge({
    name: 'photoplane_instances',
    help: 'Instances by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect: scrape('photoplane_instances', async () => {
      const rows = await fleet.instancesByState();
      instances.reset();
      for (const r of rows) instances.set({ state: r.state }, r.count);
    }),
  });

  const usedBytes = new Gauge({
    name: 'photoplane_instance_used_bytes',
    help: "Bytes an instance's members store (active and suspended instances)",
    labelNames: ['instance'] as const,
    registers: [registry],
  });
  const planBytes = new Gauge({
    name: 'photoplane_instance_plan_bytes',
    help: "Bytes an instance's plan allows",
    labelNames: ['instance'] as const,
    registers: [registry],
    collect: scrape('photoplane_instance_plan_bytes', async () => {
      const rows = await fleet.instanceUsage();
      usedBytes.reset();
      planBytes.reset();
      for (const r of rows) {
        usedBytes.set({ instance: r.subdomain }, Number(r.usedBytes));
        planBytes.set({ instance: r.subdomain }, Number(r.planBytes));
      }
    }),
  });

  const hostInstances = new Gauge({
    name: 'photoplane_docker_host_instances',
    help: 'Instances placed on a Docker host (from placement until they are gone)',
    labelNames: ['host'] as const,
    registers: [registry],
  });
  const hostCapacity = new Gauge({
    name: 'photoplane_docker_host_capacity',
    help: 'How many instances a Docker host takes',
    labelNames: ['host'] as const,
    registers: [registry],
    collect: scrape('photoplane_docker_host_capacity', async () => {
      const rows = await fleet.hostLoad();
      hostInstances.reset();
      hostCapacity.reset();
      for (const r of rows) {
        hostInstances.set({ host: r.name }, r.instances);
        hostCapacity.set({ host: r.name }, r.capacity);
      }
    }),
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

    /** The text exposition format, every metric collected now. */
    async render(): Promise<string> {
      return registry.metrics();
    },
  };
}

export type PortalMetrics = ReturnType<typeof createPortalMetrics>;
