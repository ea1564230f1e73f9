-- dualboot 1.1 -> 1.2 (ALTER EXTENSION dualboot UPDATE TO '1.2').
--
-- Each change of 1.2 has a section of its own, headed "-- issue N: ...". A
-- fresh install of 1.2 (extension/sql/*.sql) and this update give the same
-- objects: sql/35_upgrade.sql checks it.

\echo Use "ALTER EXTENSION dualboot UPDATE TO '1.2'" to load this file. \quit

-- issue 17: dualboot_status() gains last_trial_outcome, last_trial_detail,
-- last_trial_at (appended). Its row type changes, so it is dropped and
-- created again (a view of yours over it must be dropped first and created
-- again after the update); it stays open to PUBLIC.
DROP FUNCTION pg_catalog.dualboot_status();

CREATE FUNCTION pg_catalog.dualboot_status(
    OUT current_slot text,
    OUT "current_role" text,
    OUT stable_slot text,
    OUT test_slot text,
    OUT next_boot_slot text,
    OUT trial_armed boolean,
    OUT tries_left integer,
    OUT tries_total integer,
    OUT confirmed boolean,
    OUT boot_count bigint,
    OUT seq bigint,
    OUT last_event text,
    OUT last_actor text,
    OUT last_reason text,
    OUT updated_at timestamptz,
    OUT last_trial_outcome text,
    OUT last_trial_detail text,
    OUT last_trial_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_status'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_status() IS
'dualboot: the boot state record as it is now, the slot this boot runs, and the last trial''s outcome';
