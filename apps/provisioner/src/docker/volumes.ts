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

/**
 * What the named volumes hold on disk, in bytes, as the Engine measures them (`GET /system/df`, the volumes' UsageData:
 * it walks each volume's directory, whatever wrote the files). A volume that is not there counts 0; a size the Engine
 * could not compute (-1) is an error, never taken as 0. Engines from API 1.42 on can be asked for volumes only; older
 * ones measure images and containers too, which is slower but gives the same answer.
 */
export async function measureVolumes(docker: Docker, names: readonly string[]): Promise<Record<string, bigint>> {
  const version = await docker.version();
  const [major, minor] = (version.ApiVersion ?? '1.0').split('.').map(Number);
  const volumesOnly = (major ?? 1) > 1 || (minor ?? 0) >= 42;
  // dockerode's df() passes no query parameters: dial the endpoint through its modem.
  const df = await new Promise<{
    Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } | null }[] | null;
  }>((resolve, reject) =>
    docker.modem.dial(
      {
        path: '/system/df?',
        method: 'GET',
        options: volumesOnly ? { type: 'volume' } : {},
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (err, data) => (err ? reject(err) : resolve(data as never)),
    ),
  );
  const sizes: Record<string, bigint> = {};
  for (const name of names) {
    const found = df.Volumes?.find((v) => v.Name === name);
    if (!found) {
      sizes[name] = 0n;
      continue;
    }
    const size = found.UsageData?.Size;
    if (typeof size !== 'number' || size < 0) throw new Error(`the Docker engine could not measure volume "${name}"`);
    sizes[name] = BigInt(size);
  }
  return sizes;
}
