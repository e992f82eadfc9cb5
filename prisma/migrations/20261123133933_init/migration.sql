-- CreateTable
CREATE TABLE "docker_host" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL DEFAULT 10,
    "engineVersion" TEXT,
    "apiVersion" TEXT,
    "lastProbedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "docker_host_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "docker_host_name_key" ON "docker_host"("name");
