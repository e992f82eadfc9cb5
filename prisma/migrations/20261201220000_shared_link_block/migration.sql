-- Shared links taken down at the edge (issue 14). The key or slug is kept only as its SHA-256.
CREATE TABLE "shared_link_block" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "credentialHash" TEXT NOT NULL,
    "hint" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "blockedById" UUID,
    "blockedByLabel" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "liftedAt" TIMESTAMP(3),
    "liftedById" UUID,
    "liftedByLabel" TEXT,
    "liftReason" TEXT,

    CONSTRAINT "shared_link_block_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shared_link_block_kind_check" CHECK ("kind" IN ('key', 'slug')),
    CONSTRAINT "shared_link_block_hash_check" CHECK ("credentialHash" ~ '^[0-9a-f]{64}$'),
    CONSTRAINT "shared_link_block_lifted_check" CHECK (("liftedAt" IS NULL) = ("liftReason" IS NULL))
);

CREATE INDEX "shared_link_block_instanceId_credentialHash_idx" ON "shared_link_block"("instanceId", "credentialHash");

-- At most one block holds per link (a lifted one stays, as history).
CREATE UNIQUE INDEX "shared_link_block_one_holding" ON "shared_link_block"("instanceId", "credentialHash") WHERE "liftedAt" IS NULL;

ALTER TABLE "shared_link_block" ADD CONSTRAINT "shared_link_block_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Plan policy for links: a plan may leave public links out (the edge then refuses link visits with 403).
ALTER TABLE "plan" ADD COLUMN "publicLinks" BOOLEAN NOT NULL DEFAULT true;
