--
-- 30_concurrency: a request is validated at the call but applied to the
-- newest record at commit. Session two queues mark_test and is held (by an
-- advisory lock, not by time) before its COMMIT; meanwhile this session
-- fails back and commits. Session two's request then lands on top of that.
-- (test/t/20-regress.t adds two sessions writing hundreds of requests at once)
--
SELECT current_slot, "current_role", trial_armed FROM dualboot_status();
SELECT seq AS seq0 FROM dualboot_status() \gset
\setenv DUALBOOT_TEST_DB :DBNAME
SELECT pg_advisory_lock(4242);
\! psql -X -q -d "$DUALBOOT_TEST_DB" -c "SET application_name = 'dualboot_regress_s2'; BEGIN; SELECT dualboot_mark_test(4, 'session two'); SELECT pg_advisory_xact_lock(4242); COMMIT;" > /dev/null 2>&1 &
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
-- both committed, in commit order, one change each
SELECT seq - :seq0 AS writes, trial_armed, tries_total, last_reason FROM dualboot_status();
SELECT seq - :seq0 AS n, event, reason, app FROM dualboot_history() LIMIT 2;
-- leave the machine disarmed
SELECT trial_armed FROM dualboot_request_failback('end of 30_concurrency');

-- leave the database as pg_regress made it, for the tests that follow
SET client_min_messages = warning;
DROP SCHEMA dbtest CASCADE;
DROP EXTENSION dualboot;
RESET client_min_messages;
