-- CreateTable
CREATE TABLE "instance_export" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "fileName" TEXT,
    "bytes" BIGINT,
    "tokenHash" TEXT,
    "downloads" INTEGER NOT NULL DEFAULT 0,
    "lastDownloadAt" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "instance_export_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "instance_export_tokenHash_key" ON "instance_export"("tokenHash");

-- CreateIndex
CREATE INDEX "instance_export_instanceId_requestedAt_idx" ON "instance_export"("instanceId", "requestedAt");

-- CreateIndex
CREATE INDEX "instance_export_status_expiresAt_idx" ON "instance_export"("status", "expiresAt");
