// What the test-mode checkout reads about a subscription: enough to build the events Stripe would send for it.
import type { Db } from '../platform/data/db.ts';

export interface TestCheckoutRecord {
  id: string;
  state: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  currentPeriodEnd: Date | null;
  account: { email: string };
  plan: { id: string; name: string; storageBytes: bigint; stripePriceId: string; priceCents: number; currency: string };
  instance: { subdomain: string } | null;
}

const select = {
  id: true,
  state: true,
  stripeCustomerId: true,
  stripeSubscriptionId: true,
  currentPeriodEnd: true,
  account: { select: { email: true } },
  plan: {
    select: { id: true, name: true, storageBytes: true, stripePriceId: true, priceCents: true, currency: true },
  },
  instance: { select: { subdomain: true } },
} as const;

export function createTestCheckoutRepository(db: Db) {
  return {
    /** The account's subscription with this id; null for anybody else's (no existence leak). */
    async findForAccount(accountId: string, subscriptionId: string): Promise<TestCheckoutRecord | null> {
      return db.subscription.findFirst({ where: { id: subscriptionId, accountId }, select });
    },
    /** The account's newest subscription that has not ended. */
    async findCurrentForAccount(accountId: string): Promise<TestCheckoutRecord | null> {
      return db.subscription.findFirst({
        where: { accountId, state: { not: 'ended' } },
        orderBy: { createdAt: 'desc' },
        select,
      });
    },
    async findPriceOfPlan(planId: string): Promise<string | null> {
      return (
        (await db.plan.findUnique({ where: { id: planId }, select: { stripePriceId: true } }))?.stripePriceId ?? null
      );
    },
  };
}

export type TestCheckoutRepository = ReturnType<typeof createTestCheckoutRepository>;
