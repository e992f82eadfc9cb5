// Backups and restores (SPEC F1) end to end: a provisioned stand-in instance, photos uploaded through its photo app,
// backed up with restic by the real workflows (dump inside the app container, library volume through Docker's
// archive API), deleted, restored in place and into an inspection stack; a damaged repository found by the check;
// one tenant's key refused by another tenant's repository.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { after, before, test } from 'node:test';
import { waitFor } from '../../../infra/src/process.ts';
import { createRestic, RESTIC_WRONG_PASSWORD, ResticError } from '../src/backup/restic.ts';
import {
  backupWorkflowId,
  backupWorkflowNames,
  inspectionInstanceId,
  inspectionRemovalWorkflowId,
  restoreWorkflowId,
  type BackupInstanceInput,
  type RemoveInspectionStackInput,
  type RemoveInspectionStackResult,
  type BackupInstanceResult,
  type CheckBackupsInput,
  type CheckBackupsResult,
  type RestoreInstanceInput,
  type RestoreInstanceResult,
} from '../src/contracts/backups.ts';
import { listManaged, removeInstanceStack } from '../src/docker/index.ts';
import {
  instanceLifecycleWorkflowId,
  workflowNames,
  type InstanceOperationInput,
  type InstanceOperationResult,
} from '../src/contracts/index.ts';
import {
  adminApp,
  answersThroughEdge,
  docker,
  execute,
  photoApp,
  prisma,
  provisionedInstance,
  secrets,
  setUp,
  stack,
  client,
  taskQueue,
  tearDown,
  withBackupWorkers,
  withSecondHost,
} from './harness.ts';

const restic = createRestic({ binary: stack.backups.restic, repositoryRoot: stack.backups.repositoryRoot });
const inspections: string[] = [];

before(setUp);
after(async () => {
  for (const id of inspections) await removeInstanceStack(docker, id).catch(() => undefined);
  await tearDown();
});

const backup = (instanceId: string) =>
  execute<BackupInstanceInput, BackupInstanceResult>(backupWorkflowNames.backupInstance, backupWorkflowId(instanceId), {
    instanceId,
    trigger: 'on-demand',
    reason: 'test',
  });
const restore = (instanceId: string, backupId: string, target: 'in-place' | 'inspection') =>
  execute<RestoreInstanceInput, RestoreInstanceResult>(
    backupWorkflowNames.restoreInstance,
    target === 'in-place' ? instanceLifecycleWorkflowId(instanceId) : restoreWorkflowId(instanceId),
    { instanceId, backupId, target, reason: 'test' },
  );

const sha1 = (b: Buffer | Uint8Array) => createHash('sha1').update(b).digest('hex');

interface Photo {
  id: string;
  sha1: string;
}

/** An instance with one member who signs in with a password and uploads photos the way Immich's clients do. */
async function instanceWithMember() {
  const inst = await provisionedInstance();
  const row = await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } });
  const baseUrl = () => `http://127.0.0.1:${row.appHostPort}`;
  const admin = await adminApp(inst.id);
  // Members sign in through the portal's OpenID provider in production; here the admin turns password login on.
  const config = await admin.getConfig();
  await admin.updateConfig({ ...config, passwordLogin: { ...config.passwordLogin, enabled: true } });
  const email = `member-${randomBytes(3).toString('hex')}@example.org`;
  const password = randomBytes(12).toString('base64url');
  const user = await admin.createUser({
    email,
    name: 'Member',
    password,
    quotaBytes: null,
    shouldChangePassword: false,
  });
  return { ...inst, baseUrl, admin, member: { email, password, id: user.id } };
}

async function login(baseUrl: string, email: string, password: string): Promise<string> {
  return (await photoApp(baseUrl).login({ email, password })).accessToken;
}

async function upload(baseUrl: string, token: string, bytes: number): Promise<Photo> {
  const content = randomBytes(bytes);
  const form = new FormData();
  form.set('deviceAssetId', `backup-${randomBytes(6).toString('hex')}`);
  form.set('deviceId', 'photoplane-test');
  form.set('fileCreatedAt', new Date().toISOString());
  form.set('fileModifiedAt', new Date().toISOString());
  form.set('assetData', new Blob([content], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${baseUrl}/api/assets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await res.json()) as { id: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  return { id: body.id, sha1: sha1(content) };
}

/** Immich (and the stand-in) answer 400 "not found or no access" for an asset that is not there. */
const NOT_THERE = 400;

/** The photo's original as the photo app serves it: its sha1, or the HTTP status when it is not there. */
async function download(baseUrl: string, token: string, id: string): Promise<string | number> {
  const res = await fetch(`${baseUrl}/api/assets/${id}/original`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await res.arrayBuffer());
  return res.status === 200 ? sha1(body) : res.status;
}

async function deleteForever(baseUrl: string, token: string, ids: string[]): Promise<void> {
  const res = await fetch(`${baseUrl}/api/assets`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ids, force: true }),
  });
  assert.equal(res.status, 204, await res.text());
}

/** Nothing labelled with this instance id (its stack, or an inspection stack's) is left on the engine. */
async function assertNothingLeft(engine: Docker, id: string, where = 'the Docker Engine'): Promise<void> {
  const left = await listManaged(engine, id);
  assert.deepEqual(
    [left.containers.length, left.networks.length, left.volumes.length],
    [0, 0, 0],
    `nothing of ${id} is left on ${where}`,
  );
}

/** An instance with a member, backed up, its backup's id and the id its inspection stack gets (removed at the end). */
async function backedUpInstance() {
  const inst = await instanceWithMember();
  const made = await backup(inst.id);
  const stackId = inspectionInstanceId(inst.id);
  inspections.push(stackId);
  return { inst, backupId: made.backupId, stackId };
}

test('backup, delete the photos and the member, restore in place: the same files (checksums) and users are back, later uploads are gone', async () => {
  await withBackupWorkers(async () => {
    const inst = await instanceWithMember();
    const url = inst.baseUrl();
    let token = await login(url, inst.member.email, inst.member.password);
    const photos = [
      await upload(url, token, 300_000),
      await upload(url, token, 1_200_000),
      await upload(url, token, 5),
    ];

    const made = await backup(inst.id);
    assert.match(made.backupId, /^[0-9a-f]{12}$/);
    assert.ok(made.bytesProcessed > 1_500_000, `the library was read (${made.bytesProcessed} bytes)`);
    const row = await prisma.instanceBackup.findUniqueOrThrow({ where: { id: made.backupId } });
    assert.equal(row.status, 'succeeded');
    assert.equal(row.trigger, 'on-demand');
    const snaps = await restic.snapshots(restic.repository(inst.id, secrets.backupPassword(inst.id)), [
      `backup=${made.backupId}`,
    ]);
    assert.deepEqual(snaps.map((s) => s.paths[0]).sort(), ['/database/photo-app-standin.json', '/library.tar']);

    // The member's photos deleted for good and the member removed from the photo app's database, then a new photo.
    await deleteForever(
      url,
      token,
      photos.map((p) => p.id),
    );
    for (const p of photos) assert.equal(await download(url, token, p.id), NOT_THERE, 'the photo is deleted');
    const late = await upload(url, token, 1000);
    await inst.admin.deleteUser(inst.member.id, { force: true });
    assert.ok(!(await inst.admin.listUsers()).some((u) => u.email === inst.member.email), 'the member is gone');

    const restored = await restore(inst.id, made.backupId, 'in-place');
    assert.equal(restored.stackInstanceId, inst.id);
    const after = await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } });
    assert.equal(after.appHostPort, restored.appHostPort, 'the recreated app is recorded');
    assert.equal(after.state, 'active');
    const restoredUrl = `http://127.0.0.1:${restored.appHostPort}`;
    token = await login(restoredUrl, inst.member.email, inst.member.password);
    for (const p of photos) assert.equal(await download(restoredUrl, token, p.id), p.sha1, `photo ${p.id} is back`);
    assert.equal(await download(restoredUrl, token, late.id), NOT_THERE, 'the photo uploaded after the backup is gone');
    assert.ok(await answersThroughEdge(inst.host), 'the subdomain answers again, through the re-pointed route');
    const audit = await prisma.auditEvent.findMany({
      where: { instanceId: inst.id, action: { startsWith: 'restore.' } },
    });
    assert.deepEqual(audit.map((a) => a.action).sort(), ['restore.started', 'restore.succeeded']);
    const { containers } = await listManaged(docker, inst.id);
    assert.equal(
      containers.filter((c) => c.Labels['photoplane.backup-helper']).length,
      0,
      'no helper container is left',
    );
  });
});

test('restore into an inspection stack leaves the original untouched', async () => {
  await withBackupWorkers(async () => {
    const inst = await instanceWithMember();
    const url = inst.baseUrl();
    const token = await login(url, inst.member.email, inst.member.password);
    const before = await upload(url, token, 200_000);
    const made = await backup(inst.id);
    const later = await upload(url, token, 100_000);
    const containersBefore = (await listManaged(docker, inst.id)).containers.map((c) => `${c.Id}:${c.State}`).sort();

    inspections.push(inspectionInstanceId(inst.id));
    const restored = await restore(inst.id, made.backupId, 'inspection');
    assert.equal(restored.stackInstanceId, inspectionInstanceId(inst.id));
    const inspUrl = `http://127.0.0.1:${restored.appHostPort}`;
    const inspToken = await login(inspUrl, inst.member.email, inst.member.password);
    assert.equal(await download(inspUrl, inspToken, before.id), before.sha1, 'the inspection stack holds the backup');
    assert.equal(await download(inspUrl, inspToken, later.id), NOT_THERE, 'and nothing newer');

    // The original: the same containers, still running, with its newer photo, its route and its recorded port.
    const containersAfter = (await listManaged(docker, inst.id)).containers.map((c) => `${c.Id}:${c.State}`).sort();
    assert.deepEqual(containersAfter, containersBefore);
    assert.equal(await download(url, token, later.id), later.sha1);
    assert.equal(await download(url, token, before.id), before.sha1);
    assert.ok(await answersThroughEdge(inst.host));
    const row = await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } });
    assert.equal(`http://127.0.0.1:${row.appHostPort}`, url, 'the original keeps its port');
    const restoreRow = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
    assert.equal(restoreRow.status, 'succeeded');
    assert.equal(restoreRow.inspectionInstanceId, inspectionInstanceId(inst.id));
  });
});

test('removing an inspection stack: its containers, network and volumes leave the Docker Engine; the instance and its photos stay; a second removal is refused', async () => {
  await withBackupWorkers(async () => {
    const inst = await instanceWithMember();
    const url = inst.baseUrl();
    const token = await login(url, inst.member.email, inst.member.password);
    const photo = await upload(url, token, 150_000);
    const made = await backup(inst.id);
    const stackId = inspectionInstanceId(inst.id);
    inspections.push(stackId);
    const restored = await restore(inst.id, made.backupId, 'inspection');
    const inspected = await listManaged(docker, stackId);
    assert.ok(inspected.containers.length > 0 && inspected.networks.length > 0 && inspected.volumes.length > 0);
    const containersBefore = (await listManaged(docker, inst.id)).containers.map((c) => `${c.Id}:${c.State}`).sort();

    const actor = randomUUID();
    const remove = () =>
      execute<RemoveInspectionStackInput, RemoveInspectionStackResult>(
        backupWorkflowNames.removeInspectionStack,
        inspectionRemovalWorkflowId(inst.id),
        { instanceId: inst.id, restoreId: restored.restoreId, actorId: actor, reason: 'customer has the photo' },
      );
    const removed = await remove();
    assert.equal(removed.inspectionInstanceId, stackId);
    assert.equal(
      removed.removed,
      inspected.containers.length + inspected.networks.length + inspected.volumes.length,
      'everything the stack had was removed',
    );
    await assertNothingLeft(docker, stackId);
    await assert.rejects(
      fetch(`http://127.0.0.1:${restored.appHostPort}/api/server/ping`),
      'its app no longer answers',
    );

    // The instance: the same containers, its photo, its route.
    const containersAfter = (await listManaged(docker, inst.id)).containers.map((c) => `${c.Id}:${c.State}`).sort();
    assert.deepEqual(containersAfter, containersBefore);
    assert.equal(await download(url, token, photo.id), photo.sha1, 'the instance still serves its photo');
    assert.ok(await answersThroughEdge(inst.host));

    const row = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
    assert.ok(row.removedAt, 'the restore row says the stack is gone');
    const audit = await prisma.auditEvent.findMany({ where: { instanceId: inst.id, action: 'inspection.removed' } });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actorId, actor);
    assert.equal(audit[0]?.reason, 'customer has the photo');

    // A second removal (the worker's own guard, behind the portal's): refused, the row left as it was.
    await assert.rejects(remove(), (e: unknown) =>
      /was removed at/.test(String((e as { cause?: { message?: string } }).cause?.message)),
    );
    const after = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
    assert.deepEqual(after.removedAt, row.removedAt);
    assert.equal(
      await prisma.auditEvent.count({ where: { instanceId: inst.id, action: 'inspection.remove_failed' } }),
      1,
    );
  });
});

test('an inspection stack is removed from the Docker host it was made on, also after the instance was placed elsewhere', async () => {
  await withBackupWorkers(async () => {
    const { inst, backupId, stackId } = await backedUpInstance();
    const restored = await restore(inst.id, backupId, 'inspection');
    const { dockerHostId: home } = await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } });
    assert.ok(home);
    const row = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
    assert.equal(row.dockerHostId, home, 'the restore row names the host the stack was made on');
    assert.ok((await listManaged(docker, stackId)).containers.length > 0);
    // The instance is placed on another host (no worker serves its queue, so nothing may be asked of it there).
    const elsewhere = await prisma.dockerHost.create({
      data: { name: `elsewhere-${randomUUID().slice(0, 8)}`, endpoint: 'unix:///nonexistent.sock', capacity: 1 },
    });
    await prisma.instance.update({ where: { id: inst.id }, data: { dockerHostId: elsewhere.id } });
    try {
      const removed = await execute<RemoveInspectionStackInput, RemoveInspectionStackResult>(
        backupWorkflowNames.removeInspectionStack,
        inspectionRemovalWorkflowId(inst.id),
        { instanceId: inst.id, restoreId: restored.restoreId, actorId: null, reason: 'instance moved' },
      );
      assert.ok(removed.removed > 0);
      await assertNothingLeft(docker, stackId);
      const after = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
      assert.ok(after.removedAt);
    } finally {
      await prisma.instance.update({ where: { id: inst.id }, data: { dockerHostId: home } });
      await prisma.dockerHost.delete({ where: { id: elsewhere.id } });
    }
  });
});

test('deprovisioning an instance removes its inspection stack too (also when part of it is already gone): nothing of either is left on the Docker Engine', async () => {
  await withBackupWorkers(async () => {
    const { inst, backupId, stackId } = await backedUpInstance();
    const restored = await restore(inst.id, backupId, 'inspection');
    const inspected = await listManaged(docker, stackId);
    assert.ok(inspected.containers.length > 0 && inspected.networks.length > 0 && inspected.volumes.length > 0);
    // Part of it is already gone (removed by hand): the deprovision removes the rest without failing.
    const app = inspected.containers.find((c) => c.Labels['photoplane.role'] === 'app');
    assert.ok(app);
    await docker.getContainer(app.Id).remove({ force: true });

    const result = await execute<InstanceOperationInput, InstanceOperationResult>(
      workflowNames.deprovisionInstance,
      instanceLifecycleWorkflowId(inst.id),
      { instanceId: inst.id },
    );
    assert.equal(result.outcome, 'done');
    for (const id of [inst.id, stackId]) await assertNothingLeft(docker, id);
    await assert.rejects(fetch(`http://127.0.0.1:${restored.appHostPort}/api/server/ping`), 'its app is gone');
    const row = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: restored.restoreId } });
    assert.ok(row.removedAt, 'the restore row says the stack is gone');
    const audit = await prisma.auditEvent.findMany({ where: { instanceId: inst.id, action: 'inspection.removed' } });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.reason, 'instance deprovisioned');
    assert.deepEqual(audit[0]?.details, {
      restoreId: restored.restoreId,
      inspectionInstanceId: stackId,
      // What was left of it: all but the app container removed by hand.
      removed: inspected.containers.length - 1 + inspected.networks.length + inspected.volumes.length,
    });
    assert.equal((await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } })).state, 'deprovisioned');
  });
});

test('deprovisioning removes the inspection stack from the Docker host it was made on, after the instance was placed elsewhere', async () => {
  await withBackupWorkers(async () => {
    const { inst, backupId, stackId } = await backedUpInstance();
    await restore(inst.id, backupId, 'inspection');
    assert.ok((await listManaged(docker, stackId)).containers.length > 0);
    // Another host, registered only now (placement would otherwise have chosen it, the emptier one).
    await withSecondHost(async (elsewhere) => {
      // As if the instance had since been reprovisioned on the other host: its own stack is no longer on this one.
      await removeInstanceStack(docker, inst.id);
      await prisma.instance.update({ where: { id: inst.id }, data: { dockerHostId: elsewhere.id } });

      const result = await execute<InstanceOperationInput, InstanceOperationResult>(
        workflowNames.deprovisionInstance,
        instanceLifecycleWorkflowId(inst.id),
        { instanceId: inst.id },
      );
      assert.equal(result.outcome, 'done');
      await assertNothingLeft(docker, stackId, 'the engine it was made on');
      await assertNothingLeft(elsewhere.docker, stackId, "the instance's host");
      const audit = await prisma.auditEvent.findMany({ where: { instanceId: inst.id, action: 'inspection.removed' } });
      assert.equal(audit.length, 1);
      assert.ok((audit[0]?.details as { removed: number }).removed > 0, 'the removal found the stack');
    });
  });
});

test('a deprovision while an inspection restore is still running waits for it, then removes its whole stack', async () => {
  await withBackupWorkers(async () => {
    const { inst, backupId, stackId } = await backedUpInstance();
    const restoring = await client.workflow.start(backupWorkflowNames.restoreInstance, {
      taskQueue,
      workflowId: restoreWorkflowId(inst.id),
      args: [{ instanceId: inst.id, backupId, target: 'inspection', reason: 'test' }],
      workflowExecutionTimeout: '5 minutes',
    });
    const running = await waitFor(
      'the inspection restore is running',
      async () =>
        (await prisma.instanceRestore.findFirst({
          where: { instanceId: inst.id, target: 'inspection', status: 'running' },
        })) ?? undefined,
      { intervalMs: 50 },
    );

    const result = await execute<InstanceOperationInput, InstanceOperationResult>(
      workflowNames.deprovisionInstance,
      instanceLifecycleWorkflowId(inst.id),
      { instanceId: inst.id },
    );
    assert.equal(result.outcome, 'done');
    await restoring.result().catch(() => undefined); // it ended before the deprovision removed anything
    const row = await prisma.instanceRestore.findUniqueOrThrow({ where: { id: running.id } });
    assert.notEqual(row.status, 'running');
    assert.ok(row.finishedAt && row.removedAt);
    const [removal] = await prisma.auditEvent.findMany({
      where: { instanceId: inst.id, action: 'inspection.removed' },
    });
    assert.ok(removal && removal.at >= row.finishedAt, 'the stack was removed after the restore had ended');
    for (const id of [inst.id, stackId]) await assertNothingLeft(docker, id);
    // Nothing can be restored into it any more.
    await assert.rejects(restore(inst.id, backupId, 'inspection'));
  });
});

test('the integrity check passes on a sound repository and reports a corrupted one (row, audit event)', async () => {
  await withBackupWorkers(async () => {
    const inst = await instanceWithMember();
    const token = await login(inst.baseUrl(), inst.member.email, inst.member.password);
    await upload(inst.baseUrl(), token, 400_000);
    await backup(inst.id);
    const check = () =>
      execute<CheckBackupsInput, CheckBackupsResult>(
        backupWorkflowNames.checkBackups,
        `backup-check-${randomBytes(4).toString('hex')}`,
        { instanceId: inst.id, readDataPercent: 100 },
      );
    const sound = await check();
    assert.deepEqual(sound, { checked: 1, corrupted: [], failed: [] });

    // Flip bytes in the middle of the largest pack file (same size: only reading the data back finds it).
    const dataDir = path.join(stack.backups.repositoryRoot, inst.id, 'data');
    const packs = fs
      .readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
    const pack = packs[0]!;
    fs.chmodSync(pack, 0o600);
    const fd = fs.openSync(pack, 'r+');
    fs.writeSync(fd, randomBytes(64), 0, 64, Math.floor(fs.statSync(pack).size / 2));
    fs.closeSync(fd);

    const damaged = await check();
    assert.equal(damaged.checked, 1);
    assert.equal(damaged.corrupted.length, 1);
    assert.equal(damaged.corrupted[0]?.instanceId, inst.id);
    const rows = await prisma.backupCheck.findMany({ where: { instanceId: inst.id }, orderBy: { checkedAt: 'asc' } });
    assert.deepEqual(
      rows.map((r) => r.ok),
      [true, false],
    );
    assert.ok(rows[1]?.errors, 'restic says what is wrong');
    const audited = await prisma.auditEvent.count({
      where: { instanceId: inst.id, action: 'backup.repository_corrupted' },
    });
    assert.equal(audited, 1);
  });
});

test("one tenant's backup key cannot open another tenant's repository", async () => {
  const a = randomUUID();
  const b = randomUUID();
  const repoA = restic.repository(a, secrets.backupPassword(a));
  const repoB = restic.repository(b, secrets.backupPassword(b));
  assert.notEqual(repoA.password, repoB.password);
  assert.notEqual(repoA.location, repoB.location);
  for (const repo of [repoA, repoB]) {
    assert.equal(await restic.init(repo), 'created');
    await restic.backupStream(repo, Readable.from([Buffer.from(`secret of ${repo.location}`)]), '/x', ['t']);
  }
  assert.equal((await restic.snapshots(repoB)).length, 1, "B's own key opens B");
  // A's key at B's location: restic refuses (exit 12, wrong password), for reading and for restoring alike.
  await assert.rejects(
    restic.snapshots({ location: repoB.location, password: repoA.password }),
    (e: unknown) => e instanceof ResticError && e.exitCode === RESTIC_WRONG_PASSWORD,
  );
  await assert.rejects(
    restic.dumpFile({ location: repoB.location, password: repoA.password }, 'latest', '/x', new PassThrough()),
    (e: unknown) => e instanceof ResticError && e.exitCode === RESTIC_WRONG_PASSWORD,
  );
});
