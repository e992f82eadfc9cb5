// What the billing and webhook tests share: the portal app with every service over a database of its own, real
// SMTP in this process (to read verification links), stripe-mock (STRIPE_API_URL from `npm test`), and a worker on
// the real Temporal dev server running the real subscription workflow with stub instance workflows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { Client, Connection } from '@temporalio/client';
import { startSubscriptionTestWorker, type SubscriptionTestWorker } from '@photoplane/provisioner/testing';
import { startSmtpInbox } from './support/smtp-inbox.ts';
import type { App } from '../src/app.ts';
import { readPlans, type CatalogPlan } from '../src/config.ts';
import { createStripeClient, type Stripe } from '../src/billing/stripe-client.ts';
import type { OutboxDispatcher } from '../src/billing/outbox-dispatcher.ts';
import { startStripeProxy, type StripeProxy } from '@photoplane/infra/stripe-proxy';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';
import { createInstanceOperations, type InstanceOperations } from '../src/support/instance-operations.ts';
import { createSubscriptionWorkflows } from '../src/billing/subscription-workflows.ts';

/** The bearer a Prometheus elsewhere would scrape `/metrics` with. */
export const METRICS_TOKEN = 'metrics-token-for-the-billing-tests-0123456789';
export const DOMAIN = 'photos.test';
const GIB = 1024n ** 3n;

const PLANS = [
  { id: 'starter', name: 'Starter', storageGib: 100, stripePriceId: 'price_test_starter', priceCents: 500 },
  { id: 'family', name: 'Family', storageGib: 1024, stripePriceId: 'price_test_family', priceCents: 1200 },
];

export const TEST_PLANS: CatalogPlan[] = (() => {
  const problems: string[] = [];
  const plans = readPlans(PLANS, problems);
  assert.deepEqual(problems, []);
  return plans;
})();

export { GIB };

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts stripe-mock`);
  return value;
}

export interface HarnessOptions {
  /** The checkout service's clock, so a test can let a hold run out. */
  now?: () => Date;
  checkoutHoldMinutes?: number;
  timers?: { graceMs: number; retentionMs: number };
}

export interface Harness {
  app: App;
  prisma: PrismaClient;
  stripe: Stripe;
  /** What the portal reads as Stripe's current objects, and every call it made to Stripe. */
  stripeProxy: StripeProxy;
  /** The portal's way to Temporal (the worker has its own): cut it to play a Temporal outage. */
  temporalLink: TcpProxy;
  outbox: OutboxDispatcher;
  /** What support's suspend and resume call (a staff hold on the subscription workflow). */
  operations: InstanceOperations;
  webhookSecret: string;
  worker: SubscriptionTestWorker;
  temporal: Client;
  /** Signs up, follows the e-mailed link and signs in; returns the access token and account id. */
  customer(label: string, opts?: { verified?: boolean }): Promise<{ token: string; accountId: string; email: string }>;
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const db: CreatedDatabase = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const smtp = await startSmtpInbox();
  const { inbox } = smtp;

  const stripeProxy = await startStripeProxy(need('STRIPE_API_URL'));
  const stripe = createStripeClient({ secretKey: need('STRIPE_SECRET_KEY'), apiUrl: stripeProxy.url });
  const webhookSecret = need('STRIPE_WEBHOOK_SECRET');
  const temporalAddress = need('TEMPORAL_ADDRESS');
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const worker = await startSubscriptionTestWorker({ prisma, temporalAddress, namespace });
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace });
  const temporalLink = await startTcpProxy(temporalAddress);
  const portalConnection = await Connection.connect({ address: temporalLink.address, connectTimeout: 2_000 });
  const portalTemporal = new Client({ connection: portalConnection, namespace });

  const timers = opts.timers ?? { graceMs: 2_000, retentionMs: 2_000 };
  const config = testPortalConfig(db.url, {
    // No STRIPE_API_URL: the portal's Stripe client is the one below, through the recording proxy, and test mode
    // (the portal's own payment page) stays off as it was for these tests.
    STRIPE_SECRET_KEY: need('STRIPE_SECRET_KEY'),
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    PLANS: JSON.stringify(PLANS),
    PHOTOPLANE_DOMAIN: DOMAIN,
    METRICS_TOKEN,
    TEMPORAL_ADDRESS: temporalLink.address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: worker.taskQueue,
    JWT_SECRET: 'billing-test-secret-that-is-at-least-32-chars',
    ACCESS_TOKEN_TTL_SECONDS: '900',
    REFRESH_TOKEN_TTL_SECONDS: '3600',
    ...(opts.checkoutHoldMinutes ? { CHECKOUT_HOLD_MINUTES: String(opts.checkoutHoldMinutes) } : {}),
  });
  const operations = createInstanceOperations({
    client: temporal,
    taskQueue: worker.taskQueue,
    timers,
    subscriptionOf: async (instanceId) =>
      (await prisma.instance.findUnique({ where: { id: instanceId } }))?.subscriptionId ?? null,
  });
  const portal = await startTestPortal({
    prisma,
    config,
    overrides: {
      temporal: portalTemporal,
      subscriptionTimers: timers,
      // A short deadline, so a cut link fails a signal quickly and the message is retried.
      subscriptionWorkflows: createSubscriptionWorkflows({
        client: portalTemporal,
        taskQueue: worker.taskQueue,
        timers,
        callTimeoutMs: 3_000,
      }),
      instanceOperations: operations,
      mailTransport: smtp.transport(),
      stripe,
      ...(opts.now ? { now: opts.now } : {}),
      outbox: { pollMs: 100, backoffMs: 100, maxBackoffMs: 1_000, leaseMs: 30_000 },
    },
  });
  const { app, outbox } = portal;
  await app.ready();
  await portal.services.plans.syncPlans();
  outbox.start();

  let ip = 0;
  async function customer(label: string, { verified = true } = {}) {
    const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `correct horse ${email}`;
    const remoteAddress = `10.9.${Math.floor(++ip / 250)}.${(ip % 250) + 1}`;
    const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload, remoteAddress });
    assert.equal((await post('/v1/auth/signup', { email, password })).statusCode, 202);
    const deadline = Date.now() + 5000;
    let message;
    while (!(message = inbox.find((m) => m.to === email))) {
      if (Date.now() > deadline) throw new Error(`no verification e-mail to ${email}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const token = /#token=([A-Za-z0-9_-]+)/.exec(message.text)?.[1];
    assert.ok(token, message.text);
    assert.equal((await post('/v1/auth/verify-email', { token })).statusCode, 204);
    const login = await post('/v1/auth/login', { email, password });
    assert.equal(login.statusCode, 200, login.body);
    const account = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: email } });
    // An account that signed in before its address was confirmed cannot exist through the API (login refuses
    // it); taking the confirmation back afterwards is the closest stand-in for the checkout's own check.
    if (!verified) await prisma.account.update({ where: { id: account.id }, data: { emailVerifiedAt: null } });
    return { token: login.json<{ accessToken: string }>().accessToken, accountId: account.id, email };
  }

  return {
    app,
    prisma,
    stripe,
    stripeProxy,
    temporalLink,
    outbox,
    operations,
    webhookSecret,
    worker,
    temporal,
    customer,
    async close() {
      await portal.close();
      await portalConnection.close();
      await temporalLink.close();
      await stripeProxy.close();
      await smtp.close();
      await worker.stop();
      await connection.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

export async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
