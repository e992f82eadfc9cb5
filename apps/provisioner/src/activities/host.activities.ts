// Activities bound to one Docker host: they run on that host's task queue (hostTaskQueue), with that host's
// Docker client. Each is idempotent: ensure creates only what is missing, remove treats "nothing there" as done.
import { heartbeat } from '@temporalio/activity';
import type Docker from 'dockerode';
import { buildInstanceStackSpec, ensureInstanceStack, removeInstanceStack, type Labels } from '../docker/index.ts';
import type { Secrets } from '../secrets.ts';
import type { StackProfile } from '../stack-profiles.ts';
import { withPermanentErrors } from './errors.ts';

export interface HostActivityDeps {
  docker: Docker;
  profile: StackProfile;
  secrets: Secrets;
  /** Labels added to every resource (tests label theirs with a run id). */
  extraLabels?: Labels;
  healthTimeoutMs?: number;
}

export function createHostActivities(deps: HostActivityDeps) {
  return withPermanentErrors({
    async ensureInstanceStack(input: { instanceId: string; subscriptionId: string }): Promise<{ appHostPort: number }> {
      const spec = buildInstanceStackSpec({
        ...deps.profile,
        instanceId: input.instanceId,
        subscriptionId: input.subscriptionId,
        // Derived, not stored: the same on every retry, and never in workflow history.
        database: { password: deps.secrets.databasePassword(input.instanceId) },
        ...(deps.extraLabels ? { extraLabels: deps.extraLabels } : {}),
      });
      // Waiting for health can take a while on a cold host; heartbeats tell Temporal the activity is alive.
      const beat = setInterval(() => heartbeat(), 5_000);
      try {
        const stack = await ensureInstanceStack(deps.docker, spec, {
          healthTimeoutMs: deps.healthTimeoutMs ?? 180_000,
        });
        return { appHostPort: stack.appHostPort };
      } finally {
        clearInterval(beat);
      }
    },

    async removeInstanceStack(input: { instanceId: string; keepVolumes: boolean }): Promise<{ removed: number }> {
      const removed = await removeInstanceStack(deps.docker, input.instanceId, { keepVolumes: input.keepVolumes });
      return { removed: removed.containers.length + removed.networks.length + removed.volumes.length };
    },
  });
}

export type HostActivities = ReturnType<typeof createHostActivities>;
