// Usage sync (SPEC M4, M8) against a provisioned stand-in instance: a member's upload in the photo app reaches the
// database, and the headroom (plan minus usage) is re-split among the members who may grow, so two unlimited
// members uploading at once between syncs never store more than the plan (tenancy rules). A plan change (SPEC P6)
// moves the same limits at once through refreshInstanceQuotasWorkflow.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { PhotoApp } from '../src/photo-app/index.ts';
import {
  instanceQuotasWorkflowId,
  memberWorkflowNames,
  workflowNames,
  type RefreshInstanceQuotasInput,
  type RefreshInstanceQuotasResult,
  type UsageSyncReport,
} from '../src/contracts/index.ts';
import { execute, photoApp, prisma, provisionedInstance, secrets, setUp, tearDown, withWorkers } from './harness.ts';

before(setUp);
after(tearDown);

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;

/** A provisioned instance with its plan and the control plane's admin client of its photo app. */
async function instanceWithApp() {
  const inst = await provisionedInstance();
  const row = await prisma.instance.findUniqueOrThrow({
    where: { id: inst.id },
    include: { subscription: { include: { plan: true } } },
  });
  const baseUrl = `http://127.0.0.1:${row.appHostPort}`;
  const admin = photoApp(baseUrl, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher!) });
  return {
    id: inst.id,
    subscriptionId: row.subscriptionId,
    planBytes: row.subscription.plan.storageBytes,
    baseUrl,
    admin,
  };
}

/** One photo of `bytes` random bytes uploaded the way Immich's clients do; the app's answer status. */
async function upload(baseUrl: string, accessToken: string, bytes: number): Promise<number> {
  const form = new FormData();
  form.set('deviceAssetId', `test-${randomBytes(6).toString('hex')}`);
  form.set('deviceId', 'photoplane-test');
  form.set('fileCreatedAt', new Date().toISOString());
  form.set('fileModifiedAt', new Date().toISOString());
  form.set('assetData', new Blob([randomBytes(bytes)], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${baseUrl}/api/assets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
    body: form,
  });
  await res.arrayBuffer();
  return res.status;
}

/** A member as the member-sync workflow leaves it: a photo-app user and an active row with the same quota. */
async function syncedMember(instanceId: string, admin: PhotoApp, label: string, quotaBytes: bigint | null) {
  const email = `${label}-${randomBytes(3).toString('hex')}@example.org`;
  const password = randomBytes(12).toString('base64url');
  const user = await admin.createUser({ email, name: label, password, quotaBytes, shouldChangePassword: false });
  const member = await prisma.member.create({
    data: {
      instanceId,
      email,
      emailNormalized: email,
      name: label,
      status: 'active',
      quotaBytes,
      photoAppUserId: user.id,
    },
  });
  return { id: member.id, userId: user.id, email, password };
}

test("a member's upload is copied into the database and shrinks the unlimited member's limit in the photo app", async () => {
  await withWorkers(async () => {
    const { id, planBytes, baseUrl, admin } = await instanceWithApp();
    const members = {
      finite: await syncedMember(id, admin, 'finite', 100n * MiB),
      unlimited: await syncedMember(id, admin, 'unlimited', null),
    };

    // The finite member uploads one photo the way Immich's clients do. Members sign in through Photoplane's OpenID
    // provider (the portal's part, not run here), so for this test the admin turns password login back on, as an
    // owner could in the photo app's settings (reconcile turns it off again: reconcile.test.ts).
    const config = await admin.getConfig();
    await admin.updateConfig({ ...config, passwordLogin: { ...config.passwordLogin, enabled: true } });
    const session = await photoApp(baseUrl).login({ email: members.finite.email, password: members.finite.password });
    const photo = randomBytes(Number(MiB));
    const form = new FormData();
    form.set('deviceAssetId', `bench-${Date.now()}`);
    form.set('deviceId', 'photoplane-test');
    form.set('fileCreatedAt', new Date().toISOString());
    form.set('fileModifiedAt', new Date().toISOString());
    form.set('assetData', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    const upload = await fetch(`${baseUrl}/api/assets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.accessToken}` },
      body: form,
    });
    assert.equal(upload.status, 201, await upload.text());

    const report = await execute<undefined, UsageSyncReport>(
      workflowNames.syncUsage,
      `usage-sync-${randomBytes(4).toString('hex')}`,
      undefined,
    );
    assert.deepEqual(report.failed, []);
    assert.ok(report.instances >= 1);
    const finite = await prisma.member.findUniqueOrThrow({ where: { id: members.finite.id } });
    assert.equal(finite.usageBytes, MiB, "the upload's size reached the database");
    // The headroom is split among the three who may grow (owner, finite, unlimited): the finite member's room
    // (99 MiB) is below an equal share, so the owner and the unlimited member split the rest.
    const unlimitedUser = (await admin.listUsers()).find((u) => u.id === members.unlimited.userId);
    assert.equal(unlimitedUser?.quotaBytes, (planBytes - 100n * MiB) / 2n, 'half of what is left');
    assert.ok(report.membersUpdated >= 1 && report.limitsPushed >= 1);

    // Nothing moved since: a second run changes nothing.
    const again = await execute<undefined, UsageSyncReport>(
      workflowNames.syncUsage,
      `usage-sync-${randomBytes(4).toString('hex')}`,
      undefined,
    );
    assert.equal(again.membersUpdated, 0);
    assert.equal(again.limitsPushed, 0);
  });
});

test("a plan change pushes the members' new limits to the photo app at once; a stopped photo app is skipped", async () => {
  await withWorkers(async () => {
    const { id, subscriptionId, planBytes, admin } = await instanceWithApp();
    // Provisioning made the owner the first member, unlimited, so limited by the whole plan in the photo app.
    const owner = await prisma.member.findFirstOrThrow({ where: { instanceId: id, role: 'owner' } });
    const ownerUserId = owner.photoAppUserId!;
    assert.equal(owner.quotaBytes, null);
    const quotaOf = async (userId: string) => (await admin.listUsers()).find((u) => u.id === userId)?.quotaBytes;
    assert.equal(await quotaOf(ownerUserId), planBytes);
    const unlimited = await syncedMember(id, admin, 'unlimited', null);
    const finite = await syncedMember(id, admin, 'finite', 20n * GiB);

    // The portal commits the new plan, then starts the refresh (apps/portal/test/webhooks.test.ts shows it does).
    const starter = await prisma.plan.upsert({
      where: { id: 'starter' },
      update: {},
      create: { id: 'starter', name: 'Starter', storageBytes: 100n * GiB, stripePriceId: 'price_s', priceCents: 500 },
    });
    await prisma.subscription.update({ where: { id: subscriptionId }, data: { planId: starter.id } });
    const refresh = (suffix: string) =>
      execute<RefreshInstanceQuotasInput, RefreshInstanceQuotasResult>(
        memberWorkflowNames.refreshInstanceQuotas,
        `${instanceQuotasWorkflowId(id)}-${suffix}`,
        { instanceId: id },
      );
    const result = await refresh('1');
    assert.equal(result.outcome, 'refreshed');
    assert.equal(result.limitsPushed, 2, 'the owner and the unlimited member draw on the plan');
    // 100 GiB free: the finite member's 20 GiB is below an equal share; the two unlimited members split the rest.
    assert.equal(await quotaOf(ownerUserId), 40n * GiB, 'the owner may use half of what the finite quota leaves');
    assert.equal(await quotaOf(unlimited.userId), 40n * GiB, 'so may the unlimited member');
    assert.equal(await quotaOf(finite.userId), 20n * GiB, 'a finite quota that fits is kept');

    // Suspended: nothing to push to; the refresh says so instead of failing (resume and the schedule catch up).
    await prisma.instance.update({ where: { id }, data: { state: 'suspended' } });
    const skipped = await refresh('2');
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(skipped.limitsPushed, 0);
  });
});

test("roll-up cannot be escaped from the photo app's admin screens: a raised quota is put back, a stranger refused, a member's own user adopted; each audited", async () => {
  await withWorkers(async () => {
    const { id, admin } = await instanceWithApp();
    const sync = () =>
      execute<undefined, UsageSyncReport>(
        workflowNames.syncUsage,
        `usage-sync-${randomBytes(4).toString('hex')}`,
        undefined,
      );
    const finite = await syncedMember(id, admin, 'finite', 10n * GiB);
    await sync(); // the limits the control plane wrote are on record now
    const audits = (action: string) => prisma.auditEvent.findMany({ where: { instanceId: id, action } });

    // The owner, as the app's admin: raises a member's quota, creates a user nobody invited, and creates a user for
    // a member who registered in Photoplane but whose photo-app user the member sync has not made yet.
    await admin.updateUser(finite.userId, { quotaBytes: 500n * GiB });
    const strangerEmail = `stranger-${randomBytes(3).toString('hex')}@example.org`;
    const stranger = await admin.createUser({
      email: strangerEmail,
      name: 'Stranger',
      password: randomBytes(12).toString('base64url'),
      quotaBytes: null,
      shouldChangePassword: false,
    });
    const pendingEmail = `pending-${randomBytes(3).toString('hex')}@example.org`;
    const pending = await prisma.member.create({
      data: { instanceId: id, email: pendingEmail, emailNormalized: pendingEmail, name: 'Pending', status: 'active' },
    });
    const own = await admin.createUser({
      email: pendingEmail,
      name: 'Pending',
      password: randomBytes(12).toString('base64url'),
      quotaBytes: null,
      shouldChangePassword: false,
    });

    const report = await sync();
    assert.deepEqual(report.failed, []);
    assert.deepEqual([report.quotasReasserted, report.usersRefused, report.usersAdopted], [1, 1, 1]);

    const users = await admin.listUsers({ includeDeleted: true });
    assert.equal(users.find((u) => u.id === finite.userId)?.quotaBytes, 10n * GiB, "the quota is the member's again");
    assert.equal(users.find((u) => u.id === stranger.id)?.status, 'deleted', 'the stranger cannot sign in or upload');
    assert.equal((await prisma.member.findUniqueOrThrow({ where: { id: pending.id } })).photoAppUserId, own.id);
    assert.notEqual(users.find((u) => u.id === own.id)?.status, 'deleted');
    assert.equal(await prisma.member.count({ where: { instanceId: id, emailNormalized: strangerEmail } }), 0);

    const [quota] = await audits('photo_app.quota_reasserted');
    assert.equal(quota?.actorType, 'system');
    assert.equal(quota?.targetId, finite.id);
    assert.deepEqual(quota?.details, {
      photoAppUserId: finite.userId,
      found: String(500n * GiB),
      expected: String(10n * GiB),
    });
    const [refused] = await audits('photo_app.user_refused');
    assert.equal(refused?.targetId, stranger.id);
    assert.equal((refused?.details as { email: string }).email, strangerEmail);
    const [adopted] = await audits('photo_app.user_adopted');
    assert.equal(adopted?.targetId, pending.id);

    // Put right: the next run finds nothing to correct and records nothing more.
    const again = await sync();
    assert.deepEqual([again.quotasReasserted, again.usersRefused, again.usersAdopted], [0, 0, 0]);
    for (const action of ['photo_app.quota_reasserted', 'photo_app.user_refused', 'photo_app.user_adopted'])
      assert.equal((await audits(action)).length, 1, action);
  });
});

test('two unlimited members uploading at once between syncs never store more than the plan', async () => {
  await withWorkers(async () => {
    const { id, subscriptionId, baseUrl, admin } = await instanceWithApp();
    const planBytes = 8n * MiB;
    const tiny = await prisma.plan.upsert({
      where: { id: 'tiny' },
      update: {},
      create: { id: 'tiny', name: 'Tiny', storageBytes: planBytes, stripePriceId: 'price_tiny', priceCents: 100 },
    });
    await prisma.subscription.update({ where: { id: subscriptionId }, data: { planId: tiny.id } });
    const alice = await syncedMember(id, admin, 'alice', null);
    const bob = await syncedMember(id, admin, 'bob', null);
    const sync = async () => {
      const report = await execute<undefined, UsageSyncReport>(
        workflowNames.syncUsage,
        `usage-sync-${randomBytes(4).toString('hex')}`,
        undefined,
      );
      assert.deepEqual(report.failed, []);
    };
    await sync();

    const config = await admin.getConfig();
    await admin.updateConfig({ ...config, passwordLogin: { ...config.passwordLogin, enabled: true } });
    const tokens = await Promise.all(
      [alice, bob].map(
        async (m) => (await photoApp(baseUrl).login({ email: m.email, password: m.password })).accessToken,
      ),
    );
    const stored = async () => {
      const users = await admin.listUsers();
      return users.reduce((total, u) => total + (u.usageBytes ?? 0n), 0n);
    };
    const quotas = async () => (await admin.listUsers()).reduce((total, u) => total + (u.quotaBytes ?? planBytes), 0n);

    // Each member tries to store the whole plan, 8 uploads at a time each, both at once; then a sync re-splits
    // what is left, and again. Under "plan minus the others' usage" each could fill the plan: 16 MiB stored.
    const photo = Number(MiB / 4n);
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 3; round++) {
      assert.ok((await quotas()) <= planBytes, 'the limits the photo app holds add up to at most the plan');
      const statuses = await Promise.all(
        tokens.flatMap((token) =>
          Array.from({ length: 4 }, async () => {
            const results: number[] = [];
            for (let i = 0; i < 8; i++) results.push(await upload(baseUrl, token, photo));
            return results;
          }),
        ),
      );
      for (const status of statuses.flat()) {
        if (status === 201) accepted++;
        else if (status === 400) refused++;
        else assert.fail(`unexpected upload status ${status}`);
      }
      const total = await stored();
      assert.ok(total <= planBytes, `stored ${total} bytes of a ${planBytes}-byte plan after round ${round + 1}`);
      await sync();
    }
    assert.ok(refused > 0, 'uploads were refused at the limits');
    // Each sync hands out what is left, so the members get close to the plan, just never past it.
    assert.ok(BigInt(accepted * photo) > planBytes / 2n, `only ${accepted} uploads accepted`);
    const dbUsage = await prisma.member.aggregate({ where: { instanceId: id }, _sum: { usageBytes: true } });
    assert.equal(dbUsage._sum.usageBytes, await stored(), 'the sync copied what the photo app stores');
  });
});
