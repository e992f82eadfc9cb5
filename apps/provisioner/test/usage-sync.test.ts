// Usage sync (SPEC M4, M8) against a provisioned stand-in instance: a member's upload in the photo app reaches the
// database, and the unlimited member's effective limit in the photo app shrinks by what the other member stored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { workflowNames, type UsageSyncReport } from '../src/shared.ts';
import { execute, photoApp, prisma, provisionedInstance, secrets, setUp, tearDown, withWorkers } from './harness.ts';

before(setUp);
after(tearDown);

const MiB = 1024n * 1024n;

test("a member's upload is copied into the database and shrinks the unlimited member's limit in the photo app", async () => {
  await withWorkers(async () => {
    const inst = await provisionedInstance();
    const row = await prisma.instance.findUniqueOrThrow({
      where: { id: inst.id },
      include: { subscription: { include: { plan: true } } },
    });
    const baseUrl = `http://127.0.0.1:${row.appHostPort}`;
    const admin = photoApp(baseUrl, { apiKey: secrets.decrypt(row.photoAppApiKeyCipher!) });
    const planBytes = row.subscription.plan.storageBytes;

    // Two members as the member-sync workflow leaves them: a finite quota and an unlimited one.
    const members: Record<'finite' | 'unlimited', { id: string; userId: string; email: string; password: string }> =
      {} as never;
    for (const kind of ['finite', 'unlimited'] as const) {
      const email = `${kind}-${randomBytes(3).toString('hex')}@example.org`;
      const password = randomBytes(12).toString('base64url');
      const quotaBytes = kind === 'finite' ? 100n * MiB : null;
      const user = await admin.createUser({ email, name: kind, password, quotaBytes, shouldChangePassword: false });
      const member = await prisma.member.create({
        data: {
          instanceId: inst.id,
          email,
          emailNormalized: email,
          name: kind,
          status: 'active',
          quotaBytes,
          photoAppUserId: user.id,
        },
      });
      members[kind] = { id: member.id, userId: user.id, email, password };
    }

    // The finite member uploads one photo the way Immich's clients do.
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
