-- Fleet upgrades in waves (SPEC F3): one row per rollout, with its policy and where each instance stands.
CREATE TABLE "fleet_upgrade" (
    "id" UUID NOT NULL,
    "appImage" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actorId" UUID,
    "actorLabel" TEXT,
    "state" TEXT NOT NULL DEFAULT 'running',
    "stateReason" TEXT,
    "policy" JSONB NOT NULL,
    "waves" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "fleet_upgrade_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "fleet_upgrade_createdAt_idx" ON "fleet_upgrade"("createdAt");

-- At most one rollout in flight, whatever the portal does: the worker would refuse a second anyway (one workflow id).
CREATE UNIQUE INDEX "fleet_upgrade_one_in_flight" ON "fleet_upgrade"((true)) WHERE "state" IN ('running', 'paused');
