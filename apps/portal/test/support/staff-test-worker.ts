// A worker on the real Temporal dev server (TEMPORAL_ADDRESS from `npm test`) running staff-test-workflows.ts on a
// task queue of its own, so the support API and the CLI start real workflows whose calls the tests can read.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { PrismaClient } from '@photoplane/db';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createInstanceOperations, type InstanceOperations } from '../../src/support/instance-operations.ts';
import { createFleetUpgradeControl, type FleetUpgradeControl } from '../../src/support/fleet-upgrade-control.ts';
import { createFleetActivities } from '../../../provisioner/src/activities/fleet.activities.ts';
import {
  createSubscriptionActivities,
  type SubscriptionActivities,
} from '../../../provisioner/src/activities/subscription.activities.ts';
import type { StaffOperationCall } from './staff-test-workflows.ts';

export type { StaffOperationCall };

export interface StaffTestWorker {
  /** The portal's instance operations, starting this worker's workflows over the test's database. */
  operations(client: Client): InstanceOperations;
  /** The portal's fleet-upgrade control, starting this worker's (real) fleet workflow. */
  fleet(client: Client): FleetUpgradeControl;
  taskQueue: string;
  temporalAddress: string;
  namespace: string;
  calls: StaffOperationCall[];
  /** Waits until a call to `workflowId` arrives (workflows run asynchronously after their start). */
  waitForCall(workflowId: string, timeoutMs?: number): Promise<StaffOperationCall>;
  stop(): Promise<void>;
}

/**
 * `prisma`: the test's database, read when the subscription workflow's activities run (the harness that owns it may
 * be started after the worker).
 */
export async function startStaffTestWorker(opts: { prisma: () => PrismaClient }): Promise<StaffTestWorker> {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through `npm test`');
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = `test-support-${randomBytes(4).toString('hex')}`;
  const calls: StaffOperationCall[] = [];
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./staff-test-workflows.ts', import.meta.url)),
    activities: {
      // The subscription workflow's own activities, over the test's database.
      loadSubscription: (input: { subscriptionId: string }) =>
        createSubscriptionActivities({ prisma: opts.prisma() }).loadSubscription(input),
      recordSubscriptionState: (input: Parameters<SubscriptionActivities['recordSubscriptionState']>[0]) =>
        createSubscriptionActivities({ prisma: opts.prisma() }).recordSubscriptionState(input),
      recordStaffHold: (input: Parameters<SubscriptionActivities['recordStaffHold']>[0]) =>
        createSubscriptionActivities({ prisma: opts.prisma() }).recordStaffHold(input),
      // The fleet workflow's activities, over the test's database (its instance upgrades are the recording stubs).
      listUpgradeTargets: (input: { appImage: string }) =>
        createFleetActivities({ prisma: opts.prisma() }).listUpgradeTargets(input),
      recordFleetUpgrade: (input: Parameters<ReturnType<typeof createFleetActivities>['recordFleetUpgrade']>[0]) =>
        createFleetActivities({ prisma: opts.prisma() }).recordFleetUpgrade(input),
      recordStaffOperation: async (call: StaffOperationCall) => {
        calls.push(call);
      },
    },
  });
  const running = worker.run();
  return {
    operations: (client) =>
      createInstanceOperations({
        client,
        taskQueue,
        timers: { graceMs: 60_000, retentionMs: 60_000 },
        subscriptionOf: async (instanceId) =>
          (await opts.prisma().instance.findUnique({ where: { id: instanceId } }))?.subscriptionId ?? null,
      }),
    fleet: (client) => createFleetUpgradeControl({ client, taskQueue }),
    taskQueue,
    temporalAddress,
    namespace,
    calls,
    async waitForCall(workflowId, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = calls.find((c) => c.workflowId === workflowId);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no workflow ${workflowId} ran within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
