-- A member's own "forgot password" links (issue 10): single use, only the token's SHA-256 is stored.
CREATE TABLE "member_password_reset" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "member_password_reset_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "member_password_reset_tokenHash_key" ON "member_password_reset"("tokenHash");
CREATE INDEX "member_password_reset_instanceId_memberId_idx" ON "member_password_reset"("instanceId", "memberId");

ALTER TABLE "member_password_reset" ADD CONSTRAINT "member_password_reset_instanceId_memberId_fkey"
    FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;
