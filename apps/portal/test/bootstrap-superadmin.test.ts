// The first superadmin (SPEC A6): the bootstrap command, run as `npm start` runs it, against the real PostgreSQL.
// It refuses a second superadmin, never turns an existing account (a customer's) into staff, and `--if-none` (what
// every `npm start` runs) changes nothing once a superadmin exists.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { call, nextTotpCode, signedInAccount, startHarness, TOTP_TEST_KEY, type Harness } from './members-harness.ts';

const SCRIPT = fileURLToPath(new URL('../src/support/bootstrap-superadmin.ts', import.meta.url));

let h: Harness;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined });
});

after(async () => {
  await h?.close();
});

function bootstrap(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, ...args],
      {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: h.db.url,
          TOTP_ENCRYPTION_KEY: TOTP_TEST_KEY,
          LOG_LEVEL: 'silent',
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

test('bootstrap makes the first superadmin, who signs in with password and code; a second is refused; --if-none changes nothing', async () => {
  const support = await signedInAccount(h, 'support');
  const customer = await signedInAccount(h);

  const usage = await bootstrap([]);
  assert.equal(usage.code, 2);
  const promote = await bootstrap(['--email', customer.account.email]);
  assert.equal(promote.code, 1, 'a customer is never made staff by e-mail');
  assert.match(promote.stderr, /^bootstrap-superadmin: refused: An account with this e-mail address exists/);
  assert.equal((await h.prisma.account.findUniqueOrThrow({ where: { id: customer.account.id } })).role, 'customer');

  const first = await bootstrap(['--email', 'root@photoplane.test', '--name', 'Root']);
  assert.equal(first.code, 0, first.stderr);
  const made = JSON.parse(first.stdout) as { created: true; email: string; password: string; totpSecret: string };
  h.secrets.add(made.password);
  assert.equal(made.email, 'root@photoplane.test');
  const stored = await h.prisma.account.findUniqueOrThrow({ where: { emailNormalized: 'root@photoplane.test' } });
  assert.equal(stored.role, 'superadmin');
  assert.ok(!stored.passwordHash.includes(made.password) && stored.passwordHash.startsWith('$argon2id$'));
  assert.ok(stored.totpSecretCipher && !stored.totpSecretCipher.includes(made.totpSecret), 'the secret is sealed');

  const withoutCode = await call(h, 'POST', '/v1/auth/login', undefined, {
    email: made.email,
    password: made.password,
  });
  assert.equal(withoutCode.statusCode, 401);
  assert.deepEqual(
    withoutCode.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
    ['totpCode'],
  );
  const signedIn = await call(h, 'POST', '/v1/auth/login', undefined, {
    email: made.email,
    password: made.password,
    totpCode: nextTotpCode(made.totpSecret),
  });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
  h.secrets.add(signedIn.json<{ accessToken: string }>().accessToken);
  const replay = await call(h, 'POST', '/v1/auth/login', undefined, {
    email: made.email,
    password: made.password,
    totpCode: nextTotpCode(made.totpSecret),
  });
  assert.equal(replay.statusCode, 401, 'a code works once');

  const second = await bootstrap(['--email', 'other@photoplane.test']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /A superadmin exists already/);
  for (let i = 0; i < 2; i++) {
    // What `npm start` runs at every start.
    const again = await bootstrap(['--if-none', '--email', support.account.email]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { created: false });
  }
  assert.equal(await h.prisma.account.count({ where: { role: 'superadmin' } }), 1);
  assert.equal((await h.prisma.account.findUniqueOrThrow({ where: { id: support.account.id } })).role, 'support');
  const audit = await h.prisma.auditEvent.findMany({ where: { action: 'staff.bootstrap' } });
  assert.deepEqual(
    audit.map((e) => [e.actorType, e.targetId]),
    [['system', stored.id]],
  );
});

test("staff sessions are shorter than customers' and refreshing does not extend them", async () => {
  const staff = await signedInAccount(h, 'support');
  const customer = await signedInAccount(h);
  const [staffSession] = await h.prisma.session.findMany({ where: { accountId: staff.account.id } });
  const [customerSession] = await h.prisma.session.findMany({ where: { accountId: customer.account.id } });
  const lifetime = (s: { createdAt: Date; expiresAt: Date }) => s.expiresAt.getTime() - s.createdAt.getTime();
  assert.equal(lifetime(staffSession!), 1800 * 1000, "the harness's staff lifetime");
  assert.equal(lifetime(customerSession!), 3600 * 1000, "the harness's customer lifetime");
  const login = await call(h, 'POST', '/v1/auth/login', undefined, {
    email: staff.account.email,
    password: staff.password,
    totpCode: nextTotpCode(staff.totpSecret!, 1),
  });
  assert.equal(login.statusCode, 200, login.body);
  const { refreshToken } = login.json<{ refreshToken: string }>();
  h.secrets.add(refreshToken);
  const first = await h.prisma.session.findFirstOrThrow({
    where: { accountId: staff.account.id },
    orderBy: { createdAt: 'desc' },
  });
  const next = await call(h, 'POST', '/v1/auth/refresh', undefined, { refreshToken });
  assert.equal(next.statusCode, 200, next.body);
  h.secrets.add(next.json<{ refreshToken: string; accessToken: string }>().refreshToken);
  const rotated = await h.prisma.session.findFirstOrThrow({
    where: { accountId: staff.account.id, revokedAt: null, familyId: first.familyId },
  });
  assert.equal(rotated.expiresAt.getTime(), first.expiresAt.getTime(), 'the staff sign-in ends when it ends');
});
