// The billing part of the portal's configuration (SPEC P3, P7, P8): plans from PLANS or a default catalogue, timers
// in days, the checkout hold within what Stripe allows, and production refusing to run on development defaults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readPortalConfig } from '../src/config.ts';

const DATABASE_URL = 'postgresql://u:p@127.0.0.1:5432/db';

test('without PLANS the default catalogue applies, with the default grace and retention', () => {
  const c = readPortalConfig({ DATABASE_URL });
  assert.deepEqual(
    c.plans.map((p) => [p.id, p.storageBytes, p.stripePriceId, p.priceCents, p.currency]),
    [
      ['starter', 100n * 1024n ** 3n, 'price_photoplane_starter', 500, 'eur'],
      ['family', 1024n * 1024n ** 3n, 'price_photoplane_family', 1200, 'eur'],
    ],
  );
  assert.deepEqual(c.billing, { graceDays: 7, retentionDays: 30, checkoutHoldMinutes: 60 });
  assert.equal(c.stripe.apiUrl, undefined);
  assert.match(c.stripe.webhookSecret, /^whsec_/);
});

test('PLANS is parsed with the tenant model rules and every problem is listed', () => {
  const c = readPortalConfig({
    DATABASE_URL,
    PLANS: JSON.stringify([
      { id: 'solo', name: 'Solo', storageGib: '50', stripePriceId: 'price_solo', priceCents: 300, currency: 'usd' },
    ]),
    STRIPE_API_URL: 'http://127.0.0.1:12111',
    GRACE_PERIOD_DAYS: '3',
  });
  assert.equal(c.plans[0]?.storageBytes, 50n * 1024n ** 3n);
  assert.equal(c.plans[0]?.currency, 'usd');
  assert.equal(c.billing.graceDays, 3);
  assert.equal(c.stripe.apiUrl, 'http://127.0.0.1:12111');

  const refused = (env: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => readPortalConfig({ DATABASE_URL, ...env }),
      (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
    );
  refused({ PLANS: 'not json' }, /PLANS must be JSON/);
  refused({ PLANS: '[]' }, /PLANS: plans must be a non-empty list/);
  refused({ PLANS: '[{"id":"a","name":"A","storageGib":1.5,"stripePriceId":"price_a","priceCents":1}]' }, /storageGib/);
  refused(
    { PLANS: '[{"id":"a","name":"A","storageGib":1,"stripePriceId":"price_a","priceCents":-1,"currency":"EUR"}]' },
    /priceCents must be a whole number[\s\S]*currency must be a lowercase/,
  );
  refused({ CHECKOUT_HOLD_MINUTES: '10' }, /CHECKOUT_HOLD_MINUTES must be an integer from 30 to 1440/);
  refused(
    { NODE_ENV: 'production' },
    /STRIPE_SECRET_KEY is required[\s\S]*STRIPE_WEBHOOK_SECRET is required[\s\S]*PLANS is required/,
  );
});
