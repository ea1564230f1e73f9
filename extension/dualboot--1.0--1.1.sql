-- dualboot 1.0 -> 1.1 (ALTER EXTENSION dualboot UPDATE TO '1.1').
--
-- 1.1: dualboot_require_stable(), the guard for jobs that must only run on
-- production; dualboot_require_test() (same signature) now ends the session
-- when it refuses outside a transaction block (the C library does that; only
-- its comment changes here); the schema fingerprint's algorithm is dbfp3
-- (the C library computes it; the manifest document's label and a comment
-- follow here). A fresh install of 1.1 (extension/sql/*.sql)
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

-- dbfp3 (the fingerprint no longer depends on a schema's history): the
-- manifest document names the algorithm the library now computes, so that
-- dualboot_schema_diff() accepts the documents this version writes.
COMMENT ON FUNCTION pg_catalog.dualboot_schema_fingerprint(boolean) IS
'dbfp3:pg<major>:<sha256> of the canonical schema of the current database; with true, owners, privileges and comments too';

CREATE OR REPLACE FUNCTION pg_catalog.dualboot_schema_manifest_json(
    include_privileges boolean DEFAULT false)
RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$
SELECT pg_catalog.jsonb_build_object(
    'format', 'dualboot-manifest',
    'version', 1,
    'include_privileges', $1,
    'database', pg_catalog.current_database(),
    'fingerprint',
        'dbfp3:pg'
        OPERATOR(pg_catalog.||) (pg_catalog.current_setting('server_version_num')::pg_catalog.int4
                                 OPERATOR(pg_catalog./) 10000)::pg_catalog.text
        OPERATOR(pg_catalog.||) ':'
        OPERATOR(pg_catalog.||) pg_catalog.encode(pg_catalog.sha256(
            COALESCE(pg_catalog.string_agg(pg_catalog.decode(m.fingerprint, 'hex'), ''::pg_catalog.bytea
                ORDER BY pg_catalog.decode(m.fingerprint, 'hex')), ''::pg_catalog.bytea)),
            'hex'),
    'objects', COALESCE(pg_catalog.jsonb_agg(
        pg_catalog.jsonb_build_array(m.kind, m.identity, m.fingerprint)
        ORDER BY m.kind COLLATE "C", m.identity COLLATE "C"), '[]'::pg_catalog.jsonb))
FROM pg_catalog.dualboot_schema_manifest($1) AS m
$$;
