// Members of one instance (SPEC M1-M8) and the instance facts their rules need (plan bytes, deletion delay).
// Every member query is scoped by instanceId: a member id of another instance finds nothing, exactly like a
// random one, so the services cannot leak that it exists (SPEC tenancy rules).
import { isUuid } from '@photoplane/tenant-model';
import type {
  InstanceId,
  Member,
  MemberId,
  MemberRole,
  MemberStatus,
  PendingDeletion,
  QuotaMember,
} from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import type { PreparedSql } from '../platform/data/prepared.ts';

export interface MemberRecord {
  id: MemberId;
  instanceId: InstanceId;
  email: string;
  emailNormalized: string;
  name: string;
  role: MemberRole;
  status: MemberStatus;
  storageLabel: string | null;
  quotaBytes: bigint | null;
  usageBytes: bigint;
  mustChangePassword: boolean;
  passwordHash: string | null;
  deletionRequestedAt: Date | null;
  deletionImmediate: boolean;
  statusBeforeDeletion: MemberStatus | null;
  photoAppUserId: string | null;
  createdAt: Date;
}

export interface MemberInstance {
  id: InstanceId;
  subdomain: string;
  state: string;
  deletionDelayDays: number;
  photoAppOwnerId: string | null;
  /** What the subscription's plan gives the instance (S in the quota rules). */
  planBytes: bigint;
  /** The account that pays: the instance's owner (SPEC M1). */
  owner: { accountId: string; email: string; name: string | null };
}

export interface NewMember {
  id?: MemberId;
  instanceId: InstanceId;
  email: string;
  emailNormalized: string;
  name: string;
  role: MemberRole;
  status: MemberStatus;
  storageLabel: string | null;
  quotaBytes: bigint | null;
  mustChangePassword: boolean;
  passwordHash: string | null;
  photoAppUserId?: string | null;
}

export type MemberChanges = Partial<
  Pick<
    MemberRecord,
    | 'name'
    | 'role'
    | 'status'
    | 'storageLabel'
    | 'quotaBytes'
    | 'mustChangePassword'
    | 'passwordHash'
    | 'deletionRequestedAt'
    | 'deletionImmediate'
    | 'statusBeforeDeletion'
  >
>;

/**
 * What the owner's (or staff's) member pages read, as one statement: the signed-in account, the instance at the
 * subdomain with its paying account, and every member row of it (deleted ones too, for the quota sums).
 */
export interface MemberAdminView {
  account: { id: string; email: string; role: string } | null;
  instance: MemberInstance | null;
  /** Oldest first (createdAt, id), as `list` orders them. */
  members: MemberRecord[];
  /** The rows it was read from, as the view cache's tags (platform/data/view-cache.ts). */
  tags: string[];
}

/** The account, instance and owner columns of the admin view's rows. */
interface MemberAdminHead {
  accountId: string | null;
  accountEmail: string | null;
  accountRole: string | null;
  instanceId: string | null;
  subdomain: string | null;
  instanceState: string | null;
  deletionDelayDays: number | null;
  photoAppOwnerId: string | null;
  planBytes: bigint | null;
  ownerAccountId: string | null;
  ownerEmail: string | null;
  ownerName: string | null;
  subscriptionId: string | null;
  planId: string | null;
  memberId: string | null;
}

/** A row of the admin view: the head, and the member's own columns as MemberRecord has them. */
type MemberAdminRow = MemberAdminHead & Omit<MemberRecord, 'id' | 'instanceId'>;

const ADMIN_VIEW = `
  SELECT a."id" AS "accountId", a."email" AS "accountEmail", a."role"::text AS "accountRole",
         i."id" AS "instanceId", i."subdomain", i."state"::text AS "instanceState", i."deletionDelayDays",
         i."photoAppOwnerId", p."storageBytes" AS "planBytes",
         s."accountId" AS "ownerAccountId", oa."email" AS "ownerEmail", oa."name" AS "ownerName",
         s."id" AS "subscriptionId", p."id" AS "planId", m."id" AS "memberId", m."email", m."emailNormalized", m."name", m."role"::text AS "role",
         m."status"::text AS "status", m."storageLabel", m."quotaBytes", m."usageBytes", m."mustChangePassword",
         m."passwordHash", m."deletionRequestedAt", m."deletionImmediate",
         m."statusBeforeDeletion"::text AS "statusBeforeDeletion", m."photoAppUserId", m."createdAt"
    FROM (SELECT 1) one
    LEFT JOIN "account" a ON a."id" = $1::uuid
    LEFT JOIN "instance" i ON i."subdomain" = $2
    LEFT JOIN "subscription" s ON s."id" = i."subscriptionId"
    LEFT JOIN "plan" p ON p."id" = s."planId"
    LEFT JOIN "account" oa ON oa."id" = s."accountId"
    LEFT JOIN "member" m ON m."instanceId" = i."id"
   ORDER BY m."createdAt", m."id"`;

const columns = {
  id: true,
  instanceId: true,
  email: true,
  emailNormalized: true,
  name: true,
  role: true,
  status: true,
  storageLabel: true,
  quotaBytes: true,
  usageBytes: true,
  mustChangePassword: true,
  passwordHash: true,
  deletionRequestedAt: true,
  deletionImmediate: true,
  statusBeforeDeletion: true,
  photoAppUserId: true,
  createdAt: true,
} as const;

/** The tenant model's view of a row: the pending deletion is rebuilt from its three columns. */
export function toDomainMember(record: MemberRecord): Member {
  const deletion: PendingDeletion | null =
    record.status === 'pending_deletion' && record.deletionRequestedAt
      ? {
          requestedAt: record.deletionRequestedAt,
          immediate: record.deletionImmediate,
          previousStatus: (record.statusBeforeDeletion ?? 'active') as PendingDeletion['previousStatus'],
        }
      : null;
  return {
    id: record.id,
    instanceId: record.instanceId,
    email: record.emailNormalized,
    name: record.name,
    role: record.role,
    status: record.status,
    quotaBytes: record.quotaBytes,
    usageBytes: record.usageBytes,
    storageLabel: record.storageLabel,
    mustChangePassword: record.mustChangePassword,
    deletion,
  };
}

export function createMemberRepository(db: Db, prepared?: PreparedSql) {
  return {
    /** See MemberAdminView; through the prepared statement when there is one (issue 18), else through Prisma. */
    async findAdminView(accountId: string, subdomain: string): Promise<MemberAdminView> {
      const name = subdomain.toLowerCase();
      const tags = [`account:${accountId}`, `subdomain:${name}`];
      if (!isUuid(accountId)) return { account: null, instance: null, members: [], tags };
      const values = [accountId, name];
      const rows = prepared
        ? await prepared.rows<MemberAdminRow>('portal-member-admin-view', ADMIN_VIEW, values)
        : await db.$queryRawUnsafe<MemberAdminRow[]>(ADMIN_VIEW, ...values);
      const first = rows[0];
      if (!first) return { account: null, instance: null, members: [], tags };
      for (const [kind, id] of [
        ['instance', first.instanceId],
        ['subscription', first.subscriptionId],
        ['plan', first.planId],
        ['account', first.ownerAccountId],
      ] as const)
        if (id) tags.push(`${kind}:${id}`);
      const account =
        first.accountId && first.accountEmail && first.accountRole
          ? { id: first.accountId, email: first.accountEmail, role: first.accountRole }
          : null;
      const instance: MemberInstance | null =
        first.instanceId && first.subdomain && first.instanceState && first.ownerAccountId && first.ownerEmail
          ? {
              id: first.instanceId as InstanceId,
              subdomain: first.subdomain,
              state: first.instanceState,
              deletionDelayDays: first.deletionDelayDays ?? 0,
              photoAppOwnerId: first.photoAppOwnerId,
              planBytes: first.planBytes ?? 0n,
              owner: { accountId: first.ownerAccountId, email: first.ownerEmail, name: first.ownerName },
            }
          : null;
      const members = rows.flatMap((r): MemberRecord[] =>
        r.memberId && instance
          ? [
              {
                id: r.memberId as MemberId,
                instanceId: instance.id,
                email: r.email,
                emailNormalized: r.emailNormalized,
                name: r.name,
                role: r.role,
                status: r.status,
                storageLabel: r.storageLabel,
                quotaBytes: r.quotaBytes,
                usageBytes: r.usageBytes,
                mustChangePassword: r.mustChangePassword,
                passwordHash: r.passwordHash,
                deletionRequestedAt: r.deletionRequestedAt,
                deletionImmediate: r.deletionImmediate,
                statusBeforeDeletion: r.statusBeforeDeletion,
                photoAppUserId: r.photoAppUserId,
                createdAt: r.createdAt,
              },
            ]
          : [],
      );
      return { account, instance, members, tags };
    },

    async findInstanceBySubdomain(subdomain: string): Promise<MemberInstance | null> {
      const row = await db.instance.findUnique({
        where: { subdomain: subdomain.toLowerCase() },
        select: {
          id: true,
          subdomain: true,
          state: true,
          deletionDelayDays: true,
          photoAppOwnerId: true,
          subscription: {
            select: {
              accountId: true,
              plan: { select: { storageBytes: true } },
              account: { select: { email: true, name: true } },
            },
          },
        },
      });
      if (!row) return null;
      return {
        id: row.id as InstanceId,
        subdomain: row.subdomain,
        state: row.state,
        deletionDelayDays: row.deletionDelayDays,
        photoAppOwnerId: row.photoAppOwnerId,
        planBytes: row.subscription.plan.storageBytes,
        owner: {
          accountId: row.subscription.accountId,
          email: row.subscription.account.email,
          name: row.subscription.account.name,
        },
      };
    },

    /**
     * Serialises member changes of one instance until the caller's transaction ends, so two concurrent requests
     * cannot both pass the allocation or uniqueness check against the same state.
     */
    async lockInstance(instanceId: InstanceId): Promise<void> {
      await db.$queryRaw`SELECT id FROM instance WHERE id = ${instanceId}::uuid FOR UPDATE`;
    },

    async setDeletionDelay(instanceId: InstanceId, deletionDelayDays: number): Promise<void> {
      await db.instance.update({ where: { id: instanceId }, data: { deletionDelayDays } });
    },

    async find(instanceId: InstanceId, id: string): Promise<MemberRecord | null> {
      if (!isUuid(id)) return null;
      return (await db.member.findFirst({
        where: { instanceId, id, status: { not: 'deleted' } },
        select: columns,
      })) as MemberRecord | null;
    },

    async findByEmail(instanceId: InstanceId, emailNormalized: string): Promise<MemberRecord | null> {
      return (await db.member.findFirst({
        where: { instanceId, emailNormalized, status: { not: 'deleted' } },
        select: columns,
      })) as MemberRecord | null;
    },

    async findOwner(instanceId: InstanceId): Promise<MemberRecord | null> {
      return (await db.member.findFirst({
        where: { instanceId, role: 'owner' },
        select: columns,
      })) as MemberRecord | null;
    },

    /** Name or e-mail containing `search` (case-insensitive), oldest first. */
    async list(instanceId: InstanceId, search?: string): Promise<MemberRecord[]> {
      const term = search?.trim();
      return (await db.member.findMany({
        where: {
          instanceId,
          status: { not: 'deleted' },
          ...(term
            ? {
                OR: [
                  { name: { contains: term, mode: 'insensitive' } },
                  { emailNormalized: { contains: term.toLowerCase() } },
                ],
              }
            : {}),
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select: columns,
      })) as MemberRecord[];
    },

    /** Which of e-mail and storage label another member of the instance already uses. */
    async findConflict(
      instanceId: InstanceId,
      candidate: { id?: string; emailNormalized?: string; storageLabel?: string | null },
    ): Promise<'email' | 'storageLabel' | null> {
      const others = { instanceId, ...(candidate.id ? { id: { not: candidate.id } } : {}) };
      if (candidate.emailNormalized !== undefined) {
        const hit = await db.member.findFirst({
          where: { ...others, emailNormalized: candidate.emailNormalized },
          select: { id: true },
        });
        if (hit) return 'email';
      }
      if (candidate.storageLabel) {
        const hit = await db.member.findFirst({
          where: { ...others, storageLabel: candidate.storageLabel },
          select: { id: true },
        });
        if (hit) return 'storageLabel';
      }
      return null;
    },

    async quotaMembers(instanceId: InstanceId): Promise<QuotaMember[]> {
      const rows = await db.member.findMany({
        where: { instanceId },
        select: { id: true, quotaBytes: true, usageBytes: true, status: true },
      });
      return rows.map((m) => ({ ...m, id: m.id as MemberId }));
    },

    async create(member: NewMember): Promise<MemberRecord> {
      return (await db.member.create({ data: member, select: columns })) as MemberRecord;
    },

    /** Inserts unless the instance already has that e-mail; returns nothing either way. */
    async createIfAbsent(member: NewMember): Promise<void> {
      await db.member.createMany({ data: [member], skipDuplicates: true });
    },

    async update(instanceId: InstanceId, id: MemberId, changes: MemberChanges): Promise<MemberRecord> {
      return (await db.member.update({
        where: { instanceId_id: { instanceId, id } },
        data: changes,
        select: columns,
      })) as MemberRecord;
    },
  };
}

export type MemberRepository = ReturnType<typeof createMemberRepository>;
