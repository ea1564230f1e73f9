--
-- 10_files: the record and the marker on disk. A record that is missing,
-- not a regular file, a symbolic link, unreadable or corrupt is an error
-- that names the path, says what to do, and never gets overwritten by SQL.
-- A marker that is missing or stale leaves the current slot unknown.
--
\x on

-- missing record: 58P01, with how to create one
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_history()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_mark_test(3)');
\! mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"

-- a directory in its place: 42809
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away" && mkdir "$DUALBOOT_STATE"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_request_failback()');
\! rmdir "$DUALBOOT_STATE" && mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"

-- a symbolic link to a valid record: refused all the same (42809)
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.real" && ln -s "$DUALBOOT_STATE.real" "$DUALBOOT_STATE"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_request_failback()');
\! rm "$DUALBOOT_STATE" && mv "$DUALBOOT_STATE.real" "$DUALBOOT_STATE"

-- truncated: 42809 (not a record of the right size)
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/good" && truncate -s 4096 "$DUALBOOT_STATE"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
\! cp "$DUALBOOT_DIR/good" "$DUALBOOT_STATE"

-- unreadable by the server: 42501 from the file system
\! chmod 000 "$DUALBOOT_STATE"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
\! chmod 600 "$DUALBOOT_STATE"

-- writable by every user: refused, anyone could choose the next boot
\! chmod 606 "$DUALBOOT_STATE"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
\! chmod 600 "$DUALBOOT_STATE"

-- both copies damaged: XX001, at the call and at commit, and the bytes on
-- disk stay exactly as they were
\! printf 'garbage' | dd of="$DUALBOOT_STATE" bs=1 seek=100 conv=notrunc 2>/dev/null
\! printf 'garbage' | dd of="$DUALBOOT_STATE" bs=1 seek=4196 conv=notrunc 2>/dev/null
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/corrupt"
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_request_failback()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_history()');
\x off
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/corrupt" && echo "record untouched"
-- corrupted between the call and the commit
\! cp "$DUALBOOT_DIR/good" "$DUALBOOT_STATE"
BEGIN;
SELECT trial_armed FROM dualboot_request_failback('corrupted before the commit');
\! cp "$DUALBOOT_DIR/corrupt" "$DUALBOOT_STATE"
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/corrupt" && echo "record untouched"
\! cp "$DUALBOOT_DIR/good" "$DUALBOOT_STATE"
SELECT stable_slot, trial_armed, last_event FROM dualboot_status();

-- a whole newest copy (valid CRC) with a value this version refuses: an
-- unknown event code, as another build of format 1 would write it. Like a
-- record of a newer format: 0A000, the older copy (an armed trial here) is
-- not used instead, and nothing is written, at the call or at commit
SELECT trial_armed FROM dualboot_mark_test(2, 'the older copy''s intent');
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/armed" && python3 "$DUALBOOT_FORGE" "$DUALBOOT_STATE" unknown-event && cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/refused"
\x on
SELECT * FROM dbtest.try('SELECT * FROM dualboot_status()');
\x off
SELECT code FROM dbtest.try('SELECT * FROM dualboot_request_failback()');
SELECT code FROM dbtest.try('SELECT * FROM dualboot_history()');
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/refused" && echo "record untouched"
\! cp "$DUALBOOT_DIR/armed" "$DUALBOOT_STATE"
BEGIN;
SELECT trial_armed FROM dualboot_request_failback('refused copy before the commit');
\! cp "$DUALBOOT_DIR/refused" "$DUALBOOT_STATE"
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
\! cmp "$DUALBOOT_STATE" "$DUALBOOT_DIR/refused" && echo "record untouched"
\! cp "$DUALBOOT_DIR/good" "$DUALBOOT_STATE" && rm -f "$DUALBOOT_DIR/armed" "$DUALBOOT_DIR/refused"
SELECT stable_slot, trial_armed FROM dualboot_status();

-- one damaged copy: the other one still serves
\! printf 'garbage' | dd of="$DUALBOOT_STATE" bs=1 seek=100 conv=notrunc 2>/dev/null
SELECT stable_slot, seq > 0 AS has_seq FROM dualboot_status();
\! cp "$DUALBOOT_DIR/good" "$DUALBOOT_STATE"

-- the marker: missing
\! mv "$DUALBOOT_MARKER" "$DUALBOOT_MARKER.away"
SELECT dualboot_current_slot() IS NULL AS unknown, "current_role", stable_slot
FROM dualboot_status();
-- (the guard in a transaction block: outside one it ends the session, 25_guards)
BEGIN;
\x on
SELECT * FROM dbtest.try('SELECT * FROM dualboot_confirm()');
SELECT * FROM dbtest.try('SELECT dualboot_require_test()');
\x off
SELECT f, (dbtest.try(f)).code
FROM unnest(ARRAY['SELECT * FROM dualboot_promote()',
                  'SELECT * FROM dualboot_record_fingerprint()',
                  'SELECT dualboot_require_test()']) AS f;
ROLLBACK;
-- arming and failing back do not need to know the current slot
BEGIN;
SELECT current_slot, "current_role", trial_armed FROM dualboot_mark_test(3, 'from an unknown slot');
SELECT current_slot, "current_role", trial_armed FROM dualboot_request_failback();
ROLLBACK;

-- the marker: stale (left from another boot; its boot_id is not this kernel's)
\! sed 's/^boot_id=.*/boot_id=00000000-0000-4000-8000-000000000000/' "$DUALBOOT_MARKER.away" > "$DUALBOOT_MARKER"
SELECT dualboot_current_slot() IS NULL AS unknown, "current_role" FROM dualboot_status();
\x on
SELECT * FROM dbtest.try('SELECT * FROM dualboot_confirm()');
\x off
-- the marker: a symbolic link is not followed
\! rm "$DUALBOOT_MARKER" && ln -s "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"
SELECT dualboot_current_slot() IS NULL AS unknown;
SELECT detail FROM dbtest.try('SELECT * FROM dualboot_confirm()');
-- the real marker back
\! rm "$DUALBOOT_MARKER" && mv "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"
SELECT dualboot_current_slot(), "current_role" FROM dualboot_status();
\! rm -f "$DUALBOOT_DIR/good" "$DUALBOOT_DIR/corrupt"

-- the marker and the record's last boot must agree (issue 11 item 6): the
-- marker's slot edited, its boot_id kept, is not believed
\! cp "$DUALBOOT_MARKER" "$DUALBOOT_DIR/marker.saved"
\! sed 's/^slot=A$/slot=B/; s/^role=stable$/role=test/' "$DUALBOOT_DIR/marker.saved" > "$DUALBOOT_MARKER.new" && mv "$DUALBOOT_MARKER.new" "$DUALBOOT_MARKER"
\! grep -E '^(slot|role)=' "$DUALBOOT_MARKER"
SELECT dualboot_current_slot() IS NULL AS unknown, "current_role" FROM dualboot_status();
BEGIN;
\x on
SELECT * FROM dbtest.try('SELECT dualboot_require_test()');
\x off
ROLLBACK;
SELECT (dbtest.try('SELECT * FROM dualboot_confirm()')).code AS confirm_code;
-- a record that shows no boot since it was created (re-created after the boot)
\! cp "$DUALBOOT_DIR/marker.saved" "$DUALBOOT_MARKER"
\! cp "$DUALBOOT_STATE" "$DUALBOOT_DIR/record.saved"
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force > /dev/null
SELECT dualboot_current_slot() IS NULL AS unknown;
SELECT detail FROM dbtest.try('SELECT * FROM dualboot_confirm()');
-- the record back: marker and record agree again
\! cp "$DUALBOOT_DIR/record.saved" "$DUALBOOT_STATE"
SELECT dualboot_current_slot(), "current_role" FROM dualboot_status();
\! rm -f "$DUALBOOT_DIR/marker.saved" "$DUALBOOT_DIR/record.saved"
