
-- ---------------------------------------------------------------------
-- Schema fingerprint and manifest (extension/fingerprint*.c, DESIGN 4.2,
-- docs/fingerprint.md). Readers, open to everyone: they show nothing the
-- system catalogs do not already show to every role.
-- ---------------------------------------------------------------------

CREATE FUNCTION pg_catalog.dualboot_schema_fingerprint(
    include_privileges boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_schema_fingerprint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_schema_fingerprint(boolean) IS
'dbfp3:pg<major>:<sha256> of the canonical schema of the current database; with true, owners, privileges and comments too';

CREATE FUNCTION pg_catalog.dualboot_schema_manifest(
    include_privileges boolean DEFAULT false)
RETURNS TABLE (kind text, identity text, fingerprint text)
AS 'MODULE_PATHNAME', 'dualboot_schema_manifest'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;

COMMENT ON FUNCTION pg_catalog.dualboot_schema_manifest(boolean) IS
'one row per schema object: kind, stable qualified identity, hex SHA-256 of its canonical form';

-- The canonical text each manifest row hashes: to see why two rows differ.
CREATE FUNCTION pg_catalog.dualboot_schema_canonical(
    include_privileges boolean DEFAULT false)
RETURNS TABLE (kind text, identity text, canonical text)
AS 'MODULE_PATHNAME', 'dualboot_schema_canonical'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;

COMMENT ON FUNCTION pg_catalog.dualboot_schema_canonical(boolean) IS
'the canonical text behind each manifest row (for diagnosing a difference)';

CREATE FUNCTION pg_catalog.dualboot_fingerprint_compare(a text, b text)
RETURNS text
AS 'MODULE_PATHNAME', 'dualboot_fingerprint_compare'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION pg_catalog.dualboot_fingerprint_compare(text, text) IS
'equal, different, or incomparable (other algorithm version or server major)';

-- Raises an error unless a saved fingerprint can be compared with this server's.
CREATE FUNCTION pg_catalog.dualboot_fingerprint_require_comparable(saved text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dualboot_fingerprint_require_comparable'
LANGUAGE C STABLE PARALLEL SAFE;

-- The manifest as one JSON document, to save (for example next to the boot
-- state record, before a trial) and to diff against later. The fingerprint
-- in it is recomputed from the rows, so document and rows always agree.
CREATE FUNCTION pg_catalog.dualboot_schema_manifest_json(
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

COMMENT ON FUNCTION pg_catalog.dualboot_schema_manifest_json(boolean) IS
'the manifest and its fingerprint as one JSON document, for dualboot_schema_diff()';

-- Object by object, what differs between a saved manifest document and
-- the current schema: change is 'added', 'removed' or 'changed'.
CREATE FUNCTION pg_catalog.dualboot_schema_diff(saved jsonb)
RETURNS TABLE (kind text, identity text, change text,
               saved_fingerprint text, current_fingerprint text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$
WITH chk AS MATERIALIZED (
    SELECT pg_catalog.dualboot_fingerprint_require_comparable($1 OPERATOR(pg_catalog.->>) 'fingerprint') AS ok
), old AS (
    SELECT o OPERATOR(pg_catalog.->>) 0 AS kind,
           o OPERATOR(pg_catalog.->>) 1 AS identity,
           o OPERATOR(pg_catalog.->>) 2 AS fingerprint
    FROM chk, pg_catalog.jsonb_array_elements($1 OPERATOR(pg_catalog.->) 'objects') AS o
    WHERE chk.ok
), cur AS (
    SELECT m.kind, m.identity, m.fingerprint
    FROM chk, pg_catalog.dualboot_schema_manifest(
        COALESCE(($1 OPERATOR(pg_catalog.->>) 'include_privileges')::pg_catalog.bool, false)) AS m
    WHERE chk.ok
)
SELECT d.kind, d.identity, d.change, d.saved_fingerprint, d.current_fingerprint
FROM (
    SELECT COALESCE(c.kind, o.kind) AS kind, COALESCE(c.identity, o.identity) AS identity,
           CASE WHEN o.kind IS NULL THEN 'added'
                WHEN c.kind IS NULL THEN 'removed'
                ELSE 'changed' END AS change,
           o.fingerprint AS saved_fingerprint, c.fingerprint AS current_fingerprint
    FROM old AS o FULL JOIN cur AS c
      ON o.kind OPERATOR(pg_catalog.=) c.kind AND o.identity OPERATOR(pg_catalog.=) c.identity
    WHERE o.fingerprint IS DISTINCT FROM c.fingerprint
) AS d
ORDER BY d.kind COLLATE "C", d.identity COLLATE "C"
$$;

COMMENT ON FUNCTION pg_catalog.dualboot_schema_diff(jsonb) IS
'objects added, removed or changed since a manifest saved with dualboot_schema_manifest_json()';
