// Durability (SPEC V2): the worker process is killed (SIGKILL, no goodbye) in the middle of provisioning, a new one
// is started, and the workflow completes where it left off, with no duplicate container, network or volume.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { TEST_RUN_LABEL, testStack } from '@photoplane/infra/testing';
import { Client, Connection } from '@temporalio/client';
import { dockerClient, listManaged, removeInstanceStack } from '../src/docker/index.ts';
import { createCaddyEdge } from '../src/edge/index.ts';
import {
  PROGRESS_QUERY,
  provisionInstanceWorkflowId,
  workflowNames,
  type ProvisionInstanceInput,
  type ProvisionInstanceResult,
  type ProvisionProgress,
} from '../src/contracts/index.ts';
import { createPendingInstance } from './fixtures/instances.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const stack = testStack();
const docker = dockerClient(stack.dockerHost);
const edge = createCaddyEdge({ adminUrl: stack.caddy.adminUrl, serverId: stack.caddy.serverId, domain: stack.domain });
const taskQueue = `test-crash-${randomBytes(4).toString('hex')}`;
const hostName = `c${stack.runId}${randomBytes(2).toString('hex')}`;
const workers: ChildProcess[] = [];
let output = '';
let db: CreatedDatabase;
let prisma: PrismaClient;
let connection: Connection;
let instanceId = '';

/** The worker as `npm start` runs it: its own process, configured from the environment only. */
function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/provisioner/src/worker.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_TASK_QUEUE: taskQueue,
      PHOTOPLANE_DOCKER_HOST_NAME: hostName,
      PHOTOPLANE_RESOURCE_LABELS: `${TEST_RUN_LABEL}=${stack.runId}`,
      LOG_LEVEL: 'warn',
      // No portal runs in this file: the route's /photoplane prefix points at a port nothing listens on.
      PORTAL_UPSTREAM: '127.0.0.1:9',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  workers.push(child);
  return child;
}

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  connection = await Connection.connect({ address: stack.temporalAddress });
});

after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  if (instanceId) {
    await removeInstanceStack(docker, instanceId).catch(() => undefined);
    await edge.unrouteInstance(instanceId).catch(() => undefined);
  }
  await connection?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

test('a worker killed while the stack comes up is replaced and the workflow completes without duplicates', async () => {
  const client = new Client({ connection, namespace: stack.temporalNamespace });
  const first = startWorkerProcess();
  // The worker registers its Docker host at start-up (probe workflow); placement needs that row.
  for (let i = 0; !(await prisma.dockerHost.findUnique({ where: { name: hostName } })); i++) {
    if (i > 300) throw new Error(`the worker never registered its host:\n${output}`);
    await sleep(100);
  }

  const { instance, input } = await createPendingInstance(prisma, `cr${stack.runId}`);
  instanceId = instance.id;
  const handle = await client.workflow.start<(i: ProvisionInstanceInput) => Promise<ProvisionInstanceResult>>(
    workflowNames.provisionInstance,
    {
      taskQueue,
      workflowId: provisionInstanceWorkflowId(instanceId),
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    },
  );

  // Kill the worker as soon as the containers step is under way and something of the stack exists.
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error(`provisioning never reached the containers step:\n${output}`);
    const progress = await handle.query<ProvisionProgress>(PROGRESS_QUERY).catch(() => undefined);
    const managed = await listManaged(docker, instanceId);
    if (progress?.step === 'containers' && managed.networks.length > 0) break;
    await sleep(50);
  }
  first.kill('SIGKILL');
  await once(first, 'exit');

  startWorkerProcess();
  const result = await handle.result();
  assert.equal(result.instanceId, instanceId);

  const managed = await listManaged(docker, instanceId);
  assert.equal(managed.containers.length, 3, 'exactly db, cache and app');
  assert.deepEqual(
    managed.networks.map((n) => n.Labels?.['photoplane.role']).sort(),
    ['egress-network', 'network'],
    'exactly the internal and the egress network',
  );
  assert.equal(managed.volumes.length, 2, 'exactly the library and database volumes');
  assert.ok(managed.containers.every((c) => c.State === 'running'));
  const row = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
  assert.equal(row.state, 'active');

  // The step the killed worker held timed out on its heartbeat and ran again: its final attempt is not the first.
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return started ? [started.attempt ?? 1] : [];
  });
  assert.ok(
    attempts.some((a) => a > 1),
    `an activity was retried after the crash (attempts: ${attempts.join(',')})`,
  );
});
