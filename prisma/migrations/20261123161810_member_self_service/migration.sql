-- CreateEnum
CREATE TYPE "theme_preference" AS ENUM ('system', 'light', 'dark');

-- CreateTable
CREATE TABLE "member_preference" (
    "instanceId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "theme" "theme_preference" NOT NULL DEFAULT 'system',
    "locale" TEXT,
    "displayOriginalPhotos" BOOLEAN NOT NULL DEFAULT false,
    "playVideoOnHover" BOOLEAN NOT NULL DEFAULT true,
    "permanentDeletionWarning" BOOLEAN NOT NULL DEFAULT true,
    "peopleLink" BOOLEAN NOT NULL DEFAULT true,
    "sharingLink" BOOLEAN NOT NULL DEFAULT true,
    "memories" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "member_preference_pkey" PRIMARY KEY ("memberId")
);

-- CreateTable
CREATE TABLE "member_two_factor" (
    "instanceId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "secretCipher" TEXT NOT NULL,
    "enabledAt" TIMESTAMP(3),
    "lastUsedStep" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "member_two_factor_pkey" PRIMARY KEY ("memberId")
);

-- CreateIndex
CREATE UNIQUE INDEX "member_preference_instanceId_memberId_key" ON "member_preference"("instanceId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "member_two_factor_instanceId_memberId_key" ON "member_two_factor"("instanceId", "memberId");

-- AddForeignKey
ALTER TABLE "member_preference" ADD CONSTRAINT "member_preference_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "member_two_factor" ADD CONSTRAINT "member_two_factor_instanceId_memberId_fkey" FOREIGN KEY ("instanceId", "memberId") REFERENCES "member"("instanceId", "id") ON DELETE CASCADE ON UPDATE RESTRICT;
