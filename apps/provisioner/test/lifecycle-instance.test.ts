// Suspend, resume, deprovision, upgrade and reprovision (SPEC V3) end to end: each test provisions an instance
// with the real saga, then acts on it through its workflow, against real Docker, Caddy, PostgreSQL and Temporal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { HostActivities } from '../src/activities/index.ts';
import { listManaged, removeInstanceStack } from '../src/docker/index.ts';
import {
  INSTANCE_OPERATION_FAILED,
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  UPGRADE_ROLLED_BACK,
  workflowNames,
  type InstanceOperationInput,
  type InstanceOperationResult,
  type ReprovisionInstanceResult,
  type ResumeInstanceResult,
  type UpgradeInstanceInput,
  type UpgradeInstanceResult,
} from '../src/contracts/index.ts';
import {
  adminApp,
  answersThroughEdge,
  appUserEmails,
  docker,
  execute,
  prisma,
  provisionedInstance,
  retaggedStandin,
  routeOf,
  setUp,
  stack,
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

const suspend = (instanceId: string) =>
  execute<InstanceOperationInput, InstanceOperationResult>(
    workflowNames.suspendInstance,
    instanceLifecycleWorkflowId(instanceId),
    { instanceId },
  );
const resume = (instanceId: string) =>
  execute<InstanceOperationInput, ResumeInstanceResult>(
    workflowNames.resumeInstance,
    instanceLifecycleWorkflowId(instanceId),
    { instanceId },
  );
const deprovision = (instanceId: string) =>
  execute<InstanceOperationInput, InstanceOperationResult>(
    workflowNames.deprovisionInstance,
    instanceLifecycleWorkflowId(instanceId),
    { instanceId },
  );
const upgrade = (instanceId: string, appImage: string) =>
  execute<UpgradeInstanceInput, UpgradeInstanceResult>(
    workflowNames.upgradeInstance,
    instanceLifecycleWorkflowId(instanceId),
    { instanceId, appImage },
  );
const reprovision = (instanceId: string) =>
  execute<InstanceOperationInput, ReprovisionInstanceResult>(
    workflowNames.reprovisionInstance,
    provisionInstanceWorkflowId(instanceId),
    { instanceId },
  );

async function containerStates(instanceId: string): Promise<Record<string, string>> {
  const { containers } = await listManaged(docker, instanceId);
  return Object.fromEntries(containers.map((c) => [c.Labels['photoplane.role'] ?? '?', c.State]));
}

async function appContainer(instanceId: string) {
  const { containers } = await listManaged(docker, instanceId);
  const app = containers.find((c) => c.Labels['photoplane.role'] === 'app');
  assert.ok(app, 'the app container exists');
  return docker.getContainer(app.Id).inspect();
}

test('suspend unroutes the subdomain and stops the containers, keeping them and their volumes; resume brings it back on its new port with its data', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    assert.ok(await answersThroughEdge(instance.host));

    assert.deepEqual(await suspend(instance.id), { instanceId: instance.id, outcome: 'done' });
    let row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'suspended');
    assert.equal(row.appHostPort, null);
    assert.deepEqual(await containerStates(instance.id), { db: 'exited', cache: 'exited', app: 'exited' });
    const managed = await listManaged(docker, instance.id);
    assert.equal(managed.volumes.length, 2, 'library and database volumes are kept');
    assert.equal(await routeOf(instance.id), undefined);
    assert.equal(await answersThroughEdge(instance.host), false, 'the subdomain no longer answers');

    // Asking again is not an error and changes nothing.
    assert.deepEqual(await suspend(instance.id), { instanceId: instance.id, outcome: 'already-done' });

    const resumed = await resume(instance.id);
    assert.equal(resumed.outcome, 'done');
    row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'active');
    assert.equal(row.lastError, null);
    assert.deepEqual(await containerStates(instance.id), { db: 'running', cache: 'running', app: 'running' });
    const port = Number((await appContainer(instance.id)).NetworkSettings.Ports['2283/tcp']?.[0]?.HostPort);
    assert.equal(row.appHostPort, port, 'the stored port is the one the restarted app publishes');
    assert.equal(resumed.appHostPort, port);
    assert.equal((await routeOf(instance.id))?.upstream, `127.0.0.1:${port}`);
    assert.ok(await answersThroughEdge(instance.host), 'the subdomain answers again');
    assert.deepEqual(await appUserEmails(instance.id), [instance.email], 'the owner is still there');

    assert.deepEqual(await resume(instance.id), {
      instanceId: instance.id,
      outcome: 'already-done',
      appHostPort: null,
    });
  });
});

test('deprovision removes every container, network, volume and route of a suspended instance and marks it deprovisioned', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await suspend(instance.id);

    assert.deepEqual(await deprovision(instance.id), { instanceId: instance.id, outcome: 'done' });
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'deprovisioned');
    assert.equal(row.dockerHostId, null, 'the placement is cleared');
    assert.equal(row.appHostPort, null);
    assert.equal(row.photoAppApiKeyCipher, null, 'the key to an app that is gone is forgotten');
    const managed = await listManaged(docker, instance.id);
    assert.deepEqual(
      { containers: managed.containers.length, networks: managed.networks.length, volumes: managed.volumes.length },
      { containers: 0, networks: 0, volumes: 0 },
    );
    assert.equal(await routeOf(instance.id), undefined);

    assert.deepEqual(await deprovision(instance.id), { instanceId: instance.id, outcome: 'already-done' });
  });
});

test('an operation the instance state does not allow fails for good and changes nothing', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await suspend(instance.id);
    await assert.rejects(reprovision(instance.id), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.match(describe(e), /'reprovision_started' is not allowed in state 'suspended'/);
      return true;
    });
    await assert.rejects(upgrade(instance.id, stack.images.photoAppStandin), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.match(describe(e), /an upgrade needs an active instance, not 'suspended'/);
      return true;
    });
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'suspended');
    assert.equal(row.lastError, null);
    assert.deepEqual(await containerStates(instance.id), { db: 'exited', cache: 'exited', app: 'exited' });
  });
});

test('an upgrade to an image that never becomes healthy rolls back: the app keeps serving from its old image, imageRef unchanged', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    // busybox has no /photo-app-standin: the stand-in health check can never pass.
    await assert.rejects(upgrade(instance.id, stack.images.busybox), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.equal((e.cause as { type?: string } | undefined)?.type, UPGRADE_ROLLED_BACK);
      return true;
    });
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'active');
    assert.equal(row.imageRef, null, 'still the default image');
    assert.match(row.lastError ?? '', /upgrade to .*rolled back/);
    const app = await appContainer(instance.id);
    assert.equal(app.Config.Image, stack.images.photoAppStandin);
    assert.equal(app.State.Health?.Status, 'healthy');
    assert.equal(row.appHostPort, Number(app.NetworkSettings.Ports['2283/tcp']?.[0]?.HostPort));
    assert.ok(await answersThroughEdge(instance.host), 'the instance keeps serving');
    assert.deepEqual(await appUserEmails(instance.id), [instance.email]);
  });
});

test('an upgrade to an image the host does not have is refused before the running app is touched', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const before = await appContainer(instance.id);
    await assert.rejects(upgrade(instance.id, `photoplane-test/no-such-image:${stack.runId}`), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.match(describe(e), /is not on this Docker Engine/);
      return true;
    });
    const after = await appContainer(instance.id);
    assert.equal(after.Id, before.Id, 'the same container, never stopped');
    assert.equal(after.State.StartedAt, before.State.StartedAt);
    assert.ok(await answersThroughEdge(instance.host));
  });
});

test('an upgrade to a working image replaces the app container, keeps the data, re-routes and records imageRef', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const image = await retaggedStandin();
    tags.push(image);
    const before = await appContainer(instance.id);

    const result = await upgrade(instance.id, image);
    assert.equal(result.appImage, image);
    assert.equal(result.previousImage, null);
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.imageRef, image);
    assert.equal(row.appHostPort, result.appHostPort);
    const app = await appContainer(instance.id);
    assert.notEqual(app.Id, before.Id, 'a new container');
    assert.equal(app.Config.Image, image);
    assert.equal((await routeOf(instance.id))?.upstream, `127.0.0.1:${result.appHostPort}`);
    assert.ok(await answersThroughEdge(instance.host));
    // A new container over the same library volume: the owner the stand-in stored there is still known.
    assert.deepEqual(await appUserEmails(instance.id), [instance.email]);
  });
});

test('reprovision rebuilds the containers of an instance from its spec and image over its kept data', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    const before = await listManaged(docker, instance.id);
    // A hand-made mess reprovisioning must clear: the app is gone.
    await docker.getContainer((await appContainer(instance.id)).Id).remove({ force: true });

    const result = await reprovision(instance.id);
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'active');
    assert.equal(row.appHostPort, result.appHostPort);
    const after = await listManaged(docker, instance.id);
    assert.equal(after.containers.length, 3);
    for (const c of after.containers) {
      assert.equal(c.State, 'running');
      assert.ok(!before.containers.some((b) => b.Id === c.Id), 'every container is new');
    }
    assert.deepEqual(after.volumes.map((v) => v.Name).sort(), before.volumes.map((v) => v.Name).sort());
    assert.ok(await answersThroughEdge(instance.host));
    assert.deepEqual(await appUserEmails(instance.id), [instance.email], 'the owner and their key survived');
  });
});

test('reprovision of an instance whose data is gone registers the owner again and makes the fresh photo app trust Photoplane', async () => {
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await removeInstanceStack(docker, instance.id, { keepVolumes: false });

    await reprovision(instance.id);
    assert.deepEqual(await appUserEmails(instance.id), [instance.email], "the owner is the new app's admin");
    const config = await (await adminApp(instance.id)).getConfig();
    assert.equal(config.oauth?.enabled, true);
    assert.equal(config.oauth?.clientId, instance.id);
    assert.equal(config.passwordLogin?.enabled, false);
    assert.equal(config.storageTemplate?.enabled, true);
    assert.ok(await answersThroughEdge(instance.host));
  });
});

test('a resume that fails leaves the instance failed with the reason and unrouted; reprovision brings it back', async () => {
  let failStack = false;
  const injected = (real: HostActivities): Partial<HostActivities> => ({
    ensureInstanceStack: async (input) => {
      if (failStack)
        throw ApplicationFailure.nonRetryable('injected failure in ensureInstanceStack', 'InjectedFailure');
      return real.ensureInstanceStack(input);
    },
  });
  await withWorkers(async () => {
    const instance = await provisionedInstance();
    await suspend(instance.id);
    failStack = true;
    await assert.rejects(resume(instance.id), (e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.equal((e.cause as { type?: string } | undefined)?.type, INSTANCE_OPERATION_FAILED);
      return true;
    });
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(row.state, 'failed');
    assert.equal(row.lastError, 'resume: injected failure in ensureInstanceStack');
    assert.equal(await routeOf(instance.id), undefined);

    failStack = false;
    await reprovision(instance.id);
    const back = await prisma.instance.findUniqueOrThrow({ where: { id: instance.id } });
    assert.equal(back.state, 'active');
    assert.equal(back.lastError, null);
    assert.ok(await answersThroughEdge(instance.host));
    assert.deepEqual(await appUserEmails(instance.id), [instance.email]);
  }, injected);
});

/** The innermost message of a workflow failure. */
function describe(err: unknown): string {
  let cur: unknown = err;
  while (cur instanceof Error && cur.cause instanceof Error) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}
