// The support API (SPEC A1-A5) over the real PostgreSQL, with tenant operations started as real workflows on the
// real Temporal dev server (stub workflows that record the call, see support/staff-test-workflows.ts): staff only,
// every change needs a reason and leaves an audit row with the actor's e-mail, nothing is half-applied.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { instanceLifecycleWorkflowId, provisionInstanceWorkflowId } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import { call, instanceOwnedBy, signedInAccount, startHarness, unique, type Harness } from './members-harness.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';

let h: Harness;
let worker: StaffTestWorker;
let connection: Connection;
/** While true, the portal's signals to Temporal fail as if the server were down (the outbox test below). */
let temporalDown = false;

before(async () => {
  worker = await startStaffTestWorker({ prisma: () => h.prisma });
  connection = await Connection.connect({ address: worker.temporalAddress });
  const client = new Client({ connection, namespace: worker.namespace });
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    support: {
      operations: {
        start(operation, instanceId, requestId) {
          if (temporalDown) return Promise.reject(new Error('Temporal is unavailable (test)'));
          return worker.operations(client).start(operation, instanceId, requestId);
        },
      },
      fleet: worker.fleet(client),
    },
  });
});

after(async () => {
  await h?.close();
  await connection?.close();
  await worker?.stop();
});

interface Problem {
  status: number;
  code?: string;
  errors?: { field: string }[];
}

const S = '/v1/support';

test('the support area is for staff: no token 401, a customer 403, support and superadmin 200', async () => {
  const customer = await signedInAccount(h);
  const support = await signedInAccount(h, 'support');
  const superadmin = await signedInAccount(h, 'superadmin');
  assert.equal((await call(h, 'GET', `${S}/tenants`)).statusCode, 401);
  for (const url of [`${S}/tenants`, `${S}/audit`, `${S}/logins`, `${S}/auth`, `${S}/usage`]) {
    const res = await call(h, 'GET', url, customer.token);
    assert.equal(res.statusCode, 403, `${url}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  assert.equal((await call(h, 'GET', `${S}/tenants`, support.token)).statusCode, 200);
  assert.equal((await call(h, 'GET', `${S}/tenants`, superadmin.token)).statusCode, 200);
});

test('tenants: search by subdomain or owner e-mail, filter by state; show has owner, plan, host step, members, usage', async () => {
  const support = await signedInAccount(h, 'support');
  const { owner, subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  await h.prisma.instance.update({ where: { id: instance.id }, data: { provisioningStep: 'activate' } });
  const added = await call(h, 'POST', `${S}/tenants/${subdomain}/users`, support.token, {
    name: 'Quota Holder',
    email: `${unique('q')}@example.com`,
    mode: 'password',
    quotaGiB: 3,
    reason: 'customer asked by phone, ticket 42',
  });
  assert.equal(added.statusCode, 201, added.body);

  const bySub = await call(h, 'GET', `${S}/tenants?search=${subdomain}`, support.token);
  assert.deepEqual(
    bySub.json<{ tenants: { subdomain: string }[] }>().tenants.map((t) => t.subdomain),
    [subdomain],
  );
  const byOwner = await call(h, 'GET', `${S}/tenants?search=${owner.account.email.toUpperCase()}`, support.token);
  assert.deepEqual(
    byOwner.json<{ tenants: { owner: string }[] }>().tenants.map((t) => t.owner),
    [owner.account.email],
  );
  const suspendedOnly = await call(h, 'GET', `${S}/tenants?state=suspended&search=${subdomain}`, support.token);
  assert.deepEqual(suspendedOnly.json<{ tenants: unknown[] }>().tenants, []);
  const badState = await call(h, 'GET', `${S}/tenants?state=sleeping`, support.token);
  assert.equal(badState.statusCode, 400);

  const show = await call(h, 'GET', `${S}/tenants/${subdomain}`, support.token);
  assert.equal(show.statusCode, 200, show.body);
  const detail = show.json<{
    owner: string;
    plan: string;
    state: string;
    subscriptionState: string;
    provisioningStep: string;
    members: number;
    usage: { planBytes: string; allocatedBytes: string; usedBytes: string; members: number };
  }>();
  assert.equal(detail.owner, owner.account.email);
  assert.equal(detail.plan, 'plan-10');
  assert.equal(detail.state, 'active');
  assert.equal(detail.subscriptionState, 'active');
  assert.equal(detail.provisioningStep, 'activate');
  // The owner's member row is made the first time the owner administers the instance (member.service.ts).
  assert.equal(detail.members, 1, 'the member support added');
  assert.equal(detail.usage.planBytes, String(10n * 1024n ** 3n));
  assert.equal(detail.usage.allocatedBytes, String(3n * 1024n ** 3n));
  assert.equal(detail.usage.usedBytes, '0');

  const usage = await call(h, 'GET', `${S}/usage?search=${subdomain}`, support.token);
  assert.deepEqual(usage.json<{ instances: { subdomain: string; allocatedBytes: string }[] }>().instances, [
    { ...detail.usage, subdomain },
  ]);
  assert.equal((await call(h, 'GET', `${S}/tenants/no-such-${unique('x')}`, support.token)).statusCode, 404);
});

test('suspend needs a reason; with one it starts the lifecycle workflow and the audit says who, what and why', async () => {
  const support = await signedInAccount(h, 'support');
  const { subdomain, instance } = await instanceOwnedBy(h);
  const refused = await call(h, 'POST', `${S}/tenants/${subdomain}/suspend`, support.token, {});
  assert.equal(refused.statusCode, 400);
  assert.deepEqual(
    refused.json<Problem>().errors?.map((e) => e.field),
    ['body.reason'],
  );
  const blank = await call(h, 'POST', `${S}/tenants/${subdomain}/suspend`, support.token, { reason: '   ' });
  assert.equal(blank.statusCode, 400);
  assert.deepEqual(
    blank.json<Problem>().errors?.map((e) => e.field),
    ['reason'],
  );
  assert.equal(await h.prisma.auditEvent.count({ where: { instanceId: instance.id } }), 0);

  const res = await call(h, 'POST', `${S}/tenants/${subdomain}/suspend`, support.token, {
    reason: 'abuse report #7',
  });
  assert.equal(res.statusCode, 202, res.body);
  const workflowId = instanceLifecycleWorkflowId(instance.id);
  assert.equal(res.json<{ workflowId: string }>().workflowId, workflowId);
  const ran = await worker.waitForCall(workflowId);
  assert.equal(ran.workflow, 'suspendInstanceWorkflow');
  assert.deepEqual(ran.input, { instanceId: instance.id });

  const log = await call(h, 'GET', `${S}/audit?instance=${subdomain}`, support.token);
  assert.equal(log.statusCode, 200, log.body);
  const [event, ...rest] = log.json<{
    events: { actorId: string; actor: string; action: string; targetId: string; reason: string; at: string }[];
  }>().events;
  assert.equal(rest.length, 0);
  assert.equal(event!.actorId, support.account.id);
  assert.equal(event!.actor, support.account.email);
  assert.equal(event!.action, 'tenant.suspend');
  assert.equal(event!.targetId, instance.id);
  assert.equal(event!.reason, 'abuse report #7');
  const byActor = await call(h, 'GET', `${S}/audit?actor=${support.account.email}`, support.token);
  assert.deepEqual(
    byActor.json<{ events: { action: string; clientIp: string }[] }>().events.map((e) => [e.action, e.clientIp]),
    [
      ['audit.list', '127.0.0.1'],
      ['tenant.suspend', '127.0.0.1'],
    ],
    'reads are audited too, each with the address it came from',
  );
  const future = new Date(Date.now() + 60_000).toISOString();
  const since = await call(h, 'GET', `${S}/audit?instance=${subdomain}&since=${future}`, support.token);
  assert.deepEqual(since.json<{ events: unknown[] }>().events, []);
});

test('an operation asked while Temporal is down is kept, and sent once when it is back', async () => {
  const support = await signedInAccount(h, 'support');
  const { subdomain, instance } = await instanceOwnedBy(h);
  const workflowId = instanceLifecycleWorkflowId(instance.id);
  const undone = () =>
    h.prisma.outboxMessage.findMany({ where: { key: `subscription:${instance.subscriptionId}`, doneAt: null } });
  temporalDown = true;
  try {
    const res = await call(h, 'POST', `${S}/tenants/${subdomain}/suspend`, support.token, { reason: 'outage drill' });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json<{ workflowId: string }>().workflowId, workflowId);
    const audit = await h.prisma.auditEvent.findMany({ where: { instanceId: instance.id, action: 'tenant.suspend' } });
    assert.equal(audit.length, 1, 'the audit row is committed although Temporal refused');
    // The dispatcher tried (nudged at once) and kept the message, with the cause, for a retry. A try counts from
    // its claim, and its cause is written when it fails: wait for the cause.
    const deadline = Date.now() + 10_000;
    while (!(await undone()).some((m) => m.attempts > 0 && m.lastError) && Date.now() < deadline) await sleep(50);
    const [kept, ...others] = await undone();
    assert.equal(others.length, 0);
    assert.ok(kept && kept.attempts > 0, 'the message was tried and is still waiting');
    assert.match(kept.lastError ?? '', /Temporal is unavailable/);
    assert.ok(!worker.calls.some((c) => c.workflowId === workflowId), 'nothing reached the workflow');
  } finally {
    temporalDown = false;
  }
  assert.equal((await worker.waitForCall(workflowId, 30_000)).workflow, 'suspendInstanceWorkflow');
  const deadline = Date.now() + 10_000;
  while ((await undone()).length > 0 && Date.now() < deadline) await sleep(50);
  assert.deepEqual(await undone(), [], 'the message is done');
  await sleep(500);
  assert.equal(worker.calls.filter((c) => c.workflowId === workflowId).length, 1, 'sent once');
});

test('resume, reprovision and rm start their workflows; rm is for superadmin only; illegal states are refused', async () => {
  const support = await signedInAccount(h, 'support');
  const superadmin = await signedInAccount(h, 'superadmin');
  const suspended = await instanceOwnedBy(h);
  await h.prisma.instance.update({ where: { id: suspended.instance.id }, data: { state: 'suspended' } });
  const resume = await call(h, 'POST', `${S}/tenants/${suspended.subdomain}/resume`, support.token, { reason: 'paid' });
  assert.equal(resume.statusCode, 202, resume.body);
  assert.equal(
    (await worker.waitForCall(instanceLifecycleWorkflowId(suspended.instance.id))).workflow,
    'resumeInstanceWorkflow',
  );

  const failed = await instanceOwnedBy(h);
  await h.prisma.instance.update({ where: { id: failed.instance.id }, data: { state: 'failed' } });
  const re = await call(h, 'POST', `${S}/tenants/${failed.subdomain}/reprovision`, support.token, { reason: 'drift' });
  assert.equal(re.statusCode, 202, re.body);
  assert.equal(
    (await worker.waitForCall(provisionInstanceWorkflowId(failed.instance.id))).workflow,
    'reprovisionInstanceWorkflow',
  );

  const bySupport = await call(h, 'DELETE', `${S}/tenants/${failed.subdomain}`, support.token, { reason: 'gone' });
  assert.equal(bySupport.statusCode, 403, bySupport.body);
  const rm = await call(h, 'DELETE', `${S}/tenants/${failed.subdomain}`, superadmin.token, { reason: 'closed' });
  assert.equal(rm.statusCode, 202, rm.body);
  const removed = await worker.waitForCall(instanceLifecycleWorkflowId(failed.instance.id));
  assert.equal(removed.workflow, 'deprovisionInstanceWorkflow');

  const pending = await instanceOwnedBy(h);
  await h.prisma.instance.update({ where: { id: pending.instance.id }, data: { state: 'pending' } });
  const illegal = await call(h, 'POST', `${S}/tenants/${pending.subdomain}/suspend`, support.token, { reason: 'x' });
  assert.equal(illegal.statusCode, 409, illegal.body);
  assert.equal(illegal.json<Problem>().code, 'illegal_transition');
  assert.equal(await h.prisma.auditEvent.count({ where: { instanceId: pending.instance.id } }), 0, 'no audit row');
  assert.ok(!worker.calls.some((c) => c.workflowId === instanceLifecycleWorkflowId(pending.instance.id)));
});

test("users: staff add, modify, reset and remove members with a reason, through the member service's rules", async () => {
  const support = await signedInAccount(h, 'support');
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 5 });
  const users = `${S}/tenants/${subdomain}/users`;
  const email = `${unique('u')}@example.com`;
  const noReason = await call(h, 'POST', users, support.token, { name: 'Ann', email, mode: 'password' });
  assert.equal(noReason.statusCode, 400);
  assert.equal(await h.prisma.member.count({ where: { instanceId: instance.id, emailNormalized: email } }), 0);

  const overPlan = await call(h, 'POST', users, support.token, {
    name: 'Ann',
    email,
    mode: 'password',
    quotaGiB: 6,
    reason: 'onboarding',
  });
  assert.equal(overPlan.statusCode, 422, 'the roll-up rule of the member service applies');

  const added = await call(h, 'POST', users, support.token, {
    name: 'Ann',
    email,
    mode: 'password',
    role: 'viewer',
    reason: 'onboarding',
  });
  assert.equal(added.statusCode, 201, added.body);
  const { member, password } = added.json<{ member: { id: string; role: string }; password: string }>();
  h.secrets.add(password);
  assert.equal(member.role, 'viewer');

  const byEmail = await call(h, 'GET', `${users}/${email.toUpperCase()}`, support.token);
  assert.equal(byEmail.json<{ id: string }>().id, member.id);
  const mod = await call(h, 'PATCH', `${users}/${member.id}`, support.token, {
    role: 'admin',
    storageLabel: 'ann',
    noLogin: true,
    reason: 'promoted at the owner’s request',
  });
  assert.equal(mod.statusCode, 200, mod.body);
  assert.deepEqual(
    (({ role, storageLabel, noLogin }) => ({ role, storageLabel, noLogin }))(
      mod.json<{ role: string; storageLabel: string; noLogin: boolean }>(),
    ),
    { role: 'admin', storageLabel: 'ann', noLogin: true },
  );
  const reset = await call(h, 'POST', `${users}/${email}/password-reset`, support.token, { reason: 'locked out' });
  assert.equal(reset.statusCode, 200, reset.body);
  h.secrets.add(reset.json<{ password: string }>().password);

  const passwd = await call(h, 'PUT', `${users}/${email}/password`, support.token, {
    password: 'short',
    reason: 'asked',
  });
  assert.equal(passwd.statusCode, 400);

  const rm = await call(h, 'DELETE', `${users}/${member.id}`, support.token, { reason: 'left the family' });
  assert.equal(rm.statusCode, 200, rm.body);
  assert.equal(rm.json<{ status: string }>().status, 'pending_deletion');

  const events = await h.prisma.auditEvent.findMany({
    where: { instanceId: instance.id, targetId: member.id },
    orderBy: { at: 'asc' },
  });
  assert.deepEqual(
    events.map((e) => [e.action, e.reason, e.actorLabel]),
    [
      ['member.create', 'onboarding', support.account.email],
      ['member.show', null, support.account.email],
      ['member.update', 'promoted at the owner’s request', support.account.email],
      ['member.password_reset', 'locked out', support.account.email],
      ['member.delete', 'left the family', support.account.email],
    ],
  );

  // A member of another instance reads exactly like nobody.
  const other = await instanceOwnedBy(h);
  const otherMember = await call(h, 'POST', `${S}/tenants/${other.subdomain}/users`, support.token, {
    name: 'Bo',
    email: `${unique('bo')}@example.com`,
    mode: 'invite',
    reason: 'setup',
  });
  const otherId = otherMember.json<{ member: { id: string } }>().member.id;
  const foreign = await call(h, 'GET', `${users}/${otherId}`, support.token);
  const random = await call(h, 'GET', `${users}/${randomUUID()}`, support.token);
  assert.equal(foreign.statusCode, 404);
  assert.equal(foreign.body.replace(otherId, 'X'), random.body.replace(/[0-9a-f-]{36}/, 'X'));
});

test('logins and sessions: the history shows failures and successes; rm revokes one session, reset all of a user', async () => {
  const support = await signedInAccount(h, 'support');
  const user = await signedInAccount(h);
  const ip = '203.0.113.9';
  const bad = await h.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.account.email, password: 'wrong password entirely' },
    remoteAddress: ip,
  });
  assert.equal(bad.statusCode, 401);

  const logins = await call(h, 'GET', `${S}/logins?search=${user.account.email}`, support.token);
  assert.equal(logins.statusCode, 200, logins.body);
  const rows = logins.json<{ logins: { clientIp: string; status: string; realm: string; failedAt: string | null }[] }>()
    .logins;
  const failedRow = rows.find((r) => r.clientIp === ip);
  assert.equal(failedRow?.status, 'failed');
  assert.equal(failedRow?.realm, 'portal');
  assert.ok(failedRow?.failedAt);
  assert.ok(
    rows.some((r) => r.status === 'succeeded'),
    'the sign-in signedInAccount made',
  );

  const creds = await call(h, 'GET', `${S}/auth?search=${user.account.email}`, support.token);
  const sessions = creds.json<{ credentials: { id: string; kind: string; status: string }[] }>().credentials;
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.status, 'live');
  assert.equal((await call(h, 'GET', '/v1/me', user.token)).statusCode, 200);
  const rm = await call(h, 'DELETE', `${S}/auth/${sessions[0]!.id}`, support.token, { reason: 'stolen laptop' });
  assert.equal(rm.statusCode, 200, rm.body);
  assert.equal(rm.json<{ status: string }>().status, 'revoked');
  assert.equal((await call(h, 'GET', '/v1/me', user.token)).statusCode, 401, 'the revoked token is dead');

  const reset = await call(h, 'POST', `${S}/auth/reset`, support.token, {
    user: support.account.email,
    reason: 'rotate my own sign-ins',
  });
  assert.equal(reset.json<{ sessions: number }>().sessions, 1);
  assert.equal((await call(h, 'GET', `${S}/tenants`, support.token)).statusCode, 401);

  const again = await signedInAccount(h, 'support');
  const notSupport = await call(h, 'DELETE', `${S}/logins`, again.token, { reason: 'GDPR request' });
  assert.equal(notSupport.statusCode, 403, 'clearing the history is superadmin-only');
  assert.match(notSupport.json<{ detail: string }>().detail, /logins\.clear/);
  const superadmin = await signedInAccount(h, 'superadmin');
  const cleared = await call(h, 'DELETE', `${S}/logins`, superadmin.token, { reason: 'GDPR request' });
  assert.equal(cleared.statusCode, 200, cleared.body);
  assert.ok(cleared.json<{ deleted: number }>().deleted >= 2);
  assert.equal(await h.prisma.loginAttempt.count(), 0);
  const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { action: 'logins.clear' } });
  assert.equal(audit.reason, 'GDPR request');
  assert.equal(audit.actorLabel, superadmin.account.email);
});
