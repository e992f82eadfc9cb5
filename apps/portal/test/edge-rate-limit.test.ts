// The edge's per-address limit on public actions (issue 13), run for real: the production edge config
// (infra/src/edge-config.ts, Caddy's internal CA, high ports on 127.0.0.1) in a Caddy built with the project's own
// module (infra/caddy), in front of this portal on real PostgreSQL. Clients connect from different loopback
// addresses (127.0.0.1, 127.0.0.2, ...), which Caddy sees as different client addresses. Over the limit, the edge
// answers 429 problem+json with Retry-After, and the portal never sees the request (counted with an onResponse hook);
// another address still passes; reading pages is never limited.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { PORTAL_PUBLIC_ACTION_PATHS } from '@photoplane/infra/edge-config';
import { createPendingInstance } from '@photoplane/provisioner/testing';
import { waitFor } from '../../../infra/src/process.ts';
import type { Portal } from '../src/portal.ts';
import { startProductionEdge, type ProductionEdge } from './support/production-edge.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const DOMAIN = 'photos.example.net';
const PORTAL_HOST = `portal.${DOMAIN}`;
/** The edge's limit in this file: three public actions at once per address, then one every 20 s. */
const BURST = 3;
let db: CreatedDatabase;
let prisma: PrismaClient;
let portal: Portal;
let caddy: ProductionEdge;
/** A live instance's host: its certificate is issued on demand, its /photoplane pages are the portal's. */
let instanceHost: string;
/** Every request the portal answered: `METHOD path`. */
const seen: string[] = [];
let nextAddress = 10;
/** A loopback address of its own for each test, so no test spends another's bucket. */
const freshAddress = () => `127.0.0.${nextAddress++}`;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  const { instance } = await createPendingInstance(prisma, 'limit-');
  await prisma.instance.update({ where: { id: instance.id }, data: { state: 'active' } });
  instanceHost = `${instance.subdomain}.${DOMAIN}`;
  portal = await startTestPortal({
    prisma,
    config: testPortalConfig(db.url, { PHOTOPLANE_DOMAIN: DOMAIN, TRUST_PROXY: '127.0.0.1' }),
  });
  portal.app.addHook('onResponse', async (request) => {
    seen.push(`${request.method} ${request.url.split('?')[0]}`);
  });
  await portal.app.listen({ host: '127.0.0.1', port: 0 });
  const portalPort = (portal.app.server.address() as AddressInfo).port;

  caddy = await startProductionEdge({
    domain: DOMAIN,
    portalPort,
    extra: { publicRateLimit: { events: 3, windowSeconds: 60, burst: BURST } },
  });
  // The portal's certificate is obtained at start; wait until the edge serves the portal over HTTPS.
  await waitFor(
    'the portal through the edge',
    async () => (await send({ from: '127.0.0.1', method: 'GET', path: '/healthz' }).catch(() => null))?.status === 200,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
});

after(async () => {
  await caddy?.stop();
  await portal?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to the edge from a given local address, as a browser at `host` would send it. */
function send(opts: {
  from: string;
  method: string;
  path: string;
  host?: string;
  body?: string;
  headers?: Record<string, string>;
}): Promise<Answer> {
  const host = opts.host ?? PORTAL_HOST;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: caddy.ports.https,
        localAddress: opts.from,
        servername: host,
        ca: caddy.rootCa,
        method: opts.method,
        path: opts.path,
        agent: false,
        headers: {
          host,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const signIn = (from: string) =>
  send({
    from,
    method: 'POST',
    path: '/v1/auth/login',
    body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1234' }),
  });

async function refusedAtTheEdge(): Promise<number> {
  // Caddy's admin API wants an allowed Origin from fetch (its guard against browsers).
  const { adminUrl } = caddy;
  const res = await fetch(`${adminUrl}/metrics`, { headers: { origin: adminUrl } });
  assert.equal(res.status, 200);
  const line = (await res.text()).split('\n').find((l) => l.startsWith('photoplane_edge_rate_limited_total{'));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('past its burst, an address is refused at the edge with 429 problem+json and Retry-After; the portal never sees it', async () => {
  const attacker = freshAddress();
  const before = seen.filter((s) => s === 'POST /v1/auth/login').length;
  const refusedBefore = await refusedAtTheEdge();
  for (let i = 0; i < BURST; i++) {
    const res = await signIn(attacker);
    assert.equal(res.status, 401, `try ${i + 1}: the portal's own answer (${res.body})`);
  }
  assert.equal(seen.filter((s) => s === 'POST /v1/auth/login').length, before + BURST);

  const refused = await signIn(attacker);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  // Three a minute: the next try is 20 s away.
  assert.equal(refused.headers['retry-after'], '20');
  const problem = JSON.parse(refused.body) as { status: number; title: string; detail: string };
  assert.equal(problem.status, 429);
  assert.equal(problem.title, 'Too Many Requests');
  assert.match(problem.detail, /try again in 20 seconds/);
  // The portal did not see the fourth try.
  assert.equal(seen.filter((s) => s === 'POST /v1/auth/login').length, before + BURST);
  assert.equal((await refusedAtTheEdge()) - refusedBefore, 1);

  // Every public action shares the address's bucket: a password reset request is refused too.
  const reset = await send({
    from: attacker,
    method: 'POST',
    path: '/v1/auth/password-reset/request',
    body: JSON.stringify({ email: 'nobody@example.com' }),
  });
  assert.equal(reset.status, 429);
  assert.ok(!seen.includes('POST /v1/auth/password-reset/request'));
});

test('another address still passes while one is refused', async () => {
  const attacker = freshAddress();
  for (let i = 0; i <= BURST; i++) await signIn(attacker);
  assert.equal((await signIn(attacker)).status, 429);
  const before = seen.length;
  const res = await signIn(freshAddress());
  assert.equal(res.status, 401, res.body);
  assert.equal(seen.length, before + 1);
});

test('reading pages and signed-in calls are not limited at the edge', async () => {
  const attacker = freshAddress();
  for (let i = 0; i <= BURST; i++) await signIn(attacker);
  assert.equal((await signIn(attacker)).status, 429);
  // The same address, many times its burst, on a page and on a signed-in route (which answers 401 itself).
  for (let i = 0; i < 4 * BURST; i++) {
    const plans = await send({ from: attacker, method: 'GET', path: '/v1/plans' });
    assert.equal(plans.status, 200, plans.body);
    const me = await send({ from: attacker, method: 'GET', path: '/v1/me' });
    assert.equal(me.status, 401, me.body);
  }
});

test("the members' sign-in pages at an instance host share the bucket, and a browser is told on a page", async () => {
  const member = freshAddress();
  const forgot = () =>
    send({
      from: member,
      method: 'POST',
      host: instanceHost,
      path: '/photoplane/forgot',
      body: 'email=someone%40example.com',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      },
    });
  for (let i = 0; i < BURST; i++) {
    const res = await forgot();
    assert.notEqual(res.status, 429, `try ${i + 1}`);
    assert.ok(res.status < 500, `try ${i + 1}: ${res.status} ${res.body.slice(0, 200)}`);
  }
  const before = seen.filter((s) => s === 'POST /photoplane/forgot').length;
  assert.equal(before, BURST);
  const res = await forgot();
  assert.equal(res.status, 429);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /Too many requests/);
  assert.equal(res.headers['retry-after'], '20');
  assert.equal(seen.filter((s) => s === 'POST /photoplane/forgot').length, before);
  // Its sign-in API at the portal's host is the same address's bucket.
  assert.equal((await signIn(member)).status, 429);
});

test("the edge's list of public actions is the portal's: every POST its API documents without security", () => {
  const doc = portal.app.swagger() as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  const documented = Object.entries(doc.paths)
    .filter(([, ops]) => ops.post && !ops.post.security?.length)
    .map(([p]) => p.replace(/\{[^}]+\}/g, '*'))
    // Signed by Stripe and retried by it; the test-mode checkout exists only in tests.
    .filter((p) => p !== '/v1/stripe/webhook' && !p.startsWith('/v1/test-checkout/'))
    .sort();
  assert.deepEqual(documented, [...PORTAL_PUBLIC_ACTION_PATHS].sort());
});
