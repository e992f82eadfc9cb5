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
  /**
   * An existing network of ours made with other isolation settings (say, before db and cache moved to an internal
   * network): what differs. Left as it is; the caller decides (ensureInstanceStack replaces it).
   */
  drift: string[];
}

const BRIDGE_NAME = 'com.docker.network.bridge.name';

/** The settings that decide what a network's containers can reach. */
export function networkDrift(found: Docker.NetworkInspectInfo, spec: NetworkSpec): string[] {
  const drift: string[] = [];
  if (Boolean(found.Internal) !== Boolean(spec.Internal))
    drift.push(`internal ${Boolean(found.Internal)}, expected ${Boolean(spec.Internal)}`);
  const want = spec.Options?.[BRIDGE_NAME];
  const have = found.Options?.[BRIDGE_NAME];
  if (want !== undefined && have !== want) drift.push(`bridge ${have ?? '(default)'}, expected ${want}`);
  return drift;
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
  if (existing) {
    const network = assertOurs(existing, spec);
    return { network, created: false, drift: networkDrift(network, spec) };
  }
  try {
    // Without CheckDuplicate an old Engine happily makes a second network with the same name.
    await docker.createNetwork({ ...spec, CheckDuplicate: true });
  } catch (e) {
    // Someone created it between our inspect and create: fine if it is ours, checked below.
    if (!isConflict(e)) throw e;
    const raced = await inspectNetwork(docker, spec.Name);
    if (!raced) throw e;
    const network = assertOurs(raced, spec);
    return { network, created: false, drift: networkDrift(network, spec) };
  }
  const created = await inspectNetwork(docker, spec.Name);
  if (!created) throw new Error(`network "${spec.Name}" vanished right after it was created`);
  return { network: assertOurs(created, spec), created: true, drift: [] };
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
