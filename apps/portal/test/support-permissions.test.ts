// Least privilege and the audit of the support API (SPEC A5, A6), generated from the portal's own route table (its
// OpenAPI document), so a new support route cannot be missed: every route names its permission; every route ×
// {no credential, a member, a customer, support, superadmin} answers exactly as the tenant model's table allows;
// each staff call leaves exactly one audit row (actor, action, target, client address; a reason for changes), a
// refusal included; and the portal's database role cannot change or remove an audit row.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { accountRolePermissions, permissions, type Permission } from '@photoplane/tenant-model';
import { createPasswordService } from '../src/platform/password.service.ts';
import { call, instanceOwnedBy, signedInAccount, startHarness, unique, type Harness } from './members-harness.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
interface Route {
  method: Method;
  path: string;
  permission: Permission;
  hasBody: boolean;
}

let h: Harness;
let worker: StaffTestWorker;
let connection: Connection;
let routes: Route[];

before(async () => {
  worker = await startStaffTestWorker({ prisma: () => h.prisma });
  connection = await Connection.connect({ address: worker.temporalAddress });
  const client = new Client({ connection, namespace: worker.namespace });
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    support: {
      operations: worker.operations(client),
      // What support asks of a rollout is what is audited here; the rollout itself runs in support-cli.test.ts and
      // apps/provisioner/test/fleet-upgrade.test.ts. Asked, never run, it stays in flight for pause, resume, cancel.
      fleet: { start: async () => undefined, send: async () => undefined },
      backups: { client, taskQueue: worker.taskQueue },
    },
  });
  const doc = h.app.swagger() as {
    paths: Record<string, Record<string, { description?: string; requestBody?: unknown }>>;
  };
  routes = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/support/'))
    .flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, op]) => {
        const permission = /Needs the permission `([A-Za-z.]+)`/.exec(op.description ?? '')?.[1];
        assert.ok(permission, `${method.toUpperCase()} ${path} names the permission it needs`);
        assert.ok((permissions as string[]).includes(permission), `${permission} is in the tenant model`);
        return {
          method: method.toUpperCase() as Method,
          path,
          permission: permission as Permission,
          hasBody: !!op.requestBody,
        };
      }),
    );
});

after(async () => {
  await h?.close();
  await connection?.close();
  await worker?.stop();
});

const fill = (path: string, values: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? `no-such-${name}`));

const auditCount = () => h.prisma.auditEvent.count();

async function memberToken(): Promise<string> {
  const { instance, subdomain } = await instanceOwnedBy(h);
  const email = `${unique('m')}@example.com`;
  const password = `member password ${email}`;
  await h.prisma.member.create({
    data: {
      instanceId: instance.id,
      email,
      emailNormalized: email,
      name: 'Member',
      role: 'admin',
      status: 'active',
      passwordHash: await createPasswordService().hashPassword(password),
    },
  });
  const res = await call(h, 'POST', `/v1/instances/${subdomain}/auth/login`, undefined, { email, password });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ accessToken: string }>().accessToken;
}

test('every support route × every kind of caller: exactly the roles the permission table names get in; refusals are 403 naming the permission, audited', async () => {
  assert.ok(routes.length >= 25, `the route table has the support routes (${routes.length})`);
  const customer = await signedInAccount(h);
  const support = await signedInAccount(h, 'support');
  const superadmin = await signedInAccount(h, 'superadmin');
  const member = await memberToken();
  const callers = [
    { name: 'no credential', token: undefined, id: null },
    { name: 'member', token: member, id: null },
    { name: 'customer', token: customer.token, id: customer.account.id },
    { name: 'support', token: support.token, id: support.account.id },
    { name: 'superadmin', token: superadmin.token, id: superadmin.account.id },
  ] as const;

  for (const route of routes) {
    // Paths name nothing that exists: an allowed caller gets past the door and then 404/400, never 401/403.
    const url = fill(route.path, { user: 'nobody@example.com', email: 'nobody@example.com', id: randomUUID() });
    const allowed = new Set<string>();
    for (const caller of callers) {
      const before = await auditCount();
      const res = await call(h, route.method, url, caller.token, route.hasBody ? { reason: 'matrix' } : undefined);
      const label = `${route.method} ${route.path} as ${caller.name}: ${res.statusCode} ${res.body}`;
      if (caller.name === 'no credential' || caller.name === 'member') {
        assert.equal(res.statusCode, 401, label);
        assert.equal(await auditCount(), before, label);
        continue;
      }
      if (res.statusCode === 403) {
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', label);
        assert.equal(res.json<{ permission: string }>().permission, route.permission, label);
        const rows = await h.prisma.auditEvent.findMany({
          where: { actorId: caller.id },
          orderBy: { at: 'desc' },
          take: 1,
        });
        assert.equal(await auditCount(), before + 1, `one audit row for the refusal: ${label}`);
        assert.deepEqual(
          [rows[0]!.action, rows[0]!.targetId, rows[0]!.clientIp],
          ['support.denied', route.permission, '127.0.0.1'],
          label,
        );
      } else {
        assert.notEqual(res.statusCode, 401, label);
        allowed.add(caller.name);
        const added = (await auditCount()) - before;
        assert.equal(added, res.statusCode < 300 ? 1 : 0, `a staff call that answered is audited once: ${label}`);
      }
    }
    const expected = (['support', 'superadmin'] as const).filter((r) =>
      accountRolePermissions[r].has(route.permission),
    );
    assert.deepEqual([...allowed].sort(), [...expected].sort(), `${route.method} ${route.path} (${route.permission})`);
  }
});

test('each staff endpoint, called for real, leaves exactly one audit row: actor, action, target, address, and the reason of a change', async () => {
  const superadmin = await signedInAccount(h, 'superadmin');
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const memberEmail = `${unique('mem')}@example.com`;
  const added = await call(h, 'POST', `/v1/support/tenants/${subdomain}/users`, superadmin.token, {
    name: 'Audited',
    email: memberEmail,
    mode: 'password',
    reason: 'fixture',
  });
  assert.equal(added.statusCode, 201, added.body);
  const customer = await signedInAccount(h);
  const session = await h.prisma.session.findFirstOrThrow({ where: { accountId: customer.account.id } });
  const fresh = async (state: 'active' | 'suspended' | 'failed') => {
    const t = await instanceOwnedBy(h);
    await h.prisma.instance.update({ where: { id: t.instance.id }, data: { state } });
    return t.subdomain;
  };
  const staffEmail = `${unique('staff')}@example.com`;
  const newPassword = `a password staff chose ${unique('p')}`;
  h.secrets.add(newPassword);

  // Every route, in an order in which each succeeds; a route missing here fails the test.
  const plan: Record<string, () => Promise<{ values?: Record<string, string>; body?: object }>> = {
    'GET /v1/support/audit': async () => ({}),
    'GET /v1/support/tenants': async () => ({}),
    'GET /v1/support/usage': async () => ({}),
    'GET /v1/support/tenants/{subdomain}': async () => ({ values: { subdomain } }),
    'POST /v1/support/tenants/{subdomain}/suspend': async () => ({
      values: { subdomain: await fresh('active') },
      body: { reason: 'r' },
    }),
    'POST /v1/support/tenants/{subdomain}/resume': async () => ({
      values: { subdomain: await fresh('suspended') },
      body: { reason: 'r' },
    }),
    'POST /v1/support/tenants/{subdomain}/reprovision': async () => ({
      values: { subdomain: await fresh('failed') },
      body: { reason: 'r' },
    }),
    'DELETE /v1/support/tenants/{subdomain}': async () => ({
      values: { subdomain: await fresh('failed') },
      body: { reason: 'r' },
    }),
    'GET /v1/support/tenants/{subdomain}/users': async () => ({ values: { subdomain } }),
    'POST /v1/support/tenants/{subdomain}/users': async () => ({
      values: { subdomain },
      body: { name: 'Second', email: `${unique('s')}@example.com`, mode: 'invite', reason: 'r' },
    }),
    'GET /v1/support/tenants/{subdomain}/users/{user}': async () => ({ values: { subdomain, user: memberEmail } }),
    'PATCH /v1/support/tenants/{subdomain}/users/{user}': async () => ({
      values: { subdomain, user: memberEmail },
      body: { name: 'Renamed', reason: 'r' },
    }),
    'POST /v1/support/tenants/{subdomain}/users/{user}/password-reset': async () => ({
      values: { subdomain, user: memberEmail },
      body: { reason: 'r' },
    }),
    'DELETE /v1/support/tenants/{subdomain}/users/{user}/two-factor': async () => {
      const m = await h.prisma.member.findFirstOrThrow({ where: { instanceId: instance.id, email: memberEmail } });
      await h.prisma.memberTwoFactor.create({
        data: { instanceId: instance.id, memberId: m.id, secretCipher: 'v1.sealed', enabledAt: new Date() },
      });
      return { values: { subdomain, user: memberEmail }, body: { reason: 'r' } };
    },
    'PUT /v1/support/tenants/{subdomain}/users/{user}/password': async () => ({
      values: { subdomain, user: memberEmail },
      body: { password: newPassword, reason: 'r' },
    }),
    'GET /v1/support/logins': async () => ({}),
    'GET /v1/support/auth': async () => ({}),
    'POST /v1/support/auth': async () => ({
      body: { instance: subdomain, user: memberEmail, name: 'key', reason: 'r' },
    }),
    'GET /v1/support/auth/{id}': async () => ({ values: { id: session.id } }),
    'DELETE /v1/support/auth/{id}': async () => ({ values: { id: session.id }, body: { reason: 'r' } }),
    'POST /v1/support/auth/reset': async () => ({ body: { user: customer.account.email, reason: 'r' } }),
    'DELETE /v1/support/tenants/{subdomain}/users/{user}': async () => ({
      values: { subdomain, user: memberEmail },
      body: { reason: 'r' },
    }),
    'GET /v1/support/staff': async () => ({}),
    'POST /v1/support/staff': async () => ({ body: { email: staffEmail, role: 'support', reason: 'r' } }),
    'PUT /v1/support/staff/{email}/role': async () => ({
      values: { email: staffEmail },
      body: { role: 'superadmin', reason: 'r' },
    }),
    'DELETE /v1/support/staff/{email}': async () => ({ values: { email: staffEmail }, body: { reason: 'r' } }),
    'DELETE /v1/support/logins': async () => ({ body: { reason: 'r' } }),
    'GET /v1/support/tenants/{subdomain}/backups': async () => ({ values: { subdomain } }),
    'POST /v1/support/tenants/{subdomain}/backups': async () => ({
      values: { subdomain: await fresh('active') },
      body: { reason: 'r' },
    }),
    'POST /v1/support/tenants/{subdomain}/restore': async () => {
      const t = await instanceOwnedBy(h);
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      await h.prisma.instanceBackup.create({
        data: { id, instanceId: t.instance.id, trigger: 'scheduled', status: 'succeeded', finishedAt: new Date() },
      });
      return { values: { subdomain: t.subdomain }, body: { snapshot: id, target: 'inspection', reason: 'r' } };
    },
    'GET /v1/support/tenants/{subdomain}/inspections': async () => ({ values: { subdomain } }),
    'DELETE /v1/support/tenants/{subdomain}/inspections/{id}': async () => {
      const t = await instanceOwnedBy(h);
      const r = await h.prisma.instanceRestore.create({
        data: {
          instanceId: t.instance.id,
          backupId: 'abcdefabcdef',
          target: 'inspection',
          status: 'succeeded',
          finishedAt: new Date(),
          inspectionInstanceId: `${t.instance.id}-inspect`,
          appHostPort: 40001,
        },
      });
      return { values: { subdomain: t.subdomain, id: r.id }, body: { reason: 'r' } };
    },
    'POST /v1/support/link-blocks': async () => ({
      body: { url: `https://${subdomain}.photos.test/share/${randomUUID().replace(/-/g, '')}`, reason: 'r' },
    }),
    'GET /v1/support/link-blocks': async () => ({}),
    'POST /v1/support/link-blocks/{id}/lift': async () => ({
      values: { id: (await h.prisma.sharedLinkBlock.findFirstOrThrow({ where: { liftedAt: null } })).id },
      body: { reason: 'r' },
    }),
    'POST /v1/support/fleet/upgrades': async () => ({
      body: { image: 'ghcr.io/immich-app/immich-server:v9.9.9', reason: 'r' },
    }),
    'GET /v1/support/fleet/upgrades': async () => ({}),
    'GET /v1/support/fleet/upgrades/{id}': async () => ({
      values: { id: (await h.prisma.fleetUpgrade.findFirstOrThrow()).id },
    }),
    'POST /v1/support/fleet/upgrades/{id}/pause': async () => ({
      values: { id: (await h.prisma.fleetUpgrade.findFirstOrThrow()).id },
      body: { reason: 'r' },
    }),
    'POST /v1/support/fleet/upgrades/{id}/resume': async () => ({
      values: { id: (await h.prisma.fleetUpgrade.findFirstOrThrow()).id },
      body: { reason: 'r' },
    }),
    'POST /v1/support/fleet/upgrades/{id}/cancel': async () => ({
      values: { id: (await h.prisma.fleetUpgrade.findFirstOrThrow()).id },
      body: { reason: 'r' },
    }),
  };
  assert.deepEqual(
    routes.map((r) => `${r.method} ${r.path}`).sort(),
    Object.keys(plan).sort(),
    'every support route is exercised here',
  );
  for (const [key, prepare] of Object.entries(plan)) {
    const route = routes.find((r) => `${r.method} ${r.path}` === key)!;
    const { values = {}, body } = await prepare();
    const before = new Date();
    // The staff member's own rows: the workflows a call starts write theirs (e.g. the subscription workflow's hold)
    // when they run, which may fall in the next call's window.
    const staffRows = () => h.prisma.auditEvent.count({ where: { actorId: superadmin.account.id } });
    const count = await staffRows();
    const res = await call(h, route.method, fill(route.path, values), superadmin.token, body);
    assert.ok(res.statusCode < 300, `${key}: ${res.statusCode} ${res.body}`);
    if (res.headers['content-type']?.toString().includes('json')) {
      for (const secret of ['password', 'secret', 'totpSecret'])
        if (typeof res.json<Record<string, unknown>>()[secret] === 'string')
          h.secrets.add(res.json<Record<string, string>>()[secret]!);
    }
    assert.equal((await staffRows()) - count, 1, `${key}: exactly one audit row`);
    const row = await h.prisma.auditEvent.findFirstOrThrow({
      where: { at: { gte: before }, actorId: superadmin.account.id },
      orderBy: { at: 'desc' },
    });
    assert.equal(row.actorId, superadmin.account.id, key);
    assert.equal(row.actorLabel, superadmin.account.email, key);
    assert.equal(row.clientIp, '127.0.0.1', key);
    assert.ok(row.action && row.targetType, key);
    assert.equal(row.reason, route.method === 'GET' ? null : 'r', `${key}: a change carries its reason`);
  }
});

test("the audit log is append-only at the database: the portal's role cannot change or remove a row", async () => {
  const row = await h.prisma.auditEvent.create({
    data: { actorType: 'system', action: 'test.row', targetType: 'test', at: new Date() },
  });
  await assert.rejects(
    h.prisma.auditEvent.update({ where: { id: row.id }, data: { reason: 'rewritten' } }),
    /append-only/,
  );
  await assert.rejects(h.prisma.auditEvent.delete({ where: { id: row.id } }), /append-only/);
  await assert.rejects(h.prisma.$executeRawUnsafe('TRUNCATE audit_event'), /append-only/);
  assert.equal((await h.prisma.auditEvent.findUniqueOrThrow({ where: { id: row.id } })).reason, null);
});
