// Stripe objects → facts, without Stripe: the rules that decide whether an instance may run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  billingKey,
  billingOf,
  checkoutFacts,
  currentSubscription,
  referenceOf,
  subscriptionFacts,
  type SubscriptionFacts,
} from './stripe-facts.ts';

const OURS = '0b5c7e8e-7f7a-4a7e-9d0e-3c1f1f0a9b11';
const PERIOD_END = 1_800_000_000;

function session(fields: Record<string, unknown> = {}) {
  return {
    id: 'cs_1',
    object: 'checkout.session',
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: OURS,
    customer: 'cus_1',
    subscription: 'sub_1',
    ...fields,
  };
}

function subscription(fields: Record<string, unknown> = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    status: 'active',
    customer: { id: 'cus_1', object: 'customer' },
    cancel_at_period_end: false,
    cancel_at: null,
    metadata: { subscriptionId: OURS },
    items: { data: [{ id: 'si_1', price: { id: 'price_a' }, current_period_end: PERIOD_END }] },
    ...fields,
  };
}

const facts = (fields: Record<string, unknown> = {}) => subscriptionFacts(subscription(fields))!;

test('an event is only a pointer: ids from each kind, nothing else', () => {
  assert.deepEqual(referenceOf('checkout.session.async_payment_failed', session()), {
    kind: 'checkout',
    subscriptionId: OURS,
    checkoutSessionId: 'cs_1',
    stripeCustomerId: 'cus_1',
  });
  assert.deepEqual(referenceOf('customer.subscription.updated', subscription()), {
    kind: 'subscription',
    subscriptionId: OURS,
    stripeSubscriptionId: 'sub_1',
    stripeCustomerId: 'cus_1',
  });
  const invoice = {
    id: 'in_1',
    customer: 'cus_1',
    parent: { subscription_details: { subscription: 'sub_1', metadata: { subscriptionId: OURS } } },
  };
  assert.deepEqual(referenceOf('invoice.payment_failed', invoice), {
    kind: 'invoice',
    subscriptionId: OURS,
    stripeSubscriptionId: 'sub_1',
    stripeCustomerId: 'cus_1',
  });
  // An older API version: the subscription at the top of the invoice.
  assert.equal(referenceOf('invoice.paid', { subscription: 'sub_2' }).stripeSubscriptionId, 'sub_2');
  assert.deepEqual(referenceOf('customer.created', { id: 'cus_1' }), { kind: 'other' });
  assert.deepEqual(referenceOf('invoice.paid', null), { kind: 'invoice' });
});

test('a checkout session is paid only when complete with payment_status paid or nothing to pay', () => {
  assert.equal(checkoutFacts(session())?.status, 'paid');
  assert.equal(checkoutFacts(session({ payment_status: 'no_payment_required' }))?.status, 'paid');
  assert.equal(checkoutFacts(session({ payment_status: 'unpaid' }))?.status, 'unpaid');
  assert.equal(checkoutFacts(session({ payment_status: undefined }))?.status, 'unpaid');
  assert.equal(checkoutFacts(session({ status: 'open', payment_status: 'unpaid' }))?.status, 'open');
  assert.equal(checkoutFacts(session({ status: 'expired' }))?.status, 'expired');
  assert.equal(checkoutFacts({ object: 'checkout.session' }), null);
  assert.equal(
    checkoutFacts(session({ client_reference_id: null, metadata: { subscriptionId: 'x' } }))?.subscriptionId,
    'x',
  );
});

test('a subscription: period on the item (new API) or the subscription (old), cancellation at period end or a date', () => {
  const f = facts();
  assert.equal(f.priceId, 'price_a');
  assert.equal(f.itemId, 'si_1');
  assert.equal(f.stripeCustomerId, 'cus_1');
  assert.equal(f.currentPeriodEnd?.getTime(), PERIOD_END * 1000);
  assert.equal(f.cancelAt, null);
  assert.equal(facts({ items: { data: [] }, current_period_end: 5 }).currentPeriodEnd?.getTime(), 5000);
  assert.equal(facts({ cancel_at_period_end: true }).cancelAt?.getTime(), PERIOD_END * 1000);
  assert.equal(facts({ cancel_at: 7 }).cancelAt?.getTime(), 7000);
  assert.equal(subscriptionFacts('sub_1'), null);
});

test('billing: only a paid checkout and a live subscription run an instance', () => {
  const paid = checkoutFacts(session());
  assert.deepEqual(billingOf(paid, facts()), { fact: 'paid', periodEndsAt: null });
  assert.deepEqual(billingOf(null, facts({ status: 'trialing' })), { fact: 'paid', periodEndsAt: null });
  // Asynchronous payment pending or failed: nothing, whatever the subscription says.
  for (const payment_status of ['unpaid', undefined]) {
    assert.equal(billingOf(checkoutFacts(session({ payment_status })), facts()), null);
  }
  // Never active before: only with its checkout known and paid (the subscription's events may come first).
  assert.equal(billingOf(null, facts(), { firstPayment: true }), null);
  assert.equal(billingOf(checkoutFacts(session({ payment_status: 'unpaid' })), facts(), { firstPayment: true }), null);
  assert.deepEqual(billingOf(paid, facts(), { firstPayment: true }), { fact: 'paid', periodEndsAt: null });
  // A first invoice that failed leaves the subscription incomplete (and then incomplete_expired): nothing.
  assert.equal(billingOf(paid, facts({ status: 'incomplete' })), null);
  assert.equal(billingOf(paid, facts({ status: 'incomplete_expired' })), null);
  assert.equal(billingOf(paid, null), null);
  // A session of another (older) subscription does not hold a new one back.
  assert.deepEqual(billingOf(checkoutFacts(session({ payment_status: 'unpaid', subscription: 'sub_old' })), facts()), {
    fact: 'paid',
    periodEndsAt: null,
  });
});

test('billing: renewals that fail, cancellations and the end', () => {
  for (const status of ['past_due', 'unpaid', 'paused']) {
    assert.deepEqual(billingOf(null, facts({ status })), { fact: 'unpaid', periodEndsAt: null });
  }
  assert.deepEqual(billingOf(null, facts({ cancel_at_period_end: true })), {
    fact: 'cancel_scheduled',
    periodEndsAt: new Date(PERIOD_END * 1000),
  });
  assert.deepEqual(billingOf(null, facts({ status: 'canceled', ended_at: 9 })), {
    fact: 'ended',
    periodEndsAt: new Date(9000),
  });
  assert.deepEqual(billingOf(null, facts({ status: 'canceled' })), {
    fact: 'ended',
    periodEndsAt: new Date(PERIOD_END * 1000),
  });
  assert.equal(billingOf(null, facts({ status: 'something_new' })), null);
});

test('billing keys change exactly when the fact or its date does', () => {
  assert.equal(billingKey(null), null);
  assert.equal(billingKey({ fact: 'paid', periodEndsAt: null }), 'paid');
  assert.equal(
    billingKey({ fact: 'cancel_scheduled', periodEndsAt: new Date(0) }),
    'cancel_scheduled@1970-01-01T00:00:00.000Z',
  );
});

test('a new Stripe subscription naming ours replaces an ended one, never a live one or a stranger', () => {
  const live = facts();
  const ended = facts({ status: 'canceled' });
  const renewed: SubscriptionFacts = { ...facts(), id: 'sub_2' };
  const stranger: SubscriptionFacts = { ...renewed, subscriptionId: 'someone-else' };
  assert.equal(currentSubscription(ended, renewed, OURS), renewed);
  assert.equal(currentSubscription(null, renewed, OURS), renewed);
  assert.equal(currentSubscription(live, renewed, OURS), live);
  assert.equal(currentSubscription(ended, stranger, OURS), ended);
  assert.equal(currentSubscription(live, null, OURS), live);
});
