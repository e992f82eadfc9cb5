// SPEC S1–S4 end to end (issue 14): sharing happens in the photo app, between members who sign in there through
// Photoplane. Two customers buy an instance each (A and B); A's owner adds Ann and Bob, B's adds Cy. Ann and Bob sign
// in to A's photo app through Photoplane's OpenID provider (at A's own address, through Caddy) and share an album
// (editor adds, viewer cannot), a partner library (one way, shown in the timeline only when Bob says so) and a link
// with a password and an expiry that a visitor without an account opens at `http://<sub>.<domain>/share/<key>`.
// Across instances, what Ann gets for Cy (search, album, partner) is exactly what she gets for someone who exists
// nowhere, and B's link is unknown under A's host. The photo app is the Immich stand-in; the portal and worker are
// the processes `npm start` runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { removeLabelled } from '@photoplane/infra/cleanup';
import { testStack, TEST_RUN_LABEL } from '@photoplane/infra/testing';
import { reconcileScheduleId } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import Docker from 'dockerode';
import { customerKit } from './support/customer.ts';
import { instanceBrowser, signIn, uploadBody, type Reply } from './support/instance-browser.ts';
import { repoRoot, startServices, type Services } from './support/services.ts';
import { totpCode, totpStep } from '../apps/portal/src/platform/totp.ts';

const stack = testStack();
const FILE_LABEL = 'photoplane.test-file';
const fileLabel = `sharing-${randomBytes(4).toString('hex')}`;
const docker = new Docker(
  stack.dockerHost.startsWith('unix://') ? { socketPath: stack.dockerHost.slice('unix://'.length) } : {},
);

let db: CreatedDatabase;
let prisma: PrismaClient;
let services: Services | undefined;
const totpKey = randomBytes(32).toString('base64url');
const hostName = `s${stack.runId}${randomBytes(2).toString('hex')}`;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  services = await startServices({
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: `sharing-${stack.runId}-${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_DOCKER_HOST_NAME: hostName,
    PHOTOPLANE_RESOURCE_LABELS: `${TEST_RUN_LABEL}=${stack.runId},${FILE_LABEL}=${fileLabel}`,
    TOTP_ENCRYPTION_KEY: totpKey,
  });
});

after(async () => {
  await services?.stopAll();
  await removeLabelled(docker, FILE_LABEL, fileLabel);
  await prisma?.$disconnect();
  await db?.drop();
});

/** An Immich error as a user sees it: status and body, without the per-request correlation id. */
function seen(r: Reply) {
  const { correlationId: _ignored, ...body } = r.json;
  return { status: r.status, body };
}

test('members of one instance share albums, partners and links through the photo app; nothing crosses instances', async () => {
  const kit = customerKit(services!, stack);
  const { api } = kit;
  const [a, b] = [await kit.buyInstance(prisma), await kit.buyInstance(prisma)];

  const addMember = async (inst: typeof a, name: string) => {
    const email = `${name.toLowerCase()}-${randomBytes(3).toString('hex')}@example.com`;
    const res = await api<{ password: string }>('POST', `/v1/instances/${inst.subdomain}/members`, {
      token: inst.access,
      body: { email, name, quotaGiB: 1, mode: 'password', mustChangePassword: false },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { email, password: res.body.password, name };
  };
  const [annWho, bobWho, cyWho] = [await addMember(a, 'Ann'), await addMember(a, 'Bob'), await addMember(b, 'Cy')];

  // Each member signs in to their own instance's photo app through Photoplane (their own browser each).
  const annB = instanceBrowser();
  const bobB = instanceBrowser();
  const cyB = instanceBrowser();
  const ann = await signIn(annB, a.origin, annWho);
  const bob = await signIn(bobB, a.origin, bobWho);
  const cy = await signIn(cyB, b.origin, cyWho);
  const call = (br: typeof annB, origin: string, token: string) => (method: string, p: string, json?: unknown) =>
    br.go(`${origin}/api${p}`, { method, token, json });
  const asAnn = call(annB, a.origin, ann);
  const asBob = call(bobB, a.origin, bob);
  const asCy = call(cyB, b.origin, cy);
  const me = async (as: typeof asAnn) => String((await as('GET', '/users/me')).json.id);
  const [annId, bobId, cyId] = [await me(asAnn), await me(asBob), await me(asCy)];

  const upload = async (br: typeof annB, origin: string, token: string, name: string) => {
    const res = await br.go(`${origin}/api/assets`, { token, ...uploadBody(name, `photo ${name}`) });
    assert.equal(res.status, 201, res.text);
    return String(res.json.id);
  };
  const annPhoto = await upload(annB, a.origin, ann, 'ann-beach.jpg');
  const bobPhoto = await upload(bobB, a.origin, bob, 'bob-hike.jpg');
  const cyPhoto = await upload(cyB, b.origin, cy, 'cy-garden.jpg');

  // S4, search: Ann finds the members of her instance; Cy is as absent as an address that exists nowhere.
  const found = (await asAnn('GET', '/users')).list.map((u) => u.email);
  assert.ok(found.includes(annWho.email) && found.includes(bobWho.email), JSON.stringify(found));
  assert.ok(!found.includes(cyWho.email) && !found.includes('nobody@nowhere.example'));
  assert.ok(!(await asCy('GET', '/users')).list.some((u) => u.email === annWho.email));

  // S1: Ann shares an album with Bob as editor; he adds his own photo.
  const created = await asAnn('POST', '/albums', {
    albumName: 'Summer',
    assetIds: [annPhoto],
    albumUsers: [{ userId: bobId, role: 'editor' }],
  });
  assert.equal(created.status, 201, created.text);
  const albumId = String(created.json.id);
  const added = await asBob('PUT', `/albums/${albumId}/assets`, { ids: [bobPhoto] });
  assert.equal(added.status, 200, added.text);
  assert.deepEqual(added.list, [{ id: bobPhoto, success: true }]);
  assert.equal((await asAnn('GET', `/albums/${albumId}`)).json.assetCount, 2);
  assert.equal((await asAnn('GET', `/assets/${bobPhoto}`)).status, 200, 'the owner sees what the editor added');
  // As a viewer he can still look, but adds nothing.
  assert.equal((await asAnn('PUT', `/albums/${albumId}/user/${bobId}`, { role: 'viewer' })).status, 200);
  const bobPhoto2 = await upload(bobB, a.origin, bob, 'bob-lake.jpg');
  const refused = await asBob('PUT', `/albums/${albumId}/assets`, { ids: [bobPhoto2] });
  assert.deepEqual(seen(refused), {
    status: 400,
    body: { message: 'Not found or no albumAsset.create access', error: 'Bad Request', statusCode: 400 },
  });
  assert.equal((await asBob('GET', `/albums/${albumId}`)).json.assetCount, 2);
  assert.equal((await asBob('GET', `/assets/${annPhoto}/original`)).text, 'photo ann-beach.jpg');

  // S4, albums: adding Cy (a member of B) answers exactly what an id that exists nowhere does.
  const addCy = await asAnn('PUT', `/albums/${albumId}/users`, { albumUsers: [{ userId: cyId, role: 'viewer' }] });
  const addNobody = await asAnn('PUT', `/albums/${albumId}/users`, {
    albumUsers: [{ userId: randomUUID(), role: 'viewer' }],
  });
  assert.equal(addCy.status, 400, addCy.text);
  assert.deepEqual(seen(addCy), seen(addNobody));
  assert.deepEqual(seen(await asCy('GET', `/albums/${albumId}`)), seen(await asCy('GET', `/albums/${randomUUID()}`)));
  assert.deepEqual(seen(await asCy('GET', `/assets/${annPhoto}`)), seen(await asCy('GET', `/assets/${randomUUID()}`)));

  // S2: Ann shares her library with Bob, one way; it shows in his timeline only once he turns that on.
  const timeline = async (as: typeof asAnn) =>
    (await as('GET', '/timeline/buckets?withPartners=true&visibility=timeline')).list.reduce(
      (n, bucket) => n + Number(bucket.count),
      0,
    );
  assert.equal(await timeline(asBob), 2);
  const partnered = await asAnn('POST', '/partners', { sharedWithId: bobId });
  assert.equal(partnered.status, 201, partnered.text);
  const sharedWithBob = (await asBob('GET', '/partners?direction=shared-with')).list;
  assert.deepEqual(
    sharedWithBob.map((p) => [p.id, p.inTimeline]),
    [[annId, false]],
  );
  assert.equal((await asAnn('GET', '/partners?direction=shared-with')).list.length, 0, 'one way');
  const annPrivate = await upload(annB, a.origin, ann, 'ann-private.jpg');
  assert.equal((await asBob('GET', `/assets/${annPrivate}`)).status, 200, "a partner sees the sharer's library");
  assert.equal(
    (await asAnn('GET', `/assets/${bobPhoto2}`)).status,
    400,
    "but the sharer sees nothing of the partner's",
  );
  assert.equal(await timeline(asBob), 2, 'not in his timeline until he says so');
  assert.equal((await asBob('PUT', `/partners/${annId}`, { inTimeline: true })).status, 200);
  assert.equal(await timeline(asBob), 4);
  // S4, partners: partnering with Cy answers exactly what partnering with nobody does.
  assert.deepEqual(
    seen(await asAnn('POST', '/partners', { sharedWithId: cyId })),
    seen(await asAnn('POST', '/partners', { sharedWithId: randomUUID() })),
  );
  // Removal is immediate.
  assert.equal((await asAnn('DELETE', `/partners/${bobId}`)).status, 200);
  assert.equal((await asBob('GET', `/assets/${annPrivate}`)).status, 400);
  assert.equal(await timeline(asBob), 2);

  // S3: a link to the album with a password and an expiry, opened by a visitor without an account through the edge.
  const link = await asAnn('POST', '/shared-links', {
    type: 'ALBUM',
    albumId,
    password: 'summer of 26',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    allowDownload: true,
  });
  assert.equal(link.status, 201, link.text);
  const key = String(link.json.key);
  const visitor = instanceBrowser();
  const sharePage = `${a.origin}/share/${key}`;
  let page = await visitor.go(sharePage);
  assert.equal(page.status, 401);
  assert.match(page.text, /Password required/);
  assert.equal((await visitor.go(`${a.origin}/api/shared-links/me?key=${key}`)).status, 401);
  page = await visitor.go(sharePage, { form: { password: 'not it' } });
  assert.equal(page.status, 401);
  assert.match(page.text, /Invalid password/);
  page = await visitor.go(sharePage, { form: { password: 'summer of 26' } });
  assert.equal(page.status, 303);
  page = await visitor.go(sharePage);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /Summer/);
  assert.match(page.text, new RegExp(annPhoto));
  const mine = await visitor.go(`${a.origin}/api/shared-links/me?key=${key}`);
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual((mine.json.assets as { id: string }[]).map((x) => x.id).sort(), [annPhoto, bobPhoto].sort());
  assert.equal((await visitor.go(`${a.origin}/api/assets/${bobPhoto}/original?key=${key}`)).text, 'photo bob-hike.jpg');
  assert.equal((await visitor.go(`${a.origin}/api/assets/${annPrivate}?key=${key}`)).status, 400, 'only what it holds');
  assert.equal((await visitor.go(`${a.origin}/api/albums`)).status, 401, 'a visitor has no account');

  // S4, links: B's link is unknown under A's host, exactly like a key that exists nowhere.
  const cyLink = await asCy('POST', '/shared-links', { type: 'INDIVIDUAL', assetIds: [cyPhoto] });
  assert.equal(cyLink.status, 201, cyLink.text);
  const cyKey = String(cyLink.json.key);
  const nowhere = randomBytes(50).toString('base64url');
  assert.equal((await visitor.go(`${b.origin}/api/shared-links/me?key=${cyKey}`)).status, 200, 'at B it works');
  assert.equal((await visitor.go(`${b.origin}/share/${cyKey}`)).status, 200);
  const cyAtA = await visitor.go(`${a.origin}/api/shared-links/me?key=${cyKey}`);
  assert.deepEqual(seen(cyAtA), seen(await visitor.go(`${a.origin}/api/shared-links/me?key=${nowhere}`)));
  assert.equal(cyAtA.status, 401);
  const cyPageAtA = await visitor.go(`${a.origin}/share/${cyKey}`);
  assert.equal(cyPageAtA.status, 404);
  assert.equal(cyPageAtA.text, (await visitor.go(`${a.origin}/share/${nowhere}`)).text);

  // The expiry ends the link: the same answer as a key that never existed.
  const expired = await asAnn('PATCH', `/shared-links/${String(link.json.id)}`, {
    expiresAt: new Date(Date.now() - 60_000).toISOString(),
  });
  assert.equal(expired.status, 200, expired.text);
  assert.deepEqual(
    seen(await visitor.go(`${a.origin}/api/shared-links/me?key=${key}`)),
    seen(await visitor.go(`${a.origin}/api/shared-links/me?key=${nowhere}`)),
  );
  assert.equal((await visitor.go(sharePage)).status, 404);
});

/**
 * A superadmin made the way an operator makes the first one, signed in with password and code (A6). Once per file:
 * there is one first superadmin, and its access token outlives the tests here.
 */
let staffSignIn: Promise<string> | undefined;
function staffToken(kit: ReturnType<typeof customerKit>): Promise<string> {
  staffSignIn ??= firstSuperadminToken(kit);
  return staffSignIn;
}

async function firstSuperadminToken(kit: ReturnType<typeof customerKit>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'apps/portal/src/support/bootstrap-superadmin.ts', '--email', 'staff@photoplane.test'],
    { cwd: repoRoot, env: { ...process.env, DATABASE_URL: db.url, TOTP_ENCRYPTION_KEY: totpKey } },
  );
  const staff = JSON.parse(stdout.trim().split('\n').pop()!) as { email: string; password: string; totpSecret: string };
  const login = await kit.api<{ accessToken: string }>('POST', '/v1/auth/login', {
    body: { email: staff.email, password: staff.password, totpCode: totpCode(staff.totpSecret, totpStep(new Date())) },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body.accessToken;
}

/**
 * A new customer's instance with one member, `name`, signed in to its photo app through Photoplane, who has uploaded
 * one photo; `share` makes a shared link of it (Immich's POST /api/shared-links) and returns the link's key.
 */
async function memberWithAPhoto(kit: ReturnType<typeof customerKit>, name: string) {
  const owner = await kit.buyInstance(prisma);
  const email = `${name.toLowerCase()}-${randomBytes(3).toString('hex')}@example.com`;
  const added = await kit.api<{ password: string }>('POST', `/v1/instances/${owner.subdomain}/members`, {
    token: owner.access,
    body: { email, name, mode: 'password', mustChangePassword: false },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const browser = instanceBrowser();
  const token = await signIn(browser, owner.origin, { email, password: added.body.password });
  const file = `${name.toLowerCase()}.jpg`;
  const photo = await browser.go(`${owner.origin}/api/assets`, { token, ...uploadBody(file, `photo ${file}`) });
  assert.equal(photo.status, 201, photo.text);
  const share = async (extra: object = {}) => {
    const link = await browser.go(`${owner.origin}/api/shared-links`, {
      token,
      json: { type: 'INDIVIDUAL', assetIds: [photo.json.id], ...extra },
    });
    assert.equal(link.status, 201, link.text);
    return String(link.json.key);
  };
  return { owner, photoId: String(photo.json.id), share };
}

test('S3: while an instance is suspended its link visitors get the edge\'s "unavailable" page; after resume the link works again', async () => {
  const kit = customerKit(services!, stack);
  const { owner, photoId, share } = await memberWithAPhoto(kit, 'Dee');
  const key = await share();
  const visitor = instanceBrowser();
  const page = `${owner.origin}/share/${key}`;
  const api = `${owner.origin}/api/shared-links/me?key=${key}`;
  assert.equal((await visitor.go(page)).status, 200);

  const staff = await staffToken(kit);
  const instanceState = () => prisma.instance.findUniqueOrThrow({ where: { subdomain: owner.subdomain } });
  const suspend = await kit.api('POST', `/v1/support/tenants/${owner.subdomain}/suspend`, {
    token: staff,
    body: { reason: 'issue 14: link visitors while suspended' },
  });
  assert.equal(suspend.status, 202, JSON.stringify(suspend.body));
  await kit.waitFor('the instance suspended', instanceState, (i) => i.state === 'suspended');
  for (const url of [page, api]) {
    const res = await visitor.go(url);
    assert.equal(res.status, 503, `${url}: ${res.status} ${res.text.slice(0, 200)}`);
    assert.match(res.text, /This photo library is unavailable/);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  }

  const resume = await kit.api('POST', `/v1/support/tenants/${owner.subdomain}/resume`, {
    token: staff,
    body: { reason: 'issue 14: back' },
  });
  assert.equal(resume.status, 202, JSON.stringify(resume.body));
  await kit.waitFor('the instance active again', instanceState, (i) => i.state === 'active');
  const back = await kit.waitFor(
    'the link answering again',
    () => visitor.go(page),
    (r) => r.status === 200,
    60_000,
  );
  assert.match(back.text, new RegExp(photoId));
  const me = await visitor.go(api);
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(
    (me.json.assets as { id: string }[]).map((x) => x.id),
    [photoId],
  );
});

test("S3 takedown: support blocks a reported link; through Caddy its visitors get 451 while the instance's other links work; the block holds when the edge loses the route and reconcile puts it back; lifting it restores the link", async () => {
  const kit = customerKit(services!, stack);
  const { owner, photoId, share } = await memberWithAPhoto(kit, 'Fay');
  const reported = { key: await share() };
  const slug = `fay-trip-${randomBytes(2).toString('hex')}`;
  const kept = { key: await share({ slug }) };
  const visitor = instanceBrowser();
  // Route changes (this test's and other instances') reload Caddy's config, which may reset a kept-alive connection it
  // accepted before: such a request is tried once more.
  const go = async (url: string) => {
    try {
      return await visitor.go(url);
    } catch (e) {
      if (!/ECONNRESET|socket hang up/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 200));
      return visitor.go(url);
    }
  };
  const reportedUrls = [
    `${owner.origin}/share/${reported.key}`,
    `${owner.origin}/api/shared-links/me?key=${reported.key}`,
    `${owner.origin}/api/assets/${photoId}/original?key=${reported.key}`,
  ];
  const keptUrls = [
    `${owner.origin}/share/${kept.key}`,
    `${owner.origin}/s/${slug}`,
    `${owner.origin}/api/shared-links/me?slug=${slug}`,
  ];
  for (const url of [...reportedUrls, ...keptUrls]) assert.equal((await go(url)).status, 200, url);

  const staff = await staffToken(kit);
  const block = await kit.api<{ id: string; hint: string }>('POST', '/v1/support/link-blocks', {
    token: staff,
    body: { url: reportedUrls[0], reason: 'issue 14: reported by a visitor' },
  });
  assert.equal(block.status, 201, JSON.stringify(block.body));
  const expectTakenDown = async (when: string) => {
    for (const url of reportedUrls) {
      const res = await go(url);
      assert.equal(res.status, 451, `${when}: ${url}: ${res.status} ${res.text.slice(0, 200)}`);
      if (url.includes('/api/')) assert.equal(res.json.status, 451);
      else assert.match(res.text, /This shared link has been taken down/);
    }
    for (const url of keptUrls) assert.equal((await go(url)).status, 200, `${when}: ${url}`);
  };
  await expectTakenDown('blocked');
  const seen = await kit.api<{ links: { hint: string; reason: string }[] }>(
    'GET',
    `/v1/instances/${owner.subdomain}/blocked-links`,
    { token: owner.access },
  );
  assert.deepEqual(
    seen.body.links.map((l) => [l.hint, l.reason]),
    [[reported.key.slice(0, 6), 'issue 14: reported by a visitor']],
  );
  assert.match(await kit.mailTo(owner.email, /was blocked/), /issue 14: reported by a visitor/);

  // A custom address is a way to the same link: blocked by it, the slug's page and API answer 451 too.
  const bySlug = await kit.api<{ id: string }>('POST', '/v1/support/link-blocks', {
    token: staff,
    body: { url: keptUrls[1], reason: 'issue 14: slug' },
  });
  assert.equal(bySlug.status, 201, JSON.stringify(bySlug.body));
  for (const url of keptUrls.slice(1)) assert.equal((await go(url)).status, 451, url);
  const liftSlug = await kit.api('POST', `/v1/support/link-blocks/${bySlug.body.id}/lift`, {
    token: staff,
    body: { reason: 'issue 14: slug back' },
  });
  assert.equal(liftSlug.status, 200, JSON.stringify(liftSlug.body));
  for (const url of keptUrls) assert.equal((await go(url)).status, 200, url);

  // The edge loses the instance's route (as a restart without its saved config would): the edge's own page. The
  // reconcile run puts the route back, and the block, which lives in Photoplane, still holds.
  const { id: instanceId } = await prisma.instance.findUniqueOrThrow({ where: { subdomain: owner.subdomain } });
  const dropped = await fetch(`${stack.caddy.adminUrl}/id/pp-route-${instanceId}`, {
    method: 'DELETE',
    headers: { origin: stack.caddy.adminUrl },
  });
  assert.equal(dropped.status, 200, await dropped.text());
  assert.equal((await go(reportedUrls[0]!)).status, 503, 'no route: the unavailable page');
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    await new Client({ connection, namespace: stack.temporalNamespace }).schedule
      .getHandle(reconcileScheduleId(hostName))
      .trigger();
  } finally {
    await connection.close();
  }
  await kit.waitFor(
    'reconcile routing the instance again',
    () => go(keptUrls[0]!),
    (r) => r.status === 200,
    90_000,
  );
  await expectTakenDown('after reconcile');

  const lift = await kit.api('POST', `/v1/support/link-blocks/${block.body.id}/lift`, {
    token: staff,
    body: { reason: 'issue 14: report withdrawn' },
  });
  assert.equal(lift.status, 200, JSON.stringify(lift.body));
  const back = await go(reportedUrls[0]!);
  assert.equal(back.status, 200, back.text);
  assert.match(back.text, new RegExp(photoId));
  assert.equal((await go(reportedUrls[2]!)).text, 'photo fay.jpg');
});

test('S3 plan policy: a plan that asks every link for a password and an expiry within 30 days has the edge refuse the links that break it, once the photo app shows them; the owner is told once per link', async () => {
  const kit = customerKit(services!, stack);
  const { owner, photoId, share } = await memberWithAPhoto(kit, 'Gus');
  const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString();
  const open = await share();
  const guarded = await share({ password: 'gus-secret-1', expiresAt: inDays(7) });
  const longLived = await share({ password: 'gus-secret-2', expiresAt: inDays(90) });
  const { id: instanceId, subscriptionId } = await prisma.instance.findUniqueOrThrow({
    where: { subdomain: owner.subdomain },
  });
  const { planId } = await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } });
  await prisma.plan.update({ where: { id: planId }, data: { linkMaxExpiryDays: 30, linkPasswordRequired: true } });
  try {
    const visitor = instanceBrowser();
    const asset = (key: string) => `${owner.origin}/api/assets/${photoId}/original?key=${key}`;

    // No password: its page, its API and its photo are refused, saying which rule.
    const page = await visitor.go(`${owner.origin}/share/${open}`);
    assert.equal(page.status, 403, page.text.slice(0, 200));
    assert.match(page.text, /plan requires every shared link to have a password/);
    const api = await visitor.go(`${owner.origin}/api/shared-links/me?key=${open}`);
    assert.equal(api.status, 403);
    assert.equal(api.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(String(api.json.detail), /to have a password/);
    assert.equal((await visitor.go(asset(open))).status, 403);

    // A password and a week: the visitor unlocks it and sees the photo.
    const unlock = (key: string, password: string) =>
      visitor.go(`${owner.origin}/api/shared-links/login?key=${key}`, { json: { password } });
    assert.equal((await visitor.go(`${owner.origin}/api/shared-links/me?key=${guarded}`)).status, 401);
    assert.equal((await unlock(guarded, 'gus-secret-1')).status, 201);
    const photo = await visitor.go(asset(guarded));
    assert.equal(photo.status, 200, photo.text.slice(0, 200));
    assert.equal(photo.text, 'photo gus.jpg');

    // A password but 90 days: the password form works (nothing shows the expiry before it), the photo does not.
    visitor.clear();
    assert.equal((await unlock(longLived, 'gus-secret-2')).status, 201);
    const late = await visitor.go(asset(longLived));
    assert.equal(late.status, 403, late.text.slice(0, 200));
    assert.match(String(late.json.detail), /expire within 30 days of being created/);

    // The owner hears of each refused link once, with its first characters and the rule; each is audited once.
    const told = await kit.waitFor(
      'the mails about both refused links',
      () => kit.mailTo(owner.email, /does not meet your plan's rules/),
      (text) => text.includes(`/share/${longLived.slice(0, 6)}…`),
    );
    assert.match(told, /expire within 30 days/);
    for (let i = 0; i < 3; i++) assert.equal((await visitor.go(`${owner.origin}/share/${open}`)).status, 403);
    const audited = await prisma.auditEvent.findMany({
      where: { instanceId, action: 'link.policy_refused' },
      orderBy: { at: 'asc' },
    });
    assert.deepEqual(
      audited.map((a) => (a.details as { hint: string; rule: string }).rule),
      ['password', 'expiry'],
    );
    assert.deepEqual(
      audited.map((a) => (a.details as { hint: string }).hint),
      [open.slice(0, 6), longLived.slice(0, 6)],
    );
    const view = await kit.api<{ refused: { kind: string; hint: string; rule: string }[] }>(
      'GET',
      `/v1/instances/${owner.subdomain}/blocked-links`,
      { token: owner.access },
    );
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.deepEqual(
      view.body.refused.map((r) => [r.kind, r.hint, r.rule]).sort(),
      [
        ['key', open.slice(0, 6), 'password'],
        ['key', longLived.slice(0, 6), 'expiry'],
      ].sort(),
    );
    const kept = await prisma.sharedLinkRefusal.findMany({ where: { instanceId } });
    assert.equal(kept.length, 2);
    assert.ok(kept.every((r) => !JSON.stringify(r).includes(open) && !JSON.stringify(r).includes(longLived)));
  } finally {
    await prisma.plan.update({ where: { id: planId }, data: { linkMaxExpiryDays: null, linkPasswordRequired: false } });
  }
});
