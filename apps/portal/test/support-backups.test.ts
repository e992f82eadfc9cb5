// The support API's backups (SPEC F1) over the real PostgreSQL, with the backup and restore workflows started on the
// real Temporal dev server (stubs that record the call; the real ones run against Docker and restic in
// apps/provisioner/test/backup-restore.test.ts): who may do what, input refused naming the field, audit rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { backupWorkflowId, restoreWorkflowId } from '@photoplane/provisioner/contracts';
import { instanceLifecycleWorkflowId } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import { call, instanceOwnedBy, signedInAccount, startHarness, type Harness } from './members-harness.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';

let h: Harness;
let worker: StaffTestWorker;
let connection: Connection;

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
});

after(async () => {
  await h?.close();
  await connection?.close();
  await worker?.stop();
});

const S = '/v1/support/tenants';

interface Problem {
  status: number;
  errors?: { field: string }[];
}

test('backups are listed newest first with the last integrity check; customers are refused', async () => {
  const support = await signedInAccount(h, 'support');
  const customer = await signedInAccount(h);
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const older = new Date(Date.now() - 86_400_000);
  await h.prisma.instanceBackup.createMany({
    data: [
      {
        id: 'aaaaaaaaaaaa',
        instanceId: instance.id,
        trigger: 'scheduled',
        status: 'succeeded',
        startedAt: older,
        finishedAt: older,
        bytesProcessed: 1234n,
        bytesAdded: 1000n,
      },
      { id: 'bbbbbbbbbbbb', instanceId: instance.id, trigger: 'on-demand', status: 'failed', error: 'dump failed' },
    ],
  });
  await h.prisma.backupCheck.create({ data: { instanceId: instance.id, ok: false, errors: 'pack x damaged' } });

  assert.equal((await call(h, 'GET', `${S}/${subdomain}/backups`, customer.token)).statusCode, 403);
  const res = await call(h, 'GET', `${S}/${subdomain}/backups`, support.token);
  assert.equal(res.statusCode, 200, res.body);
  const list = res.json<{
    backups: { id: string; status: string; bytesProcessed: string | null; error: string | null }[];
    lastCheck: { ok: boolean; errors: string } | null;
  }>();
  assert.deepEqual(
    list.backups.map((b) => [b.id, b.status, b.bytesProcessed, b.error]),
    [
      ['bbbbbbbbbbbb', 'failed', null, 'dump failed'],
      ['aaaaaaaaaaaa', 'succeeded', '1234', null],
    ],
  );
  assert.equal(list.lastCheck?.ok, false);
  assert.equal(list.lastCheck?.errors, 'pack x damaged');
  assert.equal((await call(h, 'GET', `${S}/nope-${Date.now()}/backups`, support.token)).statusCode, 404);
});

test('back up now: starts the backup workflow with the staff member and reason, audited; a reason is required', async () => {
  const support = await signedInAccount(h, 'support');
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });

  const noReason = await call(h, 'POST', `${S}/${subdomain}/backups`, support.token, {});
  assert.equal(noReason.statusCode, 400);
  // The schema names the body's field (body.reason); the service's own checks name it plainly.
  assert.deepEqual(
    noReason.json<Problem>().errors?.map((e) => e.field),
    ['body.reason'],
  );

  const res = await call(h, 'POST', `${S}/${subdomain}/backups`, support.token, { reason: 'before a risky change' });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json<{ workflowId: string }>().workflowId, backupWorkflowId(instance.id));
  const ran = await worker.waitForCall(backupWorkflowId(instance.id));
  assert.equal(ran.workflow, 'backupInstanceWorkflow');
  assert.deepEqual(ran.input, {
    instanceId: instance.id,
    trigger: 'on-demand',
    actorId: support.account.id,
    reason: 'before a risky change',
  });
  const audit = await h.prisma.auditEvent.findFirst({ where: { instanceId: instance.id, action: 'tenant.backup' } });
  assert.equal(audit?.actorLabel, support.account.email);
  assert.equal(audit?.reason, 'before a risky change');
});

test('restore: the snapshot must be one of the instance`s backups (400 naming it); in place is for superadmins; inspection for support', async () => {
  const support = await signedInAccount(h, 'support');
  const superadmin = await signedInAccount(h, 'superadmin');
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const other = await instanceOwnedBy(h, { planGib: 10 });
  await h.prisma.instanceBackup.createMany({
    data: [
      {
        id: 'cccccccccccc',
        instanceId: instance.id,
        trigger: 'scheduled',
        status: 'succeeded',
        finishedAt: new Date(),
      },
      { id: 'dddddddddddd', instanceId: other.instance.id, trigger: 'scheduled', status: 'succeeded' },
    ],
  });
  const restore = (token: string, body: object) => call(h, 'POST', `${S}/${subdomain}/restore`, token, body);

  for (const body of [
    { snapshot: 'xyz', reason: 'r' },
    { snapshot: 'dddddddddddd', reason: 'another tenant`s backup' },
    { snapshot: 'eeeeeeeeeeee', reason: 'no such backup' },
  ]) {
    const res = await restore(superadmin.token, body);
    assert.equal(res.statusCode, 400, res.body);
    const fields = res.json<Problem>().errors?.map((e) => e.field) ?? [];
    assert.equal(fields.length, 1, JSON.stringify(body));
    assert.match(fields[0]!, /^(body\.)?snapshot$/, JSON.stringify(body));
  }
  const unknownField = await restore(superadmin.token, { snapshot: 'cccccccccccc', reason: 'r', force: true });
  assert.equal(unknownField.statusCode, 400);

  const denied = await restore(support.token, { snapshot: 'cccccccccccc', reason: 'customer asked' });
  assert.equal(denied.statusCode, 403, 'support may not overwrite an instance');
  assert.equal(
    await h.prisma.auditEvent.count({ where: { actorId: support.account.id, action: 'support.denied' } }),
    1,
  );

  const inspect = await restore(support.token, {
    snapshot: 'cccccccccccc',
    target: 'inspection',
    reason: 'customer wants to see last week',
  });
  assert.equal(inspect.statusCode, 202, inspect.body);
  const ranInspect = await worker.waitForCall(restoreWorkflowId(instance.id));
  assert.deepEqual(ranInspect.input, {
    instanceId: instance.id,
    backupId: 'cccccccccccc',
    target: 'inspection',
    actorId: support.account.id,
    reason: 'customer wants to see last week',
  });

  const inPlace = await restore(superadmin.token, { snapshot: 'CCCCCCCCCCCC', reason: 'ransomware, ticket 7' });
  assert.equal(inPlace.statusCode, 202, inPlace.body);
  const ranInPlace = await worker.waitForCall(instanceLifecycleWorkflowId(instance.id));
  assert.equal(ranInPlace.workflow, 'restoreInstanceWorkflow');
  assert.equal((ranInPlace.input as { target: string }).target, 'in-place');
  const audits = await h.prisma.auditEvent.findMany({ where: { instanceId: instance.id, action: 'tenant.restore' } });
  assert.equal(audits.length, 2);

  // Nothing is restored beside an instance being deprovisioned: refused with its state, nothing audited or started.
  await h.prisma.instance.update({ where: { id: instance.id }, data: { state: 'deprovisioning' } });
  try {
    const leaving = await restore(support.token, { snapshot: 'cccccccccccc', target: 'inspection', reason: 'late' });
    assert.equal(leaving.statusCode, 409, leaving.body);
    assert.match(leaving.json<{ detail: string }>().detail, /deprovisioning/);
    assert.equal(await h.prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'tenant.restore' } }), 2);
  } finally {
    await h.prisma.instance.update({ where: { id: instance.id }, data: { state: 'active' } });
  }
});

test('while an in-place restore runs, staff and the owner see it: tenants show and the dashboard view say since when', async () => {
  const { subdomain, instance, owner } = await instanceOwnedBy(h);
  const staff = await signedInAccount(h, 'support');
  const restoring = async () => {
    const shown = await call(h, 'GET', `${S}/${subdomain}`, staff.token);
    assert.equal(shown.statusCode, 200, shown.body);
    const view = await call(h, 'GET', '/v1/subscription', owner.token);
    assert.equal(view.statusCode, 200, view.body);
    return [
      shown.json<{ restoring: unknown }>().restoring,
      view.json<{ instance: { restoringSince: string | null } }>().instance.restoringSince,
    ];
  };
  assert.deepEqual(await restoring(), [null, null]);
  const startedAt = new Date('2026-12-01T21:00:00.000Z');
  const row = await h.prisma.instanceRestore.create({
    data: { instanceId: instance.id, backupId: '0123456789ab', target: 'in-place', status: 'running', startedAt },
  });
  // An inspection restore leaves the instance running: it is not "restoring".
  await h.prisma.instanceRestore.create({
    data: { instanceId: instance.id, backupId: '0123456789ab', target: 'inspection', status: 'running' },
  });
  assert.deepEqual(await restoring(), [
    { since: startedAt.toISOString(), snapshot: '0123456789ab' },
    startedAt.toISOString(),
  ]);
  await h.prisma.instanceRestore.update({
    where: { id: row.id },
    data: { status: 'succeeded', finishedAt: new Date() },
  });
  assert.deepEqual(await restoring(), [null, null]);
});

test('inspection stacks: listed with state and address; rm starts the removal under the restore`s id, audited; a second rm, an unknown id, a running restore are refused (problem+json)', async () => {
  const support = await signedInAccount(h, 'support');
  const customer = await signedInAccount(h);
  const { subdomain, instance } = await instanceOwnedBy(h, { planGib: 10 });
  const other = await instanceOwnedBy(h, { planGib: 10 });
  const stackId = `${instance.id}-inspect`;
  const at = (min: number) => new Date(Date.UTC(2026, 11, 1, 20, min));
  const replaced = await h.prisma.instanceRestore.create({
    data: {
      instanceId: instance.id,
      backupId: '111111111111',
      target: 'inspection',
      status: 'succeeded',
      startedAt: at(0),
      finishedAt: at(1),
      removedAt: at(10),
      inspectionInstanceId: stackId,
      appHostPort: 40100,
      reason: 'first look',
    },
  });
  const ready = await h.prisma.instanceRestore.create({
    data: {
      instanceId: instance.id,
      backupId: '222222222222',
      target: 'inspection',
      status: 'succeeded',
      startedAt: at(10),
      finishedAt: at(12),
      inspectionInstanceId: stackId,
      appHostPort: 40200,
      reason: 'customer wants last week',
    },
  });
  // An in-place restore is not an inspection; another tenant's inspection is not this tenant's.
  await h.prisma.instanceRestore.create({
    data: { instanceId: instance.id, backupId: '222222222222', target: 'in-place', status: 'succeeded' },
  });
  const foreign = await h.prisma.instanceRestore.create({
    data: {
      instanceId: other.instance.id,
      backupId: '333333333333',
      target: 'inspection',
      status: 'succeeded',
      inspectionInstanceId: `${other.instance.id}-inspect`,
      appHostPort: 40300,
    },
  });
  const url = `${S}/${subdomain}/inspections`;

  assert.equal((await call(h, 'GET', url, customer.token)).statusCode, 403);
  const listed = await call(h, 'GET', url, support.token);
  assert.equal(listed.statusCode, 200, listed.body);
  const list = listed.json<{
    inspections: { id: string; state: string; stackId: string; address: string | null; removedAt: string | null }[];
  }>();
  assert.deepEqual(
    list.inspections.map((i) => [i.id, i.state, i.stackId, i.address, i.removedAt]),
    [
      [ready.id, 'ready', stackId, '127.0.0.1:40200', null],
      [replaced.id, 'removed', stackId, null, at(10).toISOString()],
    ],
  );

  const rm = (id: string, body: object = { reason: 'customer found the photo' }, sub = subdomain) =>
    call(h, 'DELETE', `${S}/${sub}/inspections/${id}`, support.token, body);
  const noReason = await rm(ready.id, {});
  assert.equal(noReason.statusCode, 400);
  assert.deepEqual(
    noReason.json<Problem>().errors?.map((e) => e.field),
    ['body.reason'],
  );
  for (const id of [foreign.id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
    const res = await rm(id);
    assert.equal(res.statusCode, 404, `${id}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  const gone = await rm(replaced.id);
  assert.equal(gone.statusCode, 409, gone.body);
  assert.match(gone.json<{ detail: string }>().detail, /already removed/);

  const res = await rm(ready.id);
  assert.equal(res.statusCode, 202, res.body);
  assert.deepEqual(res.json(), {
    subdomain,
    id: ready.id,
    stackId,
    workflowId: restoreWorkflowId(instance.id),
  });
  const ran = await worker.waitForCall(restoreWorkflowId(instance.id));
  assert.equal(ran.workflow, 'removeInspectionStackWorkflow');
  assert.deepEqual(ran.input, {
    instanceId: instance.id,
    restoreId: ready.id,
    actorId: support.account.id,
    reason: 'customer found the photo',
  });
  const audit = await h.prisma.auditEvent.findMany({
    where: { instanceId: instance.id, action: 'tenant.inspection.remove' },
  });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]?.actorLabel, support.account.email);
  assert.equal(audit[0]?.reason, 'customer found the photo');
  assert.deepEqual(audit[0]?.details, { subdomain, restoreId: ready.id, stackId });

  // The double click: the row is claimed, so a second rm is refused whether or not the first has run.
  const again = await rm(ready.id);
  assert.equal(again.statusCode, 409, again.body);
  assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.match(again.json<{ detail: string }>().detail, /being removed/);
  const shown = await call(h, 'GET', url, support.token);
  assert.equal(shown.json<{ inspections: { state: string }[] }>().inspections[0]?.state, 'removing');
  assert.equal(
    await h.prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'tenant.inspection.remove' } }),
    1,
    'a refused rm changes nothing',
  );

  // A restore still filling the stack cannot be removed yet.
  const running = await h.prisma.instanceRestore.create({
    data: {
      instanceId: other.instance.id,
      backupId: '444444444444',
      target: 'inspection',
      status: 'running',
      inspectionInstanceId: `${other.instance.id}-inspect`,
    },
  });
  const busy = await rm(running.id, { reason: 'r' }, other.subdomain);
  assert.equal(busy.statusCode, 409, busy.body);
  assert.match(busy.json<{ detail: string }>().detail, /still running/);
});
