// How support operates an instance (SPEC V3, A4). Every operation is a signal to the subscription workflow, which
// owns the instance's lifecycle (issue 13), sent by the outbox after the commit of support's audit row. Suspend and
// resume are a hold it keeps, so a staff suspension is not undone by the next invoice.paid; it lasts until staff
// resume, and resuming lifts the hold only (an instance stopped for non-payment stays stopped; a storage hold is
// lifted too). Reprovision and rm are queued behind whatever the workflow is doing to the instance, so two operations
// never work on the same containers; the workflow then knows what the instance became (a later payment does not try
// to resume a removed instance).
import { randomUUID } from 'node:crypto';
import {
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  staffHoldSignal,
  staffOperationSignal,
  type subscriptionWorkflow,
  subscriptionWorkflowId,
  subscriptionWorkflowName,
  type InstanceOperation,
  type StaffHoldSignal,
  type StaffOperationSignal,
  type SubscriptionTimers,
  type SubscriptionWorkflowInput,
} from '@photoplane/provisioner/contracts';
import { DomainError } from '@photoplane/tenant-model';
import type { Client } from '@temporalio/client';
import { OUTBOX } from '../billing/billing-outbox.ts';
import type { OutboxHandlers } from '../billing/outbox-dispatcher.ts';

export interface StartedOperation {
  workflowId: string;
  runId: string;
}

export interface InstanceOperations {
  /**
   * Resolves once Temporal has accepted the signal; the instance's state shows its progress. `requestId` names the
   * request: the workflow drops a second signal with the same one, so the outbox may send it again safely.
   */
  start(operation: InstanceOperation, instanceId: string, requestId?: string): Promise<StartedOperation>;
}

export interface InstanceOperationsDeps {
  client: Client;
  taskQueue: string;
  /** The subscription workflow's timers, for a signal that starts it (a subscription whose workflow has ended). */
  timers: SubscriptionTimers;
  subscriptionOf(instanceId: string): Promise<string | null>;
}

/** Where each operation's work runs (the id support's answer names), started by the subscription workflow. */
const workOf: Record<InstanceOperation, (instanceId: string) => string> = {
  suspend: instanceLifecycleWorkflowId,
  resume: instanceLifecycleWorkflowId,
  deprovision: instanceLifecycleWorkflowId,
  reprovision: provisionInstanceWorkflowId,
};

export function createInstanceOperations(deps: InstanceOperationsDeps): InstanceOperations {
  return {
    async start(operation, instanceId, requestId = `staff/${randomUUID()}`) {
      const subscriptionId = await deps.subscriptionOf(instanceId);
      if (!subscriptionId) throw new DomainError('not_found', 'This instance has no subscription.');
      const input: SubscriptionWorkflowInput = { subscriptionId, timers: deps.timers };
      const start = { taskQueue: deps.taskQueue, workflowId: subscriptionWorkflowId(subscriptionId), args: [input] };
      const handle =
        operation === 'suspend' || operation === 'resume'
          ? await deps.client.workflow.signalWithStart<typeof subscriptionWorkflow, [StaffHoldSignal]>(
              subscriptionWorkflowName,
              {
                ...start,
                args: [input],
                signal: staffHoldSignal,
                signalArgs: [{ requestId, hold: operation === 'suspend', actorId: null, reason: null }],
              },
            )
          : await deps.client.workflow.signalWithStart<typeof subscriptionWorkflow, [StaffOperationSignal]>(
              subscriptionWorkflowName,
              {
                ...start,
                args: [input],
                signal: staffOperationSignal,
                signalArgs: [{ requestId, operation, actorId: null, reason: null }],
              },
            );
      return { workflowId: workOf[operation](instanceId), runId: handle.signaledRunId };
    },
  };
}

/** The workflow that does an operation's work: what support's answer names, known before the signal is sent. */
export function operationWorkflowId(operation: InstanceOperation, instanceId: string): string {
  return workOf[operation](instanceId);
}

/** What support's transaction puts in the outbox for one operation (support/tenants.service.ts). */
export interface StaffOperationMessage {
  operation: InstanceOperation;
  instanceId: string;
  requestId: string;
}

/** Sends support's queued operations, after the commit that wrote their audit rows. */
export function createStaffOperationHandlers(operations: InstanceOperations): OutboxHandlers {
  return {
    [OUTBOX.staffOperation]: async (payload) => {
      const { operation, instanceId, requestId } = payload as StaffOperationMessage;
      await operations.start(operation, instanceId, requestId);
    },
  };
}
