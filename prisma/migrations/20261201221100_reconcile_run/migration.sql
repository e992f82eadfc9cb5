-- The last reconcile's drift as a metric (SPEC F2): one row per reconcile run, by host.
CREATE TABLE "reconcile_run" (
    "id" UUID NOT NULL,
    "hostName" TEXT NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked" INTEGER NOT NULL,
    "failed" INTEGER NOT NULL,
    "drift" JSONB NOT NULL,

    CONSTRAINT "reconcile_run_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "reconcile_run_hostName_finishedAt_idx" ON "reconcile_run"("hostName", "finishedAt");
