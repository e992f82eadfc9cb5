// The storage watchdog (issue 13) against the real stack: a stand-in instance provisioned by the saga, its
// subscription workflow running, data written straight into its library volume (as code inside the photo app could,
// past every per-user quota), then the usage-sync schedule's workflow measures the volumes on the Docker host. Over
// the plan's hard limit the instance is held stopped (audit row, owner e-mailed, billing cannot start it), an upgrade
// releases it at once, staff can release it too, and after a staff release only further growth holds it again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { testLabels } from '@photoplane/infra/testing';
import { instanceNames } from '../src/docker/index.ts';
import {
  instanceQuotasWorkflowId,
  memberWorkflowNames,
  STAFF_HOLD_SIGNAL,
  SUBSCRIPTION_EVENT_SIGNAL,
  SUBSCRIPTION_STATE_QUERY,
  subscriptionWorkflowId,
  subscriptionWorkflowName,
  workflowNames,
  type RefreshInstanceQuotasResult,
  type StaffHoldSignal,
  type SubscriptionSignal,
  type SubscriptionWorkflowInput,
  type SubscriptionWorkflowStatus,
  type UsageSyncReport,
} from '../src/contracts/index.ts';
import {
  answersThroughEdge,
  client,
  docker,
  execute,
  prisma,
  provisionedInstance,
  setUp,
  stack,
  taskQueue,
  tearDown,
  withWorkers,
} from './harness.ts';

before(setUp);
after(tearDown);

const MiB = 1024n * 1024n;

/** Writes `mib` MiB into the instance's library volume from a container of its own, as code in the app could. */
async function fillLibrary(instanceId: string, file: string, mib: number): Promise<void> {
  const container = await docker.createContainer({
    Image: stack.images.busybox,
    Cmd: ['busybox', 'dd', 'if=/dev/urandom', `of=/library/${file}`, 'bs=1048576', `count=${mib}`],
    Labels: testLabels(stack.runId),
    HostConfig: { Binds: [`${instanceNames(instanceId).libraryVolume}:/library`], NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    assert.equal(StatusCode, 0, 'the writer finished');
  } finally {
    await container.remove({ force: true });
  }
}

const sync = () =>
  execute<undefined, UsageSyncReport>(
    workflowNames.syncUsage,
    `usage-sync-${randomBytes(4).toString('hex')}`,
    undefined,
  );

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function mailWithSubject(to: string, subject: RegExp): Promise<{ subject: string; text: string }> {
  return waitFor(
    `a mail to ${to}`,
    async () => {
      for (const file of fs.readdirSync(stack.smtp.mailDir)) {
        const mail = await simpleParser(fs.readFileSync(path.join(stack.smtp.mailDir, file)));
        const recipients = [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address) ?? []);
        if (recipients.includes(to) && subject.test(mail.subject ?? ''))
          return { subject: mail.subject ?? '', text: mail.text ?? '' };
      }
      return null;
    },
    (m) => m !== null,
    10_000,
  ) as Promise<{ subject: string; text: string }>;
}

test('an instance over its hard limit is held stopped until an upgrade or staff release it; billing cannot start it', async () => {
  await withWorkers(async () => {
    const inst = await provisionedInstance();
    const { subscriptionId } = await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } });
    // A 64 MiB plan: with the default 10 % grace the hard limit is 70.4 MiB.
    const tag = randomBytes(3).toString('hex');
    const small = await prisma.plan.create({
      data: {
        id: `tiny-${tag}`,
        name: 'Tiny',
        storageBytes: 64n * MiB,
        stripePriceId: `price_tiny_${tag}`,
        priceCents: 100,
      },
    });
    const large = await prisma.plan.create({
      data: {
        id: `big-${tag}`,
        name: 'Big',
        storageBytes: 1024n * MiB,
        stripePriceId: `price_big_${tag}`,
        priceCents: 500,
      },
    });
    await prisma.subscription.update({ where: { id: subscriptionId }, data: { planId: small.id } });

    const input: SubscriptionWorkflowInput = {
      subscriptionId,
      timers: { graceMs: 3_600_000, retentionMs: 3_600_000, instanceRetryMs: 2_000 },
    };
    const wf = await client.workflow.start(subscriptionWorkflowName, {
      taskQueue,
      workflowId: subscriptionWorkflowId(subscriptionId),
      args: [input],
    });
    const status = () => wf.query<SubscriptionWorkflowStatus>(SUBSCRIPTION_STATE_QUERY);
    const instanceState = async () => (await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } })).state;
    try {
      // Within the plan: measured, nothing happens.
      await fillLibrary(inst.id, 'a.bin', 40);
      let report = await sync();
      assert.deepEqual(report.failed, []);
      assert.ok(report.storageMeasured >= 1);
      assert.deepEqual(report.storageHeld, []);
      assert.equal(await instanceState(), 'active');

      // Past the hard limit, written behind the photo app's back: held, stopped, audited, the owner told.
      await fillLibrary(inst.id, 'b.bin', 40);
      report = await sync();
      assert.deepEqual(report.failed, []);
      assert.deepEqual(report.storageHeld, [inst.id]);
      await waitFor('the suspension', instanceState, (s) => s === 'suspended');
      assert.equal(await answersThroughEdge(inst.host), false, 'a held instance does not answer');
      assert.equal((await status()).storageHold, true);
      const row = await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } });
      assert.ok(row.storageHoldSince);
      assert.ok(row.storageHoldBytes! >= 80n * MiB, `measured ${row.storageHoldBytes}`);
      assert.equal(row.storageHoldLimitBytes, (64n * MiB * 110n) / 100n);
      const held = await prisma.auditEvent.findFirstOrThrow({
        where: { action: 'subscription.storage_hold', targetId: subscriptionId },
      });
      assert.equal(held.instanceId, inst.id, "in the instance's own log");
      assert.equal(held.actorLabel, 'storage watchdog');
      const mail = await mailWithSubject(inst.email, /more than your plan allows/);
      assert.match(mail.text, /Nothing was deleted/);
      assert.match(mail.text, new RegExp(inst.host.replaceAll('.', '\\.')));

      // Billing cannot start it: a failed renewal then a payment leave it stopped.
      for (const fact of ['unpaid', 'paid'] as const) {
        const signal: SubscriptionSignal = {
          eventId: `evt-${fact}-${tag}`,
          fact,
          occurredAt: new Date().toISOString(),
        };
        await wf.signal(SUBSCRIPTION_EVENT_SIGNAL, signal);
      }
      await waitFor('both billing facts', status, (s) => s.eventsHandled >= 3 && s.state === 'active');
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await instanceState(), 'suspended', 'invoice.paid does not lift a storage hold');
      // Measured again while held and still over: nothing new.
      report = await sync();
      assert.deepEqual(report.storageHeld, []);
      assert.deepEqual(report.storageReleased, []);

      // An upgrade that fits: the quota refresh after the plan change releases it at once.
      await prisma.subscription.update({ where: { id: subscriptionId }, data: { planId: large.id } });
      const refresh = await execute<{ instanceId: string }, RefreshInstanceQuotasResult>(
        memberWorkflowNames.refreshInstanceQuotas,
        instanceQuotasWorkflowId(inst.id),
        { instanceId: inst.id },
      );
      assert.equal(refresh.storage, 'released');
      await waitFor('the resume after the upgrade', instanceState, (s) => s === 'active');
      await waitFor(
        'the edge',
        () => answersThroughEdge(inst.host),
        (ok) => ok,
        20_000,
      );
      const lifted = await prisma.auditEvent.findFirstOrThrow({
        where: { action: 'subscription.storage_hold_lifted', targetId: subscriptionId },
      });
      assert.equal((lifted.details as { liftedBy: string }).liftedBy, 'plan');
      assert.equal(
        (await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } })).storageHoldBytes,
        null,
      );

      // Back on the small plan: held again at the next sync; staff resume releases it.
      await prisma.subscription.update({ where: { id: subscriptionId }, data: { planId: small.id } });
      report = await sync();
      assert.deepEqual(report.storageHeld, [inst.id]);
      await waitFor('the second suspension', instanceState, (s) => s === 'suspended');
      const resume: StaffHoldSignal = {
        requestId: `staff/${tag}`,
        hold: false,
        actorId: null,
        reason: 'let them delete',
      };
      await wf.signal(STAFF_HOLD_SIGNAL, resume);
      await waitFor('the staff resume', instanceState, (s) => s === 'active');
      assert.equal((await status()).storageHold, false);
      const staffLift = await prisma.auditEvent.findMany({
        where: { action: 'subscription.storage_hold_lifted', targetId: subscriptionId },
        orderBy: { at: 'asc' },
      });
      assert.equal((staffLift.at(-1)!.details as { liftedBy: string }).liftedBy, 'staff');

      // What staff accepted is tolerated (the owner can delete); growing past it holds the instance again.
      report = await sync();
      assert.deepEqual(report.storageHeld, [], 'the size staff accepted does not hold it again');
      assert.equal(await instanceState(), 'active');
      await fillLibrary(inst.id, 'c.bin', 2);
      report = await sync();
      assert.deepEqual(report.storageHeld, [inst.id]);
      await waitFor('the suspension after growth', instanceState, (s) => s === 'suspended');
    } finally {
      await wf.terminate('test over').catch(() => undefined);
    }
  });
});
