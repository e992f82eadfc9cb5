-- CreateIndex
CREATE INDEX "audit_event_targetType_targetId_at_idx" ON "audit_event"("targetType", "targetId", "at");
