// Benchmark (issue 18): the portal's signed-in reads under load from autocannon, each against a bare fastify route
// answering the same JSON from memory, all measured in this run on this machine: the customer's subscription view
// (GET /v1/subscription), the account (GET /v1/me), the members list and the member stats of their instance. Every
// request carries a bearer access token, so each one also pays the check that its sign-in is still live.
//
// Needs PostgreSQL only (rows are written directly, the session is made the way a sign-in makes it):
//   node --import tsx infra/src/with-postgres.ts --run bench/portal-reads.bench.ts    or    npm run bench -- bench/portal-reads.bench.ts
// BENCH_SECONDS=5, BENCH_CONNECTIONS=100, BENCH_MEMBERS=20 by default; BENCH_ROUTES=me,subscription picks routes.
import { randomBytes, randomUUID } from 'node:crypto';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import type { AccountId, SessionId } from '@photoplane/tenant-model';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { readPortalConfig } from '../apps/portal/src/config.ts';
import { createPortal } from '../apps/portal/src/portal.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const memberCount = Number(process.env.BENCH_MEMBERS ?? 20);
/** Load generator threads: 0 runs autocannon on the portal's own event loop (the bench's first form). */
const workers = Number(process.env.BENCH_WORKERS ?? 1);
const GIB = 1024n ** 3n;

interface Measured {
  rps: number;
  p99: number;
  total: number;
}

async function load(url: string, headers: Record<string, string>): Promise<Measured> {
  const result = await autocannon({ url, headers, connections, duration: seconds, ...(workers ? { workers } : {}) });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total };
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const config = readPortalConfig({
    DATABASE_URL: db.url,
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
    PHOTOPLANE_DOMAIN: 'photos.test',
    PLANS: JSON.stringify([
      { id: 'family', name: 'Family', storageGib: 1024, stripePriceId: 'price_bench_family', priceCents: 1200 },
    ]),
  });
  const portal = await createPortal(
    { config, prisma, logger: pino({ level: 'silent' }) },
    { mailTransport: nodemailer.createTransport({ jsonTransport: true }), publicRateLimit: null },
  );
  const { app } = portal;
  // The same portal reading every view from the database (no view cache), for before/after in one run.
  const uncached = await createPortal(
    { config, prisma, logger: pino({ level: 'silent' }) },
    { mailTransport: nodemailer.createTransport({ jsonTransport: true }), publicRateLimit: null, viewCache: false },
  );
  const bare = Fastify();
  try {
    await app.ready();
    await uncached.app.ready();
    await portal.services.plans.syncPlans();
    // A customer with a running instance and `memberCount` members, signed in once.
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const account = await prisma.account.create({
      data: { email, emailNormalized: email, passwordHash: 'not-used', emailVerifiedAt: new Date() },
    });
    const subscription = await prisma.subscription.create({
      data: {
        accountId: account.id,
        planId: 'family',
        state: 'active',
        currentPeriodEnd: new Date(Date.now() + 864e5),
      },
    });
    const subdomain = `bench-${Date.now().toString(36)}`;
    const instance = await prisma.instance.create({
      data: { subscriptionId: subscription.id, subdomain, state: 'active' },
    });
    await prisma.member.createMany({
      data: Array.from({ length: memberCount }, (_, i) => ({
        instanceId: instance.id,
        email: `m${i}@example.com`,
        emailNormalized: `m${i}@example.com`,
        name: `Member ${i}`,
        status: 'active' as const,
        quotaBytes: i % 2 === 0 ? 10n * GIB : null,
        usageBytes: BigInt(i) * GIB,
      })),
    });
    const session = await prisma.session.create({
      data: {
        realm: 'portal',
        accountId: account.id,
        familyId: randomUUID(),
        refreshTokenHash: randomBytes(32).toString('hex'),
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    const { accessToken } = await app.signAccessToken({
      accountId: account.id as AccountId,
      sessionId: session.id as SessionId,
    });
    const headers = { authorization: `Bearer ${accessToken}` };

    const all = [
      ['subscription', '/v1/subscription'],
      ['me', '/v1/me'],
      ['members', `/v1/instances/${subdomain}/members`],
      ['stats', `/v1/instances/${subdomain}/stats`],
    ] as const;
    const picked = process.env.BENCH_ROUTES?.split(',');
    const routes = all.filter(([name]) => !picked || picked.includes(name));
    const bodies = new Map<string, string>();
    for (const [name, url] of routes) {
      const res = await app.inject({ method: 'GET', url, headers });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      bodies.set(name, res.body);
      bare.get(`/bare/${name}`, async (_req, reply) => reply.type('application/json').send(bodies.get(name)));
    }
    const portalUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const uncachedUrl = await uncached.app.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

    const lines = [
      '',
      `portal reads under load: ${connections} connections, ${seconds} s each; each route right after its bare twin,`,
      'then the same portal without the view cache (every view read from PostgreSQL)',
      '                                            req/s    p99 ms   requests    bytes',
    ];
    for (const [name, url] of routes) {
      // Warm both up (JIT, connection pools) before measuring.
      await autocannon({ url: `${bareUrl}/bare/${name}`, connections, duration: 1 });
      await autocannon({ url: `${portalUrl}${url}`, headers, connections, duration: 1 });
      await autocannon({ url: `${uncachedUrl}${url}`, headers, connections, duration: 1 });
      const baseline = await load(`${bareUrl}/bare/${name}`, {});
      const measured = await load(`${portalUrl}${url}`, headers);
      const fromDatabase = await load(`${uncachedUrl}${url}`, headers);
      const label = `GET ${url.replace(subdomain, ':subdomain')}`;
      const size = String(bodies.get(name)?.length ?? 0).padStart(8);
      const row = (l: string, m: Measured) =>
        `  ${l.padEnd(38)} ${m.rps.toFixed(0).padStart(7)} ${m.p99.toFixed(1).padStart(9)} ${String(m.total).padStart(10)}`;
      lines.push(
        row('bare fastify route', baseline) + ` ${size}`,
        row(label, measured),
        `  ${'ratio (portal / bare)'.padEnd(38)} ${(measured.rps / baseline.rps).toFixed(3).padStart(7)}`,
        row('  without the view cache', fromDatabase),
        `  ${'  ratio (portal / bare)'.padEnd(38)} ${(fromDatabase.rps / baseline.rps).toFixed(3).padStart(7)}`,
      );
    }
    process.stdout.write([...lines, ''].join('\n'));
  } finally {
    await bare.close();
    await uncached.close();
    await portal.close();
    await prisma.$disconnect();
    await db.drop();
  }
}

await main();
