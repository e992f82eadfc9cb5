// The `photoplane` CLI (SPEC A1-A4) as an operator runs it: a child process reading the portal's configuration from
// the environment, against the real PostgreSQL and the real Temporal dev server (stub lifecycle workflows that record
// the call). Asserts what the operator sees: table rows, CSV with semicolons, one-line errors and exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { instanceLifecycleWorkflowId } from '@photoplane/provisioner/shared';
import { instanceOwnedBy, signedInAccount, startHarness, unique, type Harness } from './members-harness.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';

const BIN = fileURLToPath(new URL('../bin/photoplane.mjs', import.meta.url));

let h: Harness;
let worker: StaffTestWorker;
let staffEmail: string;

before(async () => {
  worker = await startStaffTestWorker({ prisma: () => h.prisma });
  h = await startHarness({ syncMember: async () => undefined });
  staffEmail = (await signedInAccount(h, 'support')).account.email;
});

after(async () => {
  await h?.close();
  await worker?.stop();
});

function photoplane(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        DATABASE_URL: h.db.url,
        TEMPORAL_TASK_QUEUE: worker.taskQueue,
        SMTP_URL: `smtp://127.0.0.1:${h.smtpPort}`,
        PHOTOPLANE_STAFF_EMAIL: staffEmail,
        ...opts.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

test('users add, ls (table and CSV with semicolons), mod, reset --yes; every change needs --reason', async () => {
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const email = `${unique('cli')}@example.com`;

  const noReason = await photoplane(['users', 'add', email, '--instance', subdomain, '-p']);
  assert.equal(noReason.code, 2, noReason.stderr);
  assert.match(noReason.stderr, /^photoplane: --reason is required/);
  assert.equal(noReason.stderr.trim().split('\n').length, 1, 'one line');
  assert.equal(await h.prisma.member.count({ where: { instanceId: instance.id } }), 0);

  const add = await photoplane([
    'users',
    'add',
    email,
    '--instance',
    subdomain,
    '-n',
    'Cli; Person',
    '-r',
    'viewer',
    '-u',
    'cliperson',
    '-q',
    '2',
    '-p',
    '--reason',
    'ticket 99',
  ]);
  assert.equal(add.code, 0, add.stderr);
  const password = /Password: (\S+)/.exec(add.stdout)?.[1];
  assert.ok(password, add.stdout);
  h.secrets.add(password);

  const ls = await photoplane(['users', 'ls', '--instance', subdomain]);
  assert.equal(ls.code, 0, ls.stderr);
  const [header, , row] = ls.stdout.trimEnd().split('\n');
  assert.match(header!, /^ID\s+Name\s+E-mail\s+Role\s+Status\s+Quota\s+Used\s+Upload Path\s+Created$/);
  assert.match(row!, new RegExp(`Cli; Person\\s+${email}\\s+viewer\\s+active\\s+2 GiB\\s+0 GiB\\s+cliperson`));

  const csv = await photoplane(['users', 'ls', 'cli', '--instance', subdomain, '--csv']);
  const lines = csv.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'ID;Name;E-mail;Role;Status;Quota;Used;Upload Path;Created');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, new RegExp(`^[0-9a-f-]{36};"Cli; Person";${email};viewer;active;2 GiB;0 GiB;cliperson;`));

  const mod = await photoplane(['users', 'mod', email, '--instance', subdomain, '-s', '-l', '--reason', 'promote']);
  assert.equal(mod.code, 0, mod.stderr);
  assert.match(mod.stdout, /^Role\s+admin$/m);
  assert.match(mod.stdout, /^Login\s+disabled$/m);

  const over = await photoplane(['users', 'mod', email, '--instance', subdomain, '-q', '11', '--reason', 'more']);
  assert.equal(over.code, 1, 'refused by the roll-up rule');
  assert.match(over.stderr, /^photoplane: refused: .*\[quotaGiB\]\n$/);

  const noYes = await photoplane(['users', 'reset', email, '--instance', subdomain, '--reason', 'locked out']);
  assert.equal(noYes.code, 2);
  const reset = await photoplane(['users', 'reset', email, '--instance', subdomain, '--yes', '--reason', 'locked out']);
  assert.equal(reset.code, 0, reset.stderr);
  const newPassword = /new password (\S+)/.exec(reset.stdout)?.[1];
  assert.ok(newPassword && newPassword !== password);
  h.secrets.add(newPassword);

  // A member who lost their authenticator (enrolment itself is U6's test in self-service.test.ts).
  const member = await h.prisma.member.findFirstOrThrow({ where: { instanceId: instance.id, email } });
  await h.prisma.memberTwoFactor.create({
    data: { instanceId: instance.id, memberId: member.id, secretCipher: 'v1.sealed', enabledAt: new Date() },
  });
  const twoFa = await photoplane(['users', 'mod', email, '--instance', subdomain, '--disable-2fa', '--reason', 'lost']);
  assert.equal(twoFa.code, 0, twoFa.stderr);
  assert.match(twoFa.stdout, /Two-factor authentication is off/);
  assert.equal(await h.prisma.memberTwoFactor.count({ where: { memberId: member.id } }), 0);
  const onAdd = await photoplane(['users', 'add', 'x@example.com', '--instance', subdomain, '--disable-2fa']);
  assert.equal(onAdd.code, 2, 'a new member has nothing to turn off');

  const events = await h.prisma.auditEvent.findMany({ where: { instanceId: instance.id }, orderBy: { at: 'asc' } });
  assert.deepEqual(
    events.map((e) => [e.action, e.reason, e.actorLabel]),
    [
      ['member.create', 'ticket 99', staffEmail],
      ['member.update', 'promote', staffEmail],
      ['member.password_reset', 'locked out', staffEmail],
      ['member.two_factor_disabled', 'lost', staffEmail],
    ],
  );
});

test('tenants ls and suspend start the workflow; rm by support is refused (exit 1); usage errors exit 2', async () => {
  const { subdomain, instance } = await instanceOwnedBy(h);
  const ls = await photoplane(['tenants', 'ls', subdomain]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout.split('\n')[2]!, new RegExp(`^${subdomain}\\s+active\\s+active\\s+plan-10\\s`));

  const suspend = await photoplane(['tenants', 'suspend', subdomain, '--reason', 'abuse']);
  assert.equal(suspend.code, 0, suspend.stderr);
  const workflowId = instanceLifecycleWorkflowId(instance.id);
  assert.match(suspend.stdout, new RegExp(`suspend started \\(workflow ${workflowId}`));
  assert.equal((await worker.waitForCall(workflowId)).workflow, 'suspendInstanceWorkflow');

  const rm = await photoplane(['tenants', 'rm', subdomain, '--reason', 'closing']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /^photoplane: refused: .*tenant\.delete/);

  assert.equal((await photoplane(['tenants', 'explode', subdomain])).code, 2);
  assert.equal((await photoplane(['tenants', 'ls', '--bogus'])).code, 2);
  const nobody = await photoplane(['tenants', 'ls'], { env: { PHOTOPLANE_STAFF_EMAIL: 'nobody@example.com' } });
  assert.equal(nobody.code, 1);
  const customer = await signedInAccount(h);
  const asCustomer = await photoplane(['--as', customer.account.email, 'tenants', 'ls']);
  assert.equal(asCustomer.code, 1);
  assert.match(asCustomer.stderr, /Only support staff/);
});

test('logins ls shows client IP, user, realm, status, last login, failed at; -n limits; --tsv and --md', async () => {
  const user = await signedInAccount(h);
  await h.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.account.email, password: 'not the password at all' },
    remoteAddress: '198.51.100.7',
  });
  const ls = await photoplane(['logins', 'ls', user.account.email]);
  assert.equal(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^Client IP\s+User\s+Realm\s+Status\s+Last Login\s+Failed At$/);
  assert.equal(lines.length, 4, 'header, rule and two rows (the good and the bad client)');
  assert.match(
    ls.stdout,
    new RegExp(`^198\\.51\\.100\\.7\\s+${user.account.email}\\s+portal\\s+failed\\s+\\d{4}-`, 'm'),
  );

  const limited = await photoplane(['logins', 'ls', user.account.email, '-n', '1', '--tsv']);
  const tsv = limited.stdout.trimEnd().split('\n');
  assert.equal(tsv.length, 2);
  assert.deepEqual(tsv[0]!.split('\t'), ['Client IP', 'User', 'Realm', 'Status', 'Last Login', 'Failed At']);
  const md = await photoplane(['logins', 'ls', user.account.email, '--md']);
  assert.match(md.stdout, /^\| Client IP \| User \| Realm \| Status \| Last Login \| Failed At \|\n\|---\|/);

  const sessions = await photoplane(['auth', 'ls', user.account.email, '--csv']);
  const [, session] = sessions.stdout.trimEnd().split('\n');
  const id = session!.split(';')[0]!;
  const rm = await photoplane(['auth', 'rm', id, '--reason', 'lost phone']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(
    (await h.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${user.token}` } }))
      .statusCode,
    401,
  );
});

test('passwd sets a password the member signs in with; auth add makes a working key that auth show describes; users rm --now removes the member at once', async () => {
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const email = `${unique('pw')}@example.com`;
  const add = await photoplane(['users', 'add', email, '--instance', subdomain, '-p', '--reason', 'ticket 7']);
  assert.equal(add.code, 0, add.stderr);
  const first = /Password: (\S+)/.exec(add.stdout)?.[1];
  assert.ok(first);
  h.secrets.add(first);
  const signIn = (password: string) =>
    h.app.inject({ method: 'POST', url: `/v1/instances/${subdomain}/auth/login`, payload: { email, password } });

  const chosen = `support chose this ${unique('p')}`;
  h.secrets.add(chosen);
  const passwd = await photoplane(['passwd', email, '--instance', subdomain, '--reason', 'phoned in'], {
    stdin: `${chosen}\n`,
  });
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.match(passwd.stdout, /password changed/);
  assert.equal((await signIn(first)).statusCode, 401, 'the old password no longer works');
  const session = await signIn(chosen);
  assert.equal(session.statusCode, 200, session.body);
  const { accessToken, mustChangePassword } = session.json<{ accessToken: string; mustChangePassword: boolean }>();
  h.secrets.add(accessToken);
  assert.equal(mustChangePassword, true, 'someone else knows it, so it must be changed');
  const own = `only the member knows ${unique('q')}`;
  h.secrets.add(own);
  const changed = await h.app.inject({
    method: 'POST',
    url: `/v1/instances/${subdomain}/me/password`,
    headers: { authorization: `Bearer ${accessToken}` },
    payload: { currentPassword: chosen, newPassword: own },
  });
  assert.ok(changed.statusCode < 300, changed.body);

  const key = await photoplane([
    'auth',
    'add',
    email,
    '--instance',
    subdomain,
    '-n',
    'migration',
    '--reason',
    'ticket 8',
  ]);
  assert.equal(key.code, 0, key.stderr);
  const [, id, secret] = /API key (\S+) for \S+: (\S+)/.exec(key.stdout) ?? [];
  assert.ok(id && secret, key.stdout);
  h.secrets.add(secret);
  const me = await h.app.inject({
    method: 'GET',
    url: `/v1/instances/${subdomain}/me`,
    headers: { 'x-api-key': secret },
  });
  assert.equal(me.statusCode, 200, me.body);
  assert.equal(me.json<{ email: string }>().email, email, 'the key acts as its member');
  const show = await photoplane(['auth', 'show', id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^Label\s+migration$/m);
  assert.match(show.stdout, new RegExp(`^User\\s+${email}`, 'm'));
  assert.ok(!show.stdout.includes(secret), 'the secret is never shown again');

  const noConfirm = await photoplane(['users', 'rm', email, '--instance', subdomain, '--now', '--reason', 'gdpr']);
  assert.equal(noConfirm.code, 2, 'immediate deletion needs the e-mail typed as confirmation');
  const rm = await photoplane([
    'users',
    'rm',
    email,
    '--instance',
    subdomain,
    '--now',
    '--confirm',
    email,
    '--reason',
    'gdpr request',
  ]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await signIn(own)).statusCode, 401, 'sign-in is refused at once');
  const gone = await h.app.inject({
    method: 'GET',
    url: `/v1/instances/${subdomain}/me`,
    headers: { 'x-api-key': secret },
  });
  assert.equal(gone.statusCode, 401, 'and the key stops working');
  const row = await h.prisma.member.findFirstOrThrow({ where: { instanceId: instance.id, email } });
  assert.deepEqual([row.status, row.deletionImmediate], ['pending_deletion', true]);
});
