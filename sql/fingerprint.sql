--
-- fingerprint: the schema fingerprint and manifest (DESIGN 4.2, issue 4).
-- Self-contained: everything it creates lives in schema fpt (and one role),
-- dropped at the end. Values are compared, never printed: they depend on
-- the rest of the database, which other tests share.
--
CREATE EXTENSION IF NOT EXISTS dualboot;
SET client_min_messages = error;  -- no WARNING that depends on server settings (wal_level)

-- the value names the algorithm and the server major, and fits the record
SELECT dualboot_schema_fingerprint() ~ '^dbfp3:pg[0-9]+:[0-9a-f]{64}$' AS well_formed,
       length(dualboot_schema_fingerprint()) < 111 AS fits,
       split_part(dualboot_schema_fingerprint(), ':', 2)
         = 'pg' || (current_setting('server_version_num')::int / 10000) AS names_major;

-- deterministic; privileges are a separate, optional part
SELECT dualboot_schema_fingerprint() = dualboot_schema_fingerprint() AS same_twice,
       dualboot_schema_fingerprint(true) = dualboot_schema_fingerprint(true) AS same_twice_acl,
       dualboot_schema_fingerprint(true) <> dualboot_schema_fingerprint(false) AS acl_differs;

-- compare: equal, different, incomparable across algorithms and majors
SELECT dualboot_fingerprint_compare(dualboot_schema_fingerprint(), dualboot_schema_fingerprint()) AS self;
SELECT dualboot_fingerprint_compare('dbfp1:pg15:' || repeat('a', 64), 'dbfp1:pg15:' || repeat('b', 64)) AS other_hash,
       dualboot_fingerprint_compare('dbfp1:pg15:' || repeat('a', 64), 'dbfp1:pg16:' || repeat('a', 64)) AS other_major,
       dualboot_fingerprint_compare('dbfp1:pg15:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 64)) AS other_algo,
       dualboot_fingerprint_compare('dbfp1:pg15:' || repeat('a', 64), 'dbfp1:pg15:' || repeat('A', 64)) AS case_blind,
       dualboot_fingerprint_compare(NULL, 'x') IS NULL AS strict;
-- values of this server by the earlier algorithms (dbfp1, dbfp2) are not
-- comparable with today's dbfp3
SELECT dualboot_fingerprint_compare('dbfp2:pg' || current_setting('server_version_num')::int / 10000 || ':' || repeat('a', 64),
                                    dualboot_schema_fingerprint()) AS dbfp2_vs_now,
       dualboot_fingerprint_compare('dbfp1:pg' || current_setting('server_version_num')::int / 10000 || ':' || repeat('a', 64),
                                    dualboot_schema_fingerprint()) AS dbfp1_vs_now,
       split_part(dualboot_schema_fingerprint(), ':', 1) AS algorithm;
SELECT dualboot_fingerprint_compare('dbfp1:pg15:abc', 'dbfp1:pg15:' || repeat('a', 64));
SELECT dualboot_fingerprint_compare('sha256:' || repeat('a', 64), 'dbfp1:pg15:' || repeat('a', 64));
-- strict: no sign or space in the numbers
SELECT dualboot_fingerprint_compare('dbfp+2:pg15:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 64));
SELECT dualboot_fingerprint_compare('dbfp2:pg 15:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 64));
-- one spelling per number: a leading zero (else 'dbfp02' would compare
-- "different" with the same digest under 'dbfp2') or a tenth digit is refused
SELECT dualboot_fingerprint_compare('dbfp02:pg15:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 64));
SELECT dualboot_fingerprint_compare('dbfp2:pg1234567890:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 64));
-- the second argument is checked as strictly as the first
SELECT dualboot_fingerprint_compare('dbfp2:pg15:' || repeat('a', 64), 'dbfp02:pg15:' || repeat('a', 64));
SELECT dualboot_fingerprint_compare('dbfp2:pg15:' || repeat('a', 64), 'dbfp2:pg15:' || repeat('a', 63));

-- the fingerprint is a function of the manifest alone (recomputed in SQL)
SELECT (dualboot_schema_manifest_json() ->> 'fingerprint') = dualboot_schema_fingerprint() AS from_manifest,
       (dualboot_schema_manifest_json(true) ->> 'fingerprint') = dualboot_schema_fingerprint(true) AS from_manifest_acl;
SELECT count(*) = count(DISTINCT (kind, identity)) AS unique_rows,
       bool_and(fingerprint ~ '^[0-9a-f]{64}$') AS hex_rows
FROM dualboot_schema_manifest();

-- ---------------------------------------------------------------------
-- A small schema to work on.
-- ---------------------------------------------------------------------
CREATE ROLE regress_fp_owner;
CREATE SCHEMA fpt;
CREATE TYPE fpt.color AS ENUM ('red', 'green', 'blue');
CREATE TYPE fpt.comp AS (a int, b text);
CREATE DOMAIN fpt.pos AS int CHECK (VALUE > 0);
CREATE SEQUENCE fpt.s;
CREATE TABLE fpt.parent (id int PRIMARY KEY, label text);
CREATE TABLE fpt.t (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id int REFERENCES fpt.parent (id),
    name text NOT NULL,
    qty int DEFAULT 0 CHECK (qty >= 0),
    price numeric(12,2),
    note text,
    c fpt.color DEFAULT 'green'
);
CREATE INDEX t_lower ON fpt.t (lower(name)) WHERE qty > 0;
CREATE INDEX t_qty ON fpt.t (qty);
CREATE TABLE fpt.t2 (k int NOT NULL, v text, amount numeric(12,2));
CREATE TABLE fpt.kid (extra int) INHERITS (fpt.parent);
CREATE TABLE fpt.p0 ();
CREATE TABLE fpt.part (k int, d date) PARTITION BY RANGE (d);
CREATE TABLE fpt.part_2024 PARTITION OF fpt.part FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW fpt.v AS SELECT id, name, qty * price AS total FROM fpt.t WHERE qty > 0;
CREATE MATERIALIZED VIEW fpt.mv AS SELECT c, count(*) AS n FROM fpt.t GROUP BY c;
CREATE FUNCTION fpt.f(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS 'SELECT x + 1';
CREATE FUNCTION fpt.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_trg BEFORE INSERT ON fpt.t FOR EACH ROW WHEN (NEW.qty > 0) EXECUTE FUNCTION fpt.trg();
CREATE POLICY t_pol ON fpt.t USING (qty > 0);
CREATE FUNCTION fpt.evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
-- operator families and classes, a transform's functions, a user mapping
CREATE OPERATOR FAMILY fpt.fam USING btree;
CREATE OPERATOR CLASS fpt.int_ops FOR TYPE int USING btree FAMILY fpt.fam AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int, int);
ALTER OPERATOR FAMILY fpt.fam USING btree
    ADD OPERATOR 3 = (int, bigint), FUNCTION 1 (int, smallint) btint42cmp(int, smallint);
CREATE OPERATOR CLASS fpt.color_ops FOR TYPE fpt.color USING hash AS
    OPERATOR 1 = (anyenum, anyenum), FUNCTION 1 hashenum(anyenum);
CREATE OPERATOR FAMILY fpt.gf USING gist;
CREATE FUNCTION fpt.tr_from(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION fpt.tr_to(internal) RETURNS fpt.color LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FOREIGN DATA WRAPPER fpt_um_fdw;
CREATE SERVER fpt_um_srv FOREIGN DATA WRAPPER fpt_um_fdw;
CREATE USER MAPPING FOR PUBLIC SERVER fpt_um_srv OPTIONS (password 'sekrit-value-1');
-- an aggregate naming nine built-in functions and operators in its row
CREATE AGGREGATE fpt.avg9(int8) (SFUNC = int8_avg_accum, STYPE = internal, FINALFUNC = numeric_poly_avg,
    COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize,
    MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal, MFINALFUNC = numeric_poly_avg,
    SORTOP = >);

-- the C value equals the SQL recomputation from the manifest on this
-- schema too (dozens of rows: the order of the digests counts)
SELECT count(*) > 30 AS many_rows,
       (dualboot_schema_manifest_json() ->> 'fingerprint') = dualboot_schema_fingerprint() AS from_manifest,
       (dualboot_schema_manifest_json(true) ->> 'fingerprint') = dualboot_schema_fingerprint(true) AS from_manifest_acl
FROM dualboot_schema_manifest();

-- ---------------------------------------------------------------------
-- Sensitive: each migration moves the fingerprint; its revert brings back
-- exactly the original value. (priv: checked with include_privileges.)
-- ---------------------------------------------------------------------
CREATE TEMP TABLE mutation (n serial, what text, priv boolean DEFAULT false, doit text, undo text);
INSERT INTO mutation (what, doit, undo) VALUES
('column added', 'ALTER TABLE fpt.t ADD COLUMN z int', 'ALTER TABLE fpt.t DROP COLUMN z'),
('column type', 'ALTER TABLE fpt.t2 ALTER v TYPE varchar(20)', 'ALTER TABLE fpt.t2 ALTER v TYPE text'),
('column typmod', 'ALTER TABLE fpt.t2 ALTER amount TYPE numeric(12,3)', 'ALTER TABLE fpt.t2 ALTER amount TYPE numeric(12,2)'),
('column default', 'ALTER TABLE fpt.t ALTER qty SET DEFAULT 5', 'ALTER TABLE fpt.t ALTER qty SET DEFAULT 0'),
('column default dropped', 'ALTER TABLE fpt.t ALTER qty DROP DEFAULT', 'ALTER TABLE fpt.t ALTER qty SET DEFAULT 0'),
('column NOT NULL', 'ALTER TABLE fpt.t ALTER note SET NOT NULL', 'ALTER TABLE fpt.t ALTER note DROP NOT NULL'),
('column collation', 'ALTER TABLE fpt.t ALTER note TYPE text COLLATE "C"', 'ALTER TABLE fpt.t ALTER note TYPE text COLLATE "default"'),
('column renamed', 'ALTER TABLE fpt.t RENAME note TO remark', 'ALTER TABLE fpt.t RENAME remark TO note'),
('column storage', 'ALTER TABLE fpt.t ALTER note SET STORAGE EXTERNAL', 'ALTER TABLE fpt.t ALTER note SET STORAGE EXTENDED'),
('column statistics', 'ALTER TABLE fpt.t ALTER name SET STATISTICS 500', 'ALTER TABLE fpt.t ALTER name SET STATISTICS -1'),
('column options', 'ALTER TABLE fpt.t ALTER qty SET (n_distinct = 10)', 'ALTER TABLE fpt.t ALTER qty RESET (n_distinct)'),
('column compression', 'ALTER TABLE fpt.t ALTER note SET COMPRESSION pglz', 'ALTER TABLE fpt.t ALTER note SET COMPRESSION default'),
('identity kind', 'ALTER TABLE fpt.t ALTER id SET GENERATED BY DEFAULT', 'ALTER TABLE fpt.t ALTER id SET GENERATED ALWAYS'),
('identity sequence', 'ALTER TABLE fpt.t ALTER id SET INCREMENT BY 2', 'ALTER TABLE fpt.t ALTER id SET INCREMENT BY 1'),
('generated column', 'ALTER TABLE fpt.t ADD COLUMN g int GENERATED ALWAYS AS (qty * 2) STORED', 'ALTER TABLE fpt.t DROP COLUMN g'),
('table renamed', 'ALTER TABLE fpt.t2 RENAME TO t3', 'ALTER TABLE fpt.t3 RENAME TO t2'),
('table unlogged', 'ALTER TABLE fpt.t2 SET UNLOGGED', 'ALTER TABLE fpt.t2 SET LOGGED'),
('table options', 'ALTER TABLE fpt.t2 SET (fillfactor = 70)', 'ALTER TABLE fpt.t2 RESET (fillfactor)'),
('TOAST table options', 'ALTER TABLE fpt.t2 SET (toast.autovacuum_enabled = false)', 'ALTER TABLE fpt.t2 RESET (toast.autovacuum_enabled)'),
('replica identity', 'ALTER TABLE fpt.t2 REPLICA IDENTITY FULL', 'ALTER TABLE fpt.t2 REPLICA IDENTITY DEFAULT'),
('cluster on', 'ALTER TABLE fpt.t CLUSTER ON t_qty', 'ALTER TABLE fpt.t SET WITHOUT CLUSTER'),
('check constraint', 'ALTER TABLE fpt.t ADD CONSTRAINT qmax CHECK (qty < 1000)', 'ALTER TABLE fpt.t DROP CONSTRAINT qmax'),
('check expression', 'ALTER TABLE fpt.t DROP CONSTRAINT t_qty_check, ADD CONSTRAINT t_qty_check CHECK (qty > 0)',
    'ALTER TABLE fpt.t DROP CONSTRAINT t_qty_check, ADD CONSTRAINT t_qty_check CHECK (qty >= 0)'),
('unique constraint', 'ALTER TABLE fpt.t ADD CONSTRAINT uname UNIQUE (name)', 'ALTER TABLE fpt.t DROP CONSTRAINT uname'),
('primary key', 'ALTER TABLE fpt.t2 ADD PRIMARY KEY (k)', 'ALTER TABLE fpt.t2 DROP CONSTRAINT t2_pkey'),
('foreign key action', 'ALTER TABLE fpt.t DROP CONSTRAINT t_parent_id_fkey, ADD CONSTRAINT t_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES fpt.parent (id) ON DELETE CASCADE',
    'ALTER TABLE fpt.t DROP CONSTRAINT t_parent_id_fkey, ADD CONSTRAINT t_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES fpt.parent (id)'),
('foreign key deferrable', 'ALTER TABLE fpt.t ALTER CONSTRAINT t_parent_id_fkey DEFERRABLE INITIALLY DEFERRED', 'ALTER TABLE fpt.t ALTER CONSTRAINT t_parent_id_fkey NOT DEFERRABLE'),
('exclusion constraint', 'ALTER TABLE fpt.t2 ADD CONSTRAINT ex EXCLUDE USING btree (k WITH =)', 'ALTER TABLE fpt.t2 DROP CONSTRAINT ex'),
('index added', 'CREATE INDEX t_note ON fpt.t (note)', 'DROP INDEX fpt.t_note'),
('index expression', 'DROP INDEX fpt.t_lower; CREATE INDEX t_lower ON fpt.t (upper(name)) WHERE qty > 0',
    'DROP INDEX fpt.t_lower; CREATE INDEX t_lower ON fpt.t (lower(name)) WHERE qty > 0'),
('index predicate', 'DROP INDEX fpt.t_lower; CREATE INDEX t_lower ON fpt.t (lower(name)) WHERE qty > 1',
    'DROP INDEX fpt.t_lower; CREATE INDEX t_lower ON fpt.t (lower(name)) WHERE qty > 0'),
('index include', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty) INCLUDE (note)', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty)'),
('index unique', 'DROP INDEX fpt.t_qty; CREATE UNIQUE INDEX t_qty ON fpt.t (qty)', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty)'),
('index method', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t USING hash (qty)', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty)'),
('index order', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty DESC)', 'DROP INDEX fpt.t_qty; CREATE INDEX t_qty ON fpt.t (qty)'),
('view definition', 'CREATE OR REPLACE VIEW fpt.v AS SELECT id, name, qty * price AS total FROM fpt.t WHERE qty > 1',
    'CREATE OR REPLACE VIEW fpt.v AS SELECT id, name, qty * price AS total FROM fpt.t WHERE qty > 0'),
('view option', 'ALTER VIEW fpt.v SET (security_barrier = true)', 'ALTER VIEW fpt.v RESET (security_barrier)'),
('materialized view', 'DROP MATERIALIZED VIEW fpt.mv; CREATE MATERIALIZED VIEW fpt.mv AS SELECT c, count(*) AS n FROM fpt.t WHERE qty > 0 GROUP BY c',
    'DROP MATERIALIZED VIEW fpt.mv; CREATE MATERIALIZED VIEW fpt.mv AS SELECT c, count(*) AS n FROM fpt.t GROUP BY c'),
('sequence increment', 'ALTER SEQUENCE fpt.s INCREMENT 2', 'ALTER SEQUENCE fpt.s INCREMENT 1'),
('sequence cycle', 'ALTER SEQUENCE fpt.s CYCLE', 'ALTER SEQUENCE fpt.s NO CYCLE'),
('sequence owned by', 'ALTER SEQUENCE fpt.s OWNED BY fpt.t.qty', 'ALTER SEQUENCE fpt.s OWNED BY NONE'),
('function body', 'CREATE OR REPLACE FUNCTION fpt.f(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS ''SELECT x + 2''',
    'CREATE OR REPLACE FUNCTION fpt.f(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS ''SELECT x + 1'''),
('function volatility', 'ALTER FUNCTION fpt.f(int) STABLE', 'ALTER FUNCTION fpt.f(int) IMMUTABLE'),
('function strictness', 'ALTER FUNCTION fpt.f(int) CALLED ON NULL INPUT', 'ALTER FUNCTION fpt.f(int) STRICT'),
('function security', 'ALTER FUNCTION fpt.f(int) SECURITY DEFINER', 'ALTER FUNCTION fpt.f(int) SECURITY INVOKER'),
('function parallel', 'ALTER FUNCTION fpt.f(int) PARALLEL SAFE', 'ALTER FUNCTION fpt.f(int) PARALLEL UNSAFE'),
('function setting', 'ALTER FUNCTION fpt.f(int) SET work_mem = ''1MB''', 'ALTER FUNCTION fpt.f(int) RESET work_mem'),
('function cost', 'ALTER FUNCTION fpt.f(int) COST 500', 'ALTER FUNCTION fpt.f(int) COST 100'),
('function renamed', 'ALTER FUNCTION fpt.f(int) RENAME TO g', 'ALTER FUNCTION fpt.g(int) RENAME TO f'),
('procedure', 'CREATE PROCEDURE fpt.p() LANGUAGE sql AS ''SELECT 1''', 'DROP PROCEDURE fpt.p()'),
('aggregate', 'CREATE AGGREGATE fpt.total(int) (SFUNC = int4pl, STYPE = int)', 'DROP AGGREGATE fpt.total(int)'),
('operator', 'CREATE OPERATOR fpt.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)', 'DROP OPERATOR fpt.=== (int, int)'),
('cast', 'CREATE CAST (fpt.comp AS text) WITH INOUT', 'DROP CAST (fpt.comp AS text)'),
('trigger added', 'CREATE TRIGGER t_trg2 AFTER DELETE ON fpt.t FOR EACH ROW EXECUTE FUNCTION fpt.trg()', 'DROP TRIGGER t_trg2 ON fpt.t'),
('trigger disabled', 'ALTER TABLE fpt.t DISABLE TRIGGER t_trg', 'ALTER TABLE fpt.t ENABLE TRIGGER t_trg'),
('trigger when', 'DROP TRIGGER t_trg ON fpt.t; CREATE TRIGGER t_trg BEFORE INSERT ON fpt.t FOR EACH ROW WHEN (NEW.qty > 1) EXECUTE FUNCTION fpt.trg()',
    'DROP TRIGGER t_trg ON fpt.t; CREATE TRIGGER t_trg BEFORE INSERT ON fpt.t FOR EACH ROW WHEN (NEW.qty > 0) EXECUTE FUNCTION fpt.trg()'),
('rule', 'CREATE RULE r AS ON DELETE TO fpt.t2 DO INSTEAD NOTHING', 'DROP RULE r ON fpt.t2'),
('enum label', 'ALTER TYPE fpt.color RENAME VALUE ''green'' TO ''lime''', 'ALTER TYPE fpt.color RENAME VALUE ''lime'' TO ''green'''),
('composite attribute', 'ALTER TYPE fpt.comp ADD ATTRIBUTE z int', 'ALTER TYPE fpt.comp DROP ATTRIBUTE z'),
('domain constraint', 'ALTER DOMAIN fpt.pos ADD CONSTRAINT small CHECK (VALUE < 100)', 'ALTER DOMAIN fpt.pos DROP CONSTRAINT small'),
('domain default', 'ALTER DOMAIN fpt.pos SET DEFAULT 1', 'ALTER DOMAIN fpt.pos DROP DEFAULT'),
('domain not null', 'ALTER DOMAIN fpt.pos SET NOT NULL', 'ALTER DOMAIN fpt.pos DROP NOT NULL'),
('range type', 'CREATE TYPE fpt.fr AS RANGE (subtype = float8)', 'DROP TYPE fpt.fr'),
('collation', 'CREATE COLLATION fpt.c2 FROM "C"', 'DROP COLLATION fpt.c2'),
('policy added', 'CREATE POLICY p2 ON fpt.t FOR DELETE USING (false)', 'DROP POLICY p2 ON fpt.t'),
('policy expression', 'ALTER POLICY t_pol ON fpt.t USING (qty > 1)', 'ALTER POLICY t_pol ON fpt.t USING (qty > 0)'),
('policy roles', 'ALTER POLICY t_pol ON fpt.t TO regress_fp_owner', 'ALTER POLICY t_pol ON fpt.t TO PUBLIC'),
('row level security', 'ALTER TABLE fpt.t ENABLE ROW LEVEL SECURITY', 'ALTER TABLE fpt.t DISABLE ROW LEVEL SECURITY'),
('forced row security', 'ALTER TABLE fpt.t FORCE ROW LEVEL SECURITY', 'ALTER TABLE fpt.t NO FORCE ROW LEVEL SECURITY'),
('partition added', 'CREATE TABLE fpt.part_2025 PARTITION OF fpt.part FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')', 'DROP TABLE fpt.part_2025'),
('partition detached', 'ALTER TABLE fpt.part DETACH PARTITION fpt.part_2024', 'ALTER TABLE fpt.part ATTACH PARTITION fpt.part_2024 FOR VALUES FROM (''2024-01-01'') TO (''2025-01-01'')'),
('inheritance', 'ALTER TABLE fpt.kid INHERIT fpt.p0', 'ALTER TABLE fpt.kid NO INHERIT fpt.p0'),
('partitioned index', 'CREATE INDEX part_k ON fpt.part (k)', 'DROP INDEX fpt.part_k'),
('publication', 'CREATE PUBLICATION fpt_pub FOR TABLE fpt.t2', 'DROP PUBLICATION fpt_pub'),
('statistics object', 'CREATE STATISTICS fpt.st ON qty, price FROM fpt.t', 'DROP STATISTICS fpt.st'),
('event trigger', 'CREATE EVENT TRIGGER fpt_evt ON ddl_command_start EXECUTE FUNCTION fpt.evt()', 'DROP EVENT TRIGGER fpt_evt'),
('extension', 'CREATE EXTENSION pg_trgm SCHEMA fpt', 'DROP EXTENSION pg_trgm'),
('schema', 'CREATE SCHEMA fpt_extra', 'DROP SCHEMA fpt_extra'),
('text search configuration', 'CREATE TEXT SEARCH CONFIGURATION fpt.cfg (COPY = simple)', 'DROP TEXT SEARCH CONFIGURATION fpt.cfg'),
('foreign data wrapper', 'CREATE FOREIGN DATA WRAPPER fpt_fdw', 'DROP FOREIGN DATA WRAPPER fpt_fdw');
INSERT INTO mutation (what, priv, doit, undo) VALUES
('grant', true, 'GRANT SELECT ON fpt.t TO PUBLIC', 'REVOKE SELECT ON fpt.t FROM PUBLIC'),
('column grant', true, 'GRANT UPDATE (note) ON fpt.t TO regress_fp_owner', 'REVOKE UPDATE (note) ON fpt.t FROM regress_fp_owner'),
('owner', true, 'ALTER TABLE fpt.t2 OWNER TO regress_fp_owner', 'ALTER TABLE fpt.t2 OWNER TO CURRENT_USER'),
('function grant', true, 'REVOKE EXECUTE ON FUNCTION fpt.f(int) FROM PUBLIC', 'GRANT EXECUTE ON FUNCTION fpt.f(int) TO PUBLIC'),
('comment', true, 'COMMENT ON TABLE fpt.t IS ''things''', 'COMMENT ON TABLE fpt.t IS NULL'),
('column comment', true, 'COMMENT ON COLUMN fpt.t.qty IS ''how many''', 'COMMENT ON COLUMN fpt.t.qty IS NULL'),
('default privileges', true, 'ALTER DEFAULT PRIVILEGES IN SCHEMA fpt GRANT SELECT ON TABLES TO regress_fp_owner',
    'ALTER DEFAULT PRIVILEGES IN SCHEMA fpt REVOKE SELECT ON TABLES FROM regress_fp_owner');
-- access methods, operator families and classes, conversions, transforms,
-- user mappings (fingerprint_opclass.c)
INSERT INTO mutation (what, priv, doit, undo) VALUES
('operator class', false, 'CREATE OPERATOR CLASS fpt.rev_ops FOR TYPE int USING btree AS OPERATOR 1 >, OPERATOR 3 =, OPERATOR 5 <, FUNCTION 1 btint4cmp(int, int)',
    'DROP OPERATOR FAMILY fpt.rev_ops USING btree'),
('operator class renamed', false, 'ALTER OPERATOR CLASS fpt.int_ops USING btree RENAME TO int_ops2', 'ALTER OPERATOR CLASS fpt.int_ops2 USING btree RENAME TO int_ops'),
('operator class default', false,
    'DROP OPERATOR CLASS fpt.color_ops USING hash; CREATE OPERATOR CLASS fpt.color_ops DEFAULT FOR TYPE fpt.color USING hash AS STORAGE fpt.color',
    'DROP OPERATOR CLASS fpt.color_ops USING hash; CREATE OPERATOR CLASS fpt.color_ops FOR TYPE fpt.color USING hash AS STORAGE fpt.color'),
('operator class owner', true, 'ALTER OPERATOR CLASS fpt.int_ops USING btree OWNER TO regress_fp_owner', 'ALTER OPERATOR CLASS fpt.int_ops USING btree OWNER TO CURRENT_USER'),
('operator family', false, 'CREATE OPERATOR FAMILY fpt.fam2 USING hash', 'DROP OPERATOR FAMILY fpt.fam2 USING hash'),
('operator family owner', true, 'ALTER OPERATOR FAMILY fpt.fam USING btree OWNER TO regress_fp_owner', 'ALTER OPERATOR FAMILY fpt.fam USING btree OWNER TO CURRENT_USER'),
('family operator added', false, 'ALTER OPERATOR FAMILY fpt.fam USING btree ADD OPERATOR 1 < (int, bigint)', 'ALTER OPERATOR FAMILY fpt.fam USING btree DROP OPERATOR 1 (int, bigint)'),
('family operator dropped', false, 'ALTER OPERATOR FAMILY fpt.fam USING btree DROP OPERATOR 3 (int, bigint)', 'ALTER OPERATOR FAMILY fpt.fam USING btree ADD OPERATOR 3 = (int, bigint)'),
('family operator strategy', false,
    'ALTER OPERATOR FAMILY fpt.fam USING btree DROP OPERATOR 3 (int, bigint); ALTER OPERATOR FAMILY fpt.fam USING btree ADD OPERATOR 2 = (int, bigint)',
    'ALTER OPERATOR FAMILY fpt.fam USING btree DROP OPERATOR 2 (int, bigint); ALTER OPERATOR FAMILY fpt.fam USING btree ADD OPERATOR 3 = (int, bigint)'),
('family order-by operator', false, 'ALTER OPERATOR FAMILY fpt.gf USING gist ADD OPERATOR 15 <-> (point, point) FOR ORDER BY pg_catalog.float_ops',
    'ALTER OPERATOR FAMILY fpt.gf USING gist DROP OPERATOR 15 (point, point)'),
('family function added', false, 'ALTER OPERATOR FAMILY fpt.fam USING btree ADD FUNCTION 1 (int, bigint) btint48cmp(int, bigint)',
    'ALTER OPERATOR FAMILY fpt.fam USING btree DROP FUNCTION 1 (int, bigint)'),
('family function dropped', false, 'ALTER OPERATOR FAMILY fpt.fam USING btree DROP FUNCTION 1 (int, smallint)',
    'ALTER OPERATOR FAMILY fpt.fam USING btree ADD FUNCTION 1 (int, smallint) btint42cmp(int, smallint)'),
('family members unbound', false,
    'DROP OPERATOR CLASS fpt.int_ops USING btree; ALTER OPERATOR FAMILY fpt.fam USING btree ADD OPERATOR 1 < (int, int), OPERATOR 2 <= (int, int), OPERATOR 3 = (int, int), OPERATOR 4 >= (int, int), OPERATOR 5 > (int, int), FUNCTION 1 (int, int) btint4cmp(int, int); CREATE OPERATOR CLASS fpt.int_ops FOR TYPE int USING btree FAMILY fpt.fam AS STORAGE int',
    'DROP OPERATOR CLASS fpt.int_ops USING btree; ALTER OPERATOR FAMILY fpt.fam USING btree DROP OPERATOR 1 (int, int), OPERATOR 2 (int, int), OPERATOR 3 (int, int), OPERATOR 4 (int, int), OPERATOR 5 (int, int), FUNCTION 1 (int, int); CREATE OPERATOR CLASS fpt.int_ops FOR TYPE int USING btree FAMILY fpt.fam AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int, int)'),
('conversion', false, 'CREATE CONVERSION fpt.conv FOR ''LATIN1'' TO ''UTF8'' FROM iso8859_1_to_utf8', 'DROP CONVERSION fpt.conv'),
('transform', false, 'CREATE TRANSFORM FOR fpt.color LANGUAGE plpgsql (FROM SQL WITH FUNCTION fpt.tr_from(internal), TO SQL WITH FUNCTION fpt.tr_to(internal))',
    'DROP TRANSFORM FOR fpt.color LANGUAGE plpgsql'),
('index access method', false, 'CREATE ACCESS METHOD fpt_am TYPE INDEX HANDLER bthandler', 'DROP ACCESS METHOD fpt_am'),
('table access method', false, 'CREATE ACCESS METHOD fpt_tam TYPE TABLE HANDLER heap_tableam_handler', 'DROP ACCESS METHOD fpt_tam'),
('user mapping', true, 'CREATE USER MAPPING FOR regress_fp_owner SERVER fpt_um_srv OPTIONS (user ''x'')',
    'DROP USER MAPPING FOR regress_fp_owner SERVER fpt_um_srv'),
('user mapping of another user', true, 'DROP USER MAPPING FOR PUBLIC SERVER fpt_um_srv; CREATE USER MAPPING FOR regress_fp_owner SERVER fpt_um_srv OPTIONS (password ''sekrit-value-1'')',
    'DROP USER MAPPING FOR regress_fp_owner SERVER fpt_um_srv; CREATE USER MAPPING FOR PUBLIC SERVER fpt_um_srv OPTIONS (password ''sekrit-value-1'')'),
('aggregate sort operator', false,
    'DROP AGGREGATE fpt.avg9(int8); CREATE AGGREGATE fpt.avg9(int8) (SFUNC = int8_avg_accum, STYPE = internal, FINALFUNC = numeric_poly_avg, COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize, MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal, MFINALFUNC = numeric_poly_avg, SORTOP = <)',
    'DROP AGGREGATE fpt.avg9(int8); CREATE AGGREGATE fpt.avg9(int8) (SFUNC = int8_avg_accum, STYPE = internal, FINALFUNC = numeric_poly_avg, COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize, MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal, MFINALFUNC = numeric_poly_avg, SORTOP = >)');

CREATE TEMP TABLE outcome (n int, moved boolean, restored boolean, error text);
DO $$
DECLARE
    m record;
    before text;
    during text;
    after text;
BEGIN
    FOR m IN SELECT * FROM mutation ORDER BY n LOOP
        BEGIN
            before := dualboot_schema_fingerprint(m.priv);
            EXECUTE m.doit;
            during := dualboot_schema_fingerprint(m.priv);
            EXECUTE m.undo;
            after := dualboot_schema_fingerprint(m.priv);
            INSERT INTO outcome VALUES (m.n, during <> before, after = before, NULL);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO outcome VALUES (m.n, NULL, NULL, SQLERRM);
        END;
    END LOOP;
END $$;
SELECT m.n, m.what, o.moved, o.restored, o.error
FROM mutation m JOIN outcome o USING (n) ORDER BY m.n;
SELECT count(*) AS mutations, count(*) FILTER (WHERE moved AND restored) AS detected_and_reverted
FROM outcome;

-- the partitioned index is a row of its own (the 'partitioned index'
-- mutation would move with its partition's index alone)
CREATE INDEX part_k ON fpt.part (k);
SELECT kind, identity FROM dualboot_schema_manifest()
WHERE identity IN ('fpt.part_k', 'fpt.part_2024_k_idx') ORDER BY identity COLLATE "C";
DROP INDEX fpt.part_k;

-- privileges are not part of the default fingerprint
SELECT dualboot_schema_fingerprint() AS before_grant \gset
GRANT SELECT ON fpt.t TO PUBLIC;
COMMENT ON TABLE fpt.t IS 'no effect by default';
SELECT dualboot_schema_fingerprint() = :'before_grant' AS grant_ignored_by_default;
REVOKE SELECT ON fpt.t FROM PUBLIC;
COMMENT ON TABLE fpt.t IS NULL;

-- user mappings: only with privileges, and nothing of their options (a
-- password, and even option names, which pg_user_mappings hides from other
-- roles): the canonical text is readable by every role
SELECT count(*) FILTER (WHERE kind = 'user mapping') AS mappings_by_default
FROM dualboot_schema_manifest();
SELECT identity, canonical NOT LIKE '%password%' AS no_option_name,
       canonical NOT LIKE '%sekrit%' AS no_value
FROM dualboot_schema_canonical(true) WHERE kind = 'user mapping';
SELECT count(*) AS rows_with_password_value
FROM dualboot_schema_canonical(true)
WHERE canonical LIKE '%sekrit%' OR identity LIKE '%sekrit%';
SELECT dualboot_schema_fingerprint(true) AS before_password \gset
ALTER USER MAPPING FOR PUBLIC SERVER fpt_um_srv OPTIONS (SET password 'sekrit-value-2');
ALTER USER MAPPING FOR PUBLIC SERVER fpt_um_srv OPTIONS (ADD user 'u');
SELECT dualboot_schema_fingerprint(true) = :'before_password' AS option_changes_not_seen;
ALTER USER MAPPING FOR PUBLIC SERVER fpt_um_srv OPTIONS (DROP user);

-- ---------------------------------------------------------------------
-- Stable: data, maintenance, search_path and OIDs do not matter.
-- ---------------------------------------------------------------------
SELECT dualboot_schema_fingerprint() AS base, dualboot_schema_fingerprint(true) AS base_acl \gset
INSERT INTO fpt.parent VALUES (1, 'one');
INSERT INTO fpt.t (parent_id, name, qty, price) SELECT 1, 'n' || i, i, i FROM generate_series(1, 200) i;
SELECT setval('fpt.s', 42);
ANALYZE fpt.t;
VACUUM FULL fpt.t;
REINDEX TABLE fpt.t;
CLUSTER fpt.t USING t_qty;
ALTER TABLE fpt.t SET WITHOUT CLUSTER;
REFRESH MATERIALIZED VIEW fpt.mv;
SELECT dualboot_schema_fingerprint() = :'base' AS data_and_maintenance,
       dualboot_schema_fingerprint(true) = :'base_acl' AS data_and_maintenance_acl;
SET search_path = fpt, public;
SELECT dualboot_schema_fingerprint() = :'base' AS any_search_path;
RESET search_path;
-- the same objects made again get new OIDs, not a new fingerprint
DROP VIEW fpt.v;
DROP FUNCTION fpt.f(int);
CREATE FUNCTION fpt.f(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS 'SELECT x + 1';
CREATE VIEW fpt.v AS SELECT id, name, qty * price AS total FROM fpt.t WHERE qty > 0;
SELECT dualboot_schema_fingerprint() = :'base' AS new_oids;

-- dropped-column gaps and enum sort-order values leave no trace: twins
-- built differently have the same canonical bytes (their hashes differ:
-- an object's hash also covers its kind and name)
CREATE TABLE fpt.gap (a int, x int, b text DEFAULT 'b', y int, c int CHECK (c > 0));
ALTER TABLE fpt.gap DROP COLUMN x;
ALTER TABLE fpt.gap DROP COLUMN y;
CREATE TABLE fpt.nogap (a int, b text DEFAULT 'b', c int CHECK (c > 0));
CREATE TYPE fpt.e_direct AS ENUM ('a', 'b', 'c');
CREATE TYPE fpt.e_added AS ENUM ('c');
ALTER TYPE fpt.e_added ADD VALUE 'a' BEFORE 'c';
ALTER TYPE fpt.e_added ADD VALUE 'b' AFTER 'a';
SELECT kind, count(DISTINCT canonical) AS distinct_canonical,
       count(DISTINCT fingerprint) AS distinct_hashes
FROM dualboot_schema_canonical() JOIN dualboot_schema_manifest() USING (kind, identity)
WHERE identity IN ('fpt.gap', 'fpt.nogap', 'fpt.e_direct', 'fpt.e_added')
GROUP BY kind ORDER BY kind;
-- how a schema got there leaves no trace either (issue 12). A column's type
-- changed and changed back: ALTER TYPE re-coerces the default without
-- assigning collations, so the stored tree differs from the twin's, whose
-- pg_dump text is the same.
CREATE TABLE fpt.retyped (a varchar(128) DEFAULT 'x', b varchar(10) COLLATE "C" DEFAULT 'y' || 'z');
ALTER TABLE fpt.retyped ALTER COLUMN a TYPE varchar(129), ALTER COLUMN b TYPE varchar(11) COLLATE "C";
ALTER TABLE fpt.retyped ALTER COLUMN a TYPE varchar(128), ALTER COLUMN b TYPE varchar(10) COLLATE "C";
CREATE TABLE fpt.typed_once (a varchar(128) DEFAULT 'x', b varchar(10) COLLATE "C" DEFAULT 'y' || 'z');
-- a partition's primary key made by PARTITION OF, and as pg_dump restores
-- it (the partition made alone, attached, its key added and its index
-- attached) in a schema of its own: connoinherit differs, and means
-- nothing for a key
CREATE TABLE fpt.pk_made (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE fpt.pk_made_1 PARTITION OF fpt.pk_made FOR VALUES FROM (0) TO (10);
CREATE SCHEMA fpu;	-- as long a name as fpt: length prefixes match
CREATE TABLE fpu.pk_made (id int NOT NULL, v int) PARTITION BY RANGE (id);
CREATE TABLE fpu.pk_made_1 (id int NOT NULL, v int);
ALTER TABLE ONLY fpu.pk_made ATTACH PARTITION fpu.pk_made_1 FOR VALUES FROM (0) TO (10);
ALTER TABLE ONLY fpu.pk_made ADD CONSTRAINT pk_made_pkey PRIMARY KEY (id);
ALTER TABLE ONLY fpu.pk_made_1 ADD CONSTRAINT pk_made_1_pkey PRIMARY KEY (id);
ALTER INDEX fpu.pk_made_pkey ATTACH PARTITION fpu.pk_made_1_pkey;
-- a foreign key uses the first matching unique index by OID: with two on
-- the referenced column, which one depends on the order they were made,
-- and pg_dump restores them in name order (the key's meaning, its
-- columns and operators, is the same). The rows that differ:
CREATE TABLE fpt.fk_ref (id int, CONSTRAINT fk_ref_z UNIQUE (id));
ALTER TABLE fpt.fk_ref ADD CONSTRAINT fk_ref_a UNIQUE (id);
CREATE TABLE fpt.fk_src (rid int REFERENCES fpt.fk_ref (id));
CREATE TABLE fpu.fk_ref (id int);
ALTER TABLE fpu.fk_ref ADD CONSTRAINT fk_ref_a UNIQUE (id);
ALTER TABLE fpu.fk_ref ADD CONSTRAINT fk_ref_z UNIQUE (id);
CREATE TABLE fpu.fk_src (rid int);
ALTER TABLE fpu.fk_src ADD CONSTRAINT fk_src_rid_fkey FOREIGN KEY (rid) REFERENCES fpu.fk_ref (id);
SELECT (SELECT canonical FROM dualboot_schema_canonical() WHERE kind = 'table' AND identity = 'fpt.retyped') =
       (SELECT canonical FROM dualboot_schema_canonical() WHERE kind = 'table' AND identity = 'fpt.typed_once')
       AS type_changed_and_back_same;
SELECT c.kind, c.identity
FROM dualboot_schema_canonical() c
FULL JOIN (SELECT kind, replace(identity, 'fpu.', 'fpt.') AS identity, replace(canonical, ':fpu.', ':fpt.') AS canonical
           FROM dualboot_schema_canonical() WHERE identity LIKE 'fpu.%') u USING (kind, identity)
WHERE (c.identity LIKE 'fpt.pk\_made%' OR c.identity LIKE 'fpt.fk\_%') AND c.canonical IS DISTINCT FROM u.canonical
ORDER BY 1, 2;
-- and the other way: a range type's constructor replaced with its own text
-- (CREATE OR REPLACE) is no longer part of the type (pg_depend 'i' becomes
-- 'n'): pg_dump then prints it on its own, and the value must move
CREATE TYPE fpt.span AS RANGE (subtype = float8);
SELECT dualboot_schema_fingerprint() AS fp_span \gset
DO $$ BEGIN EXECUTE pg_get_functiondef('fpt.span(float8, float8, text)'::regprocedure); END $$;
SELECT dualboot_schema_fingerprint() <> :'fp_span' AS replaced_constructor_moves;
-- each object's hash is SHA-256 of kind NUL identity NUL canonical bytes
SELECT count(*) > 0 AS rows,
       bool_and(fingerprint = encode(sha256(convert_to(kind, 'UTF8') || '\x00'::bytea
                || convert_to(identity, 'UTF8') || '\x00'::bytea
                || convert_to(canonical, 'UTF8')), 'hex')) AS row_hash_defined
FROM dualboot_schema_canonical() JOIN dualboot_schema_manifest() USING (kind, identity);

-- ---------------------------------------------------------------------
-- Manifest rows and identities
-- ---------------------------------------------------------------------
SELECT kind, identity FROM dualboot_schema_manifest()
WHERE identity LIKE 'fpt.%' OR identity = 'fpt'
ORDER BY kind COLLATE "C", identity COLLATE "C";
-- extension members are summarised by the extension
CREATE EXTENSION pg_trgm SCHEMA fpt;
SELECT kind, identity FROM dualboot_schema_manifest()
WHERE identity LIKE '%trgm%' ORDER BY 1, 2;
DROP EXTENSION pg_trgm;

-- ---------------------------------------------------------------------
-- Diff against a saved manifest
-- ---------------------------------------------------------------------
CREATE TEMP TABLE saved AS SELECT dualboot_schema_manifest_json() AS doc;
SELECT doc ->> 'format' AS format, doc ->> 'version' AS version,
       (doc ->> 'fingerprint') = dualboot_schema_fingerprint() AS current
FROM saved;
SELECT count(*) AS no_changes FROM saved, dualboot_schema_diff(saved.doc);
ALTER TABLE fpt.t ADD COLUMN extra int;
DROP INDEX fpt.t_qty;
CREATE TABLE fpt.brand_new (x int);
SELECT d.kind, d.identity, d.change,
       d.saved_fingerprint IS NOT NULL AS had, d.current_fingerprint IS NOT NULL AS has
FROM saved, dualboot_schema_diff(saved.doc) AS d ORDER BY 1, 2;
-- a manifest from another server major (or algorithm) is refused
SELECT * FROM dualboot_schema_diff(jsonb_build_object('fingerprint', 'dbfp1:pg99:' || repeat('0', 64), 'objects', '[]'::jsonb));
-- the algorithm alone counts too: a dbfp2 manifest of this very server major
-- (a manifest saved before the upgrade to dbfp3)
SELECT * FROM dualboot_schema_diff(jsonb_build_object('fingerprint', 'dbfp2:pg'
    || current_setting('server_version_num')::int / 10000 || ':' || repeat('0', 64), 'objects', '[]'::jsonb));
SELECT * FROM dualboot_schema_diff('{"objects": []}'::jsonb);

-- TOAST tables and their indexes are left out of the maps; a reference to
-- one (a regclass constant) is still named, never written as a dangling OID
CREATE TABLE fpt.toasty (x text);
DO $$
BEGIN
  EXECUTE format('CREATE TABLE fpt.toastref (r regclass DEFAULT %L::regclass, i regclass DEFAULT %L::regclass)',
    (SELECT c.reltoastrelid::regclass::text FROM pg_class c WHERE c.oid = 'fpt.toasty'::regclass),
    (SELECT i.indexrelid::regclass::text FROM pg_index i, pg_class c
      WHERE c.oid = 'fpt.toasty'::regclass AND i.indrelid = c.reltoastrelid));
END $$;
SELECT canonical LIKE '%pg_toast.pg_toast_%' AS names_toast,
       canonical LIKE '%pg_toast.pg_toast_%_index%' AS names_toast_index,
       canonical NOT LIKE '%?%' AS no_dangling
FROM dualboot_schema_canonical() WHERE kind = 'table' AND identity = 'fpt.toastref';

-- a partition bound naming a relation (regclass) whose pg_class row is read
-- after the partition's: named, not written as a dangling OID (bounds are
-- canonicalised once every relation is known)
CREATE TABLE fpt.bx (a int);
CREATE TABLE fpt.bp (r regclass) PARTITION BY LIST (r);
CREATE TABLE fpt.bp1 PARTITION OF fpt.bp FOR VALUES IN ('fpt.bx');
-- a new row version, in practice later in pg_class than bp1's (not printed:
-- where a row lands depends on free space, which autovacuum may change)
ALTER TABLE fpt.bx ADD COLUMN b int;
SELECT canonical AS bp1 FROM dualboot_schema_canonical() WHERE identity = 'fpt.bp1' \gset
ALTER TABLE fpt.bx RENAME TO bx2;
SELECT canonical <> :'bp1' AS bound_names_relation
FROM dualboot_schema_canonical() WHERE identity = 'fpt.bp1';
DROP TABLE fpt.bp, fpt.bx2;

-- the manifest goes through a sort bounded by work_mem: the same rows in
-- the same order, and the same fingerprint, when it spills to disk (400
-- more tables make the rows outgrow 64 kB)
DO $$
BEGIN
  FOR i IN 1..400 LOOP
    EXECUTE format('CREATE TABLE fpt.bulk_%s (id int PRIMARY KEY, a text DEFAULT %L, b int CHECK (b > %s))', i, 'v' || i, i);
  END LOOP;
END $$;
CREATE TEMP TABLE fp_big_mem AS
SELECT dualboot_schema_fingerprint() AS fp,
       (SELECT string_agg(kind || ' ' || identity || ' ' || fingerprint, E'\n')
          FROM dualboot_schema_manifest()) AS manifest,
       (SELECT string_agg(kind || ' ' || identity || ' ' || canonical, E'\n')
          FROM dualboot_schema_canonical()) AS canonical;
SET work_mem = '64kB';
SELECT fp = dualboot_schema_fingerprint() AS same_fingerprint,
       manifest = (SELECT string_agg(kind || ' ' || identity || ' ' || fingerprint, E'\n')
                     FROM dualboot_schema_manifest()) AS same_manifest,
       canonical = (SELECT string_agg(kind || ' ' || identity || ' ' || canonical, E'\n')
                      FROM dualboot_schema_canonical()) AS same_canonical,
       length(canonical) > 128 * 1024 AND length(manifest) > 128 * 1024 AS spills
FROM fp_big_mem;
RESET work_mem;

-- clean up
DROP SCHEMA fpt CASCADE;
DROP SCHEMA fpu CASCADE;
DROP FOREIGN DATA WRAPPER fpt_um_fdw CASCADE;
DROP ROLE regress_fp_owner;
RESET client_min_messages;
