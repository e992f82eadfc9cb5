-- A plan's policy for its libraries' public links (issue 14): a maximum lifetime and a required password.
ALTER TABLE "plan" ADD COLUMN "linkMaxExpiryDays" INTEGER;
ALTER TABLE "plan" ADD COLUMN "linkPasswordRequired" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "plan" ADD CONSTRAINT "plan_link_max_expiry_days_check" CHECK ("linkMaxExpiryDays" IS NULL OR "linkMaxExpiryDays" BETWEEN 1 AND 3650);

-- Links the edge refused for breaking that policy: one row per link and rule, the key kept only as its SHA-256.
CREATE TABLE "shared_link_refusal" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "credentialHash" TEXT NOT NULL,
    "hint" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "firstAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shared_link_refusal_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shared_link_refusal_kind_check" CHECK ("kind" IN ('key', 'slug')),
    CONSTRAINT "shared_link_refusal_rule_check" CHECK ("rule" IN ('password', 'expiry')),
    CONSTRAINT "shared_link_refusal_hash_check" CHECK ("credentialHash" ~ '^[0-9a-f]{64}$')
);

CREATE UNIQUE INDEX "shared_link_refusal_instanceId_credentialHash_rule_key" ON "shared_link_refusal"("instanceId", "credentialHash", "rule");

ALTER TABLE "shared_link_refusal" ADD CONSTRAINT "shared_link_refusal_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;
