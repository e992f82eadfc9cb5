-- AlterTable
ALTER TABLE "session" ADD COLUMN     "oidcSessionUid" TEXT,
ADD COLUMN     "oidcSid" TEXT,
ADD COLUMN     "photoAppLogoutAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "oidc_payload" (
    "kind" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "grantId" TEXT,
    "userCode" TEXT,
    "uid" TEXT,
    "expiresAt" TIMESTAMP(3),
    "consumedAt" TIMESTAMP(3),

    CONSTRAINT "oidc_payload_pkey" PRIMARY KEY ("kind","id")
);

-- CreateTable
CREATE TABLE "oidc_signing_key" (
    "kid" TEXT NOT NULL,
    "privateJwkCipher" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "oidc_signing_key_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE INDEX "oidc_payload_grantId_idx" ON "oidc_payload"("grantId");

-- CreateIndex
CREATE INDEX "oidc_payload_uid_idx" ON "oidc_payload"("uid");

-- CreateIndex
CREATE INDEX "oidc_payload_expiresAt_idx" ON "oidc_payload"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "session_oidcSessionUid_key" ON "session"("oidcSessionUid");

-- Revoked photo-app sign-ins whose back-channel logout is still to be sent (the sweeper's only query).
CREATE INDEX "session_photo_app_logout_pending_idx" ON "session"("revokedAt") WHERE "oidcSid" IS NOT NULL AND "revokedAt" IS NOT NULL AND "photoAppLogoutAt" IS NULL;
