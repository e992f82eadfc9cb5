// The photo app follows the member table through Temporal (SPEC M2-M7), end to end: the portal API over the real
// PostgreSQL, a real Temporal server with the provisioner's member workflows and activities in a worker in this
// process, and an instance provisioned by the real saga on the Docker Engine (the stand-in photo app). The daily
// purge runs from its Temporal Schedule, triggered "now" instead of at midnight.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createWorker } from '@photoplane/provisioner/testing';
import {
  MEMBER_PURGE_SCHEDULE_ID,
  memberSyncWorkflowId,
  type PurgeDueMembersResult,
  type SyncMemberResult,
} from '@photoplane/provisioner/contracts';
import { NativeConnection, type Worker } from '@temporalio/worker';
import {
  client,
  controlActivities,
  databaseUrl,
  photoApp,
  prisma,
  provisionedInstance,
  secrets,
  setUp,
  stack,
  tearDown,
  withWorkers,
} from '../../provisioner/test/harness.ts';
import { createPasswordService } from '../src/platform/password.service.ts';
import { createMemberSync, ensureMemberPurgeSchedule } from '../src/members/member-workflows.ts';
import { call, GIB, invitationToken, nextMailTo, startHarness, unique, type Harness } from './members-harness.ts';

const memberQueue = `test-members-${randomBytes(4).toString('hex')}`;
let h: Harness;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let subdomain: string;
let instanceId: string;
let ownerToken: string;

before(async () => {
  await setUp();
  const instance = await withWorkers(() => provisionedInstance());
  subdomain = instance.subdomain;
  instanceId = instance.id;
  h = await startHarness(createMemberSync({ client, taskQueue: memberQueue }), { prisma, url: databaseUrl() });
  connection = await NativeConnection.connect({ address: stack.temporalAddress });
  worker = await createWorker({
    connection,
    namespace: stack.temporalNamespace,
    taskQueue: memberQueue,
    // The whole control queue's activities, as the worker registers them: the settings workflow the portal starts on a
    // change of the deletion delay needs applyInstanceSettingsToPhotoApp next to the member activities.
    activities: controlActivities(),
  });
  running = worker.run();
  await ensureMemberPurgeSchedule({ client, taskQueue: memberQueue });
  // The provisioned owner signs in to the portal with a password of our choosing.
  const password = 'owner portal password';
  await prisma.account.update({
    where: { emailNormalized: instance.email },
    data: { passwordHash: await createPasswordService().hashPassword(password), emailVerifiedAt: new Date() },
  });
  const res = await call(h, 'POST', '/v1/auth/login', undefined, { email: instance.email, password });
  assert.equal(res.statusCode, 200, res.body);
  ownerToken = res.json<{ accessToken: string }>().accessToken;
});

after(async () => {
  await client?.schedule
    .getHandle(MEMBER_PURGE_SCHEDULE_ID)
    .delete()
    .catch(() => undefined);
  worker?.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await h?.close();
  await tearDown();
});

async function admin() {
  const row = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
  return photoApp(`http://127.0.0.1:${row.appHostPort}`, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher!) });
}

async function appUser(email: string) {
  return (await (await admin()).listUsers({ includeDeleted: true })).find((u) => u.email === email);
}

/** Waits for the member's sync workflow (the latest run) to finish. */
function synced(memberId: string): Promise<SyncMemberResult> {
  return client.workflow.getHandle(memberSyncWorkflowId(memberId)).result() as Promise<SyncMemberResult>;
}

const members = () => `/v1/instances/${subdomain}/members`;

async function addMember(extra: Record<string, unknown> = {}) {
  const email = `${unique('sync')}@example.com`;
  const res = await call(h, 'POST', members(), ownerToken, { name: 'Synced', email, mode: 'password', ...extra });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json<{ member: { id: string } }>().member.id;
  await synced(id);
  return { id, email };
}

/** Runs the purge schedule now and waits for that run's result. */
async function purgeNow(): Promise<PurgeDueMembersResult> {
  const handle = client.schedule.getHandle(MEMBER_PURGE_SCHEDULE_ID);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  for (let i = 0; i < 200; i++) {
    const actions = (await handle.describe()).info.recentActions;
    if (actions.length > before) {
      const started = actions[actions.length - 1]!.action;
      return (await client.workflow.getHandle(started.workflow.workflowId).result()) as PurgeDueMembersResult;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the purge schedule did not start a run');
}

test('the purge schedule exists with the midnight cron', async () => {
  const description = await client.schedule.getHandle(MEMBER_PURGE_SCHEDULE_ID).describe();
  assert.equal(description.action.type, 'startWorkflow');
  assert.equal(description.action.workflowType, 'purgeDueMembersWorkflow');
  const calendar = description.spec.calendars?.[0];
  assert.ok(calendar, 'a calendar spec from the cron');
  assert.deepEqual(
    [calendar.hour, calendar.minute],
    [[{ start: 0, end: 0, step: 1 }], [{ start: 0, end: 0, step: 1 }]],
  );
});

test('a member added with a password is created in the photo app; edits follow (quota, name, label)', async () => {
  const { id, email } = await addMember({ quotaGiB: 5, storageLabel: 'alice' });
  const user = await appUser(email);
  assert.ok(user, 'created in the photo app');
  assert.equal(user.quotaBytes, 5n * GIB);
  assert.equal(user.storageLabel, 'alice');
  assert.equal((await prisma.member.findUniqueOrThrow({ where: { id } })).photoAppUserId, user.id);

  const patched = await call(h, 'PATCH', `${members()}/${id}`, ownerToken, {
    quotaGiB: 7,
    name: 'Alice Renamed',
    storageLabel: 'alice2',
  });
  assert.equal(patched.statusCode, 200, patched.body);
  await synced(id);
  const after = await appUser(email);
  assert.equal(after?.quotaBytes, 7n * GIB);
  assert.equal(after?.name, 'Alice Renamed');
  assert.equal(after?.storageLabel, 'alice2');

  // Unlimited (0 GiB) members share the headroom (docs/features.md, "Quota roll-up between syncs"): the plan less everybody's
  // usage, less the room finite members can still grow into (Alice: 7 GiB quota, 3 GiB used), split equally between
  // the unlimited owner and this member, so the limits never add up to more than the plan.
  const unlimited = await addMember({ quotaGiB: 0 });
  await prisma.member.update({ where: { id }, data: { usageBytes: 3n * GIB } });
  await call(h, 'PATCH', `${members()}/${unlimited.id}`, ownerToken, { name: 'Unlimited' });
  await synced(unlimited.id);
  const plan = 1024n ** 4n;
  assert.equal((await appUser(unlimited.email))?.quotaBytes, (plan - 3n * GIB - 4n * GIB) / 2n);
});

test('an invited member gets a photo-app user when they register', async () => {
  const email = `${unique('inv')}@example.com`;
  const res = await call(h, 'POST', members(), ownerToken, { name: 'Invited', email, mode: 'invite' });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(await appUser(email), undefined, 'nobody in the app before registering');
  const token = invitationToken(h, await nextMailTo(h, email), subdomain);
  const reg = await call(h, 'POST', `/v1/instances/${subdomain}/register`, undefined, {
    token,
    password: 'invited member password',
  });
  assert.equal(reg.statusCode, 204, reg.body);
  await synced(res.json<{ member: { id: string } }>().member.id);
  assert.equal((await appUser(email))?.status, 'active');
});

test('delete soft-deletes in the photo app, restore brings the user back; immediate removes at once', async () => {
  const { id, email } = await addMember();
  assert.equal((await call(h, 'DELETE', `${members()}/${id}`, ownerToken)).statusCode, 200);
  await synced(id);
  assert.equal((await appUser(email))?.status, 'deleted');
  assert.equal((await call(h, 'POST', `${members()}/${id}/restore`, ownerToken)).statusCode, 200);
  await synced(id);
  assert.equal((await appUser(email))?.status, 'active');

  const gone = await call(h, 'DELETE', `${members()}/${id}`, ownerToken, { immediate: true, confirm: email });
  assert.equal(gone.statusCode, 200, gone.body);
  assert.equal((await synced(id)).outcome, 'purged');
  assert.equal(await appUser(email), undefined, 'removed from the photo app');
  assert.equal(await prisma.member.count({ where: { id } }), 0, 'and from the database');
});

test('the purge (schedule triggered now) removes only due members; a changed delay applies at the next run', async () => {
  const due = await addMember();
  const notYet = await addMember();
  const kept = await addMember();
  for (const m of [due, notYet]) {
    assert.equal((await call(h, 'DELETE', `${members()}/${m.id}`, ownerToken)).statusCode, 200);
    await synced(m.id);
  }
  // Deletion was requested 10 and 3 days ago (the clock cannot be moved, so the request time is).
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
  await prisma.member.update({ where: { id: due.id }, data: { deletionRequestedAt: daysAgo(10) } });
  await prisma.member.update({ where: { id: notYet.id }, data: { deletionRequestedAt: daysAgo(3) } });

  const first = await purgeNow();
  assert.deepEqual(first.failed, []);
  assert.ok(first.purged.some((p) => p.memberId === due.id));
  assert.ok(!first.purged.some((p) => p.memberId === notYet.id), 'three days < seven: not due');
  assert.equal(await prisma.member.count({ where: { id: due.id } }), 0);
  assert.equal(await appUser(due.email), undefined);
  assert.equal((await appUser(notYet.email))?.status, 'deleted');
  assert.equal((await prisma.member.findUniqueOrThrow({ where: { id: notYet.id } })).status, 'pending_deletion');

  const settings = await call(h, 'PUT', `/v1/instances/${subdomain}/settings`, ownerToken, { deletionDelayDays: 2 });
  assert.equal(settings.statusCode, 200, settings.body);
  const second = await purgeNow();
  assert.ok(
    second.purged.some((p) => p.memberId === notYet.id),
    'the shorter delay applies at the next run',
  );
  assert.equal(await prisma.member.count({ where: { id: notYet.id } }), 0);
  assert.equal(await appUser(notYet.email), undefined);
  assert.equal((await appUser(kept.email))?.status, 'active', 'members not scheduled are untouched');
  assert.equal((await prisma.member.findUniqueOrThrow({ where: { id: kept.id } })).status, 'active');
});
