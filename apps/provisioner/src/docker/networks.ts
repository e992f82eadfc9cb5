// One user-defined bridge network per instance. Our dockerd runs with --bridge=none, so a container only has a
// network (and can only publish ports) through a network like this; Docker's iptables isolation keeps two such
// networks apart.
import type Docker from 'dockerode';
import { ForeignResourceError, isConflict, isNotFound } from './errors.ts';
import { ownershipMismatch } from './labels.ts';

export type NetworkSpec = Docker.NetworkCreateOptions & { Labels: Record<string, string> };

export interface EnsuredNetwork {
  network: Docker.NetworkInspectInfo;
  created: boolean;
}

async function inspectNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    return await docker.getNetwork(name).inspect();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function assertOurs(found: Docker.NetworkInspectInfo, spec: NetworkSpec): Docker.NetworkInspectInfo {
  // The Engine also resolves a name as an id prefix; only an exact name match is the network we asked for.
  const mismatches = found.Name === spec.Name ? ownershipMismatch(found.Labels, spec.Labels) : [`name ${found.Name}`];
  if (mismatches.length) throw new ForeignResourceError('network', spec.Name, mismatches);
  return found;
}

export async function ensureNetwork(docker: Docker, spec: NetworkSpec): Promise<EnsuredNetwork> {
  const existing = await inspectNetwork(docker, spec.Name);
  if (existing) return { network: assertOurs(existing, spec), created: false };
  try {
    // Without CheckDuplicate an old Engine happily makes a second network with the same name.
    await docker.createNetwork({ ...spec, CheckDuplicate: true });
  } catch (e) {
    // Someone created it between our inspect and create: fine if it is ours, checked below.
    if (!isConflict(e)) throw e;
    const raced = await inspectNetwork(docker, spec.Name);
    if (!raced) throw e;
    return { network: assertOurs(raced, spec), created: false };
  }
  const created = await inspectNetwork(docker, spec.Name);
  if (!created) throw new Error(`network "${spec.Name}" vanished right after it was created`);
  return { network: assertOurs(created, spec), created: true };
}

/** Removes the network; true if it was there. Containers still attached make the Engine refuse (rethrown). */
export async function removeNetwork(docker: Docker, nameOrId: string): Promise<boolean> {
  try {
    await docker.getNetwork(nameOrId).remove();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
