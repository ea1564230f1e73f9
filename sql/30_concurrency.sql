--
-- 30_concurrency: a request commits only against the record it was
-- validated against. Session two queues mark_test and is held (by an
-- advisory lock, not by time) before its COMMIT; meanwhile this session
-- fails back and commits. Session two's COMMIT then fails with 40001 (a
-- serialization failure naming the newer change) and writes nothing: the
-- failback stands. Then the same inside one transaction: a second request
-- made after someone else's change fails at the call.
-- (test/t/20-regress.t adds two sessions writing hundreds of requests at once)
--
SELECT current_slot, "current_role", trial_armed FROM dualboot_status();
SELECT seq AS seq0 FROM dualboot_status() \gset
\setenv DUALBOOT_TEST_DB :DBNAME
SELECT pg_advisory_lock(4242);
\! psql -X -q -d "$DUALBOOT_TEST_DB" -c "SET application_name = 'dualboot_regress_s2'; BEGIN; SELECT dualboot_mark_test(4, 'session two'); SELECT pg_advisory_xact_lock(4242); COMMIT;" > /dev/null 2> "$DUALBOOT_DIR/s2.err" &
-- wait (bounded) until session two has queued its request and waits
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        PERFORM pg_stat_clear_snapshot();   -- pg_stat_activity is cached per transaction
        PERFORM 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND NOT l.granted
          AND a.application_name = 'dualboot_regress_s2';
        IF FOUND THEN
            RETURN;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RAISE EXCEPTION 'session two never reached its COMMIT';
END
$$;
-- session two's request is queued, not written
SELECT seq - :seq0 AS writes, trial_armed FROM dualboot_status();
-- this session fails back and commits first
SELECT seq - :seq0 AS writes_after_commit, trial_armed, last_reason
FROM dualboot_request_failback('session one');
SELECT pg_advisory_unlock(4242);
-- wait (bounded) until session two is gone
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        PERFORM pg_stat_clear_snapshot();
        PERFORM 1 FROM pg_stat_activity WHERE application_name = 'dualboot_regress_s2';
        IF NOT FOUND THEN
            RETURN;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RAISE EXCEPTION 'session two did not finish';
END
$$;
-- session two's COMMIT failed with 40001 and says what changed (the actor,
-- a role name that differs between machines, the path and the sequence
-- numbers, which depend on the files before this one, are replaced)
\! sed -E -e 's/ by [^ ]* \(application/ by <actor> (application/' -e 's|"[^"]*" *:|"$STATE":|' -e 's/(sequence|is at) [0-9]+/\1 <n>/g' "$DUALBOOT_DIR/s2.err"; rm -f "$DUALBOOT_DIR/s2.err"
-- only the failback was written: the stale mark_test did not undo it
SELECT seq - :seq0 AS writes, trial_armed, tries_total, last_reason FROM dualboot_status();
SELECT seq - :seq0 AS n, event, reason, app FROM dualboot_history() LIMIT 1;

-- in one transaction: a request queued, someone else's change, a second
-- request: 40001 at the call (the first one was validated against an older
-- record), and nothing is written at all
SELECT seq AS seq1 FROM dualboot_status() \gset
BEGIN;
SELECT trial_armed FROM dualboot_mark_test(2, 'first request');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" failback --reason 'operator, in between' > /dev/null
\set VERBOSITY sqlstate
SELECT trial_armed FROM dualboot_request_failback('second request');
\set VERBOSITY default
ROLLBACK;
-- the same change between the call and COMMIT: 40001 at COMMIT
BEGIN;
SELECT trial_armed FROM dualboot_mark_test(2, 'validated before the change');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" failback --reason 'operator, again' > /dev/null
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
SELECT seq - :seq1 AS writes, trial_armed, last_reason FROM dualboot_status();
-- a transaction that only reads commits whatever happened meanwhile
BEGIN;
SELECT trial_armed FROM dualboot_status();
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" failback --reason 'operator, a third time' > /dev/null
COMMIT;
-- leave the machine disarmed
SELECT trial_armed FROM dualboot_request_failback('end of 30_concurrency');

-- leave the database as pg_regress made it, for the tests that follow
SET client_min_messages = warning;
DROP SCHEMA dbtest CASCADE;
DROP EXTENSION dualboot;
RESET client_min_messages;
