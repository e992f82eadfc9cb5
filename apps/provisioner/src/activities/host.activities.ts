// Activities bound to one Docker host: they run on that host's task queue (hostTaskQueue), with that host's
// Docker client. Each is idempotent: ensure creates only what is missing, remove treats "nothing there" as done.
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type Docker from 'dockerode';
import {
  buildInstanceStackSpec,
  ContainerNotHealthyError,
  ensureContainer,
  ensureInstanceStack,
  ensureNetwork,
  imageExists,
  inspectContainer,
  instanceNames,
  LABELS,
  listManaged,
  measureVolumes,
  MissingImageError,
  publishedPort,
  removeContainer,
  removeInstanceStack,
  startContainer,
  stopContainer,
  STACK_ROLES,
  waitHealthy,
  type Labels,
  type StackRole,
} from '../docker/index.ts';
import type { Secrets } from '../secrets.ts';
import type { ReconcileAction, ReconcileProblem } from '../contracts/index.ts';
import type { StackProfile } from '../stack-profiles.ts';
import { withPermanentErrors } from './errors.ts';

export interface HostActivityDeps {
  docker: Docker;
  profile: StackProfile;
  secrets: Secrets;
  /** Labels added to every resource (tests label theirs with a run id). */
  extraLabels?: Labels;
  healthTimeoutMs?: number;
  /** Local stack only (PHOTOPLANE_EDGE_SOCKET): the edge's unix socket, handed to every photo app. */
  edgeSocket?: string;
}

export interface StackTarget {
  instanceId: string;
  subscriptionId: string;
  /** The instance's photo app image (instance.imageRef); null or absent: the profile's default. */
  appImage?: string | null;
}

export interface StackFinding {
  role: StackRole;
  problem: ReconcileProblem;
  action: ReconcileAction;
  detail?: string;
}

/** The app goes first: it would only log errors about a database stopped under it. */
const STOP_ORDER: readonly StackRole[] = ['app', 'cache', 'db'];

/** Waiting for health can take a while on a cold host; heartbeats tell Temporal the activity is alive. */
async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => heartbeat(), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

export function createHostActivities(deps: HostActivityDeps) {
  const { docker } = deps;
  const healthTimeoutMs = deps.healthTimeoutMs ?? 180_000;

  function stackSpec(target: StackTarget) {
    return buildInstanceStackSpec({
      ...deps.profile,
      ...(target.appImage ? { images: { ...deps.profile.images, app: target.appImage } } : {}),
      instanceId: target.instanceId,
      subscriptionId: target.subscriptionId,
      // Derived, not stored: the same on every retry, and never in workflow history.
      database: { password: deps.secrets.databasePassword(target.instanceId) },
      ...(deps.extraLabels ? { extraLabels: deps.extraLabels } : {}),
      ...(deps.edgeSocket ? { edgeSocketPath: deps.edgeSocket } : {}),
    });
  }

  /** Stops the instance's running containers, found by label so nothing foreign is touched; app first. */
  async function stopRunning(instanceId: string): Promise<{ stopped: StackRole[]; present: StackRole[] }> {
    const { containers } = await listManaged(docker, instanceId);
    const byRole = new Map(containers.map((c) => [c.Labels[LABELS.role], c]));
    const stopped: StackRole[] = [];
    const present: StackRole[] = [];
    for (const role of STOP_ORDER) {
      const found = byRole.get(role);
      if (!found) continue;
      present.push(role);
      if (found.State === 'running' || found.State === 'restarting') {
        if (await stopContainer(docker, found.Id)) stopped.push(role);
      }
    }
    return { stopped, present };
  }

  return withPermanentErrors({
    async ensureInstanceStack(input: StackTarget): Promise<{ appHostPort: number }> {
      const spec = stackSpec(input);
      const stack = await heartbeating(() => ensureInstanceStack(docker, spec, { healthTimeoutMs }));
      return { appHostPort: stack.appHostPort };
    },

    async removeInstanceStack(input: { instanceId: string; keepVolumes: boolean }): Promise<{ removed: number }> {
      const removed = await removeInstanceStack(docker, input.instanceId, { keepVolumes: input.keepVolumes });
      return { removed: removed.containers.length + removed.networks.length + removed.volumes.length };
    },

    /**
     * Storage watchdog (issue 13): what the instance's library and database volumes hold on this host's disk, as
     * the Engine measures it: whatever wrote the files, the photo app's own accounting or code running in it.
     */
    async measureInstanceStorage(input: { instanceId: string }): Promise<{ bytes: string }> {
      const names = instanceNames(input.instanceId);
      const sizes = await heartbeating(() => measureVolumes(docker, [names.libraryVolume, names.databaseVolume]));
      return {
        bytes: Object.values(sizes)
          .reduce((a, b) => a + b, 0n)
          .toString(),
      };
    },

    /**
     * Suspend: stops the containers and keeps them and their volumes. A container that is not there is not an
     * error (there is nothing to stop): resume recreates it from the spec, over the same volumes.
     */
    async stopInstanceStack(input: { instanceId: string }) {
      const { stopped, present } = await heartbeating(() => stopRunning(input.instanceId));
      return { stopped, missing: STACK_ROLES.filter((r) => !present.includes(r)) };
    },

    /**
     * Upgrade and its rollback: the app container from `appImage`, its volumes kept. A retry that finds the
     * container it made from the same spec keeps it and only waits again. Not healthy is final: the image is
     * what it is, and the workflow rolls back at once instead of retrying for minutes.
     */
    async replaceAppContainer(input: StackTarget): Promise<{ appHostPort: number }> {
      const spec = stackSpec(input);
      const app = spec.containers.app;
      // Checked before anything is removed, so a missing image never costs the running container.
      if (!(await imageExists(docker, app.Image))) throw new MissingImageError(app.Image);
      return heartbeating(async () => {
        // An instance made before the app had a network of its own gets it here (reconcile also replaces the rest).
        await ensureNetwork(docker, spec.egressNetwork);
        const existing = await ensureContainer(docker, app);
        if (existing.drifted) {
          await removeContainer(docker, app.name);
          await ensureContainer(docker, app);
        }
        await startContainer(docker, app.name);
        try {
          await waitHealthy(docker, app.name, { timeoutMs: healthTimeoutMs });
        } catch (e) {
          if (!(e instanceof ContainerNotHealthyError)) throw e;
          throw ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true, cause: e });
        }
        return { appHostPort: await publishedPort(docker, app.name, spec.appPort) };
      });
    },

    /**
     * Reconcile (SPEC V4) one instance against its spec. Should run: a missing container is recreated, a drifted
     * one (other image or spec) removed and recreated, a stopped one started, then all are waited for. Should not
     * run (suspended): running containers are stopped. Returns what was found and the app's current port.
     */
    async reconcileInstanceStack(
      input: StackTarget & { shouldRun: boolean },
    ): Promise<{ findings: StackFinding[]; appHostPort: number | null }> {
      if (!input.shouldRun) {
        const { stopped } = await heartbeating(() => stopRunning(input.instanceId));
        return {
          findings: stopped.map((role) => ({ role, problem: 'running-while-suspended', action: 'stopped' })),
          appHostPort: null,
        };
      }
      const spec = stackSpec(input);
      const findings: StackFinding[] = [];
      for (const role of STACK_ROLES) {
        if (!(await inspectContainer(docker, spec.names[role]))) {
          findings.push({ role, problem: 'missing', action: 'recreated' });
          continue;
        }
        // The container exists, so ensureContainer only checks ownership and reports drift.
        const existing = await ensureContainer(docker, spec.containers[role]);
        if (existing.drifted) {
          await removeContainer(docker, spec.names[role]);
          const detail = existing.drift.map((d) => `${d.field}: ${d.actual ?? '(none)'}, expected ${d.expected}`);
          findings.push({ role, problem: 'drifted', action: 'recreated', detail: detail.join('; ') });
        } else if (!existing.container.State.Running) {
          findings.push({ role, problem: 'stopped', action: 'started' });
        }
      }
      if (!findings.length) return { findings, appHostPort: await publishedPort(docker, spec.names.app, spec.appPort) };
      // Creates what is missing, starts what is stopped, in dependency order, and waits until all are healthy.
      const stack = await heartbeating(() => ensureInstanceStack(docker, spec, { healthTimeoutMs }));
      return { findings, appHostPort: stack.appHostPort };
    },
  });
}

export type HostActivities = ReturnType<typeof createHostActivities>;
