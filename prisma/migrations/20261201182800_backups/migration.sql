-- CreateTable
CREATE TABLE "instance_backup" (
    "id" TEXT NOT NULL,
    "instanceId" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "databaseSnapshotId" TEXT,
    "librarySnapshotId" TEXT,
    "bytesProcessed" BIGINT,
    "bytesAdded" BIGINT,
    "error" TEXT,
    "actorId" TEXT,
    "reason" TEXT,

    CONSTRAINT "instance_backup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backup_check" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "checkedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ok" BOOLEAN NOT NULL,
    "errors" TEXT,

    CONSTRAINT "backup_check_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_restore" (
    "id" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "backupId" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "inspectionInstanceId" TEXT,
    "appHostPort" INTEGER,
    "error" TEXT,
    "actorId" TEXT,
    "reason" TEXT,

    CONSTRAINT "instance_restore_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "instance_backup_instanceId_startedAt_idx" ON "instance_backup"("instanceId", "startedAt");

-- CreateIndex
CREATE INDEX "instance_backup_status_finishedAt_idx" ON "instance_backup"("status", "finishedAt");

-- CreateIndex
CREATE INDEX "backup_check_instanceId_checkedAt_idx" ON "backup_check"("instanceId", "checkedAt");

-- CreateIndex
CREATE INDEX "instance_restore_instanceId_startedAt_idx" ON "instance_restore"("instanceId", "startedAt");
