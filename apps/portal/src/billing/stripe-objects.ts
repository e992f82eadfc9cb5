// Reading Stripe's current objects (issue 13: an event is a notification, the object at Stripe is the truth).
// Read-only calls, made by the outbox dispatcher outside any transaction; a failure is retried with backoff.
import { callStripe, type Stripe } from './stripe-client.ts';

export interface StripeObjects {
  checkoutSession(id: string): Promise<unknown>;
  subscription(id: string): Promise<unknown>;
}

/**
 * `local`: objects that exist only in this process (the test-mode checkout's, which stripe-mock cannot hold); asked
 * first, Stripe for everything else.
 */
export function createStripeObjects(stripe: Stripe, local?: Partial<StripeObjects>): StripeObjects {
  return {
    async checkoutSession(id) {
      return (
        (await local?.checkoutSession?.(id)) ??
        callStripe('read a checkout session', () => stripe.checkout.sessions.retrieve(id))
      );
    },
    async subscription(id) {
      return (
        (await local?.subscription?.(id)) ?? callStripe('read a subscription', () => stripe.subscriptions.retrieve(id))
      );
    },
  };
}
