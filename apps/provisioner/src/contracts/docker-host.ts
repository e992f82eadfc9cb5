// The Docker host probe (SPEC V1): the smallest workflow, crossing Temporal, Docker and PostgreSQL once each.
export type { probeDockerHostWorkflow } from '../workflows/probe-docker-host.workflow.ts';

export const probeDockerHostWorkflowName = 'probeDockerHostWorkflow';

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

export function probeDockerHostWorkflowId(hostName: string): string {
  return `docker-host-probe-${hostName}`;
}
