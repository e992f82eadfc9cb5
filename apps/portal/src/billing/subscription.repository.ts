// Subscriptions and the instance row that holds their subdomain (SPEC P4, P5). The subscription's state is the
// subscription workflow's to write; the portal writes only what checkout and Stripe's webhooks tell it (ids,
// period end, newest event time, plan) and releases holds of checkouts that never completed.
import { isUuid } from '@photoplane/tenant-model';
import type { MemberId, MemberStatus, QuotaMember, SubscriptionState } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import type { PreparedSql } from '../platform/data/prepared.ts';

export interface HoldRecord {
  subscriptionId: string;
  instanceId: string;
  accountId: string;
  planId: string;
  state: SubscriptionState;
  createdAt: Date;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
}

export interface EventTargetRow {
  id: string;
  accountId: string;
  planId: string;
  state: SubscriptionState;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  stripeCheckoutSessionId: string | null;
  /** The billing fact last handed to the workflow (stripe-facts.ts billingKey). */
  stripeBilling: string | null;
  instanceId: string | null;
}

export interface StripeFacts {
  stripeCustomerId?: string;
  stripeSubscriptionId?: string;
  stripeCheckoutSessionId?: string;
  currentPeriodEnd?: Date | null;
  stripeBilling?: string | null;
  stripeSyncedAt?: Date;
}

export interface SubscriptionDetails {
  id: string;
  state: SubscriptionState;
  createdAt: Date;
  currentPeriodEnd: Date | null;
  graceEndsAt: Date | null;
  retentionEndsAt: Date | null;
  stripeCustomerId: string | null;
  plan: { id: string; name: string; storageBytes: bigint; priceCents: number; currency: string };
  instance: {
    id: string;
    subdomain: string;
    state: string;
    provisioningStep: string | null;
    lastError: string | null;
  } | null;
}

/** Everything the customer's subscription view shows, read in one round trip. */
export interface SubscriptionViewRecord extends SubscriptionDetails {
  members: QuotaMember[];
  /** The newest of the given audit actions about this subscription (the last word on a plan change). */
  lastWord: { action: string; at: Date; details: unknown } | null;
  /** The storage watchdog's hold (issue 13): since when, what it measured and the hard limit. */
  storageHold: { since: Date; measuredBytes: bigint | null; limitBytes: bigint | null } | null;
  /** Since when an in-place restore of the instance has been running (SPEC F1), if one is. */
  restoringSince: Date | null;
}

interface SubscriptionViewRow {
  id: string;
  state: SubscriptionState;
  createdAt: Date;
  currentPeriodEnd: Date | null;
  graceEndsAt: Date | null;
  retentionEndsAt: Date | null;
  stripeCustomerId: string | null;
  planId: string;
  planName: string;
  storageBytes: bigint;
  priceCents: number;
  currency: string;
  instanceId: string | null;
  subdomain: string | null;
  instanceState: string | null;
  provisioningStep: string | null;
  lastError: string | null;
  /** Byte counts as text inside JSON: a JSON number loses precision past 2^53. */
  members: { id: string; quotaBytes: string | null; usageBytes: string; status: MemberStatus }[];
  lastAction: string | null;
  lastAt: Date | null;
  lastDetails: unknown;
  storageHoldSince: Date | null;
  storageHoldBytes: bigint | null;
  storageHoldLimitBytes: bigint | null;
  restoringSince: Date | null;
}

/** A checkout that never completed: nothing at Stripe refers to it any more once its session has expired. */
const openCheckout = { state: 'incomplete', stripeSubscriptionId: null } as const;

const holdSelect = {
  id: true,
  subscriptionId: true,
  subscription: {
    select: {
      accountId: true,
      planId: true,
      state: true,
      createdAt: true,
      stripeCustomerId: true,
      stripeSubscriptionId: true,
    },
  },
} as const;

export function createSubscriptionRepository(db: Db, prepared?: PreparedSql) {
  return {
    /**
     * An incomplete subscription and the pending instance that claims the subdomain. Null when the name is taken:
     * the unique index decides between concurrent claims, the loser's insert does nothing (and the caller's
     * transaction then throws, which removes its subscription row too).
     */
    async createWithHold(input: { accountId: string; planId: string; subdomain: string }): Promise<HoldRecord | null> {
      const subscription = await db.subscription.create({
        data: { accountId: input.accountId, planId: input.planId, state: 'incomplete' },
      });
      const [instance] = await db.instance.createManyAndReturn({
        data: [{ subscriptionId: subscription.id, subdomain: input.subdomain, state: 'pending' }],
        skipDuplicates: true,
        select: { id: true },
      });
      if (!instance) return null;
      return {
        subscriptionId: subscription.id,
        instanceId: instance.id,
        accountId: subscription.accountId,
        planId: subscription.planId,
        state: subscription.state,
        createdAt: subscription.createdAt,
        stripeCustomerId: null,
        stripeSubscriptionId: null,
      };
    },

    async findHold(subdomain: string): Promise<HoldRecord | null> {
      const row = await db.instance.findUnique({ where: { subdomain }, select: holdSelect });
      if (!row) return null;
      return { subscriptionId: row.subscriptionId, instanceId: row.id, ...row.subscription };
    },

    /**
     * Ends checkouts opened before `cutoff` that never completed, and deletes their pending instance rows so the
     * names are free again. Limited to one name when given (the one about to be claimed).
     */
    async releaseStaleHolds(cutoff: Date, subdomain?: string): Promise<number> {
      const stale = await db.subscription.findMany({
        where: {
          ...openCheckout,
          createdAt: { lt: cutoff },
          instance: subdomain === undefined ? { state: 'pending' } : { state: 'pending', subdomain },
        },
        select: { id: true },
      });
      const ids = stale.map((s) => s.id);
      if (!ids.length) return 0;
      await db.instance.deleteMany({ where: { subscriptionId: { in: ids }, state: 'pending' } });
      const { count } = await db.subscription.updateMany({
        where: { id: { in: ids }, ...openCheckout },
        data: { state: 'ended' },
      });
      return count;
    },

    /** The expired-checkout counterpart of releaseStaleHolds, for one subscription; false if it had completed. */
    async releaseHold(subscriptionId: string): Promise<boolean> {
      const { count } = await db.subscription.updateMany({
        where: { id: subscriptionId, ...openCheckout },
        data: { state: 'ended' },
      });
      if (count === 1) await db.instance.deleteMany({ where: { subscriptionId, state: 'pending' } });
      return count === 1;
    },

    async setPlan(subscriptionId: string, planId: string): Promise<void> {
      await db.subscription.update({ where: { id: subscriptionId }, data: { planId } });
    },

    async setStripeCustomer(subscriptionId: string, stripeCustomerId: string): Promise<void> {
      await db.subscription.update({ where: { id: subscriptionId }, data: { stripeCustomerId } });
    },

    /**
     * The row as a Stripe sync starts from; with `lock`, locked until the caller's transaction ends (the sync's
     * writes, never a remote call, run under it).
     */
    async findForSync(subscriptionId: string, { lock = false } = {}): Promise<EventTargetRow | null> {
      if (!isUuid(subscriptionId)) return null;
      const rows = lock
        ? await db.$queryRaw<EventTargetRow[]>`
            SELECT s.id, s."accountId", s."planId", s.state::text AS state, s."stripeCustomerId",
                   s."stripeSubscriptionId", s."stripeCheckoutSessionId", s."stripeBilling", i.id AS "instanceId"
            FROM subscription s LEFT JOIN instance i ON i."subscriptionId" = s.id
            WHERE s.id = ${subscriptionId}::uuid
            FOR UPDATE OF s`
        : await db.$queryRaw<EventTargetRow[]>`
            SELECT s.id, s."accountId", s."planId", s.state::text AS state, s."stripeCustomerId",
                   s."stripeSubscriptionId", s."stripeCheckoutSessionId", s."stripeBilling", i.id AS "instanceId"
            FROM subscription s LEFT JOIN instance i ON i."subscriptionId" = s.id
            WHERE s.id = ${subscriptionId}::uuid`;
      return rows[0] ?? null;
    },

    async recordStripeFacts(subscriptionId: string, facts: StripeFacts): Promise<void> {
      await db.subscription.update({ where: { id: subscriptionId }, data: facts });
    },

    /** Members as the quota rules see them (SPEC tenancy rules, P6). */
    async membersForQuota(instanceId: string): Promise<QuotaMember[]> {
      const rows = await db.member.findMany({
        where: { instanceId },
        select: { id: true, quotaBytes: true, usageBytes: true, status: true },
      });
      return rows.map((m) => ({ ...m, id: m.id as MemberId }));
    },

    /**
     * findCurrentForAccount's subscription with its members' quotas and the newest of `lastWordActions`, as one
     * statement: the view is read on every visit to the portal, and each round trip through the driver adapter
     * costs more than the query itself (bench/subscription-view.bench.ts).
     */
    async findViewForAccount(accountId: string, lastWordActions: string[]): Promise<SubscriptionViewRecord | null> {
      if (!isUuid(accountId)) return null;
      const text = `
        SELECT s."id", s."state"::text AS "state", s."createdAt", s."currentPeriodEnd", s."graceEndsAt",
               s."retentionEndsAt", s."stripeCustomerId",
               s."storageHoldSince", s."storageHoldBytes", s."storageHoldLimitBytes",
               p."id" AS "planId", p."name" AS "planName", p."storageBytes", p."priceCents", p."currency",
               i."id" AS "instanceId", i."subdomain", i."state"::text AS "instanceState", i."provisioningStep",
               i."lastError", m."members",
               w."action" AS "lastAction", w."at" AS "lastAt", w."details" AS "lastDetails",
               (SELECT max(r."startedAt") FROM "instance_restore" r
                 WHERE r."instanceId" = i."id" AND r."target" = 'in-place' AND r."status" = 'running'
               ) AS "restoringSince"
          FROM "subscription" s
          JOIN "plan" p ON p."id" = s."planId"
          LEFT JOIN "instance" i ON i."subscriptionId" = s."id"
          LEFT JOIN LATERAL (
                SELECT coalesce(json_agg(json_build_object(
                         'id', x."id", 'quotaBytes', x."quotaBytes"::text, 'usageBytes', x."usageBytes"::text,
                         'status', x."status")), '[]'::json) AS "members"
                  FROM "member" x WHERE x."instanceId" = i."id") m ON true
          LEFT JOIN LATERAL (
                SELECT a."action", a."at", a."details"
                  FROM "audit_event" a
                 WHERE a."targetType" = 'subscription' AND a."targetId" = s."id"::text
                   AND a."action" = ANY($2::text[])
                 ORDER BY a."at" DESC
                 LIMIT 1) w ON true
         WHERE s."accountId" = $1::uuid
         ORDER BY (s."state" = 'ended'), s."createdAt" DESC
         LIMIT 1`;
      const values = [accountId, lastWordActions];
      const rows = prepared
        ? await prepared.rows<SubscriptionViewRow>('portal-subscription-view', text, values)
        : await db.$queryRawUnsafe<SubscriptionViewRow[]>(text, ...values);
      const r = rows[0];
      if (!r) return null;
      return {
        id: r.id,
        state: r.state,
        createdAt: r.createdAt,
        currentPeriodEnd: r.currentPeriodEnd,
        graceEndsAt: r.graceEndsAt,
        retentionEndsAt: r.retentionEndsAt,
        stripeCustomerId: r.stripeCustomerId,
        plan: {
          id: r.planId,
          name: r.planName,
          storageBytes: r.storageBytes,
          priceCents: r.priceCents,
          currency: r.currency,
        },
        instance:
          r.instanceId && r.subdomain && r.instanceState
            ? {
                id: r.instanceId,
                subdomain: r.subdomain,
                state: r.instanceState,
                provisioningStep: r.provisioningStep,
                lastError: r.lastError,
              }
            : null,
        members: r.members.map((m) => ({
          id: m.id as MemberId,
          quotaBytes: m.quotaBytes === null ? null : BigInt(m.quotaBytes),
          usageBytes: BigInt(m.usageBytes),
          status: m.status,
        })),
        lastWord: r.lastAction && r.lastAt ? { action: r.lastAction, at: r.lastAt, details: r.lastDetails } : null,
        storageHold: r.storageHoldSince
          ? { since: r.storageHoldSince, measuredBytes: r.storageHoldBytes, limitBytes: r.storageHoldLimitBytes }
          : null,
        restoringSince: r.restoringSince,
      };
    },

    /** The account's newest subscription that has not ended, else its newest one. */
    async findCurrentForAccount(accountId: string): Promise<SubscriptionDetails | null> {
      const select = {
        id: true,
        state: true,
        createdAt: true,
        currentPeriodEnd: true,
        graceEndsAt: true,
        retentionEndsAt: true,
        stripeCustomerId: true,
        plan: { select: { id: true, name: true, storageBytes: true, priceCents: true, currency: true } },
        instance: { select: { id: true, subdomain: true, state: true, provisioningStep: true, lastError: true } },
      } as const;
      const orderBy = { createdAt: 'desc' } as const;
      return (
        (await db.subscription.findFirst({ where: { accountId, state: { not: 'ended' } }, orderBy, select })) ??
        (await db.subscription.findFirst({ where: { accountId }, orderBy, select }))
      );
    },
  };
}

export type SubscriptionRepository = ReturnType<typeof createSubscriptionRepository>;
