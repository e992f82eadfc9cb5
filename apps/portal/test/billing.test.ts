// Plans, subdomain claims and checkout (SPEC P3, P4, P5, P9) through the portal's HTTP API, over the real
// PostgreSQL and the real stripe-node talking to stripe-mock.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { bearer, GIB, startHarness, type Harness } from './billing-harness.ts';

const HOLD_MINUTES = 30;
let clock = Date.now();
let h: Harness;

before(async () => {
  h = await startHarness({ now: () => new Date(clock), checkoutHoldMinutes: HOLD_MINUTES });
});

after(async () => {
  await h?.close();
});

const freshName = (prefix = 'fam') => `${prefix}-${randomBytes(3).toString('hex')}`;

function checkout(token: string, body: object) {
  return h.app.inject({ method: 'POST', url: '/v1/checkout', headers: bearer(token), payload: body });
}

async function availability(name: string) {
  const res = await h.app.inject({ method: 'GET', url: `/v1/subdomains/${encodeURIComponent(name)}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ subdomain: string; available: boolean; reason?: string }>();
}

test('the configured plans are on sale and in the plan table', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/v1/plans' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), {
    plans: [
      {
        id: 'starter',
        name: 'Starter',
        storageGib: 100,
        storageBytes: String(100n * GIB),
        priceCents: 500,
        currency: 'eur',
        publicLinks: true,
        linkMaxExpiryDays: null,
        linkPasswordRequired: false,
      },
      {
        id: 'family',
        name: 'Family',
        storageGib: 1024,
        storageBytes: String(1024n * GIB),
        priceCents: 1200,
        currency: 'eur',
        publicLinks: true,
        linkMaxExpiryDays: null,
        linkPasswordRequired: false,
      },
    ],
  });
  const rows = await h.prisma.plan.findMany({ orderBy: { priceCents: 'asc' } });
  assert.deepEqual(
    rows.map((p) => [p.id, p.stripePriceId, p.storageBytes]),
    [
      ['starter', 'price_test_starter', 100n * GIB],
      ['family', 'price_test_family', 1024n * GIB],
    ],
  );
});

test('subdomain check: invalid and reserved names are not available, with the reason', async () => {
  assert.deepEqual(await availability('ab'), {
    subdomain: 'ab',
    available: false,
    reason: 'invalid',
    message: 'The subdomain must be at least 3 characters long.',
  });
  assert.equal((await availability('-bad-')).reason, 'invalid');
  assert.equal((await availability('xn--bcher-kva')).reason, 'invalid');
  assert.equal((await availability('WWW')).reason, 'reserved');
  const name = freshName();
  assert.deepEqual(await availability(name.toUpperCase()), { subdomain: name, available: true });
});

test('sign up, verify, log in, check a name, check out: the session is created and the name is held', async () => {
  const ada = await h.customer('ada');
  const name = freshName();
  assert.equal((await availability(name)).available, true);

  const res = await checkout(ada.token, { planId: 'family', subdomain: name });
  assert.equal(res.statusCode, 200, res.body);
  const started = res.json<{ subscriptionId: string; sessionId: string; checkoutUrl: string; expiresAt: string }>();
  assert.match(started.sessionId, /^cs_test_/, 'a Checkout Session from stripe-mock');
  assert.match(started.checkoutUrl, /^https:\/\/checkout\.stripe\.com\//);

  const subscription = await h.prisma.subscription.findUniqueOrThrow({
    where: { id: started.subscriptionId },
    include: { instance: true },
  });
  assert.equal(subscription.accountId, ada.accountId);
  assert.equal(subscription.state, 'incomplete');
  assert.equal(subscription.planId, 'family');
  assert.match(subscription.stripeCustomerId ?? '', /^cus_/, 'the Stripe customer is created and kept');
  assert.equal(subscription.instance?.subdomain, name);
  assert.equal(subscription.instance?.state, 'pending');
  assert.equal(Date.parse(started.expiresAt), subscription.createdAt.getTime() + HOLD_MINUTES * 60_000);
  assert.deepEqual(await availability(name), {
    subdomain: name,
    available: false,
    reason: 'taken',
    message: `The subdomain '${name}' is already taken.`,
  });

  // The customer's view before paying: incomplete, the plan, the name, nothing stored.
  const view = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(ada.token) });
  assert.equal(view.statusCode, 200, view.body);
  const body = view.json<Record<string, unknown>>();
  assert.equal(body.state, 'incomplete');
  assert.deepEqual(body.instance, {
    subdomain: name,
    url: `https://${name}.photos.test`,
    state: 'pending',
    provisioningStep: null,
    lastError: null,
    restoringSince: null,
  });
  assert.deepEqual(body.storage, {
    planBytes: String(1024n * GIB),
    allocatedBytes: '0',
    usedBytes: '0',
    freeBytes: String(1024n * GIB),
  });

  // P9: the Stripe customer portal for the customer just created.
  const portal = await h.app.inject({ method: 'POST', url: '/v1/billing-portal', headers: bearer(ada.token) });
  assert.equal(portal.statusCode, 200, portal.body);
  assert.match(portal.json<{ url: string }>().url, /^https:\/\//);
});

test('a second checkout for a held subdomain is refused with 409, whatever its case; the holder gets its own back', async () => {
  const ada = await h.customer('ada');
  const bob = await h.customer('bob');
  const name = freshName();
  const first = await checkout(ada.token, { planId: 'starter', subdomain: name });
  assert.equal(first.statusCode, 200, first.body);

  for (const attempt of [name, name.toUpperCase(), ` ${name} `]) {
    const res = await checkout(bob.token, { planId: 'starter', subdomain: attempt });
    assert.equal(res.statusCode, 409, res.body);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json<{ code: string }>().code, 'subdomain_taken');
  }
  const again = await checkout(ada.token, { planId: 'family', subdomain: name });
  assert.equal(again.statusCode, 200, again.body);
  const firstBody = first.json<{ subscriptionId: string }>();
  assert.equal(again.json<{ subscriptionId: string }>().subscriptionId, firstBody.subscriptionId);
  const row = await h.prisma.subscription.findUniqueOrThrow({ where: { id: firstBody.subscriptionId } });
  assert.equal(row.planId, 'family', 'the held checkout switched plans');
  assert.equal(await h.prisma.subscription.count({ where: { accountId: bob.accountId } }), 0, 'nothing half-made');
});

test('of two customers claiming one name at the same moment, exactly one gets it', async () => {
  const [a, b] = await Promise.all([h.customer('race-a'), h.customer('race-b')]);
  const name = freshName('race');
  const results = await Promise.all([
    checkout(a.token, { planId: 'starter', subdomain: name }),
    checkout(b.token, { planId: 'starter', subdomain: name }),
  ]);
  assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409]);
  assert.equal(await h.prisma.instance.count({ where: { subdomain: name } }), 1);
  assert.equal(
    await h.prisma.subscription.count({ where: { accountId: { in: [a.accountId, b.accountId] } } }),
    1,
    'the loser left no subscription behind',
  );
});

test('a hold that outlives its checkout is released: the name can be claimed again', async () => {
  const ada = await h.customer('ada');
  const bob = await h.customer('bob');
  const name = freshName('hold');
  const first = await checkout(ada.token, { planId: 'starter', subdomain: name });
  assert.equal(first.statusCode, 200);
  clock += (HOLD_MINUTES + 16) * 60_000; // the session's lifetime plus the margin for a late webhook
  try {
    assert.equal((await availability(name)).available, true);
    const second = await checkout(bob.token, { planId: 'starter', subdomain: name });
    assert.equal(second.statusCode, 200, second.body);
  } finally {
    clock = Date.now();
  }
  const old = await h.prisma.subscription.findUniqueOrThrow({
    where: { id: first.json<{ subscriptionId: string }>().subscriptionId },
    include: { instance: true },
  });
  assert.equal(old.state, 'ended');
  assert.equal(old.instance, null);
});

test('checkout needs a confirmed address, a known plan and a valid name', async () => {
  const unconfirmed = await h.customer('eve', { verified: false });
  const refused = await checkout(unconfirmed.token, { planId: 'starter', subdomain: freshName() });
  assert.equal(refused.statusCode, 403, refused.body);

  const ada = await h.customer('ada');
  const noPlan = await checkout(ada.token, { planId: 'platinum', subdomain: freshName() });
  assert.equal(noPlan.statusCode, 400);
  assert.deepEqual(noPlan.json<{ errors: unknown }>().errors, [
    { field: 'planId', message: "There is no plan 'platinum'." },
  ]);
  const reserved = await checkout(ada.token, { planId: 'starter', subdomain: 'admin' });
  assert.equal(reserved.statusCode, 409);
  const invalid = await checkout(ada.token, { planId: 'starter', subdomain: 'no_underscores' });
  assert.equal(invalid.statusCode, 400);
  const extra = await checkout(ada.token, { planId: 'starter', subdomain: freshName(), coupon: 'FREE' });
  assert.equal(extra.statusCode, 400);
  assert.equal(await h.prisma.subscription.count({ where: { accountId: ada.accountId } }), 0);

  const anonymous = await h.app.inject({
    method: 'POST',
    url: '/v1/checkout',
    payload: { planId: 'starter', subdomain: freshName() },
  });
  assert.equal(anonymous.statusCode, 401);
  const none = await h.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(ada.token) });
  assert.equal(none.statusCode, 404);
});
