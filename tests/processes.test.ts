// End to end: the portal and the worker as the processes `npm start` runs (their own entry points, config from
// the environment), against the real PostgreSQL, Temporal and Docker Engine of the test stack.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
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
} from '@photoplane/provisioner/shared';
import { Client, Connection } from '@temporalio/client';

const root = path.resolve(import.meta.dirname, '..');
const stack = testStack();
const taskQueue = `e2e-${stack.runId}`;
let db: CreatedDatabase;
const children: ChildProcess[] = [];
let portalUrl: string;
let output = '';

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

function startService(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

before(async () => {
  db = await createTestDatabase();
  const port = await freePort();
  portalUrl = `http://127.0.0.1:${port}`;
  startService('apps/provisioner/src/worker.ts', {});
  startService('apps/portal/src/server.ts', { PORT: String(port), HOST: '127.0.0.1' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${portalUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the portal did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  for (const child of children) await stop(child);
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

test('both processes stop cleanly on SIGTERM', async () => {
  for (const child of children) assert.equal(await stop(child), 0, `exit code 0 expected; output:\n${output}`);
});

test('the portal refuses to start with invalid configuration and says why', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/portal/src/server.ts'], {
    cwd: root,
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
