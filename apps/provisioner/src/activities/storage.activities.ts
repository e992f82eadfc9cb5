// The storage watchdog's control-plane side (issue 13). Docker's local volume driver cannot bound a volume's size on
// these hosts, and the photo app's per-user quotas bind only what the app itself accounts for, so the usage-sync
// schedule also measures every instance's volumes on its Docker host and compares them with the plan's hard limit
// (plan storage plus a configured grace). Over it, the subscription workflow holds the instance stopped (a hold of its
// own kind, which billing events never lift); a plan that fits again, or staff, lift it.
import type { PrismaClient } from '@photoplane/db';
import { storageHardLimit, storageOverLimit } from '@photoplane/tenant-model';
import { instanceOrigin } from '../instance-url.ts';
import type { Mailer } from '../mail.ts';
import { hostTaskQueue, type StorageVerdict } from '../contracts/index.ts';
import { withPermanentErrors } from './errors.ts';

export interface StorageActivityDeps {
  prisma: PrismaClient;
  mailer: Mailer;
  domain: string;
  instanceUrlTemplate?: string;
  /** PHOTOPLANE_STORAGE_GRACE_PERCENT: how far above its plan an instance may go before it is held (default 10). */
  storageGracePercent?: number;
}

export interface StorageCheckTarget {
  instanceId: string;
  taskQueue: string;
}

export const DEFAULT_STORAGE_GRACE_PERCENT = 10;

const GiB = 1024 ** 3;

function human(bytes: bigint): string {
  return `${(Number(bytes) / GiB).toFixed(2)} GiB`;
}

export function createStorageActivities(deps: StorageActivityDeps) {
  const { prisma } = deps;
  const grace = deps.storageGracePercent ?? DEFAULT_STORAGE_GRACE_PERCENT;
  const urlTemplate = deps.instanceUrlTemplate ?? `https://{subdomain}.${deps.domain}`;

  return withPermanentErrors({
    /**
     * Instances whose volumes are measured: running ones, and stopped ones under a storage hold (to lift it once the
     * plan fits). Both need a Docker host to measure on.
     */
    async listInstancesForStorageCheck(): Promise<StorageCheckTarget[]> {
      const rows = await prisma.instance.findMany({
        where: {
          dockerHostId: { not: null },
          OR: [{ state: 'active' }, { state: 'suspended', subscription: { storageHoldSince: { not: null } } }],
        },
        select: { id: true, dockerHost: { select: { name: true } } },
        orderBy: { id: 'asc' },
      });
      return rows.map((r) => ({ instanceId: r.id, taskQueue: hostTaskQueue(r.dockerHost!.name) }));
    },

    /** The instance's host queue, for a check of one instance (after a plan change); null when it is not placed. */
    async storageCheckTarget(input: { instanceId: string }): Promise<StorageCheckTarget | null> {
      const row = await prisma.instance.findUnique({
        where: { id: input.instanceId },
        select: { dockerHost: { select: { name: true } } },
      });
      return row?.dockerHost ? { instanceId: input.instanceId, taskQueue: hostTaskQueue(row.dockerHost.name) } : null;
    },

    /**
     * The measurement against the plan the subscription has now. After staff lifted a storage hold (to let the owner
     * delete), the bytes measured then are tolerated: only growth beyond them holds the instance again, and the
     * tolerance ends once the instance is back under its hard limit.
     */
    async storageVerdict(input: { instanceId: string; measuredBytes: string }): Promise<StorageVerdict> {
      const row = await prisma.instance.findUniqueOrThrow({
        where: { id: input.instanceId },
        select: {
          subscription: {
            select: {
              id: true,
              storageHoldSince: true,
              storageHoldBytes: true,
              plan: { select: { storageBytes: true } },
            },
          },
        },
      });
      const s = row.subscription;
      const measured = BigInt(input.measuredBytes);
      const limit = storageHardLimit(s.plan.storageBytes, grace);
      const held = s.storageHoldSince !== null;
      const tolerated = held ? null : s.storageHoldBytes;
      if (!held && tolerated !== null && measured <= limit) {
        await prisma.subscription.updateMany({
          where: { id: s.id, storageHoldSince: null },
          data: { storageHoldBytes: null, storageHoldLimitBytes: null },
        });
      }
      return {
        instanceId: input.instanceId,
        subscriptionId: s.id,
        measuredBytes: measured.toString(),
        limitBytes: limit.toString(),
        over: storageOverLimit(measured, limit, tolerated),
        held,
      };
    },

    /** Tells the owner why their instance stopped and what brings it back. Sent once per hold (held since). */
    async notifyStorageHold(input: { subscriptionId: string; measuredBytes: string; limitBytes: string }) {
      const s = await prisma.subscription.findUniqueOrThrow({
        where: { id: input.subscriptionId },
        select: {
          account: { select: { email: true, name: true } },
          instance: { select: { subdomain: true } },
          plan: { select: { name: true, storageBytes: true } },
        },
      });
      const address = s.instance ? instanceOrigin(urlTemplate, s.instance.subdomain).replace(/^https?:\/\//, '') : '';
      const name = s.account.name ?? s.account.email.split('@')[0]!;
      await deps.mailer.send({
        to: s.account.email,
        subject: `Your photo library ${address} is stopped: it holds more than your plan allows`,
        text: [
          `Hello ${name},`,
          '',
          `Your photo library ${address} stores ${human(BigInt(input.measuredBytes))}, more than the`,
          `${human(BigInt(input.limitBytes))} your plan "${s.plan.name}" allows (${human(s.plan.storageBytes)} and a margin).`,
          'To protect the other customers on the same server it has been stopped. Nothing was deleted.',
          '',
          'It starts again by itself as soon as you choose a plan with enough storage in your Photoplane account.',
          'If you would rather delete photos to fit your plan, contact support: we start it for you to do so.',
        ].join('\n'),
      });
      return { sent: true };
    },
  });
}

export type StorageActivities = ReturnType<typeof createStorageActivities>;
