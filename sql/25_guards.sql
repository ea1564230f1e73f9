--
-- 25_guards: a refused guard stops everything after it (issue 16).
--
--   outside a transaction block: the session ends (FATAL, 55000); shown here
--     through a second psql (the real client runs are in test/t/20-regress.t);
--   inside one: ERROR, and the transaction never commits, even when the error
--     is caught (savepoint, EXCEPTION block, psql's ON_ERROR_ROLLBACK).
--
-- (the record and the marker are put back at the end, for 30_concurrency)
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/guards.record" && cp -p "$DUALBOOT_MARKER" "$DUALBOOT_DIR/guards.marker"
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force --reason 'guard tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
\set VERBOSITY terse
CREATE TABLE dbtest.guarded (note text);

-- dualboot_require_stable() passes on the stable slot (1.1)
SELECT dualboot_require_stable();

-- on the stable slot, outside a transaction block: the session ends, the
-- statements after the guard never run
\! printf '%s\n' 'SELECT dualboot_require_test();' "INSERT INTO dbtest.guarded VALUES ('after the guard');" | psql -X -q -v VERBOSITY=terse -d contrib_regression > "$DUALBOOT_DIR/psql.out" 2>&1; echo "psql exit status $?"; grep -oE '(FATAL|ERROR): .*|connection to server was lost' "$DUALBOOT_DIR/psql.out"
SELECT count(*) AS rows_after_fatal FROM dbtest.guarded;

-- inside a transaction block: an error; the rest of the block fails and
-- nothing commits
BEGIN;
SELECT dualboot_require_test();
INSERT INTO dbtest.guarded VALUES ('in the block');
COMMIT;

-- the error caught by a savepoint: the transaction still cannot commit
BEGIN;
SAVEPOINT s;
SELECT dualboot_require_test();
ROLLBACK TO SAVEPOINT s;
INSERT INTO dbtest.guarded VALUES ('after a savepoint');
COMMIT;

-- ... by an EXCEPTION block
BEGIN;
DO $$
BEGIN
    PERFORM dualboot_require_test();
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END
$$;
INSERT INTO dbtest.guarded VALUES ('after an EXCEPTION block');
COMMIT;

-- ... by psql's ON_ERROR_ROLLBACK (a savepoint around every statement)
\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT dualboot_require_test();
INSERT INTO dbtest.guarded VALUES ('with ON_ERROR_ROLLBACK');
COMMIT;
\set ON_ERROR_ROLLBACK off

-- ... and PREPARE TRANSACTION is refused as well
BEGIN;
SAVEPOINT s;
SELECT dualboot_require_test();
ROLLBACK TO SAVEPOINT s;
INSERT INTO dbtest.guarded VALUES ('prepared');
PREPARE TRANSACTION 'guarded';
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid = 'guarded';

SELECT count(*) AS rows_committed FROM dbtest.guarded;

-- the next transaction is not affected (the mark ends with its transaction)
BEGIN;
INSERT INTO dbtest.guarded VALUES ('next transaction');
COMMIT;
SELECT note FROM dbtest.guarded;

-- on the test slot the guard passes and returns the slot
SELECT trial_armed FROM dualboot_mark_test(2, 'guard tests');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT dualboot_require_test();
BEGIN;
SELECT dualboot_require_test();
INSERT INTO dbtest.guarded VALUES ('on the test slot');
COMMIT;
\! printf '%s\n' 'SELECT dualboot_require_test();' "INSERT INTO dbtest.guarded VALUES ('second session, test slot');" | psql -X -q -At -v VERBOSITY=terse -d contrib_regression 2>&1; echo "psql exit status $?"
SELECT note FROM dbtest.guarded ORDER BY note;

-- dualboot_require_stable() refuses on the test slot, with the same strength
BEGIN;
SELECT dualboot_require_stable();
INSERT INTO dbtest.guarded VALUES ('billing run on the test slot');
COMMIT;
\! printf '%s\n' 'SELECT dualboot_require_stable();' "INSERT INTO dbtest.guarded VALUES ('billing, second session');" | psql -X -q -v VERBOSITY=terse -d contrib_regression > "$DUALBOOT_DIR/psql.out" 2>&1; echo "psql exit status $?"; grep -oE '(FATAL|ERROR): .*|connection to server was lost' "$DUALBOOT_DIR/psql.out"
SELECT count(*) AS billing_rows FROM dbtest.guarded WHERE note LIKE 'billing%';
-- unknown slot (no marker): both guards refuse
\! mv "$DUALBOOT_MARKER" "$DUALBOOT_MARKER.away"
BEGIN;
SAVEPOINT s;
SELECT dualboot_require_stable();
ROLLBACK TO SAVEPOINT s;
SELECT dualboot_require_test();
ROLLBACK;
\! mv "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"

\! rm -f "$DUALBOOT_DIR/psql.out"
-- the record and the marker as 20_lifecycle left them
\! cp -p "$DUALBOOT_DIR/guards.record" "$DUALBOOT_STATE" && cp -p "$DUALBOOT_DIR/guards.marker" "$DUALBOOT_MARKER" && rm "$DUALBOOT_DIR/guards.record" "$DUALBOOT_DIR/guards.marker"
DROP TABLE dbtest.guarded;
\set VERBOSITY default
