// Issue 15, the portal's metrics: `/metrics` parses as Prometheus text, its counters move by exactly what the test
// did (requests by route, webhook deliveries by type and outcome, their lag), its gauges say what the database
// holds (instances by state, an instance's usage against its plan, a host's load against its capacity), and it is
// not readable from outside without the token. Against the real PostgreSQL, stripe-mock and Temporal of `npm test`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { execFile } from 'node:child_process';
import { METRICS_TOKEN, startHarness, type Harness } from './billing-harness.ts';
import { parseSamples, sampleValue, type PromSample } from './support/prometheus-text.ts';

const GIB = 1024 ** 3;
let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

/** Prometheus's own linter on the exposition: `promtool check metrics` reads it on stdin. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const promtool = process.env.PHOTOPLANE_TEST_PROMTOOL;
  assert.ok(promtool, 'PHOTOPLANE_TEST_PROMTOOL is not set: run the tests through `npm test`, which builds promtool');
  return new Promise((resolve) => {
    const child = execFile(promtool, ['check', 'metrics'], (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, output: stdout + stderr }),
    );
    child.stdin!.end(text);
  });
}

async function scrape(): Promise<PromSample[]> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseSamples(res.body);
}

const sample = sampleValue;

function event(type: string) {
  return {
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000) - 30,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: { id: `cus_${randomBytes(6).toString('hex')}`, object: 'customer' } },
  };
}

function deliver(payload: string, signature: string) {
  return h.app.inject({
    method: 'POST',
    url: '/v1/stripe/webhook',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
}

test("the exposition passes Prometheus's own linter", async () => {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  const checked = await promtoolCheck(res.body);
  assert.equal(checked.code, 0, checked.output);
});

test('requests and webhook deliveries move the counters by exactly what happened', async () => {
  const before = await scrape();
  for (let i = 0; i < 3; i++) assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/no-such-thing' })).statusCode, 404);

  const payload = JSON.stringify(event('customer.created'));
  const signature = h.stripe.webhooks.generateTestHeaderString({ payload, secret: h.webhookSecret });
  assert.equal((await deliver(payload, signature)).json<{ outcome: string }>().outcome, 'ignored');
  assert.equal((await deliver(payload, signature)).json<{ outcome: string }>().outcome, 'duplicate');
  assert.equal((await deliver(payload, 't=1,v1=forged')).statusCode, 400);

  const after = await scrape();
  const delta = (name: string, labels: Record<string, string>) =>
    sample(after, name, labels) - sample(before, name, labels);
  const http = 'photoplane_http_request_duration_seconds_count';
  assert.equal(delta(http, { method: 'GET', route: '/healthz', status_code: '200' }), 3);
  assert.equal(delta(http, { method: 'GET', route: 'unmatched', status_code: '404' }), 1);
  assert.equal(delta(http, { method: 'POST', route: '/v1/stripe/webhook', status_code: '200' }), 2);
  assert.equal(delta(http, { method: 'POST', route: '/v1/stripe/webhook', status_code: '400' }), 1);
  const webhooks = 'photoplane_stripe_webhook_events_total';
  assert.equal(delta(webhooks, { type: 'customer.created', outcome: 'ignored' }), 1);
  assert.equal(delta(webhooks, { type: 'customer.created', outcome: 'duplicate' }), 1);
  assert.equal(delta(webhooks, { type: 'unknown', outcome: 'rejected' }), 1);
  // Both verified deliveries were 30 s after Stripe made the event: into the lag histogram, above the 15 s bucket.
  assert.equal(delta('photoplane_stripe_webhook_lag_seconds_count', {}), 2);
  assert.equal(delta('photoplane_stripe_webhook_lag_seconds_bucket', { le: '15' }), 0);
  assert.equal(delta('photoplane_stripe_webhook_lag_seconds_bucket', { le: '60' }), 2);
});

test('the gauges say what the database holds: instances by state, usage against the plan, host load', async () => {
  const account = await h.prisma.account.create({
    data: {
      email: `metrics-${randomBytes(4).toString('hex')}@example.com`,
      emailNormalized: `metrics-${randomBytes(4).toString('hex')}@example.com`,
      passwordHash: 'x',
    },
  });
  const host = await h.prisma.dockerHost.create({
    data: { name: `metrics-host-${randomBytes(3).toString('hex')}`, endpoint: 'unix:///nowhere.sock', capacity: 7 },
  });
  const subscription = await h.prisma.subscription.create({
    data: { accountId: account.id, planId: 'starter', state: 'active' },
  });
  const subdomain = `metrics${randomBytes(3).toString('hex')}`;
  const instance = await h.prisma.instance.create({
    data: { subscriptionId: subscription.id, subdomain, state: 'active', dockerHostId: host.id },
  });
  for (const [i, gib] of [3, 2].entries()) {
    await h.prisma.member.create({
      data: {
        instanceId: instance.id,
        email: `m${i}-${subdomain}@example.com`,
        emailNormalized: `m${i}-${subdomain}@example.com`,
        name: `M${i}`,
        status: 'active',
        usageBytes: BigInt(gib) * BigInt(GIB),
      },
    });
  }

  const samples = await scrape();
  const active = await h.prisma.instance.count({ where: { state: 'active' } });
  assert.equal(sample(samples, 'photoplane_instances', { state: 'active' }), active);
  assert.equal(sample(samples, 'photoplane_instance_used_bytes', { instance: subdomain }), 5 * GIB);
  assert.equal(sample(samples, 'photoplane_instance_plan_bytes', { instance: subdomain }), 100 * GIB);
  assert.equal(sample(samples, 'photoplane_docker_host_instances', { host: host.name }), 1);
  assert.equal(sample(samples, 'photoplane_docker_host_capacity', { host: host.name }), 7);
  // Node's own figures come along.
  assert.ok(samples.some((f) => f.name === 'photoplane_portal_process_resident_memory_bytes'));
});

test('/metrics is not readable from outside without the token', async () => {
  const proxied = await h.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.equal(proxied.statusCode, 404);
  const remote = await h.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '198.51.100.7' });
  assert.equal(remote.statusCode, 404);
  const wrong = await h.app.inject({
    method: 'GET',
    url: '/metrics',
    remoteAddress: '198.51.100.7',
    headers: { authorization: `Bearer ${'x'.repeat(METRICS_TOKEN.length)}` },
  });
  assert.equal(wrong.statusCode, 404);
  const scraper = await h.app.inject({
    method: 'GET',
    url: '/metrics',
    remoteAddress: '198.51.100.7',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assert.equal(scraper.statusCode, 200);
  assert.match(scraper.body, /^# HELP /m);
});
