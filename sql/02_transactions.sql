--
-- 02_transactions: a request changes the record only if its transaction
-- commits. It is validated and queued at the call, written at pre-commit,
-- dropped on abort and with a rolled-back savepoint; PREPARE is refused.
--
-- (the machine runs its stable slot A, nothing armed)
SELECT current_slot, "current_role", trial_armed FROM dualboot_status();
CREATE TABLE dbtest.migration_step (n int);

-- the call returns the state as it will be after the commit, but the
-- record itself does not change before the commit
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT seq - :seq0 AS seq_after_commit, trial_armed, tries_left, next_boot_slot
FROM dualboot_mark_test(3, 'rolled back');
SELECT seq - :seq0 AS seq_now, trial_armed, next_boot_slot FROM dualboot_status();
ROLLBACK;
SELECT seq - :seq0 AS seq_now, trial_armed, next_boot_slot FROM dualboot_status();

-- committed: one write
BEGIN;
SELECT seq - :seq0 AS seq_after_commit, trial_armed FROM dualboot_mark_test(3, 'committed');
COMMIT;
SELECT seq - :seq0 AS seq_now, trial_armed, tries_left, last_event, last_reason
FROM dualboot_status();

-- several calls of the same request collapse into one write: the last wins
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT seq - :seq0 AS seq_after_commit, tries_total FROM dualboot_mark_test(4, 'first');
SELECT seq - :seq0 AS seq_after_commit, tries_total FROM dualboot_mark_test(6, 'second');
SELECT seq - :seq0 AS seq_after_commit, tries_total FROM dualboot_mark_test(5, 'third');
COMMIT;
SELECT seq - :seq0 AS writes, tries_total, last_reason FROM dualboot_status();

-- different requests apply in order, in one write under one lock
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT seq - :seq0 AS seq_after_commit, trial_armed FROM dualboot_request_failback('disarm');
SELECT seq - :seq0 AS seq_after_commit, trial_armed, tries_total FROM dualboot_mark_test(2, 'arm again');
COMMIT;
SELECT seq - :seq0 AS changes, trial_armed, tries_total, last_reason FROM dualboot_status();
SELECT event, reason FROM dualboot_history() LIMIT 2;

-- a second transaction repeating the same request is harmless
SELECT seq AS seq0 FROM dualboot_status() \gset
SELECT seq - :seq0 AS seq_after, trial_armed, next_boot_slot FROM dualboot_request_failback('once');
SELECT seq - :seq0 AS seq_after, trial_armed, next_boot_slot FROM dualboot_request_failback('twice');

-- a rolled-back savepoint drops what was asked inside it; the request it
-- had replaced comes back
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT tries_total FROM dualboot_mark_test(2, 'outer');
SAVEPOINT s1;
SELECT tries_total FROM dualboot_mark_test(7, 'inner, rolled back');
ROLLBACK TO SAVEPOINT s1;
COMMIT;
SELECT seq - :seq0 AS writes, tries_total, last_reason FROM dualboot_status();

-- a released savepoint keeps it
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT tries_total FROM dualboot_mark_test(2, 'outer');
SAVEPOINT s1;
SELECT tries_total FROM dualboot_mark_test(6, 'inner, released');
RELEASE SAVEPOINT s1;
COMMIT;
SELECT seq - :seq0 AS writes, tries_total, last_reason FROM dualboot_status();

-- nested: the inner savepoint commits into the outer one, which is then
-- rolled back; the request made before both stays
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT trial_armed FROM dualboot_mark_test(3, 'before the savepoints');
SAVEPOINT a;
SELECT trial_armed FROM dualboot_request_failback('in a');
SAVEPOINT b;
SELECT trial_armed, tries_total FROM dualboot_mark_test(4, 'in b');
RELEASE SAVEPOINT b;
ROLLBACK TO SAVEPOINT a;
COMMIT;
SELECT seq - :seq0 AS writes, trial_armed, tries_total, last_reason FROM dualboot_status();

-- an aborted migration leaves the record unchanged: an error without a
-- savepoint, a failed step in a savepoint, a PL/pgSQL exception block
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT trial_armed FROM dualboot_request_failback('migration failed');
INSERT INTO dbtest.migration_step VALUES (1 / 0);
COMMIT;
BEGIN;
SAVEPOINT step;
SELECT trial_armed FROM dualboot_request_failback('step failed');
INSERT INTO dbtest.migration_step VALUES (1 / 0);
ROLLBACK TO SAVEPOINT step;
COMMIT;
DO $$
BEGIN
    BEGIN
        PERFORM dualboot_request_failback('inside an exception block');
        RAISE EXCEPTION 'migration step failed';
    EXCEPTION WHEN raise_exception THEN
        RAISE NOTICE 'caught: %', SQLERRM;
    END;
END
$$;
SELECT seq - :seq0 AS writes, trial_armed, last_reason FROM dualboot_status();

-- a function that succeeds inside an exception block keeps its request
DO $$
BEGIN
    BEGIN
        PERFORM dualboot_mark_test(1, 'from a block that succeeded');
    EXCEPTION WHEN others THEN
        RAISE NOTICE 'not reached';
    END;
END
$$;
SELECT seq - :seq0 AS writes, trial_armed, tries_total, last_reason FROM dualboot_status();

-- a refused call leaves the queue as it was, and the transaction aborted
BEGIN;
SELECT tries_total FROM dualboot_mark_test(2, 'queued');
SELECT * FROM dualboot_mark_test(9, 'too many');
COMMIT;
SELECT tries_total, last_reason FROM dualboot_status();

-- bad arguments: SQLSTATE 22023 at the call
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/before"
SELECT * FROM dualboot_mark_test(0);
SELECT * FROM dualboot_mark_test(8);
SELECT * FROM dualboot_mark_test(NULL);
SELECT * FROM dualboot_mark_test(3, repeat('x', 192));
SELECT * FROM dualboot_mark_test(3, E'two\nlines');
SELECT t.arg, r.code FROM (VALUES ('0'), ('8'), ('NULL'), ('3, repeat(''x'', 192)')) AS t(arg),
    LATERAL dbtest.try('SELECT * FROM dualboot_mark_test(' || t.arg || ')') AS r;
-- none of them touched the bytes on disk
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/before" && echo "record untouched"
-- the bounds themselves are fine
BEGIN;
SELECT tries_total, length(last_reason) FROM dualboot_mark_test(7, repeat('é', 95) || 'x');
SELECT tries_total FROM dualboot_mark_test(1);
ROLLBACK;

-- a read-only transaction changes nothing (25006), but reads
BEGIN READ ONLY;
SELECT trial_armed FROM dualboot_status();
SELECT * FROM dualboot_mark_test(3, 'read only');
ROLLBACK;
SET default_transaction_read_only = on;
SELECT * FROM dualboot_request_failback();
RESET default_transaction_read_only;

-- PREPARE TRANSACTION after a request is refused (0A000), and the
-- transaction is rolled back
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
INSERT INTO dbtest.migration_step VALUES (2);
SELECT trial_armed FROM dualboot_request_failback('prepared');
PREPARE TRANSACTION 'dualboot_regress';
\set VERBOSITY sqlstate
BEGIN;
SELECT trial_armed FROM dualboot_request_failback('prepared');
PREPARE TRANSACTION 'dualboot_regress';
\set VERBOSITY default
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid = 'dualboot_regress';
SELECT count(*) AS steps FROM dbtest.migration_step;
SELECT seq - :seq0 AS writes, trial_armed FROM dualboot_status();
-- without a request, PREPARE is not the extension's business
BEGIN;
INSERT INTO dbtest.migration_step VALUES (3);
SELECT trial_armed FROM dualboot_status();
PREPARE TRANSACTION 'dualboot_regress_read_only';
COMMIT PREPARED 'dualboot_regress_read_only';
SELECT n FROM dbtest.migration_step;

-- an error at pre-commit (here: the record vanished between the call and
-- the commit) aborts the whole transaction with the error, nothing written
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
INSERT INTO dbtest.migration_step VALUES (4);
SELECT trial_armed FROM dualboot_request_failback('lost at commit');
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away"
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
\! mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"
SELECT count(*) AS steps_after_failed_commit FROM dbtest.migration_step WHERE n = 4;
SELECT seq - :seq0 AS writes, trial_armed, last_reason FROM dualboot_status();
-- the message of that error, with the path
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away"
\x on
SELECT * FROM dbtest.try('SELECT * FROM dualboot_request_failback()');
\x off
\! mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"

-- leave the machine disarmed
SELECT trial_armed FROM dualboot_request_failback('end of 02_transactions');
