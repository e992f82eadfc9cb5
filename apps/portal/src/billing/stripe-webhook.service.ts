// Stripe's webhooks (SPEC P5-P8, issue 13). Each delivery is verified against its signature (nothing changes
// otherwise; an old timestamp is refused like a forged one). Then, per Stripe's own guidance, the event is only a
// notification: in one short transaction its id is recorded (a redelivery finds it and does nothing) and a "re-read
// this subscription from Stripe" message goes into the outbox. The dispatcher reads the current checkout session and
// subscription and applies them (stripe-sync.service.ts), so the order in which events arrive no longer matters, and
// no remote call is ever made here, let alone under a lock.
import { DomainError } from '@photoplane/tenant-model';
import type { UnitOfWork } from '../platform/data/unit-of-work.ts';
import { outboxKeyOf, OUTBOX } from './billing-outbox.ts';
import { referenceOf } from './stripe-facts.ts';
import { Stripe } from './stripe-client.ts';

export interface StripeWebhookServiceDeps {
  repositories: UnitOfWork;
  stripe: Stripe;
  webhookSecret: string;
  /** Called after a commit that queued work for the outbox dispatcher. */
  queued?: () => void;
  /**
   * Off only for the webhook bench's baseline (bench/webhook-ingest.bench.ts): the same handler without recording
   * the event id, so what deduplication costs can be measured. Never off in a portal: redeliveries would apply twice.
   */
  dedupe?: boolean;
  now?: () => Date;
}

/** `accepted`: queued for a re-read from Stripe; `duplicate`: this event id was seen before; `ignored`: not ours. */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'ignored';

export interface WebhookResult {
  eventId: string;
  type: string;
  outcome: WebhookOutcome;
  /** When Stripe created the event (for the webhook lag metric). */
  createdAt: Date;
}

const SIGNATURE_FIELD = 'headers.stripe-signature';

export function createStripeWebhookService(deps: StripeWebhookServiceDeps) {
  const { repositories, stripe } = deps;
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

  return {
    /** Verifies and queues one delivery; throws a validation error (400) for a bad signature, before any change. */
    async handleWebhook(rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
      const event = verify(rawBody, signature);
      const ref = referenceOf(event.type, event.data.object);
      // One statement (issue 18; billing/webhook-event.repository.ts): record the id, find our subscription,
      // record a checkout session on it, queue its re-read unless one is still waiting.
      const ingested = await repositories.webhookEvents.ingest({
        eventId: event.id,
        type: event.type,
        at: now(),
        dedupe: deps.dedupe !== false,
        ours: ref.kind !== 'other',
        subscriptionId: ref.subscriptionId,
        stripeSubscriptionId: ref.stripeSubscriptionId,
        stripeCustomerId: ref.stripeCustomerId,
        checkoutSessionId: ref.checkoutSessionId,
        outboxKind: OUTBOX.syncFromStripe,
        outboxKeyPrefix: outboxKeyOf(''),
        idempotencyKey: `stripe-event/${event.id}`,
      });
      const outcome: WebhookOutcome = !ingested.fresh ? 'duplicate' : ingested.subscriptionId ? 'accepted' : 'ignored';
      if (outcome === 'accepted') deps.queued?.();
      return { eventId: event.id, type: event.type, outcome, createdAt: new Date(event.created * 1000) };
    },
  };
}

export type StripeWebhookService = ReturnType<typeof createStripeWebhookService>;
