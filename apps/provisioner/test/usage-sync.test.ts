// Usage sync (SPEC M4, M8) against a provisioned stand-in instance: a member's upload in the photo app reaches the
// database, and the unlimited member's effective limit in the photo app shrinks by what the other member stored.
// A plan change (SPEC P6) moves the same limits at once through refreshInstanceQuotasWorkflow.
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
} from '../src/shared.ts';
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
    const unlimitedUser = (await admin.listUsers()).find((u) => u.id === members.unlimited.userId);
    assert.equal(unlimitedUser?.quotaBytes, planBytes - MiB, 'the unlimited member may use what the plan has left');
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
    assert.equal(await quotaOf(ownerUserId), 100n * GiB, 'the owner may use the new plan');
    assert.equal(await quotaOf(unlimited.userId), 100n * GiB, 'so may the unlimited member');
    assert.equal(await quotaOf(finite.userId), 20n * GiB, 'a finite quota that fits is kept');

    // Suspended: nothing to push to; the refresh says so instead of failing (resume and the schedule catch up).
    await prisma.instance.update({ where: { id }, data: { state: 'suspended' } });
    const skipped = await refresh('2');
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(skipped.limitsPushed, 0);
  });
});
