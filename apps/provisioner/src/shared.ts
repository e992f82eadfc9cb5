// What the portal (and tests) need to start the provisioner's workflows: names, task queue and signatures.
// Imported by the portal, so it holds types and constants only.
export const DEFAULT_TASK_QUEUE = 'photoplane-provisioner';

export interface DockerHostProbeInput {
  /** Unique name of the host in the `docker_host` table. */
  hostName: string;
  /** The endpoint the worker reached it at (e.g. unix:///var/run/docker.sock). */
  endpoint: string;
}

export interface DockerEngineFacts {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

export interface DockerHostProbeResult extends DockerEngineFacts {
  hostId: string;
  probedAt: string;
}

export const workflowNames = {
  probeDockerHost: 'probeDockerHostWorkflow',
  provisionInstance: 'provisionInstanceWorkflow',
} as const;

export function probeDockerHostWorkflowId(hostName: string): string {
  return `docker-host-probe-${hostName}`;
}

/** Host-bound activities (Docker) run on the queue of the host the instance was placed on (SPEC V5). */
export function hostTaskQueue(hostName: string): string {
  return `photoplane-host-${hostName}`;
}

export interface ProvisionInstanceInput {
  instanceId: string;
  owner: { email: string; name: string };
}

/** The saga's steps, in order; `progress` queries and the instance's provisioningStep name them (SPEC V2). */
export const provisionSteps = ['start', 'place', 'containers', 'owner', 'route', 'activate'] as const;
export type ProvisionStep = (typeof provisionSteps)[number];

export interface ProvisionProgress {
  step: ProvisionStep;
  completed: ProvisionStep[];
  failed: boolean;
}

export interface ProvisionInstanceResult {
  instanceId: string;
  hostName: string;
  appHostPort: number;
  url: string;
}

export function provisionInstanceWorkflowId(instanceId: string): string {
  return `instance-provision-${instanceId}`;
}

export const PROGRESS_QUERY = 'progress';
