-- dualboot 1.1: the boot intent API (extension/api.c), DESIGN sections 4.1 and 7.
-- Objects live in pg_catalog (see dualboot.control); every reference is
-- schema-qualified so that nothing resolves through the caller's search_path.

\echo Use "CREATE EXTENSION dualboot" to load this file. \quit

-- ---------------------------------------------------------------------
-- Readers: open to everyone.
-- ---------------------------------------------------------------------

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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_status'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_status() IS
'dualboot: the boot state record as it is now, and the slot this boot runs';

CREATE FUNCTION pg_catalog.dualboot_current_slot()
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_current_slot'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_current_slot() IS
'dualboot: A or B, or NULL when this boot was not selected by the dualboot hook';

CREATE FUNCTION pg_catalog.dualboot_history(
    OUT seq bigint,
    OUT "time" timestamptz,
    OUT event text,
    OUT slot text,
    OUT actor text,
    OUT app text,
    OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dualboot_history'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;

COMMENT ON FUNCTION pg_catalog.dualboot_history() IS
'dualboot: the history ring of the boot state record, newest first';

-- A guard, not a change: migration scripts run it as their first statement,
-- whatever role runs them, so it stays executable by PUBLIC.
CREATE FUNCTION pg_catalog.dualboot_require_test()
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_require_test'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_require_test() IS
'dualboot: refuse unless this server runs on the test slot (outside a transaction block the session ends; inside one the transaction cannot commit)';

-- (1.1) The same guard for jobs that must only run on production.
CREATE FUNCTION pg_catalog.dualboot_require_stable()
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_require_stable'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_require_stable() IS
'dualboot: refuse unless this server runs on the stable slot (outside a transaction block the session ends; inside one the transaction cannot commit)';

-- ---------------------------------------------------------------------
-- Mutators: queue a request written when the transaction commits; they
-- return the status row as it will be after the commit. Revoked from
-- PUBLIC: superusers, or the roles a DBA grants EXECUTE to.
-- ---------------------------------------------------------------------

CREATE FUNCTION pg_catalog.dualboot_mark_test(
    tries integer DEFAULT 3,
    reason text DEFAULT NULL,
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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_mark_test'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_mark_test(integer, text) IS
'dualboot: arm a trial boot of the test slot with this many tries (at commit)';

CREATE FUNCTION pg_catalog.dualboot_confirm(
    expected_fingerprint text DEFAULT NULL,
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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_confirm'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_confirm(text) IS
'dualboot: declare this trial boot of the test slot healthy, refilling its tries (at commit)';

CREATE FUNCTION pg_catalog.dualboot_request_failback(
    reason text DEFAULT NULL,
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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_request_failback'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_request_failback(text) IS
'dualboot: disarm the trial, the next boot is the stable slot (at commit)';

CREATE FUNCTION pg_catalog.dualboot_promote(
    reason text DEFAULT NULL,
    expected_fingerprint text DEFAULT NULL,
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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_promote'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_promote(text, text) IS
'dualboot: make the confirmed test slot the stable slot (at commit)';

CREATE FUNCTION pg_catalog.dualboot_record_fingerprint(
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
    OUT updated_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_record_fingerprint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_record_fingerprint() IS
'dualboot: store this database''s schema fingerprint for the current slot (at commit)';

REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_mark_test(integer, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_confirm(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_request_failback(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_promote(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_record_fingerprint() FROM PUBLIC;
