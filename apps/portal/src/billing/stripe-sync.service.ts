// Applies Stripe's current objects to one subscription (issue 13, "Stripe's truth"). Run by the outbox dispatcher
// for every webhook about the subscription, one at a time per subscription: it reads the checkout session and the
// subscription from Stripe (no transaction open), then, in one short transaction under the row's lock, writes what
// they say and queues the effects that follow (the workflow's signal, a price put back at Stripe, the members'
// limits) as outbox messages. Because it always reads the current objects, events may come in any order, any number
// of times: the last sync sees what Stripe has now.
import { randomUUID } from 'node:crypto';
import { checkPlanChange, DomainError } from '@photoplane/tenant-model';
import type { EventTargetRow } from './subscription.repository.ts';
import type { AccountRepositories, UnitOfWork } from '../platform/data/unit-of-work.ts';
import type { PlanService } from './plan.service.ts';
import {
  billingKey,
  billingOf,
  checkoutFacts,
  currentSubscription,
  subscriptionFacts,
  type SubscriptionFacts,
} from './stripe-facts.ts';
import type { StripeObjects } from './stripe-objects.ts';
import { outboxKeyOf, OUTBOX } from './billing-outbox.ts';
import type { AuditAction } from '../platform/audit-event.repository.ts';

export const PLAN_CHANGED = 'subscription.plan_changed';
export const PLAN_CHANGE_REFUSED = 'subscription.plan_change_refused';

export interface StripeSyncDeps {
  repositories: UnitOfWork;
  plans: PlanService;
  objects: StripeObjects;
  now?: () => Date;
}

export interface SyncRequest {
  subscriptionId: string;
  /** A Stripe subscription an event named that is not (yet) the row's: a returning customer's new one. */
  stripeSubscriptionId?: string;
}

export function createStripeSync(deps: StripeSyncDeps) {
  const { repositories, plans, objects } = deps;
  const now = deps.now ?? (() => new Date());

  const audit = (
    repos: AccountRepositories,
    row: EventTargetRow,
    action: AuditAction,
    details: Record<string, string | null>,
  ) =>
    repos.auditEvents.record({
      actorType: 'system',
      actorId: null,
      action,
      targetType: 'subscription',
      targetId: row.id,
      instanceId: row.instanceId,
      at: now(),
      details,
    });

  /**
   * SPEC P6: a new price is a plan change, applied when the members' allocations and usage fit the new plan and
   * refused otherwise. A refusal keeps the old plan here and queues the old price's return to Stripe (so the
   * customer is not billed for a plan they do not have), once: a sync that reads the same price again while that
   * is on its way does nothing more.
   */
  async function changePlan(repos: AccountRepositories, row: EventTargetRow, sub: SubscriptionFacts): Promise<boolean> {
    const current = plans.findPlan(row.planId);
    if (!sub.priceId || current?.stripePriceId === sub.priceId) return false;
    const key = outboxKeyOf(row.id);
    if (await repos.outbox.hasUndone(key, OUTBOX.restorePrice)) return false;
    const requested = plans.findPlanByPrice(sub.priceId);
    const check = requested
      ? checkPlanChange(
          requested.storageBytes,
          row.instanceId ? await repos.subscriptions.membersForQuota(row.instanceId) : [],
        )
      : {
          ok: false as const,
          error: new DomainError('validation', `No plan is sold at Stripe price ${sub.priceId}.`, { field: 'planId' }),
        };
    if (requested && check.ok) {
      await repos.subscriptions.setPlan(row.id, requested.id);
      await audit(repos, row, PLAN_CHANGED, { fromPlanId: row.planId, toPlanId: requested.id });
      return true;
    }
    const { details, message }: { details: Record<string, unknown>; message: string } = check.ok
      ? { details: {}, message: '' }
      : check.error;
    await audit(repos, row, PLAN_CHANGE_REFUSED, {
      fromPlanId: row.planId,
      requestedPlanId: requested?.id ?? sub.priceId,
      message,
      ...Object.fromEntries(
        ['bytesToFree', 'quotaBytesToRelease', 'usageBytesToDelete']
          .filter((k) => typeof details[k] === 'bigint')
          .map((k) => [k, String(details[k])]),
      ),
    });
    if (current && sub.itemId) {
      await repos.outbox.add({
        key,
        kind: OUTBOX.restorePrice,
        payload: { stripeSubscriptionId: sub.id, itemId: sub.itemId, priceId: current.stripePriceId },
        idempotencyKey: `restore-price/${randomUUID()}`,
      });
    }
    return false;
  }

  return {
    async sync(request: SyncRequest): Promise<void> {
      const before = await repositories.subscriptions.findForSync(request.subscriptionId);
      if (!before) return;
      // Stripe first, with no transaction open.
      const session = before.stripeCheckoutSessionId
        ? checkoutFacts(await objects.checkoutSession(before.stripeCheckoutSessionId))
        : null;
      const knownId = before.stripeSubscriptionId ?? session?.stripeSubscriptionId ?? null;
      const known = knownId ? subscriptionFacts(await objects.subscription(knownId)) : null;
      const candidateId = request.stripeSubscriptionId;
      const candidate =
        candidateId && candidateId !== knownId ? subscriptionFacts(await objects.subscription(candidateId)) : null;
      const sub = currentSubscription(known, candidate, before.id);

      await repositories.transaction(async (repos) => {
        const row = await repos.subscriptions.findForSync(before.id, { lock: true });
        if (!row) return;
        if (row.state === 'ended' && row.stripeSubscriptionId === null) {
          // The hold was released (checkout expired, or a late completion past the release margin): support acts.
          if (session?.status === 'paid' || session?.status === 'unpaid') {
            await audit(repos, row, 'subscription.checkout_completed_after_release', {
              checkoutSessionId: session.id,
              stripeSubscriptionId: session.stripeSubscriptionId,
            });
          }
          return;
        }
        if (row.state === 'incomplete' && !sub && session?.status === 'expired') {
          if (await repos.subscriptions.releaseHold(row.id)) {
            await audit(repos, row, 'subscription.checkout_expired', { checkoutSessionId: session.id });
          }
          return;
        }
        await repos.subscriptions.recordStripeFacts(row.id, {
          ...(sub && sub.id !== row.stripeSubscriptionId ? { stripeSubscriptionId: sub.id } : {}),
          ...(row.stripeCustomerId === null && (sub?.stripeCustomerId ?? session?.stripeCustomerId)
            ? { stripeCustomerId: (sub?.stripeCustomerId ?? session?.stripeCustomerId)! }
            : {}),
          ...(sub?.currentPeriodEnd ? { currentPeriodEnd: sub.currentPeriodEnd } : {}),
          stripeSyncedAt: now(),
        });
        const key = outboxKeyOf(row.id);
        if (sub && (await changePlan(repos, row, sub)) && row.instanceId) {
          await repos.outbox.add({
            key,
            kind: OUTBOX.refreshQuotas,
            payload: { instanceId: row.instanceId },
            idempotencyKey: `refresh-quotas/${randomUUID()}`,
          });
        }
        const billing = billingOf(session, sub, { firstPayment: row.state === 'incomplete' && !row.stripeBilling });
        const fact = billingKey(billing);
        if (!billing || fact === row.stripeBilling) return;
        await repos.subscriptions.recordStripeFacts(row.id, { stripeBilling: fact });
        const signalId = `billing/${randomUUID()}`;
        await repos.outbox.add({
          key,
          kind: OUTBOX.signal,
          payload: {
            subscriptionId: row.id,
            signal: {
              eventId: signalId,
              fact: billing.fact,
              occurredAt: now().toISOString(),
              periodEndsAt: billing.periodEndsAt?.toISOString() ?? null,
            },
          },
          idempotencyKey: signalId,
        });
      });
    },
  };
}

export type StripeSync = ReturnType<typeof createStripeSync>;
