// Control-queue activities of the lifecycle workflows (SPEC V3, V4): moving an instance's row through its states,
// recording what upgrades and reconciliation changed, and the owner after a reprovision. Docker work is in
// host.activities.ts; the edge and placement activities of provisioning are reused as they are.
import {
  DomainError,
  instanceOperationStates,
  transitionInstance,
  type InstanceEvent,
  type InstanceState,
} from '@photoplane/tenant-model';
import { activityWorkflowStatus, closeAbandonedRestores } from '../backup/abandoned-restores.ts';
import { hostTaskQueue, type InstanceOperation } from '../contracts/index.ts';
import { withPermanentErrors } from './errors.ts';
import { appBaseUrl, createInstanceActivities, type InstanceActivityDeps } from './instance.activities.ts';

export interface BegunOperation {
  /** The instance was already in the operation's target state: nothing to do. */
  alreadyDone: boolean;
  subscriptionId: string;
  subdomain: string;
  imageRef: string | null;
  /** Null when the instance is placed on no host (e.g. a provisioning that failed and released it). */
  hostName: string | null;
  taskQueue: string | null;
  owner: { email: string; name: string };
}

export interface InstanceToReconcile {
  instanceId: string;
  subscriptionId: string;
  subdomain: string;
  state: 'active' | 'suspended';
  hostName: string;
  taskQueue: string;
  imageRef: string | null;
  appHostPort: number | null;
  /** Since when an in-place restore runs on it (ISO); reconcile leaves such an instance alone. */
  restoringSince: string | null;
}

export function createLifecycleActivities(deps: InstanceActivityDeps) {
  const { prisma } = deps;
  const provisioning = createInstanceActivities(deps);

  /** Moves the row with `event` unless it is already in one of `accept` (a retried activity); optimistic. */
  async function moveInstance(instanceId: string, event: InstanceEvent, accept: InstanceState[]) {
    const instance = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
    if (accept.includes(instance.state)) return instance;
    const state = transitionInstance(instance.state, event);
    return prisma.instance.update({ where: { id: instanceId, state: instance.state }, data: { state } });
  }

  return withPermanentErrors({
    /** Moves the instance into the operation's working state (an illegal start fails for good). */
    async beginInstanceOperation(input: { instanceId: string; operation: InstanceOperation }): Promise<BegunOperation> {
      const op = instanceOperationStates[input.operation];
      const before = await prisma.instance.findUniqueOrThrow({ where: { id: input.instanceId } });
      const alreadyDone = before.state === op.done;
      if (!alreadyDone) await moveInstance(input.instanceId, op.start, [op.working]);
      const instance = await prisma.instance.findUniqueOrThrow({
        where: { id: input.instanceId },
        include: { dockerHost: true, subscription: { include: { account: true } } },
      });
      const { account } = instance.subscription;
      return {
        alreadyDone,
        subscriptionId: instance.subscriptionId,
        subdomain: instance.subdomain,
        imageRef: instance.imageRef,
        hostName: instance.dockerHost?.name ?? null,
        taskQueue: instance.dockerHost ? hostTaskQueue(instance.dockerHost.name) : null,
        owner: { email: account.email, name: account.name ?? account.email },
      };
    },

    async finishInstanceOperation(input: {
      instanceId: string;
      operation: InstanceOperation;
      appHostPort: number | null;
    }) {
      const op = instanceOperationStates[input.operation];
      const target = transitionInstance(op.working, op.finish);
      await moveInstance(input.instanceId, op.finish, [target]);
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: {
          // Stopped or removed containers publish no port; resume and reprovision bring a fresh one.
          appHostPort: input.appHostPort,
          provisioningStep: null,
          lastError: null,
          // The key opened an app whose data is gone now.
          ...(input.operation === 'deprovision' ? { photoAppApiKeyCipher: null } : {}),
        },
      });
    },

    /** The operation failed after it started: `failed` with the reason, for support to reprovision or deprovision. */
    async failInstanceOperation(input: { instanceId: string; operation: InstanceOperation; error: string }) {
      const op = instanceOperationStates[input.operation];
      await moveInstance(input.instanceId, op.fail, ['failed']);
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: { lastError: `${input.operation}: ${input.error}`.slice(0, 2000), appHostPort: null },
      });
    },

    /**
     * The owner as the first admin of a reprovisioned instance. Its data volumes are usually kept, and then the
     * stored key still works; if they were gone (a provisioning failure removes them), the app starts empty and
     * the key kept from before opens nothing, so it is forgotten and the owner registered again.
     */
    async ensureOwnerRegistered(input: {
      instanceId: string;
      appHostPort: number;
      owner: { email: string; name: string };
    }) {
      const instance = await prisma.instance.findUniqueOrThrow({ where: { id: input.instanceId } });
      if (instance.photoAppApiKeyCipher && !(await deps.photoApp(appBaseUrl(input.appHostPort)).isInitialised())) {
        await prisma.instance.update({
          where: { id: input.instanceId },
          data: { photoAppApiKeyCipher: null, photoAppOwnerId: null },
        });
      }
      return provisioning.registerOwner(input);
    },

    /** Upgrades apply to a running instance only: a stopped one would be started by its own upgrade. */
    async beginUpgrade(input: { instanceId: string }) {
      const instance = await prisma.instance.findUniqueOrThrow({
        where: { id: input.instanceId },
        include: { dockerHost: true },
      });
      if (instance.state !== 'active' || !instance.dockerHost) {
        throw new DomainError(
          'illegal_transition',
          `instance: an upgrade needs an active instance, not '${instance.state}'`,
          {
            field: 'state',
            from: instance.state,
          },
        );
      }
      return {
        subscriptionId: instance.subscriptionId,
        subdomain: instance.subdomain,
        imageRef: instance.imageRef,
        taskQueue: hostTaskQueue(instance.dockerHost.name),
      };
    },

    /** Recorded only once the new image answers healthy, so imageRef always names an image that worked. */
    async recordAppImage(input: { instanceId: string; appImage: string; appHostPort: number }) {
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: { imageRef: input.appImage, appHostPort: input.appHostPort, lastError: null },
      });
    },

    /** A recreated app container publishes a new port; `lastError` says why when it came from a rollback. */
    async recordAppHostPort(input: { instanceId: string; appHostPort: number | null; lastError?: string }) {
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: {
          appHostPort: input.appHostPort,
          ...(input.lastError === undefined ? {} : { lastError: input.lastError.slice(0, 2000) }),
        },
      });
    },

    /** The instances reconcile compares with Docker: active ones should run, suspended ones should not. */
    async listInstancesToReconcile(input: { hostName?: string }): Promise<InstanceToReconcile[]> {
      const rows = await prisma.instance.findMany({
        where: {
          state: { in: ['active', 'suspended'] },
          dockerHost: input.hostName ? { name: input.hostName } : { isNot: null },
        },
        include: { dockerHost: true },
        orderBy: { createdAt: 'asc' },
      });
      // A restore whose workflow ended without closing its row (terminated by hand) is closed first, as failed:
      // otherwise reconcile would leave its instance alone for ever.
      const lookup = activityWorkflowStatus();
      if (lookup) await closeAbandonedRestores(prisma, lookup, { instanceIds: rows.map((r) => r.id) });
      // An in-place restore stops and recreates the app and replaces its volume: reconcile must not repair that.
      const restoring = new Map(
        (
          await prisma.instanceRestore.findMany({
            where: { status: 'running', target: 'in-place', instanceId: { in: rows.map((r) => r.id) } },
            select: { instanceId: true, startedAt: true },
          })
        ).map((r) => [r.instanceId, r.startedAt.toISOString()]),
      );
      return rows.flatMap((i) =>
        i.dockerHost && (i.state === 'active' || i.state === 'suspended')
          ? [
              {
                instanceId: i.id,
                subscriptionId: i.subscriptionId,
                subdomain: i.subdomain,
                state: i.state,
                hostName: i.dockerHost.name,
                taskQueue: hostTaskQueue(i.dockerHost.name),
                imageRef: i.imageRef,
                appHostPort: i.appHostPort,
                restoringSince: restoring.get(i.id) ?? null,
              },
            ]
          : [],
      );
    },
  });
}

export type LifecycleActivities = ReturnType<typeof createLifecycleActivities>;
