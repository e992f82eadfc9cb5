// The subscription workflow (SPEC P5-P8) on the real Temporal dev server with its real activities on the real
// PostgreSQL: signals as the portal's outbox sends them, timers shortened to seconds, and stub instance workflows
// (test/fixtures) that record which operation the subscription asked for.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { Client, Connection } from '@temporalio/client';
import {
  SUBSCRIPTION_EVENT_SIGNAL,
  SUBSCRIPTION_STATE_QUERY,
  subscriptionWorkflowId,
  subscriptionWorkflowName,
  type SubscriptionFact,
  type SubscriptionSignal,
  type SubscriptionWorkflowInput,
  type SubscriptionWorkflowStatus,
} from '../src/contracts/index.ts';
import { startSubscriptionTestWorker, type SubscriptionTestWorker } from './fixtures/subscription-test-worker.ts';

const temporalAddress = process.env.TEMPORAL_ADDRESS;
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const TIMERS = { graceMs: 2_000, retentionMs: 2_000 };

let db: CreatedDatabase;
let prisma: PrismaClient;
let worker: SubscriptionTestWorker;
let connection: Connection;
let client: Client;

before(async () => {
  if (!temporalAddress) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through `npm test`');
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  worker = await startSubscriptionTestWorker({ prisma, temporalAddress, namespace });
  connection = await Connection.connect({ address: temporalAddress });
  client = new Client({ connection, namespace });
});

after(async () => {
  await worker?.stop();
  await connection?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

/** A subscription whose checkout is open, with its instance holding the subdomain, as the portal leaves it. */
async function openSubscription() {
  const tag = randomBytes(4).toString('hex');
  const email = `customer-${tag}@example.org`;
  await prisma.plan.upsert({
    where: { id: 'starter' },
    update: {},
    create: {
      id: 'starter',
      name: 'Starter',
      storageBytes: 100n * 1024n ** 3n,
      stripePriceId: 'price_starter',
      priceCents: 500,
    },
  });
  const account = await prisma.account.create({ data: { email, emailNormalized: email, passwordHash: 'x' } });
  const subscription = await prisma.subscription.create({ data: { accountId: account.id, planId: 'starter' } });
  const instance = await prisma.instance.create({ data: { subscriptionId: subscription.id, subdomain: `s${tag}` } });
  return { subscriptionId: subscription.id, instanceId: instance.id };
}

let eventCounter = 0;
function signal(
  subscriptionId: string,
  fact: SubscriptionFact,
  extra: Partial<SubscriptionSignal> = {},
  input: Partial<SubscriptionWorkflowInput> = {},
) {
  const payload: SubscriptionSignal = {
    eventId: `evt_test_${++eventCounter}`,
    fact,
    occurredAt: new Date().toISOString(),
    ...extra,
  };
  return client.workflow.signalWithStart(subscriptionWorkflowName, {
    taskQueue: worker.taskQueue,
    workflowId: subscriptionWorkflowId(subscriptionId),
    args: [{ subscriptionId, timers: TIMERS, ...input } satisfies SubscriptionWorkflowInput],
    signal: SUBSCRIPTION_EVENT_SIGNAL,
    signalArgs: [payload],
  });
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rowOf = (id: string) => prisma.subscription.findUniqueOrThrow({ where: { id } });
const stateBecomes = (id: string, state: string, timeoutMs?: number) =>
  waitFor(
    `subscription ${id} to be ${state}`,
    () => rowOf(id),
    (r) => r.state === state,
    timeoutMs,
  );
const query = (id: string) =>
  client.workflow.getHandle(subscriptionWorkflowId(id)).query<SubscriptionWorkflowStatus>(SUBSCRIPTION_STATE_QUERY);

test('payment failed → past due → grace timer → suspended → paid → active again, with suspend and resume', async () => {
  const { subscriptionId, instanceId } = await openSubscription();
  await signal(subscriptionId, 'paid');
  await stateBecomes(subscriptionId, 'active');
  await waitFor(
    'provisioning',
    async () => worker.callsFor(instanceId),
    (c) => c.length === 1,
  );

  const failedAt = Date.now();
  await signal(subscriptionId, 'unpaid');
  const pastDue = await stateBecomes(subscriptionId, 'past_due');
  assert.ok(pastDue.graceEndsAt, 'the customer sees when the grace period ends');
  assert.ok(Math.abs(pastDue.graceEndsAt.getTime() - (failedAt + TIMERS.graceMs)) < 1500);
  // A second failed retry inside the grace period does not restart it.
  await signal(subscriptionId, 'unpaid');
  assert.deepEqual(worker.callsFor(instanceId), ['provision'], 'still running while past due');

  const suspended = await stateBecomes(subscriptionId, 'suspended', 10_000);
  assert.ok(Date.now() - failedAt >= TIMERS.graceMs, 'not before the grace period ended');
  assert.equal(suspended.graceEndsAt, null);
  await waitFor(
    'suspend',
    async () => worker.callsFor(instanceId),
    (c) => c.at(-1) === 'suspend',
  );

  await signal(subscriptionId, 'paid');
  await stateBecomes(subscriptionId, 'active');
  await waitFor(
    'resume',
    async () => worker.callsFor(instanceId),
    (c) => c.at(-1) === 'resume',
  );
  assert.deepEqual(worker.callsFor(instanceId), ['provision', 'suspend', 'resume']);
  assert.equal((await query(subscriptionId)).state, 'active');

  const audit = await prisma.auditEvent.findMany({
    where: { targetId: subscriptionId, action: 'subscription.state_changed' },
    orderBy: { at: 'asc' },
  });
  assert.deepEqual(
    audit.map((a) => (a.details as { to: string }).to),
    ['active', 'past_due', 'suspended', 'active'],
  );
});

test('ended before it was ever paid provisions nothing; paid again within the grace period: never suspended', async () => {
  const { subscriptionId, instanceId } = await openSubscription();
  await signal(subscriptionId, 'ended');
  await waitFor(
    'the signal handled',
    () => query(subscriptionId),
    (q) => q.eventsHandled === 1,
  );
  assert.equal((await rowOf(subscriptionId)).state, 'incomplete');
  assert.deepEqual(worker.callsFor(instanceId), [], 'no instance for a subscription never paid');

  // Stripe's past_due is a renewal that failed: the subscription was paid once, even if that was not read.
  await signal(subscriptionId, 'unpaid');
  await stateBecomes(subscriptionId, 'past_due');
  await signal(subscriptionId, 'paid');
  await stateBecomes(subscriptionId, 'active');
  await new Promise((r) => setTimeout(r, TIMERS.graceMs + 1000));
  assert.equal((await rowOf(subscriptionId)).state, 'active');
  assert.deepEqual(worker.callsFor(instanceId), ['provision']);
});

test('cancelled → retained at period end → retention timer → deprovisioned and ended', async () => {
  const { subscriptionId, instanceId } = await openSubscription();
  await signal(subscriptionId, 'paid');
  await stateBecomes(subscriptionId, 'active');
  await waitFor(
    'provisioning',
    async () => worker.callsFor(instanceId),
    (c) => c.length === 1,
  );
  const periodEndsAt = new Date(Date.now() + 1500).toISOString();
  await signal(subscriptionId, 'ended', { periodEndsAt });
  await stateBecomes(subscriptionId, 'cancelled');
  assert.deepEqual(worker.callsFor(instanceId), ['provision'], 'running until the paid period ends');

  const retained = await stateBecomes(subscriptionId, 'retained', 10_000);
  assert.ok(Date.now() >= Date.parse(periodEndsAt));
  assert.ok(retained.retentionEndsAt, 'the customer sees until when the data is kept');
  await waitFor(
    'suspend',
    async () => worker.callsFor(instanceId),
    (c) => c.at(-1) === 'suspend',
  );

  await stateBecomes(subscriptionId, 'ended', 10_000);
  const result: SubscriptionWorkflowStatus = await client.workflow
    .getHandle<(input: SubscriptionWorkflowInput) => Promise<SubscriptionWorkflowStatus>>(
      subscriptionWorkflowId(subscriptionId),
    )
    .result();
  assert.equal(result.state, 'ended', 'the workflow finishes once the instance is gone');
  assert.deepEqual(worker.callsFor(instanceId), ['provision', 'suspend', 'deprovision']);
});

test('reactivated before the retention ends: resumed, never deprovisioned', async () => {
  const { subscriptionId, instanceId } = await openSubscription();
  await signal(subscriptionId, 'paid');
  await waitFor(
    'provisioning',
    async () => worker.callsFor(instanceId),
    (c) => c.length === 1,
  );
  await signal(subscriptionId, 'ended', { periodEndsAt: new Date().toISOString() });
  await stateBecomes(subscriptionId, 'retained');
  // The row says retained a moment before the workflow stops the instance: a payment in between would find it still
  // running (nothing to resume), so wait for the stop.
  await waitFor(
    'suspend',
    async () => worker.callsFor(instanceId),
    (c) => c.at(-1) === 'suspend',
  );
  await signal(subscriptionId, 'paid');
  await stateBecomes(subscriptionId, 'active');
  await new Promise((r) => setTimeout(r, TIMERS.retentionMs + 1000));
  assert.equal((await rowOf(subscriptionId)).state, 'active');
  assert.equal((await rowOf(subscriptionId)).retentionEndsAt, null);
  assert.deepEqual(worker.callsFor(instanceId), ['provision', 'suspend', 'resume']);
});

test('a signal delivered twice is applied once, and state survives continueAsNew', async () => {
  const { subscriptionId } = await openSubscription();
  const input = { maxEventsPerRun: 2 };
  const first = await signal(subscriptionId, 'paid', {}, input);
  await stateBecomes(subscriptionId, 'active');
  await signal(subscriptionId, 'unpaid', { eventId: 'evt_dup' }, input);
  await signal(subscriptionId, 'unpaid', { eventId: 'evt_dup' }, input);
  await stateBecomes(subscriptionId, 'past_due');
  const pastDue = await rowOf(subscriptionId);
  // A new run: the first one continued as new after two events.
  await waitFor(
    'a new run',
    () => client.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).describe(),
    (d) => d.runId !== first.signaledRunId,
  );
  await signal(subscriptionId, 'unpaid', { eventId: 'evt_dup' }, input);
  const status = await query(subscriptionId);
  assert.equal(status.state, 'past_due');
  assert.equal(status.graceEndsAt, pastDue.graceEndsAt?.toISOString(), 'the grace deadline is carried over');
  await stateBecomes(subscriptionId, 'suspended', 10_000);
});
