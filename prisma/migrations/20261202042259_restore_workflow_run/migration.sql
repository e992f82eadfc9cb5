-- A restore's Temporal workflow execution (SPEC F1): a restore whose workflow ended without closing its row (terminated
-- by hand, timed out) is found by asking Temporal for that execution, and closed as failed.
ALTER TABLE "instance_restore" ADD COLUMN "workflowId" TEXT,
ADD COLUMN "workflowRunId" TEXT;
