// What a customer sees of their subscription (state, plan, instance, storage) and the way to Stripe's customer
// portal for payment methods and invoices (SPEC P9).
import { DomainError, usageStats, type AccountId } from '@photoplane/tenant-model';
import type { UnitOfWork } from '../platform/data/unit-of-work.ts';
import type { SubscriptionViewRecord } from './subscription.repository.ts';
import { uncachedViews, type ViewCache } from '../platform/data/view-cache.ts';
import { callStripe, type Stripe } from './stripe-client.ts';
import { customerFacingReason } from './customer-reason.ts';
import { PLAN_CHANGE_REFUSED, PLAN_CHANGED } from './stripe-sync.service.ts';

export interface SubscriptionServiceDeps {
  repositories: UnitOfWork;
  stripe: Stripe;
  publicUrl: string;
  domain: string;
  /** An instance's public address (PHOTOPLANE_INSTANCE_URL); default `https://<subdomain>.<domain>`. */
  instanceUrl?: (subdomain: string) => string;
  now?: () => Date;
  /** Where the subscription view is remembered between visits (issue 18); by default it is read every time. */
  views?: ViewCache;
}

/** Byte counts are decimal strings: they can exceed what JSON numbers hold exactly. */
export interface SubscriptionView {
  id: string;
  state: string;
  plan: { id: string; name: string; storageBytes: string; priceCents: number; currency: string };
  currentPeriodEnd: string | null;
  graceEndsAt: string | null;
  retentionEndsAt: string | null;
  instance: {
    subdomain: string;
    url: string;
    state: string;
    provisioningStep: string | null;
    lastError: string | null;
    /** Since when an in-place restore from a backup has been running (SPEC F1): the library is stopped until then. */
    restoringSince: string | null;
  } | null;
  storage: { planBytes: string; allocatedBytes: string; usedBytes: string; freeBytes: string };
  /** Set while the last plan change the customer made at Stripe was refused (SPEC P6). */
  planChangeRefused: {
    requestedPlanId: string;
    message: string;
    bytesToFree: string | null;
    at: string;
  } | null;
  /** Set while the instance is stopped for storing more than the plan's hard limit (issue 13). */
  storageHold: { since: string; measuredBytes: string | null; limitBytes: string | null } | null;
}

const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  const { repositories, stripe, views = uncachedViews } = deps;
  const now = deps.now ?? (() => new Date());

  async function current(accountId: AccountId) {
    const subscription = await repositories.subscriptions.findCurrentForAccount(accountId);
    if (!subscription) throw new DomainError('not_found', 'This account has no subscription.');
    return subscription;
  }

  function toView(s: SubscriptionViewRecord): SubscriptionView {
    const stats = usageStats(s.plan.storageBytes, s.members);
    const { lastWord } = s;
    const refusal =
      lastWord?.action === PLAN_CHANGE_REFUSED ? (lastWord.details as Record<string, string | undefined>) : null;
    return {
      id: s.id,
      state: s.state,
      plan: { ...s.plan, storageBytes: s.plan.storageBytes.toString() },
      currentPeriodEnd: isoOrNull(s.currentPeriodEnd),
      graceEndsAt: isoOrNull(s.graceEndsAt),
      retentionEndsAt: isoOrNull(s.retentionEndsAt),
      instance: s.instance && {
        subdomain: s.instance.subdomain,
        url: deps.instanceUrl?.(s.instance.subdomain) ?? `https://${s.instance.subdomain}.${deps.domain}`,
        state: s.instance.state,
        provisioningStep: s.instance.provisioningStep,
        // The raw text is for staff (log tails, hosts); the customer gets the step that failed.
        lastError: customerFacingReason(s.instance.lastError),
        restoringSince: s.restoringSince ? s.restoringSince.toISOString() : null,
      },
      storage: {
        planBytes: stats.planBytes.toString(),
        allocatedBytes: stats.allocatedBytes.toString(),
        usedBytes: stats.usedBytes.toString(),
        freeBytes: stats.freeBytes.toString(),
      },
      planChangeRefused:
        refusal && lastWord
          ? {
              requestedPlanId: refusal.requestedPlanId ?? '',
              message: refusal.message ?? '',
              bytesToFree: refusal.bytesToFree ?? null,
              at: lastWord.at.toISOString(),
            }
          : null,
      storageHold: s.storageHold && {
        since: s.storageHold.since.toISOString(),
        measuredBytes: s.storageHold.measuredBytes?.toString() ?? null,
        limitBytes: s.storageHold.limitBytes?.toString() ?? null,
      },
    };
  }

  return {
    async getSubscription(accountId: AccountId): Promise<SubscriptionView> {
      // Remembered as the customer sees it, with the rows it was read from (everything in it follows from them).
      const { view } = await views.read(
        `subscription:${accountId}`,
        async () => {
          const s = await repositories.subscriptions.findViewForAccount(accountId, [PLAN_CHANGED, PLAN_CHANGE_REFUSED]);
          const tags = [`account:${accountId}`];
          if (s) tags.push(`subscription:${s.id}`, `plan:${s.plan.id}`);
          if (s?.instance) tags.push(`instance:${s.instance.id}`);
          return { view: s && toView(s), tags };
        },
        (read) => read.tags,
      );
      if (!view) throw new DomainError('not_found', 'This account has no subscription.');
      return view;
    },

    /** A Stripe customer-portal session for the account's current subscription. */
    async openBillingPortal(accountId: AccountId): Promise<{ url: string }> {
      const s = await current(accountId);
      if (!s.stripeCustomerId) {
        throw new DomainError('conflict', 'There is no billing account yet: complete the checkout first.');
      }
      const customer = s.stripeCustomerId;
      // Repeated clicks within a minute get the same session back rather than a new one each.
      const minute = Math.floor(now().getTime() / 60_000);
      const session = await callStripe('create billing portal session', () =>
        stripe.billingPortal.sessions.create(
          { customer, return_url: `${deps.publicUrl}/subscription` },
          { idempotencyKey: `billing-portal/${s.id}/${minute}` },
        ),
      );
      return { url: session.url };
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
