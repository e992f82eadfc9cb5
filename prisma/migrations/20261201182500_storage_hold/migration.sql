-- Storage watchdog (issue 13): a hold of its own kind on the subscription, set when an instance's volumes exceed the
-- plan's hard limit, lifted by a plan that fits or by staff.
ALTER TABLE "subscription" ADD COLUMN "storageHoldSince" TIMESTAMP(3),
ADD COLUMN "storageHoldBytes" BIGINT,
ADD COLUMN "storageHoldLimitBytes" BIGINT;
