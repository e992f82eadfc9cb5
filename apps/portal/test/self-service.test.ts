// A member's own account at their instance (SPEC U1-U6, seed 003) through the portal API over the real
// PostgreSQL, each row from the member's point of view: the account and its name, changing the own password,
// personal API keys, authorized devices, preferences and TOTP two-factor authentication. The photo-app sync is
// recorded (members-sync.test.ts runs the workflow for real).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { SyncMemberInput } from '@photoplane/provisioner/contracts';
import { call, callWith, instanceOwnedBy, startHarness, unique, type Harness } from './members-harness.ts';
import { decodeBase32, encodeBase32, totpCode, totpStep } from '../src/platform/totp.ts';

let h: Harness;
const synced: SyncMemberInput[] = [];

before(async () => {
  h = await startHarness({
    syncMember: async (input) => {
      synced.push(input);
    },
    applyPhotoAppConfig: async () => undefined,
  });
});

after(async () => {
  await h?.close();
});

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  mustChangePassword: boolean;
}

interface Problem {
  status: number;
  code?: string;
  errors?: { field: string; message: string }[];
}

const me = (subdomain: string) => `/v1/instances/${subdomain}/me`;
const fieldsOf = (body: string) => (JSON.parse(body) as Problem).errors?.map((e) => e.field) ?? [];

/** A member added by the owner with a password (not to be changed), and the owner's portal token. */
async function memberOf(instance: Awaited<ReturnType<typeof instanceOwnedBy>>, extra: Record<string, unknown> = {}) {
  const email = `${unique('member')}@example.com`;
  const res = await call(h, 'POST', `/v1/instances/${instance.subdomain}/members`, instance.owner.token, {
    name: 'Mia Member',
    email,
    mode: 'password',
    mustChangePassword: false,
    ...extra,
  });
  assert.equal(res.statusCode, 201, res.body);
  const body = res.json<{ member: { id: string }; password: string }>();
  h.secrets.add(body.password);
  return { id: body.member.id, email, password: body.password, subdomain: instance.subdomain };
}

async function login(
  member: { subdomain: string; email: string; password: string },
  extra: { totpCode?: string; userAgent?: string; ip?: string } = {},
) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/instances/${member.subdomain}/auth/login`,
    headers: { 'user-agent': extra.userAgent ?? 'node-test' },
    payload: {
      email: member.email,
      password: member.password,
      ...(extra.totpCode ? { totpCode: extra.totpCode } : {}),
    },
    ...(extra.ip ? { remoteAddress: extra.ip } : {}),
  });
  if (res.statusCode === 200) {
    const body = res.json<Tokens>();
    h.secrets.add(body.accessToken).add(body.refreshToken);
  }
  return res;
}

async function signIn(member: { subdomain: string; email: string; password: string }, userAgent?: string) {
  const res = await login(member, userAgent ? { userAgent } : {});
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Tokens>();
}

const refresh = (subdomain: string, refreshToken: string) =>
  call(h, 'POST', `/v1/instances/${subdomain}/auth/refresh`, undefined, { refreshToken });

const withKey = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: object) =>
  callWith(h, method, url, { 'x-api-key': key }, payload);

test('U1: the member sees id, e-mail, name, role, quota and usage, and renames themselves (synced to the photo app)', async () => {
  const instance = await instanceOwnedBy(h, { planGib: 10 });
  const member = await memberOf(instance, { quotaGiB: 2 });
  const { accessToken } = await signIn(member);

  const account = await call(h, 'GET', me(member.subdomain), accessToken);
  assert.equal(account.statusCode, 200, account.body);
  assert.deepEqual(account.json(), {
    id: member.id,
    email: member.email,
    name: 'Mia Member',
    role: 'user',
    mustChangePassword: false,
    quotaGiB: 2,
    quotaBytes: String(2 * 1024 ** 3),
    usageBytes: '0',
    effectiveLimitBytes: String(2 * 1024 ** 3),
    twoFactorEnabled: false,
  });

  synced.length = 0;
  const renamed = await call(h, 'PATCH', me(member.subdomain), accessToken, { name: '  Mia Renamed ' });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.equal(renamed.json<{ name: string }>().name, 'Mia Renamed');
  assert.deepEqual(synced, [{ instanceId: instance.instance.id, memberId: member.id }], 'the photo app follows');
  // The owner sees the new name too.
  const asOwner = await call(h, 'GET', `/v1/instances/${member.subdomain}/members/${member.id}`, instance.owner.token);
  assert.equal(asOwner.json<{ name: string }>().name, 'Mia Renamed');

  const blank = await call(h, 'PATCH', me(member.subdomain), accessToken, { name: '   ' });
  assert.equal(blank.statusCode, 400);
  assert.deepEqual(fieldsOf(blank.body), ['name']);
  const other = await call(h, 'PATCH', me(member.subdomain), accessToken, { name: 'X', role: 'admin' });
  assert.equal(other.statusCode, 400, 'role is not the member’s to change');
  assert.deepEqual(fieldsOf(other.body), ['body.role']);
  const row = await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
  assert.deepEqual([row.name, row.role], ['Mia Renamed', 'user']);
  assert.equal((await call(h, 'GET', me(member.subdomain))).statusCode, 401, 'no credentials, no account');
});

test('U2: a wrong current password changes nothing and counts as a failed sign-in; the right one signs out the other devices', async () => {
  const instance = await instanceOwnedBy(h);
  const member = await memberOf(instance, { mustChangePassword: true });
  const here = await signIn(member, CHROME_MAC);
  const there = await signIn(member, FIREFOX_LINUX);
  assert.equal(here.mustChangePassword, true);
  assert.equal((await call(h, 'GET', me(member.subdomain), here.accessToken)).statusCode, 403, 'must change first');
  const before = await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } });

  const wrong = await h.app.inject({
    method: 'POST',
    url: `${me(member.subdomain)}/password`,
    headers: { authorization: `Bearer ${here.accessToken}` },
    payload: { currentPassword: 'not my password at all', newPassword: 'my brand new passphrase' },
    remoteAddress: '203.0.113.77',
  });
  assert.equal(wrong.statusCode, 401, wrong.body);
  assert.deepEqual(fieldsOf(wrong.body), ['currentPassword']);
  const unchanged = await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
  assert.equal(unchanged.passwordHash, before.passwordHash);
  assert.equal(unchanged.mustChangePassword, true);
  assert.equal(
    (
      await call(h, 'POST', `/v1/instances/${member.subdomain}/auth/refresh`, undefined, {
        refreshToken: there.refreshToken,
      })
    ).statusCode,
    200,
    'the other device is still signed in',
  );
  const failed = await h.prisma.loginAttempt.findMany({ where: { clientIp: '203.0.113.77' } });
  assert.deepEqual(
    failed.map((a) => [a.realm, a.status, a.memberId, a.instanceId]),
    [['instance', 'failed', member.id, instance.instance.id]],
  );

  const tooShort = await call(h, 'POST', `${me(member.subdomain)}/password`, here.accessToken, {
    currentPassword: member.password,
    newPassword: 'short',
  });
  assert.equal(tooShort.statusCode, 400);
  assert.deepEqual(fieldsOf(tooShort.body), ['body.newPassword']);

  const newPassword = 'my brand new passphrase';
  h.secrets.add(newPassword);
  const changed = await call(h, 'POST', `${me(member.subdomain)}/password`, here.accessToken, {
    currentPassword: member.password,
    newPassword,
  });
  assert.equal(changed.statusCode, 204, changed.body);
  assert.equal((await call(h, 'GET', me(member.subdomain), here.accessToken)).statusCode, 200, 'this device stays');
  const gone = await h.prisma.session.findMany({ where: { memberId: member.id, revokedAt: null } });
  assert.equal(gone.length, 1, 'only the session that asked is live');
  assert.equal((await login(member)).statusCode, 401, 'the old password is gone');
  assert.equal((await login({ ...member, password: newPassword })).statusCode, 200);
  const after = await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
  assert.equal(after.mustChangePassword, false);
});

test('U3: named API keys, secret shown once and stored as SHA-256, act as their member; rename, list, delete', async () => {
  const instance = await instanceOwnedBy(h);
  const member = await memberOf(instance);
  const { accessToken } = await signIn(member);
  const keys = `${me(member.subdomain)}/api-keys`;

  const created = await call(h, 'POST', keys, accessToken, { name: 'Backup script' });
  assert.equal(created.statusCode, 201, created.body);
  const { apiKey, secret } = created.json<{ apiKey: { id: string; name: string }; secret: string }>();
  h.secrets.add(secret);
  assert.ok(secret.length >= 40);
  const second = await call(h, 'POST', keys, accessToken, { name: 'Phone' });
  h.secrets.add(second.json<{ secret: string }>().secret);
  assert.notEqual(second.json<{ secret: string }>().secret, secret, 'random, not derived');

  const row = await h.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
  assert.equal(row.keyHash, createHash('sha256').update(secret).digest('hex'));
  assert.equal(row.lastUsedAt, null);

  const asKey = await withKey('GET', me(member.subdomain), secret);
  assert.equal(asKey.statusCode, 200, asKey.body);
  assert.equal(asKey.json<{ id: string }>().id, member.id);
  assert.ok((await h.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt, 'last use recorded');

  const listed = await withKey('GET', keys, secret);
  assert.equal(listed.statusCode, 200);
  assert.deepEqual(
    listed.json<{ apiKeys: { name: string }[] }>().apiKeys.map((k) => k.name),
    ['Backup script', 'Phone'],
  );
  assert.ok(!listed.body.includes(secret), 'no secret in the list');

  const renamed = await call(h, 'PATCH', `${keys}/${apiKey.id}`, accessToken, { name: 'Nightly backup' });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.equal(renamed.json<{ name: string }>().name, 'Nightly backup');
  assert.equal((await call(h, 'PATCH', `${keys}/${apiKey.id}`, accessToken, { name: ' ' })).statusCode, 400);

  // Credentials are changed from a signed-in session only: a leaked key cannot mint keys or lock the member out.
  for (const [method, url, body] of [
    ['POST', keys, { name: 'another' }],
    ['POST', `${me(member.subdomain)}/password`, { currentPassword: member.password, newPassword: 'x'.repeat(20) }],
    ['POST', `${me(member.subdomain)}/two-factor`, undefined],
  ] as const) {
    const refused = await withKey(method, url, secret, body);
    assert.equal(refused.statusCode, 403, `${url}: ${refused.body}`);
    assert.deepEqual(fieldsOf(refused.body), ['x-api-key']);
  }

  const deleted = await call(h, 'DELETE', `${keys}/${apiKey.id}`, accessToken);
  assert.equal(deleted.statusCode, 204);
  assert.equal((await withKey('GET', me(member.subdomain), secret)).statusCode, 401, 'deleted: refused at once');
  assert.equal((await call(h, 'DELETE', `${keys}/${apiKey.id}`, accessToken)).statusCode, 404);
  assert.equal((await withKey('GET', me(member.subdomain), 'made-up-key')).statusCode, 401);
});

test("U3: keys are personal: an admin's key reaches nobody else's keys, sessions, settings or the admin API; disabled members' keys stop at once", async () => {
  const instance = await instanceOwnedBy(h);
  const admin = await memberOf(instance, { role: 'admin' });
  const other = await memberOf(instance);
  const adminToken = await signIn(admin);
  const otherToken = await signIn(other);
  const adminKey = (
    await call(h, 'POST', `${me(admin.subdomain)}/api-keys`, adminToken.accessToken, { name: 'admin key' })
  ).json<{ secret: string }>().secret;
  const otherKeyRes = await call(h, 'POST', `${me(other.subdomain)}/api-keys`, otherToken.accessToken, {
    name: "B's key",
  });
  const otherKey = otherKeyRes.json<{ apiKey: { id: string }; secret: string }>();
  h.secrets.add(adminKey).add(otherKey.secret);
  const otherSession = (await h.prisma.session.findFirstOrThrow({ where: { memberId: other.id, revokedAt: null } })).id;
  const M = me(instance.subdomain);

  // Everything under /me is the caller's own: B's ids answer exactly like random ones.
  const cases = [
    ['PATCH', `${M}/api-keys/${otherKey.apiKey.id}`, { name: 'stolen' }],
    ['DELETE', `${M}/api-keys/${otherKey.apiKey.id}`, undefined],
    ['DELETE', `${M}/sessions/${otherSession}`, undefined],
  ] as const;
  for (const [method, url, body] of cases) {
    const foreign = await withKey(method, url, adminKey, body);
    const random = await withKey(
      method,
      url.replace(/[0-9a-f-]{36}$/, '00000000-0000-4000-8000-000000000000'),
      adminKey,
      body,
    );
    assert.equal(foreign.statusCode, 404, `${method} ${url}: ${foreign.body}`);
    assert.deepEqual(
      JSON.parse(foreign.body.replaceAll(/[0-9a-f-]{36}/g, '<id>')),
      JSON.parse(random.body.replaceAll(/[0-9a-f-]{36}/g, '<id>')),
    );
  }
  // The member administration belongs to the portal realm (the paying owner or staff): a member's key or token,
  // an admin's included, is not a credential there.
  for (const [method, url, body] of [
    ['GET', `/v1/instances/${instance.subdomain}/members`, undefined],
    ['PATCH', `/v1/instances/${instance.subdomain}/members/${other.id}`, { name: 'Mallory' }],
    ['DELETE', `/v1/instances/${instance.subdomain}/members/${other.id}/two-factor`, undefined],
    ['DELETE', `/v1/instances/${instance.subdomain}/members/${other.id}`, undefined],
  ] as const) {
    assert.equal((await withKey(method, url, adminKey, body)).statusCode, 401, `key on ${method} ${url}`);
    assert.equal((await call(h, method, url, adminToken.accessToken, body)).statusCode, 401, `token on ${url}`);
  }
  // Another instance does not know the key at all.
  const elsewhere = await instanceOwnedBy(h);
  assert.equal((await withKey('GET', me(elsewhere.subdomain), adminKey)).statusCode, 401);

  // Nothing of B's changed.
  const bKey = await h.prisma.apiKey.findUniqueOrThrow({ where: { id: otherKey.apiKey.id } });
  assert.equal(bKey.name, "B's key");
  assert.equal((await h.prisma.session.findUniqueOrThrow({ where: { id: otherSession } })).revokedAt, null);
  assert.equal((await h.prisma.member.findUniqueOrThrow({ where: { id: other.id } })).name, 'Mia Member');
  assert.equal((await withKey('GET', M, otherKey.secret)).statusCode, 200);

  // The owner disables B: B's key stops working at once; deleting A does the same for A's key.
  const disabled = await call(
    h,
    'PATCH',
    `/v1/instances/${instance.subdomain}/members/${other.id}`,
    instance.owner.token,
    {
      noLogin: true,
    },
  );
  assert.equal(disabled.statusCode, 200, disabled.body);
  assert.equal((await withKey('GET', M, otherKey.secret)).statusCode, 401);
  const deleted = await call(
    h,
    'DELETE',
    `/v1/instances/${instance.subdomain}/members/${admin.id}`,
    instance.owner.token,
  );
  assert.equal(deleted.statusCode, 200, deleted.body);
  assert.equal((await withKey('GET', M, adminKey)).statusCode, 401, 'deleted member: key refused at once');
});

test('U4: authorized devices with device, OS and last access; revoking one ends its refresh and access tokens at once', async () => {
  const instance = await instanceOwnedBy(h);
  const member = await memberOf(instance);
  const laptop = await signIn(member, CHROME_MAC);
  const desktop = await signIn(member, FIREFOX_LINUX);
  const sessions = `${me(member.subdomain)}/sessions`;

  const listed = await call(h, 'GET', sessions, laptop.accessToken);
  assert.equal(listed.statusCode, 200, listed.body);
  type Device = { id: string; deviceType: string; deviceOs: string; current: boolean; lastUsedAt: string };
  const devices = listed.json<{ devices: Device[] }>().devices;
  assert.deepEqual(devices.map((d) => [d.deviceType, d.deviceOs, d.current]).sort(), [
    ['Chrome', 'macOS', true],
    ['Firefox', 'Linux', false],
  ]);
  assert.ok(devices.every((d) => Date.parse(d.lastUsedAt) <= Date.now()));

  // A refresh keeps the device (same sign-in), with a new token pair; the old refresh token is spent.
  const rotated = await refresh(member.subdomain, desktop.refreshToken);
  assert.equal(rotated.statusCode, 200, rotated.body);
  const desktop2 = rotated.json<Tokens>();
  h.secrets.add(desktop2.accessToken).add(desktop2.refreshToken);
  const afterRefresh = (await call(h, 'GET', sessions, desktop2.accessToken)).json<{ devices: Device[] }>().devices;
  assert.equal(afterRefresh.length, 2);
  const firefox = afterRefresh.find((d) => d.deviceType === 'Firefox')!;
  assert.equal(firefox.current, true);

  const revoked = await call(h, 'DELETE', `${sessions}/${firefox.id}`, laptop.accessToken);
  assert.equal(revoked.statusCode, 204, revoked.body);
  assert.equal((await call(h, 'GET', me(member.subdomain), desktop2.accessToken)).statusCode, 401, 'access token');
  assert.equal((await refresh(member.subdomain, desktop2.refreshToken)).statusCode, 401, 'refresh token');
  assert.equal((await refresh(member.subdomain, desktop.refreshToken)).statusCode, 401, 'older refresh token');
  assert.equal((await call(h, 'GET', me(member.subdomain), laptop.accessToken)).statusCode, 200, 'the laptop stays');
  const left = (await call(h, 'GET', sessions, laptop.accessToken)).json<{ devices: Device[] }>().devices;
  assert.deepEqual(
    left.map((d) => d.deviceType),
    ['Chrome'],
  );
  assert.equal((await call(h, 'DELETE', `${sessions}/${firefox.id}`, laptop.accessToken)).statusCode, 404);
  assert.equal((await call(h, 'DELETE', `${sessions}/not-a-session`, laptop.accessToken)).statusCode, 404);

  // Signing out ends this device the same way.
  assert.equal(
    (await call(h, 'POST', `/v1/instances/${member.subdomain}/auth/logout`, laptop.accessToken)).statusCode,
    204,
  );
  assert.equal((await call(h, 'GET', me(member.subdomain), laptop.accessToken)).statusCode, 401);
  assert.equal((await refresh(member.subdomain, laptop.refreshToken)).statusCode, 401);
});

test('U5: preferences start at the defaults, change partially, and refuse unknown keys and bad values', async () => {
  const instance = await instanceOwnedBy(h);
  const member = await memberOf(instance);
  const { accessToken } = await signIn(member);
  const prefs = `${me(member.subdomain)}/preferences`;
  const defaults = {
    theme: 'system',
    locale: null,
    displayOriginalPhotos: false,
    playVideoOnHover: true,
    permanentDeletionWarning: true,
    peopleLink: true,
    sharingLink: true,
    memories: true,
  };
  assert.deepEqual((await call(h, 'GET', prefs, accessToken)).json(), defaults);

  const first = await call(h, 'PATCH', prefs, accessToken, { theme: 'dark', memories: false });
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(first.json(), { ...defaults, theme: 'dark', memories: false });
  const second = await call(h, 'PATCH', prefs, accessToken, { locale: 'en-gb', peopleLink: false });
  assert.deepEqual(second.json(), { ...defaults, theme: 'dark', memories: false, locale: 'en-GB', peopleLink: false });
  assert.deepEqual((await call(h, 'GET', prefs, accessToken)).json(), second.json(), 'stored');

  const unknown = await call(h, 'PATCH', prefs, accessToken, { theme: 'light', colour: 'teal' });
  assert.equal(unknown.statusCode, 400);
  assert.deepEqual(fieldsOf(unknown.body), ['body.colour']);
  const badTheme = await call(h, 'PATCH', prefs, accessToken, { theme: 'purple' });
  assert.equal(badTheme.statusCode, 400);
  const badLocale = await call(h, 'PATCH', prefs, accessToken, { locale: 'not a locale!' });
  assert.equal(badLocale.statusCode, 400);
  assert.deepEqual(fieldsOf(badLocale.body), ['locale']);
  assert.equal((await call(h, 'PATCH', prefs, accessToken, {})).statusCode, 400, 'nothing to change');
  assert.deepEqual((await call(h, 'GET', prefs, accessToken)).json(), second.json(), 'nothing half-applied');

  // Per member: another member still has the defaults.
  const other = await memberOf(instance);
  const otherToken = await signIn(other);
  assert.deepEqual((await call(h, 'GET', prefs, otherToken.accessToken)).json(), defaults);
});

/** Waits until the current 30-second step has at least 8 seconds left, so a test's codes stay in the window. */
async function awayFromStepBoundary() {
  const into = (Date.now() / 1000) % 30;
  if (into > 22) await new Promise((r) => setTimeout(r, (30 - into + 0.5) * 1000));
}

test('U6: TOTP implements RFC 6238 (its SHA-1 test vectors, 6 digits)', () => {
  const secret = encodeBase32(Buffer.from('12345678901234567890'));
  assert.equal(secret, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.equal(decodeBase32(secret).toString(), '12345678901234567890');
  // Appendix B: 94287082, 07081804, 14050471, 89005924, 69279037, 65353130 (last 6 digits at 6 digits).
  const vectors: [number, string][] = [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ];
  for (const [seconds, code] of vectors) assert.equal(totpCode(secret, totpStep(new Date(seconds * 1000))), code);
});

test('U6: enrol, confirm, sign in with the code, no replay, disable by the member or by the owner', async () => {
  const instance = await instanceOwnedBy(h);
  const member = await memberOf(instance);
  const session = await signIn(member);
  const tf = `${me(member.subdomain)}/two-factor`;

  const enrolled = await call(h, 'POST', tf, session.accessToken);
  assert.equal(enrolled.statusCode, 201, enrolled.body);
  const { secret, otpauthUri } = enrolled.json<{ secret: string; otpauthUri: string }>();
  h.secrets.add(secret);
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = new URL(otpauthUri);
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.deepEqual(
    ['algorithm', 'digits', 'period'].map((p) => uri.searchParams.get(p)),
    ['SHA1', '6', '30'],
  );
  const stored = await h.prisma.memberTwoFactor.findUniqueOrThrow({ where: { memberId: member.id } });
  assert.ok(!stored.secretCipher.includes(secret), 'the secret is stored encrypted');
  assert.match(stored.secretCipher, /^v1\./);

  // Not active until confirmed: sign-in still needs no code.
  assert.equal((await login(member)).statusCode, 200);
  assert.deepEqual((await call(h, 'GET', tf, session.accessToken)).json(), { enabled: false, pending: true });

  await awayFromStepBoundary();
  const step = totpStep(new Date());
  const wrongConfirm = await call(h, 'POST', `${tf}/confirm`, session.accessToken, {
    code: '000000' === totpCode(secret, step) ? '111111' : '000000',
  });
  assert.equal(wrongConfirm.statusCode, 400);
  assert.deepEqual(fieldsOf(wrongConfirm.body), ['code']);
  const confirmed = await call(h, 'POST', `${tf}/confirm`, session.accessToken, { code: totpCode(secret, step - 1) });
  assert.equal(confirmed.statusCode, 204, confirmed.body);
  assert.deepEqual((await call(h, 'GET', tf, session.accessToken)).json(), { enabled: true, pending: false });
  assert.equal((await call(h, 'POST', tf, session.accessToken)).statusCode, 409, 'on: no second enrolment');

  const noCode = await login(member);
  assert.equal(noCode.statusCode, 401);
  assert.deepEqual(
    (noCode.json<Problem>().errors ?? []).map((e) => e.field),
    ['totpCode'],
    'the answer names the field to send',
  );
  const wrongCode = await login(member, { totpCode: totpCode(secret, step + 5) });
  assert.equal(wrongCode.statusCode, 401);
  assert.deepEqual(fieldsOf(wrongCode.body), ['totpCode']);
  const spent = await login(member, { totpCode: totpCode(secret, step - 1) });
  assert.equal(spent.statusCode, 401, 'the confirming code cannot also sign in');
  const withCode = await login(member, { totpCode: totpCode(secret, step) });
  assert.equal(withCode.statusCode, 200, withCode.body);
  const replay = await login(member, { totpCode: totpCode(secret, step) });
  assert.equal(replay.statusCode, 401, 'a used code cannot be replayed within its window');
  const badPassword = await login(
    { ...member, password: 'wrong password here' },
    { totpCode: totpCode(secret, step + 1) },
  );
  assert.equal(badPassword.statusCode, 401);
  assert.deepEqual(fieldsOf(badPassword.body), [], 'a wrong password never reveals that a code is needed');
  const account = await call(h, 'GET', me(member.subdomain), session.accessToken);
  assert.equal(account.json<{ twoFactorEnabled: boolean }>().twoFactorEnabled, true);

  // Disabling by the member needs a current, unused code.
  const disableWrong = await call(h, 'DELETE', tf, session.accessToken, { code: totpCode(secret, step) });
  assert.equal(disableWrong.statusCode, 400, 'a spent code does not disable');
  const disabled = await call(h, 'DELETE', tf, session.accessToken, { code: totpCode(secret, step + 1) });
  assert.equal(disabled.statusCode, 204, disabled.body);
  assert.equal((await login(member)).statusCode, 200, 'password alone again');
  assert.equal(await h.prisma.memberTwoFactor.count({ where: { memberId: member.id } }), 0);

  // Recovery: the owner turns it off through the members admin API; another owner cannot.
  const again = (await call(h, 'POST', tf, session.accessToken)).json<{ secret: string }>().secret;
  h.secrets.add(again);
  const confirmedAgain = await call(h, 'POST', `${tf}/confirm`, session.accessToken, {
    code: totpCode(again, totpStep(new Date())),
  });
  assert.equal(confirmedAgain.statusCode, 204, confirmedAgain.body);
  assert.equal((await login(member)).statusCode, 401);
  const adminUrl = `/v1/instances/${member.subdomain}/members/${member.id}/two-factor`;
  const stranger = await instanceOwnedBy(h);
  assert.equal((await call(h, 'DELETE', adminUrl, stranger.owner.token)).statusCode, 404);
  assert.equal((await login(member)).statusCode, 401, 'still on');
  const byOwner = await call(h, 'DELETE', adminUrl, instance.owner.token);
  assert.equal(byOwner.statusCode, 204, byOwner.body);
  assert.equal((await login(member)).statusCode, 200, 'the owner switched it off');
  const audit = await h.prisma.auditEvent.findFirst({
    where: { action: 'member.two_factor_disabled', targetId: member.id },
  });
  assert.equal(audit?.actorId, instance.owner.account.id);
});

test('no secret, code or token reaches the log', async () => {
  const log = h.logLines.join('');
  assert.ok(h.secrets.size > 10, `${h.secrets.size} secrets collected`);
  for (const secret of h.secrets) assert.equal(log.includes(secret), false, 'a secret is in the log');
});
