// Issue 18: each portal process keeps the sign-ins it knows to be live in memory, and PostgreSQL's NOTIFY (from the
// `session_ended` trigger) drops them in every process. Two portals over one database, as two processes behind a
// load balancer would be: each with its own pool, LISTEN connection and cache. A sign-in ended through one must be
// refused by the other on the very next request; an expired one without any notification; and while a portal's
// LISTEN connection is down, it must ask the database every time. Needs PostgreSQL only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import type { PrismaClient } from '@photoplane/db';
import type { Portal } from '../src/portal.ts';
import { startTwoPortals, waitUntil, type TwoPortals } from './support/two-portals.ts';

let portals: TwoPortals;
let a: Portal;
let b: Portal;
let prisma: PrismaClient;

before(async () => {
  portals = await startTwoPortals();
  ({ a, b, prisma } = portals);
});

after(async () => {
  await portals?.close();
});

const PASSWORD = 'correct horse battery staple';
let passwordHash: string;

async function customer(): Promise<string> {
  passwordHash ??= await hash(PASSWORD);
  const email = `c-${randomBytes(4).toString('hex')}@example.com`;
  await prisma.account.create({
    data: { email, emailNormalized: email, passwordHash, emailVerifiedAt: new Date() },
  });
  return email;
}

async function logIn(portal: Portal, email: string) {
  const res = await portal.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password: PASSWORD },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ accessToken: string; refreshToken: string }>();
}

const me = (portal: Portal, token: string) =>
  portal.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

/** Signs in through A and reads /v1/me on both, so both processes hold the sign-in as live. */
async function signedInOnBoth() {
  const email = await customer();
  const tokens = await logIn(a, email);
  assert.equal((await me(a, tokens.accessToken)).statusCode, 200);
  assert.equal((await me(b, tokens.accessToken)).statusCode, 200);
  const before = b.sessionLiveness.size;
  // Answered from B's memory now: a second read does not add an entry, and the entry is there.
  assert.equal((await me(b, tokens.accessToken)).statusCode, 200);
  assert.ok(before > 0 && b.sessionLiveness.size === before);
  return { email, ...tokens };
}

test('a logout on one portal is refused by the other on the very next request, every time', async () => {
  for (let i = 0; i < 25; i++) {
    const { accessToken } = await signedInOnBoth();
    const out = await a.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.equal(out.statusCode, 204);
    const next = await me(b, accessToken);
    assert.equal(next.statusCode, 401, `round ${i}: B still accepted a token whose sign-in A ended`);
    assert.equal((await me(a, accessToken)).statusCode, 401);
  }
});

test('a reused refresh token ends the sign-in on the other portal at once', async () => {
  const { accessToken, refreshToken } = await signedInOnBoth();
  const refresh = (portal: Portal) =>
    portal.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  assert.equal((await refresh(a)).statusCode, 200);
  // The old access token still works after a rotation (same sign-in), on both.
  assert.equal((await me(b, accessToken)).statusCode, 200);
  assert.equal((await refresh(a)).statusCode, 401); // replayed: the whole sign-in is revoked
  assert.equal((await me(b, accessToken)).statusCode, 401);
});

test('sessions revoked or deleted in the database by anyone reach every portal through the trigger', async () => {
  const first = await signedInOnBoth();
  const account = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: first.email } });
  // A revocation written by some other program (no barrier of ours): once PostgreSQL delivered the notification
  // to B's listener, B refuses.
  await prisma.session.updateMany({ where: { accountId: account.id }, data: { revokedAt: new Date() } });
  await b.sessionLiveness.barrier();
  assert.equal((await me(b, first.accessToken)).statusCode, 401);

  const second = await signedInOnBoth();
  const other = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: second.email } });
  await prisma.session.deleteMany({ where: { accountId: other.id } });
  await b.sessionLiveness.barrier();
  assert.equal((await me(b, second.accessToken)).statusCode, 401);
});

test('an expired sign-in is refused from the cache without any notification', async () => {
  const { email, accessToken } = await signedInOnBoth();
  const account = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: email } });
  // Shortening the expiry notifies (it ends the sign-in sooner); B reads the row again and keeps the new expiry.
  await prisma.session.updateMany({
    where: { accountId: account.id },
    data: { expiresAt: new Date(Date.now() + 800) },
  });
  await b.sessionLiveness.barrier();
  assert.equal((await me(b, accessToken)).statusCode, 200);
  await new Promise((r) => setTimeout(r, 900));
  assert.equal((await me(b, accessToken)).statusCode, 401);
});

test('while the LISTEN connection is down the cache is off, and it comes back', async () => {
  const { accessToken } = await signedInOnBoth();
  // Cut every portal's LISTEN connection, as a restarted database or a network blip would.
  await prisma.$queryRaw`
    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE application_name = 'photoplane-portal-listen' AND datname = current_database()`;
  await waitUntil('B noticing the drop', () => !b.sessionLiveness.listening);
  assert.equal(b.sessionLiveness.size, 0, 'what B knew before the drop must be forgotten');
  // Down: every request asks the database, so a revocation B cannot hear of is still refused at once.
  assert.equal((await me(b, accessToken)).statusCode, 200);
  assert.equal(b.sessionLiveness.size, 0, 'nothing is remembered while the listener is down');
  const out = await a.app.inject({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  assert.equal(out.statusCode, 204);
  assert.equal((await me(b, accessToken)).statusCode, 401);
  // Back: B listens again and caches again.
  await waitUntil('B listening again', () => b.sessionLiveness.listening);
  await waitUntil('A listening again', () => a.sessionLiveness.listening);
  await signedInOnBoth();
});

test('a listener that does not answer a revocation is cut off, so its process cannot go on trusting its cache', async () => {
  // Signed in first: the sign-in's own answer waits for every listener too (a request that changed something).
  const { accessToken } = await signedInOnBoth();
  // A portal process whose event loop is stuck looks like this from PostgreSQL: listening, never answering.
  const { Client } = (await import('pg')).default;
  const stuck = new Client({ connectionString: portals.db.url, application_name: 'photoplane-portal-listen' });
  await stuck.connect();
  const ended = new Promise<string>((resolve) => {
    stuck.on('error', (e: Error) => resolve(e.message));
    stuck.on('end', () => resolve('ended'));
  });
  await stuck.query('LISTEN photoplane_barrier');
  const started = Date.now();
  const out = await a.app.inject({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  assert.equal(out.statusCode, 204);
  // The logout waited for the silent listener (2 s), then terminated its connection before answering.
  assert.ok(Date.now() - started >= 1_900, `answered after ${Date.now() - started} ms`);
  assert.match(await ended, /terminat|ended/);
  assert.equal((await me(b, accessToken)).statusCode, 401);
});
