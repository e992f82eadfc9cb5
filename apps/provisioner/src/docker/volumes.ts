// Named volumes hold an instance's data (library, database). They outlive containers on purpose: suspend and
// reprovision keep them; only deprovision removes them.
import type Docker from 'dockerode';
import { ForeignResourceError, isNotFound } from './errors.ts';
import { ownershipMismatch } from './labels.ts';

export type VolumeSpec = Docker.VolumeCreateOptions & { Name: string; Labels: Record<string, string> };

export interface EnsuredVolume {
  volume: Docker.VolumeInspectInfo;
  created: boolean;
}

async function inspectVolume(docker: Docker, name: string): Promise<Docker.VolumeInspectInfo | undefined> {
  try {
    return await docker.getVolume(name).inspect();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function assertOurs(found: Docker.VolumeInspectInfo, spec: VolumeSpec): Docker.VolumeInspectInfo {
  const mismatches = ownershipMismatch(found.Labels, spec.Labels);
  if (mismatches.length) throw new ForeignResourceError('volume', spec.Name, mismatches);
  return found;
}

export async function ensureVolume(docker: Docker, spec: VolumeSpec): Promise<EnsuredVolume> {
  const existing = await inspectVolume(docker, spec.Name);
  if (existing) return { volume: assertOurs(existing, spec), created: false };
  // createVolume resolves to a handle ({ name }), not the API JSON, and the Engine answers a create of an existing
  // local volume with that volume instead of 409: so inspect afterwards and check the labels again, in case
  // someone else created it in between.
  await docker.createVolume(spec);
  const created = await inspectVolume(docker, spec.Name);
  if (!created) throw new Error(`volume "${spec.Name}" vanished right after it was created`);
  return { volume: assertOurs(created, spec), created: true };
}

/** Removes the volume; true if it was there. A volume still mounted by a container is refused (409, rethrown). */
export async function removeVolume(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).remove();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
