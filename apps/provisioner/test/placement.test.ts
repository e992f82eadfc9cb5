// Several Docker hosts (SPEC V5): two engines on this machine, each with its own worker on its own task queue.
// Placement puts each new instance on the registered host with the most free room, and refuses when none has any.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testLabels, testStack } from '@photoplane/infra/testing';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities, createHostActivities } from '../src/activities/index.ts';
import { dockerClient, listManaged, removeInstanceStack } from '../src/docker/index.ts';
import { createCaddyEdge } from '../src/edge/index.ts';
import { createLogger, installTemporalLogger } from '../src/logger.ts';
import { createImmichPhotoApp } from '../src/photo-app/index.ts';
import { createSmtpMailer } from '../src/mail.ts';
import { createSecrets } from '../src/secrets.ts';
import {
  provisionInstanceWorkflowId,
  workflowNames,
  type ProvisionInstanceInput,
  type ProvisionInstanceResult,
} from '../src/contracts/index.ts';
import { stackProfile } from '../src/stack-profiles.ts';
import { createPendingInstance } from './fixtures/instances.ts';
import { createHostWorker, createWorker } from '../src/worker.ts';

installTemporalLogger(createLogger('warn'));

const stack = testStack();
if (!stack.secondDockerHost) throw new Error('the placement test needs the second Docker engine `npm test` starts');
const hosts = [
  { name: `a${stack.runId}`, docker: dockerClient(stack.dockerHost), endpoint: stack.dockerHost },
  { name: `b${stack.runId}`, docker: dockerClient(stack.secondDockerHost), endpoint: stack.secondDockerHost },
];
const secrets = createSecrets(randomBytes(32).toString('base64url'));
// No portal runs in this file: the routes' /photoplane prefix points at a port nothing listens on.
const edge = createCaddyEdge({
  adminUrl: stack.caddy.adminUrl,
  serverId: stack.caddy.serverId,
  domain: stack.domain,
  portalUpstream: '127.0.0.1:9',
});
const taskQueue = `test-placement-${randomBytes(4).toString('hex')}`;
const profile = stackProfile('standin', {
  app: stack.images.photoAppStandin,
  db: stack.images.busybox,
  cache: stack.images.busybox,
});
const created: string[] = [];

let db: CreatedDatabase;
let prisma: PrismaClient;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  for (const h of hosts) {
    await prisma.dockerHost.create({
      data: { name: h.name, endpoint: h.endpoint, capacity: 2, lastProbedAt: new Date() },
    });
  }
  connection = await NativeConnection.connect({ address: stack.temporalAddress });
  clientConnection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection: clientConnection, namespace: stack.temporalNamespace });
});

after(async () => {
  for (const id of created) {
    for (const h of hosts) await removeInstanceStack(h.docker, id).catch(() => undefined);
    await edge.unrouteInstance(id).catch(() => undefined);
  }
  await clientConnection?.close();
  await connection?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

async function pendingInstance(): Promise<ProvisionInstanceInput> {
  const { instance, input } = await createPendingInstance(prisma, `pl${stack.runId}`);
  created.push(instance.id);
  return input;
}

function provision(input: ProvisionInstanceInput) {
  return client.workflow.execute<(i: ProvisionInstanceInput) => Promise<ProvisionInstanceResult>>(
    workflowNames.provisionInstance,
    {
      taskQueue,
      workflowId: provisionInstanceWorkflowId(input.instanceId),
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    },
  );
}

test('instances spread over two hosts by free capacity, each runs on the engine it was placed on, and a full fleet refuses', async () => {
  const workers: Worker[] = [
    await createWorker({
      connection,
      namespace: stack.temporalNamespace,
      taskQueue,
      activities: createActivities({
        docker: hosts[0]!.docker,
        prisma,
        secrets,
        edge,
        domain: stack.domain,
        mailer: createSmtpMailer(stack.smtp.url, 'Photoplane <noreply@photos.test>'),
        photoApp: (baseUrl, credentials) => createImmichPhotoApp({ baseUrl, ...credentials }),
      }),
    }),
    ...(await Promise.all(
      hosts.map((h) =>
        createHostWorker({
          connection,
          namespace: stack.temporalNamespace,
          hostName: h.name,
          activities: createHostActivities({
            docker: h.docker,
            secrets,
            profile,
            extraLabels: testLabels(stack.runId),
          }),
        }),
      ),
    )),
  ];
  const run = async () => {
    const placed: string[] = [];
    // One at a time, so each placement sees the ones before it: a, b (a has 1 left, b 2), a (tie, by name), b.
    for (let i = 0; i < 4; i++) placed.push((await provision(await pendingInstance())).hostName);
    assert.deepEqual(placed, [hosts[0]!.name, hosts[1]!.name, hosts[0]!.name, hosts[1]!.name]);

    const fifth = await pendingInstance();
    await assert.rejects(provision(fifth), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.match(String(e.cause?.message), /no Docker host has room/);
      return true;
    });
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: fifth.instanceId } });
    assert.equal(row.state, 'failed');
  };
  const [w0, w1, w2] = workers as [Worker, Worker, Worker];
  await w0.runUntil(w1.runUntil(w2.runUntil(run())));

  // Each instance's containers are on the engine of the host it was placed on, and only there.
  const instances = await prisma.instance.findMany({ where: { state: 'active' }, include: { dockerHost: true } });
  assert.equal(instances.length, 4);
  for (const inst of instances) {
    for (const h of hosts) {
      const managed = await listManaged(h.docker, inst.id);
      const expected = inst.dockerHost?.name === h.name ? 3 : 0;
      assert.equal(managed.containers.length, expected, `${inst.id} on ${h.name}`);
    }
  }
});
