--
-- 40_outcome: the last trial's outcome in dualboot_status() (SQL API 1.2,
-- issue 17: last_trial_outcome, last_trial_detail, last_trial_at), derived
-- from the record's history as dualbootctl derives it, and the LOG line that
-- every change of boot intent made from SQL writes (who, what, why).
-- (35_upgrade left the database without the extension)
--
SET client_min_messages = warning;
CREATE EXTENSION dualboot;
RESET client_min_messages;
\set outcome 'SELECT last_trial_outcome, last_trial_detail, last_trial_at BETWEEN now() - interval ''1 hour'' AND now() + interval ''1 hour'' AS at_recently FROM pg_catalog.dualboot_status()'
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force --reason 'outcome tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
-- no trial yet
:outcome;

-- a DBA role of its own, so that the LOG lines name a known role
CREATE ROLE regress_dualboot_dba;
GRANT EXECUTE ON FUNCTION dualboot_mark_test(integer, text), dualboot_confirm(text),
    dualboot_request_failback(text), dualboot_promote(boolean, text, text) TO regress_dualboot_dba;
SET SESSION AUTHORIZATION regress_dualboot_dba;
SET application_name = 'migrate.py';
-- the LOG line goes to the server log; shown here too
SET client_min_messages = log;
\set VERBOSITY terse
SELECT trial_armed FROM dualboot_mark_test(2, 'migration 42');
-- nothing is written, nothing logged, when the transaction rolls back
BEGIN;
SELECT trial_armed FROM dualboot_request_failback('changed my mind');
ROLLBACK;
RESET client_min_messages;
\set VERBOSITY default
:outcome;

-- trial boot, confirmed from SQL
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
:outcome;
SET client_min_messages = log;
\set VERBOSITY terse
SELECT confirmed FROM dualboot_confirm();
RESET client_min_messages;
\set VERBOSITY default
:outcome;

-- then failed back by request
SET client_min_messages = log;
\set VERBOSITY terse
SELECT next_boot_slot FROM dualboot_request_failback('the app is broken');
RESET client_min_messages;
\set VERBOSITY default
:outcome;
RESET SESSION AUTHORIZATION;
RESET application_name;

-- tries exhausted: the hook ends the trial
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
SELECT trial_armed FROM dualboot_mark_test(1, 'migration 43');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
:outcome;

-- a check of dualboot-confirm failed on the last try: it wrote a failback
-- as application dualboot-confirm, the reason naming the check
SELECT trial_armed FROM dualboot_mark_test(1, 'migration 44');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
\! env -u SUDO_USER USER=dualboot-confirm LOGNAME=dualboot-confirm "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" --marker "$DUALBOOT_MARKER" failback --reason 'check 20-smoke failed: exit status 1: orders endpoint returned 500' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
:outcome;
-- the same as dualbootctl status --json
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" --marker "$DUALBOOT_MARKER" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["last_trial_outcome"], "|", d["last_trial_detail"])'

-- promoted
SELECT trial_armed FROM dualboot_mark_test(2, 'migration 45');
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_SLOT='
BEGIN;
SELECT confirmed FROM dualboot_confirm();
-- (one cluster plays both slots: no refresh, so the provenance override)
SELECT stable_slot FROM dualboot_promote(discard_stable_writes => true, reason => 'migration 45 verified');
COMMIT;
:outcome;

-- a 1.1 installation (the same library) still returns its 15 columns
DROP EXTENSION dualboot;
CREATE EXTENSION dualboot VERSION '1.1';
SELECT (SELECT count(*) FROM json_object_keys(row_to_json(s))) AS columns, s.stable_slot
FROM dualboot_status() s;
ALTER EXTENSION dualboot UPDATE TO '1.2';
SELECT (SELECT count(*) FROM json_object_keys(row_to_json(s))) AS columns, s.last_trial_outcome
FROM dualboot_status() s;

DROP EXTENSION dualboot;
DROP OWNED BY regress_dualboot_dba;
DROP ROLE regress_dualboot_dba;
