// How support operates an instance (SPEC V3, A4). Suspend and resume are a hold the subscription workflow keeps
// (issue 13): that workflow owns the instance's lifecycle, so a staff suspension is not undone by the next
// invoice.paid; it lasts until staff resume, and resuming lifts the hold only (an instance stopped for non-payment
// stays stopped). Deprovision starts the instance's lifecycle workflow, whose id Temporal refuses twice while one
// runs; reprovision re-runs the provisioning saga under the provisioning id, as the provisioner does.
import { randomUUID } from 'node:crypto';
import {
  type deprovisionInstanceWorkflow,
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  type reprovisionInstanceWorkflow,
  staffHoldSignal,
  type subscriptionWorkflow,
  subscriptionWorkflowId,
  subscriptionWorkflowName,
  workflowNames,
  type InstanceOperation,
  type InstanceOperationInput,
  type StaffHoldSignal,
  type SubscriptionTimers,
  type SubscriptionWorkflowInput,
} from '@photoplane/provisioner/contracts';
import { DomainError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

export interface StartedOperation {
  workflowId: string;
  runId: string;
}

export interface InstanceOperations {
  /** Resolves once Temporal has accepted the workflow or the hold; the instance's state shows its progress. */
  start(operation: InstanceOperation, instanceId: string): Promise<StartedOperation>;
}

export interface InstanceOperationsDeps {
  client: Client;
  taskQueue: string;
  /** The subscription workflow's timers, for a hold that starts it (a subscription whose workflow has ended). */
  timers: SubscriptionTimers;
  subscriptionOf(instanceId: string): Promise<string | null>;
}

const workflowOf: Record<'deprovision' | 'reprovision', { name: string; id: (instanceId: string) => string }> = {
  deprovision: { name: workflowNames.deprovisionInstance, id: instanceLifecycleWorkflowId },
  reprovision: { name: workflowNames.reprovisionInstance, id: provisionInstanceWorkflowId },
};

export function createInstanceOperations(deps: InstanceOperationsDeps): InstanceOperations {
  async function hold(instanceId: string, held: boolean): Promise<StartedOperation> {
    const subscriptionId = await deps.subscriptionOf(instanceId);
    if (!subscriptionId) throw new DomainError('not_found', 'This instance has no subscription.');
    const signal: StaffHoldSignal = { requestId: `staff/${randomUUID()}`, hold: held, actorId: null, reason: null };
    const input: SubscriptionWorkflowInput = { subscriptionId, timers: deps.timers };
    const handle = await deps.client.workflow.signalWithStart<typeof subscriptionWorkflow, [StaffHoldSignal]>(
      subscriptionWorkflowName,
      {
        taskQueue: deps.taskQueue,
        workflowId: subscriptionWorkflowId(subscriptionId),
        args: [input],
        signal: staffHoldSignal,
        signalArgs: [signal],
      },
    );
    // The work itself runs under the instance's lifecycle id, started by the subscription workflow.
    return { workflowId: instanceLifecycleWorkflowId(instanceId), runId: handle.signaledRunId };
  }

  return {
    async start(operation, instanceId) {
      if (operation === 'suspend' || operation === 'resume') return hold(instanceId, operation === 'suspend');
      const { name, id } = workflowOf[operation];
      const input: InstanceOperationInput = { instanceId };
      try {
        const handle = await deps.client.workflow.start<
          typeof deprovisionInstanceWorkflow | typeof reprovisionInstanceWorkflow
        >(name, {
          taskQueue: deps.taskQueue,
          workflowId: id(instanceId),
          args: [input],
        });
        return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
      } catch (e) {
        if (e instanceof WorkflowExecutionAlreadyStartedError) {
          throw new DomainError(
            'conflict',
            'Another operation is still running on this instance; try again when it ends.',
            {
              field: 'subdomain',
            },
          );
        }
        throw e;
      }
    },
  };
}
