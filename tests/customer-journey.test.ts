// End to end, a customer's whole journey (SPEC P1, P2, P4-P6, P8, V1, V6, M1) through the processes `npm start`
// runs: sign up, confirm the e-mail, sign in, claim a subdomain, pay (a Checkout Session at stripe-mock, then the
// webhooks Stripe would send, signed with the portal's secret), and the subscription workflow provisions a real
// instance on the Docker Engine that answers through Caddy; the owner signs in to its photo app through Photoplane;
// an upgrade reaches the photo app's limits at once; a cancellation (retention 0 days) removes it again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { removeLabelled } from '@photoplane/infra/cleanup';
import { testStack, TEST_RUN_LABEL } from '@photoplane/infra/testing';
import Docker from 'dockerode';
import { edgeClient, signInToPhotoApp } from './support/edge-client.ts';
import { customerKit, stripeSubscription, type SubscriptionView } from './support/customer.ts';
import { parseSamples, sampleValue } from '../apps/portal/test/support/prometheus-text.ts';
import { startServices, type Services } from './support/services.ts';

const stack = testStack();
const GiB = 1024n ** 3n;
/** This file's own label on every Docker resource its worker makes, so its cleanup touches nothing else. */
const FILE_LABEL = 'photoplane.test-file';
const fileLabel = `journey-${randomBytes(4).toString('hex')}`;
const docker = new Docker(
  stack.dockerHost.startsWith('unix://') ? { socketPath: stack.dockerHost.slice('unix://'.length) } : {},
);

let db: CreatedDatabase;
let prisma: PrismaClient;
let services: Services | undefined;
let kit: ReturnType<typeof customerKit>;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  services = await startServices({
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: `journey-${stack.runId}-${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_DOCKER_HOST_NAME: `j${stack.runId}${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_RESOURCE_LABELS: `${TEST_RUN_LABEL}=${stack.runId},${FILE_LABEL}=${fileLabel}`,
    RETENTION_DAYS: '0',
  });
  kit = customerKit(services, stack);
});

after(async () => {
  await services?.stopAll();
  // What the journey made is gone when it passes; this is for when it did not get that far.
  await removeLabelled(docker, FILE_LABEL, fileLabel);
  await prisma?.$disconnect();
  await db?.drop();
});

test('sign-up to a running instance, an upgrade the photo app obeys at once, and a cancellation that removes it', async () => {
  const { api, waitFor, mailTo, deliver, throughEdge } = kit;
  // P1: sign up; the e-mailed link confirms the address.
  const email = `journey-${randomBytes(4).toString('hex')}@example.com`;
  const password = `a long journey ${randomBytes(4).toString('hex')}`;
  assert.equal((await api('POST', '/v1/auth/signup', { body: { email, password, name: 'Jo Journey' } })).status, 202);
  const token = /#token=([A-Za-z0-9_-]+)/.exec(await mailTo(email, /confirm|verify/i))?.[1];
  assert.ok(token, 'the verification mail carries a link');
  assert.equal((await api('POST', '/v1/auth/verify-email', { body: { token } })).status, 204);

  // P2: sign in.
  const login = await api<{ accessToken: string }>('POST', '/v1/auth/login', { body: { email, password } });
  assert.equal(login.status, 200);
  const access = login.body.accessToken;

  // P3, P4: the plans on sale, a free subdomain, and checkout holds it.
  const { plans } = (await api<{ plans: { id: string; storageBytes: string }[] }>('GET', '/v1/plans')).body;
  const starter = plans.find((p) => p.id === 'starter');
  const family = plans.find((p) => p.id === 'family');
  assert.ok(starter && family, JSON.stringify(plans));
  const subdomain = `journey${randomBytes(3).toString('hex')}`;
  const availability = () => api<{ available: boolean; reason?: string }>('GET', `/v1/subdomains/${subdomain}`);
  assert.equal((await availability()).body.available, true);
  const checkout = await api<{ subscriptionId: string; checkoutUrl: string }>('POST', '/v1/checkout', {
    token: access,
    body: { planId: 'starter', subdomain },
  });
  assert.equal(checkout.status, 200, JSON.stringify(checkout.body));
  // Against stripe-mock, which has no payment page, the portal sends the customer to its own test-mode checkout
  // (W1); this journey pays by delivering Stripe's events itself.
  assert.equal(
    checkout.body.checkoutUrl,
    `${services!.portalUrl}/test-checkout?subscription=${checkout.body.subscriptionId}`,
    'the customer is sent to the test-mode checkout page',
  );
  assert.equal((await availability()).body.available, false, 'the name is held while checkout is open');

  // P5: Stripe reports the payment. Its customer id is what the portal created at stripe-mock for this checkout.
  const { subscriptionId } = checkout.body;
  const { stripeCustomerId } = await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } });
  const stripeSubscriptionId = `sub_${randomBytes(6).toString('hex')}`;
  const subscriptionOn = (priceId: string, periodEnd?: number) =>
    stripeSubscription({ id: stripeSubscriptionId, customer: stripeCustomerId, subscriptionId, priceId, periodEnd });
  const starterPrice = (await prisma.plan.findUniqueOrThrow({ where: { id: 'starter' } })).stripePriceId;
  const familyPrice = (await prisma.plan.findUniqueOrThrow({ where: { id: 'family' } })).stripePriceId;
  // As at Stripe: the subscription exists before its Checkout Session completes, paid.
  await deliver('customer.subscription.created', subscriptionOn(starterPrice));
  await deliver('checkout.session.completed', {
    id: `cs_test_${randomBytes(6).toString('hex')}`,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: subscriptionId,
    metadata: { subscriptionId, subdomain },
    customer: stripeCustomerId,
    subscription: stripeSubscriptionId,
  });

  // V1: the subscription workflow provisions the instance for real; the customer watches it become active.
  const view = () => api<SubscriptionView>('GET', '/v1/subscription', { token: access }).then((r) => r.body);
  const active = await waitFor('an active subscription with an active instance', view, (v) => {
    return v.state === 'active' && v.instance?.state === 'active';
  });
  assert.equal(active.instance?.url, `http://${subdomain}.${stack.domain}:${stack.caddy.httpPort}`);

  // Issue 15: the operator sees it without reading logs. The worker's metrics count exactly one provisioning run
  // (this worker process is the test's own; the run ends just after the instance turns active, with the ready mail)
  // and time its steps; the portal's count the instance as active with the plan it bought.
  const provisioned = { workflow_type: 'provisionInstanceWorkflow' };
  const worker = await waitFor(
    "the provisioning run in the worker's metrics",
    async () => parseSamples(await (await fetch(services!.workerMetricsUrl)).text()),
    (samples) => sampleValue(samples, 'temporal_workflow_completed_total', provisioned) > 0,
  );
  assert.equal(sampleValue(worker, 'temporal_workflow_completed_total', provisioned), 1);
  assert.equal(sampleValue(worker, 'temporal_workflow_failed_total', provisioned), 0);
  assert.ok(
    worker.some((s) => s.name === 'temporal_activity_execution_latency_count' && s.labels.activity_type),
    'each saga step (activity) is timed by type',
  );
  const portal = parseSamples(await (await fetch(`${services!.portalUrl}/metrics`)).text());
  assert.equal(sampleValue(portal, 'photoplane_instances', { state: 'active' }), 1);
  assert.equal(
    sampleValue(portal, 'photoplane_instance_plan_bytes', { instance: subdomain }),
    Number(starter.storageBytes),
  );

  // V6: the subdomain answers through Caddy.
  const host = `${subdomain}.${stack.domain}`;
  const ping = await throughEdge(host, '/api/server/ping');
  assert.equal(ping.status, 200);
  assert.deepEqual(ping.body, { res: 'pong' });

  // M1, I1: the ready mail sends the owner to their instance, and holds no password; the owner signs in to the photo
  // app through Photoplane with their portal password and is its admin. Password login in the app is off.
  const ready = await mailTo(email, /is ready/);
  assert.doesNotMatch(ready, /password:/i, 'no password travels by e-mail');
  const origin = active.instance.url;
  assert.ok(ready.includes(origin), ready);
  const refused = await throughEdge(host, '/api/auth/login', { method: 'POST', body: { email, password } });
  assert.equal(refused.status, 401, 'password login in the photo app is off');
  const signedIn = await signInToPhotoApp(edgeClient(stack.caddy.httpPort), origin, { email, password });
  assert.equal(signedIn.isAdmin, true);
  const appToken = signedIn.accessToken;
  const myQuota = async () => {
    const me = await throughEdge(host, '/api/users/me', { token: appToken });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    return BigInt(me.body.quotaSizeInBytes as number);
  };
  assert.equal(await myQuota(), BigInt(starter.storageBytes), 'the owner may store what the plan holds');

  // P6: an upgrade to the family plan; the owner's limit in the photo app follows without waiting for a sync.
  await deliver('customer.subscription.updated', subscriptionOn(familyPrice));
  await waitFor('the plan change in the subscription view', view, (v) => v.plan.id === 'family');
  await waitFor('the new limit in the photo app', myQuota, (q) => q === BigInt(family.storageBytes), 60_000);
  assert.equal(BigInt(family.storageBytes), 1024n * GiB);

  // P8: the customer cancelled; Stripe ends the subscription when the paid period is over. With no retention
  // configured (RETENTION_DAYS=0) the instance is removed right after.
  await new Promise((r) => setTimeout(r, 1000));
  const now = Math.floor(Date.now() / 1000);
  await deliver('customer.subscription.deleted', {
    ...subscriptionOn(familyPrice, now),
    status: 'canceled',
    ended_at: now,
  });
  const ended = await waitFor('the subscription ended and the instance removed', view, (v) => {
    return v.state === 'ended' && v.instance?.state === 'deprovisioned';
  });
  assert.equal(ended.instance?.subdomain, subdomain);
  const gone = await throughEdge(host, '/api/server/ping');
  // What a visitor of the old address sees: the edge's own "unavailable" page, not a photo app (nor a 502).
  assert.equal(
    gone.status,
    503,
    `the subdomain no longer reaches a photo app: ${gone.status} ${gone.text.slice(0, 200)}`,
  );
  assert.match(gone.text, /This photo library is unavailable/);
  const instance = await prisma.instance.findUniqueOrThrow({ where: { subdomain } });
  const left = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`photoplane.instance=${instance.id}`] }),
  });
  assert.deepEqual(left, [], 'no container of the instance is left');
  const volumes = await docker.listVolumes({
    filters: JSON.stringify({ label: [`photoplane.instance=${instance.id}`] }),
  });
  assert.deepEqual(volumes.Volumes ?? [], [], 'its library and database volumes are removed');
});
