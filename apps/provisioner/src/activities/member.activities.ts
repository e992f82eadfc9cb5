// Activities that make an instance's photo app follow its member table (SPEC M2-M7). The database is the source
// of truth: each activity reads the rows afresh and converges, so retries and repeated signals are harmless.
// Quotas sent to the app are effective limits (tenancy rules): usage plus an equal share of the plan's headroom, so
// the limits the app holds never add up to more than the plan, also between two syncs. Each re-split reads the
// usage afresh first and pushes the limits that go down before those that go up.
import { randomBytes } from 'node:crypto';
import { recordAudit, type AuditAction, type Prisma, type PrismaClient } from '@photoplane/db';
import {
  effectiveLimits,
  isDueForPurge,
  type Member,
  type MemberId,
  type MemberStatus,
  type PendingDeletion,
} from '@photoplane/tenant-model';
import { isPhotoAppError, type PhotoApp, type PhotoAppUser } from '../photo-app/index.ts';
import type { Secrets } from '../secrets.ts';
import type {
  DueMember,
  InstanceUsageSync,
  MemberSyncOutcome,
  RefreshInstanceQuotasInput,
  SyncMemberInput,
} from '../contracts/index.ts';
import { withPermanentErrors } from './errors.ts';
import { appBaseUrl } from './instance.activities.ts';

export interface MemberActivityDeps {
  prisma: PrismaClient;
  secrets: Secrets;
  photoApp: (baseUrl: string, credentials?: { apiKey: string } | { accessToken: string }) => PhotoApp;
  now?: () => Date;
}

interface DeletionColumns {
  role: Member['role'];
  status: MemberStatus;
  deletionRequestedAt: Date | null;
  deletionImmediate: boolean;
  statusBeforeDeletion: MemberStatus | null;
}

function deletable(row: DeletionColumns): Pick<Member, 'role' | 'status' | 'deletion'> {
  return {
    role: row.role,
    status: row.status,
    deletion:
      row.status === 'pending_deletion' && row.deletionRequestedAt
        ? {
            requestedAt: row.deletionRequestedAt,
            immediate: row.deletionImmediate,
            previousStatus: (row.statusBeforeDeletion ?? 'active') as PendingDeletion['previousStatus'],
          }
        : null,
  };
}

const deletionSelect = {
  id: true,
  instanceId: true,
  role: true,
  status: true,
  deletionRequestedAt: true,
  deletionImmediate: true,
  statusBeforeDeletion: true,
} as const;

/** The users by id: the usage sync looks one up per member (a linear search each made it members × users). */
function usersById(users: readonly PhotoAppUser[]): Map<string, PhotoAppUser> {
  return new Map(users.map((u) => [u.id, u]));
}

export function createMemberActivities(deps: MemberActivityDeps) {
  const { prisma } = deps;
  const now = deps.now ?? (() => new Date());

  /** The control plane's admin client of the instance's photo app; retryable while the instance is not up. */
  async function adminApp(instanceId: string): Promise<PhotoApp> {
    const instance = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
    if (!instance.appHostPort || !instance.photoAppApiKeyCipher) {
      throw new Error(`instance ${instanceId} has no running photo app yet (state ${instance.state})`);
    }
    return deps.photoApp(appBaseUrl(instance.appHostPort), {
      apiKey: deps.secrets.decrypt(instance.photoAppApiKeyCipher),
    });
  }

  async function quotaContext(instanceId: string) {
    const instance = await prisma.instance.findUniqueOrThrow({
      where: { id: instanceId },
      select: { subscription: { select: { plan: { select: { storageBytes: true } } } } },
    });
    const members = await prisma.member.findMany({
      where: { instanceId },
      select: {
        id: true,
        quotaBytes: true,
        usageBytes: true,
        status: true,
        photoAppUserId: true,
        photoAppQuotaBytes: true,
      },
    });
    const limits = effectiveLimits(
      instance.subscription.plan.storageBytes,
      members.map((m) => ({ ...m, id: m.id as MemberId })),
    );
    return { members, limitOf: (memberId: string) => limits.get(memberId as MemberId) ?? 0n };
  }

  /**
   * Copies what the photo app counts against each user's quota (its users' quota usage, trash included) into the
   * member rows: the usage every split starts from. A member whose user is not in the list keeps its last usage.
   */
  async function copyUsage(instanceId: string, users: PhotoAppUser[]): Promise<number> {
    const members = await prisma.member.findMany({
      where: { instanceId, photoAppUserId: { not: null } },
      select: { id: true, photoAppUserId: true, usageBytes: true },
    });
    const byId = usersById(users);
    const changed: { id: string; value: bigint }[] = [];
    for (const member of members) {
      const bytes = byId.get(member.photoAppUserId!)?.usageBytes;
      if (bytes === undefined || bytes === null || bytes === member.usageBytes) continue;
      changed.push({ id: member.id, value: bytes });
    }
    await setMemberBytes('usageBytes', changed);
    return changed.length;
  }

  /**
   * Writes one bigint column of several members in one statement (issue 18: a statement per member made the usage
   * sync's database work grow with the members, one round trip each). `updatedAt` as Prisma's @updatedAt writes it.
   */
  async function setMemberBytes(
    column: 'usageBytes' | 'photoAppQuotaBytes',
    rows: readonly { id: string; value: bigint | null }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    const values = rows.map((r) => (r.value === null ? null : r.value.toString()));
    const at = now().toISOString();
    // The column name is one of two literals above, never input.
    await prisma.$executeRawUnsafe(
      `UPDATE member m SET "${column}" = v.value::bigint, "updatedAt" = ($3::timestamptz AT TIME ZONE 'UTC')
         FROM unnest($1::uuid[], $2::text[]) AS v(id, value) WHERE m.id = v.id`,
      ids,
      values,
      at,
    );
  }

  /**
   * Everybody's effective limit moves when one quota or usage changes: re-split from the usage in `users` and bring
   * the users in line. Limits that go down are pushed before those that go up, so the limits the app holds never
   * add up to more than the plan while the pushes are under way. Returns how many limits were written.
   */
  async function refreshQuotas(
    app: PhotoApp,
    instanceId: string,
    users: PhotoAppUser[],
    options: { except?: string; onlyDecreases?: boolean } = {},
  ): Promise<{ membersUpdated: number; limitsPushed: number }> {
    const membersUpdated = await copyUsage(instanceId, users);
    const { members, limitOf } = await quotaContext(instanceId);
    const byId = usersById(users);
    const changes: { member: (typeof members)[number]; user: PhotoAppUser; limit: bigint; down: boolean }[] = [];
    for (const member of members) {
      if (member.id === options.except || !member.photoAppUserId) continue;
      if (member.status !== 'active' && member.status !== 'disabled') continue;
      const user = byId.get(member.photoAppUserId);
      if (!user || user.status !== 'active') continue;
      const limit = limitOf(member.id);
      changes.push({ member, user, limit, down: user.quotaBytes === null || limit < user.quotaBytes });
    }
    let limitsPushed = 0;
    // What the photo app holds now, so a value found there later that differs was set there, not by us: recorded
    // for every limit pushed (or found already right), in one statement once the pushes end, also when one fails.
    const pushed: { id: string; value: bigint | null }[] = [];
    try {
      for (const down of [true, false]) {
        if (!down && options.onlyDecreases) break;
        for (const { member, user, limit } of changes.filter((c) => c.down === down)) {
          if (user.quotaBytes !== limit) {
            await app.updateUser(user.id, { quotaBytes: limit });
            limitsPushed++;
          }
          if (member.photoAppQuotaBytes !== limit) pushed.push({ id: member.id, value: limit });
        }
      }
    } finally {
      await setMemberBytes('photoAppQuotaBytes', pushed);
    }
    return { membersUpdated, limitsPushed };
  }

  /** What the photo app holds now, so a value found there later that differs was set there, not by us. */
  async function recordPushedLimit(member: { id: string; photoAppQuotaBytes: bigint | null }, limit: bigint | null) {
    if (member.photoAppQuotaBytes === limit) return;
    await prisma.member.update({ where: { id: member.id }, data: { photoAppQuotaBytes: limit } });
  }

  function audit(
    instanceId: string,
    action: AuditAction,
    target: { type: string; id: string },
    details: Prisma.InputJsonObject,
  ) {
    return recordAudit(prisma, {
      actorType: 'system',
      action,
      targetType: target.type,
      targetId: target.id,
      instanceId,
      details,
    });
  }

  /**
   * Roll-up cannot be escaped from the photo app's admin screens (issue 10, item 7). Its owner is the app's admin and
   * can create users and change quotas there; the usage sync puts both right, each correction audited:
   * - a quota that differs from the limit the control plane last wrote was changed in the app: the effective
   *   limit is written back (by refreshQuotas, right after);
   * - a user that is no member: adopted when a member with that e-mail has no user of their own yet (the same
   *   person, e.g. their first OpenID sign-in came before the member sync), otherwise refused, i.e. soft-deleted.
   *   Refused rather than adopted as a new member: such a user has no Photoplane identity (password login is off,
   *   so they could never sign in), their storage would sit outside the plan's roll-up, and making someone a
   *   member is the owner's decision in Photoplane (an invitation), not a side effect of the app's screens. Soft:
   *   nothing is lost at once; the owner invites them properly, and their registration restores the user.
   */
  async function correctEscapes(app: PhotoApp, instanceId: string, users: PhotoAppUser[]) {
    const members = await prisma.member.findMany({
      where: { instanceId },
      select: {
        id: true,
        emailNormalized: true,
        status: true,
        photoAppUserId: true,
        photoAppQuotaBytes: true,
      },
    });
    const { photoAppOwnerId } = await prisma.instance.findUniqueOrThrow({
      where: { id: instanceId },
      select: { photoAppOwnerId: true },
    });
    let quotasReasserted = 0;
    let usersAdopted = 0;
    let usersRefused = 0;
    const active = users.filter((u) => u.status === 'active');
    const activeById = usersById(active);
    for (const member of members) {
      if (member.status !== 'active' && member.status !== 'disabled') continue;
      const user = member.photoAppUserId ? activeById.get(member.photoAppUserId) : undefined;
      if (!user || member.photoAppQuotaBytes === null || user.quotaBytes === member.photoAppQuotaBytes) continue;
      await audit(
        instanceId,
        'photo_app.quota_reasserted',
        { type: 'member', id: member.id },
        {
          photoAppUserId: user.id,
          found: user.quotaBytes === null ? 'unlimited' : user.quotaBytes.toString(),
          expected: member.photoAppQuotaBytes.toString(),
        },
      );
      // Makes refreshQuotas write the limit again even if it happens to equal what the app now holds.
      await prisma.member.update({ where: { id: member.id }, data: { photoAppQuotaBytes: null } });
      quotasReasserted++;
    }
    const linked = new Set([photoAppOwnerId, ...members.map((m) => m.photoAppUserId)].filter(Boolean));
    for (const user of active) {
      if (linked.has(user.id)) continue;
      const sameEmail = members.find(
        (m) =>
          m.emailNormalized === user.email.toLowerCase() &&
          (m.status === 'active' || m.status === 'disabled') &&
          !(m.photoAppUserId && users.some((u) => u.id === m.photoAppUserId)),
      );
      if (sameEmail) {
        await prisma.member.update({ where: { id: sameEmail.id }, data: { photoAppUserId: user.id } });
        await audit(
          instanceId,
          'photo_app.user_adopted',
          { type: 'member', id: sameEmail.id },
          { photoAppUserId: user.id },
        );
        usersAdopted++;
        continue;
      }
      await app.deleteUser(user.id, { force: false });
      await audit(
        instanceId,
        'photo_app.user_refused',
        { type: 'photo_app_user', id: user.id },
        { email: user.email, name: user.name, reason: 'not a member of the instance' },
      );
      usersRefused++;
    }
    return { quotasReasserted, usersAdopted, usersRefused };
  }

  /**
   * Copies each member's usage from the photo app into the database (the source of M8's stats and of the
   * roll-up), then re-splits the headroom and pushes the effective limits that moved. One read of the app's users
   * (usage and quota of each) per instance; a second only when a user had to be adopted or refused.
   */
  async function syncUsage(instanceId: string): Promise<InstanceUsageSync> {
    const app = await adminApp(instanceId);
    let users = await app.listUsers({ includeDeleted: false });
    const corrections = await correctEscapes(app, instanceId, users);
    if (corrections.usersAdopted + corrections.usersRefused > 0) users = await app.listUsers({ includeDeleted: false });
    const { membersUpdated, limitsPushed } = await refreshQuotas(app, instanceId, users);
    return { membersUpdated, limitsPushed, ...corrections };
  }

  function findUser(users: PhotoAppUser[], member: { photoAppUserId: string | null; emailNormalized: string }) {
    // By id once known; by e-mail when a create succeeded but recording its id did not (a retried activity).
    return (
      (member.photoAppUserId ? users.find((u) => u.id === member.photoAppUserId) : undefined) ??
      users.find((u) => u.email.toLowerCase() === member.emailNormalized)
    );
  }

  /** Force-deletes the user and their files, then the row (sessions, invitations, keys cascade). */
  async function purge(input: DueMember): Promise<boolean> {
    const row = await prisma.member.findFirst({
      where: { id: input.memberId, instanceId: input.instanceId },
      select: {
        ...deletionSelect,
        emailNormalized: true,
        photoAppUserId: true,
        usageBytes: true,
        instance: { select: { deletionDelayDays: true } },
      },
    });
    if (!row) return false;
    // Re-checked with the delay configured now: a restore or a longer delay since the list was made wins.
    if (!isDueForPurge(deletable(row), now(), row.instance.deletionDelayDays)) return false;
    const app = await adminApp(input.instanceId);
    const users = await app.listUsers({ includeDeleted: true });
    const user = findUser(users, row);
    if (user && user.status !== 'removing') {
      try {
        // The app only force-deletes a user that is not soft-deleted (Immich: "User not found"), so restore first.
        if (user.status === 'deleted') await app.restoreUser(user.id);
        await app.deleteUser(user.id, { force: true });
      } catch (e) {
        if (!(isPhotoAppError(e) && e.status === 404)) throw e;
      }
    }
    await prisma.$transaction([
      recordAudit(prisma, {
        actorType: 'system',
        action: 'member.purged',
        targetType: 'member',
        targetId: row.id,
        instanceId: row.instanceId,
        details: { immediate: row.deletionImmediate, usageBytes: row.usageBytes.toString() },
      }),
      prisma.member.deleteMany({ where: { id: row.id, instanceId: row.instanceId } }),
    ]);
    await refreshQuotas(app, input.instanceId, await app.listUsers({ includeDeleted: true }));
    return true;
  }

  return withPermanentErrors({
    async syncMemberToPhotoApp(input: SyncMemberInput): Promise<MemberSyncOutcome> {
      const member = await prisma.member.findFirst({ where: { id: input.memberId, instanceId: input.instanceId } });
      if (!member) return 'absent';
      // An invited member gets a photo-app user when they register; a deleted one has none.
      if (member.status === 'invited' || member.status === 'deleted') return 'skipped';
      if (member.status === 'pending_deletion' && member.deletionImmediate) {
        return (await purge(input)) ? 'purged' : 'skipped';
      }
      const app = await adminApp(input.instanceId);
      const users = await app.listUsers({ includeDeleted: true });
      let user = findUser(users, member);

      if (member.status === 'pending_deletion') {
        if (!user) return 'absent';
        // Soft delete: the app refuses the login and keeps the files until the purge (or a restore).
        if (user.status === 'active') await app.deleteUser(user.id, { force: false });
        return 'soft-deleted';
      }

      // Others' limits that go down are lowered before this member's can go up (a new member takes a share).
      await refreshQuotas(app, input.instanceId, users, { except: member.id, onlyDecreases: true });
      const { limitOf } = await quotaContext(input.instanceId);
      const limit = limitOf(member.id);
      let outcome: MemberSyncOutcome = 'skipped';
      if (!user) {
        // The owner's user is made by provisioning; adopting it is all that is left to do.
        if (member.role === 'owner') return 'skipped';
        // Members sign in through Photoplane; the app's own password is random and never stored or shown.
        user = await app.createUser({
          email: member.emailNormalized,
          name: member.name,
          password: randomBytes(24).toString('base64url'),
          quotaBytes: limit,
          storageLabel: member.storageLabel,
          shouldChangePassword: false,
        });
        outcome = 'created';
      } else if (user.status !== 'active') {
        user = await app.restoreUser(user.id);
        outcome = 'restored';
      }
      if (member.photoAppUserId !== user.id) {
        await prisma.member.update({ where: { id: member.id }, data: { photoAppUserId: user.id } });
      }
      const quotaBefore = user.quotaBytes;
      const patch: Parameters<PhotoApp['updateUser']>[1] = {};
      if (user.name !== member.name) patch.name = member.name;
      if (user.quotaBytes !== limit) patch.quotaBytes = limit;
      // The owner's label was set by the app at sign-up ("admin"); only a label chosen for them replaces it.
      const labelChanged =
        user.storageLabel !== member.storageLabel && (member.role !== 'owner' || member.storageLabel !== null);
      if (labelChanged) patch.storageLabel = member.storageLabel;
      if (Object.keys(patch).length > 0) {
        await app.updateUser(user.id, patch);
        if (outcome === 'skipped') outcome = 'updated';
      }
      if (quotaBefore === limit || patch.quotaBytes !== undefined) await recordPushedLimit(member, limit);
      // SPEC M5: existing files move to the new label only when the storage migration job runs.
      if (labelChanged) await app.runStorageMigration();
      await refreshQuotas(app, input.instanceId, await app.listUsers({ includeDeleted: true }), { except: member.id });
      return outcome;
    },

    /** Members whose deadline, under each instance's delay as configured right now, has passed (SPEC M7). */
    async listDueMembers(): Promise<DueMember[]> {
      const rows = await prisma.member.findMany({
        where: { status: 'pending_deletion' },
        select: { ...deletionSelect, instance: { select: { deletionDelayDays: true } } },
        orderBy: { deletionRequestedAt: 'asc' },
      });
      const at = now();
      return rows
        .filter((row) => isDueForPurge(deletable(row), at, row.instance.deletionDelayDays))
        .map((row) => ({ instanceId: row.instanceId, memberId: row.id }));
    },

    async purgeMember(input: DueMember): Promise<boolean> {
      return purge(input);
    },

    /** Instances whose photo app runs and can be asked for usage. */
    async listInstancesForUsageSync(): Promise<string[]> {
      const rows = await prisma.instance.findMany({
        where: { state: 'active', appHostPort: { not: null }, photoAppApiKeyCipher: { not: null } },
        select: { id: true },
        orderBy: { id: 'asc' },
      });
      return rows.map((r) => r.id);
    },

    /** See syncUsage: run for every instance by the usage-sync schedule. */
    async syncInstanceUsage(input: { instanceId: string }): Promise<InstanceUsageSync> {
      return syncUsage(input.instanceId);
    },

    /**
     * After a plan change (SPEC P6): the same usage copy and limit push, but only for an instance whose photo app
     * runs; a suspended or not yet provisioned one is skipped (resume and the usage-sync schedule bring it in line).
     */
    async refreshInstanceQuotas(input: RefreshInstanceQuotasInput): Promise<{ ran: boolean; limitsPushed: number }> {
      const instance = await prisma.instance.findUnique({
        where: { id: input.instanceId },
        select: { state: true, appHostPort: true, photoAppApiKeyCipher: true },
      });
      if (instance?.state !== 'active' || !instance.appHostPort || !instance.photoAppApiKeyCipher) {
        return { ran: false, limitsPushed: 0 };
      }
      const { limitsPushed } = await syncUsage(input.instanceId);
      return { ran: true, limitsPushed };
    },
  });
}

export type MemberActivities = ReturnType<typeof createMemberActivities>;
