// Facts about a Docker Engine, as the placement and probe code need them.
import type Docker from 'dockerode';
import type { DockerEngineFacts } from '../contracts/index.ts';

export async function inspectEngine(docker: Docker): Promise<DockerEngineFacts> {
  const v = await docker.version();
  return {
    version: v.Version,
    apiVersion: v.ApiVersion,
    os: v.Os,
    arch: v.Arch,
    kernelVersion: v.KernelVersion ?? '',
  };
}
