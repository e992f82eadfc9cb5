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
} as const;

export function probeDockerHostWorkflowId(hostName: string): string {
  return `docker-host-probe-${hostName}`;
}
