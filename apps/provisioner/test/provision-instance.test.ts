// The provisioning saga end to end (SPEC V1, V2): a real Temporal server, this worker's workflows and activities,
// the real Docker Engine running the stand-in photo app, real Caddy at the edge, real SMTP and PostgreSQL. Failures
// are injected by making one step's activity fail after it has done its work, so the compensations must undo it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import type { Activities, HostActivities } from '../src/activities/index.ts';
import { listManaged } from '../src/docker/index.ts';
import { PROGRESS_QUERY, provisionInstanceWorkflowId, type ProvisionProgress } from '../src/contracts/index.ts';
import {
  client,
  docker,
  edge,
  getThroughEdge,
  hostName,
  originOf,
  pendingInstance,
  photoApp,
  portalRequests,
  prisma,
  provision,
  secrets,
  setUp,
  stack,
  tearDown,
  withWorkers,
} from './harness.ts';

before(setUp);
after(tearDown);

test('provisioning brings up an isolated, limited stack, makes the owner admin, routes the subdomain and marks it active', async () => {
  const { instance, input } = await pendingInstance(`p${stack.runId}`);
  const result = await withWorkers(async () => {
    const r = await provision(input);
    const progress = await client.workflow
      .getHandle(provisionInstanceWorkflowId(instance.id))
      .query<ProvisionProgress>(PROGRESS_QUERY);
    assert.deepEqual(progress.completed, [
      'start',
      'place',
      'containers',
      'owner',
      'configure',
      'route',
      'activate',
      'notify',
    ]);
    return r;
  });
  assert.equal(result.hostName, hostName);
  const origin = originOf(instance.subdomain);
  assert.equal(result.url, origin);

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
    assert.ok((info.HostConfig.PidsLimit ?? 0) > 0, `${c.Names[0]} has a pids limit`);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL'], `${c.Names[0]} drops every capability`);
    assert.equal(info.HostConfig.ReadonlyRootfs, true, `${c.Names[0]} has a read-only root (stand-in profile)`);
    assert.equal(info.Config.Labels['photoplane.instance'], instance.id);
  }
  assert.deepEqual(
    managed.networks.map((n) => [n.Labels?.['photoplane.role'], n.Internal]).sort(),
    [
      ['egress-network', false],
      ['network', true],
    ],
    'an internal network for db and cache, an egress one for the app',
  );
  assert.equal(managed.volumes.length, 2);

  const viaEdge = await getThroughEdge(`${instance.subdomain}.${stack.domain}`, '/api/server/ping');
  assert.equal(viaEdge.status, 200);
  assert.deepEqual(JSON.parse(viaEdge.body), { res: 'pong' });

  // The control plane's key was kept encrypted and works; the owner is the app's admin, with no password to change
  // (they sign in through Photoplane).
  assert.ok(row.photoAppApiKeyCipher);
  const admin = photoApp(`http://127.0.0.1:${row.appHostPort}`, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher) });
  const users = await admin.listUsers();
  assert.equal(users.length, 1);
  assert.equal(users[0]?.email, input.owner.email);
  assert.equal(users[0]?.isAdmin, true);
  assert.equal(users[0]?.shouldChangePassword, false);
  // The owner is the instance's first member (M1), unlimited, so the photo app holds them to the whole plan.
  const plan = await prisma.plan.findFirstOrThrow({ where: { subscriptions: { some: { instance: { id: row.id } } } } });
  assert.equal(users[0]?.quotaBytes, plan.storageBytes);
  const ownerMember = await prisma.member.findFirstOrThrow({ where: { instanceId: row.id } });
  assert.deepEqual(
    [ownerMember.role, ownerMember.status, ownerMember.quotaBytes, ownerMember.photoAppUserId],
    ['owner', 'active', null, users[0]?.id],
  );

  // The photo app trusts Photoplane as its OpenID provider at the instance's own address, with password login off,
  // the storage template on, the instance's deletion delay and its external domain (SPEC I1).
  const config = await admin.getConfig();
  assert.deepEqual(
    {
      enabled: config.oauth?.enabled,
      issuerUrl: config.oauth?.issuerUrl,
      clientId: config.oauth?.clientId,
      autoRegister: config.oauth?.autoRegister,
      autoLaunch: config.oauth?.autoLaunch,
      storageQuotaClaim: config.oauth?.storageQuotaClaim,
      storageLabelClaim: config.oauth?.storageLabelClaim,
      roleClaim: config.oauth?.roleClaim,
      defaultStorageQuota: config.oauth?.defaultStorageQuota,
      tokenEndpointAuthMethod: config.oauth?.tokenEndpointAuthMethod,
      allowInsecureRequests: config.oauth?.allowInsecureRequests,
      passwordLogin: config.passwordLogin?.enabled,
      storageTemplate: config.storageTemplate?.enabled,
      deleteDelay: config.user?.deleteDelay,
      externalDomain: config.server?.externalDomain,
    },
    {
      enabled: true,
      issuerUrl: `${origin}/photoplane`,
      clientId: instance.id,
      autoRegister: true,
      autoLaunch: true,
      storageQuotaClaim: 'immich_quota',
      storageLabelClaim: 'immich_storage_label',
      roleClaim: 'immich_role',
      defaultStorageQuota: 0,
      tokenEndpointAuthMethod: 'client_secret_post',
      allowInsecureRequests: origin.startsWith('http:'),
      passwordLogin: false,
      storageTemplate: true,
      deleteDelay: row.deletionDelayDays,
      externalDomain: origin,
    },
  );
  assert.equal(config.oauth?.clientSecret, secrets.oidcClientSecret(instance.id), "the contract's derived secret");
  const appUrl = `http://127.0.0.1:${row.appHostPort}`;
  await assert.rejects(
    photoApp(appUrl).login({ email: input.owner.email, password: secrets.ownerInitialPassword(instance.id) }),
    { name: 'PhotoAppError', status: 401 },
    'password login is off, even with the password the control plane used once',
  );

  // The owner was told, by e-mail through real SMTP, where the library is and to sign in with their Photoplane
  // account; no password travels by mail any more.
  assert.equal(result.ownerNotified, true);
  const mail = await mailTo(input.owner.email);
  assert.match(mail.text, new RegExp(result.url.replaceAll('.', '\\.')));
  assert.match(mail.text, /Photoplane account/);
  assert.doesNotMatch(mail.text, /password: /i);
  assert.ok(!mail.text.includes(secrets.ownerInitialPassword(instance.id)), 'the derived password is never mailed');
  assert.ok(row.ownerNotifiedAt, 'the mail is recorded, so a retry does not send it twice');
});

test("the edge sends the instance's /photoplane prefix to the portal and the rest to the photo app, whose outgoing sign-in requests reach the portal through the edge socket", async () => {
  const { instance, input } = await pendingInstance(`e${stack.runId}`);
  await withWorkers(() => provision(input));
  const host = `${instance.subdomain}.${stack.domain}`;

  for (const path of ['/photoplane', '/photoplane/', '/photoplane/account?x=1']) {
    const res = await getThroughEdge(host, path);
    assert.equal(res.body, `portal ${host} ${path}`, `${path} reaches the portal with the instance's host`);
  }
  for (const path of ['/api/server/ping', '/photoplanes', '/auth/login']) {
    const res = await getThroughEdge(host, path);
    assert.doesNotMatch(res.body, /^portal /, `${path} is the photo app's`);
  }
  assert.deepEqual(JSON.parse((await getThroughEdge(host, '/api/server/ping')).body), { res: 'pong' });

  // The photo app starts an OpenID sign-in: it discovers its issuer (<origin>/photoplane) by dialling the edge's
  // unix socket mounted into its container, and Caddy hands the request to the portal by host and prefix.
  const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
  const origin = originOf(instance.subdomain);
  const seen = portalRequests.length;
  const res = await fetch(`http://127.0.0.1:${row.appHostPort}/api/oauth/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirectUri: `${origin}/auth/login` }),
  });
  const body = (await res.json()) as { url?: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  const authorize = new URL(body.url ?? '');
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${origin}/photoplane/auth`);
  assert.equal(authorize.searchParams.get('client_id'), instance.id);
  assert.deepEqual(
    portalRequests.slice(seen).map((r) => `${r.method} ${r.host} ${r.url}`),
    [`GET ${new URL(origin).host} /photoplane/.well-known/openid-configuration`],
  );
  // The socket's folder is mounted read-only, and nothing but the socket is in it.
  const appContainer = (await listManaged(docker, instance.id)).containers.find(
    (c) => c.Labels['photoplane.role'] === 'app',
  );
  const app = await docker.getContainer(appContainer!.Id).inspect();
  const mount = app.Mounts.find((m) => m.Destination === '/run/photoplane-edge');
  assert.equal(mount?.RW, false);
  assert.ok(app.Config.Env.includes('STANDIN_EDGE_SOCKET=/run/photoplane-edge/edge.sock'));
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

for (const step of ['place', 'containers', 'owner', 'configure', 'route', 'activate'] as const) {
  test(`a failure at step "${step}" fails the workflow, marks the instance failed and leaves no container, volume, network or route`, async () => {
    const { instance, input } = await pendingInstance(`p${stack.runId}`);
    const failHost = (real: HostActivities): Partial<HostActivities> =>
      step === 'containers'
        ? {
            ensureInstanceStack: afterRealWork(
              'ensureInstanceStack',
              (i: { instanceId: string; subscriptionId: string }) => real.ensureInstanceStack(i),
            ),
          }
        : {};
    const failControl = (real: Activities): Partial<Activities> => {
      switch (step) {
        case 'place':
          return {
            placeInstance: afterRealWork('placeInstance', (i: { instanceId: string }) => real.placeInstance(i)),
          };
        case 'owner':
          return {
            registerOwner: afterRealWork('registerOwner', (i: Parameters<Activities['registerOwner']>[0]) =>
              real.registerOwner(i),
            ),
          };
        case 'configure':
          return {
            configurePhotoApp: afterRealWork('configurePhotoApp', (i: Parameters<Activities['configurePhotoApp']>[0]) =>
              real.configurePhotoApp(i),
            ),
          };
        case 'route':
          return {
            routeInstance: afterRealWork('routeInstance', (i: Parameters<Activities['routeInstance']>[0]) =>
              real.routeInstance(i),
            ),
          };
        case 'activate':
          return {
            markInstanceActive: afterRealWork(
              'markInstanceActive',
              (i: Parameters<Activities['markInstanceActive']>[0]) => real.markInstanceActive(i),
            ),
          };
        case 'containers':
          return {};
      }
    };

    await withWorkers(
      async () => {
        await assert.rejects(provision(input), (e: unknown) => {
          assert.ok(e instanceof WorkflowFailedError);
          assert.match(String(e.cause?.message), new RegExp(`step "${step}".*injected failure`));
          return true;
        });
      },
      failHost,
      failControl,
    );

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
