// What support staff read and change across the whole fleet (SPEC A2-A5): tenants with their owner, plan and
// host; the audit log; sign-in attempts grouped the way `photoplane logins ls` shows them; sessions and API keys of
// both realms. Scoped by nothing on purpose: only the support service calls it, after its staff check.
import { isUuid } from '@photoplane/tenant-model';
import { Prisma } from '@photoplane/db';
import type { InstanceState } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface TenantRecord {
  instanceId: string;
  subdomain: string;
  instanceState: InstanceState;
  provisioningStep: string | null;
  lastError: string | null;
  imageRef: string | null;
  hostName: string | null;
  appHostPort: number | null;
  createdAt: Date;
  subscriptionId: string;
  subscriptionState: string;
  currentPeriodEnd: Date | null;
  planId: string;
  planName: string;
  planBytes: bigint;
  owner: { accountId: string; email: string; name: string | null };
  membersCount: number;
  /** Support's hold and the storage watchdog's (issue 13): billing events lift neither. */
  staffHoldSince: Date | null;
  storageHold: { since: Date; measuredBytes: bigint | null; limitBytes: bigint | null } | null;
}

export interface TenantQuery {
  /** Part of the subdomain or of the owner's e-mail. */
  search?: string | undefined;
  state?: InstanceState | undefined;
  limit: number;
}

const tenantSelect = {
  id: true,
  subdomain: true,
  state: true,
  provisioningStep: true,
  lastError: true,
  imageRef: true,
  appHostPort: true,
  createdAt: true,
  dockerHost: { select: { name: true } },
  subscription: {
    select: {
      id: true,
      state: true,
      currentPeriodEnd: true,
      staffHoldSince: true,
      storageHoldSince: true,
      storageHoldBytes: true,
      storageHoldLimitBytes: true,
      plan: { select: { id: true, name: true, storageBytes: true } },
      account: { select: { id: true, email: true, name: true } },
    },
  },
  // Purged members are deleted rows; members marked deleted are not counted either.
  _count: { select: { members: { where: { status: { not: 'deleted' } } } } },
} as const satisfies Prisma.InstanceSelect;

type TenantRow = Prisma.InstanceGetPayload<{ select: typeof tenantSelect }>;

function toTenant(row: TenantRow): TenantRecord {
  const { subscription } = row;
  return {
    instanceId: row.id,
    subdomain: row.subdomain,
    instanceState: row.state,
    provisioningStep: row.provisioningStep,
    lastError: row.lastError,
    imageRef: row.imageRef,
    hostName: row.dockerHost?.name ?? null,
    appHostPort: row.appHostPort,
    createdAt: row.createdAt,
    subscriptionId: subscription.id,
    subscriptionState: subscription.state,
    currentPeriodEnd: subscription.currentPeriodEnd,
    planId: subscription.plan.id,
    planName: subscription.plan.name,
    planBytes: subscription.plan.storageBytes,
    owner: { accountId: subscription.account.id, email: subscription.account.email, name: subscription.account.name },
    membersCount: row._count.members,
    staffHoldSince: subscription.staffHoldSince,
    storageHold: subscription.storageHoldSince
      ? {
          since: subscription.storageHoldSince,
          measuredBytes: subscription.storageHoldBytes,
          limitBytes: subscription.storageHoldLimitBytes,
        }
      : null,
  };
}

export interface StaffAuditQuery {
  instanceId?: string | undefined;
  /** The actor's account id or their e-mail at the time. */
  actor?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
}

export interface AuditRecord {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  instanceId: string | null;
  reason: string | null;
  clientIp: string | null;
  details: Prisma.JsonValue;
}

export interface LoginRow {
  clientIp: string;
  email: string;
  realm: 'portal' | 'instance';
  subdomain: string | null;
  /** The newest attempt's outcome. */
  status: string;
  lastLogin: Date | null;
  failedAt: Date | null;
  lastAttemptAt: Date;
  attempts: number;
}

export interface CredentialRecord {
  id: string;
  kind: 'session' | 'api_key';
  realm: 'portal' | 'instance';
  /** The account's or member's e-mail. */
  user: string;
  accountId: string | null;
  memberId: string | null;
  instanceId: string | null;
  subdomain: string | null;
  /** The API key's name, or the session's device. */
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface CredentialQuery {
  search?: string | undefined;
  /** Live ones only (unrevoked, unexpired). */
  liveAt?: Date | undefined;
  limit: number;
}

const sessionSelect = {
  id: true,
  realm: true,
  accountId: true,
  memberId: true,
  instanceId: true,
  deviceType: true,
  deviceOs: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  account: { select: { email: true } },
  member: { select: { email: true, instance: { select: { subdomain: true } } } },
} as const satisfies Prisma.SessionSelect;

const apiKeySelect = {
  id: true,
  instanceId: true,
  memberId: true,
  name: true,
  createdAt: true,
  lastUsedAt: true,
  member: { select: { email: true, instance: { select: { subdomain: true } } } },
} as const satisfies Prisma.ApiKeySelect;

function sessionCredential(row: Prisma.SessionGetPayload<{ select: typeof sessionSelect }>): CredentialRecord {
  const device = [row.deviceType, row.deviceOs].filter(Boolean).join(' ');
  return {
    id: row.id,
    kind: 'session',
    realm: row.realm,
    user: row.account?.email ?? row.member?.email ?? '',
    accountId: row.accountId,
    memberId: row.memberId,
    instanceId: row.instanceId,
    subdomain: row.member?.instance.subdomain ?? null,
    label: device || null,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  };
}

function apiKeyCredential(row: Prisma.ApiKeyGetPayload<{ select: typeof apiKeySelect }>): CredentialRecord {
  return {
    id: row.id,
    kind: 'api_key',
    realm: 'instance',
    user: row.member.email,
    accountId: null,
    memberId: row.memberId,
    instanceId: row.instanceId,
    subdomain: row.member.instance.subdomain,
    label: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: null,
    revokedAt: null,
  };
}

export function createSupportRepository(db: Db) {
  return {
    async listTenants(query: TenantQuery): Promise<TenantRecord[]> {
      const term = query.search?.trim().toLowerCase();
      const rows = await db.instance.findMany({
        where: {
          ...(query.state ? { state: query.state } : {}),
          ...(term
            ? {
                OR: [
                  { subdomain: { contains: term } },
                  { subscription: { account: { emailNormalized: { contains: term } } } },
                ],
              }
            : {}),
        },
        orderBy: { subdomain: 'asc' },
        take: query.limit,
        select: tenantSelect,
      });
      return rows.map(toTenant);
    },

    async findTenant(subdomain: string): Promise<TenantRecord | null> {
      const row = await db.instance.findUnique({ where: { subdomain: subdomain.toLowerCase() }, select: tenantSelect });
      return row ? toTenant(row) : null;
    },

    /** The in-place restore running on the instance, if one is (SPEC F1): the instance is stopped until it ends. */
    runningInPlaceRestore(instanceId: string): Promise<{ startedAt: Date; backupId: string } | null> {
      return db.instanceRestore.findFirst({
        where: { instanceId, target: 'in-place', status: 'running' },
        orderBy: { startedAt: 'desc' },
        select: { startedAt: true, backupId: true },
      });
    },

    async listAudit(query: StaffAuditQuery): Promise<AuditRecord[]> {
      const actor = query.actor?.trim();
      return db.auditEvent.findMany({
        where: {
          ...(query.instanceId ? { instanceId: query.instanceId } : {}),
          ...(query.since || query.until
            ? { at: { ...(query.since ? { gte: query.since } : {}), ...(query.until ? { lt: query.until } : {}) } }
            : {}),
          ...(actor
            ? {
                OR: [
                  ...(isUuid(actor) ? [{ actorId: actor }] : []),
                  { actorLabel: { equals: actor, mode: 'insensitive' as const } },
                ],
              }
            : {}),
        },
        orderBy: [{ at: 'desc' }, { id: 'asc' }],
        take: query.limit,
      });
    },

    /**
     * Attempts grouped by client, address and realm (PhotoPrism's `logins ls`): the newest outcome, the last
     * successful sign-in and the last failure. Newest first.
     */
    async listLogins(query: { search?: string | undefined; limit: number }): Promise<LoginRow[]> {
      const term = query.search?.trim().toLowerCase();
      const like = term ? `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const rows = await db.$queryRaw<
        {
          clientIp: string;
          email: string;
          realm: 'portal' | 'instance';
          subdomain: string | null;
          status: string;
          lastLogin: Date | null;
          failedAt: Date | null;
          lastAttemptAt: Date;
          attempts: bigint;
        }[]
      >(Prisma.sql`
        SELECT la."clientIp", lower(la.email) AS email, la.realm, i.subdomain,
               (array_agg(la.status::text ORDER BY la.at DESC))[1] AS status,
               max(la.at) FILTER (WHERE la.status = 'succeeded') AS "lastLogin",
               max(la.at) FILTER (WHERE la.status <> 'succeeded') AS "failedAt",
               max(la.at) AS "lastAttemptAt",
               count(*) AS attempts
        FROM login_attempt la
        LEFT JOIN instance i ON i.id = la."instanceId"
        ${
          like === null
            ? Prisma.empty
            : Prisma.sql`WHERE lower(la.email) LIKE ${like} OR la."clientIp" LIKE ${like} OR i.subdomain LIKE ${like}`
        }
        GROUP BY la."clientIp", lower(la.email), la.realm, i.subdomain
        ORDER BY "lastAttemptAt" DESC, email ASC
        LIMIT ${query.limit}`);
      return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
    },

    async clearLogins(): Promise<number> {
      const { count } = await db.loginAttempt.deleteMany({});
      return count;
    },

    async listCredentials(query: CredentialQuery): Promise<CredentialRecord[]> {
      const term = query.search?.trim().toLowerCase();
      const sessionWhere: Prisma.SessionWhereInput = {
        ...(query.liveAt ? { revokedAt: null, expiresAt: { gt: query.liveAt } } : {}),
        ...(term
          ? {
              OR: [
                { account: { emailNormalized: { contains: term } } },
                { member: { emailNormalized: { contains: term } } },
                { member: { instance: { subdomain: { contains: term } } } },
              ],
            }
          : {}),
      };
      const keyWhere: Prisma.ApiKeyWhereInput = term
        ? {
            OR: [
              { member: { emailNormalized: { contains: term } } },
              { member: { instance: { subdomain: { contains: term } } } },
              { name: { contains: term, mode: 'insensitive' } },
            ],
          }
        : {};
      const [sessions, keys] = await Promise.all([
        db.session.findMany({
          where: sessionWhere,
          orderBy: { lastUsedAt: 'desc' },
          take: query.limit,
          select: sessionSelect,
        }),
        db.apiKey.findMany({
          where: keyWhere,
          orderBy: { createdAt: 'desc' },
          take: query.limit,
          select: apiKeySelect,
        }),
      ]);
      const all = [...sessions.map(sessionCredential), ...keys.map(apiKeyCredential)];
      const recency = (c: CredentialRecord) => (c.lastUsedAt ?? c.createdAt).getTime();
      return all.sort((a, b) => recency(b) - recency(a) || a.id.localeCompare(b.id)).slice(0, query.limit);
    },

    async findCredential(id: string): Promise<CredentialRecord | null> {
      if (!isUuid(id)) return null;
      const session = await db.session.findUnique({ where: { id }, select: sessionSelect });
      if (session) return sessionCredential(session);
      const key = await db.apiKey.findUnique({ where: { id }, select: apiKeySelect });
      return key ? apiKeyCredential(key) : null;
    },

    /** A session is revoked (kept for the record); an API key has no revoked state, so it is deleted (U3). */
    async revokeCredential(credential: CredentialRecord, at: Date): Promise<boolean> {
      if (credential.kind === 'session') {
        const { count } = await db.session.updateMany({
          where: { id: credential.id, revokedAt: null },
          data: { revokedAt: at },
        });
        return count > 0;
      }
      const { count } = await db.apiKey.deleteMany({ where: { id: credential.id } });
      return count > 0;
    },

    /** Everything one portal account can act with: its sessions. */
    async revokeAllOfAccount(accountId: string, at: Date): Promise<{ sessions: number; apiKeys: number }> {
      const { count } = await db.session.updateMany({
        where: { realm: 'portal', accountId, revokedAt: null },
        data: { revokedAt: at },
      });
      return { sessions: count, apiKeys: 0 };
    },

    /** Everything one member can act with: their sessions and API keys. */
    async revokeAllOfMember(
      instanceId: string,
      memberId: string,
      at: Date,
    ): Promise<{ sessions: number; apiKeys: number }> {
      const sessions = await db.session.updateMany({
        where: { realm: 'instance', instanceId, memberId, revokedAt: null },
        data: { revokedAt: at },
      });
      const keys = await db.apiKey.deleteMany({ where: { instanceId, memberId } });
      return { sessions: sessions.count, apiKeys: keys.count };
    },

    async findAccountByEmail(emailNormalized: string) {
      return db.account.findUnique({
        where: { emailNormalized },
        select: { id: true, email: true, role: true },
      });
    },

    async findMemberByEmail(instanceId: string, emailNormalized: string) {
      return db.member.findUnique({
        where: { instanceId_emailNormalized: { instanceId, emailNormalized } },
        select: { id: true, email: true, instanceId: true },
      });
    },

    async createApiKey(key: { instanceId: string; memberId: string; name: string; keyHash: string; at: Date }) {
      const row = await db.apiKey.create({
        data: {
          instanceId: key.instanceId,
          memberId: key.memberId,
          name: key.name,
          keyHash: key.keyHash,
          createdAt: key.at,
        },
        select: apiKeySelect,
      });
      return apiKeyCredential(row);
    },
  };
}

export type SupportRepository = ReturnType<typeof createSupportRepository>;
