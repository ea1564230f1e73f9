
-- ---------------------------------------------------------------------
-- Isolation of the test slot during a trial (extension/isolation.c,
-- docs/isolation.md). A reader for monitoring: its reason may name the
-- record's and the marker's paths (GUC_SUPERUSER_ONLY settings), so it is
-- granted to pg_monitor (which reads all settings), not to PUBLIC.
-- ---------------------------------------------------------------------

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
