// Issue 18: each portal process answers the signed-in views (the account, the subscription view, the members' list
// and stats) from memory, and the `view_changed` triggers' NOTIFY drops them in every process when a row they were
// read from changes. Two portals over one database, as two processes behind a load balancer: what one changes, the
// other answers on the very next request; what any other writer changes reaches both; a change no trigger tells is
// not seen (so the views really are answered from memory); and while the LISTEN connection is down every read goes
// to the database. Needs PostgreSQL only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import type { PrismaClient } from '@photoplane/db';
import type { ChangeConsumer, ChangeFeed } from '../src/platform/data/change-feed.ts';
import { createViewCache } from '../src/platform/data/view-cache.ts';
import type { Portal } from '../src/portal.ts';
import { startTwoPortals, waitUntil, type TwoPortals } from './support/two-portals.ts';

const GIB = 1024n ** 3n;
const PASSWORD = 'correct horse battery staple';

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

/** A customer with an active instance on a 100 GiB plan, signed in through A. */
async function owner() {
  const email = `c-${randomBytes(4).toString('hex')}@example.com`;
  const account = await prisma.account.create({
    data: {
      email,
      emailNormalized: email,
      passwordHash: await hash(PASSWORD),
      emailVerifiedAt: new Date(),
      name: 'Ada',
    },
  });
  await prisma.plan.upsert({
    where: { id: 'plan-100' },
    update: {},
    create: { id: 'plan-100', name: '100 GiB', storageBytes: 100n * GIB, stripePriceId: 'price_100', priceCents: 900 },
  });
  const subscription = await prisma.subscription.create({
    data: { accountId: account.id, planId: 'plan-100', state: 'active' },
  });
  const subdomain = `v${randomBytes(4).toString('hex')}`;
  const instance = await prisma.instance.create({
    data: { subscriptionId: subscription.id, subdomain, state: 'active' },
  });
  const login = await a.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } });
  assert.equal(login.statusCode, 200, login.body);
  const { accessToken } = login.json<{ accessToken: string }>();
  return { account, subscription, instance, subdomain, token: accessToken };
}

async function get<T>(portal: Portal, url: string, token: string): Promise<T> {
  const res = await portal.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return res.json<T>();
}

interface Stats {
  planBytes: string;
  usedBytes: string;
  members: { email: string; usageBytes: string; quotaGiB: number }[];
}
interface SubscriptionView {
  instance: { state: string } | null;
  storage: { allocatedBytes: string };
}

/** A change with the triggers off for its transaction: no process is told (a writer that bypasses them). */
async function untold(sql: string, ...values: unknown[]) {
  await prisma.$transaction([
    prisma.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`),
    prisma.$executeRawUnsafe(sql, ...values),
  ]);
}

test('what one portal changes, the other answers on the very next request, every time', async () => {
  const o = await owner();
  const list = `/v1/instances/${o.subdomain}/members`;
  const stats = `/v1/instances/${o.subdomain}/stats`;
  // B remembers the views: a second read adds nothing.
  await get(b, list, o.token);
  await get(b, stats, o.token);
  await get(b, '/v1/subscription', o.token);
  await get(b, '/v1/me', o.token);
  const size = b.views.size;
  assert.ok(size >= 3, `B remembered ${size} views`);
  await get(b, list, o.token);
  await get(b, '/v1/subscription', o.token);
  assert.equal(b.views.size, size);

  for (let round = 1; round <= 8; round++) {
    const email = `m${round}-${randomBytes(3).toString('hex')}@example.com`;
    const added = await a.app.inject({
      method: 'POST',
      url: list,
      headers: { authorization: `Bearer ${o.token}` },
      payload: { name: `Member ${round}`, email, mode: 'password', quotaGiB: 1 },
    });
    assert.equal(added.statusCode, 201, added.body);
    const { members } = await get<{ members: { email: string }[] }>(b, list, o.token);
    assert.ok(
      members.some((m) => m.email === email),
      `round ${round}: B's members list lacks the member A added`,
    );
    const byB = await get<Stats>(b, stats, o.token);
    assert.equal(byB.members.filter((m) => m.email !== o.account.email).length, round, `round ${round}: B's stats`);
    const view = await get<SubscriptionView>(b, '/v1/subscription', o.token);
    // Each earlier member was given 2 GiB, this one 1 GiB.
    const allocated = BigInt(2 * (round - 1) + 1) * GIB;
    assert.equal(view.storage.allocatedBytes, String(allocated), `round ${round}: B's subscription view`);

    // And a change of that member through A: B's views show the new quota at once.
    const id = added.json<{ member: { id: string } }>().member.id;
    const patched = await a.app.inject({
      method: 'PATCH',
      url: `${list}/${id}`,
      headers: { authorization: `Bearer ${o.token}` },
      payload: { quotaGiB: 2 },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const after = await get<Stats>(b, stats, o.token);
    assert.equal(after.members.find((m) => m.email === email)?.quotaGiB, 2, `round ${round}: B's stats after PATCH`);
    const viewAfter = await get<SubscriptionView>(b, '/v1/subscription', o.token);
    assert.equal(viewAfter.storage.allocatedBytes, String(allocated + GIB), `round ${round}: after PATCH`);
  }
});

test("rows changed by any other writer reach every portal's views through the triggers", async () => {
  const o = await owner();
  const stats = `/v1/instances/${o.subdomain}/stats`;
  assert.equal((await get<SubscriptionView>(b, '/v1/subscription', o.token)).instance?.state, 'active');
  assert.equal((await get<Stats>(b, stats, o.token)).planBytes, String(100n * GIB));
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'Ada');
  const ownerRow = await prisma.member.findFirstOrThrow({ where: { instanceId: o.instance.id, role: 'owner' } });

  // As the provisioner, the usage sync, the catalogue and an operator's SQL would change them.
  await prisma.instance.update({ where: { id: o.instance.id }, data: { state: 'suspended' } });
  await prisma.member.update({ where: { id: ownerRow.id }, data: { usageBytes: 3n * GIB } });
  await prisma.$executeRaw`UPDATE "plan" SET "storageBytes" = ${200n * GIB} WHERE "id" = 'plan-100'`;
  await prisma.account.update({ where: { id: o.account.id }, data: { name: 'Ada L.' } });
  // Once every listener has heard what was committed before (the barrier a changing request waits for):
  await b.sessionLiveness.barrier();
  assert.equal((await get<SubscriptionView>(b, '/v1/subscription', o.token)).instance?.state, 'suspended');
  const after = await get<Stats>(b, stats, o.token);
  assert.equal(after.planBytes, String(200n * GIB));
  assert.equal(after.usedBytes, String(3n * GIB));
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'Ada L.');
  await prisma.$executeRaw`UPDATE "plan" SET "storageBytes" = ${100n * GIB} WHERE "id" = 'plan-100'`;

  // A TRUNCATE tells every view to go.
  assert.ok(b.views.size > 0);
  await prisma.$executeRaw`TRUNCATE "instance_restore"`;
  await b.sessionLiveness.barrier();
  assert.equal(b.views.size, 0);
});

test('the views are answered from memory: a change no trigger tells is not seen until one is', async () => {
  const o = await owner();
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'Ada');
  await untold(`UPDATE "account" SET "name" = 'Untold' WHERE "id" = $1::uuid`, o.account.id);
  await b.sessionLiveness.barrier();
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'Ada', 'B read the database');
  // Any told change of the row drops the view, and the next read has everything.
  await prisma.account.update({ where: { id: o.account.id }, data: { emailVerifiedAt: new Date() } });
  await b.sessionLiveness.barrier();
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'Untold');
});

test('while the LISTEN connection is down nothing is remembered or served from memory, and it comes back', async () => {
  const o = await owner();
  await get(b, '/v1/me', o.token);
  assert.ok(b.views.size > 0);
  await prisma.$queryRaw`
    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE application_name = 'photoplane-portal-listen' AND datname = current_database()`;
  await waitUntil('B noticing the drop', () => !b.sessionLiveness.listening);
  assert.equal(b.views.size, 0, 'what B remembered before the drop must be forgotten');
  // Down: a change B cannot hear of is read at once.
  await untold(`UPDATE "account" SET "name" = 'While down' WHERE "id" = $1::uuid`, o.account.id);
  assert.equal((await get<{ name: string }>(b, '/v1/me', o.token)).name, 'While down');
  assert.equal(b.views.size, 0, 'nothing is remembered while the listener is down');
  await waitUntil('B listening again', () => b.sessionLiveness.listening);
  await waitUntil('A listening again', () => a.sessionLiveness.listening);
  await get(b, '/v1/me', o.token);
  assert.ok(b.views.size > 0, 'B remembers again');
});

/** A feed told by hand, to hold a change between a view's read and its answer. */
function handFeed() {
  let consumer: ChangeConsumer | undefined;
  const feed: ChangeFeed = {
    subscribe: (c) => void (consumer = c),
    listening: true,
    ready: Promise.resolve(),
    barrier: async () => undefined,
    close: async () => undefined,
  };
  return { feed, tell: (tag: string) => consumer?.changed(tag) };
}

test('a view read while one of its rows changed is not remembered; a change of other rows does not matter', async () => {
  const { feed, tell } = handFeed();
  const views = createViewCache({ feed });
  let reads = 0;
  const load = (during?: string) => async () => {
    reads++;
    if (during) tell(during);
    return { reads };
  };
  const tags = () => ['account:1', 'instance:2'];
  await views.read('v', load('instance:2'), tags);
  assert.equal(views.size, 0, 'the answer may predate the change: not remembered');
  await views.read('v', load('instance:3'), tags);
  assert.equal(views.size, 1);
  assert.deepEqual(await views.read('v', load(), tags), { reads: 2 }, 'answered from memory');
  tell('account:1');
  assert.deepEqual(await views.read('v', load(), tags), { reads: 3 }, 'dropped by its tag');
  tell('*');
  assert.equal(views.size, 0, '`*` forgets everything');
});
