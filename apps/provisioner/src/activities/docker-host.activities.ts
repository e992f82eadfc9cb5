// Activities about Docker hosts: ask the engine what it is, record it in the database.
import type { PrismaClient } from '@photoplane/db';
import type Docker from 'dockerode';
import { inspectEngine } from '../docker/index.ts';
import type { DockerEngineFacts, DockerHostProbeInput } from '../contracts/index.ts';

export interface DockerHostActivityDeps {
  docker: Docker;
  prisma: PrismaClient;
}

export function createDockerHostActivities({ docker, prisma }: DockerHostActivityDeps) {
  return {
    async inspectDockerEngine(): Promise<DockerEngineFacts> {
      return inspectEngine(docker);
    },

    /** Idempotent: the host is keyed by its unique name, so a retried activity updates the same row. */
    async recordDockerHostProbe(input: DockerHostProbeInput & { facts: DockerEngineFacts; probedAt: string }) {
      const data = {
        endpoint: input.endpoint,
        engineVersion: input.facts.version,
        apiVersion: input.facts.apiVersion,
        lastProbedAt: new Date(input.probedAt),
      };
      const host = await prisma.dockerHost.upsert({
        where: { name: input.hostName },
        create: { name: input.hostName, ...data },
        update: data,
      });
      return { hostId: host.id };
    },
  };
}

export type DockerHostActivities = ReturnType<typeof createDockerHostActivities>;
