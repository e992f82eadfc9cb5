// Stripe event ids already applied (SPEC P5). Written in the same transaction as the event's effect, so an event
// is applied exactly once however often Stripe delivers it.
import { isUuid } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';
import type { PreparedSql } from '../platform/data/prepared.ts';

/** One delivery as the ingest statement takes it (see `ingest`). */
export interface WebhookIngest {
  eventId: string;
  type: string;
  at: Date;
  /** False only for the webhook bench's baseline: the id is not recorded. */
  dedupe: boolean;
  /** False for an event about nothing we follow: only its id is recorded. */
  ours: boolean;
  /** Where the event points: our id (metadata, client reference), then Stripe's subscription, then its customer. */
  subscriptionId?: string | undefined;
  stripeSubscriptionId?: string | undefined;
  stripeCustomerId?: string | undefined;
  /** Recorded on the subscription (a checkout session's events). */
  checkoutSessionId?: string | undefined;
  /** The outbox message queued for the subscription: its kind, the key prefix (+ subscription id), its idempotency key. */
  outboxKind: string;
  outboxKeyPrefix: string;
  idempotencyKey: string;
}

/** `fresh`: the id was not seen before (always true without dedupe); `subscriptionId`: ours it points at, if any. */
export interface WebhookIngestResult {
  fresh: boolean;
  subscriptionId: string | null;
}

// One statement (issue 18), so one round trip and one implicit transaction, doing what the interactive transaction
// did step by step: record the id (a concurrent delivery of the same id waits on the primary key, then finds it and
// does nothing else: every later step is gated on `fresh`); find our subscription (by our id, then Stripe's
// subscription id, then its customer id); record a checkout session id on it; and queue a re-read in the outbox
// unless one is still waiting (not yet taken by a dispatcher) for that subscription — except when the event names
// a Stripe subscription the row does not name yet, whose id must reach the re-read. Data-modifying CTEs run whether
// or not they are referenced, and all see one snapshot.
const INGEST_SQL = `
  WITH recorded AS (
         INSERT INTO processed_webhook_event (id, type, "processedAt")
         SELECT $1::text, $2::text, ($3::timestamptz AT TIME ZONE 'UTC') WHERE $4::boolean
         ON CONFLICT (id) DO NOTHING
         RETURNING id),
       fresh AS (
         SELECT (NOT $4::boolean) OR EXISTS (SELECT 1 FROM recorded) AS ok),
       by_stripe_subscription AS (
         SELECT id FROM subscription WHERE "stripeSubscriptionId" = $6::text),
       target AS (
         SELECT COALESCE(
                  (SELECT id FROM subscription WHERE id = $5::uuid),
                  (SELECT id FROM by_stripe_subscription),
                  (SELECT id FROM subscription WHERE "stripeCustomerId" = $7::text)) AS id
          WHERE $8::boolean AND (SELECT ok FROM fresh)),
       facts AS (
         UPDATE subscription
            SET "stripeCheckoutSessionId" = $9::text, "updatedAt" = ($3::timestamptz AT TIME ZONE 'UTC')
          WHERE $9::text IS NOT NULL AND id = (SELECT id FROM target)
         RETURNING id),
       queue AS (
         SELECT t.id AS "subscriptionId", $12::text || t.id::text AS key,
                CASE WHEN $6::text IS NOT NULL AND (SELECT id FROM by_stripe_subscription) IS DISTINCT FROM t.id
                     THEN $6::text END AS "newStripeSubscription"
           FROM target t WHERE t.id IS NOT NULL),
       queued AS (
         INSERT INTO outbox_message (key, kind, payload, "idempotencyKey")
         SELECT q.key, $10::text,
                jsonb_build_object('subscriptionId', q."subscriptionId") ||
                  CASE WHEN q."newStripeSubscription" IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('stripeSubscriptionId', q."newStripeSubscription") END,
                $11::text
           FROM queue q
          WHERE q."newStripeSubscription" IS NOT NULL
             OR NOT EXISTS (SELECT 1 FROM outbox_message o
                             WHERE o.key = q.key AND o.kind = $10::text AND o."doneAt" IS NULL AND o."leaseUntil" IS NULL)
         ON CONFLICT DO NOTHING
         RETURNING id)
  SELECT (SELECT ok FROM fresh) AS fresh, (SELECT id::text FROM target) AS "subscriptionId"`;

export function createWebhookEventRepository(db: Db, prepared?: PreparedSql) {
  return {
    /**
     * A delivery's whole ingest as one statement (see INGEST_SQL): a named prepared statement on the portal's `pg`
     * pool when there is one (issue 18: the interactive Prisma transaction of up to six statements spent most of
     * its time in Prisma's client), the same text through Prisma otherwise.
     */
    async ingest(input: WebhookIngest): Promise<WebhookIngestResult> {
      const values = [
        input.eventId,
        input.type,
        input.at.toISOString(),
        input.dedupe,
        input.subscriptionId && isUuid(input.subscriptionId) ? input.subscriptionId : null,
        // Empty strings count as absent, as they did in the step-by-step version.
        input.stripeSubscriptionId || null,
        input.stripeCustomerId || null,
        input.ours,
        input.checkoutSessionId || null,
        input.outboxKind,
        input.idempotencyKey,
        input.outboxKeyPrefix,
      ];
      type Row = { fresh: boolean; subscriptionId: string | null };
      const rows = prepared
        ? await prepared.rows<Row>('portal-webhook-ingest', INGEST_SQL, values)
        : await db.$queryRawUnsafe<Row[]>(INGEST_SQL, ...values);
      const row = rows[0];
      return { fresh: row?.fresh === true, subscriptionId: row?.subscriptionId ?? null };
    },
  };
}

export type WebhookEventRepository = ReturnType<typeof createWebhookEventRepository>;
