// The set-up the provisioning, lifecycle and reconcile tests share: a database of their own,
// a registered Docker host, a general worker and a host worker in-process against the real Temporal server,
// Docker Engine, Caddy and PostgreSQL. Instances are provisioned with the real saga before each test acts on them.
// A small HTTP server in this process plays the portal behind the edge (PORTAL_UPSTREAM): it records what reaches it
// and answers OpenID discovery for the instance host it is asked at, as the portal's provider does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testLabels, testStack } from '@photoplane/infra/testing';
import { Client, Connection } from '@temporalio/client';
import type Docker from 'dockerode';
import { NativeConnection, type Worker } from '@temporalio/worker';
import {
  createActivities,
  createBackupHostActivities,
  createHostActivities,
  type Activities,
  type HostActivities,
} from '../src/activities/index.ts';
import { createRestic } from '../src/backup/restic.ts';
import { createPendingInstance } from './fixtures/instances.ts';
import { dockerClient, removeInstanceStack } from '../src/docker/index.ts';
import { createCaddyEdge, type CaddyEdge } from '../src/edge/index.ts';
import { instanceOrigin } from '../src/instance-url.ts';
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
import { createHostWorker, createWorker } from '../src/worker.ts';

installTemporalLogger(createLogger('warn'));

export const stack = testStack();
export const docker = dockerClient(stack.dockerHost);
export const secrets = createSecrets(randomBytes(32).toString('base64url'));
const mailer = createSmtpMailer(stack.smtp.url, 'Photoplane <noreply@photos.test>');
export let edge: CaddyEdge;

/** A request that reached the portal's stand-in through the edge. */
export interface PortalRequest {
  method: string;
  host: string;
  url: string;
}
/** Every request the portal's stand-in received, oldest first. */
export const portalRequests: PortalRequest[] = [];
let portalServer: http.Server | undefined;
export let portalUpstream: string;

async function startPortalStandin(): Promise<string> {
  portalServer = http.createServer((req, res) => {
    const host = req.headers.host ?? '';
    portalRequests.push({ method: req.method ?? '', host, url: req.url ?? '' });
    if (req.url === '/photoplane/.well-known/openid-configuration') {
      const issuer = `http://${host}/photoplane`;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
      return;
    }
    res.end(`portal ${host} ${req.url ?? ''}`);
  });
  await new Promise<void>((resolve) => portalServer!.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(portalServer.address() as AddressInfo).port}`;
}

/** The instance's origin under the stack's PHOTOPLANE_INSTANCE_URL, e.g. http://sub.photos.localhost:8080. */
export function originOf(subdomain: string): string {
  return instanceOrigin(stack.instanceUrl, subdomain);
}
export const photoApp = (baseUrl: string, credentials?: { apiKey: string } | { accessToken: string }) =>
  createImmichPhotoApp({ baseUrl, ...credentials });
export const hostName = `h${stack.runId}${randomBytes(2).toString('hex')}`;
export const taskQueue = `test-lifecycle-${randomBytes(4).toString('hex')}`;
const createdInstances: string[] = [];

let db: CreatedDatabase;
export let prisma: PrismaClient;
/** The test database's URL (for a portal started over the same database, e.g. members-sync.test.ts). */
export const databaseUrl = (): string => db.url;
let workerConnection: NativeConnection;
let clientConnection: Connection;
export let client: Client;

export async function setUp(): Promise<void> {
  portalUpstream = await startPortalStandin();
  edge = createCaddyEdge({
    adminUrl: stack.caddy.adminUrl,
    serverId: stack.caddy.serverId,
    domain: stack.domain,
    portalUpstream,
  });
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  await prisma.dockerHost.create({
    data: { name: hostName, endpoint: stack.dockerHost, capacity: 20, lastProbedAt: new Date() },
  });
  workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  clientConnection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection: clientConnection, namespace: stack.temporalNamespace });
}

export async function tearDown(): Promise<void> {
  for (const id of createdInstances) {
    await removeInstanceStack(docker, id).catch(() => undefined);
    await edge.unrouteInstance(id).catch(() => undefined);
  }
  await clientConnection?.close();
  await workerConnection?.close();
  await prisma?.$disconnect();
  await db?.drop();
  if (portalServer) await new Promise((resolve) => portalServer!.close(resolve));
}

/** The real control-queue activities over this file's database, edge, SMTP catcher and secrets. */
export function controlActivities(): Activities {
  return createActivities({
    docker,
    prisma,
    secrets,
    edge,
    photoApp,
    mailer,
    domain: stack.domain,
    instanceUrlTemplate: stack.instanceUrl,
  });
}

/** The real host activities over an engine, with the stand-in profile and this run's labels. */
function standinHostActivities(engine: Docker): HostActivities {
  return createHostActivities({
    docker: engine,
    secrets,
    profile: stackProfile('standin', {
      app: stack.images.photoAppStandin,
      db: stack.images.busybox,
      cache: stack.images.busybox,
    }),
    extraLabels: testLabels(stack.runId),
    edgeSocket: stack.edgeSocket,
    // The stand-in is healthy within seconds; a broken image must not hold an upgrade test for minutes.
    healthTimeoutMs: 30_000,
  });
}

/**
 * Runs fn with a general worker and a host worker for this file's queues. `wrapHost` and `wrapControl` may replace
 * activities, given the real ones (to fail a step on purpose).
 */
export async function withWorkers<T>(
  fn: () => Promise<T>,
  wrapHost: (real: HostActivities) => Partial<HostActivities> = () => ({}),
  wrapControl: (real: Activities) => Partial<Activities> = () => ({}),
): Promise<T> {
  const realControl = controlActivities();
  const activities = { ...realControl, ...wrapControl(realControl) };
  const real = standinHostActivities(docker);
  const hostActivities = { ...real, ...wrapHost(real) };
  const general: Worker = await createWorker({
    connection: workerConnection,
    namespace: stack.temporalNamespace,
    taskQueue,
    activities,
  });
  const host: Worker = await createHostWorker({
    connection: workerConnection,
    namespace: stack.temporalNamespace,
    hostName,
    activities: hostActivities,
  });
  return general.runUntil(host.runUntil(fn()));
}

/**
 * Runs fn while a second Docker host is registered, backed by the second engine `npm test` starts, with a host
 * worker of its own (its task queue); the host's row is removed afterwards. For instances placed on another host
 * than the one their resources were made on.
 */
export async function withSecondHost<T>(fn: (host: { id: string; docker: Docker }) => Promise<T>): Promise<T> {
  if (!stack.secondDockerHost) throw new Error('this test needs the second Docker engine `npm test` starts');
  const secondDocker = dockerClient(stack.secondDockerHost);
  const name = `s${stack.runId}${randomBytes(2).toString('hex')}`;
  const row = await prisma.dockerHost.create({
    data: { name, endpoint: stack.secondDockerHost, capacity: 20, lastProbedAt: new Date() },
  });
  try {
    const worker = await createHostWorker({
      connection: workerConnection,
      namespace: stack.temporalNamespace,
      hostName: name,
      activities: standinHostActivities(secondDocker),
    });
    return await worker.runUntil(fn({ id: row.id, docker: secondDocker }));
  } finally {
    await prisma.instance.updateMany({ where: { dockerHostId: row.id }, data: { dockerHostId: null } });
    await prisma.dockerHost.delete({ where: { id: row.id } });
  }
}

/** Starts a workflow by name on this file's queue and waits for its result. */
export function execute<I, R>(workflowName: string, workflowId: string, input: I): Promise<R> {
  return client.workflow.execute<(i: I) => Promise<R>>(workflowName, {
    taskQueue,
    workflowId,
    args: [input],
    workflowExecutionTimeout: '5 minutes',
  });
}

/** An instance provisioned by the real saga, as the lifecycle workflows find it in production. */
/** A pending instance (account, subscription, plan), removed from Docker and the edge in tearDown. */
export async function pendingInstance(subdomainPrefix = `l${stack.runId}`) {
  const created = await createPendingInstance(prisma, subdomainPrefix);
  createdInstances.push(created.instance.id);
  return created;
}

/** Starts the provisioning saga for the instance on this file's queue and waits for its result. */
export function provision(input: ProvisionInstanceInput): Promise<ProvisionInstanceResult> {
  return execute<ProvisionInstanceInput, ProvisionInstanceResult>(
    workflowNames.provisionInstance,
    provisionInstanceWorkflowId(input.instanceId),
    input,
  );
}

/** An instance provisioned by the real saga, as the lifecycle workflows find it in production. */
export async function provisionedInstance() {
  const { instance, input } = await pendingInstance();
  const email = input.owner.email;
  const result = await provision(input);
  return {
    id: instance.id,
    subdomain: instance.subdomain,
    host: `${instance.subdomain}.${stack.domain}`,
    email,
    result,
  };
}

/** GET through Caddy's HTTP port with the instance's Host header (fetch may not set Host). */
export function getThroughEdge(host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // No agent: a kept-alive connection would not outlive Caddy's next config change.
    const opts = { host: '127.0.0.1', port: stack.caddy.httpPort, path, headers: { host }, agent: false };
    const req = http.get(opts, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
  });
}

/** Whether the instance answers the photo app's ping through the edge. */
export async function answersThroughEdge(host: string): Promise<boolean> {
  const res = await getThroughEdge(host, '/api/server/ping');
  return res.status === 200 && res.body.includes('pong');
}

/** The control plane's admin client of the instance's photo app: its stored key at its stored port. */
export async function adminApp(instanceId: string) {
  const row = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
  if (!row.photoAppApiKeyCipher || !row.appHostPort) throw new Error('the instance has no key or port recorded');
  return photoApp(`http://127.0.0.1:${row.appHostPort}`, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher) });
}

/** The e-mails of the photo app's users, asked with the control plane's stored key at the stored port. */
export async function appUserEmails(instanceId: string): Promise<string[]> {
  return (await (await adminApp(instanceId)).listUsers()).map((u) => u.email);
}

/** The route Caddy holds for the instance, if any. */
export async function routeOf(instanceId: string) {
  return (await edge.listRoutes()).find((r) => r.instanceId === instanceId);
}

/** A second name for the stand-in image: an upgrade target that works. Untag it in after(). */
export async function retaggedStandin(): Promise<string> {
  const repo = `photoplane-test/photo-app-upgrade-${stack.runId}`;
  const tag = randomBytes(3).toString('hex');
  await docker.getImage(stack.images.photoAppStandin).tag({ repo, tag });
  return `${repo}:${tag}`;
}

/** withWorkers with the backup activities on the host queue too, as the worker registers them (worker.ts). */
export function withBackupWorkers<T>(fn: () => Promise<T>): Promise<T> {
  const restic = createRestic({ binary: stack.backups.restic, repositoryRoot: stack.backups.repositoryRoot });
  return withWorkers(
    fn,
    () =>
      createBackupHostActivities({
        docker,
        secrets,
        restic,
        profile: stackProfile('standin', {
          app: stack.images.photoAppStandin,
          db: stack.images.busybox,
          cache: stack.images.busybox,
        }),
        profileName: 'standin',
        extraLabels: testLabels(stack.runId),
        edgeSocket: stack.edgeSocket,
        healthTimeoutMs: 30_000,
      }) as unknown as Partial<HostActivities>,
  );
}
