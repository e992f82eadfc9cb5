// Bringing an instance's stack up and taking it down. Both are idempotent so a retried or compensating workflow
// step can call them again: ensure creates only what is missing, remove treats "nothing there" as done.
import type Docker from 'dockerode';
import {
  ensureContainer,
  publishedPort,
  removeContainer,
  startContainer,
  waitHealthy,
  type EnsuredContainer,
} from './containers.ts';
import { imageExists } from './images.ts';
import { STACK_ROLES, type InstanceStackSpec, type StackRole } from './instance-stack-spec.ts';
import { listManaged } from './managed.ts';
import { ensureNetwork, removeNetwork, type EnsuredNetwork, type NetworkSpec } from './networks.ts';
import { ensureVolume, removeVolume, type EnsuredVolume } from './volumes.ts';

export class MissingImageError extends Error {
  constructor(readonly ref: string) {
    super(`image "${ref}" is not on this Docker Engine; pull it before provisioning`);
    this.name = 'MissingImageError';
  }
}

export interface EnsureInstanceStackOptions {
  /** Per wait (db and cache together, then the app). */
  healthTimeoutMs?: number;
  pollMs?: number;
}

export interface EnsuredInstanceStack {
  appHostPort: number;
  network: EnsuredNetwork;
  egressNetwork: EnsuredNetwork;
  volumes: { library: EnsuredVolume; database: EnsuredVolume };
  containers: Record<StackRole, EnsuredContainer>;
  /** Any container made from another image or spec than asked; left running as it is, for reconcile to decide. */
  drifted: StackRole[];
}

/**
 * The network as the spec says, replacing one of ours made with other isolation settings: the instance's containers
 * attached to it are removed first (the Engine refuses otherwise; they are recreated from the spec next, over the
 * same volumes).
 */
async function ensureNetworkAsSpecified(docker: Docker, spec: InstanceStackSpec, network: NetworkSpec) {
  const ensured = await ensureNetwork(docker, network);
  if (!ensured.drift.length) return ensured;
  const { containers } = await listManaged(docker, spec.instanceId);
  for (const c of containers) {
    if (c.NetworkSettings?.Networks?.[network.Name]) await removeContainer(docker, c.Id);
  }
  await removeNetwork(docker, ensured.network.Id);
  const replaced = await ensureNetwork(docker, network);
  return { ...replaced, drift: ensured.drift };
}

async function ensureStarted(docker: Docker, spec: InstanceStackSpec, role: StackRole): Promise<EnsuredContainer> {
  const ensured = await ensureContainer(docker, spec.containers[role]);
  await startContainer(docker, spec.containers[role].name);
  return ensured;
}

/**
 * Like Promise.all, but settles only when every task has: a failure never returns while a sibling is still creating
 * something, which a compensation (removeInstanceStack) running right after would then miss.
 */
async function allSettledOrThrow<T extends readonly unknown[] | []>(
  tasks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(tasks);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

export async function ensureInstanceStack(
  docker: Docker,
  spec: InstanceStackSpec,
  opts: EnsureInstanceStackOptions = {},
): Promise<EnsuredInstanceStack> {
  const wait = { timeoutMs: opts.healthTimeoutMs ?? 120_000, pollMs: opts.pollMs ?? 1_000 };
  // A missing image would surface as a 404 from create, easy to mistake for "container not found".
  await allSettledOrThrow(
    STACK_ROLES.map(async (role) => {
      const ref = spec.containers[role].Image;
      if (!(await imageExists(docker, ref))) throw new MissingImageError(ref);
    }),
  );
  // Networks and volumes do not depend on each other: the Engine makes them at once.
  const [network, egressNetwork, library, database] = await allSettledOrThrow([
    ensureNetworkAsSpecified(docker, spec, spec.network),
    ensureNetworkAsSpecified(docker, spec, spec.egressNetwork),
    ensureVolume(docker, spec.volumes.library),
    ensureVolume(docker, spec.volumes.database),
  ]);
  const volumes = { library, database };
  // The app connects to db and cache at boot, so they come first (together) and must be healthy before it starts.
  const startHealthy = async (role: StackRole) => {
    const ensured = await ensureStarted(docker, spec, role);
    await waitHealthy(docker, spec.names[role], wait);
    return ensured;
  };
  const [db, cache] = await allSettledOrThrow([startHealthy('db'), startHealthy('cache')]);
  const app = await ensureStarted(docker, spec, 'app');
  await waitHealthy(docker, spec.names.app, wait);
  const containers = { db, cache, app };
  return {
    appHostPort: await publishedPort(docker, spec.names.app, spec.appPort),
    network,
    egressNetwork,
    volumes,
    containers,
    drifted: STACK_ROLES.filter((r) => containers[r].drifted),
  };
}

export interface RemovedInstanceStack {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/**
 * Removes everything carrying the instance's labels: containers, then the networks (which refuse while a container
 * is attached), then the volumes unless `keepVolumes` (suspend and reprovision keep the data).
 */
export async function removeInstanceStack(
  docker: Docker,
  instanceId: string,
  opts: { keepVolumes?: boolean } = {},
): Promise<RemovedInstanceStack> {
  const found = await listManaged(docker, instanceId);
  const removed: RemovedInstanceStack = { containers: [], networks: [], volumes: [] };
  for (const c of found.containers) {
    if (await removeContainer(docker, c.Id)) removed.containers.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
  }
  for (const n of found.networks) {
    if (await removeNetwork(docker, n.Id)) removed.networks.push(n.Name);
  }
  if (!opts.keepVolumes) {
    for (const v of found.volumes) {
      if (await removeVolume(docker, v.Name)) removed.volumes.push(v.Name);
    }
  }
  return removed;
}
