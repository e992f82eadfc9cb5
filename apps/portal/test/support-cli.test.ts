// The `photoplane` CLI (SPEC A1-A6) as an operator runs it: a child process that signs in to the running portal
// (`photoplane login`: e-mail, password, the authenticator's code) and calls the support API over HTTP; no database,
// Temporal or portal secrets in its environment. The portal runs over the real PostgreSQL and starts real workflows on
// the real Temporal dev server (stub lifecycle workflows that record the call). Asserts what the operator sees: table
// rows, CSV with semicolons, one-line errors and exit codes (2 usage, 1 refused).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { backupWorkflowId, instanceLifecycleWorkflowId } from '@photoplane/provisioner/contracts';
import {
  call,
  instanceOwnedBy,
  INSTANCE_DOMAIN,
  nextMailTo,
  nextTotpCode,
  signedInAccount,
  startHarness,
  unique,
  type Harness,
} from './members-harness.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';

const BIN = fileURLToPath(new URL('../bin/photoplane.mjs', import.meta.url));

let h: Harness;
let worker: StaffTestWorker;
let connection: Connection;
let portalUrl: string;
let staffEmail: string;
/** The signed-in support operator's config folder (XDG_CONFIG_HOME). */
let home: string;
/** A signed-in superadmin's config folder. */
let adminHome: string;
const homes: string[] = [];

function configHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-cli-'));
  homes.push(dir);
  return dir;
}

before(async () => {
  worker = await startStaffTestWorker({ prisma: () => h.prisma });
  connection = await Connection.connect({ address: worker.temporalAddress });
  const client = new Client({ connection, namespace: worker.namespace });
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    support: {
      operations: worker.operations(client),
      fleet: worker.fleet(client),
      backups: { client, taskQueue: worker.taskQueue },
    },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  assert.ok(address && typeof address === 'object');
  portalUrl = `http://127.0.0.1:${address.port}`;
  home = configHome();
  staffEmail = (await cliLogin(home, 'support')).email;
  adminHome = configHome();
  await cliLogin(adminHome, 'superadmin');
});

after(async () => {
  await h?.close();
  await connection?.close();
  await worker?.stop();
  for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
});

function photoplane(args: string[], opts: { stdin?: string; home?: string } = {}) {
  // Nothing of the portal's: no database, no Temporal, no secrets. Only where to keep the session.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    XDG_CONFIG_HOME: opts.home ?? home,
    PHOTOPLANE_URL: portalUrl,
  };
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A new staff account signed in with the CLI in `dir`: password on stdin, the code with --code. */
async function cliLogin(dir: string, role: 'support' | 'superadmin') {
  const account = await signedInAccount(h, role);
  const login = await photoplane(
    ['login', '--email', account.account.email, '--code', nextTotpCode(account.totpSecret!, 1)],
    { stdin: `${account.password}\n`, home: dir },
  );
  assert.equal(login.code, 0, login.stderr);
  return { email: account.account.email, account };
}

test('login: password and code; without the code refused with what to do; a customer is refused; the session file is 0600', async () => {
  const account = await signedInAccount(h, 'superadmin');
  const dir = configHome();
  const noCode = await photoplane(['login', '--email', account.account.email], {
    stdin: `${account.password}\n`,
    home: dir,
  });
  assert.equal(noCode.code, 1, noCode.stderr);
  assert.equal(
    noCode.stderr,
    'photoplane: this account signs in with a code from its authenticator app: add --code CODE\n',
  );
  const wrongCode = await photoplane(['login', '--email', account.account.email, '--code', '000000'], {
    stdin: `${account.password}\n`,
    home: dir,
  });
  assert.equal(wrongCode.code, 1);
  assert.match(
    wrongCode.stderr,
    /^photoplane: refused: The code from the authenticator app is wrong .*\[totpCode\]\n$/,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'photoplane', 'session.json')), 'nothing stored');

  // Without a terminal, the code the portal asks for is the second line of standard input.
  const ok = await photoplane(['login', '--email', account.account.email], {
    stdin: `${account.password}\n${nextTotpCode(account.totpSecret!, 1)}\n`,
    home: dir,
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^Signed in to ${portalUrl} as ${account.account.email} \\(superadmin\\)`));
  const file = path.join(dir, 'photoplane', 'session.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.ok(!fs.readFileSync(file, 'utf8').includes(account.password), 'the password is never kept');
  const who = await photoplane(['whoami'], { home: dir });
  assert.equal(who.stdout, `${account.account.email} (superadmin) at ${portalUrl}\n`);

  const customer = await signedInAccount(h);
  const asCustomer = await photoplane(['login', '--email', customer.account.email], {
    stdin: `${customer.password}\n`,
    home: configHome(),
  });
  assert.equal(asCustomer.code, 1);
  assert.match(asCustomer.stderr, /is not a staff account/);

  const nobody = await photoplane(['tenants', 'ls'], { home: configHome() });
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /^photoplane: not signed in: .*photoplane login/);
});

test('a revoked or expired sign-in is refused with a clear message; logout revokes the session at the portal', async () => {
  const dir = configHome();
  const { account } = await cliLogin(dir, 'support');
  assert.equal((await photoplane(['tenants', 'ls'], { home: dir })).code, 0);

  // Revoked: a superadmin ends every sign-in of that staff account.
  const superadmin = await signedInAccount(h, 'superadmin');
  const reset = await call(h, 'POST', '/v1/support/auth/reset', superadmin.token, {
    user: account.account.email,
    reason: 'laptop lost',
  });
  assert.equal(reset.statusCode, 200, reset.body);
  const revoked = await photoplane(['tenants', 'ls'], { home: dir });
  assert.equal(revoked.code, 1);
  assert.equal(
    revoked.stderr,
    'photoplane: not signed in: This sign-in has ended; sign in again: run photoplane login\n',
  );

  // Expired: past the staff session's lifetime, the refresh is refused and the stored session forgotten.
  const dir2 = configHome();
  const second = await cliLogin(dir2, 'support');
  const file = path.join(dir2, 'photoplane', 'session.json');
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { accessExpiresAt: string };
  fs.writeFileSync(file, JSON.stringify({ ...stored, accessExpiresAt: new Date(0).toISOString() }), { mode: 0o600 });
  await h.prisma.session.updateMany({
    where: { accountId: second.account.account.id },
    data: { expiresAt: new Date(1000) },
  });
  const expired = await photoplane(['tenants', 'ls'], { home: dir2 });
  assert.equal(expired.code, 1);
  assert.equal(
    expired.stderr,
    'photoplane: not signed in: your sign-in has ended (expired or revoked); run photoplane login\n',
  );
  assert.ok(!fs.existsSync(file));

  const dir3 = configHome();
  const third = await cliLogin(dir3, 'support');
  const out = await photoplane(['logout'], { home: dir3 });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    await h.prisma.session.count({ where: { accountId: third.account.account.id, revokedAt: null } }),
    1,
    'only the harness sign-in is live: the CLI session was revoked at the portal',
  );
  assert.equal((await photoplane(['whoami'], { home: dir3 })).code, 1);
});

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

  const events = await h.prisma.auditEvent.findMany({
    where: { instanceId: instance.id, reason: { not: null } },
    orderBy: { at: 'asc' },
  });
  const reads = await h.prisma.auditEvent.findMany({ where: { instanceId: instance.id, reason: null } });
  assert.ok(
    reads.filter((e) => e.action === 'member.list').length >= 2 && reads.every((e) => e.actorLabel === staffEmail),
    'users ls is audited like a change',
  );
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
  assert.match(suspend.stdout, new RegExp(`suspend accepted \\(workflow ${workflowId} does it`));
  assert.equal((await worker.waitForCall(workflowId)).workflow, 'suspendInstanceWorkflow');

  const rm = await photoplane(['tenants', 'rm', subdomain, '--reason', 'closing']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /^photoplane: refused: .*tenant\.delete/);

  assert.equal((await photoplane(['tenants', 'explode', subdomain])).code, 2);
  assert.equal((await photoplane(['tenants', 'ls', '--bogus'])).code, 2);
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

  const byAdmin = await photoplane([
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
  assert.equal(byAdmin.code, 1, 'minting a key that acts as a member is superadmin-only');
  assert.match(byAdmin.stderr, /^photoplane: refused: .*member\.apiKey/);
  const key = await photoplane(
    ['auth', 'add', email, '--instance', subdomain, '-n', 'migration', '--reason', 'ticket 8'],
    { home: adminHome },
  );
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
  const now = ['users', 'rm', email, '--instance', subdomain, '--now', '--confirm', email, '--reason', 'gdpr request'];
  const bySupport = await photoplane(now);
  assert.equal(bySupport.code, 1, 'an immediate purge is superadmin-only');
  assert.match(bySupport.stderr, /^photoplane: refused: .*member\.purge/);
  const rm = await photoplane(now, { home: adminHome });
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

test('staff add, ls, role, rm (superadmin only); the new account signs in with the password and code shown once; audit ls searches by actor', async () => {
  const email = `${unique('staff')}@example.com`;
  const bySupport = await photoplane(['staff', 'add', email, '--role', 'support', '--reason', 'new hire']);
  assert.equal(bySupport.code, 1);
  assert.match(bySupport.stderr, /^photoplane: refused: .*staff\.manage/);
  assert.equal((await photoplane(['staff', 'add', email, '--reason', 'x'], { home: adminHome })).code, 2, 'no --role');

  const add = await photoplane(['staff', 'add', email, '-n', 'New Hire', '-r', 'support', '--reason', 'new hire'], {
    home: adminHome,
  });
  assert.equal(add.code, 0, add.stderr);
  const password = /^Password\s+(\S+)$/m.exec(add.stdout)?.[1];
  const secret = /^TOTP secret\s+([A-Z2-7]+)$/m.exec(add.stdout)?.[1];
  assert.ok(password && secret, add.stdout);
  h.secrets.add(password);
  assert.match(add.stdout, /^TOTP URI\s+otpauth:\/\/totp\//m);
  const customer = await signedInAccount(h);
  const taken = await photoplane(
    ['staff', 'add', customer.account.email, '--role', 'superadmin', '--reason', 'promote a customer'],
    { home: adminHome },
  );
  assert.equal(taken.code, 1, 'no customer becomes staff by e-mail');
  assert.match(taken.stderr, /\[email\]$/m);
  assert.equal((await h.prisma.account.findUniqueOrThrow({ where: { id: customer.account.id } })).role, 'customer');

  const newHome = configHome();
  const login = await photoplane(['login', '--email', email, '--code', nextTotpCode(secret)], {
    stdin: `${password}\n`,
    home: newHome,
  });
  assert.equal(login.code, 0, login.stderr);

  const ls = await photoplane(['staff', 'ls', '--csv'], { home: adminHome });
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout.split('\n')[0], 'E-mail;Name;Role;Live Sessions;Created');
  assert.match(ls.stdout, new RegExp(`^${email};New Hire;support;1;`, 'm'));

  const role = await photoplane(['staff', 'role', email, 'superadmin', '--reason', 'team lead'], { home: adminHome });
  assert.equal(role.code, 0, role.stderr);
  assert.equal(role.stdout, `${email}: role superadmin\n`);
  assert.equal((await photoplane(['staff', 'role', email, 'root', '--reason', 'x'], { home: adminHome })).code, 2);

  const rm = await photoplane(['staff', 'rm', email, '--reason', 'left the company'], { home: adminHome });
  assert.equal(rm.code, 0, rm.stderr);
  const gone = await photoplane(['tenants', 'ls'], { home: newHome });
  assert.equal(gone.code, 1, 'the removed account is signed out');
  assert.match(gone.stderr, /^photoplane: not signed in/);

  const audit = await photoplane(['audit', 'ls', '--actor', staffEmail, '-n', '500', '--tsv'], { home: adminHome });
  assert.equal(audit.code, 0, audit.stderr);
  const lines = audit.stdout.trimEnd().split('\n');
  assert.deepEqual(lines[0]!.split('\t'), ['At', 'Actor', 'Client IP', 'Action', 'Target', 'Instance', 'Reason']);
  const actions = lines.slice(1).map((l) => l.split('\t'));
  assert.ok(actions.length > 0 && actions.every((a) => a[1] === staffEmail && a[2] === '127.0.0.1'), audit.stdout);
  assert.ok(
    actions.some((a) => a[3] === 'support.denied' && a[4] === 'permission staff.manage'),
    'the refusal too',
  );
  const future = await photoplane(['audit', 'ls', '--since', '2999-01-01', '--md'], { home: adminHome });
  assert.equal(
    future.stdout,
    '| At | Actor | Client IP | Action | Target | Instance | Reason |\n|---|---|---|---|---|---|---|\n',
  );
  assert.equal((await photoplane(['audit', 'ls', '--since', 'yesterday'], { home: adminHome })).code, 2);
});

test('logins clear is superadmin-only; -c/-t/-m are the short forms of --csv/--tsv/--md', async () => {
  const refused = await photoplane(['logins', 'clear', '--reason', 'tidy']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /logins\.clear/);
  const csv = await photoplane(['logins', 'ls', '-c', '-n', '1']);
  assert.equal(csv.stdout.split('\n')[0], 'Client IP;User;Realm;Status;Last Login;Failed At');
  const tsv = await photoplane(['tenants', 'ls', '-t']);
  assert.equal(tsv.stdout.split('\n')[0]!.split('\t')[0], 'Subdomain');
  const md = await photoplane(['auth', 'ls', '-m']);
  assert.match(md.stdout, /^\| ID \| Kind \|/);
  assert.equal((await photoplane(['logins', 'ls', '-c', '-t'])).code, 2, 'one format at a time');
  const cleared = await photoplane(['logins', 'clear', '--reason', 'tidy'], { home: adminHome });
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.match(cleared.stdout, /^cleared \d+ sign-in records\n$/);
});

test('fleet upgrade: superadmin rolls an image over every active instance in waves and --watch follows it to the end; support may watch, not start; bad input names the flag or field', async () => {
  const mine = await Promise.all([instanceOwnedBy(h), instanceOwnedBy(h), instanceOwnedBy(h)]);
  const active = await h.prisma.instance.findMany({
    where: { state: 'active' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  assert.ok(active.length >= 3);
  const image = `ghcr.io/immich-app/immich-server:v${unique('t').replace(/\W/g, '')}`;

  const bySupport = await photoplane(['fleet', 'upgrade', '--image', image, '--reason', 'monthly release']);
  assert.equal(bySupport.code, 1);
  assert.equal(bySupport.stderr, 'photoplane: refused: Your role (support) may not do this: fleet.upgrade.\n');
  const noReason = await photoplane(['fleet', 'upgrade', '--image', image], { home: adminHome });
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /--reason is required/);
  const badRate = await photoplane(['fleet', 'upgrade', '--image', image, '--reason', 'r', '--max-failure-rate', '1'], {
    home: adminHome,
  });
  assert.equal(badRate.code, 1);
  assert.match(badRate.stderr, /^photoplane: refused: .*\[body\.maxFailureRate\]\n$/);
  const badImage = await photoplane(['fleet', 'upgrade', '--image', 'not an image', '--reason', 'r'], {
    home: adminHome,
  });
  assert.equal(badImage.code, 1);
  assert.match(badImage.stderr, /\[image\]\n$/);
  assert.equal(await h.prisma.fleetUpgrade.count(), 0, 'nothing was started by the refused commands');

  const run = await photoplane(
    ['fleet', 'upgrade', '--image', image, '--reason', 'monthly release', '--canary', '1', '--watch'],
    { home: adminHome },
  );
  assert.equal(run.code, 0, run.stderr);
  const row = await h.prisma.fleetUpgrade.findFirstOrThrow({ where: { appImage: image } });
  assert.match(run.stdout, new RegExp(`^fleet upgrade ${row.id} to ${image.replace(/[.:]/g, '\\$&')} started\n`));
  assert.match(run.stdout, new RegExp(`${row.id} \\S+: completed; ${active.length} upgraded\n`));
  assert.match(run.stdout, /^State +completed$/m);
  // Every active instance, in waves of 1, 2, 4 …, each by its own upgrade workflow under its lifecycle id.
  for (const inst of active) {
    // The rollout has ended (--watch returned), so every workflow it started has recorded its call: a backup
    // (trigger pre-upgrade) and then the upgrade, under the instance's backup and lifecycle ids.
    const calls = worker.calls.filter(
      (c) =>
        (c.workflow === 'upgradeInstanceWorkflow' && c.workflowId === instanceLifecycleWorkflowId(inst.id)) ||
        (c.workflow === 'backupInstanceWorkflow' && c.workflowId === backupWorkflowId(inst.id)),
    );
    assert.deepEqual(
      calls.map((c) => [c.workflow, c.input]),
      [
        [
          'backupInstanceWorkflow',
          { instanceId: inst.id, trigger: 'pre-upgrade', reason: `before the upgrade to ${image}` },
        ],
        ['upgradeInstanceWorkflow', { instanceId: inst.id, appImage: image }],
      ],
    );
    assert.match(run.stdout, new RegExp(`^\\d+ +${inst.subdomain} +upgraded`, 'm'));
  }
  const waves = row.waves as { instances: { instanceId: string }[] }[];
  assert.deepEqual(
    waves.map((w) => w.instances.length),
    [1, 2, 4, 8, 16].reduce<number[]>((sizes, size) => {
      const left = active.length - sizes.reduce((a, b) => a + b, 0);
      return left > 0 ? [...sizes, Math.min(size, left)] : sizes;
    }, []),
  );
  assert.equal(waves[0]!.instances[0]!.instanceId, active[0]!.id, 'the oldest instance is the canary');
  assert.ok(mine.every((m) => waves.flatMap((w) => w.instances).some((i) => i.instanceId === m.instance.id)));

  // Support watches: ls and show; steering an ended rollout is refused.
  const ls = await photoplane(['fleet', 'ls', '--tsv']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`^${row.id}\t${image.replace(/[.:]/g, '\\$&')}\tcompleted\t`, 'm'));
  const pause = await photoplane(['fleet', 'pause', row.id, '--reason', 'too late'], { home: adminHome });
  assert.equal(pause.code, 1);
  assert.match(pause.stderr, /This fleet upgrade has ended \(completed\)/);
  const audit = await h.prisma.auditEvent.findMany({ where: { targetId: row.id }, orderBy: { at: 'asc' } });
  assert.deepEqual(
    audit.map((a) => a.action).filter((a) => a !== 'fleet.upgrade.show'),
    ['fleet.upgrade.start', 'fleet.upgrade.completed'],
  );
  assert.equal(audit[0]!.reason, 'monthly release');
});

test('tenants backups, backup and restore as an operator types them (SPEC F1)', async () => {
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  await h.prisma.instanceBackup.create({
    data: {
      id: '0123456789ab',
      instanceId: instance.id,
      trigger: 'scheduled',
      status: 'succeeded',
      finishedAt: new Date(),
      bytesProcessed: 5n * 1024n ** 3n,
      bytesAdded: 1024n ** 3n,
    },
  });

  const listed = await photoplane(['tenants', 'backups', subdomain, '--csv']);
  assert.equal(listed.code, 0, listed.stderr);
  const [header, row] = listed.stdout.trim().split('\n');
  assert.equal(header, 'Snapshot;Trigger;Status;Started;Finished;Read;Stored;Error');
  assert.match(row ?? '', /^0123456789ab;scheduled;succeeded;/);
  const table = await photoplane(['tenants', 'backups', subdomain]);
  assert.match(table.stdout, /no integrity check yet/);

  const noReason = await photoplane(['tenants', 'backup', subdomain]);
  assert.equal(noReason.code, 2, 'a reason is required');
  const backup = await photoplane(['tenants', 'backup', subdomain, '--reason', 'before moving hosts']);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(
    backup.stdout,
    new RegExp(`^${subdomain}: backup started \\(workflow instance-backup-${instance.id}\\)`),
  );

  const noSnapshot = await photoplane(['tenants', 'restore', subdomain, '--reason', 'r']);
  assert.equal(noSnapshot.code, 2);
  const supportInPlace = await photoplane([
    'tenants',
    'restore',
    subdomain,
    '--snapshot',
    '0123456789ab',
    '--reason',
    'r',
  ]);
  assert.equal(supportInPlace.code, 1, 'support may not restore in place');
  assert.match(supportInPlace.stderr, /tenant\.delete/);
  const wrong = await photoplane([
    'tenants',
    'restore',
    subdomain,
    '--snapshot',
    'ffffffffffff',
    '--inspect',
    '--reason',
    'r',
  ]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /\[snapshot\]/);
  const inspect = await photoplane([
    'tenants',
    'restore',
    subdomain,
    '--snapshot',
    '0123456789ab',
    '--inspect',
    '--reason',
    'customer wants to look at last week',
  ]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /restore of 0123456789ab into an inspection stack started/);
  const inPlace = await photoplane(
    ['tenants', 'restore', subdomain, '--snapshot', '0123456789ab', '--reason', 'ransomware, ticket 9'],
    { home: adminHome },
  );
  assert.equal(inPlace.code, 0, inPlace.stderr);
  assert.match(inPlace.stdout, /restore of 0123456789ab in place started/);
  const ran = await worker.waitForCall(instanceLifecycleWorkflowId(instance.id));
  assert.equal(ran.workflow, 'restoreInstanceWorkflow');
});

test('tenants inspections and inspection rm as an operator types them (SPEC F1)', async () => {
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const row = await h.prisma.instanceRestore.create({
    data: {
      instanceId: instance.id,
      backupId: '0123456789ab',
      target: 'inspection',
      status: 'succeeded',
      finishedAt: new Date(),
      inspectionInstanceId: `${instance.id}-inspect`,
      appHostPort: 40555,
      reason: 'customer wants to look at last week',
    },
  });

  const listed = await photoplane(['tenants', 'inspections', subdomain, '--csv']);
  assert.equal(listed.code, 0, listed.stderr);
  const [header, line] = listed.stdout.trim().split('\n');
  assert.equal(header, 'Inspection;Snapshot;State;Host;Address;Started;Removed;Reason;Error');
  assert.match(line ?? '', new RegExp(`^${row.id};0123456789ab;ready;[^;]*;127\\.0\\.0\\.1:40555;`));

  const usage = await photoplane(['tenants', 'inspection', subdomain, row.id, '--reason', 'r']);
  assert.equal(usage.code, 2, 'rm must be named');
  const noReason = await photoplane(['tenants', 'inspection', 'rm', subdomain, row.id]);
  assert.equal(noReason.code, 2, 'a reason is required');
  assert.match(noReason.stderr, /--reason/);
  const unknown = await photoplane([
    'tenants',
    'inspection',
    'rm',
    subdomain,
    '00000000-0000-4000-8000-000000000000',
    '--reason',
    'r',
  ]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No such inspection/);

  const rm = await photoplane(['tenants', 'inspection', 'rm', subdomain, row.id, '--reason', 'customer has the photo']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(
    rm.stdout,
    `${subdomain}: removing inspection stack ${instance.id}-inspect of restore ${row.id} (workflow instance-restore-${instance.id}); see tenants inspections ${subdomain}\n`,
  );
  const ran = await worker.waitForCall(`instance-restore-${instance.id}`);
  assert.equal(ran.workflow, 'removeInspectionStackWorkflow');
  const again = await photoplane(['tenants', 'inspection', 'rm', subdomain, row.id, '--reason', 'double click']);
  assert.equal(again.code, 1, 'a second rm is refused');
  assert.match(again.stderr, /being removed/);
  const table = await photoplane(['tenants', 'inspections', subdomain]);
  assert.match(table.stdout, /removing/);
});

test('links block, ls and unblock as an operator types them (issue 14): that link alone answers 451 at the edge check; the owner is e-mailed and sees why', async () => {
  const { subdomain, owner, instance } = await instanceOwnedBy(h);
  const elsewhere = await instanceOwnedBy(h);
  const key = randomBytes(50).toString('base64url');
  const otherKey = randomBytes(50).toString('base64url');
  const url = `https://${subdomain}.${INSTANCE_DOMAIN}/share/${key}`;
  // What Caddy asks for every request that may follow a link (apps/provisioner/src/edge/routes.ts).
  const check = (uri: string, host = `${subdomain}.${INSTANCE_DOMAIN}`, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url: '/v1/edge/link-check', headers: { host, 'x-forwarded-uri': uri, ...headers } });
  assert.equal((await check(`/share/${key}`)).statusCode, 204, 'not blocked yet');

  const noReason = await photoplane(['links', 'block', url]);
  assert.equal(noReason.code, 2, 'a reason is required');
  const notALink = await photoplane([
    'links',
    'block',
    `https://${subdomain}.${INSTANCE_DOMAIN}/albums`,
    '--reason',
    'r',
  ]);
  assert.equal(notALink.code, 1);
  assert.match(notALink.stderr, /no share key.*\[url\]/);
  const unknown = await photoplane([
    'links',
    'block',
    `https://nobody-here.${INSTANCE_DOMAIN}/share/${key}`,
    '--reason',
    'r',
  ]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No such instance/);

  const blocked = await photoplane(['links', 'block', url, '--reason', "abuse report 9: not the owner's to share"]);
  assert.equal(blocked.code, 0, blocked.stderr);
  const id = new RegExp(`^blocked /share/${key.slice(0, 6)}… at ${subdomain} \\(block ([0-9a-f-]{36})\\)`).exec(
    blocked.stdout,
  )?.[1];
  assert.ok(id, blocked.stdout);
  const again = await photoplane(['links', 'block', url, '--reason', 'twice']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /This link is blocked already\. \[url\]/);

  // Every way a visitor's request can carry the key is refused; other links, and other instances, are not.
  const page = await check(`/share/${key}`);
  assert.equal(page.statusCode, 451);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /This shared link has been taken down/);
  assert.doesNotMatch(page.body, /abuse report/, 'the reason is for the owner, not for visitors');
  assert.match(page.headers.link as string, /rel="blocked-by"/);
  const api = await check(`/api/shared-links/me?key=${key}`);
  assert.equal(api.statusCode, 451);
  assert.match(api.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(api.json<{ status: number }>().status, 451);
  assert.equal((await check('/api/assets/x/thumbnail', undefined, { 'x-immich-share-key': key })).statusCode, 451);
  assert.equal((await check(`/share/${key}/photos/1234`)).statusCode, 451);
  assert.equal((await check(`/share/${otherKey}`)).statusCode, 204, 'another link of the instance');
  assert.equal((await check('/api/albums')).statusCode, 204, 'the rest of the app');
  assert.equal(
    (await check(`/share/${key}`, `${elsewhere.subdomain}.${INSTANCE_DOMAIN}`)).statusCode,
    204,
    'the same key at another instance is another link',
  );
  // Stored only as a hash: nothing in the table holds the key.
  const row = await h.prisma.sharedLinkBlock.findUniqueOrThrow({ where: { id } });
  assert.ok(!JSON.stringify(row).includes(key.slice(6)), 'no more of the key than its first characters');

  const mail = await nextMailTo(h, owner.account.email);
  assert.match(mail.subject, new RegExp(`shared link of your photo library ${subdomain} was blocked`));
  assert.match(mail.text, /abuse report 9/);
  assert.match(mail.text, new RegExp(`/share/${key.slice(0, 6)}…`));
  assert.ok(!mail.text.includes(key), 'the e-mail carries no working link');
  const seen = await call(h, 'GET', `/v1/instances/${subdomain}/blocked-links`, owner.token);
  assert.equal(seen.statusCode, 200, seen.body);
  assert.deepEqual(
    seen
      .json<{ links: { hint: string; reason: string; liftedAt: string | null }[] }>()
      .links.map((l) => [l.hint, l.reason, l.liftedAt]),
    [[key.slice(0, 6), "abuse report 9: not the owner's to share", null]],
  );
  assert.equal(
    (await call(h, 'GET', `/v1/instances/${subdomain}/blocked-links`, elsewhere.owner.token)).statusCode,
    404,
    "another customer does not see this instance's blocks",
  );

  const listed = await photoplane(['links', 'ls', subdomain, '--csv']);
  assert.equal(listed.code, 0, listed.stderr);
  const [header, line] = listed.stdout.trim().split('\n');
  assert.equal(header, 'Block;Subdomain;Link;Reason;By;Blocked;Lifted');
  assert.match(
    line ?? '',
    new RegExp(
      `^${id};${subdomain};/share/${key.slice(0, 6)}…;abuse report 9: not the owner's to share;${staffEmail};`,
    ),
  );

  const unblocked = await photoplane(['links', 'unblock', url, '--reason', 'report withdrawn']);
  assert.equal(unblocked.code, 0, unblocked.stderr);
  assert.match(unblocked.stdout, new RegExp(`^unblocked /share/${key.slice(0, 6)}… at ${subdomain} \\(block ${id}\\)`));
  assert.equal((await check(`/share/${key}`)).statusCode, 204, 'the link works again');
  assert.match((await nextMailTo(h, owner.account.email)).subject, /works again/);
  const holding = await photoplane(['links', 'ls', subdomain, '--holding', '--csv']);
  assert.equal(holding.stdout.trim().split('\n').length, 1, 'only the header: nothing holds');
  const twice = await photoplane(['links', 'unblock', url, '--reason', 'again']);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /no block holds for this link/);
  const byId = await photoplane(['links', 'unblock', id, '--reason', 'again']);
  assert.equal(byId.code, 1);
  assert.match(byId.stderr, /lifted already/);

  const audit = await h.prisma.auditEvent.findMany({
    where: { instanceId: instance.id, action: { in: ['link.block', 'link.unblock'] } },
    orderBy: { at: 'asc' },
  });
  assert.deepEqual(
    audit.map((a) => [a.action, a.actorLabel, a.reason]),
    [
      ['link.block', staffEmail, "abuse report 9: not the owner's to share"],
      ['link.unblock', staffEmail, 'report withdrawn'],
    ],
  );
});

test("a plan without public links (issue 14): the edge check refuses every link visit of its libraries with 403; other plans' links go through", async () => {
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 3 });
  const open = await instanceOwnedBy(h, { planGib: 4 });
  const plan = await h.prisma.subscription.findUniqueOrThrow({ where: { id: instance.subscriptionId } });
  await h.prisma.plan.update({ where: { id: plan.planId }, data: { publicLinks: false } });
  const key = randomBytes(50).toString('base64url');
  const check = (sub: string, uri: string) =>
    h.app.inject({
      method: 'GET',
      url: '/v1/edge/link-check',
      headers: { host: `${sub}.${INSTANCE_DOMAIN}`, 'x-forwarded-uri': uri },
    });
  const page = await check(subdomain, `/share/${key}`);
  assert.equal(page.statusCode, 403);
  assert.match(page.body, /Public links are not available for this library/);
  const api = await check(subdomain, `/api/shared-links/me?key=${key}`);
  assert.equal(api.statusCode, 403);
  assert.match(api.json<{ detail: string }>().detail, /plan does not include public links/);
  assert.equal((await check(subdomain, '/api/albums')).statusCode, 204, 'members use the app as before');
  assert.equal((await check(open.subdomain, `/share/${key}`)).statusCode, 204, 'a plan with links');
});
