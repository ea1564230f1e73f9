--
-- 40_safety: issue 15 from SQL (one cluster plays both slots, as in
-- 20_lifecycle): a test slot of unknown provenance is not promoted without
-- the override; dualboot_mark_test() on stable records where its WAL stands;
-- a rehearsal recorded on the test slot is listed, survives failback, and is
-- replayed on stable only from its starting schema and only to its result.
-- (The provenance check against real copies and real writes on stable:
-- test/t/22-safe-promotion.t.)
--
CREATE EXTENSION IF NOT EXISTS dualboot;
CREATE FUNCTION pg_temp.try(cmd text, OUT code text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    code := '00000';
    message := 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END
$$;
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force --reason 'safety tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='

-- nothing known yet
SELECT slot, role, known, system_identifier, copy_lsn FROM dualboot_provenance();
SELECT how, lsn, analysis, promotion_refused LIKE '%provenance of the test slot B is unknown%' AS refused
FROM dualboot_stop_point();

-- rehearsals run on the test slot only
SELECT * FROM pg_temp.try($$SELECT dualboot_rehearsal_begin('m1')$$);
SELECT * FROM pg_temp.try($$SELECT dualboot_rehearsal_begin('')$$);
SELECT * FROM pg_temp.try($$SELECT dualboot_rehearsal_begin(repeat('x', 40))$$);

-- arming on stable records its WAL position: the stop point of a mark_test
SELECT test_slot FROM dualboot_mark_test(2, 'rehearse m1');
SELECT how, lsn IS NOT NULL AND lsn <= pg_current_wal_insert_lsn() AS lsn_recorded, analysis,
       data_records, promotion_refused IS NOT NULL AS refused
FROM dualboot_stop_point();

-- the trial boot of B: rehearse migration m1
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT * FROM pg_temp.try($$SELECT dualboot_rehearsal_end('m1')$$);
SELECT dualboot_rehearsal_begin('m1') = dualboot_schema_fingerprint() AS begin_records_live_schema;
SELECT name, database = current_database() AS this_db, state, slot, fingerprint_after IS NULL AS no_result_yet
FROM dualboot_rehearsals();
CREATE TABLE public.m1 (id int PRIMARY KEY, note text);
SELECT dualboot_rehearsal_end('m1') = dualboot_schema_fingerprint() AS end_records_live_schema;
SELECT name, state, slot, fingerprint_before <> fingerprint_after AS changed, ended_at >= began_at AS ended
FROM dualboot_rehearsals();
SELECT * FROM pg_temp.try($$SELECT dualboot_rehearsal_end('m1')$$);
-- a rehearsal rolled back is not recorded
BEGIN;
SELECT dualboot_rehearsal_begin('rolled back') IS NOT NULL AS queued;
ROLLBACK;
SELECT count(*) AS rehearsals FROM dualboot_rehearsals();

-- promoting this copy of unknown provenance: refused (55000), unless overridden
SELECT confirmed FROM dualboot_confirm();
SELECT * FROM pg_temp.try($$SELECT dualboot_promote()$$);
SELECT * FROM pg_temp.try($$SELECT dualboot_promote('keep B')$$);
BEGIN;
SELECT stable_slot, test_slot FROM dualboot_promote(discard_stable_writes => true, reason => 'keep B');
ROLLBACK;
-- the override must be given
SELECT * FROM pg_temp.try($$SELECT dualboot_promote(NULL::boolean)$$);
-- not this time: back to stable, the rehearsal stays
SELECT trial_armed FROM dualboot_request_failback('replay m1 on stable instead');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT name, state FROM dualboot_rehearsals();
SELECT how FROM dualboot_stop_point();
-- (one cluster plays both slots: stable's schema is the one before m1)
DROP TABLE public.m1;

-- replaying on stable: outside a transaction block the session ends, and
-- nothing after it runs
\setenv DUALBOOT_TEST_DB :DBNAME
\! psql -X -q -d "$DUALBOOT_TEST_DB" -c "SELECT dualboot_require_rehearsed('m1')" -c "CREATE TABLE public.m9 (id int)" 2>&1 | sed -n 's/.*FATAL: *//p'
SELECT to_regclass('public.m9') IS NULL AS nothing_after_it_ran;
BEGIN;
SELECT * FROM pg_temp.try($$SELECT dualboot_require_rehearsed('m2')$$);
ROLLBACK;
-- a migration that is not the rehearsed one does not commit
BEGIN;
SELECT dualboot_require_rehearsed('m1') = fingerprint_after AS expects_result
FROM dualboot_rehearsals() WHERE name = 'm1';
CREATE TABLE public.m1 (id bigint PRIMARY KEY, note text);
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
SELECT to_regclass('public.m1') IS NULL AS not_committed;
-- nor does half of it
BEGIN;
SELECT dualboot_require_rehearsed('m1') IS NOT NULL AS replaying;
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
-- nor a prepared transaction
BEGIN;
SELECT dualboot_require_rehearsed('m1') IS NOT NULL AS replaying;
CREATE TABLE public.m1 (id int PRIMARY KEY, note text);
PREPARE TRANSACTION 'm1';
-- the rehearsed migration commits
BEGIN;
SELECT dualboot_require_rehearsed('m1') IS NOT NULL AS replaying;
CREATE TABLE public.m1 (id int PRIMARY KEY, note text);
COMMIT;
SELECT to_regclass('public.m1') IS NOT NULL AS committed;
-- and cannot be replayed twice: the live schema is the rehearsal's result now
BEGIN;
SELECT * FROM pg_temp.try($$SELECT dualboot_require_rehearsed('m1')$$);
ROLLBACK;

DROP TABLE public.m1;
DROP EXTENSION dualboot;
