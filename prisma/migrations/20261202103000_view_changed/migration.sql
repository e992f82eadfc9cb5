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
-- Both the old and the new row are told (a row that moves leaves a view and joins another). An UPDATE that changes
-- nothing tells nothing. TRUNCATE tells `*` (forget every view). PostgreSQL folds the same tag told twice in one
-- transaction into one notification. The function body is an E'' string whose semicolons are the octal escape
-- \073, since Prisma's pg driver adapter splits migration scripts at every semicolon (see 20261201214141).
CREATE FUNCTION "photoplane_view_changed"() RETURNS trigger LANGUAGE plpgsql AS E'DECLARE
  changed jsonb[] := ARRAY[]::jsonb[]\073
  r jsonb\073
  tags text[]\073
  t text\073
BEGIN
  IF TG_OP = ''TRUNCATE'' THEN
    PERFORM pg_notify(''photoplane_view_changed'', ''*'')\073
    RETURN NULL\073
  END IF\073
  IF TG_OP <> ''INSERT'' THEN changed := changed || to_jsonb(OLD)\073 END IF\073
  IF TG_OP <> ''DELETE'' THEN changed := changed || to_jsonb(NEW)\073 END IF\073
  FOREACH r IN ARRAY changed LOOP
    tags := CASE TG_TABLE_NAME
      WHEN ''account'' THEN ARRAY[''account:'' || (r->>''id'')]
      WHEN ''subscription'' THEN ARRAY[''account:'' || (r->>''accountId''), ''subscription:'' || (r->>''id'')]
      WHEN ''plan'' THEN ARRAY[''plan:'' || (r->>''id'')]
      WHEN ''instance'' THEN ARRAY[''instance:'' || (r->>''id''), ''subscription:'' || (r->>''subscriptionId''),
                                 ''subdomain:'' || (r->>''subdomain'')]
      WHEN ''member'' THEN ARRAY[''instance:'' || (r->>''instanceId'')]
      WHEN ''instance_restore'' THEN ARRAY[''instance:'' || (r->>''instanceId'')]
      WHEN ''audit_event'' THEN ARRAY[''subscription:'' || (r->>''targetId'')]
      ELSE ARRAY[''*'']
    END\073
    FOREACH t IN ARRAY tags LOOP
      IF t IS NOT NULL THEN PERFORM pg_notify(''photoplane_view_changed'', t)\073 END IF\073
    END LOOP\073
  END LOOP\073
  RETURN NULL\073
END';

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "account"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "account"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "account"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "subscription"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "subscription"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "subscription"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "plan"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "plan"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "plan"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "instance"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "instance"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "instance"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "member"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "member"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "member"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert_delete" AFTER INSERT OR DELETE ON "instance_restore"
  FOR EACH ROW EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_update" AFTER UPDATE ON "instance_restore"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "instance_restore"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();

CREATE TRIGGER "view_changed_on_insert" AFTER INSERT ON "audit_event"
  FOR EACH ROW WHEN (NEW."targetType" = 'subscription') EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_delete" AFTER DELETE ON "audit_event"
  FOR EACH ROW WHEN (OLD."targetType" = 'subscription') EXECUTE FUNCTION "photoplane_view_changed"();
CREATE TRIGGER "view_changed_on_truncate" AFTER TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "photoplane_view_changed"();
