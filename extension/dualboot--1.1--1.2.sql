-- dualboot 1.1 -> 1.2 (ALTER EXTENSION dualboot UPDATE TO '1.2').
--
-- Each part of 1.2 has its own section below, headed "-- issue N: ...",
-- holding the same objects as its piece of the install script
-- (extension/sql/*.sql). A fresh install of 1.2 and this update give the
-- same objects: sql/35_upgrade.sql checks it.

\echo Use "ALTER EXTENSION dualboot UPDATE TO '1.2'" to load this file. \quit

-- issue 15: isolation of the test slot during a trial (extension/isolation.c)

CREATE FUNCTION pg_catalog.dualboot_isolation(
    OUT isolation text,
    OUT setting text,
    OUT slot_role text,
    OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_isolation'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_isolation() IS
'dualboot: the isolation in force for new connections: local (only local clients, no replication: the test slot during a trial) or open';

REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_isolation() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.dualboot_isolation() TO pg_monitor;

-- issue 15: a trial never costs data: provenance of the test slot, safe
-- promotion and rehearsals replayed on stable (extension/safety.c,
-- docs/state-format.md section 16)

-- dualboot_promote() with the override of the provenance check: promote a
-- test slot of unknown provenance, or one whose copy misses what stable
-- wrote after it, throwing that away.
CREATE FUNCTION pg_catalog.dualboot_promote(
    discard_stable_writes boolean,
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
AS 'MODULE_PATHNAME', 'dualboot_promote_discard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_promote(boolean, text, text) IS
'dualboot: make the confirmed test slot the stable slot (at commit); discard_stable_writes => true promotes even when stable changed data after the test slot''s copy';

CREATE FUNCTION pg_catalog.dualboot_provenance(
    OUT slot text,
    OUT role text,
    OUT known boolean,
    OUT system_identifier numeric,
    OUT copy_lsn pg_lsn,
    OUT copied_at timestamptz,
    OUT source_slot text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dualboot_provenance'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_provenance() IS
'dualboot: where each slot''s data came from (dualbootctl refresh)';

CREATE FUNCTION pg_catalog.dualboot_stop_point(
    OUT how text,
    OUT lsn pg_lsn,
    OUT recorded_at timestamptz,
    OUT analysis text,
    OUT copy_lsn pg_lsn,
    OUT data_records bigint,
    OUT first_change pg_lsn,
    OUT relations text,
    OUT promotion_refused text)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_stop_point'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_stop_point() IS
'dualboot: where stable''s WAL stood when it stopped serving, what it changed since the test slot''s copy, and why a promotion would be refused (NULL: allowed)';

CREATE FUNCTION pg_catalog.dualboot_rehearsal_begin(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_rehearsal_begin'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_rehearsal_begin(text) IS
'dualboot: on the trial boot of the test slot, record this database''s schema fingerprint before a rehearsed migration (at commit)';

CREATE FUNCTION pg_catalog.dualboot_rehearsal_end(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_rehearsal_end'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_rehearsal_end(text) IS
'dualboot: on the trial boot of the test slot, record this database''s schema fingerprint after the rehearsed migration (at commit)';

CREATE FUNCTION pg_catalog.dualboot_rehearsals(
    OUT name text,
    OUT database text,
    OUT state text,
    OUT slot text,
    OUT fingerprint_before text,
    OUT fingerprint_after text,
    OUT began_at timestamptz,
    OUT ended_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dualboot_rehearsals'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_rehearsals() IS
'dualboot: the rehearsals recorded in the state record';

CREATE FUNCTION pg_catalog.dualboot_require_rehearsed(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_require_rehearsed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_require_rehearsed(text) IS
'dualboot: on stable, first statement of a migration''s transaction: refuses unless the rehearsal completed from this schema; the commit fails unless the schema then equals the rehearsal''s result';

REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_promote(boolean, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_rehearsal_begin(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_rehearsal_end(text) FROM PUBLIC;

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
