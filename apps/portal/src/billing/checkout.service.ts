// Choosing a subdomain and paying for it (SPEC P4, P5). The name is claimed when checkout starts: an incomplete
// subscription and a pending instance row hold it (the unique index decides races), until the checkout completes,
// its Stripe session expires (webhook), or the hold time has passed without either (released lazily, when someone
// asks for the name, so no cron job is needed).
import { DomainError, isDomainError, parseSubdomain, type AccountId } from '@photoplane/tenant-model';
import type { HoldRecord } from './subscription.repository.ts';
import type { UnitOfWork } from '../platform/data/unit-of-work.ts';
import type { PlanService } from './plan.service.ts';
import { callStripe, type Stripe } from './stripe-client.ts';

export interface CheckoutServiceDeps {
  repositories: UnitOfWork;
  plans: PlanService;
  stripe: Stripe;
  publicUrl: string;
  checkoutHoldMinutes: number;
  /** Test mode (stripe-mock, which has no payment page): where to send the customer instead of Stripe's URL. */
  testCheckoutUrl?: (subscriptionId: string) => string;
  now?: () => Date;
}

export type SubdomainAvailability =
  | { subdomain: string; available: true }
  | { subdomain: string; available: false; reason: 'invalid' | 'reserved' | 'taken'; message: string };

export interface CheckoutStarted {
  subscriptionId: string;
  sessionId: string;
  checkoutUrl: string;
  /** Until then the subdomain is held for this checkout. */
  expiresAt: Date;
}

const MINUTE_MS = 60_000;
/**
 * A lazily released hold waits this much longer than the session lives, so a checkout completed in its last
 * minute has time for its webhook to arrive (and record the Stripe subscription) before the name is given away.
 */
const RELEASE_MARGIN_MS = 15 * MINUTE_MS;

const taken = (subdomain: string) =>
  new DomainError('subdomain_taken', `The subdomain '${subdomain}' is already taken.`, { field: 'subdomain' });

export function createCheckoutService(deps: CheckoutServiceDeps) {
  const { repositories, plans, stripe } = deps;
  const now = deps.now ?? (() => new Date());
  const holdMs = deps.checkoutHoldMinutes * MINUTE_MS;
  const staleBefore = () => new Date(now().getTime() - holdMs - RELEASE_MARGIN_MS);
  const isStale = (hold: HoldRecord) =>
    hold.state === 'incomplete' && hold.stripeSubscriptionId === null && hold.createdAt < staleBefore();

  return {
    /** Answers for any input; a name that is not a valid label is "not available", with the reason. */
    async checkSubdomain(name: string): Promise<SubdomainAvailability> {
      let subdomain;
      try {
        subdomain = parseSubdomain(name);
      } catch (e) {
        if (isDomainError(e, 'subdomain_invalid') || isDomainError(e, 'subdomain_reserved')) {
          const reason = e.code === 'subdomain_reserved' ? 'reserved' : 'invalid';
          return { subdomain: name.trim().toLowerCase(), available: false, reason, message: e.message };
        }
        throw e;
      }
      const hold = await repositories.subscriptions.findHold(subdomain);
      if (hold && !isStale(hold)) {
        return { subdomain, available: false, reason: 'taken', message: taken(subdomain).message };
      }
      return { subdomain, available: true };
    },

    /**
     * Claims the subdomain and opens a Stripe Checkout Session for the plan. Starting again for a name this
     * account already holds (a retry, or another plan) reuses the hold and, through the idempotency keys, the same
     * Stripe customer and session; anybody else gets subdomain_taken.
     */
    async startCheckout(accountId: AccountId, input: { planId: string; subdomain: string }): Promise<CheckoutStarted> {
      const account = await repositories.accounts.findById(accountId);
      if (!account) throw new DomainError('unauthenticated', 'The account no longer exists.');
      if (!account.emailVerifiedAt) {
        throw new DomainError('forbidden', 'Confirm your e-mail address before subscribing.');
      }
      const plan = plans.getPlan(input.planId);
      const subdomain = parseSubdomain(input.subdomain);

      const hold = await repositories.transaction(async (repos) => {
        await repos.subscriptions.releaseStaleHolds(staleBefore(), subdomain);
        const existing = await repos.subscriptions.findHold(subdomain);
        if (existing) {
          const ours = existing.accountId === accountId && existing.state === 'incomplete';
          if (!ours || existing.stripeSubscriptionId !== null) throw taken(subdomain);
          if (existing.planId !== plan.id) await repos.subscriptions.setPlan(existing.subscriptionId, plan.id);
          return existing;
        }
        const created = await repos.subscriptions.createWithHold({ accountId, planId: plan.id, subdomain });
        if (!created) throw taken(subdomain);
        return created;
      });

      const { subscriptionId } = hold;
      let customerId = hold.stripeCustomerId;
      if (!customerId) {
        const customer = await callStripe('create customer', () =>
          stripe.customers.create(
            {
              email: account.email,
              ...(account.name ? { name: account.name } : {}),
              metadata: { accountId, subscriptionId },
            },
            { idempotencyKey: `customer/${subscriptionId}` },
          ),
        );
        customerId = customer.id;
        await repositories.subscriptions.setStripeCustomer(subscriptionId, customerId);
      }
      // From the hold's start, not from now: a retry sends the very same parameters, as its idempotency key requires.
      const expiresAt = new Date(hold.createdAt.getTime() + holdMs);
      const metadata = { subscriptionId, subdomain };
      const session = await callStripe('create checkout session', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: customerId,
            line_items: [{ price: plan.stripePriceId, quantity: 1 }],
            client_reference_id: subscriptionId,
            metadata,
            // On the Stripe subscription too, so its invoices and updates name the subscription they belong to.
            subscription_data: { metadata },
            success_url: `${deps.publicUrl}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
            cancel_url: `${deps.publicUrl}/checkout/cancelled`,
            expires_at: Math.floor(expiresAt.getTime() / 1000),
          },
          { idempotencyKey: `checkout/${subscriptionId}/${plan.id}` },
        ),
      );
      if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
      const checkoutUrl = deps.testCheckoutUrl ? deps.testCheckoutUrl(subscriptionId) : session.url;
      return { subscriptionId, sessionId: session.id, checkoutUrl, expiresAt };
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
