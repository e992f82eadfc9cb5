-- Removing an inspection stack (SPEC F1): when support asked for it (set with the request, cleared again if the
-- removal fails, so it can be asked again) and when the stack was gone from its Docker host. A later inspection
-- restore of the same instance replaces the stack, which also ends the earlier row's stack.
ALTER TABLE "instance_restore" ADD COLUMN "removalRequestedAt" TIMESTAMP(3),
ADD COLUMN "removedAt" TIMESTAMP(3);
