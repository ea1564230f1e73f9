-- dualboot 1.0 -> 1.1 (ALTER EXTENSION dualboot UPDATE TO '1.1').
--
-- 1.1: dualboot_require_stable(), the guard for jobs that must only run on
-- production; dualboot_require_test() (same signature) now ends the session
-- when it refuses outside a transaction block (the C library does that; only
-- its comment changes here). A fresh install of 1.1 (extension/sql/*.sql)
-- and this update give the same objects: sql/35_upgrade.sql checks it.

\echo Use "ALTER EXTENSION dualboot UPDATE TO '1.1'" to load this file. \quit

COMMENT ON FUNCTION pg_catalog.dualboot_require_test() IS
'dualboot: refuse unless this server runs on the test slot (outside a transaction block the session ends; inside one the transaction cannot commit)';

-- A guard, not a change: open to PUBLIC like dualboot_require_test().
CREATE FUNCTION pg_catalog.dualboot_require_stable()
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_require_stable'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_require_stable() IS
'dualboot: refuse unless this server runs on the stable slot (outside a transaction block the session ends; inside one the transaction cannot commit)';
