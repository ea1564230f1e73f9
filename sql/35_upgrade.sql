--
-- 35_upgrade: every version's install script and update path. A fresh
-- install of the current version and ALTER EXTENSION UPDATE from 1.0 give
-- the same objects (definitions, privileges, comments).
-- (30_concurrency left the database without the extension)
--
CREATE FUNCTION pg_temp.ext_objects() RETURNS TABLE (obj text, def text)
LANGUAGE sql STABLE AS $$
    SELECT pg_describe_object(d.classid, d.objid, d.objsubid),
           CASE WHEN d.classid = 'pg_catalog.pg_proc'::regclass
                THEN pg_get_functiondef(d.objid) || ' ACL ' ||
                     coalesce((SELECT p.proacl::text FROM pg_proc p WHERE p.oid = d.objid), 'default')
                ELSE '' END
           || ' COMMENT ' || coalesce(obj_description(d.objid, d.classid::regclass::text), '-')
    FROM pg_depend d
    JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_extension'::regclass
    WHERE e.extname = 'dualboot' AND d.deptype = 'e'
$$;

SELECT source, target, path FROM pg_extension_update_paths('dualboot') ORDER BY source, target;

-- 1.0, as released: no dualboot_require_stable()
CREATE EXTENSION dualboot VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'dualboot';
SELECT to_regprocedure('pg_catalog.dualboot_require_stable()') IS NULL AS no_require_stable;
SELECT count(*) AS objects_1_0 FROM pg_temp.ext_objects();

-- updated to the current version
ALTER EXTENSION dualboot UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dualboot';
CREATE TEMP TABLE updated AS SELECT * FROM pg_temp.ext_objects();

-- installed fresh
DROP EXTENSION dualboot;
CREATE EXTENSION dualboot;
SELECT extversion FROM pg_extension WHERE extname = 'dualboot';
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.ext_objects();
SELECT count(*) AS objects_fresh, (SELECT count(*) FROM updated) AS objects_updated FROM fresh;

-- the same objects, defined the same way (no rows)
(SELECT 'only after the update' AS "where", obj FROM updated EXCEPT SELECT 'only after the update', obj FROM fresh)
UNION ALL
(SELECT 'only in a fresh install', obj FROM fresh EXCEPT SELECT 'only in a fresh install', obj FROM updated)
UNION ALL
(SELECT 'defined differently', u.obj FROM updated u JOIN fresh f USING (obj) WHERE u.def IS DISTINCT FROM f.def);

-- the new guard is open to PUBLIC, like dualboot_require_test()
SELECT has_function_privilege('public', 'pg_catalog.dualboot_require_stable()', 'EXECUTE') AS public_execute;

DROP EXTENSION dualboot;
