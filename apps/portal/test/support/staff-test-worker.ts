// A worker on the real Temporal dev server (TEMPORAL_ADDRESS from `npm test`) running staff-test-workflows.ts on a
// task queue of its own, so the support API and the CLI start real workflows whose calls the tests can read.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { StaffOperationCall } from './staff-test-workflows.ts';

export type { StaffOperationCall };

export interface StaffTestWorker {
  taskQueue: string;
  temporalAddress: string;
  namespace: string;
  calls: StaffOperationCall[];
  /** Waits until a call to `workflowId` arrives (workflows run asynchronously after their start). */
  waitForCall(workflowId: string, timeoutMs?: number): Promise<StaffOperationCall>;
  stop(): Promise<void>;
}

export async function startStaffTestWorker(): Promise<StaffTestWorker> {
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
      recordStaffOperation: async (call: StaffOperationCall) => {
        calls.push(call);
      },
    },
  });
  const running = worker.run();
  return {
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
