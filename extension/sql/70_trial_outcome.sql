-- dualboot 1.2, issue 17: dualboot_status() tells the last trial's outcome
-- (extension/observe.c, lib/outcome.c): three columns appended to those of
-- 00_core.sql, which this piece replaces (pieces are concatenated in name
-- order into the install script).

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
