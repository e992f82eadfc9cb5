// The provisioning saga end to end (SPEC V1, V2): a real Temporal server, this worker's workflows and activities,
// the real Docker Engine running the stand-in photo app, real Caddy at the edge and real PostgreSQL. Failures are
// injected by making one step's activity fail after it has done its work, so the compensations must undo it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testLabels, testStack } from '@photoplane/infra/testing';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { simpleParser } from 'mailparser';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities, createHostActivities } from '../src/activities/index.ts';
import { dockerClient, listManaged, removeInstanceStack } from '../src/docker/index.ts';
import { createCaddyEdge } from '../src/edge/index.ts';
import { createLogger, installTemporalLogger } from '../src/logger.ts';
import { createImmichPhotoApp } from '../src/photo-app/index.ts';
import { createSmtpMailer } from '../src/mail.ts';
import { createSecrets } from '../src/secrets.ts';
import {
  PROGRESS_QUERY,
  provisionInstanceWorkflowId,
  workflowNames,
  type ProvisionInstanceInput,
  type ProvisionInstanceResult,
  type ProvisionProgress,
} from '../src/shared.ts';
import { stackProfile } from '../src/stack-profiles.ts';
import { createHostWorker, createWorker } from '../src/worker.ts';

installTemporalLogger(createLogger('warn'));

const stack = testStack();
const docker = dockerClient(stack.dockerHost);
const secrets = createSecrets(randomBytes(32).toString('base64url'));
const mailer = createSmtpMailer(stack.smtp.url, 'Photoplane <noreply@photos.test>');
const edge = createCaddyEdge({ adminUrl: stack.caddy.adminUrl, serverId: stack.caddy.serverId, domain: stack.domain });
const photoApp = (baseUrl: string, credentials?: { apiKey: string } | { accessToken: string }) =>
  createImmichPhotoApp({ baseUrl, ...credentials });
const hostName = `h${stack.runId}${randomBytes(2).toString('hex')}`;
const taskQueue = `test-provision-${randomBytes(4).toString('hex')}`;
const createdInstances: string[] = [];

let db: CreatedDatabase;
let prisma: PrismaClient;
let workerConnection: NativeConnection;
let clientConnection: Connection;
let client: Client;

type ActivityOverrides = Record<string, (...args: never[]) => Promise<unknown>>;

/** Runs fn with a general worker and a host worker for this test's queues, activities optionally overridden. */
async function withWorkers<T>(
  overrides: { control?: ActivityOverrides; host?: ActivityOverrides },
  fn: () => Promise<T>,
) {
  const activities = {
    ...createActivities({ docker, prisma, secrets, edge, photoApp, mailer, domain: stack.domain }),
    ...overrides.control,
  };
  const hostActivities = {
    ...createHostActivities({
      docker,
      secrets,
      profile: stackProfile('standin', {
        app: stack.images.photoAppStandin,
        db: stack.images.busybox,
        cache: stack.images.busybox,
      }),
      extraLabels: testLabels(stack.runId),
      healthTimeoutMs: 60_000,
    }),
    ...overrides.host,
  };
  const workers: Worker[] = [
    await createWorker({ connection: workerConnection, namespace: stack.temporalNamespace, taskQueue, activities }),
    await createHostWorker({
      connection: workerConnection,
      namespace: stack.temporalNamespace,
      hostName,
      activities: hostActivities,
    }),
  ];
  const [w0, w1] = workers as [Worker, Worker];
  return w0.runUntil(w1.runUntil(fn()));
}

/** An account with a pending instance, as the portal leaves it when checkout completes. */
async function pendingInstance() {
  const tag = randomBytes(4).toString('hex');
  const email = `owner-${tag}@example.org`;
  const plan = await prisma.plan.upsert({
    where: { id: 'family' },
    update: {},
    create: { id: 'family', name: 'Family', storageBytes: 1024n ** 4n, stripePriceId: 'price_family', priceCents: 900 },
  });
  const account = await prisma.account.create({ data: { email, emailNormalized: email, passwordHash: 'x' } });
  const subscription = await prisma.subscription.create({
    data: { accountId: account.id, planId: plan.id, state: 'active' },
  });
  const instance = await prisma.instance.create({
    data: { subscriptionId: subscription.id, subdomain: `p${stack.runId}${tag}`, state: 'pending' },
  });
  createdInstances.push(instance.id);
  const input: ProvisionInstanceInput = { instanceId: instance.id, owner: { email, name: `Owner ${tag}` } };
  return { instance, input };
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

/** GET through Caddy's HTTP port with the instance's Host header (fetch may not set Host). */
function getThroughEdge(host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: stack.caddy.httpPort, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
  });
}

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  await prisma.dockerHost.create({
    data: { name: hostName, endpoint: stack.dockerHost, capacity: 20, lastProbedAt: new Date() },
  });
  workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  clientConnection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection: clientConnection, namespace: stack.temporalNamespace });
});

after(async () => {
  for (const id of createdInstances) {
    await removeInstanceStack(docker, id).catch(() => undefined);
    await edge.unrouteInstance(id).catch(() => undefined);
  }
  await clientConnection?.close();
  await workerConnection?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

test('provisioning brings up an isolated, limited stack, makes the owner admin, routes the subdomain and marks it active', async () => {
  const { instance, input } = await pendingInstance();
  const result = await withWorkers({}, async () => {
    const r = await provision(input);
    const progress = await client.workflow
      .getHandle(provisionInstanceWorkflowId(instance.id))
      .query<ProvisionProgress>(PROGRESS_QUERY);
    assert.deepEqual(progress.completed, ['start', 'place', 'containers', 'owner', 'route', 'activate', 'notify']);
    return r;
  });
  assert.equal(result.hostName, hostName);
  assert.equal(result.url, `https://${instance.subdomain}.${stack.domain}`);

  const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id }, include: { dockerHost: true } });
  assert.equal(row.state, 'active');
  assert.equal(row.dockerHost?.name, hostName);
  assert.equal(row.appHostPort, result.appHostPort);
  assert.equal(row.provisioningStep, null);

  const managed = await listManaged(docker, instance.id);
  assert.equal(managed.containers.length, 3, 'db, cache and app');
  for (const c of managed.containers) {
    assert.equal(c.State, 'running');
    const info = await docker.getContainer(c.Id).inspect();
    assert.ok((info.HostConfig.Memory ?? 0) > 0, `${c.Names[0]} has a memory limit`);
    assert.equal(info.Config.Labels['photoplane.instance'], instance.id);
  }
  assert.equal(managed.networks.length, 1);
  assert.equal(managed.volumes.length, 2);

  const viaEdge = await getThroughEdge(`${instance.subdomain}.${stack.domain}`, '/api/server/ping');
  assert.equal(viaEdge.status, 200);
  assert.deepEqual(JSON.parse(viaEdge.body), { res: 'pong' });

  // The control plane's key was kept encrypted and works; the owner is the app's admin and must change the password.
  assert.ok(row.photoAppApiKeyCipher);
  const admin = photoApp(`http://127.0.0.1:${row.appHostPort}`, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher) });
  const users = await admin.listUsers();
  assert.equal(users.length, 1);
  assert.equal(users[0]?.email, input.owner.email);
  assert.equal(users[0]?.isAdmin, true);
  assert.equal(users[0]?.shouldChangePassword, true);

  // The owner was told, by e-mail through real SMTP, where the library is and the first password, which works.
  assert.equal(result.ownerNotified, true);
  const mail = await mailTo(input.owner.email);
  assert.match(mail.text, new RegExp(result.url.replaceAll('.', '\\.')));
  const password = /first password: (\S+)/.exec(mail.text)?.[1];
  assert.ok(password, 'the mail carries the first password');
  const session = await photoApp(`http://127.0.0.1:${row.appHostPort}`).login({ email: input.owner.email, password });
  assert.equal(session.shouldChangePassword, true, 'the first password must be changed at first sign-in');
  assert.ok(row.ownerNotifiedAt, 'the mail is recorded, so a retry does not send it twice');
});

/** The message the stack's SMTP catcher received for `to` (waits briefly for delivery). */
async function mailTo(to: string): Promise<{ subject: string; text: string }> {
  for (let i = 0; i < 50; i++) {
    for (const file of fs.readdirSync(stack.smtp.mailDir)) {
      const mail = await simpleParser(fs.readFileSync(path.join(stack.smtp.mailDir, file)));
      const recipients = [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address) ?? []);
      if (recipients.includes(to)) return { subject: mail.subject ?? '', text: mail.text ?? '' };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
}

const injected = (name: string) => async () => {
  throw ApplicationFailure.nonRetryable(`injected failure in ${name}`, 'InjectedFailure');
};

/** Runs the real activity, then fails: the step's work is done and must be undone by the compensations. */
function afterRealWork<A extends unknown[]>(name: string, real: (...args: A) => Promise<unknown>) {
  return async (...args: A) => {
    await real(...args);
    return injected(name)();
  };
}

for (const step of ['place', 'containers', 'owner', 'route', 'activate'] as const) {
  test(`a failure at step "${step}" fails the workflow, marks the instance failed and leaves no container, volume, network or route`, async () => {
    const { instance, input } = await pendingInstance();
    const control = createActivities({ docker, prisma, secrets, edge, photoApp, mailer, domain: stack.domain });
    const controlOverrides: Record<string, ActivityOverrides> = {
      place: { placeInstance: afterRealWork('placeInstance', (i: { instanceId: string }) => control.placeInstance(i)) },
      owner: {
        registerOwner: afterRealWork('registerOwner', (i: Parameters<typeof control.registerOwner>[0]) =>
          control.registerOwner(i),
        ),
      },
      route: {
        routeInstance: afterRealWork('routeInstance', (i: Parameters<typeof control.routeInstance>[0]) =>
          control.routeInstance(i),
        ),
      },
      activate: {
        markInstanceActive: afterRealWork('markInstanceActive', (i: Parameters<typeof control.markInstanceActive>[0]) =>
          control.markInstanceActive(i),
        ),
      },
    };
    const overrides: { control?: ActivityOverrides; host?: ActivityOverrides } =
      step === 'containers'
        ? {
            host: {
              ensureInstanceStack: afterRealWork(
                'ensureInstanceStack',
                (i: { instanceId: string; subscriptionId: string }) =>
                  createHostActivities({
                    docker,
                    secrets,
                    profile: stackProfile('standin', {
                      app: stack.images.photoAppStandin,
                      db: stack.images.busybox,
                      cache: stack.images.busybox,
                    }),
                    extraLabels: testLabels(stack.runId),
                  }).ensureInstanceStack(i),
              ),
            },
          }
        : { control: controlOverrides[step] };

    await withWorkers(overrides, async () => {
      await assert.rejects(provision(input), (e: unknown) => {
        assert.ok(e instanceof WorkflowFailedError);
        assert.match(String(e.cause?.message), new RegExp(`step "${step}".*injected failure`));
        return true;
      });
    });

    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'failed');
    assert.match(row.lastError ?? '', new RegExp(`^${step}: injected failure`));
    assert.equal(row.dockerHostId, null, 'the placement is released');
    const managed = await listManaged(docker, instance.id);
    assert.deepEqual(
      { containers: managed.containers.length, networks: managed.networks.length, volumes: managed.volumes.length },
      { containers: 0, networks: 0, volumes: 0 },
    );
    const routes = await edge.listRoutes();
    assert.ok(!routes.some((r) => r.instanceId === instance.id), 'no route is left at the edge');
  });
}
