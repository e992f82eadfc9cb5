// How support starts the provisioner's lifecycle workflows on an instance (SPEC V3, A4): suspend, resume and
// deprovision share the instance's lifecycle workflow id, so Temporal itself refuses a second operation while one
// runs; reprovision re-runs the provisioning saga under the provisioning id, as the provisioner does.
import {
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  workflowNames,
  type InstanceOperation,
  type InstanceOperationInput,
} from '@photoplane/provisioner/shared';
import { DomainError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

export interface StartedOperation {
  workflowId: string;
  runId: string;
}

export interface InstanceOperations {
  /** Resolves once Temporal has accepted the workflow; the instance's state shows its progress. */
  start(operation: InstanceOperation, instanceId: string): Promise<StartedOperation>;
}

const workflowOf: Record<InstanceOperation, { name: string; id: (instanceId: string) => string }> = {
  suspend: { name: workflowNames.suspendInstance, id: instanceLifecycleWorkflowId },
  resume: { name: workflowNames.resumeInstance, id: instanceLifecycleWorkflowId },
  deprovision: { name: workflowNames.deprovisionInstance, id: instanceLifecycleWorkflowId },
  reprovision: { name: workflowNames.reprovisionInstance, id: provisionInstanceWorkflowId },
};

export function createInstanceOperations(deps: { client: Client; taskQueue: string }): InstanceOperations {
  return {
    async start(operation, instanceId) {
      const { name, id } = workflowOf[operation];
      const input: InstanceOperationInput = { instanceId };
      try {
        const handle = await deps.client.workflow.start(name, {
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
