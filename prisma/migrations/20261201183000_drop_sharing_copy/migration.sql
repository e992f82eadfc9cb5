-- Issue 14: sharing lives in the photo app (albums, assets, partners, shared links). These tables were a second copy
-- of the Immich model that nothing wrote or read, and a copy can only drift from the real one. Dropped, nothing to
-- migrate (they were never written).
DROP TABLE IF EXISTS "shared_link_asset";
DROP TABLE IF EXISTS "shared_link";
DROP TABLE IF EXISTS "partner_share";
DROP TABLE IF EXISTS "album_asset";
DROP TABLE IF EXISTS "album_member";
DROP TABLE IF EXISTS "asset";
DROP TABLE IF EXISTS "album";
DROP TYPE IF EXISTS "album_role";
