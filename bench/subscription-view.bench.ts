// Benchmark (issue 4): the customer's subscription view (GET /v1/subscription: access-token check with its session
// lookup, then subscription, plan, instance and usage from PostgreSQL) under load from autocannon, against a bare
// fastify route answering the same JSON from memory, both measured in this run on this machine.
//
// Run: npm run bench -- bench/subscription-view.bench.ts   (BENCH_SECONDS=5, BENCH_CONNECTIONS=10 by default)
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { bearer, startHarness } from '../apps/portal/test/billing-harness.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function load(url: string, headers: Record<string, string>) {
  const result = await autocannon({ url, headers, connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total };
}

async function main(): Promise<void> {
  const harness = await startHarness();
  const bare = Fastify();
  try {
    const { token } = await harness.customer('bench');
    const checkout = await harness.app.inject({
      method: 'POST',
      url: '/v1/checkout',
      headers: bearer(token),
      payload: { planId: 'family', subdomain: `bench-${Date.now().toString(36)}` },
    });
    if (checkout.statusCode !== 201 && checkout.statusCode !== 200) throw new Error(`checkout: ${checkout.body}`);
    const view = await harness.app.inject({ method: 'GET', url: '/v1/subscription', headers: bearer(token) });
    if (view.statusCode !== 200) throw new Error(`subscription view: ${view.body}`);
    const body = view.body;
    bare.get('/bare', async (_req, reply) => reply.type('application/json').send(body));

    const portalUrl = await harness.app.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    // Warm both up (JIT, connection pools) before measuring.
    await autocannon({ url: `${bareUrl}/bare`, connections, duration: 1 });
    await autocannon({ url: `${portalUrl}/v1/subscription`, headers: bearer(token), connections, duration: 1 });

    const baseline = await load(`${bareUrl}/bare`, {});
    const portal = await load(`${portalUrl}/v1/subscription`, bearer(token));
    process.stdout.write(
      [
        '',
        `subscription view under load: ${connections} connections, ${seconds} s each, same run, same JSON (${body.length} bytes)`,
        '                               req/s    p99 ms   requests',
        `  bare fastify route      ${baseline.rps.toFixed(0).padStart(10)} ${baseline.p99.toFixed(1).padStart(9)} ${String(baseline.total).padStart(10)}`,
        `  GET /v1/subscription    ${portal.rps.toFixed(0).padStart(10)} ${portal.p99.toFixed(1).padStart(9)} ${String(portal.total).padStart(10)}`,
        `  ratio (portal / bare)   ${(portal.rps / baseline.rps).toFixed(3).padStart(10)} ${(portal.p99 / baseline.p99).toFixed(2).padStart(9)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await bare.close();
    await harness.close();
  }
}

await main();
