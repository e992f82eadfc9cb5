// Tenants (SPEC A4): list, show, usage report, and the provisioner's operations (suspend, resume, reprovision,
// deprovision). Reads are audited like changes; an operation's audit row and its outbox message are one transaction,
// and the outbox sends the signal after the commit.
import { randomUUID } from 'node:crypto';
import type { InstanceOperation } from '@photoplane/provisioner/contracts';
import {
  assertAllowed,
  checkInstanceOperation,
  instanceStates,
  usageStats,
  validationError,
  type InstanceId,
  type InstanceState,
} from '@photoplane/tenant-model';
import type { SupportRepositories, SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { TenantRecord } from './support.repository.ts';
import { OUTBOX, outboxKeyOf } from '../billing/billing-outbox.ts';
import { operationWorkflowId, type StaffOperationMessage } from './instance-operations.ts';
import { iso, limitOf, parseReason, requirePermission, type Staff, type StaffContext } from './staff-context.ts';

export interface TenantView {
  subdomain: string;
  instanceId: string;
  state: InstanceState;
  subscriptionState: string;
  plan: string;
  owner: string;
  host: string | null;
  provisioningStep: string | null;
  members: number;
  createdAt: string;
}

export interface TenantUsage {
  subdomain: string;
  state: InstanceState;
  members: number;
  planBytes: string;
  allocatedBytes: string;
  usedBytes: string;
  freeBytes: string;
  usedPercent: number;
}

export interface TenantDetail extends TenantView {
  subscriptionId: string;
  currentPeriodEnd: string | null;
  ownerName: string | null;
  planBytes: string;
  imageRef: string | null;
  appHostPort: number | null;
  lastError: string | null;
  usage: TenantUsage;
  /** Holds that keep the instance stopped whatever billing says: support's, and the storage watchdog's. */
  holds: {
    staffSince: string | null;
    storage: { since: string; measuredBytes: string | null; limitBytes: string | null } | null;
  };
  /** The in-place restore running now (SPEC F1), if one is: the instance is stopped until it ends. */
  restoring: { since: string; snapshot: string } | null;
}

export interface TenantQuery {
  search?: string | undefined;
  state?: string | undefined;
  limit?: number | undefined;
}

export function parseInstanceState(input: string, field = 'state'): InstanceState {
  if ((instanceStates as readonly string[]).includes(input)) return input as InstanceState;
  throw validationError(field, `The state must be one of ${instanceStates.join(', ')}.`);
}

function tenantView(t: TenantRecord): TenantView {
  return {
    subdomain: t.subdomain,
    instanceId: t.instanceId,
    state: t.instanceState,
    subscriptionState: t.subscriptionState,
    plan: t.planId,
    owner: t.owner.email,
    host: t.hostName,
    provisioningStep: t.provisioningStep,
    members: t.membersCount,
    createdAt: t.createdAt.toISOString(),
  };
}

const queryDetails = (query: TenantQuery) => ({
  ...(query.search ? { search: query.search } : {}),
  ...(query.state ? { state: query.state } : {}),
});

export function createTenantSupport(deps: {
  repositories: SupportUnitOfWork;
  context: StaffContext;
  /** Called after a commit that queued an operation: the outbox dispatcher sends it now rather than at its next poll. */
  queued: () => void;
}) {
  const { repositories, context, queued } = deps;

  async function usageOf(repos: SupportRepositories, t: TenantRecord): Promise<TenantUsage> {
    const stats = usageStats(t.planBytes, await repos.members.quotaMembers(t.instanceId as InstanceId));
    return {
      subdomain: t.subdomain,
      state: t.instanceState,
      members: t.membersCount,
      planBytes: stats.planBytes.toString(),
      allocatedBytes: stats.allocatedBytes.toString(),
      usedBytes: stats.usedBytes.toString(),
      freeBytes: stats.freeBytes.toString(),
      usedPercent: stats.usedBasisPoints / 100,
    };
  }

  async function listRecords(query: TenantQuery) {
    return repositories.support.listTenants({
      search: query.search,
      state: query.state ? parseInstanceState(query.state) : undefined,
      limit: limitOf(query.limit),
    });
  }

  return {
    async listTenants(who: Staff, query: TenantQuery): Promise<TenantView[]> {
      requirePermission(who, 'tenant.read');
      const rows = await listRecords(query);
      await context.audit(repositories, who, {
        action: 'tenant.list',
        targetType: 'instance',
        targetId: null,
        details: { ...queryDetails(query), count: rows.length },
      });
      return rows.map(tenantView);
    },

    async showTenant(who: Staff, subdomain: string): Promise<TenantDetail> {
      requirePermission(who, 'tenant.read');
      const t = await context.requireTenant(repositories, subdomain);
      const usage = await usageOf(repositories, t);
      const restore = await repositories.support.runningInPlaceRestore(t.instanceId);
      await context.audit(repositories, who, {
        action: 'tenant.show',
        targetType: 'instance',
        targetId: t.instanceId,
        instanceId: t.instanceId,
        details: { subdomain: t.subdomain },
      });
      return {
        ...tenantView(t),
        subscriptionId: t.subscriptionId,
        currentPeriodEnd: iso(t.currentPeriodEnd),
        ownerName: t.owner.name,
        planBytes: t.planBytes.toString(),
        imageRef: t.imageRef,
        appHostPort: t.appHostPort,
        lastError: t.lastError,
        usage,
        holds: {
          staffSince: iso(t.staffHoldSince),
          storage: t.storageHold && {
            since: t.storageHold.since.toISOString(),
            measuredBytes: t.storageHold.measuredBytes?.toString() ?? null,
            limitBytes: t.storageHold.limitBytes?.toString() ?? null,
          },
        },
        restoring: restore && { since: restore.startedAt.toISOString(), snapshot: restore.backupId },
      };
    },

    /** Per instance: what the plan gives, what quotas allocate, what is used, how many members. */
    async usageReport(who: Staff, query: TenantQuery): Promise<TenantUsage[]> {
      requirePermission(who, 'tenant.read');
      const rows = await listRecords(query);
      const report: TenantUsage[] = [];
      for (const t of rows) report.push(await usageOf(repositories, t));
      await context.audit(repositories, who, {
        action: 'tenant.usage',
        targetType: 'instance',
        targetId: null,
        details: { ...queryDetails(query), count: rows.length },
      });
      return report;
    },

    /**
     * Queues `operation` for the subscription workflow (deprovision needs tenant.delete): the audit row and the
     * outbox message are one transaction, and the signal is sent after the commit (issue 13), so a slow or absent
     * Temporal neither holds the tenant's rows nor loses the operation.
     */
    async operateTenant(who: Staff, subdomain: string, operation: InstanceOperation, reasonInput: unknown) {
      requirePermission(who, operation === 'deprovision' ? 'tenant.delete' : 'tenant.support');
      const reason = parseReason(reasonInput);
      const requestId = `staff/${randomUUID()}`;
      const result = await repositories.transaction(async (repos) => {
        const tenant = await context.requireTenant(repos, subdomain);
        assertAllowed(checkInstanceOperation(tenant.instanceState, operation));
        await context.audit(repos, who, {
          action: `tenant.${operation}`,
          targetType: 'instance',
          targetId: tenant.instanceId,
          instanceId: tenant.instanceId,
          reason,
          details: { subdomain: tenant.subdomain, stateBefore: tenant.instanceState, requestId },
        });
        const message: StaffOperationMessage = { operation, instanceId: tenant.instanceId, requestId };
        await repos.outbox.add({
          key: outboxKeyOf(tenant.subscriptionId),
          kind: OUTBOX.staffOperation,
          payload: { ...message },
          idempotencyKey: requestId,
        });
        return {
          subdomain: tenant.subdomain,
          operation,
          state: tenant.instanceState,
          workflowId: operationWorkflowId(operation, tenant.instanceId),
        };
      });
      queued();
      return result;
    },
  };
}
