// Reconciliation (SPEC V4) end to end: instances provisioned by the real saga are damaged by hand through the
// Docker API, and reconcileInstancesWorkflow has to find each problem, repair it and report it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listManaged } from '../src/docker/index.ts';
import {
  instanceLifecycleWorkflowId,
  reconcileInstancesWorkflowId,
  workflowNames,
  type InstanceOperationInput,
  type InstanceOperationResult,
  type ReconcileInstancesInput,
  type ReconcileReport,
} from '../src/shared.ts';
import {
  answersThroughEdge,
  appUserEmails,
  docker,
  execute,
  hostName,
  prisma,
  provisionedInstance,
  retaggedStandin,
  routeOf,
  setUp,
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

test('reconcile leaves healthy instances alone and reports nothing repaired', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const before = await containersByRole(instance.id);

    const report = await reconcile();
    const instances = await prisma.instance.count({ where: { state: { in: ['active', 'suspended'] } } });
    assert.deepEqual(report, { checked: instances, repaired: [], failed: [] });
    const now = await containersByRole(instance.id);
    for (const role of ['db', 'cache', 'app']) assert.equal(now[role]?.Id, before[role]?.Id);
    assert.ok(await answersThroughEdge(instance.host));
  });
});
