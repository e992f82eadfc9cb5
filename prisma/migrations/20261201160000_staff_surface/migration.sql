-- Staff accounts sign in with a second factor (SPEC A6): their TOTP secret, sealed with TOTP_ENCRYPTION_KEY, and the
-- step of the last code accepted (a code of that step or an earlier one is refused: no replay).
ALTER TABLE "account" ADD COLUMN "totpSecretCipher" TEXT,
ADD COLUMN "totpLastUsedStep" INTEGER;

-- Where a staff action came from (SPEC A5).
ALTER TABLE "audit_event" ADD COLUMN "clientIp" TEXT;

-- CreateIndex: audit search by actor and time.
CREATE INDEX "audit_event_actorId_at_idx" ON "audit_event"("actorId", "at");

-- The audit log is append-only at the database. The portal connects as the owner of its tables (the stack's
-- PostgreSQL user), so withholding UPDATE and DELETE grants would not bind it. Triggers do, for every role that does
-- not first drop them (which takes a migration: a deliberate and visible change).
-- Prisma's pg driver adapter splits migration scripts at every semicolon, so this file has none inside a statement:
-- the function body is an E'' string whose semicolons are written as the octal escape \073.
CREATE FUNCTION "audit_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN RAISE EXCEPTION ''audit_event is append-only: % refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END\073';

CREATE TRIGGER "audit_event_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_append_only"();

CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_append_only"();
