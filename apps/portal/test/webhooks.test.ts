// Stripe webhooks (SPEC P5-P8) end to end: events signed the way Stripe signs them, delivered to the portal, applied
// once and in order, signalled to the subscription workflow on the real Temporal dev server (timers of 2 s), whose
// activities write the real PostgreSQL. The instance workflows are stubs that record the call (see
// apps/provisioner/test/fixtures): what is under test here is which one the subscription asks for, and when.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { subscriptionWorkflowId } from '@photoplane/provisioner/shared';
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

function deliver(e: StripeEvent, opts: { secret?: string; signature?: string | null; tamper?: boolean } = {}) {
  const payload = JSON.stringify(e);
  const signature =
    opts.signature === undefined
      ? h.stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? h.webhookSecret })
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

// --- events as Stripe shapes them (API 2026: periods on the items, invoices name their subscription in `parent`) --

const checkoutCompleted = (c: Checkout, created?: number) =>
  event(
    'checkout.session.completed',
    {
      id: `cs_test_${randomBytes(6).toString('hex')}`,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'complete',
      client_reference_id: c.subscriptionId,
      metadata: { subscriptionId: c.subscriptionId, subdomain: c.subdomain },
      customer: c.customerId,
      subscription: c.stripeSubscriptionId,
    },
    created,
  );

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

async function activeSubscription(planId = 'starter'): Promise<Checkout> {
  const c = await openCheckout(planId);
  assert.equal(await deliverOk(checkoutCompleted(c)), 'applied');
  await stateBecomes(c, 'active');
  await callsBecome(c, ['provision']);
  return c;
}

// --- tests ----------------------------------------------------------------------------------------------------

test('a forged, tampered or unsigned delivery is refused with 400 and changes nothing', async () => {
  const c = await openCheckout();
  const completed = checkoutCompleted(c);
  const attempts = [
    await deliver(completed, { secret: 'whsec_not_the_real_secret' }),
    await deliver(completed, { tamper: true }),
    await deliver(completed, { signature: null }),
    await deliver(completed, { signature: 't=1,v1=deadbeef' }),
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
  await assert.rejects(
    h.temporal.workflow.getHandle(subscriptionWorkflowId(c.subscriptionId)).describe(),
    WorkflowNotFoundError,
    'no workflow was started',
  );

  // The very same event, properly signed, is then applied.
  assert.equal(await deliverOk(completed), 'applied');
  await stateBecomes(c, 'active');
});

test('the same event delivered three times (two at once) is applied once', async () => {
  const c = await activeSubscription();
  const failed = invoice(c, 'invoice.payment_failed');
  const outcomes = await Promise.all([deliverOk(failed), deliverOk(failed)]);
  outcomes.push(await deliverOk(failed));
  assert.deepEqual(outcomes.sort(), ['applied', 'duplicate', 'duplicate']);
  assert.equal(await h.prisma.processedWebhookEvent.count({ where: { id: failed.id } }), 1);
  await stateBecomes(c, 'past_due');
  const changes = await h.prisma.auditEvent.findMany({
    where: { targetId: c.subscriptionId, action: 'subscription.state_changed' },
  });
  assert.deepEqual(
    changes.map((a) => (a.details as { to: string }).to).sort(),
    ['active', 'past_due'],
    'one transition to past_due',
  );
});

test('events delivered out of order end in the state of the newest one', async () => {
  for (const newest of ['invoice.paid', 'invoice.payment_failed'] as const) {
    const c = await openCheckout();
    const t0 = nowSeconds() - 100;
    const history = [
      checkoutCompleted(c, t0),
      event('customer.subscription.created', stripeSubscription(c), t0),
      invoice(c, 'invoice.paid', t0),
      invoice(c, 'invoice.payment_failed', t0 + 10),
      invoice(c, 'invoice.paid', t0 + 20),
      invoice(c, 'invoice.payment_failed', t0 + 30),
      invoice(c, newest, t0 + 40),
    ];
    // Newest first, then the rest backwards: every older billing event arrives after a newer one.
    const delivered = [...history].reverse();
    const outcomes = [];
    for (const e of delivered) outcomes.push(await deliverOk(e));
    assert.deepEqual(outcomes, ['applied', 'stale', 'stale', 'stale', 'stale', 'stale', 'applied']);
    const expected = newest === 'invoice.paid' ? 'active' : 'past_due';
    await stateBecomes(c, expected);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await row(c)).state, expected, 'and stays there');
    assert.equal((await row(c)).lastStripeEventAt?.getTime(), (t0 + 40) * 1000);
    assert.equal((await row(c)).stripeSubscriptionId, c.stripeSubscriptionId, 'the late checkout event still counts');
  }
});

test('payment failed → past due → grace → suspended → invoice paid → active, instance suspended and resumed', async () => {
  const c = await activeSubscription();
  assert.equal(await deliverOk(invoice(c, 'invoice.payment_failed')), 'applied');
  await stateBecomes(c, 'past_due');
  const view = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(c.token) });
  assert.ok(view.json<{ graceEndsAt: string | null }>().graceEndsAt, 'the customer sees when suspension comes');
  assert.deepEqual(h.worker.callsFor(c.instanceId), ['provision'], 'the instance runs during the grace period');

  await stateBecomes(c, 'suspended', 10_000);
  await callsBecome(c, ['provision', 'suspend']);

  await new Promise((r) => setTimeout(r, 1000)); // a later event than the failure, at one-second resolution
  assert.equal(await deliverOk(invoice(c, 'invoice.paid')), 'applied');
  await stateBecomes(c, 'active');
  await callsBecome(c, ['provision', 'suspend', 'resume']);
});

test('cancelled → retained at period end → retention → ended, and the instance is deprovisioned', async () => {
  const c = await activeSubscription();
  const periodEnd = nowSeconds() + 2;
  const deleted = event(
    'customer.subscription.deleted',
    stripeSubscription(c, { status: 'canceled', periodEnd, ended_at: nowSeconds() }),
  );
  assert.equal(await deliverOk(deleted), 'applied');
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
  const deleted = event(
    'customer.subscription.deleted',
    stripeSubscription(c, { status: 'canceled', periodEnd: nowSeconds() }),
  );
  assert.equal(await deliverOk(deleted), 'applied');
  await stateBecomes(c, 'retained');
  await callsBecome(c, ['provision', 'suspend']);

  // The customer subscribes again for the same instance: a new Stripe subscription naming ours.
  await new Promise((r) => setTimeout(r, 1000));
  const renewed = { ...c, stripeSubscriptionId: `sub_${randomBytes(6).toString('hex')}` };
  assert.equal(await deliverOk(event('customer.subscription.created', stripeSubscription(renewed))), 'applied');
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
  await new Promise((r) => setTimeout(r, 1000));
  const downgrade = event('customer.subscription.updated', stripeSubscription(c, { priceId: 'price_test_starter' }));
  assert.equal(await deliverOk(downgrade), 'applied');
  assert.equal((await row(c)).planId, 'family', 'the old plan is kept');
  const refusal = await h.prisma.auditEvent.findFirstOrThrow({
    where: { targetId: c.subscriptionId, action: 'subscription.plan_change_refused' },
  });
  assert.equal((refusal.details as { bytesToFree: string }).bytesToFree, String(50n * GIB));
  assert.ok(!h.worker.callsFor(c.instanceId).includes('refresh-quotas'), 'a refused change pushes no new limits');

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
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(
    await deliverOk(event('customer.subscription.updated', stripeSubscription(c, { priceId: 'price_test_starter' }))),
    'applied',
  );
  assert.equal((await row(c)).planId, 'starter');
  // The applied change asks the photo app for the new limits at once (what it pushes: usage-sync.test.ts).
  await callsBecome(c, ['provision', 'refresh-quotas']);
  const later = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(c.token) });
  assert.equal(later.json<{ planChangeRefused: unknown }>().planChangeRefused, null);
  assert.equal((await row(c)).state, 'active', 'a plan change is not a state change');
});

test('an expired checkout session releases the subdomain; events about unknown objects are acknowledged', async () => {
  const c = await openCheckout();
  const expired = event('checkout.session.expired', {
    id: 'cs_test_expired',
    object: 'checkout.session',
    status: 'expired',
    client_reference_id: c.subscriptionId,
    metadata: { subscriptionId: c.subscriptionId },
  });
  assert.equal(await deliverOk(expired), 'applied');
  assert.equal((await row(c)).state, 'ended');
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
