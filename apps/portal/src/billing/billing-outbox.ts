// The billing effects that go through the outbox (issue 13) and how each is sent. Every one is safe to send twice:
// a Stripe write carries the message's idempotency key, a workflow signal its id (the workflow drops a repeat), a
// quota refresh is signalWithStart on the instance's one workflow id.
import type { SubscriptionSignal } from '@photoplane/provisioner/contracts';
import type { OutboxHandlers } from './outbox-dispatcher.ts';
import { callStripe, type Stripe } from './stripe-client.ts';
import type { StripeSync, SyncRequest } from './stripe-sync.service.ts';
import type { InstanceQuotaSync } from '../members/member-workflows.ts';
import type { SubscriptionWorkflows } from './subscription-workflows.ts';

export const OUTBOX = {
  /** Re-read the subscription's objects at Stripe and apply them (payload: SyncRequest). */
  syncFromStripe: 'stripe.sync',
  /** Hand a billing fact to the subscription workflow. */
  signal: 'workflow.signal',
  /** Put a refused plan change's old price back at Stripe. */
  restorePrice: 'stripe.restore_price',
  /** Push the members' limits after a plan change. */
  refreshQuotas: 'workflow.refresh_quotas',
  /** Support's suspend, resume, reprovision or rm, handed to the subscription workflow (support/tenants.service.ts). */
  staffOperation: 'workflow.staff_operation',
} as const;

/** All effects about one subscription share a key: the dispatcher sends them one at a time, in order. */
export function outboxKeyOf(subscriptionId: string): string {
  return `subscription:${subscriptionId}`;
}

export function createBillingOutboxHandlers(deps: {
  sync: StripeSync;
  stripe: Stripe;
  workflows: SubscriptionWorkflows;
  quotas: InstanceQuotaSync;
}): OutboxHandlers {
  return {
    [OUTBOX.syncFromStripe]: async (payload) => deps.sync.sync(payload as SyncRequest),
    [OUTBOX.signal]: async (payload) => {
      const { subscriptionId, signal } = payload as { subscriptionId: string; signal: SubscriptionSignal };
      await deps.workflows.signal(subscriptionId, signal);
    },
    [OUTBOX.restorePrice]: async (payload, message) => {
      const { stripeSubscriptionId, itemId, priceId } = payload as {
        stripeSubscriptionId: string;
        itemId: string;
        priceId: string;
      };
      await callStripe('restore the previous price', () =>
        deps.stripe.subscriptions.update(
          stripeSubscriptionId,
          { items: [{ id: itemId, price: priceId }], proration_behavior: 'none' },
          { idempotencyKey: message.idempotencyKey },
        ),
      );
    },
    [OUTBOX.refreshQuotas]: async (payload) => {
      await deps.quotas.refreshInstanceQuotas((payload as { instanceId: string }).instanceId);
    },
  };
}
