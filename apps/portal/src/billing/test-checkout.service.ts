// Buying locally (SPEC W1): when the portal talks to stripe-mock, which has no payment page and sends no webhooks,
// the Checkout URL leads to the portal's own test-mode payment page instead. "Pay" there makes the events Stripe
// would send for a subscription Checkout, signs them with the webhook secret as Stripe does, and hands them to the
// real webhook endpoint in Stripe's order, so everything after (the subscription workflow, provisioning) runs as it
// would in production. Test cards as Stripe's: one pays, one is declined, one pays and then fails at renewal (past
// due, grace). Plan changes, cancellation and renewals are simulated the same way from the dashboard, standing in
// for Stripe's customer portal. None of this exists with a real Stripe key (server.ts does not create it).
import { randomBytes } from 'node:crypto';
import { DomainError, type AccountId } from '@photoplane/tenant-model';
import type { TestCheckoutRecord, TestCheckoutRepository } from './test-checkout.repository.ts';
import type { Stripe } from './stripe-client.ts';

/** Hands one signed delivery to the webhook endpoint; resolves to its HTTP status and body. */
export type DeliverWebhook = (payload: string, signature: string) => Promise<{ status: number; body: string }>;

export interface TestCheckoutServiceDeps {
  repository: TestCheckoutRepository;
  stripe: Stripe;
  webhookSecret: string;
  now?: () => Date;
}

export const TEST_CARDS = {
  /** Stripe's "succeeds" card. */
  success: '4242424242424242',
  /** Stripe's generic decline. */
  declined: '4000000000000002',
  /** Attaches, but charges after the first fail: here the first payment goes through and the renewal fails. */
  failsAtRenewal: '4000000000000341',
} as const;

const GiB = 1024n ** 3n;
const DAY_S = 24 * 60 * 60;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const invalid = (field: string, message: string) => new DomainError('validation', message, { field });

export function createTestCheckoutService(deps: TestCheckoutServiceDeps) {
  const { repository, stripe, webhookSecret } = deps;
  const now = deps.now ?? (() => new Date());
  const id = (prefix: string) => `${prefix}_test_${randomBytes(10).toString('hex')}`;

  async function own(accountId: AccountId, subscriptionId: string): Promise<TestCheckoutRecord> {
    const record = await repository.findForAccount(accountId, subscriptionId);
    if (!record) throw new DomainError('not_found', 'No such checkout.');
    return record;
  }

  // The objects this page "made at Stripe": stripe-mock holds no state, and the webhook re-reads every object it is
  // told about (Stripe's truth), so the portal reads these through `objects` (server.ts). Kept in this process only.
  const made = new Map<string, object>();

  /**
   * Sends each event, signed, in order; stops at the first the endpoint refuses (a bug here, not the customer's).
   * Each event's object becomes the object as "Stripe" has it from then on.
   */
  async function send(deliver: DeliverWebhook, events: { type: string; object: object }[]): Promise<string[]> {
    const created = Math.floor(now().getTime() / 1000);
    for (const { type, object } of events) {
      const objectId = (object as { id?: unknown }).id;
      if (typeof objectId === 'string' && !objectId.startsWith('in_')) made.set(objectId, object);
      const payload = JSON.stringify({
        id: id('evt'),
        object: 'event',
        api_version: '2026-10-28.endive',
        created,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
        data: { object },
      });
      const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
      const result = await deliver(payload, signature);
      if (result.status !== 200)
        throw new Error(`the webhook endpoint refused ${type}: ${result.status} ${result.body}`);
    }
    return events.map((e) => e.type);
  }

  function subscriptionObject(
    s: TestCheckoutRecord,
    stripeSubscriptionId: string,
    customer: string,
    fields: { priceId?: string; status?: string; cancelAtPeriodEnd?: boolean; periodEnd?: number },
  ) {
    const periodEnd =
      fields.periodEnd ?? Math.floor((s.currentPeriodEnd?.getTime() ?? now().getTime() + 30 * DAY_S * 1000) / 1000);
    return {
      id: stripeSubscriptionId,
      object: 'subscription',
      customer,
      status: fields.status ?? 'active',
      metadata: { subscriptionId: s.id, subdomain: s.instance?.subdomain ?? '' },
      cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
      cancel_at: fields.cancelAtPeriodEnd ? periodEnd : null,
      items: {
        object: 'list',
        data: [
          {
            id: `si_${stripeSubscriptionId}`,
            object: 'subscription_item',
            price: { id: fields.priceId ?? s.plan.stripePriceId, object: 'price' },
            current_period_end: periodEnd,
          },
        ],
      },
    };
  }

  function invoice(s: TestCheckoutRecord, stripeSubscriptionId: string, customer: string, paid: boolean) {
    return {
      id: id('in'),
      object: 'invoice',
      customer,
      status: paid ? 'paid' : 'open',
      amount_due: s.plan.priceCents,
      currency: s.plan.currency,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: stripeSubscriptionId, metadata: { subscriptionId: s.id } },
      },
    };
  }

  return {
    /** What the webhook reads back for this page's sessions and subscriptions (undefined: not one of them). */
    objects: {
      checkoutSession: async (sessionId: string): Promise<object | undefined> => made.get(sessionId),
      subscription: async (subscriptionId: string): Promise<object | undefined> => made.get(subscriptionId),
    },

    async getCheckout(accountId: AccountId, subscriptionId: string) {
      const s = await own(accountId, subscriptionId);
      return {
        subscriptionId: s.id,
        email: s.account.email,
        subdomain: s.instance?.subdomain ?? '',
        state: s.state,
        plan: {
          id: s.plan.id,
          name: s.plan.name,
          storageGib: Number(s.plan.storageBytes / GiB),
          priceCents: s.plan.priceCents,
          currency: s.plan.currency,
        },
        paid: s.stripeSubscriptionId !== null || s.state !== 'incomplete',
      };
    },

    /** The customer pays with a test card: the events of a completed subscription Checkout, in Stripe's order. */
    async pay(
      accountId: AccountId,
      subscriptionId: string,
      card: { cardNumber: string; expiry: string; cvc: string; cardholder: string },
      deliver: DeliverWebhook,
    ) {
      const s = await own(accountId, subscriptionId);
      if (s.stripeSubscriptionId !== null || s.state !== 'incomplete') {
        throw new DomainError('conflict', 'This checkout is already paid.');
      }
      if (!s.stripeCustomerId) throw new DomainError('conflict', 'This checkout was not started at Stripe.');
      const digits = card.cardNumber.replace(/[\s-]/g, '');
      if (!/^[0-9]{12,19}$/.test(digits) || !luhnValid(digits))
        throw invalid('cardNumber', 'Your card number is invalid.');
      const [mm = '0', yy = '0'] = card.expiry.split('/').map((p) => p.trim());
      const today = now();
      const expiresEnd = new Date(Date.UTC(2000 + Number(yy), Number(mm), 1));
      if (expiresEnd <= today) throw invalid('expiry', "Your card's expiration date is in the past.");
      if (digits === TEST_CARDS.declined) throw invalid('cardNumber', 'Your card was declined.');

      const customer = s.stripeCustomerId;
      const stripeSubscriptionId = id('sub');
      const created = [
        { type: 'customer.subscription.created', object: subscriptionObject(s, stripeSubscriptionId, customer, {}) },
        { type: 'invoice.paid', object: invoice(s, stripeSubscriptionId, customer, true) },
        {
          type: 'checkout.session.completed',
          object: {
            id: id('cs'),
            object: 'checkout.session',
            mode: 'subscription',
            status: 'complete',
            payment_status: 'paid',
            client_reference_id: s.id,
            metadata: { subscriptionId: s.id, subdomain: s.instance?.subdomain ?? '' },
            customer,
            subscription: stripeSubscriptionId,
          },
        },
      ];
      const failsLater = digits === TEST_CARDS.failsAtRenewal;
      const failed = failsLater
        ? [
            { type: 'invoice.payment_failed', object: invoice(s, stripeSubscriptionId, customer, false) },
            {
              type: 'customer.subscription.updated',
              object: subscriptionObject(s, stripeSubscriptionId, customer, { status: 'past_due' }),
            },
          ]
        : [];
      const events = await send(deliver, [...created, ...failed]);
      return { outcome: failsLater ? ('paid_then_failed' as const) : ('paid' as const), events };
    },

    /**
     * What the customer would do in Stripe's customer portal (a plan change, cancelling or taking it back), or what
     * Stripe does at renewal (a payment that fails or succeeds), sent as Stripe's events for the current subscription.
     */
    async changeSubscription(
      accountId: AccountId,
      change: { planId?: string; cancelAtPeriodEnd?: boolean; renewal?: 'fails' | 'succeeds' },
      deliver: DeliverWebhook,
    ) {
      const s = await repository.findCurrentForAccount(accountId);
      if (!s) throw new DomainError('not_found', 'This account has no subscription.');
      const sub = s.stripeSubscriptionId;
      const customer = s.stripeCustomerId;
      if (!sub || !customer) throw new DomainError('conflict', 'Checkout is not completed yet.');
      const given = [change.planId, change.cancelAtPeriodEnd, change.renewal].filter((v) => v !== undefined);
      if (given.length !== 1) throw invalid('planId', 'Give exactly one of planId, cancelAtPeriodEnd and renewal.');
      if (change.planId !== undefined) {
        const priceId = await repository.findPriceOfPlan(change.planId);
        if (!priceId) throw invalid('planId', `There is no plan '${change.planId}'.`);
        if (change.planId === s.plan.id) throw invalid('planId', 'This is already your plan.');
        return {
          events: await send(deliver, [
            { type: 'customer.subscription.updated', object: subscriptionObject(s, sub, customer, { priceId }) },
          ]),
        };
      }
      if (change.cancelAtPeriodEnd !== undefined) {
        return {
          events: await send(deliver, [
            {
              type: 'customer.subscription.updated',
              object: subscriptionObject(s, sub, customer, { cancelAtPeriodEnd: change.cancelAtPeriodEnd }),
            },
          ]),
        };
      }
      const fails = change.renewal === 'fails';
      return {
        events: await send(deliver, [
          { type: fails ? 'invoice.payment_failed' : 'invoice.paid', object: invoice(s, sub, customer, !fails) },
          {
            type: 'customer.subscription.updated',
            object: subscriptionObject(s, sub, customer, { status: fails ? 'past_due' : 'active' }),
          },
        ]),
      };
    },
  };
}

export type TestCheckoutService = ReturnType<typeof createTestCheckoutService>;
