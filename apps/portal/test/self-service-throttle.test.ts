// Member sign-in at the instance realm is throttled like the portal's (per client address, per (address, instance
// and e-mail), and per member only by a delay), every refused try recorded as `throttled`; over the real PostgreSQL
// with a low limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, instanceOwnedBy, startHarness, unique, type Harness } from './members-harness.ts';

const LIMIT = 3;
let h: Harness;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    loginAttemptsPerMinute: LIMIT,
  });
});

after(async () => {
  await h?.close();
});

const attempt = (subdomain: string, email: string, password: string, ip: string) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/instances/${subdomain}/auth/login`,
    payload: { email, password },
    remoteAddress: ip,
  });

async function memberOf(instance: Awaited<ReturnType<typeof instanceOwnedBy>>, email: string) {
  const res = await call(h, 'POST', `/v1/instances/${instance.subdomain}/members`, instance.owner.token, {
    name: 'Target',
    email,
    mode: 'password',
    mustChangePassword: false,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ member: { id: string }; password: string }>();
}

test('guessing one member: 429 from the guessing address, only a delay elsewhere; the member still signs in', async () => {
  const a = await instanceOwnedBy(h);
  const b = await instanceOwnedBy(h);
  const email = `${unique('target')}@example.com`;
  const onA = await memberOf(a, email);
  const onB = await memberOf(b, email);

  for (let i = 0; i < LIMIT; i++) {
    const res = await attempt(a.subdomain, email, `wrong guess number ${i}`, '198.51.100.1');
    assert.equal(res.statusCode, 401, res.body);
  }
  const blocked = await attempt(a.subdomain, email.toUpperCase(), onA.password, '198.51.100.1');
  assert.equal(blocked.statusCode, 429, 'the guessing address waits, even with the right password');
  assert.equal(blocked.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  for (let i = 0; i < LIMIT; i++) {
    const res = await attempt(a.subdomain, email, `spread guess ${i}`, `198.51.100.${i + 10}`);
    assert.equal(res.statusCode, 401, 'other addresses are delayed, not refused');
  }
  const owner = await attempt(a.subdomain, email, onA.password, '198.51.100.99');
  assert.equal(owner.statusCode, 200, owner.body);
  h.secrets.add(owner.json<{ accessToken: string }>().accessToken);

  const recorded = await h.prisma.loginAttempt.findMany({ where: { email: { in: [email, email.toUpperCase()] } } });
  assert.deepEqual(
    recorded.map((r) => [r.realm, r.status, r.instanceId, r.memberId]).sort(),
    [
      ...Array.from({ length: 2 * LIMIT }, () => ['instance', 'failed', a.instance.id, onA.member.id]),
      ['instance', 'throttled', a.instance.id, onA.member.id],
      ['instance', 'succeeded', a.instance.id, onA.member.id],
    ].sort(),
  );

  // The same address on another instance is another member, with a budget of its own.
  const elsewhere = await attempt(b.subdomain, email, onB.password, '198.51.100.200');
  assert.equal(elsewhere.statusCode, 200, elsewhere.body);
});

test('one client guessing many members: 429 after its address limit (3 × the per-account one); other clients are unaffected', async () => {
  const instance = await instanceOwnedBy(h);
  const ip = '192.0.2.10';
  for (let i = 0; i < 3 * LIMIT; i++) {
    const res = await attempt(instance.subdomain, `${unique('spray')}@example.com`, 'guess guess guess', ip);
    assert.equal(res.statusCode, 401);
  }
  const blockedEmail = `${unique('spray')}@example.com`;
  const blocked = await attempt(instance.subdomain, blockedEmail, 'guess guess guess', ip);
  assert.equal(blocked.statusCode, 429);
  const row = await h.prisma.loginAttempt.findFirstOrThrow({ where: { email: blockedEmail } });
  assert.deepEqual([row.status, row.clientIp, row.instanceId], ['throttled', ip, instance.instance.id]);

  const email = `${unique('someone')}@example.com`;
  const member = await memberOf(instance, email);
  const fine = await attempt(instance.subdomain, email, member.password, '192.0.2.11');
  assert.equal(fine.statusCode, 200, fine.body);
});

test('codes guessed at a two-factor enrolment are limited per member: 429 after the limit, from any client', async () => {
  const instance = await instanceOwnedBy(h);
  const email = `${unique('totp')}@example.com`;
  const { password } = await memberOf(instance, email);
  const session = await attempt(instance.subdomain, email, password, '203.0.113.50');
  assert.equal(session.statusCode, 200, session.body);
  const { accessToken } = session.json<{ accessToken: string }>();
  h.secrets.add(accessToken);
  const tf = `/v1/instances/${instance.subdomain}/me/two-factor`;
  const enrolled = await call(h, 'POST', tf, accessToken);
  assert.equal(enrolled.statusCode, 201, enrolled.body);
  h.secrets.add(enrolled.json<{ secret: string }>().secret);

  // One fixed guess (right once in a million: then 204, and 409 after it; the limit applies all the same).
  const guess = (ip: string) =>
    h.app.inject({
      method: 'POST',
      url: `${tf}/confirm`,
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { code: '123456' },
      remoteAddress: ip,
    });
  const answers: number[] = [];
  for (let i = 0; i <= LIMIT; i++) answers.push((await guess(`203.0.113.${60 + i}`)).statusCode);
  assert.equal(answers.at(-1), 429, `answers: ${answers.join(', ')}`);
  assert.ok(
    answers.slice(0, LIMIT).every((s) => [400, 204, 409].includes(s)),
    `answers: ${answers.join(', ')}`,
  );
});

test('guesses at the current password from a signed-in session count against the same per-member limit', async () => {
  const instance = await instanceOwnedBy(h);
  const email = `${unique('pwguess')}@example.com`;
  const { password } = await memberOf(instance, email);
  const session = await attempt(instance.subdomain, email, password, '203.0.113.80');
  assert.equal(session.statusCode, 200, session.body);
  const { accessToken } = session.json<{ accessToken: string }>();
  h.secrets.add(accessToken);
  const change = (currentPassword: string) =>
    call(h, 'POST', `/v1/instances/${instance.subdomain}/me/password`, accessToken, {
      currentPassword,
      newPassword: `a new password ${unique('n')}`,
    });
  for (let i = 0; i < LIMIT; i++) assert.equal((await change(`wrong guess ${i}`)).statusCode, 401);
  const blocked = await change(password);
  assert.equal(blocked.statusCode, 429, 'even the right password waits');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  const again = await attempt(instance.subdomain, email, password, '203.0.113.81');
  assert.equal(again.statusCode, 200, 'the password is unchanged');
});
