--
-- 40_isolation: dualboot_isolation() and dualboot.trial_isolation (issue 15,
-- docs/isolation.md). This server does not preload dualboot, so its
-- connection hook is not installed and nothing is refused here: clients from
-- another address, a real standby and the server preloading dualboot are in
-- test/t/45-isolation.t. Checked here: the role of the boot as the isolation
-- sees it (marker and record, the record alone, neither), the setting, and
-- who may call the function.
--
-- (35_upgrade left the database without the extension; the record and the
-- marker are put back at the end)
\! cp -p "$DUALBOOT_STATE" "$DUALBOOT_DIR/iso.record" && cp -p "$DUALBOOT_MARKER" "$DUALBOOT_DIR/iso.marker"
CREATE EXTENSION dualboot;
\set VERBOSITY terse

-- the setting: local by default, changed only in the server's configuration
SHOW dualboot.trial_isolation;
SET dualboot.trial_isolation = open;
SELECT name, setting, enumvals, context, boot_val FROM pg_settings WHERE name = 'dualboot.trial_isolation';

-- a boot of the stable slot: never isolated
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A --force --reason 'isolation tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT isolation, setting, slot_role,
       reason LIKE 'nothing is refused: dualboot is not in shared_preload_libraries, so it cannot check connections (this boot runs slot A, the stable slot (the boot marker and the state record agree))' AS reason_ok
FROM dualboot_isolation();

-- a trial boot of the test slot: the role is test; without the preloaded
-- hook the isolation is still not in force, and the reason says why
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" mark-test --tries 2 --reason 'isolation tests' > /dev/null
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" boot-select --marker "$DUALBOOT_MARKER" | grep -E '^DUALBOOT_(SLOT|ROLE)='
SELECT isolation, setting, slot_role,
       reason ~ 'not in shared_preload_libraries.*this boot runs slot B, the test slot \(the boot marker and the state record agree\)' AS reason_ok
FROM dualboot_isolation();
-- dualbootctl says the same role
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" --marker "$DUALBOOT_MARKER" status | grep -oE '^isolation: +applies: this boot runs slot B, the test slot'

-- the marker lost: the record alone decides, its last boot being this
-- kernel's boot (the selector wrote it before booting the test slot)
\! mv "$DUALBOOT_MARKER" "$DUALBOOT_MARKER.away"
SELECT slot_role,
       reason ~ 'the state record says this boot runs slot B, the test slot; the boot marker does not confirm it \(there is no boot marker at' AS reason_ok
FROM dualboot_isolation();
-- the record unreadable too: the slot is unknown, and nothing is isolated
\! mv "$DUALBOOT_STATE" "$DUALBOOT_STATE.away"
SELECT isolation, slot_role,
       reason ~ 'the slot of this boot is unknown \(there is no boot marker at .*\)\)$' AS reason_ok
FROM dualboot_isolation();
-- a record that is not this boot's (re-created since): unknown as well
\! "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" init --stable A > /dev/null && mv "$DUALBOOT_MARKER.away" "$DUALBOOT_MARKER"
SELECT isolation, slot_role FROM dualboot_isolation();
\! rm "$DUALBOOT_STATE" && mv "$DUALBOOT_STATE.away" "$DUALBOOT_STATE"
SELECT slot_role FROM dualboot_isolation();

-- who may call it: pg_monitor (its reason names the record's and the
-- marker's paths, settings only such roles may read), not PUBLIC
CREATE ROLE regress_dualboot_iso_nobody;
CREATE ROLE regress_dualboot_iso_monitor IN ROLE pg_monitor;
SET ROLE regress_dualboot_iso_nobody;
SELECT isolation FROM dualboot_isolation();
SET ROLE regress_dualboot_iso_monitor;
SELECT isolation, slot_role FROM dualboot_isolation();
RESET ROLE;
DROP ROLE regress_dualboot_iso_nobody;
DROP ROLE regress_dualboot_iso_monitor;

DROP EXTENSION dualboot;
\! cp -p "$DUALBOOT_DIR/iso.record" "$DUALBOOT_STATE" && cp -p "$DUALBOOT_DIR/iso.marker" "$DUALBOOT_MARKER" && rm "$DUALBOOT_DIR/iso.record" "$DUALBOOT_DIR/iso.marker"
\set VERBOSITY default
