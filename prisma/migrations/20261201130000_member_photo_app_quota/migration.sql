-- AlterTable
ALTER TABLE "member" ADD COLUMN     "photoAppQuotaBytes" BIGINT;
