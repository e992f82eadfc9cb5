import { nextState, isTerminal, eventsAllowedIn, type TransitionTable } from './state-machine.ts';

export const subscriptionStates = [
  'incomplete',
  'active',
  'past_due',
  'suspended',
  'cancelled',
  'retained',
  'ended',
] as const;
export type SubscriptionState = (typeof subscriptionStates)[number];

export const subscriptionEvents = [
  'checkout_completed',
  'checkout_expired',
  'payment_succeeded',
  'payment_failed',
  'grace_expired',
  'cancel_requested',
  'period_ended',
  'reactivated',
  'retention_expired',
] as const;
export type SubscriptionEvent = (typeof subscriptionEvents)[number];

export const DEFAULT_GRACE_DAYS = 7;
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * SPEC P7/P8. Meaning of the states for the instance:
 * - cancelled: the customer asked to cancel; the instance keeps running until the paid period ends.
 * - retained: stopped, data kept for the retention period; reactivation brings it back.
 * - ended: deprovisioned; terminal, a returning customer starts a new subscription.
 * `period_ended` is Stripe ending the subscription, which can also happen while unpaid (Stripe gives up
 * retrying), hence it is accepted from every paying or unpaid state, not only from `cancelled`.
 * Self-loops (a second failed retry, a renewal) are legal so redelivered or repeated events are harmless.
 */
export const subscriptionTransitions = {
  incomplete: { checkout_completed: 'active', checkout_expired: 'ended' },
  active: {
    payment_succeeded: 'active',
    payment_failed: 'past_due',
    cancel_requested: 'cancelled',
    period_ended: 'retained',
  },
  past_due: {
    payment_failed: 'past_due',
    payment_succeeded: 'active',
    grace_expired: 'suspended',
    cancel_requested: 'cancelled',
    period_ended: 'retained',
  },
  suspended: { payment_succeeded: 'active', cancel_requested: 'cancelled', period_ended: 'retained' },
  cancelled: { reactivated: 'active', period_ended: 'retained' },
  retained: { reactivated: 'active', retention_expired: 'ended' },
  ended: {},
} as const satisfies TransitionTable<SubscriptionState, SubscriptionEvent>;

/** Throws DomainError 'illegal_transition' for an event the table does not allow in `from`. */
export function transitionSubscription(from: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  return nextState<SubscriptionState, SubscriptionEvent>('subscription', subscriptionTransitions, from, event);
}

export function isSubscriptionTerminal(state: SubscriptionState): boolean {
  return isTerminal<SubscriptionState, SubscriptionEvent>(subscriptionTransitions, state);
}

export function subscriptionEventsAllowed(state: SubscriptionState): SubscriptionEvent[] {
  return eventsAllowedIn<SubscriptionState, SubscriptionEvent>(subscriptionTransitions, state);
}

/** What the fleet should be doing for a subscription in this state; the workflow converges towards it. */
export type DesiredInstance = 'none' | 'running' | 'stopped' | 'removed';

export function desiredInstanceFor(state: SubscriptionState): DesiredInstance {
  switch (state) {
    case 'incomplete':
      return 'none';
    // Past due still runs: the grace period exists so a card hiccup does not take photos offline.
    case 'active':
    case 'past_due':
    case 'cancelled':
      return 'running';
    case 'suspended':
    case 'retained':
      return 'stopped';
    case 'ended':
      return 'removed';
  }
}

const DAY_MS = 86_400_000;

/** The instant at which a past-due subscription gets suspended. */
export function graceDeadline(pastDueSince: Date | number, graceDays = DEFAULT_GRACE_DAYS): Date {
  return new Date(new Date(pastDueSince).getTime() + graceDays * DAY_MS);
}

/** The instant at which a retained subscription's data is removed. */
export function retentionDeadline(retainedSince: Date | number, retentionDays = DEFAULT_RETENTION_DAYS): Date {
  return new Date(new Date(retainedSince).getTime() + retentionDays * DAY_MS);
}
