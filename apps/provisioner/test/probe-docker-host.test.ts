// The wiring proof: a workflow on the real Temporal dev server, run by the real worker, reaches the real Docker
// Engine through an activity and records what it found in the real PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testStack } from '@photoplane/infra/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDockerHostActivities } from '../src/activities/docker-host.activities.ts';
import { dockerClient } from '../src/docker/index.ts';
import { probeDockerHostWorkflowId, workflowNames, type DockerHostProbeResult } from '../src/contracts/index.ts';
import { createLogger, installTemporalLogger } from '../src/logger.ts';
import { createWorker } from '../src/worker.ts';

// Temporal's runtime logs at INFO by default; the tests only want warnings.
installTemporalLogger(createLogger('warn'));

const stack = testStack();
let db: CreatedDatabase;
let prisma: PrismaClient;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
});

after(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

test('a workflow run by the worker asks the Docker Engine for its version and records it', async () => {
  const docker = dockerClient(stack.dockerHost);
  const taskQueue = `test-probe-${randomBytes(4).toString('hex')}`;
  const hostName = `host-${stack.runId}`;
  const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await createWorker({
    connection: workerConnection,
    namespace: stack.temporalNamespace,
    taskQueue,
    activities: createDockerHostActivities({ docker, prisma }),
  });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: stack.temporalNamespace });
  try {
    const result = await worker.runUntil(
      client.workflow.execute<(input: { hostName: string; endpoint: string }) => Promise<DockerHostProbeResult>>(
        workflowNames.probeDockerHost,
        {
          taskQueue,
          workflowId: probeDockerHostWorkflowId(hostName),
          args: [{ hostName, endpoint: stack.dockerHost }],
        },
      ),
    );

    const engine = await docker.version();
    assert.equal(result.version, engine.Version, 'the workflow reports the version the engine itself reports');
    assert.equal(result.apiVersion, engine.ApiVersion);

    const row = await prisma.dockerHost.findUniqueOrThrow({ where: { name: hostName } });
    assert.equal(row.id, result.hostId);
    assert.equal(row.engineVersion, engine.Version, 'the version is recorded in the database');
    assert.equal(row.endpoint, stack.dockerHost);
    assert.equal(row.lastProbedAt?.toISOString(), result.probedAt);

    const history = await client.workflow.getHandle(probeDockerHostWorkflowId(hostName)).fetchHistory();
    const activityTypes = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    assert.deepEqual(
      activityTypes,
      ['inspectDockerEngine', 'recordDockerHostProbe'],
      'the work went through Temporal activities',
    );
  } finally {
    await clientConnection.close();
    await workerConnection.close();
  }
});
