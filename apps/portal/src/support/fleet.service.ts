// Fleet upgrades (SPEC F3): superadmin starts a rollout of a photo-app image over every active instance, in waves,
// and can pause, resume or cancel it; support can watch. Each change needs a reason and is audited; the worker's
// workflow audits the rollout's own state changes (halted, completed …).
import {
  DomainError,
  parseRolloutPolicy,
  resourceNotFound,
  validationError,
  type RolloutPolicy,
} from '@photoplane/tenant-model';
import { countByStatus } from '@photoplane/provisioner/contracts';
import type { FleetUpgradeRecord } from './fleet-upgrade.repository.ts';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { FleetUpgradeControl } from './fleet-upgrade-control.ts';
import { iso, limitOf, parseReason, requirePermission, type Staff, type StaffContext } from './staff-context.ts';

export interface FleetUpgradeView {
  id: string;
  appImage: string;
  reason: string;
  startedBy: string | null;
  state: string;
  stateReason: string | null;
  policy: RolloutPolicy;
  waves: { index: number; instances: { instanceId: string; subdomain: string; status: string; detail?: string }[] }[];
  counts: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface NewFleetUpgrade {
  image: string;
  reason: string;
  canary?: number | undefined;
  growth?: number | undefined;
  maxWave?: number | undefined;
  maxFailureRate?: number | undefined;
}

/** An image reference as Docker takes it: [registry/]name[:tag][@digest], no spaces, bounded. */
const IMAGE_REF = /^[a-z0-9]+(?:[._/:@-][a-zA-Z0-9_.-]+)*$/;

function parseImage(input: string): string {
  const image = input.trim();
  if (!image || image.length > 255 || !IMAGE_REF.test(image))
    throw validationError(
      'image',
      'The image must be a Docker image reference, e.g. ghcr.io/immich-app/immich-server:v3.3.0.',
    );
  return image;
}

export function fleetUpgradeView(r: FleetUpgradeRecord): FleetUpgradeView {
  const waves = (r.waves ?? []) as FleetUpgradeView['waves'];
  return {
    id: r.id,
    appImage: r.appImage,
    reason: r.reason,
    startedBy: r.actorLabel,
    state: r.state,
    stateReason: r.stateReason,
    policy: r.policy as unknown as RolloutPolicy,
    waves,
    counts: countByStatus(waves),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  };
}

export function createFleetSupport(deps: {
  repositories: SupportUnitOfWork;
  context: StaffContext;
  fleet: FleetUpgradeControl;
}) {
  const { repositories, context, fleet } = deps;

  async function requireUpgrade(id: string): Promise<FleetUpgradeRecord> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await repositories.fleetUpgrades.find(id) : null;
    if (!found) throw resourceNotFound('fleet upgrade');
    return found;
  }

  return {
    async startFleetUpgrade(who: Staff, input: NewFleetUpgrade): Promise<FleetUpgradeView> {
      requirePermission(who, 'fleet.upgrade');
      const appImage = parseImage(input.image);
      const reason = parseReason(input.reason);
      const policy = parseRolloutPolicy({
        ...(input.canary !== undefined && { canary: input.canary }),
        ...(input.growth !== undefined && { growth: input.growth }),
        ...(input.maxWave !== undefined && { maxWave: input.maxWave }),
        ...(input.maxFailureRate !== undefined && { maxFailureRate: input.maxFailureRate }),
      });
      const row = await repositories.transaction(async (repos) => {
        const created = await repos.fleetUpgrades.create({
          appImage,
          reason,
          actorId: who.accountId,
          actorLabel: who.email,
          policy: { ...policy },
        });
        if (!created)
          throw new DomainError(
            'conflict',
            'Another fleet upgrade is still running or paused; finish or cancel it first.',
          );
        await context.audit(repos, who, {
          action: 'fleet.upgrade.start',
          targetType: 'fleet_upgrade',
          targetId: created.id,
          reason,
          details: { appImage, policy: { ...policy } },
        });
        return created;
      });
      try {
        await fleet.start({ upgradeId: row.id, appImage, policy });
      } catch (e) {
        // The row would otherwise block every later rollout; the audit row of the attempt stays.
        await repositories.fleetUpgrades.markNotStarted(row.id, `the workflow did not start: ${(e as Error).message}`);
        throw e;
      }
      return fleetUpgradeView(row);
    },

    async listFleetUpgrades(who: Staff, limit?: number): Promise<FleetUpgradeView[]> {
      requirePermission(who, 'fleet.read');
      const rows = await repositories.fleetUpgrades.list(limitOf(limit, 20));
      await context.audit(repositories, who, {
        action: 'fleet.upgrade.list',
        targetType: 'fleet_upgrade',
        targetId: null,
      });
      return rows.map(fleetUpgradeView);
    },

    async showFleetUpgrade(who: Staff, id: string): Promise<FleetUpgradeView> {
      requirePermission(who, 'fleet.read');
      const row = await requireUpgrade(id);
      await context.audit(repositories, who, {
        action: 'fleet.upgrade.show',
        targetType: 'fleet_upgrade',
        targetId: id,
      });
      return fleetUpgradeView(row);
    },

    /** Pause (the wave in flight finishes, the next waits), resume, or cancel (no further wave starts). */
    async steerFleetUpgrade(
      who: Staff,
      id: string,
      action: 'pause' | 'resume' | 'cancel',
      reasonInput: unknown,
    ): Promise<FleetUpgradeView> {
      requirePermission(who, 'fleet.upgrade');
      const reason = parseReason(reasonInput);
      const row = await requireUpgrade(id);
      if (row.state !== 'running' && row.state !== 'paused')
        throw new DomainError('conflict', `This fleet upgrade has ended (${row.state}).`);
      await fleet.send(action);
      await context.audit(repositories, who, {
        action: `fleet.upgrade.${action}`,
        targetType: 'fleet_upgrade',
        targetId: id,
        reason,
      });
      return fleetUpgradeView(row);
    },
  };
}
