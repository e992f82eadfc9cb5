// Benchmark (issue 18): sustained Stripe event ingest through the real webhook route (POST /v1/stripe/webhook:
// signature check, then one transaction that records the event id, finds our subscription and queues its re-read in
// the outbox), against the same route and handler with deduplication off (the event id not recorded), in one run.
// Every request is a new, correctly signed `customer.subscription.updated` event for one of BENCH_SUBSCRIPTIONS
// subscriptions; autocannon keeps BENCH_CONNECTIONS deliveries in flight for BENCH_SECONDS.
//
// Needs PostgreSQL only:
//   node --import tsx infra/src/with-postgres.ts --run bench/webhook-ingest.bench.ts    or    npm run bench -- bench/webhook-ingest.bench.ts
import { randomBytes } from 'node:crypto';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import autocannon from 'autocannon';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import Stripe from 'stripe';
import { readPortalConfig } from '../apps/portal/src/config.ts';
import { createPortal } from '../apps/portal/src/portal.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const subscriptionCount = Number(process.env.BENCH_SUBSCRIPTIONS ?? 50);
const WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef';
const stripe = new Stripe('sk_test_bench');

interface Measured {
  rps: number;
  p99: number;
  total: number;
  rows: number;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const config = readPortalConfig({
    DATABASE_URL: db.url,
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PLANS: JSON.stringify([
      { id: 'family', name: 'Family', storageGib: 1024, stripePriceId: 'price_bench_family', priceCents: 1200 },
    ]),
  });
  const portalWith = (dedupe: boolean) =>
    createPortal(
      { config, prisma, logger: pino({ level: 'silent' }) },
      {
        mailTransport: nodemailer.createTransport({ jsonTransport: true }),
        publicRateLimit: null,
        ...(dedupe ? {} : { webhookDedupe: false as const }),
      },
    );
  const withDedupe = await portalWith(true);
  const withoutDedupe = await portalWith(false);
  try {
    await withDedupe.app.ready();
    await withDedupe.services.plans.syncPlans();
    const subscriptions: { id: string; stripeId: string; customer: string }[] = [];
    for (let i = 0; i < subscriptionCount; i++) {
      const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.com`;
      const account = await prisma.account.create({
        data: { email, emailNormalized: email, passwordHash: 'not-used', emailVerifiedAt: new Date() },
      });
      const stripeId = `sub_bench_${i}_${randomBytes(4).toString('hex')}`;
      const customer = `cus_bench_${i}_${randomBytes(4).toString('hex')}`;
      const row = await prisma.subscription.create({
        data: {
          accountId: account.id,
          planId: 'family',
          state: 'active',
          stripeSubscriptionId: stripeId,
          stripeCustomerId: customer,
        },
      });
      subscriptions.push({ id: row.id, stripeId, customer });
    }

    let n = 0;
    /** A new signed event each call, for the subscriptions in turn. */
    function nextDelivery() {
      const s = subscriptions[n++ % subscriptions.length]!;
      const payload = JSON.stringify({
        id: `evt_bench_${Date.now().toString(36)}_${n}_${randomBytes(4).toString('hex')}`,
        object: 'event',
        type: 'customer.subscription.updated',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: { id: s.stripeId, object: 'subscription', customer: s.customer, metadata: { subscriptionId: s.id } },
        },
      });
      const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      return { payload, signature };
    }

    async function measure(url: string, warmUp = false): Promise<Measured> {
      const before = await prisma.processedWebhookEvent.count();
      const result = await autocannon({
        url: `${url}/v1/stripe/webhook`,
        method: 'POST',
        connections,
        duration: warmUp ? 1 : seconds,
        requests: [
          {
            setupRequest: (request) => {
              const { payload, signature } = nextDelivery();
              return {
                ...request,
                method: 'POST',
                body: payload,
                headers: { ...request.headers, 'content-type': 'application/json', 'stripe-signature': signature },
              };
            },
          },
        ],
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const rows = (await prisma.processedWebhookEvent.count()) - before;
      return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total, rows };
    }

    const onUrl = await withDedupe.app.listen({ host: '127.0.0.1', port: 0 });
    const offUrl = await withoutDedupe.app.listen({ host: '127.0.0.1', port: 0 });
    // One delivery checked by hand first: signed right, accepted, recorded.
    const probe = nextDelivery();
    const res = await fetch(`${onUrl}/v1/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': probe.signature },
      body: probe.payload,
    });
    const answer = await res.text();
    if (res.status !== 200 || !answer.includes('accepted')) throw new Error(`probe: ${res.status} ${answer}`);

    await measure(offUrl, true);
    await measure(onUrl, true);
    const off = await measure(offUrl);
    const on = await measure(onUrl);
    const outbox = await prisma.outboxMessage.count();
    const row = (label: string, m: Measured) =>
      `  ${label.padEnd(30)} ${m.rps.toFixed(0).padStart(9)} ${m.p99.toFixed(1).padStart(9)} ${String(m.total).padStart(10)} ${String(m.rows).padStart(12)}`;
    process.stdout.write(
      [
        '',
        `Stripe webhook ingest: ${connections} deliveries in flight, ${seconds} s each, new signed events for ${subscriptionCount} subscriptions`,
        '                                 events/s    p99 ms     events   ids recorded',
        row('dedupe off (baseline)', off),
        row('with dedupe (the portal)', on),
        `  ratio (dedupe / off)           ${(on.rps / off.rps).toFixed(3).padStart(9)}`,
        `  outbox rows queued in all: ${outbox} (one waiting re-read per subscription at a time)`,
        '',
      ].join('\n'),
    );
  } finally {
    await withDedupe.close();
    await withoutDedupe.close();
    await prisma.$disconnect();
    await db.drop();
  }
}

await main();
