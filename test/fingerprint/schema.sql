-- A schema touching every kind the fingerprint covers, built in an order and
-- with history (dropped columns, enum values added in between, renames)
-- that pg_dump does not reproduce: a restore must still give the same
-- fingerprint. Used by test/t/40-fingerprint.t.
CREATE EXTENSION IF NOT EXISTS dualboot;
CREATE SCHEMA app;
CREATE SCHEMA "Mixed Case";
SET search_path = app, public;

CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy';
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE DOMAIN email AS text COLLATE "C" CHECK (VALUE ~ '@');
CREATE TYPE pair AS (a integer, b text, c mood);
ALTER TYPE pair DROP ATTRIBUTE b;
ALTER TYPE pair ADD ATTRIBUTE d numeric(10,2);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE SEQUENCE counter INCREMENT 5 MINVALUE 10 MAXVALUE 100000 START 20 CACHE 3 CYCLE;

CREATE TABLE customer (
    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100) PRIMARY KEY,
    dropped1 int,
    name text NOT NULL COLLATE "C",
    email email,
    m mood DEFAULT 'ok',
    moods mood[] DEFAULT '{sad,happy}',
    score numeric(8,3) DEFAULT 0 CHECK (score >= 0),
    p pair,
    r floatrange DEFAULT '[1,2)',
    created timestamptz NOT NULL DEFAULT now(),
    n serial,
    upper_name text GENERATED ALWAYS AS (upper(name)) STORED,
    nick text COLLATE ci,
    UNIQUE (email),
    CONSTRAINT name_len CHECK (length(name) < 200) NOT VALID
);
-- TOAST table options (pg_dump writes them in the table's WITH clause)
ALTER TABLE customer SET (toast.autovacuum_enabled = false);
ALTER TABLE customer DROP COLUMN dropped1;
ALTER TABLE customer ADD COLUMN late_col int DEFAULT nextval('counter');
ALTER TABLE customer ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE customer ALTER COLUMN nick SET STORAGE EXTERNAL;
ALTER TABLE customer SET (fillfactor = 80, autovacuum_enabled = false);
ALTER TABLE customer ALTER COLUMN score SET (n_distinct = 100);

CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id) ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    qty int CHECK (qty > 0),
    during tstzrange,
    note text,
    EXCLUDE USING gist (during WITH &&) WHERE (qty > 10)
);
CREATE INDEX orders_expr ON orders (lower(note) DESC NULLS LAST, qty) INCLUDE (id) WHERE qty > 1;
CREATE UNIQUE INDEX orders_uq ON orders (customer_id, id) NULLS NOT DISTINCT;
CREATE INDEX orders_hash ON orders USING hash (note);
CREATE INDEX customer_m ON customer (m) WHERE m > 'ok';
ALTER TABLE orders CLUSTER ON orders_uq;
ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_uq;
ALTER TABLE orders ALTER COLUMN qty SET NOT NULL;

CREATE TABLE measurement (city int, logdate date, peak int, dropme int) PARTITION BY RANGE (logdate);
ALTER TABLE measurement DROP COLUMN dropme;
CREATE TABLE measurement_2024 PARTITION OF measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurement_def PARTITION OF measurement DEFAULT;
CREATE INDEX measurement_city ON measurement (city);
CREATE TABLE listed (k text, v int) PARTITION BY LIST (lower(k));
CREATE TABLE listed_a PARTITION OF listed FOR VALUES IN ('a', 'b');
CREATE TABLE hashed (k int) PARTITION BY HASH (k);
CREATE TABLE hashed_0 PARTITION OF hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);

CREATE TABLE base (id int, tag text DEFAULT 'x');
CREATE TABLE child (extra int) INHERITS (base);
CREATE UNLOGGED TABLE scratch (x int);

CREATE FUNCTION add(a int, b int DEFAULT 2) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT a + b';
CREATE FUNCTION std_body(x int) RETURNS int LANGUAGE sql STABLE
    RETURN x * (SELECT count(*)::int FROM customer WHERE score > x);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = app, pg_temp
    COST 7 AS $$ BEGIN NEW.note := coalesce(NEW.note, 'n'); RETURN NEW; END $$;
CREATE FUNCTION setof_f(OUT a int, OUT b text) RETURNS SETOF record LANGUAGE sql ROWS 5
    AS 'SELECT 1, ''x''';
CREATE PROCEDURE proc1(INOUT x int) LANGUAGE plpgsql AS $$ BEGIN x := x + 1; END $$;
CREATE FUNCTION mood_rank(mood) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE FUNCTION evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;

CREATE AGGREGATE sum_sq(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
CREATE FUNCTION pair_eq(pair, pair) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.a = $2.a';
CREATE OPERATOR === (LEFTARG = pair, RIGHTARG = pair, FUNCTION = pair_eq, COMMUTATOR = ===);
CREATE FUNCTION pair_to_int(pair) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1.a';
CREATE CAST (pair AS int) WITH FUNCTION pair_to_int(pair) AS ASSIGNMENT;

CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE OF note, qty ON orders
    FOR EACH ROW WHEN (NEW.qty IS DISTINCT FROM 0) EXECUTE FUNCTION touch();
CREATE TRIGGER cust_touch AFTER UPDATE ON customer REFERENCING NEW TABLE AS newtab
    FOR EACH STATEMENT EXECUTE FUNCTION touch();
ALTER TABLE customer DISABLE TRIGGER cust_touch;

CREATE VIEW big_customers AS
    SELECT c.id, c.name, upper(c.name) AS shout, o.qty, c.m,
           (SELECT count(*) FROM orders o2 WHERE o2.customer_id = c.id) AS n_orders
    FROM customer c JOIN orders o ON o.customer_id = c.id
    WHERE c.score > 10 AND c.m IN ('happy', 'ecstatic') AND c.created > '2020-01-01'::date
    ORDER BY c.name;
CREATE VIEW self_ref AS SELECT * FROM base WHERE EXISTS (SELECT 1 FROM base b2 WHERE b2.id = base.id);
CREATE VIEW using_join AS SELECT id, base.tag, child.extra FROM base JOIN child USING (id);
CREATE VIEW with_cte WITH (security_barrier) AS
    WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5)
    SELECT n, 'counter'::regclass AS rc, 'app.add'::regproc AS fn FROM r;
CREATE MATERIALIZED VIEW mv AS SELECT m, count(*) FROM customer GROUP BY m WITH NO DATA;
CREATE INDEX mv_m ON mv (m);
-- a materialized view's TOAST options (pg_dump writes them in its WITH clause)
CREATE MATERIALIZED VIEW mv_names AS SELECT name FROM customer WITH NO DATA;
ALTER MATERIALIZED VIEW mv_names SET (toast.autovacuum_enabled = false);
CREATE RULE base_ins AS ON INSERT TO base WHERE NEW.id < 0 DO INSTEAD NOTHING;

ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer FORCE ROW LEVEL SECURITY;
CREATE POLICY cust_pol ON customer FOR SELECT TO PUBLIC USING (score > 0 AND m <> 'sad');
CREATE POLICY cust_ins ON customer AS RESTRICTIVE FOR INSERT WITH CHECK (name <> '');

CREATE STATISTICS cust_stats (dependencies, ndistinct) ON name, score FROM customer;
CREATE STATISTICS cust_expr ON lower(name), score FROM customer;
CREATE PUBLICATION pub1 FOR TABLE orders WHERE (qty > 5), customer (id, name) WITH (publish = 'insert, update');
CREATE PUBLICATION pub2 FOR TABLES IN SCHEMA "Mixed Case";
CREATE EVENT TRIGGER evt1 ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION evt();
ALTER EVENT TRIGGER evt1 DISABLE;
CREATE TEXT SEARCH DICTIONARY my_dict (TEMPLATE = simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION my_cfg (COPY = english);
ALTER TEXT SEARCH CONFIGURATION my_cfg ALTER MAPPING FOR word WITH my_dict;
CREATE TABLE docs (body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('app.my_cfg', body)) STORED);

CREATE TABLE "Mixed Case"."Odd ""Name""" ("Col 1" int, "select" text DEFAULT 'a b');
CREATE FOREIGN DATA WRAPPER dummy_fdw;
CREATE SERVER srv1 FOREIGN DATA WRAPPER dummy_fdw OPTIONS (host 'h');
CREATE FOREIGN TABLE ft (a int OPTIONS (column_name 'x'), b text) SERVER srv1 OPTIONS (table_name 't');
CREATE USER MAPPING FOR PUBLIC SERVER srv1 OPTIONS (user 'app', password 'fixture-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER srv1;

-- operator classes and families: one with its implicit family (restored
-- implicitly by CREATE OPERATOR CLASS), one in an explicit family that
-- also has loose cross-type members, a family with an ORDER BY operator,
-- and a class of a user-created index access method
CREATE FUNCTION rev_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp($2, $1)';
CREATE OPERATOR CLASS int4_rev_ops FOR TYPE int USING btree AS
    OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 rev_cmp(int, int);
CREATE INDEX orders_rev ON orders (qty int4_rev_ops);
CREATE FUNCTION pair_hash(pair) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT hashint4($1.a)';
CREATE OPERATOR FAMILY pair_fam USING hash;
CREATE OPERATOR CLASS pair_hash_ops DEFAULT FOR TYPE pair USING hash FAMILY pair_fam AS
    OPERATOR 1 ===, FUNCTION 1 pair_hash(pair);
ALTER OPERATOR FAMILY pair_fam USING hash ADD OPERATOR 1 = (int, bigint), FUNCTION 1 (bigint, bigint) hashint8(bigint);
CREATE OPERATOR FAMILY pt_fam USING gist;
ALTER OPERATOR FAMILY pt_fam USING gist ADD OPERATOR 15 <-> (point, point) FOR ORDER BY float_ops;
CREATE ACCESS METHOD my_btree TYPE INDEX HANDLER bthandler;
CREATE OPERATOR CLASS int_my_ops DEFAULT FOR TYPE int USING my_btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int, int);
CREATE ACCESS METHOD my_heap TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE on_my_heap (x int) USING my_heap;
CREATE CONVERSION my_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE FUNCTION mood_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION mood_to_sql(internal) RETURNS mood LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE TRANSFORM FOR mood LANGUAGE plpgsql (FROM SQL WITH FUNCTION mood_from_sql(internal),
    TO SQL WITH FUNCTION mood_to_sql(internal));

COMMENT ON TABLE customer IS 'customers';
COMMENT ON COLUMN customer.name IS 'the name';
GRANT SELECT ON customer TO PUBLIC;
GRANT UPDATE (name) ON customer TO PUBLIC;
RESET search_path;
