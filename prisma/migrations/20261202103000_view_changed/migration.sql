-- Issue 18: the portal answers its signed-in views (the account, the subscription view, the members' view of an
-- instance) from memory, each remembered under tags naming the rows it was read from. Every change of such a row,
-- from any process, NOTIFYs those tags on `photoplane_view_changed` at commit, and every portal drops the views that
-- named one (apps/portal/src/platform/data/view-cache.ts). What each table's row tells:
--   account            account:<id>
--   subscription       account:<accountId>, subscription:<id>
--   plan               plan:<id>
--   instance           instance:<id>, subscription:<subscriptionId>, subdomain:<subdomain>
--   member             instance:<instanceId>
--   instance_restore   instance:<instanceId>
--   audit_event        subscription:<targetId>, for events about a subscription only
-- An inserted row tells its tags, a deleted one its old tags, an updated one its old tags and, when the columns
-- they are made of changed, its new ones (a row that moves leaves a view and joins another). An UPDATE that
-- changes nothing tells nothing. TRUNCATE tells `*` (forget every view). PostgreSQL folds the same tag told twice
-- in one transaction into one notification. One function per table, reading the columns directly (PL/pgSQL
-- compiles a trigger function per table: no conversion of the row to JSON). Each body is an E'' string whose
-- semicolons are the octal escape \073, since Prisma's pg driver adapter splits migration scripts at every
-- semicolon (see 20261201214141).
CREATE FUNCTION "photoplane_view_changed_truncated"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM pg_notify(''photoplane_view_changed'', ''*'')\073 RETURN NULL\073 END\073';

CREATE FUNCTION "photoplane_view_changed_account"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''account:'' || OLD."id")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND NEW."id" IS DISTINCT FROM OLD."id") THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''account:'' || NEW."id")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "account"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_account"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "account"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_account"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "account"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_subscription"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''account:'' || OLD."accountId")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || OLD."id")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND ROW(NEW."accountId", NEW."id") IS DISTINCT FROM ROW(OLD."accountId", OLD."id")) THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''account:'' || NEW."accountId")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || NEW."id")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "subscription"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_subscription"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "subscription"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_subscription"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "subscription"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_plan"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''plan:'' || OLD."id")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND NEW."id" IS DISTINCT FROM OLD."id") THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''plan:'' || NEW."id")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "plan"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_plan"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "plan"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_plan"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "plan"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_instance"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || OLD."id")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || OLD."subscriptionId")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subdomain:'' || OLD."subdomain")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND ROW(NEW."id", NEW."subscriptionId", NEW."subdomain") IS DISTINCT FROM ROW(OLD."id", OLD."subscriptionId", OLD."subdomain")) THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || NEW."id")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || NEW."subscriptionId")\073
    PERFORM pg_notify(''photoplane_view_changed'', ''subdomain:'' || NEW."subdomain")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "instance"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_instance"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "instance"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_instance"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "instance"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_member"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || OLD."instanceId")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND NEW."instanceId" IS DISTINCT FROM OLD."instanceId") THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || NEW."instanceId")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "member"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_member"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "member"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_member"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "member"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_instance_restore"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || OLD."instanceId")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND NEW."instanceId" IS DISTINCT FROM OLD."instanceId") THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''instance:'' || NEW."instanceId")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "instance_restore"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed_instance_restore"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "instance_restore"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed_instance_restore"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "instance_restore"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();

CREATE FUNCTION "photoplane_view_changed_audit_event"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP <> ''INSERT'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || OLD."targetId")\073
  END IF\073
  IF TG_OP = ''INSERT'' OR (TG_OP = ''UPDATE'' AND NEW."targetId" IS DISTINCT FROM OLD."targetId") THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''subscription:'' || NEW."targetId")\073
  END IF\073
  RETURN NULL\073
END\073';
CREATE TRIGGER "view_changed_on_insert" AFTER INSERT ON "audit_event"
  FOR EACH ROW WHEN (NEW."targetType" = 'subscription' AND NEW."targetId" IS NOT NULL) EXECUTE FUNCTION "photoplane_view_changed_audit_event"();
CREATE TRIGGER "view_changed_on_delete" AFTER DELETE ON "audit_event"
  FOR EACH ROW WHEN (OLD."targetType" = 'subscription' AND OLD."targetId" IS NOT NULL) EXECUTE FUNCTION "photoplane_view_changed_audit_event"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed_truncated"();
