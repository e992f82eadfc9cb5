// Fleet upgrades in waves (SPEC F3) end to end: five instances provisioned by the real saga, then upgraded by the
// fleet workflow against real Docker, Caddy, PostgreSQL and Temporal. A broken image halts the rollout at the
// canary, which is rolled back and keeps serving while the other four are not touched; a working image reaches
// all five in waves of 1, 2 and 2, after a pause and a resume. Every instance is backed up (restic, for real) just
// before its upgrade.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseRolloutPolicy } from '@photoplane/tenant-model';
import {
  FLEET_UPGRADE_PAUSE_SIGNAL,
  FLEET_UPGRADE_RESUME_SIGNAL,
  FLEET_UPGRADE_WORKFLOW,
  FLEET_UPGRADE_WORKFLOW_ID,
  type FleetUpgradeInput,
  type FleetUpgradeProgress,
} from '../src/contracts/fleet-upgrade.ts';
import { listManaged } from '../src/docker/index.ts';
import {
  answersThroughEdge,
  appUserEmails,
  client,
  docker,
  prisma,
  provisionedInstance,
  retaggedStandin,
  setUp,
  stack,
  taskQueue,
  tearDown,
  withBackupWorkers,
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

async function appContainer(instanceId: string) {
  const { containers } = await listManaged(docker, instanceId);
  const app = containers.find((c) => c.Labels['photoplane.role'] === 'app');
  assert.ok(app, 'the app container exists');
  return docker.getContainer(app.Id).inspect();
}

async function newUpgrade(appImage: string) {
  const policy = parseRolloutPolicy({});
  const row = await prisma.fleetUpgrade.create({
    data: { appImage, reason: 'test rollout', policy: { ...policy } },
  });
  const input: FleetUpgradeInput = { upgradeId: row.id, appImage, policy };
  return { id: row.id, input };
}

async function waitForState(upgradeId: string, state: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const row = await prisma.fleetUpgrade.findUniqueOrThrow({ where: { id: upgradeId } });
    if (row.state === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the rollout never became ${state}`);
}

test('a broken image halts the rollout at the canary, which is rolled back and serving; a working one reaches every instance in waves, with pause and resume', async () => {
  await withBackupWorkers(async () => {
    // Created one after another, so "oldest first" makes the first the canary.
    const instances = [];
    for (let i = 0; i < 5; i++) instances.push(await provisionedInstance());
    const before = new Map<string, string>();
    for (const i of instances) before.set(i.id, (await appContainer(i.id)).Id);

    // busybox has no /photo-app-standin: the stand-in's health check can never pass.
    const broken = await newUpgrade(stack.images.busybox);
    const halted = await client.workflow.execute<(i: FleetUpgradeInput) => Promise<FleetUpgradeProgress>>(
      FLEET_UPGRADE_WORKFLOW,
      { taskQueue, workflowId: FLEET_UPGRADE_WORKFLOW_ID, args: [broken.input], workflowExecutionTimeout: '5 minutes' },
    );
    assert.equal(halted.state, 'halted');
    assert.match(halted.reason ?? '', /wave 1: 1 of 1 failed/);
    assert.deepEqual(
      halted.waves.map((w) => w.instances.map((i) => [i.instanceId, i.status])),
      [
        [[instances[0]!.id, 'rolled-back']],
        [
          [instances[1]!.id, 'untouched'],
          [instances[2]!.id, 'untouched'],
        ],
        [
          [instances[3]!.id, 'untouched'],
          [instances[4]!.id, 'untouched'],
        ],
      ],
    );
    const canary = instances[0]!;
    assert.ok(await answersThroughEdge(canary.host), 'the canary serves again, from its previous image');
    const preUpgrade = (instanceId: string) =>
      prisma.instanceBackup.findMany({ where: { instanceId, trigger: 'pre-upgrade' }, orderBy: { startedAt: 'asc' } });
    const canaryBackups = await preUpgrade(canary.id);
    assert.deepEqual(
      canaryBackups.map((b) => b.status),
      ['succeeded'],
      'the canary was backed up before its upgrade',
    );
    assert.equal(halted.waves[0]!.instances[0]!.backupId, canaryBackups[0]!.id);
    for (const i of instances.slice(1)) assert.deepEqual(await preUpgrade(i.id), [], 'no backup for the untouched');
    assert.equal((await prisma.instance.findUniqueOrThrow({ where: { id: canary.id } })).imageRef, null);
    for (const i of instances.slice(1)) {
      assert.equal((await appContainer(i.id)).Id, before.get(i.id), `${i.subdomain}: the same container, untouched`);
      assert.ok(await answersThroughEdge(i.host));
    }
    const row = await prisma.fleetUpgrade.findUniqueOrThrow({ where: { id: broken.id } });
    assert.equal(row.state, 'halted');
    assert.ok(row.finishedAt);
    assert.deepEqual(row.waves, halted.waves, 'the record says what the workflow returned');
    const audit = await prisma.auditEvent.findMany({
      where: { targetType: 'fleet_upgrade', targetId: broken.id },
      orderBy: { at: 'asc' },
    });
    assert.deepEqual(
      audit.map((a) => a.action),
      ['fleet.upgrade.halted'],
    );

    // A working image, started paused: nothing moves until it is resumed.
    const image = await retaggedStandin();
    tags.push(image);
    const good = await newUpgrade(image);
    const handle = await client.workflow.signalWithStart<(i: FleetUpgradeInput) => Promise<FleetUpgradeProgress>, []>(
      FLEET_UPGRADE_WORKFLOW,
      {
        taskQueue,
        workflowId: FLEET_UPGRADE_WORKFLOW_ID,
        args: [good.input],
        signal: FLEET_UPGRADE_PAUSE_SIGNAL,
        signalArgs: [],
        workflowExecutionTimeout: '5 minutes',
      },
    );
    await waitForState(good.id, 'paused');
    for (const i of instances.slice(1)) assert.equal((await appContainer(i.id)).Id, before.get(i.id));
    await handle.signal(FLEET_UPGRADE_RESUME_SIGNAL);
    const done = await handle.result();
    assert.equal(done.state, 'completed');
    assert.deepEqual(
      done.waves.map((w) => w.instances.length),
      [1, 2, 2],
    );
    for (const i of instances) {
      const status = done.waves.flatMap((w) => w.instances).find((x) => x.instanceId === i.id)?.status;
      assert.equal(status, 'upgraded', i.subdomain);
      const app = await appContainer(i.id);
      assert.equal(app.Config.Image, image, `${i.subdomain} runs the new image`);
      assert.equal((await prisma.instance.findUniqueOrThrow({ where: { id: i.id } })).imageRef, image);
      assert.ok(await answersThroughEdge(i.host), `${i.subdomain} answers through the edge`);
      assert.deepEqual(await appUserEmails(i.id), [i.email], `${i.subdomain} keeps its data`);
      const backups = await preUpgrade(i.id);
      const last = backups.at(-1);
      assert.equal(last?.status, 'succeeded', `${i.subdomain} was backed up before its upgrade`);
      assert.equal(done.waves.flatMap((w) => w.instances).find((x) => x.instanceId === i.id)?.backupId, last?.id);
    }
    assert.deepEqual(
      (
        await prisma.auditEvent.findMany({
          where: { targetType: 'fleet_upgrade', targetId: good.id },
          orderBy: { at: 'asc' },
        })
      ).map((a) => a.action),
      ['fleet.upgrade.paused', 'fleet.upgrade.running', 'fleet.upgrade.completed'],
    );
  });
});
