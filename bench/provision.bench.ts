// Benchmark (SPEC V1, issue 5): provisioning N instances through the control plane (Temporal workflow, activities,
// placement, owner registration, edge route, database bookkeeping) against the same three containers, network and
// volumes created by a plain dockerode sequence, both measured in this run on this machine. Prints medians, the
// ratio (the control plane's overhead) and how wall time grows with N (instances provisioned concurrently).
//
// Run: npm run bench -- bench/provision.bench.ts   (BENCH_SIZES=1,2,4 by default)
import { randomBytes } from 'node:crypto';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import { testLabels, testStack } from '@photoplane/infra/testing';
import {
  buildInstanceStackSpec,
  createActivities,
  createCaddyEdge,
  createHostActivities,
  createHostWorker,
  createImmichPhotoApp,
  createLogger,
  createSecrets,
  createSmtpMailer,
  createWorker,
  dockerClient,
  installTemporalLogger,
  type InstanceStackSpec,
  publishedPort,
  removeInstanceStack,
  stackProfile,
} from '@photoplane/provisioner/testing';
import { provisionInstanceWorkflowId, workflowNames } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type Docker from 'dockerode';

const sizes = (process.env.BENCH_SIZES ?? '1,2,4').split(',').map(Number);
const stack = testStack();
const docker = dockerClient(stack.dockerHost);
const labels = testLabels(stack.runId);
const secrets = createSecrets(randomBytes(32).toString('base64url'));
const profile = stackProfile('standin', {
  app: stack.images.photoAppStandin,
  db: stack.images.busybox,
  cache: stack.images.busybox,
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The baseline: what an operator script would do with dockerode alone, in the same order, waiting for health. */
async function plainDockerode(spec: InstanceStackSpec): Promise<void> {
  await docker.createNetwork(spec.network);
  await docker.createNetwork(spec.egressNetwork);
  await docker.createVolume(spec.volumes.library);
  await docker.createVolume(spec.volumes.database);
  const startHealthy = async (c: Docker.ContainerCreateOptions & { name: string }) => {
    // Engine API 1.41 takes one network at create: the app's second network is connected before it starts.
    const endpoints = Object.entries(c.NetworkingConfig?.EndpointsConfig ?? {});
    const mode = c.HostConfig?.NetworkMode;
    const container = await docker.createContainer({
      ...c,
      NetworkingConfig: { EndpointsConfig: Object.fromEntries(endpoints.filter(([n]) => n === mode)) },
    });
    for (const [network, endpoint] of endpoints.filter(([n]) => n !== mode)) {
      await docker.getNetwork(network).connect({ Container: c.name, EndpointConfig: endpoint });
    }
    await container.start();
    for (;;) {
      const info = await container.inspect();
      if (info.State.Health?.Status === 'healthy') return;
      if (!info.State.Running) throw new Error(`${c.name} exited`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await Promise.all([startHealthy(spec.containers.db), startHealthy(spec.containers.cache)]);
  await startHealthy(spec.containers.app);
  await publishedPort(docker, spec.names.app, spec.appPort);
}

async function main(): Promise<void> {
  installTemporalLogger(createLogger('warn'));
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const hostName = `bench${stack.runId}`;
  await prisma.dockerHost.create({
    data: { name: hostName, endpoint: stack.dockerHost, capacity: 1000, lastProbedAt: new Date() },
  });
  await prisma.plan.create({
    data: { id: 'bench', name: 'Bench', storageBytes: 1024n ** 4n, stripePriceId: 'price_bench', priceCents: 0 },
  });
  const edge = createCaddyEdge({
    adminUrl: stack.caddy.adminUrl,
    serverId: stack.caddy.serverId,
    domain: stack.domain,
    // No portal runs in the benchmark: the routes' /photoplane prefix points at a port nothing listens on.
    portalUpstream: '127.0.0.1:9',
  });
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: stack.temporalNamespace });
  const taskQueue = `bench-${stack.runId}`;
  const worker = await createWorker({
    connection,
    namespace: stack.temporalNamespace,
    taskQueue,
    activities: createActivities({
      docker,
      prisma,
      secrets,
      edge,
      domain: stack.domain,
      mailer: createSmtpMailer(stack.smtp.url, 'Photoplane <noreply@photos.test>'),
      photoApp: (baseUrl, credentials) => createImmichPhotoApp({ baseUrl, ...credentials }),
    }),
  });
  const hostWorker = await createHostWorker({
    connection,
    namespace: stack.temporalNamespace,
    hostName,
    activities: createHostActivities({ docker, secrets, profile, extraLabels: labels }),
  });
  const instances: string[] = [];

  async function newInstance(): Promise<{ id: string; email: string }> {
    const tag = randomBytes(4).toString('hex');
    const email = `bench-${tag}@example.org`;
    const account = await prisma.account.create({ data: { email, emailNormalized: email, passwordHash: 'x' } });
    const sub = await prisma.subscription.create({ data: { accountId: account.id, planId: 'bench', state: 'active' } });
    const inst = await prisma.instance.create({
      data: { subscriptionId: sub.id, subdomain: `b${tag}`, state: 'pending' },
    });
    instances.push(inst.id);
    return { id: inst.id, email };
  }

  async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  }

  const rows: string[] = [];
  /** Per activity type, how long each took from scheduled to completed, over every workflow of the run. */
  const phases = new Map<string, number[]>();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  /** Records where one workflow spent its time; returns when its instance was usable (ms after it started). */
  async function recordPhases(workflowId: string): Promise<number> {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = new Map<string, { type: string; at: number }>();
    let first: number | undefined;
    let last = 0;
    let activities = 0;
    let usable: number | undefined;
    let stackUp: number | undefined;
    for (const e of events) {
      const at = ms(e.eventTime);
      first ??= at;
      last = at;
      const sched = e.activityTaskScheduledEventAttributes;
      if (sched) scheduled.set(String(e.eventId), { type: sched.activityType?.name ?? '?', at });
      // The owner's mail is asked for once the instance is active and routed: usable from then on.
      if (sched?.activityType?.name === 'notifyOwner') {
        usable ??= at - (first ?? at);
        // The owner's registration, the app's configuration, the route and the activation: local activities
        // since issue 18 (markers in the history, without times of their own), so measured together.
        if (stackUp !== undefined)
          phases.set('(containers up to usable)', [...(phases.get('(containers up to usable)') ?? []), at - stackUp]);
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = scheduled.get(String(done.scheduledEventId));
        if (!s) continue;
        const took = at - s.at;
        if (s.type === 'ensureInstanceStack') stackUp = at;
        activities += took;
        phases.set(s.type, [...(phases.get(s.type) ?? []), took]);
      }
    }
    const total = last - (first ?? last);
    phases.set('(workflow total)', [...(phases.get('(workflow total)') ?? []), total]);
    phases.set('(outside remote activities)', [
      ...(phases.get('(outside remote activities)') ?? []),
      total - activities,
    ]);
    if (usable === undefined) throw new Error(`${workflowId}: no notifyOwner in its history`);
    return usable;
  }
  const run = async () => {
    for (const n of sizes) {
      // Baseline first, then the control plane, each with n at once; everything is removed between rounds.
      const baseIds = Array.from({ length: n }, () => `bb${randomBytes(5).toString('hex')}`);
      const baseStart = performance.now();
      const baseTimes = await Promise.all(
        baseIds.map((id) =>
          timed(() =>
            plainDockerode(
              buildInstanceStackSpec({
                ...profile,
                instanceId: id,
                subscriptionId: 'bench',
                database: { password: 'bench' },
                extraLabels: labels,
              }),
            ),
          ),
        ),
      );
      const baseWall = performance.now() - baseStart;
      for (const id of baseIds) await removeInstanceStack(docker, id);

      const created = await Promise.all(Array.from({ length: n }, () => newInstance()));
      const cpStart = performance.now();
      const cpTimes = await Promise.all(
        created.map((inst) =>
          timed(() =>
            client.workflow.execute(workflowNames.provisionInstance, {
              taskQueue,
              workflowId: provisionInstanceWorkflowId(inst.id),
              args: [{ instanceId: inst.id, owner: { email: inst.email, name: 'Bench' } }],
            }),
          ),
        ),
      );
      const cpWall = performance.now() - cpStart;
      const usableTimes: number[] = [];
      for (const inst of created) usableTimes.push(await recordPhases(provisionInstanceWorkflowId(inst.id)));
      for (const inst of created) {
        await removeInstanceStack(docker, inst.id);
        await edge.unrouteInstance(inst.id);
      }
      rows.push(
        [
          String(n).padStart(3),
          median(baseTimes).toFixed(0).padStart(10),
          median(cpTimes).toFixed(0).padStart(12),
          (median(cpTimes) / median(baseTimes)).toFixed(2).padStart(7),
          median(usableTimes).toFixed(0).padStart(11),
          (median(usableTimes) / median(baseTimes)).toFixed(2).padStart(7),
          baseWall.toFixed(0).padStart(12),
          cpWall.toFixed(0).padStart(14),
        ].join('  '),
      );
    }
  };
  try {
    await worker.runUntil(hostWorker.runUntil(run()));
  } finally {
    for (const id of instances) await removeInstanceStack(docker, id).catch(() => undefined);
    await clientConnection.close();
    await connection.close();
    await prisma.$disconnect();
    await db.drop();
  }
  process.stdout.write(
    [
      '',
      'provision: control plane (Temporal workflow) vs plain dockerode, same containers, same run (ms)',
      '  N  dockerode p50  workflow p50   ratio  usable p50   ratio  dockerode wall  workflow wall',
      ...rows,
      '',
      'ratio = workflow median / dockerode median for one instance among N provisioned at once. The workflow also',
      'registers the owner in the photo app, routes the subdomain at Caddy and records every step in PostgreSQL.',
      "usable = from the workflow's start until its instance is active and routed (its history: when the owner's",
      'mail is asked for); the workflow then sends that mail and ends.',
      '',
      "where the workflow spends its time (all N together; from the workflows' event histories, scheduled to completed, ms)",
      '  phase                             p50     max      n',
      ...[...phases].map(([name, xs]) =>
        [
          `  ${name.padEnd(30)}`,
          median(xs).toFixed(0).padStart(7),
          Math.max(...xs)
            .toFixed(0)
            .padStart(7),
          String(xs.length).padStart(6),
        ].join(' '),
      ),
      '',
      "ensureInstanceStack is Docker's own time (networks, volumes, containers, health checks); the rest is the",
      'control plane. Bookkeeping in PostgreSQL runs as local activities and shows only in "outside remote activities".',
      '',
    ].join('\n'),
  );
}

await main();
