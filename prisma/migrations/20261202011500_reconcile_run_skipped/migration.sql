-- Reconcile leaves an instance alone while an in-place restore runs on it (SPEC F1/F2): each run records which
-- instances it skipped and why, beside what it repaired.
ALTER TABLE "reconcile_run" ADD COLUMN "skipped" JSONB NOT NULL DEFAULT '[]';
