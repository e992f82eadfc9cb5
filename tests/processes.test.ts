// End to end: the portal and the worker as the processes `npm start` runs (their own entry points, config from
// the environment), against the real PostgreSQL, Temporal and Docker Engine of the test stack.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testStack } from '@photoplane/infra/testing';
import {
  probeDockerHostWorkflowId,
  reconcileScheduleId,
  USAGE_SYNC_SCHEDULE_ID,
  workflowNames,
  type DockerHostProbeResult,
  type ReconcileReport,
} from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import { repoRoot, startServices, type Services } from './support/services.ts';

const stack = testStack();
const taskQueue = `e2e-${stack.runId}`;
let db: CreatedDatabase;
let services: Services | undefined;
let portalUrl: string;
let servicesStartedAt: Date;

before(async () => {
  db = await createTestDatabase();
  servicesStartedAt = new Date();
  services = await startServices({
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: taskQueue,
    // A day between scheduled runs: any reconcile seen during this test came from the worker's start.
    PHOTOPLANE_RECONCILE_EVERY_MINUTES: '1440',
  });
  portalUrl = services.portalUrl;
});

after(async () => {
  await services?.stopAll();
  await db?.drop();
});

test('the portal process answers /readyz with PostgreSQL and Temporal up', async () => {
  const res = await fetch(`${portalUrl}/readyz`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { checks: Record<string, { status: string }> };
  assert.deepEqual(Object.keys(body.checks).sort(), ['database', 'temporal']);
});

test('the worker process runs the probe workflow against the Docker Engine and records the host', async () => {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.temporalNamespace });
    const hostName = `e2e-${stack.runId}`;
    const result = await client.workflow.execute<
      (i: { hostName: string; endpoint: string }) => Promise<DockerHostProbeResult>
    >(workflowNames.probeDockerHost, {
      taskQueue,
      workflowId: probeDockerHostWorkflowId(hostName),
      args: [{ hostName, endpoint: stack.dockerHost }],
      workflowExecutionTimeout: '60s',
    });
    assert.match(result.version, /^\d+\.\d+/);
    const prisma = createPrismaClient(db.url);
    try {
      const row = await prisma.dockerHost.findUnique({ where: { name: hostName } });
      assert.equal(row?.engineVersion, result.version);
    } finally {
      await prisma.$disconnect();
    }
  } finally {
    await connection.close();
  }
});

test('the worker process puts its host under a reconcile schedule that does not overlap itself, and the fleet under a usage sync', async () => {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.temporalNamespace });
    const handle = client.schedule.getHandle(reconcileScheduleId('local'));
    let description;
    for (let i = 0; !description && i < 100; i++) {
      description = await handle.describe().catch(() => undefined);
      if (!description) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(description, 'the schedule exists');
    assert.equal(description.action.type, 'startWorkflow');
    assert.equal(description.action.workflowType, workflowNames.reconcileInstances);
    assert.equal(description.action.taskQueue, taskQueue);
    assert.equal(description.policies.overlap, 'SKIP');
    const usage = await client.schedule.getHandle(USAGE_SYNC_SCHEDULE_ID).describe();
    assert.equal(usage.action.type === 'startWorkflow' && usage.action.workflowType, workflowNames.syncUsage);
  } finally {
    await connection.close();
  }
});

test('the worker reconciles its host once as soon as it starts, not only at the next scheduled run', async () => {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.temporalNamespace });
    const handle = client.schedule.getHandle(reconcileScheduleId('local'));
    let action;
    for (let i = 0; !action && i < 150; i++) {
      const { info } = await handle.describe().catch(() => ({ info: { recentActions: [] } }));
      action = info.recentActions.find((a) => a.takenAt >= servicesStartedAt);
      if (!action) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(action, 'a reconcile run was started after the worker started');
    const run = client.workflow.getHandle(action.action.workflow.workflowId);
    assert.equal((await run.describe()).type, workflowNames.reconcileInstances);
    // It ran to the end on this worker: the test database has no instances to check.
    const report = (await run.result()) as ReconcileReport;
    assert.deepEqual(report, { checked: 0, repaired: [], failed: [], skipped: [] });
  } finally {
    await connection.close();
  }
});

test('both processes stop cleanly on SIGTERM', async () => {
  const codes = await services!.stopAll();
  assert.deepEqual(codes, [0, 0], `exit code 0 expected; output:\n${services!.output()}`);
});

test('the portal refuses to start with invalid configuration and says why', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/portal/src/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: '', PORT: 'nope' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 78);
  assert.match(stderr, /DATABASE_URL is required/);
  assert.match(stderr, /PORT must be an integer/);
});
