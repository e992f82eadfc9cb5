// Stripe's webhooks (SPEC P5-P8). Each delivery is verified against its signature (nothing changes otherwise),
// then applied exactly once: the event id goes into processed_webhook_event in the same transaction as the event's
// effect, so a redelivery finds it and does nothing.
//
// Ordering: Stripe does not deliver in order. Events about a subscription's billing state (customer.subscription.*,
// invoice.*) carry `created`; the newest one applied is kept in subscription.lastStripeEventAt, and an event older
// than that is recorded as processed but not applied (`stale`), since a newer fact already superseded it. The row
// is locked while this is decided, so concurrent deliveries are ordered too. `created` has one-second resolution:
// two events of the same second are applied in the order they arrive. Checkout completion is not ordered: it only
// ever moves an incomplete subscription on, and the workflow ignores it anywhere else.
//
// The effect on the subscription's state belongs to its workflow: the webhook sends it a signal, inside the same
// transaction, so a failed signal rolls the event back (Stripe retries) and a commit that fails after the signal
// makes Stripe redeliver a signal the workflow then ignores by event id.
import type { SubscriptionFact } from '@photoplane/provisioner/shared';
import { checkPlanChange, DomainError } from '@photoplane/tenant-model';
import type { EventTargetRow } from '../repositories/subscription.repository.ts';
import type { AccountRepositories, UnitOfWork } from '../repositories/unit-of-work.ts';
import type { PlanService } from './plan.service.ts';
import { callStripe, Stripe } from './stripe-client.ts';
import type { InstanceQuotaSync } from './member-workflows.ts';
import type { SubscriptionWorkflows } from './subscription-workflows.ts';

export interface StripeWebhookServiceDeps {
  repositories: UnitOfWork;
  plans: PlanService;
  stripe: Stripe;
  webhookSecret: string;
  workflows: SubscriptionWorkflows;
  /** Pushes the members' new effective limits to the photo app once a plan change is committed (SPEC P6). */
  quotas: InstanceQuotaSync;
  log: { error(details: object, message: string): void };
  now?: () => Date;
}

export type WebhookOutcome = 'applied' | 'duplicate' | 'stale' | 'ignored';

export interface WebhookResult {
  eventId: string;
  type: string;
  outcome: WebhookOutcome;
  /** When Stripe created the event (for the webhook lag metric). */
  createdAt: Date;
}

export const PLAN_CHANGED = 'subscription.plan_changed';
export const PLAN_CHANGE_REFUSED = 'subscription.plan_change_refused';

// Event payloads are read defensively: Stripe's shapes differ between API versions, and a field we do not find
// must mean "not there", never a crash that makes Stripe retry forever.
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Expandable fields are an id or the object itself. */
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v)?.id);
const fromEpoch = (seconds: number | undefined): Date | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000);
const ourId = (o: Obj | undefined): string | undefined => str(obj(o?.metadata)?.subscriptionId);

const SIGNATURE_FIELD = 'headers.stripe-signature';

interface Reference {
  subscriptionId?: string | undefined;
  stripeSubscriptionId?: string | undefined;
  customerId?: string | undefined;
}

export function createStripeWebhookService(deps: StripeWebhookServiceDeps) {
  const { repositories, plans, stripe, workflows, quotas, log } = deps;
  const now = deps.now ?? (() => new Date());

  function verify(rawBody: Buffer, signature: string | undefined) {
    if (!signature) {
      throw new DomainError('validation', 'The Stripe-Signature header is missing.', { field: SIGNATURE_FIELD });
    }
    try {
      return stripe.webhooks.constructEvent(rawBody, signature, deps.webhookSecret);
    } catch (e) {
      if (e instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new DomainError('validation', 'The Stripe signature does not match this payload.', {
          field: SIGNATURE_FIELD,
        });
      }
      throw e;
    }
  }

  /** Our subscription the event is about, locked; null for events about something that is not ours. */
  async function lockTarget(repos: AccountRepositories, ref: Reference): Promise<EventTargetRow | null> {
    const id =
      ref.subscriptionId ??
      (ref.stripeSubscriptionId && (await repos.subscriptions.findIdByStripeSubscription(ref.stripeSubscriptionId))) ??
      (ref.customerId && (await repos.subscriptions.findIdByStripeCustomer(ref.customerId))) ??
      undefined;
    return id ? repos.subscriptions.lockForEvent(id) : null;
  }

  const isStale = (row: EventTargetRow, created: Date) =>
    row.lastStripeEventAt !== null && created < row.lastStripeEventAt;

  function signal(row: EventTargetRow, eventId: string, created: Date, fact: SubscriptionFact, periodEnd?: Date) {
    return workflows.signal(row.id, {
      eventId,
      fact,
      occurredAt: created.toISOString(),
      periodEndsAt: periodEnd?.toISOString() ?? null,
    });
  }

  /**
   * SPEC P6: a new price is a plan change, applied when the members' allocations and usage fit the new plan and
   * refused otherwise. A refusal keeps the old plan here and puts the old price back at Stripe (so the customer is
   * not billed for a plan they do not have), and is recorded so the subscription view can say what must be freed.
   */
  async function changePlan(
    repos: AccountRepositories,
    row: EventTargetRow,
    eventId: string,
    at: Date,
    stripeSubscriptionId: string,
    item: Obj | undefined,
  ): Promise<boolean> {
    const priceId = idOf(item?.price);
    const current = plans.findPlan(row.planId);
    if (!priceId || current?.stripePriceId === priceId) return false;
    const audit = (action: string, details: Record<string, string>) =>
      repos.auditEvents.record({
        actorType: 'system',
        actorId: null,
        action,
        targetType: 'subscription',
        targetId: row.id,
        instanceId: row.instanceId,
        at,
        details: { stripeEventId: eventId, fromPlanId: row.planId, ...details },
      });
    const requested = plans.findPlanByPrice(priceId);
    const check = requested
      ? checkPlanChange(
          requested.storageBytes,
          row.instanceId ? await repos.subscriptions.membersForQuota(row.instanceId) : [],
        )
      : {
          ok: false as const,
          error: new DomainError('validation', `No plan is sold at Stripe price ${priceId}.`, { field: 'planId' }),
        };
    if (requested && check.ok) {
      await repos.subscriptions.setPlan(row.id, requested.id);
      await audit(PLAN_CHANGED, { toPlanId: requested.id });
      return true;
    }
    const { details, message }: { details: Record<string, unknown>; message: string } = check.ok
      ? { details: {}, message: '' }
      : check.error;
    await audit(PLAN_CHANGE_REFUSED, {
      requestedPlanId: requested?.id ?? priceId,
      message,
      ...Object.fromEntries(
        ['bytesToFree', 'quotaBytesToRelease', 'usageBytesToDelete']
          .filter((k) => typeof details[k] === 'bigint')
          .map((k) => [k, String(details[k])]),
      ),
    });
    const itemId = str(item?.id);
    if (current && itemId) {
      await callStripe('restore the previous price', () =>
        stripe.subscriptions.update(
          stripeSubscriptionId,
          { items: [{ id: itemId, price: current.stripePriceId }], proration_behavior: 'none' },
          { idempotencyKey: `plan-change-revert/${eventId}` },
        ),
      );
    }
    return false;
  }

  /** What must follow once the transaction is committed. */
  interface AfterCommit {
    /** The instance whose plan changed: its members' limits move (pushed after the commit, when the plan is read). */
    planChangedInstanceId?: string;
  }

  async function apply(
    repos: AccountRepositories,
    event: { id: string; type: string; created: number; data: { object: unknown } },
    at: Date,
    afterCommit: AfterCommit,
  ): Promise<WebhookOutcome> {
    const object = obj(event.data.object) ?? {};
    const created = new Date(event.created * 1000);
    switch (event.type) {
      case 'checkout.session.completed': {
        const row = await lockTarget(repos, { subscriptionId: str(object.client_reference_id) ?? ourId(object) });
        if (!row) return 'ignored';
        if (row.state === 'ended') {
          // Completed after its hold was released (a webhook delayed past the release margin): support must act.
          await repos.auditEvents.record({
            actorType: 'system',
            actorId: null,
            action: 'subscription.checkout_completed_after_release',
            targetType: 'subscription',
            targetId: row.id,
            at,
            details: { stripeEventId: event.id, stripeSubscriptionId: idOf(object.subscription) ?? null },
          });
          return 'ignored';
        }
        const stripeSubscriptionId = idOf(object.subscription);
        const stripeCustomerId = idOf(object.customer);
        await repos.subscriptions.recordStripeFacts(row.id, {
          ...(stripeSubscriptionId ? { stripeSubscriptionId } : {}),
          ...(stripeCustomerId ? { stripeCustomerId } : {}),
        });
        await signal(row, event.id, created, 'checkout_completed');
        return 'applied';
      }

      case 'checkout.session.expired': {
        const row = await lockTarget(repos, { subscriptionId: str(object.client_reference_id) ?? ourId(object) });
        if (!row || !(await repos.subscriptions.releaseHold(row.id))) return 'ignored';
        await repos.auditEvents.record({
          actorType: 'system',
          actorId: null,
          action: 'subscription.checkout_expired',
          targetType: 'subscription',
          targetId: row.id,
          at,
          details: { stripeEventId: event.id },
        });
        return 'applied';
      }

      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const stripeSubscriptionId = str(object.id);
        const row = await lockTarget(repos, {
          subscriptionId: ourId(object),
          stripeSubscriptionId,
          customerId: idOf(object.customer),
        });
        if (!row || !stripeSubscriptionId) return 'ignored';
        if (isStale(row, created)) return 'stale';
        const item = obj((obj(object.items)?.data as unknown[] | undefined)?.[0]);
        // Newer API versions keep the period on the item, older ones on the subscription.
        const periodEnd = fromEpoch(num(item?.current_period_end) ?? num(object.current_period_end));
        await repos.subscriptions.recordStripeFacts(row.id, {
          stripeSubscriptionId,
          lastStripeEventAt: created,
          ...(periodEnd ? { currentPeriodEnd: periodEnd } : {}),
        });
        if (event.type === 'customer.subscription.deleted') {
          await signal(row, event.id, created, 'subscription_deleted', periodEnd ?? fromEpoch(num(object.ended_at)));
          return 'applied';
        }
        if (event.type === 'customer.subscription.updated') {
          if ((await changePlan(repos, row, event.id, at, stripeSubscriptionId, item)) && row.instanceId) {
            afterCommit.planChangedInstanceId = row.instanceId;
          }
        }
        const cancelAt = fromEpoch(num(object.cancel_at));
        if (object.cancel_at_period_end === true || cancelAt) {
          await signal(row, event.id, created, 'cancel_scheduled', cancelAt ?? periodEnd);
        } else if (object.status === 'active' || object.status === 'trialing') {
          await signal(row, event.id, created, 'subscription_active');
        }
        return 'applied';
      }

      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const details = obj(obj(object.parent)?.subscription_details);
        const row = await lockTarget(repos, {
          subscriptionId: ourId(details) ?? ourId(object),
          stripeSubscriptionId: idOf(details?.subscription) ?? idOf(object.subscription),
          customerId: idOf(object.customer),
        });
        if (!row) return 'ignored';
        if (isStale(row, created)) return 'stale';
        await repos.subscriptions.recordStripeFacts(row.id, { lastStripeEventAt: created });
        const fact = event.type === 'invoice.paid' ? 'payment_succeeded' : 'payment_failed';
        await signal(row, event.id, created, fact);
        return 'applied';
      }

      default:
        return 'ignored';
    }
  }

  return {
    /** Verifies and applies one delivery; throws a validation error (400) for a bad signature, before any change. */
    async handleWebhook(rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
      const event = verify(rawBody, signature);
      const at = now();
      const afterCommit: AfterCommit = {};
      const outcome = await repositories.transaction(async (repos) => {
        if (!(await repos.webhookEvents.markProcessed(event.id, event.type, at))) return 'duplicate' as const;
        return apply(repos, event, at, afterCommit);
      });
      const instanceId = afterCommit.planChangedInstanceId;
      if (instanceId) {
        // The plan is committed, so this is not the event's effect but its echo in the photo app: a failed start
        // is logged, not retried through Stripe (a redelivery would be a duplicate), and the usage-sync schedule
        // pushes the same limits within its interval.
        try {
          await quotas.refreshInstanceQuotas(instanceId);
        } catch (err) {
          log.error({ err, instanceId, eventId: event.id }, 'could not start the quota refresh after a plan change');
        }
      }
      return { eventId: event.id, type: event.type, outcome, createdAt: new Date(event.created * 1000) };
    },
  };
}

export type StripeWebhookService = ReturnType<typeof createStripeWebhookService>;
