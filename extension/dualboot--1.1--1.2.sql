-- dualboot 1.1 -> 1.2 (ALTER EXTENSION dualboot UPDATE TO '1.2').
--
-- Each part of 1.2 has a section of its own below, headed "-- issue N: ...";
-- a fresh install of 1.2 (extension/sql/*.sql) and this update give the same
-- objects: sql/35_upgrade.sql checks it.

\echo Use "ALTER EXTENSION dualboot UPDATE TO '1.2'" to load this file. \quit

-- issue 15: isolation of the test slot during a trial (extension/isolation.c)

CREATE FUNCTION pg_catalog.dualboot_isolation(
    OUT isolation text,
    OUT setting text,
    OUT slot_role text,
    OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'dualboot_isolation'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION pg_catalog.dualboot_isolation() IS
'dualboot: the isolation in force for new connections: local (only local clients, no replication: the test slot during a trial) or open';

REVOKE EXECUTE ON FUNCTION pg_catalog.dualboot_isolation() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.dualboot_isolation() TO pg_monitor;
