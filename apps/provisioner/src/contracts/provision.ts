// Provisioning an instance (SPEC V2): the saga's input, steps, progress query and result.
import { queryDefinition } from './definitions.ts';

export type { provisionInstanceWorkflow } from '../workflows/provision-instance.workflow.ts';

export const provisionInstanceWorkflowName = 'provisionInstanceWorkflow';

export interface ProvisionInstanceInput {
  instanceId: string;
  owner: { email: string; name: string };
}

/** The saga's steps, in order; `progress` queries and the instance's provisioningStep name them (SPEC V2). */
export const provisionSteps = [
  'start',
  'place',
  'containers',
  'owner',
  'configure',
  'route',
  'activate',
  'notify',
] as const;
export type ProvisionStep = (typeof provisionSteps)[number];

export interface ProvisionProgress {
  step: ProvisionStep;
  completed: ProvisionStep[];
  failed: boolean;
}

export interface ProvisionInstanceResult {
  instanceId: string;
  /** False when the ready e-mail could not be sent (the instance is active regardless). */
  ownerNotified: boolean;
  hostName: string;
  appHostPort: number;
  url: string;
}

export function provisionInstanceWorkflowId(instanceId: string): string {
  return `instance-provision-${instanceId}`;
}

export const PROGRESS_QUERY = 'progress';

/** The saga's progress, for `handle.query(progressQuery)`; the workflow answers it with setHandler. */
export const progressQuery = queryDefinition<ProvisionProgress, typeof PROGRESS_QUERY>(PROGRESS_QUERY);
