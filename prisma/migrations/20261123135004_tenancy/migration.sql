-- CreateEnum
CREATE TYPE "account_role" AS ENUM ('customer', 'support', 'superadmin');

-- CreateEnum
CREATE TYPE "subscription_state" AS ENUM ('incomplete', 'active', 'past_due', 'suspended', 'cancelled', 'retained', 'ended');

-- CreateEnum
CREATE TYPE "instance_state" AS ENUM ('pending', 'provisioning', 'active', 'suspending', 'suspended', 'resuming', 'deprovisioning', 'deprovisioned', 'failed');

-- CreateEnum
CREATE TYPE "member_role" AS ENUM ('owner', 'admin', 'user', 'viewer', 'guest');

-- CreateEnum
CREATE TYPE "member_status" AS ENUM ('invited', 'active', 'disabled', 'pending_deletion', 'deleted');

-- CreateEnum
CREATE TYPE "album_role" AS ENUM ('editor', 'viewer');

-- CreateEnum
CREATE TYPE "auth_realm" AS ENUM ('portal', 'instance');

-- CreateEnum
CREATE TYPE "login_status" AS ENUM ('succeeded', 'failed', 'throttled');

-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "emailNormalized" TEXT NOT NULL,
    "name" TEXT,
    "role" "account_role" NOT NULL DEFAULT 'customer',
    "passwordHash" TEXT NOT NULL,
    "emailVerifiedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "storageBytes" BIGINT NOT NULL,
    "stripePriceId" TEXT NOT NULL,
    "priceCents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'eur',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "plan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscription" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "planId" TEXT NOT NULL,
    "state" "subscription_state" NOT NULL DEFAULT 'incomplete',
    "stripeCustomerId" TEXT,
    "stripeSubscriptionId" TEXT,
    "currentPeriodEnd" TIMESTAMP(3),
    "graceEndsAt" TIMESTAMP(3),
    "retentionEndsAt" TIMESTAMP(3),
    "lastStripeEventAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "subscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance" (
    "id" UUID NOT NULL,
    "subscriptionId" UUID NOT NULL,
    "subdomain" TEXT NOT NULL,
    "state" "instance_state" NOT NULL DEFAULT 'pending',
    "dockerHostId" UUID,
    "imageRef" TEXT,
    "provisioningStep" TEXT,
    "deletionDelayDays" INTEGER NOT NULL DEFAULT 7,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "member" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "emailNormalized" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "member_role" NOT NULL DEFAULT 'user',
    "status" "member_status" NOT NULL DEFAULT 'invited',
    "storageLabel" TEXT,
    "quotaBytes" BIGINT,
    "usageBytes" BIGINT NOT NULL DEFAULT 0,
    "mustChangePassword" BOOLEAN NOT NULL DEFAULT false,
    "passwordHash" TEXT,
    "deletionRequestedAt" TIMESTAMP(3),
    "deletionImmediate" BOOLEAN NOT NULL DEFAULT false,
    "statusBeforeDeletion" "member_status",
    "photoAppUserId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invitation" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "acceptedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "album" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "ownerId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "album_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "album_member" (
    "instanceId" UUID NOT NULL,
    "albumId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "role" "album_role" NOT NULL DEFAULT 'viewer',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "album_member_pkey" PRIMARY KEY ("albumId","memberId")
);

-- CreateTable
CREATE TABLE "asset" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "ownerId" UUID NOT NULL,
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "isArchived" BOOLEAN NOT NULL DEFAULT false,
    "isTrashed" BOOLEAN NOT NULL DEFAULT false,
    "isFavorite" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "asset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "album_asset" (
    "instanceId" UUID NOT NULL,
    "albumId" UUID NOT NULL,
    "assetId" UUID NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "album_asset_pkey" PRIMARY KEY ("albumId","assetId")
);

-- CreateTable
CREATE TABLE "partner_share" (
    "instanceId" UUID NOT NULL,
    "sharedById" UUID NOT NULL,
    "sharedWithId" UUID NOT NULL,
    "inTimeline" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_share_pkey" PRIMARY KEY ("sharedById","sharedWithId")
);

-- CreateTable
CREATE TABLE "shared_link" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "creatorId" UUID NOT NULL,
    "albumId" UUID,
    "keyHash" TEXT NOT NULL,
    "passwordHash" TEXT,
    "description" TEXT,
    "expiresAt" TIMESTAMP(3),
    "allowUpload" BOOLEAN NOT NULL DEFAULT false,
    "allowDownload" BOOLEAN NOT NULL DEFAULT true,
    "showMetadata" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "shared_link_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shared_link_asset" (
    "instanceId" UUID NOT NULL,
    "sharedLinkId" UUID NOT NULL,
    "assetId" UUID NOT NULL,

    CONSTRAINT "shared_link_asset_pkey" PRIMARY KEY ("sharedLinkId","assetId")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session" (
    "id" UUID NOT NULL,
    "realm" "auth_realm" NOT NULL,
    "accountId" UUID,
    "instanceId" UUID,
    "memberId" UUID,
    "refreshTokenHash" TEXT NOT NULL,
    "familyId" UUID NOT NULL,
    "deviceType" TEXT,
    "deviceOs" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "login_attempt" (
    "id" UUID NOT NULL,
    "realm" "auth_realm" NOT NULL,
    "clientIp" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "accountId" UUID,
    "instanceId" UUID,
    "memberId" UUID,
    "status" "login_status" NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_webhook_event" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "processedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_webhook_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "actorLabel" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT,
    "instanceId" UUID,
    "reason" TEXT,
    "details" JSONB,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_emailNormalized_key" ON "account"("emailNormalized");

-- CreateIndex
CREATE UNIQUE INDEX "plan_stripePriceId_key" ON "plan"("stripePriceId");

-- CreateIndex
CREATE UNIQUE INDEX "subscription_stripeCustomerId_key" ON "subscription"("stripeCustomerId");

-- CreateIndex
CREATE UNIQUE INDEX "subscription_stripeSubscriptionId_key" ON "subscription"("stripeSubscriptionId");

-- CreateIndex
CREATE INDEX "subscription_accountId_idx" ON "subscription"("accountId");

-- CreateIndex
CREATE UNIQUE INDEX "instance_subscriptionId_key" ON "instance"("subscriptionId");

-- CreateIndex
CREATE UNIQUE INDEX "instance_subdomain_key" ON "instance"("subdomain");

-- CreateIndex
CREATE INDEX "instance_dockerHostId_idx" ON "instance"("dockerHostId");

-- CreateIndex
CREATE UNIQUE INDEX "member_instanceId_id_key" ON "member"("instanceId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "member_instanceId_emailNormalized_key" ON "member"("instanceId", "emailNormalized");

-- CreateIndex
CREATE UNIQUE INDEX "member_instanceId_storageLabel_key" ON "member"("instanceId", "storageLabel");

-- CreateIndex
CREATE UNIQUE INDEX "member_instanceId_photoAppUserId_key" ON "member"("instanceId", "photoAppUserId");

-- CreateIndex
CREATE UNIQUE INDEX "invitation_tokenHash_key" ON "invitation"("tokenHash");

-- CreateIndex
CREATE INDEX "invitation_instanceId_memberId_idx" ON "invitation"("instanceId", "memberId");

-- CreateIndex
CREATE INDEX "album_instanceId_ownerId_idx" ON "album"("instanceId", "ownerId");

-- CreateIndex
CREATE UNIQUE INDEX "album_instanceId_id_key" ON "album"("instanceId", "id");

-- CreateIndex
CREATE INDEX "album_member_instanceId_memberId_idx" ON "album_member"("instanceId", "memberId");

-- CreateIndex
CREATE INDEX "asset_instanceId_ownerId_idx" ON "asset"("instanceId", "ownerId");

-- CreateIndex
CREATE UNIQUE INDEX "asset_instanceId_id_key" ON "asset"("instanceId", "id");

-- CreateIndex
CREATE INDEX "album_asset_instanceId_assetId_idx" ON "album_asset"("instanceId", "assetId");

-- CreateIndex
CREATE INDEX "partner_share_instanceId_sharedWithId_idx" ON "partner_share"("instanceId", "sharedWithId");

-- CreateIndex
CREATE UNIQUE INDEX "shared_link_keyHash_key" ON "shared_link"("keyHash");

-- CreateIndex
CREATE INDEX "shared_link_instanceId_creatorId_idx" ON "shared_link"("instanceId", "creatorId");

-- CreateIndex
CREATE INDEX "shared_link_instanceId_albumId_idx" ON "shared_link"("instanceId", "albumId");

-- CreateIndex
CREATE UNIQUE INDEX "shared_link_instanceId_id_key" ON "shared_link"("instanceId", "id");

-- CreateIndex
CREATE INDEX "shared_link_asset_instanceId_assetId_idx" ON "shared_link_asset"("instanceId", "assetId");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_keyHash_key" ON "api_key"("keyHash");

-- CreateIndex
CREATE INDEX "api_key_instanceId_memberId_idx" ON "api_key"("instanceId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "session_refreshTokenHash_key" ON "session"("refreshTokenHash");

-- CreateIndex
CREATE INDEX "session_familyId_idx" ON "session"("familyId");

-- CreateIndex
CREATE INDEX "session_accountId_idx" ON "session"("accountId");

-- CreateIndex
CREATE INDEX "session_instanceId_memberId_idx" ON "session"("instanceId", "memberId");

-- CreateIndex
CREATE INDEX "login_attempt_at_idx" ON "login_attempt"("at");

-- CreateIndex
CREATE INDEX "login_attempt_clientIp_at_idx" ON "login_attempt"("clientIp", "at");

-- CreateIndex
CREATE INDEX "login_attempt_instanceId_memberId_idx" ON "login_attempt"("instanceId", "memberId");

-- CreateIndex
CREATE INDEX "login_attempt_accountId_idx" ON "login_attempt"("accountId");

-- CreateIndex
CREATE INDEX "audit_event_at_idx" ON "audit_event"("at");

-- CreateIndex
CREATE INDEX "audit_event_instanceId_at_idx" ON "audit_event"("instanceId", "at");

-- AddForeignKey
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_planId_fkey" FOREIGN KEY ("planId") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "subscription"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_dockerHostId_fkey" FOREIGN KEY ("dockerHostId") REFERENCES "docker_host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member" ADD CONSTRAINT "member_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invitation" ADD CONSTRAINT "invitation_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "album" ADD CONSTRAINT "album_instanceId_ownerId_fkey" FOREIGN KEY ("instanceId", "ownerId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "album_member" ADD CONSTRAINT "album_member_instanceId_albumId_fkey" FOREIGN KEY ("instanceId", "albumId") REFERENCES "album"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "album_member" ADD CONSTRAINT "album_member_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "asset" ADD CONSTRAINT "asset_instanceId_ownerId_fkey" FOREIGN KEY ("instanceId", "ownerId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "album_asset" ADD CONSTRAINT "album_asset_instanceId_albumId_fkey" FOREIGN KEY ("instanceId", "albumId") REFERENCES "album"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "album_asset" ADD CONSTRAINT "album_asset_instanceId_assetId_fkey" FOREIGN KEY ("instanceId", "assetId") REFERENCES "asset"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "partner_share" ADD CONSTRAINT "partner_share_instanceId_sharedById_fkey" FOREIGN KEY ("instanceId", "sharedById") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "partner_share" ADD CONSTRAINT "partner_share_instanceId_sharedWithId_fkey" FOREIGN KEY ("instanceId", "sharedWithId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "shared_link" ADD CONSTRAINT "shared_link_instanceId_creatorId_fkey" FOREIGN KEY ("instanceId", "creatorId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "shared_link" ADD CONSTRAINT "shared_link_instanceId_albumId_fkey" FOREIGN KEY ("instanceId", "albumId") REFERENCES "album"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "shared_link_asset" ADD CONSTRAINT "shared_link_asset_instanceId_sharedLinkId_fkey" FOREIGN KEY ("instanceId", "sharedLinkId") REFERENCES "shared_link"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "shared_link_asset" ADD CONSTRAINT "shared_link_asset_instanceId_assetId_fkey" FOREIGN KEY ("instanceId", "assetId") REFERENCES "asset"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "login_attempt" ADD CONSTRAINT "login_attempt_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "login_attempt" ADD CONSTRAINT "login_attempt_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "login_attempt" ADD CONSTRAINT "login_attempt_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- ---------------------------------------------------------------------------------------------------------------
-- Hand-written below this line: constraints the Prisma schema language cannot express. They are the backstop, in
-- the database itself, for rules the tenant model also checks, so a bug or a hand-run query cannot store a broken
-- tenant. Prisma does not diff CHECK constraints, so `prisma migrate diff` stays clean with them in place.
-- No semicolon may appear except between statements: @prisma/adapter-pg, which applies migrations on this
-- project's machines (tools/schema-engine-shim.mjs), splits a script at every semicolon, comments included.
-- ---------------------------------------------------------------------------------------------------------------

-- E-mail uniqueness is case-insensitive: the unique indexes are on the normalised column, and this keeps that
-- column normalised (trimmed, lowercase, not empty) whatever writes it. Not `= lower(btrim("email"))`: this
-- database's collation is C, where lower() folds ASCII only and would refuse a correctly normalised e-acute.
ALTER TABLE "account" ADD CONSTRAINT "account_email_normalized_ck"
  CHECK ("emailNormalized" <> '' AND "emailNormalized" = lower(btrim("emailNormalized")));
ALTER TABLE "member" ADD CONSTRAINT "member_email_normalized_ck"
  CHECK ("emailNormalized" <> '' AND "emailNormalized" = lower(btrim("emailNormalized")));

-- Plans: storage is what quotas are carved out of, so it must be positive. Currencies are ISO 4217
-- codes in the lowercase form Stripe uses.
ALTER TABLE "plan" ADD CONSTRAINT "plan_storage_bytes_ck" CHECK ("storageBytes" > 0);
ALTER TABLE "plan" ADD CONSTRAINT "plan_price_ck" CHECK ("priceCents" >= 0 AND "currency" ~ '^[a-z]{3}$');

-- SPEC P4: a subdomain is a lowercase DNS label of 3-63 characters with no hyphen at either end. Being lowercase,
-- the plain unique index on it is case-insensitive. (Reserved names are a configuration matter: checked by the app.)
ALTER TABLE "instance" ADD CONSTRAINT "instance_subdomain_ck"
  CHECK ("subdomain" ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$');
-- SPEC M7: the member-deletion delay, in days (same bounds as parseDeletionDelayDays).
ALTER TABLE "instance" ADD CONSTRAINT "instance_deletion_delay_ck"
  CHECK ("deletionDelayDays" BETWEEN 0 AND 365);

-- SPEC M5: the storage label becomes one segment of the upload path: lowercase (so the per-instance unique index
-- is case-insensitive and labels cannot collide on a case-insensitive file system), no separators, no leading dot.
ALTER TABLE "member" ADD CONSTRAINT "member_storage_label_ck"
  CHECK ("storageLabel" IS NULL OR "storageLabel" ~ '^[a-z0-9_-][a-z0-9._-]{0,63}$');
-- SPEC M4: "unlimited" is NULL, never 0, so a zero can never be mistaken for "no space at all" or the reverse.
ALTER TABLE "member" ADD CONSTRAINT "member_quota_ck" CHECK ("quotaBytes" IS NULL OR "quotaBytes" > 0);
ALTER TABLE "member" ADD CONSTRAINT "member_usage_ck" CHECK ("usageBytes" >= 0);
-- SPEC M7: the purge deadline is derived from the request time, so a pending deletion without one would never
-- come due.
ALTER TABLE "member" ADD CONSTRAINT "member_pending_deletion_ck"
  CHECK ("status" <> 'pending_deletion' OR "deletionRequestedAt" IS NOT NULL);

ALTER TABLE "asset" ADD CONSTRAINT "asset_size_ck" CHECK ("sizeBytes" >= 0);

-- An invitation ends one way only: accepted or revoked, not both.
ALTER TABLE "invitation" ADD CONSTRAINT "invitation_outcome_ck"
  CHECK ("acceptedAt" IS NULL OR "revokedAt" IS NULL);
ALTER TABLE "invitation" ADD CONSTRAINT "invitation_expiry_ck" CHECK ("expiresAt" > "createdAt");

-- SPEC S2: partner sharing is between two members, sharing with oneself is meaningless. (The two composite
-- foreign keys already keep both members in the instance of the row.)
ALTER TABLE "partner_share" ADD CONSTRAINT "partner_share_not_self_ck" CHECK ("sharedById" <> "sharedWithId");

-- SPEC S3, as createSharedLink decides: visitor uploads land in the album of the link, so only album links accept
-- them. And a downloaded original carries its EXIF, so a link hiding metadata cannot allow downloads.
ALTER TABLE "shared_link" ADD CONSTRAINT "shared_link_upload_needs_album_ck"
  CHECK (NOT "allowUpload" OR "albumId" IS NOT NULL);
ALTER TABLE "shared_link" ADD CONSTRAINT "shared_link_download_needs_metadata_ck"
  CHECK (NOT "allowDownload" OR "showMetadata");

-- A session belongs to exactly one realm: an account in the portal, or a member (instanceId + memberId) in an
-- instance. This also matters for the composite foreign key: with MATCH SIMPLE, a row with memberId set and
-- instanceId NULL would escape the check entirely.
ALTER TABLE "session" ADD CONSTRAINT "session_realm_ck" CHECK (
  ("realm" = 'portal' AND "accountId" IS NOT NULL AND "instanceId" IS NULL AND "memberId" IS NULL)
  OR ("realm" = 'instance' AND "accountId" IS NULL AND "instanceId" IS NOT NULL AND "memberId" IS NOT NULL)
);

-- Login attempts may name nobody (an unknown e-mail), but what they name must fit the realm. And a member is only
-- ever named with its instance, for the same MATCH SIMPLE reason as above.
ALTER TABLE "login_attempt" ADD CONSTRAINT "login_attempt_realm_ck" CHECK (
  ("realm" = 'portal' AND "instanceId" IS NULL AND "memberId" IS NULL)
  OR ("realm" = 'instance' AND "accountId" IS NULL AND "instanceId" IS NOT NULL)
);
