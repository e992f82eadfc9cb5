// What the Engine holds for one instance, found by label rather than by name: that also catches resources a
// future version names differently, and never touches anything without our labels.
import type Docker from 'dockerode';
import { instanceFilters } from './labels.ts';
import { assertInstanceId } from './names.ts';

export interface ManagedResources {
  containers: Docker.ContainerInfo[];
  networks: Docker.NetworkInspectInfo[];
  volumes: Docker.VolumeInspectInfo[];
}

export async function listManaged(docker: Docker, instanceId: string): Promise<ManagedResources> {
  // An empty id would turn the filter into "label present with an empty value"; refuse it like any bad id.
  assertInstanceId(instanceId);
  const filters = JSON.stringify(instanceFilters(instanceId));
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers, networks, volumes: volumes.Volumes ?? [] };
}
