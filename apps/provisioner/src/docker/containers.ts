// Containers: ensure (inspect, create on 404), start/stop/remove that tolerate "already so", and waiting until
// the Engine's own health check says healthy.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { ContainerNotHealthyError, ForeignResourceError, isConflict, isNotFound, isNotModified } from './errors.ts';
import { LABELS, ownershipMismatch } from './labels.ts';

export type ContainerSpec = Docker.ContainerCreateOptions & {
  name: string;
  Image: string;
  Labels: Record<string, string>;
};

/** JSON with sorted keys, so the same spec always hashes the same whatever order it was built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of everything in the create options except the hash label itself. */
export function containerSpecHash(spec: ContainerSpec): string {
  const { [LABELS.specHash]: _ignored, ...labels } = spec.Labels;
  return createHash('sha256')
    .update(canonicalJson({ ...spec, Labels: labels }))
    .digest('hex')
    .slice(0, 16);
}

export function withSpecHash(spec: ContainerSpec): ContainerSpec {
  return { ...spec, Labels: { ...spec.Labels, [LABELS.specHash]: containerSpecHash(spec) } };
}

export interface ContainerDrift {
  field: 'image' | 'spec-hash';
  expected: string;
  actual: string | undefined;
}

export interface EnsuredContainer {
  container: Docker.ContainerInspectInfo;
  created: boolean;
  /** The existing container was made from another image or spec. It is left alone: reconcile decides. */
  drifted: boolean;
  drift: ContainerDrift[];
}

export async function inspectContainer(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function assertOurs(found: Docker.ContainerInspectInfo, spec: ContainerSpec): Docker.ContainerInspectInfo {
  // The Engine also resolves a name as an id prefix; only an exact name match is the container we asked for.
  const mismatches =
    found.Name === `/${spec.name}` ? ownershipMismatch(found.Config.Labels, spec.Labels) : [`name ${found.Name}`];
  if (mismatches.length) throw new ForeignResourceError('container', spec.name, mismatches);
  return found;
}

function driftOf(found: Docker.ContainerInspectInfo, spec: ContainerSpec): ContainerDrift[] {
  const drift: ContainerDrift[] = [];
  if (found.Config.Image !== spec.Image)
    drift.push({ field: 'image', expected: spec.Image, actual: found.Config.Image });
  const want = spec.Labels[LABELS.specHash];
  const have = found.Config.Labels?.[LABELS.specHash];
  if (want !== undefined && have !== want) drift.push({ field: 'spec-hash', expected: want, actual: have });
  return drift;
}

function existingResult(found: Docker.ContainerInspectInfo, spec: ContainerSpec): EnsuredContainer {
  const drift = driftOf(assertOurs(found, spec), spec);
  return { container: found, created: false, drifted: drift.length > 0, drift };
}

/**
 * Engine API 1.41 takes one network endpoint at create: the container is created on its NetworkMode network, and
 * every other endpoint of the spec is connected before it starts (the spec hash covers them all).
 */
function splitEndpoints(spec: ContainerSpec): {
  createSpec: ContainerSpec;
  more: [string, Docker.EndpointSettings][];
} {
  const all = Object.entries(spec.NetworkingConfig?.EndpointsConfig ?? {});
  const mode = spec.HostConfig?.NetworkMode;
  const first = all.filter(([name]) => name === mode);
  const more = all.filter(([name]) => name !== mode);
  if (!more.length) return { createSpec: spec, more };
  return {
    createSpec: { ...spec, NetworkingConfig: { EndpointsConfig: Object.fromEntries(first) } },
    more,
  };
}

/** Connects the container to the spec's endpoints it lacks (a retry after a crash between create and connect). */
async function connectMissing(docker: Docker, spec: ContainerSpec, found: Docker.ContainerInspectInfo) {
  const { more } = splitEndpoints(spec);
  const attached = found.NetworkSettings?.Networks ?? {};
  let changed = false;
  for (const [network, endpoint] of more) {
    if (attached[network]) continue;
    await docker.getNetwork(network).connect({ Container: spec.name, EndpointConfig: endpoint });
    changed = true;
  }
  return changed ? await inspectContainer(docker, spec.name) : found;
}

export async function ensureContainer(docker: Docker, spec: ContainerSpec): Promise<EnsuredContainer> {
  const existing = await inspectContainer(docker, spec.name);
  if (existing) {
    const result = existingResult(existing, spec);
    if (result.drifted) return result;
    return { ...result, container: (await connectMissing(docker, spec, existing)) ?? existing };
  }
  try {
    await docker.createContainer(splitEndpoints(spec).createSpec);
  } catch (e) {
    // Created by a concurrent attempt between our inspect and create: use it if it is ours.
    if (!isConflict(e)) throw e;
    const raced = await inspectContainer(docker, spec.name);
    if (!raced) throw e;
    return existingResult(raced, spec);
  }
  const created = await inspectContainer(docker, spec.name);
  if (!created) throw new Error(`container "${spec.name}" vanished right after it was created`);
  const connected = await connectMissing(docker, spec, assertOurs(created, spec));
  if (!connected) throw new Error(`container "${spec.name}" vanished right after it was created`);
  return { container: connected, created: true, drifted: false, drift: [] };
}

/** Starts the container; false if it was already running (the Engine answers 304). */
export async function startContainer(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getContainer(name).start();
    return true;
  } catch (e) {
    if (isNotModified(e)) return false;
    throw e;
  }
}

/**
 * Stops the container; false if it was already stopped (304). A missing container is an error, not "stopped":
 * the caller (suspend, reconcile) has to know it is gone.
 */
export async function stopContainer(
  docker: Docker,
  name: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<boolean> {
  try {
    // Without `t` the Engine uses the container's own StopTimeout (longer for the database).
    await docker.getContainer(name).stop(opts.timeoutSeconds === undefined ? {} : { t: opts.timeoutSeconds });
    return true;
  } catch (e) {
    if (isNotModified(e)) return false;
    throw e;
  }
}

/** Force-removes the container (named volumes stay); false if there was none. */
export async function removeContainer(docker: Docker, nameOrId: string): Promise<boolean> {
  try {
    await docker.getContainer(nameOrId).remove({ force: true, v: false });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** The last lines a container wrote, for error messages. Non-TTY logs come framed: 8-byte header per chunk. */
async function tailLogs(docker: Docker, name: string, lines: number): Promise<string> {
  try {
    const raw = await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false });
    const parts: Buffer[] = [];
    for (let i = 0; i + 8 <= raw.length;) {
      const size = raw.readUInt32BE(i + 4);
      parts.push(raw.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    return Buffer.concat(parts).toString('utf8').trim();
  } catch {
    return ''; // only decoration for an error we are about to throw
  }
}

export interface WaitHealthyOptions {
  timeoutMs: number;
  /**
   * How often to look again when the Engine says nothing. The wait wakes on the container's own events (health
   * status, die, restart), so this is only the safety net for a lost event stream.
   */
  pollMs?: number;
}

/**
 * The container's events, as wake-ups: `next(ms)` resolves at the next event or after `ms`, whichever comes first.
 * Subscribed before the first inspect, so a change between the inspect and the wait is never missed. Without an
 * event stream (the Engine refused it) every wait is a plain sleep.
 */
async function containerWakeups(docker: Docker, name: string) {
  let pending = 0;
  let wake: (() => void) | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  try {
    stream = await docker.getEvents({ filters: JSON.stringify({ type: ['container'], container: [name] }) });
    stream.on('data', () => {
      pending++;
      wake?.();
    });
    stream.on('error', () => undefined);
  } catch {
    stream = undefined;
  }
  return {
    async next(ms: number): Promise<void> {
      if (pending > 0) {
        pending = 0;
        return;
      }
      const ac = new AbortController();
      await Promise.race([
        sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined),
        new Promise<void>((resolve) => (wake = resolve)),
      ]);
      ac.abort();
      wake = undefined;
      pending = 0;
    },
    close(): void {
      (stream as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}

/**
 * Resolves once the Engine reports the container healthy (or, for a container without a health check, running).
 * Fails fast, with the last health-check output, when it turns unhealthy, exits or restarts while we wait. Wakes on
 * the container's events rather than on a timer, so it returns as soon as the health check has passed.
 */
export async function waitHealthy(
  docker: Docker,
  name: string,
  opts: WaitHealthyOptions,
): Promise<Docker.ContainerInspectInfo> {
  const deadline = Date.now() + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 1_000;
  const wakeups = await containerWakeups(docker, name);
  let restartsAtStart: number | undefined;
  try {
    for (;;) {
      const info = await docker.getContainer(name).inspect();
      const { State } = info;
      const lastOutput = State.Health?.Log?.at(-1)?.Output;
      restartsAtStart ??= info.RestartCount;
      if (State.Restarting || info.RestartCount > restartsAtStart) {
        const logs = await tailLogs(docker, name, 20);
        throw new ContainerNotHealthyError(name, 'restarted', `exit code ${State.ExitCode}; logs: ${logs}`, lastOutput);
      }
      if (!State.Running) {
        const why = `status ${State.Status}, exit code ${State.ExitCode}${State.OOMKilled ? ', killed for memory' : ''}`;
        const logs = await tailLogs(docker, name, 20);
        throw new ContainerNotHealthyError(name, 'exited', `${why}; logs: ${logs}`, lastOutput);
      }
      if (!State.Health) return info;
      if (State.Health.Status === 'healthy') return info;
      if (State.Health.Status === 'unhealthy') {
        throw new ContainerNotHealthyError(
          name,
          'unhealthy',
          `failing streak ${State.Health.FailingStreak}`,
          lastOutput,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ContainerNotHealthyError(
          name,
          'timeout',
          `still ${State.Health.Status} after ${opts.timeoutMs} ms`,
          lastOutput,
        );
      }
      await wakeups.next(Math.min(pollMs, left));
    }
  } finally {
    wakeups.close();
  }
}

/** The 127.0.0.1 host port the Engine picked for `containerPort`; only set while the container runs. */
export async function publishedPort(docker: Docker, name: string, containerPort: number): Promise<number> {
  const info = await docker.getContainer(name).inspect();
  const bindings = info.NetworkSettings.Ports?.[`${containerPort}/tcp`] ?? [];
  const local = bindings.find((b) => b.HostIp === '127.0.0.1' && b.HostPort);
  if (!local) {
    throw new Error(
      `container "${name}" publishes no 127.0.0.1 port for ${containerPort}/tcp (running: ${info.State.Running})`,
    );
  }
  return Number(local.HostPort);
}
