--
-- 00_setup: install the extension, check what it installs, boot the
-- simulated machine once, and helpers for the other files.
--
-- The suite runs against a server whose configuration sets
-- dualboot.state_path and dualboot.boot_marker_path (test/t/20-regress.t).
-- Lines starting with \! run in a shell with these environment variables:
--   DUALBOOTCTL       the dualbootctl binary
--   DUALBOOT_CONF     an empty dualbootctl configuration
--   DUALBOOT_STATE    the record (= dualboot.state_path)
--   DUALBOOT_MARKER   the boot marker (= dualboot.boot_marker_path)
--   DUALBOOT_DIR      the folder of both
--   DUALBOOT_FORGE    test/forge-record.py (record surgery, CRC recomputed)
-- A simulated boot is `dualbootctl boot-select`: the decision the initramfs
-- makes, written to the record, and a marker carrying this kernel's boot_id.
--
CREATE EXTENSION dualboot;

SELECT e.extname, e.extnamespace::regnamespace AS schema, e.extrelocatable, e.extversion
FROM pg_extension e WHERE e.extname = 'dualboot';

-- the API: volatility, parallel safety, and whether PUBLIC may execute it
SELECT p.proname,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       p.provolatile AS vol,
       p.proparallel AS par,
       coalesce(p.proacl IS NULL OR EXISTS (
           SELECT 1 FROM aclexplode(p.proacl) a
           WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'), false) AS public_execute
FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND p.proname IN ('dualboot_status', 'dualboot_current_slot', 'dualboot_history',
                    'dualboot_require_test', 'dualboot_require_stable',
                    'dualboot_mark_test', 'dualboot_confirm',
                    'dualboot_request_failback', 'dualboot_promote',
                    'dualboot_record_fingerprint')
ORDER BY p.proname;

-- the status columns are a contract (DESIGN section 7); so is the history;
-- every mutator returns the status row
CREATE FUNCTION pg_temp.columns(f regprocedure) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(a.n, ', ' ORDER BY a.i)
    FROM pg_proc p, unnest(p.proargnames, p.proargmodes) WITH ORDINALITY AS a(n, m, i)
    WHERE p.oid = f AND a.m IN ('o', 't')
$$;
SELECT pg_temp.columns('pg_catalog.dualboot_status()') AS status_columns;
SELECT pg_temp.columns('pg_catalog.dualboot_history()') AS history_columns;
-- (the request functions return dualboot_status()'s columns of 1.1, the
-- first 15: 1.2 appended three to dualboot_status() alone)
SELECT p.proname, pg_temp.columns('pg_catalog.dualboot_status()')
         LIKE pg_temp.columns(p.oid) || ', last_trial_outcome, last_trial_detail, last_trial_at'
       AND pg_get_function_result(p.oid) = 'record' AS returns_status_row
FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND p.proname IN ('dualboot_mark_test', 'dualboot_confirm', 'dualboot_request_failback',
                    'dualboot_promote', 'dualboot_record_fingerprint')
ORDER BY p.proname;

-- the settings: reloadable, never settable by a session
SELECT name, context, vartype, boot_val FROM pg_settings
WHERE name LIKE 'dualboot.%' ORDER BY name;
SELECT current_setting('dualboot.state_path') LIKE '/%' AS state_path_is_absolute;

-- helpers (in their own schema, used by every file)
CREATE SCHEMA dbtest;

-- replace the run's paths and boot_ids, so that messages compare equal
CREATE FUNCTION dbtest.scrub(t text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT regexp_replace(regexp_replace(
        replace(replace(replace(t,
            current_setting('dualboot.state_path'), '$STATE'),
            current_setting('dualboot.boot_marker_path'), '$MARKER'),
            regexp_replace(current_setting('dualboot.state_path'), '/[^/]*$', ''), '$DIR'),
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<boot_id>', 'g'),
        'operating system user "[^"]*"', 'operating system user "<user>"', 'g')
$$;

-- (callable by the unprivileged roles of 01_privileges, which may not read the paths)
ALTER FUNCTION dbtest.scrub(text) SECURITY DEFINER;
GRANT USAGE ON SCHEMA dbtest TO PUBLIC;

-- run a statement; report its SQLSTATE, message, detail and hint (scrubbed)
CREATE FUNCTION dbtest.try(cmd text,
    OUT code text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    code := '00000';
    message := 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
        detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    message := dbtest.scrub(message);
    detail := nullif(dbtest.scrub(detail), '');
    hint := nullif(dbtest.scrub(hint), '');
END
$$;

-- the status without its clock
CREATE VIEW dbtest.status AS
SELECT current_slot, "current_role", stable_slot, test_slot, next_boot_slot,
       trial_armed, tries_left, tries_total, confirmed, boot_count, seq,
       last_event, last_actor, last_reason,
       updated_at BETWEEN now() - interval '1 hour' AND now() + interval '1 hour' AS updated_recently
FROM pg_catalog.dualboot_status();

-- before the first boot through the hook: no marker, the slot is unknown
SELECT dualboot_current_slot() IS NULL AS slot_unknown;
\x on
SELECT * FROM dbtest.status;
\x off

-- boot the simulated machine: nothing armed, so the stable slot A
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT dualboot_current_slot();
\x on
SELECT * FROM dbtest.status;
\x off
-- (dualbootctl records its caller's uid as the application)
SELECT seq, event, slot, actor, regexp_replace(app, '^uid [0-9]+$', 'uid N') AS app, reason,
       "time" IS NOT NULL AS has_time
FROM dualboot_history();
