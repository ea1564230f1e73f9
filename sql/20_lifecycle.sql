--
-- 20_lifecycle: the life cycles of DESIGN section 2, with simulated boots
-- between the steps (dualbootctl boot-select: the initramfs decision, the
-- record update and a marker with this kernel's boot_id).
--
--   1. arm -> boot test -> unconfirmed reboots -> tries exhausted -> stable
--   2. arm -> boot test -> confirm -> request failback -> stable
--   3. arm -> boot test -> confirm (fingerprint checked) -> promote: roles swap
--   4. a request that no longer applies at commit is refused there
--   5. recorded fingerprints end with their trial (failback, a new trial,
--      promote), never with time
--
-- One cluster plays both slots here, so the test slot is never a copy of
-- stable: every promotion passes discard_stable_writes => true (the
-- provenance check itself: 40_safety and test/t/22-safe-promotion.t).
--
-- a fresh record, stable slot A, and a first boot
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force --reason 'life cycle tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT * FROM dbtest.status;

-- ---------------------------------------------------------------------
-- 1. a trial that never gets confirmed falls back by itself
-- ---------------------------------------------------------------------
-- on the stable slot: no migrations here, no confirm
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/before"
-- (in a transaction block: outside one a refused guard ends the session, 25_guards)
BEGIN;
SELECT code, message, hint FROM dbtest.try('SELECT dualboot_require_test()');
ROLLBACK;
SELECT code, message, hint FROM dbtest.try('SELECT * FROM dualboot_confirm()');
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/before" && echo "record untouched"
SELECT next_boot_slot, trial_armed, tries_left, tries_total, confirmed, last_event, last_reason
FROM dualboot_mark_test(2, 'rehearse migration 42');
-- boot 1 of 2: the test slot
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", next_boot_slot, trial_armed, tries_left, last_event, last_actor
FROM dualboot_status();
SELECT dualboot_require_test();
-- not confirmed; boot 2 of 2
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", next_boot_slot, trial_armed, tries_left FROM dualboot_status();
-- not confirmed; no tries left: the hook boots stable and records the failure
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", next_boot_slot, trial_armed, tries_left, confirmed,
       last_event, last_actor, last_reason
FROM dualboot_status();

-- ---------------------------------------------------------------------
-- 2. confirmed, then failed back on purpose
-- ---------------------------------------------------------------------
SELECT trial_armed, tries_left FROM dualboot_mark_test(3, 'rehearse migration 43');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", tries_left, confirmed FROM dualboot_status();
-- promote needs a confirmed boot
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/before"
SELECT code, message, hint FROM dbtest.try('SELECT * FROM dualboot_promote()');
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/before" && echo "record untouched"
-- confirm refills the tries
SELECT current_slot, "current_role", tries_left, tries_total, confirmed, last_event
FROM dualboot_confirm();
-- a second confirm is harmless
SELECT tries_left, confirmed FROM dualboot_confirm();
-- the boot marker gone between a call and the commit: the record did not
-- change (no 40001), but the confirm no longer applies (55000), nothing written
BEGIN;
SELECT tries_left, confirmed FROM dualboot_confirm();
\! mv "$DUALBOOT_MARKER" "$DUALBOOT_MARKER.away"
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
\! mv "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"
SELECT next_boot_slot, trial_armed, tries_left, confirmed, last_event, last_reason
FROM dualboot_request_failback('migration 43 broke the reports');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", stable_slot, trial_armed, last_event FROM dualboot_status();

-- ---------------------------------------------------------------------
-- 3. confirmed with the expected schema, then promoted
-- ---------------------------------------------------------------------
SELECT trial_armed FROM dualboot_mark_test(3, 'rehearse migration 44');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
-- the migration runs on the test slot...
SELECT dualboot_require_test();
CREATE TABLE dbtest.migrated (id int PRIMARY KEY);
-- ...and records the schema it produced for this slot
SELECT current_slot, last_event, seq FROM dualboot_record_fingerprint();
SELECT event, slot FROM dualboot_history() LIMIT 1;
SELECT dualboot_schema_fingerprint() AS fp \gset
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/before"
-- a schema that is not the expected one: refused, with both fingerprints
-- (the server's major shown as pgN: one expected output for every major)
SELECT code, message,
       regexp_replace(replace(detail, :'fp', '<current>'), 'dbfp3:pg[0-9]+:', 'dbfp3:pgN:') AS detail, hint
FROM dbtest.try($$SELECT * FROM dualboot_confirm('dbfp3:pg$$ ||
                current_setting('server_version_num')::int / 10000 || ':' || repeat('0', 64) || $$')$$);
-- a fingerprint of another major version cannot be compared
SELECT code, message
FROM dbtest.try($$SELECT * FROM dualboot_confirm('dbfp3:pg9:$$ || repeat('0', 64) || $$')$$);
-- nor one of a previous algorithm (a value saved before an upgrade)
SELECT code, message
FROM dbtest.try($$SELECT * FROM dualboot_confirm('dbfp2:pg$$ ||
                current_setting('server_version_num')::int / 10000 || ':' || repeat('0', 64) || $$')$$);
-- not a fingerprint at all: 22023
SELECT code, message FROM dbtest.try($$SELECT * FROM dualboot_confirm('sha256:1234')$$);
-- the refused confirms left the bytes on disk as they were
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/before" && echo "record untouched"
-- the expected value may include privileges (dualboot_schema_fingerprint(true))
BEGIN;
SELECT confirmed FROM dualboot_confirm(dualboot_schema_fingerprint(true));
ROLLBACK;
-- confirm and promote in one transaction, both checking the schema
BEGIN;
SELECT confirmed, tries_left FROM dualboot_confirm(:'fp');
SELECT current_slot, "current_role", stable_slot, test_slot, next_boot_slot, trial_armed
FROM dualboot_promote(discard_stable_writes => true, reason => 'migration 44 rehearsed',
                      expected_fingerprint => :'fp');
COMMIT;
-- the roles swapped at once: this slot is stable now
SELECT current_slot, "current_role", stable_slot, test_slot, next_boot_slot, trial_armed,
       last_event, last_reason
FROM dualboot_status();
BEGIN;
SELECT code, message FROM dbtest.try('SELECT dualboot_require_test()');
ROLLBACK;
-- and it stays so across boots
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT current_slot, "current_role", stable_slot, test_slot, next_boot_slot FROM dualboot_status();

-- ---------------------------------------------------------------------
-- 4. between the call and the commit, someone else failed back: the
--    promote queued here fails at commit with 40001 (a serialization
--    failure: the record changed after it was validated), nothing is written
-- ---------------------------------------------------------------------
SELECT test_slot FROM dualboot_mark_test(2, 'rehearse migration 45');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT confirmed FROM dualboot_confirm();
SELECT seq AS seq0 FROM dualboot_status() \gset
BEGIN;
SELECT stable_slot FROM dualboot_promote(true, 'too late');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" failback --reason 'operator' > /dev/null 2>&1
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
SELECT seq - :seq0 AS changes, stable_slot, trial_armed, last_event, last_actor, last_reason
FROM dualboot_status();
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='

-- the whole story, newest first (the ring keeps the last 8 changes)
-- (actor: the session's role, shown as <me>; the hook; dualbootctl as "cli")
SELECT seq, event, slot,
       CASE WHEN actor = session_user THEN '<me>' ELSE actor END AS actor,
       regexp_replace(app, '^uid [0-9]+$', 'uid N') AS app,
       CASE WHEN event = 'boot' THEN '(the hook''s log line)' ELSE reason END AS reason
FROM dualboot_history();
SELECT count(*) FILTER (WHERE "time" IS NULL) AS without_time FROM dualboot_history();

-- ---------------------------------------------------------------------
-- 5. recorded fingerprints end with their trial, never with time
--    (the confirm unit checks every entry of the slot it runs on)
-- ---------------------------------------------------------------------
\setenv FPRINTS 'import json,sys; print(" ".join(sorted(f["slot"] + "/" + f["database"] for f in json.load(sys.stdin)["fingerprints"])) or "(none)")'
-- now: B is stable and keeps the entry recorded when it was tested (section 3)
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
-- a trial of A records a fingerprint on A, and of a database that is then dropped
SELECT trial_armed FROM dualboot_mark_test(2, 'rehearse migration 46');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT dualboot_require_test();
SELECT last_event FROM dualboot_record_fingerprint();
CREATE DATABASE dualboot_gone;
\! psql -X -q -d dualboot_gone -c 'CREATE EXTENSION dualboot' -c 'SELECT 1 FROM dualboot_record_fingerprint()' > /dev/null
DROP DATABASE dualboot_gone;
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
-- the trial is failed back: its entries go with it (the dropped database's
-- too, which would make every later confirm fail); B's stay
SELECT trial_armed FROM dualboot_request_failback('migration 46 abandoned');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
-- a trial that fails by itself (the hook ends it: tries exhausted) leaves its
-- entries for inspection; the next trial of A starts with none of them
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" mark-test --tries 1 > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT last_event FROM dualboot_record_fingerprint();
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT "current_role", trial_armed, last_event FROM dualboot_status();
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
SELECT trial_armed FROM dualboot_mark_test(2, 'rehearse migration 47');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
-- the trial of A is confirmed and promoted: the demoted B's entries go, A's stay
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT last_event FROM dualboot_record_fingerprint();
BEGIN;
SELECT confirmed FROM dualboot_confirm();
SELECT stable_slot FROM dualboot_promote(true, 'migration 47 rehearsed');
COMMIT;
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" status --json | python3 -c "$FPRINTS"
-- leave B stable, as the files after this one expect
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable B --force --reason 'after the life cycle tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
