--
-- 01_privileges: who may read, who may change the boot intent, and that no
-- session can point the extension at another file.
--
CREATE ROLE regress_dualboot_reader;
CREATE ROLE regress_dualboot_migrator;
GRANT EXECUTE ON FUNCTION dualboot_mark_test(integer, text),
                          dualboot_request_failback(text)
    TO regress_dualboot_migrator;

-- an ordinary role reads the status, the current slot and the history...
SET ROLE regress_dualboot_reader;
SELECT current_slot, "current_role", stable_slot, seq FROM dualboot_status();
SELECT dualboot_current_slot();
SELECT count(*) > 0 AS has_history FROM dualboot_history();
-- ...but changes nothing: EXECUTE is revoked from PUBLIC
SELECT * FROM dualboot_mark_test(3);
SELECT * FROM dualboot_confirm();
SELECT * FROM dualboot_request_failback();
SELECT * FROM dualboot_promote();
SELECT * FROM dualboot_record_fingerprint();
-- the paths are for superusers only, and a session cannot change them
SHOW dualboot.state_path;
-- (dualboot.lock_timeout, a timeout, is not a path: every role may see it)
SELECT string_agg(name, ', ') AS visible_dualboot_settings FROM pg_settings WHERE name LIKE 'dualboot.%';
SET dualboot.state_path = '/tmp/elsewhere';
-- errors do not show them the paths either ($STATE would be the real one)
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away"
\x on
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
\x off
\! mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"
\! mv "$DUALBOOT_MARKER" "$DUALBOOT_MARKER.away"
-- (in a transaction block: outside one a refused guard ends the session, 25_guards)
BEGIN;
SELECT detail FROM dbtest.try('SELECT dualboot_require_test()');
ROLLBACK;
\! mv "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"
RESET ROLE;

-- not even a superuser's session can change them: only the server
-- configuration (postgresql.conf, ALTER SYSTEM + reload)
SET dualboot.state_path = '/tmp/elsewhere';
SET dualboot.boot_marker_path = '/tmp/elsewhere';
SELECT set_config('dualboot.state_path', '/tmp/elsewhere', false);
ALTER ROLE regress_dualboot_reader SET dualboot.state_path = '/tmp/elsewhere';
ALTER DATABASE contrib_regression SET dualboot.boot_marker_path = '/tmp/elsewhere';
-- the server configuration takes absolute paths only (checked by ALTER SYSTEM too)
ALTER SYSTEM SET dualboot.state_path = 'relative/record';
-- the prefix is reserved: no invented dualboot.* settings
SET dualboot.no_such_setting = 'x';

-- a role granted EXECUTE may arm and disarm; the history names the
-- session's role and application
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_dualboot_migrator;
SET LOCAL application_name = 'regress-migrator';
SELECT seq, trial_armed, last_actor, last_reason
FROM dualboot_mark_test(2, 'granted to the migration role');
COMMIT;
SELECT seq, event, slot, actor, app, reason FROM dualboot_history() LIMIT 1;
SET SESSION AUTHORIZATION regress_dualboot_migrator;
SELECT trial_armed FROM dualboot_request_failback('granted, too');
SELECT * FROM dualboot_confirm();
RESET SESSION AUTHORIZATION;
SELECT seq, event, actor, reason FROM dualboot_history() LIMIT 1;

-- a new session that sets the path before the library is loaded only makes
-- a placeholder; loading the library throws it away with a warning
\c -
SET dualboot.state_path = '/tmp/elsewhere';
SELECT stable_slot, seq FROM dualboot_status();
SELECT current_setting('dualboot.state_path') <> '/tmp/elsewhere' AS configured_path_kept;

DROP ROLE regress_dualboot_reader;
REVOKE EXECUTE ON FUNCTION dualboot_mark_test(integer, text),
                           dualboot_request_failback(text)
    FROM regress_dualboot_migrator;
DROP ROLE regress_dualboot_migrator;
