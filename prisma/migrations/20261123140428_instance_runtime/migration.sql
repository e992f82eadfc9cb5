-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "appHostPort" INTEGER,
ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "photoAppApiKeyCipher" TEXT,
ADD COLUMN     "photoAppOwnerId" TEXT;
