// Stripe's objects as typed facts (issue 13, "Stripe's truth"). Pure: no I/O, no stripe-node, so every rule here
// is unit-tested without Stripe (stripe-facts.test.ts). The webhook treats an event as a notification only; the
// outbox dispatcher re-reads the checkout session and subscription from Stripe and hands them to these functions.
//
// Objects are read defensively: Stripe's shapes differ between API versions, and a field we do not find must mean
// "not there", never a crash that retries forever.
import type { SubscriptionFact } from '@photoplane/provisioner/contracts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Expandable fields are an id or the object itself. */
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v)?.id);
const fromEpoch = (seconds: number | undefined): Date | null =>
  seconds === undefined ? null : new Date(seconds * 1000);
/** Our subscription's id, put in `metadata.subscriptionId` by the checkout (and `client_reference_id`). */
const ourIdIn = (o: Obj | undefined): string | undefined => str(obj(o?.metadata)?.subscriptionId);

/** Where an event points: ids only (a signed payload's ids are what it is about; its state is re-read). */
export interface EventReference {
  kind: 'checkout' | 'subscription' | 'invoice' | 'other';
  subscriptionId?: string;
  stripeSubscriptionId?: string;
  stripeCustomerId?: string;
  checkoutSessionId?: string;
}

const CHECKOUT_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.expired',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
]);
const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
]);
const INVOICE_EVENTS = new Set([
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.payment_action_required',
]);

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Which of our subscriptions an event may be about; `other` for events nothing of ours follows. */
export function referenceOf(type: string, object: unknown): EventReference {
  const o = obj(object) ?? {};
  if (CHECKOUT_EVENTS.has(type)) {
    return defined({
      kind: 'checkout' as const,
      subscriptionId: str(o.client_reference_id) ?? ourIdIn(o),
      checkoutSessionId: str(o.id),
      stripeCustomerId: idOf(o.customer),
    });
  }
  if (SUBSCRIPTION_EVENTS.has(type)) {
    return defined({
      kind: 'subscription' as const,
      subscriptionId: ourIdIn(o),
      stripeSubscriptionId: str(o.id),
      stripeCustomerId: idOf(o.customer),
    });
  }
  if (INVOICE_EVENTS.has(type)) {
    // API 2025+: the subscription is under parent.subscription_details; older versions have it at the top.
    const details = obj(obj(o.parent)?.subscription_details);
    return defined({
      kind: 'invoice' as const,
      subscriptionId: ourIdIn(details) ?? ourIdIn(o),
      stripeSubscriptionId: idOf(details?.subscription) ?? idOf(o.subscription),
      stripeCustomerId: idOf(o.customer),
    });
  }
  return { kind: 'other' };
}

export type CheckoutStatus = 'open' | 'expired' | 'paid' | 'unpaid';

export interface CheckoutFacts {
  id: string;
  /** `paid`: complete and paid (or nothing to pay); `unpaid`: complete, an asynchronous payment not (yet) through. */
  status: CheckoutStatus;
  subscriptionId: string | null;
  stripeSubscriptionId: string | null;
  stripeCustomerId: string | null;
}

export function checkoutFacts(session: unknown): CheckoutFacts | null {
  const o = obj(session);
  const id = str(o?.id);
  if (!o || !id) return null;
  const paid = o.payment_status === 'paid' || o.payment_status === 'no_payment_required';
  const status: CheckoutStatus =
    o.status === 'complete' ? (paid ? 'paid' : 'unpaid') : o.status === 'expired' ? 'expired' : 'open';
  return {
    id,
    status,
    subscriptionId: str(o.client_reference_id) ?? ourIdIn(o) ?? null,
    stripeSubscriptionId: idOf(o.subscription) ?? null,
    stripeCustomerId: idOf(o.customer) ?? null,
  };
}

export interface SubscriptionFacts {
  id: string;
  /** Stripe's status: incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid, paused. */
  status: string;
  subscriptionId: string | null;
  stripeCustomerId: string | null;
  priceId: string | null;
  itemId: string | null;
  currentPeriodEnd: Date | null;
  /** When it ends if a cancellation is scheduled (at period end or at a date); null otherwise. */
  cancelAt: Date | null;
  endedAt: Date | null;
}

export function subscriptionFacts(subscription: unknown): SubscriptionFacts | null {
  const o = obj(subscription);
  const id = str(o?.id);
  if (!o || !id) return null;
  const item = obj((obj(o.items)?.data as unknown[] | undefined)?.[0]);
  // Newer API versions keep the period on the item, older ones on the subscription.
  const currentPeriodEnd = fromEpoch(num(item?.current_period_end) ?? num(o.current_period_end));
  const cancelAt = fromEpoch(num(o.cancel_at)) ?? (o.cancel_at_period_end === true ? currentPeriodEnd : null);
  return {
    id,
    status: str(o.status) ?? 'unknown',
    subscriptionId: ourIdIn(o) ?? null,
    stripeCustomerId: idOf(o.customer) ?? null,
    priceId: idOf(item?.price) ?? null,
    itemId: str(item?.id) ?? null,
    currentPeriodEnd,
    cancelAt,
    endedAt: fromEpoch(num(o.ended_at)),
  };
}

/** What the subscription workflow is told: one fact, and for cancellations when the paid period ends. */
export interface Billing {
  fact: SubscriptionFact;
  periodEndsAt: Date | null;
}

const LIVE = new Set(['active', 'trialing']);
const UNPAID = new Set(['past_due', 'unpaid', 'paused']);
const ENDED = new Set(['canceled', 'incomplete_expired']);

/**
 * The billing fact of a checkout and its subscription as Stripe has them now; null while there is nothing to tell
 * (no subscription yet, a first payment still open or failed). A checkout that completed without payment (an
 * asynchronous method still pending, or failed) holds everything back, whatever the subscription says: unpaid never
 * provisions. `firstPayment` (our subscription was never active): nothing counts until its checkout is known and
 * paid, since a subscription's events may come before the checkout's.
 */
export function billingOf(
  checkout: CheckoutFacts | null,
  subscription: SubscriptionFacts | null,
  { firstPayment = false } = {},
): Billing | null {
  if (!subscription) return null;
  if (firstPayment && checkout?.status !== 'paid') return null;
  if (checkout && checkout.status !== 'paid' && checkout.stripeSubscriptionId === subscription.id) return null;
  const { status } = subscription;
  if (LIVE.has(status)) {
    return subscription.cancelAt
      ? { fact: 'cancel_scheduled', periodEndsAt: subscription.cancelAt }
      : { fact: 'paid', periodEndsAt: null };
  }
  if (UNPAID.has(status)) return { fact: 'unpaid', periodEndsAt: null };
  if (ENDED.has(status)) {
    if (status === 'incomplete_expired') return null; // never paid: nothing ran, nothing to end
    return { fact: 'ended', periodEndsAt: subscription.endedAt ?? subscription.currentPeriodEnd };
  }
  return null; // incomplete: the first invoice is open or failed
}

/** The form kept in subscription.stripeBilling: a sync that reads the same again signals nothing. */
export function billingKey(billing: Billing | null): string | null {
  if (!billing) return null;
  return billing.periodEndsAt ? `${billing.fact}@${billing.periodEndsAt.toISOString()}` : billing.fact;
}

/**
 * Which Stripe subscription is ours now. A returning customer (a retained instance bought again) gets a new Stripe
 * subscription naming ours in its metadata: it replaces the ended one, never a live one.
 */
export function currentSubscription(
  known: SubscriptionFacts | null,
  candidate: SubscriptionFacts | null,
  ourId: string,
): SubscriptionFacts | null {
  if (!candidate || candidate.id === known?.id) return known;
  if (candidate.subscriptionId !== ourId) return known;
  if (!known || ENDED.has(known.status)) return candidate;
  return known;
}
