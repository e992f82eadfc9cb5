// How the portal reaches the subscription workflows (DESIGN: one workflow per subscription, fed by signals):
// signalWithStart starts `subscription-<id>` on its first event and only signals it afterwards. Sent by the outbox
// dispatcher (billing-outbox.ts); a call has a deadline, so an unreachable Temporal fails it and the message is
// retried later instead of holding its lease.
import {
  stripeEventSignal,
  type subscriptionWorkflow,
  subscriptionWorkflowId,
  subscriptionWorkflowName,
  type SubscriptionSignal,
  type SubscriptionTimers,
  type SubscriptionWorkflowInput,
} from '@photoplane/provisioner/contracts';
import type { Client } from '@temporalio/client';

export interface SubscriptionWorkflows {
  signal(subscriptionId: string, signal: SubscriptionSignal): Promise<void>;
}

export function createSubscriptionWorkflows(deps: {
  client: Client;
  taskQueue: string;
  timers: SubscriptionTimers;
  /** Deadline of one call (default 10 s). */
  callTimeoutMs?: number;
}): SubscriptionWorkflows {
  const timeoutMs = deps.callTimeoutMs ?? 10_000;
  return {
    async signal(subscriptionId, signal) {
      const input: SubscriptionWorkflowInput = { subscriptionId, timers: deps.timers };
      await deps.client.withDeadline(Date.now() + timeoutMs, () =>
        deps.client.workflow.signalWithStart<typeof subscriptionWorkflow, [SubscriptionSignal]>(
          subscriptionWorkflowName,
          {
            taskQueue: deps.taskQueue,
            workflowId: subscriptionWorkflowId(subscriptionId),
            args: [input],
            signal: stripeEventSignal,
            signalArgs: [signal],
          },
        ),
      );
    },
  };
}
