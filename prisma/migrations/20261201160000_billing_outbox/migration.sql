-- Stripe's truth (issue 13): the subscription keeps what Stripe's objects said at the last sync instead of the
-- newest event time, and effects on Stripe and Temporal go through an outbox. A staff hold lives on the subscription,
-- whose workflow owns the instance's lifecycle.
ALTER TABLE "subscription" DROP COLUMN "lastStripeEventAt",
ADD COLUMN     "stripeCheckoutSessionId" TEXT,
ADD COLUMN     "stripeBilling" TEXT,
ADD COLUMN     "stripeSyncedAt" TIMESTAMP(3),
ADD COLUMN     "staffHoldSince" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "outbox_message" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "availableAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "outbox_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_message_idempotencyKey_key" ON "outbox_message"("idempotencyKey");

-- CreateIndex
CREATE INDEX "outbox_message_doneAt_availableAt_idx" ON "outbox_message"("doneAt", "availableAt");

-- CreateIndex
CREATE INDEX "outbox_message_key_id_idx" ON "outbox_message"("key", "id");
