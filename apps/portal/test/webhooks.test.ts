// Stripe webhooks (SPEC P5-P8, issue 13) end to end: events signed the way Stripe signs them, delivered to the portal,
// recorded once, and applied by the outbox dispatcher from Stripe's *current* objects. Those are read through a
// recording proxy in front of stripe-mock (infra/src/stripe-proxy.ts): stripe-mock holds no state, so the proxy
// answers the subscription and checkout session each test has "at Stripe", and counts every call the portal makes.
// Facts go to the subscription workflow on the real Temporal dev server (timers of 2 s), whose activities write the
// real PostgreSQL; the instance workflows are stubs that record the call (apps/provisioner/test/fixtures).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  SUBSCRIPTION_STATE_QUERY,
  subscriptionWorkflowId,
  type SubscriptionWorkflowStatus,
} from '@photoplane/provisioner/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { bearer, GIB, startHarness, waitFor, type Harness } from './billing-harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

interface Checkout {
  subscriptionId: string;
  instanceId: string;
  subdomain: string;
  token: string;
  stripeSubscriptionId: string;
  customerId: string;
  sessionId: string;
}

/** A customer who has started a checkout for `planId`. */
async function openCheckout(planId = 'starter'): Promise<Checkout> {
  const customer = await h.customer('cust');
  const subdomain = `wh-${randomBytes(4).toString('hex')}`;
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/checkout',
    headers: bearer(customer.token),
    payload: { planId, subdomain },
  });
  assert.equal(res.statusCode, 200, res.body);
  const { subscriptionId } = res.json<{ subscriptionId: string }>();
  const row = await h.prisma.subscription.findUniqueOrThrow({
    where: { id: subscriptionId },
    include: { instance: true },
  });
  return {
    subscriptionId,
    instanceId: row.instance!.id,
    subdomain,
    token: customer.token,
    stripeSubscriptionId: `sub_${randomBytes(6).toString('hex')}`,
    customerId: row.stripeCustomerId!,
    sessionId: `cs_test_${randomBytes(6).toString('hex')}`,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function event(type: string, object: object, created = nowSeconds()) {
  return {
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

type StripeEvent = ReturnType<typeof event>;

function deliver(
  e: StripeEvent,
  opts: { secret?: string; signature?: string | null; tamper?: boolean; timestamp?: number } = {},
) {
  const payload = JSON.stringify(e);
  const signature =
    opts.signature === undefined
      ? h.stripe.webhooks.generateTestHeaderString({
          payload,
          secret: opts.secret ?? h.webhookSecret,
          ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
        })
      : opts.signature;
  const body = opts.tamper ? payload.replace('"livemode":false', '"livemode":true') : payload;
  return h.app.inject({
    method: 'POST',
    url: '/v1/stripe/webhook',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    payload: body,
  });
}

async function deliverOk(e: StripeEvent) {
  const res = await deliver(e);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ received: true; outcome: string }>().outcome;
}

// --- Stripe's objects as Stripe shapes them (API 2026: periods on the items, invoices name their subscription in
// `parent`). `…Now` puts the object "at Stripe" (the proxy); events carry a copy, which the portal does not trust.

function session(c: Checkout, fields: Record<string, unknown> = {}) {
  return {
    id: c.sessionId,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: c.subscriptionId,
    metadata: { subscriptionId: c.subscriptionId, subdomain: c.subdomain },
    customer: c.customerId,
    subscription: c.stripeSubscriptionId,
    ...fields,
  };
}

function stripeSubscription(c: Checkout, extra: { priceId?: string; periodEnd?: number; [k: string]: unknown } = {}) {
  const { priceId = 'price_test_starter', periodEnd = nowSeconds() + 30 * 86400, ...rest } = extra;
  return {
    id: c.stripeSubscriptionId,
    object: 'subscription',
    customer: c.customerId,
    status: 'active',
    cancel_at_period_end: false,
    cancel_at: null,
    metadata: { subscriptionId: c.subscriptionId },
    items: {
      object: 'list',
      data: [{ id: `si_${c.stripeSubscriptionId}`, price: { id: priceId }, current_period_end: periodEnd }],
    },
    ...rest,
  };
}

const sessionNow = (c: Checkout, fields: Record<string, unknown> = {}) => {
  const object = session(c, fields);
  h.stripeProxy.put(object);
  return object;
};
const subscriptionNow = (c: Checkout, extra: Parameters<typeof stripeSubscription>[1] = {}) => {
  const object = stripeSubscription(c, extra);
  h.stripeProxy.put(object);
  return object;
};

const invoice = (c: Checkout, type: 'invoice.paid' | 'invoice.payment_failed', created?: number) =>
  event(
    type,
    {
      id: `in_${randomBytes(6).toString('hex')}`,
      object: 'invoice',
      customer: c.customerId,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: c.stripeSubscriptionId, metadata: { subscriptionId: c.subscriptionId } },
      },
    },
    created,
  );

const row = (c: Checkout) => h.prisma.subscription.findUniqueOrThrow({ where: { id: c.subscriptionId } });
const stateBecomes = (c: Checkout, state: string, timeoutMs?: number) =>
  waitFor(
    `subscription to be ${state}`,
    () => row(c),
    (r) => r.state === state,
    timeoutMs,
  );
const callsBecome = (c: Checkout, calls: string[]) =>
  waitFor(
    `instance operations ${calls.join(', ')}`,
    async () => h.worker.callsFor(c.instanceId),
    (got) => got.join() === calls.join(),
  );
/** Every effect the portal queued for this subscription has been sent. */
const outboxDrained = (c: Checkout) =>
  waitFor(
    'the outbox to be sent',
    () => h.prisma.outboxMessage.count({ where: { key: `subscription:${c.subscriptionId}`, doneAt: null } }),
    (n) => n === 0,
  );
const transitions = async (c: Checkout) =>
  (
    await h.prisma.auditEvent.findMany({
      where: { targetId: c.subscriptionId, action: 'subscription.state_changed' },
      orderBy: { at: 'asc' },
    })
  ).map((a) => (a.details as { to: string }).to);
const noWorkflow = (c: Checkout) =>
  assert.rejects(
    h.temporal.workflow.getHandle(subscriptionWorkflowId(c.subscriptionId)).describe(),
    WorkflowNotFoundError,
    'no workflow was started',
  );

/** Checkout paid: Stripe has the session and the subscription, and says so with the session's event. */
async function activeSubscription(planId = 'starter'): Promise<Checkout> {
  const c = await openCheckout(planId);
  subscriptionNow(c, { priceId: `price_test_${planId}` });
  assert.equal(await deliverOk(event('checkout.session.completed', sessionNow(c))), 'accepted');
  await stateBecomes(c, 'active');
  await callsBecome(c, ['provision']);
  return c;
}

// --- tests ----------------------------------------------------------------------------------------------------

test('a forged, tampered, unsigned or old delivery is refused with 400 and changes nothing', async () => {
  const c = await openCheckout();
  subscriptionNow(c);
  const completed = event('checkout.session.completed', sessionNow(c));
  const readsBefore = h.stripeProxy.requests.length;
  const attempts = [
    await deliver(completed, { secret: 'whsec_not_the_real_secret' }),
    await deliver(completed, { tamper: true }),
    await deliver(completed, { signature: null }),
    await deliver(completed, { signature: 't=1,v1=deadbeef' }),
    // Correctly signed, but ten minutes ago: a replay (Stripe's tolerance is five minutes).
    await deliver(completed, { timestamp: nowSeconds() - 600 }),
  ];
  for (const res of attempts) {
    assert.equal(res.statusCode, 400, res.body);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json<{ errors: { field: string }[] }>().errors[0]?.field, 'headers.stripe-signature');
  }
  assert.equal(await h.prisma.processedWebhookEvent.count({ where: { id: completed.id } }), 0, 'not recorded');
  const after = await row(c);
  assert.equal(after.state, 'incomplete');
  assert.equal(after.stripeSubscriptionId, null);
  assert.equal(await h.prisma.outboxMessage.count({ where: { key: `subscription:${c.subscriptionId}` } }), 0);
  assert.equal(h.stripeProxy.requests.length, readsBefore, 'nothing was read from Stripe');
  await noWorkflow(c);

  // The very same event, properly signed, is then applied.
  assert.equal(await deliverOk(completed), 'accepted');
  await stateBecomes(c, 'active');
});

test('the same event delivered three times (two at once) is applied once', async () => {
  const c = await activeSubscription();
  subscriptionNow(c, { status: 'past_due' });
  const failed = invoice(c, 'invoice.payment_failed');
  const outcomes = await Promise.all([deliverOk(failed), deliverOk(failed)]);
  outcomes.push(await deliverOk(failed));
  assert.deepEqual(outcomes.sort(), ['accepted', 'duplicate', 'duplicate']);
  assert.equal(await h.prisma.processedWebhookEvent.count({ where: { id: failed.id } }), 1);
  await stateBecomes(c, 'past_due');
  await outboxDrained(c);
  assert.deepEqual(await transitions(c), ['active', 'past_due'], 'one transition to past_due');
});

test('200 events shuffled across types from 8 concurrent clients: the end state is Stripe’s, each effect once', async () => {
  const c = await activeSubscription('family');
  // Members hold more than the starter plan: the downgrade Stripe now shows must be refused, and put back once.
  await h.prisma.member.createMany({
    data: [
      { instanceId: c.instanceId, email: 'a@x.org', emailNormalized: 'a@x.org', name: 'A', quotaBytes: 150n * GIB },
    ],
  });
  // What Stripe has now: the customer cancelled at the period's end and asked for the starter plan. (A state with no
  // timer of ours: the grace period of a failed payment would run out while the events arrive.)
  subscriptionNow(c, { cancel_at_period_end: true, priceId: 'price_test_starter' });
  const t0 = nowSeconds() - 300;
  const types = ['invoice.paid', 'invoice.payment_failed', 'customer.subscription.updated'] as const;
  const events = Array.from({ length: 200 }, (_, i) => {
    const type = types[i % types.length]!;
    // Payloads that contradict Stripe and each other (old prices, old statuses, any time): none is trusted.
    return type === 'customer.subscription.updated'
      ? event(
          type,
          stripeSubscription(c, { status: i % 2 ? 'active' : 'canceled', priceId: 'price_test_family' }),
          t0 + (i % 17),
        )
      : invoice(c, type, t0 + (i % 13));
  });
  // A few delivered twice, then everything shuffled.
  const deliveries = [...events, ...events.slice(0, 20)];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const startsBefore = h.stripeProxy.count('POST', /^\/v1\/subscriptions\//);
  const outcomes: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async (_, client) => {
      for (let i = client; i < deliveries.length; i += 8) outcomes.push(await deliverOk(deliveries[i]!));
    }),
  );
  assert.equal(outcomes.filter((o) => o === 'duplicate').length, 20, 'each redelivery is a duplicate');
  assert.equal(await h.prisma.processedWebhookEvent.count({ where: { id: { in: events.map((e) => e.id) } } }), 200);

  await stateBecomes(c, 'cancelled');
  await outboxDrained(c);
  await new Promise((r) => setTimeout(r, 500));
  const after = await row(c);
  assert.equal(after.state, 'cancelled', 'what Stripe says, whatever the order of the events');
  assert.equal(after.planId, 'family', 'the downgrade that does not fit is refused');
  assert.equal(after.stripeSubscriptionId, c.stripeSubscriptionId);
  assert.deepEqual(await transitions(c), ['active', 'cancelled'], 'one transition');
  // Side effects, once each: the old price put back at Stripe (and Stripe now has it), one refusal on record, the
  // workflow started once and told two facts (paid, then the cancellation).
  assert.equal(h.stripeProxy.count('POST', /^\/v1\/subscriptions\//) - startsBefore, 1, 'one price restore');
  const restore = h.stripeProxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/subscriptions/'));
  assert.ok(restore.at(-1)?.idempotencyKey?.startsWith('restore-price/'), 'with an idempotency key');
  const item = (h.stripeProxy.get(c.stripeSubscriptionId)?.items as { data: { price: { id: string } }[] }).data[0];
  assert.equal(item?.price.id, 'price_test_family');
  assert.equal(
    await h.prisma.auditEvent.count({
      where: { targetId: c.subscriptionId, action: 'subscription.plan_change_refused' },
    }),
    1,
  );
  const status = await h.temporal.workflow
    .getHandle(subscriptionWorkflowId(c.subscriptionId))
    .query<SubscriptionWorkflowStatus>(SUBSCRIPTION_STATE_QUERY);
  assert.equal(status.eventsHandled, 2, 'two facts reached the workflow');
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision']);
});

test('unpaid never provisions: payment_status unpaid, an async payment that fails, a first invoice that fails', async () => {
  // Asynchronous payment: the checkout completes unpaid, then the payment fails.
  const asyncFails = await openCheckout();
  subscriptionNow(asyncFails);
  assert.equal(
    await deliverOk(event('checkout.session.completed', sessionNow(asyncFails, { payment_status: 'unpaid' }))),
    'accepted',
  );
  await outboxDrained(asyncFails);
  assert.equal(
    await deliverOk(
      event('checkout.session.async_payment_failed', sessionNow(asyncFails, { payment_status: 'unpaid' })),
    ),
    'accepted',
  );
  // Stripe also lets the subscription's invoice speak (its events still say "paid" in places): not trusted.
  assert.equal(await deliverOk(invoice(asyncFails, 'invoice.paid')), 'accepted');

  // A first invoice that fails: Checkout's subscription stays incomplete.
  const firstFails = await openCheckout();
  subscriptionNow(firstFails, { status: 'incomplete' });
  sessionNow(firstFails);
  assert.equal(await deliverOk(invoice(firstFails, 'invoice.payment_failed')), 'accepted');
  assert.equal(
    await deliverOk(event('customer.subscription.updated', stripeSubscription(firstFails, { status: 'active' }))),
    'accepted',
  );

  // Asynchronous payment that succeeds: provisioned once the session is paid.
  const asyncPays = await openCheckout();
  subscriptionNow(asyncPays);
  await deliverOk(event('checkout.session.completed', sessionNow(asyncPays, { payment_status: 'unpaid' })));
  await outboxDrained(asyncPays);
  assert.equal((await row(asyncPays)).state, 'incomplete');
  await noWorkflow(asyncPays);
  await deliverOk(event('checkout.session.async_payment_succeeded', sessionNow(asyncPays)));
  await stateBecomes(asyncPays, 'active');
  await callsBecome(asyncPays, ['provision']);

  for (const c of [asyncFails, firstFails]) {
    await outboxDrained(c);
    const r = await row(c);
    assert.equal(r.state, 'incomplete');
    assert.equal(r.stripeBilling, null, 'no billing fact');
    await noWorkflow(c);
    assert.deepEqual(h.worker.callsFor(c.instanceId), [], 'no instance');
  }
});

test('Stripe, then Temporal, down while events arrive: accepted, nothing lost, applied once when they return', async () => {
  const c = await activeSubscription();
  const key = `subscription:${c.subscriptionId}`;
  h.stripeProxy.setDown(true);
  try {
    // The customer cancels at the period's end (far off: no timer of ours runs during the test).
    const cancelled = subscriptionNow(c, { cancel_at_period_end: true });
    assert.equal(await deliverOk(event('customer.subscription.updated', cancelled)), 'accepted');
    assert.equal(await deliverOk(invoice(c, 'invoice.paid')), 'accepted', 'another event meanwhile');
    const failing = await waitFor(
      'a re-read that failed and waits to be retried',
      () => h.prisma.outboxMessage.findFirst({ where: { key, doneAt: null }, orderBy: { id: 'asc' } }),
      (m) => (m?.attempts ?? 0) >= 2 && m?.lastError !== null,
    );
    assert.match(failing!.lastError ?? '', /Stripe/);
    assert.equal((await row(c)).state, 'active', 'nothing applied while Stripe cannot be read');
  } finally {
    h.stripeProxy.setDown(false);
  }
  await stateBecomes(c, 'cancelled');
  await outboxDrained(c);

  h.temporalLink.setDown(true);
  try {
    // The cancellation is taken back.
    const live = subscriptionNow(c, { cancel_at_period_end: false });
    assert.equal(await deliverOk(event('customer.subscription.updated', live)), 'accepted');
    assert.equal(await deliverOk(invoice(c, 'invoice.paid')), 'accepted', 'another event meanwhile');
    const failing = await waitFor(
      'a signal that failed and waits to be retried',
      () => h.prisma.outboxMessage.findFirst({ where: { key, kind: 'workflow.signal', doneAt: null } }),
      (m) => (m?.attempts ?? 0) >= 2 && m?.lastError !== null,
      30_000,
    );
    assert.ok(failing);
    assert.equal((await row(c)).state, 'cancelled', 'the workflow cannot be told yet');
  } finally {
    h.temporalLink.setDown(false);
  }
  await stateBecomes(c, 'active', 30_000);
  await outboxDrained(c);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await transitions(c), ['active', 'cancelled', 'active'], 'each change applied once');
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision']);
});

test('a staff hold survives billing events (invoice.paid included) until staff lift it; then the instance resumes', async () => {
  const c = await activeSubscription();
  await h.operations.start('suspend', c.instanceId);
  await callsBecome(c, ['provision', 'suspend']);
  await waitFor(
    'the hold on record',
    () => row(c),
    (r) => r.staffHoldSince !== null,
  );

  // A renewal fails, then is paid: billing wants the instance running again, the hold keeps it stopped.
  subscriptionNow(c, { status: 'past_due' });
  assert.equal(await deliverOk(invoice(c, 'invoice.payment_failed')), 'accepted');
  await stateBecomes(c, 'past_due');
  subscriptionNow(c, { status: 'active' });
  assert.equal(await deliverOk(invoice(c, 'invoice.paid')), 'accepted');
  await stateBecomes(c, 'active');
  await outboxDrained(c);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision', 'suspend'], 'still suspended');
  const handle = h.temporal.workflow.getHandle(subscriptionWorkflowId(c.subscriptionId));
  assert.equal((await handle.query<SubscriptionWorkflowStatus>(SUBSCRIPTION_STATE_QUERY)).staffHold, true);

  // Staff lift it: billing decides again, and billing says paid.
  await h.operations.start('resume', c.instanceId);
  await callsBecome(c, ['provision', 'suspend', 'resume']);
  assert.equal((await row(c)).staffHoldSince, null);
  const audit = await h.prisma.auditEvent.findMany({
    where: { targetId: c.subscriptionId, action: { startsWith: 'subscription.staff_hold' } },
    orderBy: { at: 'asc' },
  });
  assert.deepEqual(
    audit.map((a) => a.action),
    ['subscription.staff_hold', 'subscription.staff_hold_lifted'],
  );
});

test('payment failed → past due → grace → suspended → invoice paid → active, instance suspended and resumed', async () => {
  const c = await activeSubscription();
  subscriptionNow(c, { status: 'past_due' });
  assert.equal(await deliverOk(invoice(c, 'invoice.payment_failed')), 'accepted');
  await stateBecomes(c, 'past_due');
  const view = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(c.token) });
  assert.ok(view.json<{ graceEndsAt: string | null }>().graceEndsAt, 'the customer sees when suspension comes');
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision'], 'the instance runs during the grace period');

  await stateBecomes(c, 'suspended', 10_000);
  await callsBecome(c, ['provision', 'suspend']);

  subscriptionNow(c, { status: 'active' });
  assert.equal(await deliverOk(invoice(c, 'invoice.paid')), 'accepted');
  await stateBecomes(c, 'active');
  await callsBecome(c, ['provision', 'suspend', 'resume']);
});

test('cancelled → retained at period end → retention → ended, and the instance is deprovisioned', async () => {
  const c = await activeSubscription();
  const periodEnd = nowSeconds() + 2;
  const deleted = subscriptionNow(c, { status: 'canceled', periodEnd, ended_at: periodEnd });
  assert.equal(await deliverOk(event('customer.subscription.deleted', deleted)), 'accepted');
  await stateBecomes(c, 'cancelled');
  assert.equal((await row(c)).currentPeriodEnd?.getTime(), periodEnd * 1000);
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision'], 'it runs until the paid period ends');

  const retained = await stateBecomes(c, 'retained', 10_000);
  assert.ok(retained.retentionEndsAt);
  await callsBecome(c, ['provision', 'suspend']);
  await stateBecomes(c, 'ended', 10_000);
  await callsBecome(c, ['provision', 'suspend', 'deprovision']);
});

test('reactivated before the retention ends: resumed and never deprovisioned', async () => {
  const c = await activeSubscription();
  const deleted = subscriptionNow(c, { status: 'canceled', periodEnd: nowSeconds(), ended_at: nowSeconds() });
  assert.equal(await deliverOk(event('customer.subscription.deleted', deleted)), 'accepted');
  await stateBecomes(c, 'retained');
  await callsBecome(c, ['provision', 'suspend']);

  // The customer subscribes again for the same instance: a new Stripe subscription naming ours.
  const renewed = { ...c, stripeSubscriptionId: `sub_${randomBytes(6).toString('hex')}` };
  assert.equal(await deliverOk(event('customer.subscription.created', subscriptionNow(renewed))), 'accepted');
  await stateBecomes(c, 'active');
  await callsBecome(c, ['provision', 'suspend', 'resume']);
  await new Promise((r) => setTimeout(r, 3000)); // past the retention deadline
  const after = await row(c);
  assert.equal(after.state, 'active');
  assert.equal(after.retentionEndsAt, null);
  assert.equal(after.stripeSubscriptionId, renewed.stripeSubscriptionId);
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision', 'suspend', 'resume']);
});

test('a downgrade below what members are allocated is refused and shown; one that fits is applied', async () => {
  const c = await activeSubscription('family');
  await h.prisma.member.createMany({
    data: [
      { instanceId: c.instanceId, email: 'a@x.org', emailNormalized: 'a@x.org', name: 'A', quotaBytes: 100n * GIB },
      { instanceId: c.instanceId, email: 'b@x.org', emailNormalized: 'b@x.org', name: 'B', quotaBytes: 50n * GIB },
      { instanceId: c.instanceId, email: 'c@x.org', emailNormalized: 'c@x.org', name: 'C', usageBytes: 5n * GIB },
    ],
  });
  const downgrade = subscriptionNow(c, { priceId: 'price_test_starter' });
  assert.equal(await deliverOk(event('customer.subscription.updated', downgrade)), 'accepted');
  const refusal = await waitFor(
    'the refusal',
    () =>
      h.prisma.auditEvent.findFirst({
        where: { targetId: c.subscriptionId, action: 'subscription.plan_change_refused' },
      }),
    (a) => a !== null,
  );
  assert.equal((refusal!.details as { bytesToFree: string }).bytesToFree, String(50n * GIB));
  await outboxDrained(c);
  assert.equal((await row(c)).planId, 'family', 'the old plan is kept');
  assert.ok(!h.worker.callsFor(c.instanceId).includes('refresh-quotas'), 'a refused change pushes no new limits');
  const item = (h.stripeProxy.get(c.stripeSubscriptionId)?.items as { data: { price: { id: string } }[] }).data[0];
  assert.equal(item?.price.id, 'price_test_family', 'the old price is back at Stripe');

  const view = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(c.token) });
  assert.equal(view.statusCode, 200, view.body);
  const body = view.json<{
    plan: { id: string };
    storage: object;
    planChangeRefused: Record<string, unknown> | null;
  }>();
  assert.equal(body.plan.id, 'family');
  assert.deepEqual(body.storage, {
    planBytes: String(1024n * GIB),
    allocatedBytes: String(150n * GIB),
    usedBytes: String(5n * GIB),
    freeBytes: String(1019n * GIB),
  });
  assert.equal(body.planChangeRefused?.requestedPlanId, 'starter');
  assert.equal(body.planChangeRefused?.bytesToFree, String(50n * GIB));

  // Once the quotas fit, the same downgrade goes through and the refusal is no longer shown.
  await h.prisma.member.updateMany({
    where: { instanceId: c.instanceId, quotaBytes: 100n * GIB },
    data: { quotaBytes: 40n * GIB },
  });
  await new Promise((r) => setTimeout(r, 20)); // the plan change's audit row is newer than the refusal's
  const again = subscriptionNow(c, { priceId: 'price_test_starter' });
  assert.equal(await deliverOk(event('customer.subscription.updated', again)), 'accepted');
  await waitFor(
    'the plan change',
    () => row(c),
    (r) => r.planId === 'starter',
  );
  // The applied change asks the photo app for the new limits at once (what it pushes: usage-sync.test.ts).
  await callsBecome(c, ['provision', 'refresh-quotas']);
  const later = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(c.token) });
  assert.equal(later.json<{ planChangeRefused: unknown }>().planChangeRefused, null);
  assert.equal((await row(c)).state, 'active', 'a plan change is not a state change');
});

test('an expired checkout session releases the subdomain; events about unknown objects are acknowledged', async () => {
  const c = await openCheckout();
  const expired = sessionNow(c, { status: 'expired', payment_status: 'unpaid', subscription: null });
  assert.equal(await deliverOk(event('checkout.session.expired', expired)), 'accepted');
  await stateBecomes(c, 'ended');
  assert.equal(await h.prisma.instance.count({ where: { subdomain: c.subdomain } }), 0);
  const check = await h.app.inject({ method: 'GET', url: `/v1/subdomains/${c.subdomain}` });
  assert.equal(check.json<{ available: boolean }>().available, true);

  assert.equal(await deliverOk(event('customer.created', { id: 'cus_x', object: 'customer' })), 'ignored');
  assert.equal(
    await deliverOk(
      invoice(
        {
          ...c,
          subscriptionId: '00000000-0000-4000-8000-000000000000',
          customerId: 'cus_nobody',
          stripeSubscriptionId: 'sub_nobody',
        },
        'invoice.paid',
      ),
    ),
    'ignored',
  );
});
