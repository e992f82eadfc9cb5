// Reconciliation (SPEC V4) end to end: instances provisioned by the real saga are damaged by hand through the
// Docker API, and reconcileInstancesWorkflow has to find each problem, repair it and report it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { HostActivities } from '../src/activities/index.ts';
import { backupWorkflowNames, type RestoreInstanceInput } from '../src/contracts/backups.ts';
import { listManaged } from '../src/docker/index.ts';
import {
  instanceLifecycleWorkflowId,
  photoAppConfigWorkflowId,
  photoAppConfigWorkflowName,
  type ApplyPhotoAppConfigInput,
  type ApplyPhotoAppConfigResult,
  reconcileInstancesWorkflowId,
  workflowNames,
  type InstanceOperationInput,
  type InstanceOperationResult,
  type ReconcileInstancesInput,
  type ReconcileReport,
} from '../src/contracts/index.ts';
import {
  answersThroughEdge,
  appUserEmails,
  adminApp,
  client,
  docker,
  execute,
  hostName,
  prisma,
  provisionedInstance,
  retaggedStandin,
  routeOf,
  setUp,
  taskQueue,
  tearDown,
  withWorkers,
} from './harness.ts';

const tags: string[] = [];

before(setUp);
after(async () => {
  for (const ref of tags)
    await docker
      .getImage(ref)
      .remove()
      .catch(() => undefined);
  await tearDown();
});

const reconcile = () =>
  execute<ReconcileInstancesInput, ReconcileReport>(
    workflowNames.reconcileInstances,
    reconcileInstancesWorkflowId(hostName),
    { hostName },
  );

async function containersByRole(instanceId: string) {
  const { containers } = await listManaged(docker, instanceId);
  return Object.fromEntries(containers.map((c) => [c.Labels['photoplane.role'] ?? '?', c]));
}

/** The repairs of one instance, without the detail text, in a stable order. */
function repairsOf(report: ReconcileReport, instanceId: string) {
  return report.repaired
    .filter((r) => r.instanceId === instanceId)
    .map(({ subject, problem, action }) => ({ subject, problem, action }))
    .sort((a, b) => a.subject.localeCompare(b.subject));
}

test('reconcile recreates an app container removed by hand and starts a stopped database, and reports both', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const damaged = await containersByRole(instance.id);
    await docker.getContainer(damaged.app!.Id).remove({ force: true });
    await docker.getContainer(damaged.db!.Id).stop();

    const report = await reconcile();
    assert.deepEqual(report.failed, []);
    assert.deepEqual(repairsOf(report, instance.id), [
      { subject: 'app', problem: 'missing', action: 'recreated' },
      { subject: 'db', problem: 'stopped', action: 'started' },
      // The new app container publishes a new port, so the edge had to follow.
      { subject: 'route', problem: 'route-stale', action: 'routed' },
    ]);

    const now = await containersByRole(instance.id);
    for (const role of ['db', 'cache', 'app']) assert.equal(now[role]?.State, 'running', `${role} runs`);
    const port = Number(now.app?.Ports.find((p) => p.IP === '127.0.0.1')?.PublicPort);
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.appHostPort, port);
    assert.equal((await routeOf(instance.id))?.upstream, `127.0.0.1:${port}`);
    assert.ok(await answersThroughEdge(instance.host));
    assert.deepEqual(await appUserEmails(instance.id), [instance.email], 'the recreated app found its volume');
    // The run's drift is recorded for /metrics (SPEC F2): the newest run of this host, repairs by subject.
    const run = await prisma.reconcileRun.findFirstOrThrow({ where: { hostName }, orderBy: { finishedAt: 'desc' } });
    assert.equal(run.checked, report.checked);
    assert.equal(run.failed, 0);
    assert.deepEqual(run.drift, { app: 1, db: 1, route: 1 });
  });
});

test('reconcile recreates a container whose image is not the one the instance should run', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const image = await retaggedStandin();
    tags.push(image);
    // As if an upgrade had been recorded but the host still ran the old container.
    await prisma.instance.update({ where: { id: instance.id }, data: { imageRef: image } });

    const report = await reconcile();
    assert.deepEqual(report.failed, []);
    const drift = report.repaired.find((r) => r.instanceId === instance.id && r.subject === 'app');
    assert.equal(drift?.problem, 'drifted');
    assert.equal(drift?.action, 'recreated');
    assert.match(drift?.detail ?? '', new RegExp(`image: .*, expected ${image}`));
    const app = await docker.getContainer((await containersByRole(instance.id)).app!.Id).inspect();
    assert.equal(app.Config.Image, image);
    assert.ok(await answersThroughEdge(instance.host));
  });
});

test('reconcile stops the containers of a suspended instance that were started again', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await execute<InstanceOperationInput, InstanceOperationResult>(
      workflowNames.suspendInstance,
      instanceLifecycleWorkflowId(instance.id),
      { instanceId: instance.id },
    );
    await docker.getContainer((await containersByRole(instance.id)).app!.Id).start();

    const report = await reconcile();
    assert.deepEqual(report.failed, []);
    assert.deepEqual(repairsOf(report, instance.id), [
      { subject: 'app', problem: 'running-while-suspended', action: 'stopped' },
    ]);
    assert.equal((await containersByRole(instance.id)).app?.State, 'exited');
    assert.equal((await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } })).state, 'suspended');
  });
});

test('reconcile leaves an instance alone while an in-place restore runs on it (skipped, with why), and repairs the same drift once the restore ended', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    // Mid-restore the app container is gone (the restore removes it and recreates it from the spec afterwards).
    await docker.getContainer((await containersByRole(instance.id)).app!.Id).remove({ force: true });
    const restore = await prisma.instanceRestore.create({
      data: { instanceId: instance.id, backupId: '0123456789ab', target: 'in-place', status: 'running' },
    });
    // An inspection restore beside another instance does not stop reconcile from repairing that one.
    const other = await provisionedInstance();
    await prisma.instanceRestore.create({
      data: { instanceId: other.id, backupId: '0123456789ab', target: 'inspection', status: 'running' },
    });
    await docker.getContainer((await containersByRole(other.id)).app!.Id).remove({ force: true });

    const during = await reconcile();
    const reason = `restore in place running since ${restore.startedAt.toISOString()}`;
    assert.deepEqual(
      during.skipped.filter((s) => s.instanceId === instance.id),
      [{ instanceId: instance.id, reason }],
    );
    assert.deepEqual(repairsOf(during, instance.id), [], 'nothing of the restoring instance was touched');
    assert.ok(!during.failed.some((f) => f.instanceId === instance.id));
    assert.equal((await containersByRole(instance.id)).app, undefined, 'its app container was not recreated');
    assert.equal(repairsOf(during, other.id)[0]?.subject, 'app', 'the other instance was repaired');
    const run = await prisma.reconcileRun.findFirstOrThrow({ where: { hostName }, orderBy: { finishedAt: 'desc' } });
    assert.ok(
      (run.skipped as { instanceId: string; reason: string }[]).some(
        (s) => s.instanceId === instance.id && s.reason === reason,
      ),
      'the run record says which instance was skipped and why',
    );
    assert.equal(run.checked, during.checked);

    await prisma.instanceRestore.update({
      where: { id: restore.id },
      data: { status: 'failed', finishedAt: new Date(), error: 'test' },
    });
    const afterwards = await reconcile();
    assert.deepEqual(
      afterwards.skipped.filter((s) => s.instanceId === instance.id),
      [],
    );
    assert.deepEqual(
      repairsOf(afterwards, instance.id).filter((r) => r.subject === 'app'),
      [{ subject: 'app', problem: 'missing', action: 'recreated' }],
    );
    assert.equal((await containersByRole(instance.id)).app?.State, 'running');
    assert.ok(await answersThroughEdge(instance.host));
  });
});

test('a restore whose workflow was terminated by hand is closed as failed (audited) by the next reconcile, which then repairs the instance', async () => {
  // The restore's Docker step never ends on its own (heartbeating until cancelled), as a stuck restore would.
  const stuckRestore = () =>
    ({
      restoreInstanceData: async () => {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(500);
        }
      },
    }) as unknown as Partial<HostActivities>;
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const backupId = randomBytes(6).toString('hex');
    await prisma.instanceBackup.create({
      data: {
        id: backupId,
        instanceId: instance.id,
        trigger: 'on-demand',
        status: 'succeeded',
        finishedAt: new Date(),
      },
    });
    const handle = await client.workflow.start<(i: RestoreInstanceInput) => Promise<unknown>>(
      backupWorkflowNames.restoreInstance,
      {
        taskQueue,
        workflowId: instanceLifecycleWorkflowId(instance.id),
        args: [{ instanceId: instance.id, backupId, target: 'in-place', reason: 'test: a restore that gets stuck' }],
      },
    );
    let row = null;
    for (let i = 0; i < 100 && !row; i++) {
      row = await prisma.instanceRestore.findFirst({ where: { instanceId: instance.id, status: 'running' } });
      if (!row) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(row, 'the restore began');
    assert.equal(row.workflowId, handle.workflowId);
    assert.equal(row.workflowRunId, handle.firstExecutionRunId);
    // Older than the bound, so Temporal is asked; its workflow still runs: the instance is still left alone.
    const startedAt = new Date(Date.now() - 10 * 60_000);
    await prisma.instanceRestore.update({ where: { id: row.id }, data: { startedAt } });
    const reason = `restore in place running since ${startedAt.toISOString()}`;
    const during = await reconcile();
    assert.deepEqual(
      during.skipped.filter((s) => s.instanceId === instance.id),
      [{ instanceId: instance.id, reason }],
    );
    assert.equal((await prisma.instanceRestore.findUniqueOrThrow({ where: { id: row.id } })).status, 'running');

    // Terminated by hand: its finishRestore never runs. The app is gone as a restore midway leaves it.
    await handle.terminate('stuck: terminated by hand');
    await docker.getContainer((await containersByRole(instance.id)).app!.Id).remove({ force: true });
    const afterwards = await reconcile();
    assert.deepEqual(
      afterwards.skipped.filter((s) => s.instanceId === instance.id),
      [],
      'no longer skipped',
    );
    assert.deepEqual(
      repairsOf(afterwards, instance.id).filter((r) => r.subject === 'app'),
      [{ subject: 'app', problem: 'missing', action: 'recreated' }],
    );
    assert.equal((await containersByRole(instance.id)).app?.State, 'running');
    assert.ok(await answersThroughEdge(instance.host));
    const closed = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: row.id } });
    assert.equal(closed.status, 'failed');
    assert.ok(closed.finishedAt);
    assert.match(closed.error ?? '', /ended TERMINATED without finishing the restore/);
    const audits = await prisma.auditEvent.findMany({ where: { instanceId: instance.id, action: 'restore.failed' } });
    assert.equal(audits.length, 1, 'one audit row');
    assert.deepEqual(
      { actorType: audits[0]!.actorType, restoreId: (audits[0]!.details as { restoreId?: string }).restoreId },
      { actorType: 'system', restoreId: row.id },
    );
    assert.match(
      (await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } })).lastError ?? '',
      /ended TERMINATED/,
    );
    // A later reconcile finds nothing more to close.
    await reconcile();
    assert.equal(await prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'restore.failed' } }), 1);
  }, stuckRestore);
});

test('reconcile leaves healthy instances alone and reports nothing repaired', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const before = await containersByRole(instance.id);

    const report = await reconcile();
    const instances = await prisma.instance.count({ where: { state: { in: ['active', 'suspended'] } } });
    assert.deepEqual(report, { checked: instances, repaired: [], failed: [], skipped: [] });
    const now = await containersByRole(instance.id);
    for (const role of ['db', 'cache', 'app']) assert.equal(now[role]?.Id, before[role]?.Id);
    assert.ok(await answersThroughEdge(instance.host));
  });
});

test('reconcile puts back the photo-app settings the owner changed (password login, storage template, OAuth, delete delay, external domain) and audits it', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const admin = await adminApp(instance.id);
    const good = await admin.getConfig();
    // What an owner can do in the photo app's admin screens.
    await admin.updateConfig({
      ...good,
      passwordLogin: { ...good.passwordLogin, enabled: true },
      storageTemplate: { ...good.storageTemplate, enabled: false },
      oauth: { ...good.oauth, autoRegister: false, issuerUrl: 'https://elsewhere.example.com' },
      user: { ...good.user, deleteDelay: 30 },
      server: { ...good.server, externalDomain: 'https://my-own.example.com' },
    });
    // And the instance's own delay changed in Photoplane meanwhile: the photo app must follow it.
    await prisma.instance.update({ where: { id: instance.id }, data: { deletionDelayDays: 3 } });

    const report = await reconcile();
    assert.deepEqual(report.failed, []);
    const repair = report.repaired.find((r) => r.instanceId === instance.id && r.subject === 'photo-app-config');
    const fields = [
      'oauth.issuerUrl',
      'oauth.autoRegister',
      'oauth.accountManagementUrl',
      'passwordLogin.enabled',
      'storageTemplate.enabled',
      'user.deleteDelay',
      'server.externalDomain',
    ];
    assert.equal(repair?.problem, 'config-drifted');
    assert.equal(repair?.action, 'reasserted');
    // accountManagementUrl did not change; the others did.
    assert.deepEqual(
      repair?.detail?.split(', '),
      fields.filter((f) => f !== 'oauth.accountManagementUrl'),
    );

    const now = await admin.getConfig();
    assert.equal(now.passwordLogin?.enabled, false);
    assert.equal(now.storageTemplate?.enabled, true);
    assert.equal(now.oauth?.autoRegister, true);
    assert.equal(now.oauth?.issuerUrl, good.oauth?.issuerUrl);
    assert.equal(now.user?.deleteDelay, 3);
    assert.equal(now.server?.externalDomain, good.server?.externalDomain);
    // What the owner set that the control plane does not rely on is theirs.
    assert.deepEqual(now.trash, good.trash);

    const audits = await prisma.auditEvent.findMany({
      where: { instanceId: instance.id, action: 'photo_app.config_reasserted' },
    });
    assert.equal(audits.length, 1);
    assert.equal(audits[0]?.actorType, 'system');
    assert.deepEqual((audits[0]?.details as { fields: string[] }).fields, repair?.detail?.split(', '));

    // Put right: the next run finds nothing and records nothing.
    const again = await reconcile();
    assert.ok(!again.repaired.some((r) => r.instanceId === instance.id));
    assert.equal(
      await prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'photo_app.config_reasserted' } }),
      1,
    );
  });
});

test('a changed deletion delay reaches the photo app at once through applyPhotoAppConfigWorkflow', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await prisma.instance.update({ where: { id: instance.id }, data: { deletionDelayDays: 0 } });
    const result = await execute<ApplyPhotoAppConfigInput, ApplyPhotoAppConfigResult>(
      photoAppConfigWorkflowName,
      photoAppConfigWorkflowId(instance.id),
      { instanceId: instance.id },
    );
    assert.deepEqual(result, { instanceId: instance.id, outcome: 'applied', changed: ['user.deleteDelay'], passes: 1 });
    // Immich refuses less than a day; its own purge must never come before Photoplane's.
    assert.equal((await (await adminApp(instance.id)).getConfig()).user?.deleteDelay, 1);
    // The portal audits the settings change itself; this is not a correction.
    assert.equal(
      await prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'photo_app.config_reasserted' } }),
      0,
    );
  });
});
