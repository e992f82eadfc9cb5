-- Issue 18: the portal caches "this sign-in is live" per process, and every way a session row stops counting (revoked,
-- shortened, deleted, also by a cascade from its account or member) tells every portal process at commit, on the
-- channel `photoplane_session_ended`, with the session's family id (a sign-in is live while some row of its family is).
-- Prisma's pg driver adapter splits migration scripts at every semicolon, so the function body is an E'' string whose
-- semicolons are written as the octal escape \073 (as in 20261201160000_staff_surface). OLD in both cases: the family
-- that lost a live row (a row moved into a family only makes that family more live).
CREATE FUNCTION "photoplane_session_ended"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM pg_notify(''photoplane_session_ended'', OLD."familyId"::text)\073 RETURN NULL\073 END\073';

CREATE TRIGGER "session_ended_on_update"
  AFTER UPDATE OF "revokedAt", "expiresAt", "familyId", "accountId" ON "session"
  FOR EACH ROW
  WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt"
        OR NEW."expiresAt" < OLD."expiresAt"
        OR OLD."familyId" IS DISTINCT FROM NEW."familyId"
        OR OLD."accountId" IS DISTINCT FROM NEW."accountId")
  EXECUTE FUNCTION "photoplane_session_ended"();

CREATE TRIGGER "session_ended_on_delete"
  AFTER DELETE ON "session"
  FOR EACH ROW
  EXECUTE FUNCTION "photoplane_session_ended"();
