// The portal's side of fleet upgrades (SPEC F3) in Temporal: start the one rollout workflow, signal it, cancel it.
// The workflow owns the rollout; this only asks.
import {
  FLEET_UPGRADE_PAUSE_SIGNAL,
  FLEET_UPGRADE_RESUME_SIGNAL,
  FLEET_UPGRADE_WORKFLOW,
  FLEET_UPGRADE_WORKFLOW_ID,
  type FleetUpgradeInput,
} from '@photoplane/provisioner/contracts';
import { DomainError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';

export interface FleetUpgradeControl {
  start(input: FleetUpgradeInput): Promise<void>;
  send(action: 'pause' | 'resume' | 'cancel'): Promise<void>;
}

export function createFleetUpgradeControl(deps: { client: Client; taskQueue: string }): FleetUpgradeControl {
  return {
    async start(input) {
      try {
        await deps.client.workflow.start(FLEET_UPGRADE_WORKFLOW, {
          taskQueue: deps.taskQueue,
          workflowId: FLEET_UPGRADE_WORKFLOW_ID,
          args: [input],
        });
      } catch (e) {
        if (e instanceof WorkflowExecutionAlreadyStartedError)
          throw new DomainError('conflict', 'Another fleet upgrade is still running; wait for it or cancel it.');
        throw e;
      }
    },
    async send(action) {
      const handle = deps.client.workflow.getHandle(FLEET_UPGRADE_WORKFLOW_ID);
      try {
        if (action === 'cancel') await handle.cancel();
        else await handle.signal(action === 'pause' ? FLEET_UPGRADE_PAUSE_SIGNAL : FLEET_UPGRADE_RESUME_SIGNAL);
      } catch (e) {
        if (e instanceof WorkflowNotFoundError)
          throw new DomainError('conflict', 'This fleet upgrade is no longer running.');
        throw e;
      }
    },
  };
}
