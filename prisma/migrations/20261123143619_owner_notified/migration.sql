-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "ownerNotifiedAt" TIMESTAMP(3);
