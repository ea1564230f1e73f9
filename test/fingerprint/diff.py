#!/usr/bin/python3
"""Differential test of the schema fingerprint, with pg_dump as the oracle.

    diff.py [--seeds 1,2,3] [--steps 40] [--work DIR] [--summary FILE]

Runs against the server that PGHOST/PGPORT/PGUSER name (test/t/41-fingerprint-diff.t
starts a throw-away cluster with this checkout's extension and calls it).
For every seed it builds the base schema (test/fingerprint/schema.sql,
diff-extra.sql, and the application schemas of Debian packages that
tools/deps.sh unpacks into build/debian-schemas/) and walks a random
migration history: changes and their undos (type change and back, rename and
back, defaults, constraints, indexes, triggers, policies, partitions,
inheritance, publications, grants, owners, comments), and steps that change
nothing pg_dump shows (CREATE OR REPLACE with the same text, CLUSTER,
VACUUM FULL, detach and attach of a partition, dump and restore through
pg_dump | psql and pg_dump -Fc | pg_restore into a fresh database, on which
the history goes on). After every step it records the state: both
fingerprints, the canonical rows, and two filtered dumps (see filter_dump):

  plain:      pg_dump -s --no-owner --no-privileges --no-comments
  privileges: pg_dump -s (owners, ACLs, comments)

Then for every pair of states: the fingerprints are equal exactly when the
plain dumps are, and the include_privileges fingerprints exactly when the
full dumps are. Every disagreement is printed with both states' histories,
the manifest rows that differ (with their canonical text) and the dump
difference; the exit status is 1 when there is one. Figures (states, pairs,
disagreements) go to stdout and, with --summary, to a file.
"""
import argparse
import difflib
import hashlib
import itertools
import os
import random
import re
import subprocess
import sys
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEBSCHEMAS = os.path.join(ROOT, "build", "debian-schemas")

# The application schemas shipped in Debian packages, each loaded into a
# schema of its own (search_path). tools/deps.sh unpacks the packages.
APP_SCHEMAS = [
    ("pdns", "pdns-backend-pgsql", "usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql"),
    ("icinga", "icinga2-ido-pgsql", "usr/share/dbconfig-common/data/icinga2-ido-pgsql/install/pgsql"),
]

# ---------------------------------------------------------------- the oracle

# pg_dump writes, besides the schema: a header and TOC comments naming each
# entry ("-- Name: t; Type: TABLE; Schema: app; Owner: -"), session settings
# (SET ..., set_config('search_path')), and since 15.14 a \restrict line
# with a random key. None is schema. The filter drops exactly those lines,
# splits the rest into the dump's entries (at the TOC comments) and sorts
# the entries: pg_dump orders entries by kind, name and dependencies, and
# breaks ties between objects by OID, which is history, not schema.
TOC = re.compile(r"^-- (Name|Data for Name): .*; Type: .*; Schema: .*; Owner: .*$")
DUMP_COMMENT = re.compile(r"^-- (PostgreSQL database dump( complete)?|Dumped (from|by) .*)$")
SETTING = re.compile(r"^(SET [a-z_]+ = .*;|SELECT pg_catalog\.set_config\('search_path', '', false\);)$")
RESTRICT = re.compile(r"^\\(un)?restrict ")


def filter_dump(text):
    entries = []
    cur = []

    def flush():
        while cur and cur[-1] == "":
            cur.pop()
        while cur and cur[0] == "":
            cur.pop(0)
        if cur:
            entries.append("\n".join(cur))
        cur.clear()

    for line in text.split("\n"):
        if TOC.match(line):
            flush()
            continue
        if line == "--" or DUMP_COMMENT.match(line) or SETTING.match(line) or RESTRICT.match(line):
            continue
        cur.append(line)
    flush()
    entries.sort()
    return "\n\n".join(entries) + "\n"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


# ---------------------------------------------------------------- states


class State:
    __slots__ = ("n", "seed", "db", "history", "fp", "fp_acl", "rows", "rows_acl", "dump", "dump_acl")


class Store:
    """States, with canonical texts and dumps kept once by their hash."""

    def __init__(self):
        self.states = []
        self.texts = {}

    def keep(self, text):
        h = hashlib.sha256(text.encode()).hexdigest()
        self.texts.setdefault(h, text)
        return h

    def capture(self, conn, seed, db, history):
        s = State()
        s.n = len(self.states)
        s.seed = seed
        s.db = db
        s.history = list(history)
        cur = conn.cursor()
        cur.execute("SELECT dualboot_schema_fingerprint(false), dualboot_schema_fingerprint(true)")
        s.fp, s.fp_acl = cur.fetchone()
        for acl in (False, True):
            cur.execute("SELECT kind, identity, canonical FROM dualboot_schema_canonical(%s)", (acl,))
            rows = {(k, i): self.keep(c) for k, i, c in cur.fetchall()}
            if acl:
                s.rows_acl = rows
            else:
                s.rows = rows
        plain = run(["pg_dump", "-s", "--no-owner", "--no-privileges", "--no-comments", db]).stdout.decode()
        full = run(["pg_dump", "-s", db]).stdout.decode()
        s.dump = self.keep(filter_dump(plain))
        s.dump_acl = self.keep(filter_dump(full))
        self.states.append(s)
        return s


# ---------------------------------------------------------------- the history


class Walk:
    def __init__(self, args, store, seed, template):
        self.args = args
        self.store = store
        self.seed = seed
        self.rnd = random.Random(seed)
        self.gen = 0
        self.db = None
        self.conn = None
        self.history = []
        self.stack = []		# undo SQL of the changes in force, newest last
        self.template = template
        self.open(self.newdb(template))

    def newdb(self, template="template0"):
        name = "fpd_%d_%d" % (self.seed, self.gen)
        self.gen += 1
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute('DROP DATABASE IF EXISTS "%s"' % name)
        admin.cursor().execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (name, template))
        admin.close()
        return name

    def open(self, db):
        if self.conn is not None:
            self.conn.close()
            if self.db is not None:
                admin = psycopg2.connect(dbname="postgres")
                admin.autocommit = True
                admin.cursor().execute('DROP DATABASE "%s"' % self.db)
                admin.close()
        self.db = db
        self.conn = psycopg2.connect(dbname=db)
        self.conn.autocommit = True
        self.conn.cursor().execute("SET client_min_messages = warning")

    def q(self, sql, args=None):
        cur = self.conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []

    def try_sql(self, sql):
        """Run sql in one transaction; False (and nothing changed) on error."""
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN")
            cur.execute(sql)
            cur.execute("COMMIT")
            return True
        except psycopg2.Error:
            cur.execute("ROLLBACK")
            return False

    def record(self, what):
        self.history.append(what)
        self.store.capture(self.conn, self.seed, self.db, self.history)

    # --- picking objects from the live catalog

    def pick(self, sql, args=None):
        rows = self.q(sql, args)
        return self.rnd.choice(rows) if rows else None

    USER_TABLES = """
        SELECT c.oid::regclass::text, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('app', 'pdns', 'icinga', 'Mixed Case')
          AND NOT c.relispartition ORDER BY 1"""

    def pick_column(self, cond="true"):
        return self.pick("""
            SELECT c.oid::regclass::text, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                   pg_get_expr(d.adbin, d.adrelid), a.attnotnull, c.relkind,
                   CASE WHEN a.attcollation <> t.typcollation
                        THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0 AND a.attgenerated = ''
              AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname IN ('app', 'pdns', 'icinga') AND (%s) ORDER BY 1, 2""" % cond)

    # --- changes with their undo: each returns (description, do, undo) or None

    def ch_type_width(self):
        c = self.pick_column("a.atttypid = 'varchar'::regtype AND a.atttypmod > 4")
        if not c:
            return None
        t, col, typ, coll = c[0], c[1], c[2], c[6]
        n = int(re.search(r"\((\d+)\)", typ).group(1))
        return ("%s.%s TYPE varchar(%d)%s" % (t, col, n + 1, coll),
                "ALTER TABLE %s ALTER COLUMN %s TYPE varchar(%d)%s" % (t, col, n + 1, coll),
                "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s" % (t, col, typ, coll))

    def ch_type_int(self):
        c = self.pick_column("a.atttypid = 'int4'::regtype")
        if not c:
            return None
        t, col, typ = c[0], c[1], c[2]
        return ("%s.%s TYPE bigint" % (t, col),
                "ALTER TABLE %s ALTER COLUMN %s TYPE bigint" % (t, col),
                "ALTER TABLE %s ALTER COLUMN %s TYPE %s" % (t, col, typ))

    def ch_default(self):
        c = self.pick_column("d.adbin IS NOT NULL AND a.attidentity = ''")
        if not c:
            return None
        t, col, dflt = c[0], c[1], c[3]
        if self.rnd.random() < 0.5:
            return ("%s.%s DROP DEFAULT" % (t, col), "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT" % (t, col),
                    "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s" % (t, col, dflt))
        return ("%s.%s SET DEFAULT (same)" % (t, col),
                "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s" % (t, col, dflt),
                "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s" % (t, col, dflt))

    def ch_notnull(self):
        c = self.pick_column("NOT a.attnotnull AND a.attidentity = ''")
        if not c:
            return None
        t, col = c[0], c[1]
        return ("%s.%s SET NOT NULL" % (t, col), "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL" % (t, col),
                "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL" % (t, col))

    def ch_rename_column(self):
        c = self.pick_column()
        if not c:
            return None
        t, col = c[0], c[1]
        return ("rename %s.%s" % (t, col), "ALTER TABLE %s RENAME COLUMN %s TO renamed_col" % (t, col),
                "ALTER TABLE %s RENAME COLUMN renamed_col TO %s" % (t, col))

    def ch_rename_table(self):
        t = self.pick(self.USER_TABLES)
        if not t:
            return None
        name = t[0]
        schema = name.rsplit(".", 1)[0] if "." in name else "public"
        base = self.q("SELECT quote_ident(relname) FROM pg_class WHERE oid = %s", (t[1],))[0][0]
        return ("rename %s" % name, "ALTER TABLE %s RENAME TO renamed_tab" % name,
                "ALTER TABLE %s.renamed_tab RENAME TO %s" % (schema, base))

    def ch_add_column(self):
        # not on a parent of inheritance children: pg_dump prints such a
        # child the same whichever the order of its columns, a restore
        # reorders them, and the fingerprint says so (DELIBERATE)
        t = self.pick(self.USER_TABLES.replace("ORDER BY 1", """AND NOT EXISTS (SELECT 1 FROM pg_inherits i
            JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = c.oid AND NOT k.relispartition) ORDER BY 1"""))
        if not t:
            return None
        return ("add column to %s" % t[0],
                "ALTER TABLE %s ADD COLUMN added_col varchar(20) DEFAULT 'a' CHECK (added_col <> 'b')" % t[0],
                "ALTER TABLE %s DROP COLUMN added_col" % t[0])

    def ch_check(self):
        c = self.pick_column("a.atttypid IN ('int4'::regtype, 'int8'::regtype, 'numeric'::regtype)")
        if not c:
            return None
        t, col = c[0], c[1]
        nv = " NOT VALID" if self.rnd.random() < 0.3 else ""
        return ("check on %s.%s%s" % (t, col, nv),
                "ALTER TABLE %s ADD CONSTRAINT added_check CHECK (%s > -5)%s" % (t, col, nv),
                "ALTER TABLE %s DROP CONSTRAINT added_check" % t)

    def ch_index(self):
        c = self.pick_column()
        if not c:
            return None
        t, col = c[0], c[1]
        schema = t.rsplit(".", 1)[0]
        return ("index on %s.%s" % (t, col),
                "CREATE INDEX added_idx ON %s (%s) WHERE %s IS NOT NULL" % (t, col, col),
                "DROP INDEX %s.added_idx" % schema)

    def ch_rename_index(self):
        i = self.pick("""SELECT i.oid::regclass::text, quote_ident(n.nspname), quote_ident(i.relname)
            FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace
            WHERE i.relkind IN ('i', 'I') AND n.nspname IN ('app', 'pdns', 'icinga') ORDER BY 1""")
        if not i:
            return None
        return ("rename index %s" % i[0], "ALTER INDEX %s RENAME TO renamed_idx" % i[0],
                "ALTER INDEX %s.renamed_idx RENAME TO %s" % (i[1], i[2]))

    def ch_view(self):
        v = self.pick("""SELECT c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND n.nspname = 'app'
            AND c.relname NOT IN ('with_cte') ORDER BY 1""")
        if not v:
            return None
        body = v[1].rstrip().rstrip(";")
        return ("replace view %s" % v[0],
                "CREATE OR REPLACE VIEW %s AS %s LIMIT 7" % (v[0], body) if "LIMIT" not in body.upper() else
                "CREATE OR REPLACE VIEW %s AS %s" % (v[0], body),
                "CREATE OR REPLACE VIEW %s AS %s" % (v[0], body))

    def ch_function(self):
        f = self.pick("""SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname IN ('app', 'icinga') AND p.prokind = 'f' AND p.prolang <> 12
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1""")
        if not f:
            return None
        return ("cost of %s" % f[0], "ALTER FUNCTION %s COST 77" % f[0], f[1])

    def ch_trigger(self):
        t = self.pick("""SELECT c.oid::regclass::text, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = 'app'
            AND t.tgparentid = 0 ORDER BY 1, 2""")
        if not t:
            return None
        return ("disable trigger %s on %s" % (t[1], t[0]),
                'ALTER TABLE %s DISABLE TRIGGER "%s"' % (t[0], t[1]),
                'ALTER TABLE %s ENABLE TRIGGER "%s"' % (t[0], t[1])) if self.rnd.random() < 0.5 else \
            ("new trigger on %s" % t[0],
             "CREATE TRIGGER added_trg AFTER UPDATE ON %s FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) "
             "EXECUTE FUNCTION app.touch()" % t[0],
             "DROP TRIGGER added_trg ON %s" % t[0])

    def ch_policy(self):
        t = self.rnd.choice(["app.asset", "app.customer", "app.ledger"])
        return ("policy on %s" % t,
                "ALTER TABLE %s ENABLE ROW LEVEL SECURITY; CREATE POLICY added_pol ON %s FOR UPDATE TO fpdiff_reader "
                "USING (true) WITH CHECK (current_user <> 'x')" % (t, t),
                "DROP POLICY added_pol ON %s" % t)

    def ch_rls(self):
        t = self.rnd.choice(["app.asset", "app.customer", "app.orders"])
        force = self.rnd.random() < 0.5
        on = self.q("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", (t,))
        if not on:
            return None
        flag = on[0][1] if force else on[0][0]
        word = "FORCE" if force else "ENABLE"
        if flag:
            return ("NO %s RLS on %s" % (word, t), "ALTER TABLE %s %s ROW LEVEL SECURITY" % (t, "NO FORCE" if force else "DISABLE"),
                    "ALTER TABLE %s %s ROW LEVEL SECURITY" % (t, word))
        return ("%s RLS on %s" % (word, t), "ALTER TABLE %s %s ROW LEVEL SECURITY" % (t, word),
                "ALTER TABLE %s %s ROW LEVEL SECURITY" % (t, "NO FORCE" if force else "DISABLE"))

    def ch_detach(self):
        p = self.pick("""SELECT c.oid::regclass::text, i.inhparent::regclass::text, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.relispartition
            AND c.relkind IN ('r', 'p') ORDER BY 1""")
        if not p:
            return None
        return ("detach %s" % p[0], "ALTER TABLE %s DETACH PARTITION %s" % (p[1], p[0]),
                "ALTER TABLE %s ATTACH PARTITION %s %s" % (p[1], p[0], p[2]))

    def ch_noinherit(self):
        return ("vehicle NO INHERIT asset", "ALTER TABLE app.vehicle NO INHERIT app.asset",
                "ALTER TABLE app.vehicle INHERIT app.asset")

    def ch_partition_column(self):
        return ("ledger add/drop column",
                "ALTER TABLE app.ledger ADD COLUMN note varchar(10) DEFAULT 'n' CHECK (note <> '')",
                "ALTER TABLE app.ledger DROP COLUMN note")

    def ch_domain(self):
        d = self.rnd.choice(["app.code", "app.posint", "app.email"])
        if self.rnd.random() < 0.5:
            return ("domain check on %s" % d, "ALTER DOMAIN %s ADD CONSTRAINT added_dc CHECK (VALUE IS NOT NULL)" % d,
                    "ALTER DOMAIN %s DROP CONSTRAINT added_dc" % d)
        dflt = self.q("SELECT typdefault FROM pg_type WHERE oid = %s::regtype", (d,))[0][0]
        return ("domain default on %s" % d, "ALTER DOMAIN %s SET DEFAULT 'zz'" % d if d != "app.posint"
                else "ALTER DOMAIN %s SET DEFAULT 7" % d,
                "ALTER DOMAIN %s %s" % (d, "SET DEFAULT %s" % dflt if dflt is not None else "DROP DEFAULT"))

    def ch_publication(self):
        t = self.pick("""SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('app', 'pdns')
            AND c.relpersistence = 'p'
            AND NOT EXISTS (SELECT 1 FROM pg_publication_rel r WHERE r.prrelid = c.oid) ORDER BY 1""")
        if not t:
            return None
        return ("publish %s" % t[0], "ALTER PUBLICATION pub1 ADD TABLE %s" % t[0],
                "ALTER PUBLICATION pub1 DROP TABLE %s" % t[0])

    def ch_statistics(self):
        return ("statistics on asset", "CREATE STATISTICS app.added_stx ON (lower(label::text)), id FROM app.asset",
                "DROP STATISTICS app.added_stx")

    def ch_cluster_on(self):
        i = self.pick("""SELECT c.oid::regclass::text, quote_ident(i.relname),
            (SELECT quote_ident(ci.relname) FROM pg_index x JOIN pg_class ci ON ci.oid = x.indexrelid
             WHERE x.indrelid = c.oid AND x.indisclustered)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname IN ('app', 'pdns', 'icinga') AND i.relam = 403
              AND x.indpred IS NULL AND NOT x.indisclustered ORDER BY 1, 2""")
        if not i:
            return None
        undo = "ALTER TABLE %s CLUSTER ON %s" % (i[0], i[2]) if i[2] else "ALTER TABLE %s SET WITHOUT CLUSTER" % i[0]
        return ("CLUSTER %s USING %s" % (i[0], i[1]), "CLUSTER %s USING %s" % (i[0], i[1]), undo)

    def ch_identity(self):
        c = self.pick("""SELECT a.attrelid::regclass::text, quote_ident(a.attname), a.attidentity
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attidentity <> '' AND NOT c.relispartition AND n.nspname = 'app' ORDER BY 1, 2""")
        if not c:
            return None
        other, own = ("BY DEFAULT", "ALWAYS") if c[2] == "a" else ("ALWAYS", "BY DEFAULT")
        return ("%s.%s GENERATED %s" % (c[0], c[1], other),
                "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s" % (c[0], c[1], other),
                "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s" % (c[0], c[1], own))

    def ch_sequence(self):
        return ("app.counter INCREMENT 7", "ALTER SEQUENCE app.counter INCREMENT 7 MAXVALUE 200000",
                "ALTER SEQUENCE app.counter INCREMENT 5 MAXVALUE 100000")

    # privileges, owners, comments: only the include_privileges side sees them
    def ch_grant(self):
        t = self.pick(self.USER_TABLES)
        if not t:
            return None
        return ("grant on %s" % t[0], "GRANT SELECT, UPDATE ON %s TO fpdiff_reader" % t[0],
                "REVOKE SELECT, UPDATE ON %s FROM fpdiff_reader" % t[0])

    def ch_owner(self):
        t = self.pick(self.USER_TABLES + " LIMIT 20")
        if not t:
            return None
        owner = self.q("SELECT quote_ident(pg_get_userbyid(relowner)) FROM pg_class WHERE oid = %s", (t[1],))[0][0]
        return ("owner of %s" % t[0], "ALTER TABLE %s OWNER TO fpdiff_owner" % t[0],
                "ALTER TABLE %s OWNER TO %s" % (t[0], owner))

    def ch_comment(self):
        t = self.pick(self.USER_TABLES)
        if not t:
            return None
        old = self.q("SELECT obj_description(%s, 'pg_class')", (t[1],))[0][0]
        return ("comment on %s" % t[0], "COMMENT ON TABLE %s IS 'changed'" % t[0],
                "COMMENT ON TABLE %s IS %s" % (t[0], "NULL" if old is None else
                                               "'" + old.replace("'", "''") + "'"))

    CHANGES = ["ch_type_width", "ch_type_width", "ch_type_int", "ch_default", "ch_notnull",
               "ch_rename_column", "ch_rename_table", "ch_add_column", "ch_check", "ch_index",
               "ch_rename_index", "ch_view", "ch_function", "ch_trigger", "ch_policy", "ch_rls",
               "ch_detach", "ch_detach", "ch_noinherit", "ch_partition_column", "ch_domain",
               "ch_publication", "ch_statistics", "ch_cluster_on", "ch_identity", "ch_sequence",
               "ch_grant", "ch_owner", "ch_comment"]

    # --- steps that change nothing pg_dump shows

    def same_type_and_back(self):
        c = self.pick_column("a.atttypid = 'varchar'::regtype AND a.atttypmod > 4")
        if not c:
            return None
        t, col, typ, coll = c[0], c[1], c[2], c[6]
        n = int(re.search(r"\((\d+)\)", typ).group(1))
        return ("%s.%s TYPE varchar(%d)%s and back" % (t, col, n + 1, coll),
                "ALTER TABLE %s ALTER COLUMN %s TYPE varchar(%d)%s; ALTER TABLE %s ALTER COLUMN %s TYPE %s%s"
                % (t, col, n + 1, coll, t, col, typ, coll))

    def same_rename(self):
        c = self.ch_rename_column() if self.rnd.random() < 0.5 else self.ch_rename_table()
        return (c[0] + " and back", c[1] + "; " + c[2]) if c else None

    def same_replace(self):
        if self.rnd.random() < 0.5:
            f = self.pick("""SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('app', 'icinga') AND p.prokind IN ('f', 'p') ORDER BY 1""")
            return ("CREATE OR REPLACE %s, same text" % f[0], f[1]) if f else None
        v = self.pick("""SELECT c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND n.nspname = 'app' ORDER BY 1""")
        return ("CREATE OR REPLACE VIEW %s, same text" % v[0],
                "CREATE OR REPLACE VIEW %s AS %s" % (v[0], v[1])) if v else None

    def same_cluster(self):
        t = self.pick("""SELECT c.oid::regclass::text FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
            WHERE x.indisclustered AND c.relkind = 'r' ORDER BY 1""")
        return ("CLUSTER %s" % t[0], "CLUSTER %s" % t[0]) if t else None

    def same_vacuum(self):
        return ("VACUUM FULL", "VACUUM FULL")

    def same_detach_attach(self):
        c = self.ch_detach()
        return (c[0] + " and attach", c[1] + "; " + c[2]) if c else None

    SAME = ["same_type_and_back", "same_rename", "same_replace", "same_cluster", "same_vacuum",
            "same_detach_attach"]

    def restore(self):
        custom = self.rnd.random() < 0.5
        target = self.newdb()
        dump = run(["pg_dump", "-s"] + (["-Fc"] if custom else []) + [self.db]).stdout
        if custom:
            r = subprocess.run(["pg_restore", "-d", target], input=dump, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        else:
            r = subprocess.run(["psql", "-X", "-q", "-d", target], input=dump, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        errors = [l for l in r.stderr.decode().split("\n") if "ERROR" in l]
        self.open(target)
        return "pg_dump %s| %s%s" % ("-Fc " if custom else "", "pg_restore" if custom else "psql",
                                     " (restore errors: %s)" % "; ".join(errors) if errors else "")

    def step(self):
        r = self.rnd.random()
        if r < 0.12:
            self.record(self.restore())
            return
        if r < 0.30:
            for _ in range(10):
                s = getattr(self, self.rnd.choice(self.SAME))()
                if s and s[1] == "VACUUM FULL":
                    self.q(s[1])		# not in a transaction block
                    self.record(s[0])
                    return
                if s and self.try_sql(s[1]):
                    self.record(s[0])
                    return
            return
        if r < 0.55 and self.stack:
            self.undo()
            return
        for _ in range(10):
            c = getattr(self, self.rnd.choice(self.CHANGES))()
            if c and self.try_sql(c[1]):
                self.stack.append((c[0], c[2]))
                self.record(c[0])
                return

    def undo(self):
        """Undo the newest change in force; a failure (a generator bug) is
        recorded in the history, and the states are compared all the same."""
        what, undo = self.stack.pop()
        try:
            self.q(undo)
            self.record("undo " + what)
        except psycopg2.Error as e:
            self.record("undo %s FAILED: %s" % (what, str(e).strip().split("\n")[0]))

    def unwind(self):
        while self.stack:
            self.undo()

    def close(self):
        self.conn.close()
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute('DROP DATABASE IF EXISTS "%s"' % self.db)
        admin.close()


# ---------------------------------------------------------------- comparing


def row_diff(store, a, b, acl):
    ra, rb = (a.rows_acl, b.rows_acl) if acl else (a.rows, b.rows)
    out = []
    for key in sorted(set(ra) | set(rb)):
        if ra.get(key) == rb.get(key):
            continue
        out.append("    %s %s: %s" % (key[0], key[1], "only in #%d" % (a.n if key in ra else b.n)
                                      if key not in ra or key not in rb else "differs"))
        if key in ra and key in rb:
            for l in difflib.unified_diff(store.texts[ra[key]].split("\n"), store.texts[rb[key]].split("\n"),
                                          "#%d" % a.n, "#%d" % b.n, n=0, lineterm=""):
                out.append("      " + l[:300])
    return out


def compare(store, out, max_report):
    states = store.states
    figures = {}
    reported = 0
    for acl in (False, True):
        fpkey = (lambda s: s.fp_acl) if acl else (lambda s: s.fp)
        dkey = (lambda s: s.dump_acl) if acl else (lambda s: s.dump)
        # pairs are compared class by class: a pair disagrees when one key is
        # equal and the other is not
        pairs = len(states) * (len(states) - 1) // 2
        both = {}
        by_fp = {}
        by_dump = {}
        for s in states:
            both[(fpkey(s), dkey(s))] = both.get((fpkey(s), dkey(s)), 0) + 1
            by_fp[fpkey(s)] = by_fp.get(fpkey(s), 0) + 1
            by_dump[dkey(s)] = by_dump.get(dkey(s), 0) + 1
        c2 = lambda n: n * (n - 1) // 2
        eq_both = sum(c2(n) for n in both.values())
        fp_only = sum(c2(n) for n in by_fp.values()) - eq_both	# same value, other dump
        dump_only = sum(c2(n) for n in by_dump.values()) - eq_both	# same dump, other value
        name = "include_privileges" if acl else "plain"
        figures[name] = dict(pairs=pairs, equal=eq_both, false_equal=fp_only, false_different=dump_only,
                             fps=len(by_fp), dumps=len(by_dump))
        if fp_only == 0 and dump_only == 0:
            continue
        # one example per disagreeing pair of classes
        seen = set()
        for a, b in itertools.combinations(states, 2):
            if reported >= max_report:
                break
            fe = fpkey(a) == fpkey(b)
            de = dkey(a) == dkey(b)
            if fe == de:
                continue
            k = (fpkey(a), dkey(a), fpkey(b), dkey(b))
            if k in seen:
                continue
            seen.add(k)
            reported += 1
            out.write("DISAGREEMENT (%s): fingerprints %s, dumps %s\n" % (
                name, "equal" if fe else "different", "equal" if de else "different"))
            for s in (a, b):
                out.write("  state #%d (seed %d): %s\n" % (s.n, s.seed, " / ".join(s.history) or "base"))
                out.write("    %s\n" % (fpkey(s)))
            out.write("  manifest rows that differ:\n")
            for l in row_diff(store, a, b, acl) or ["    (none)"]:
                out.write(l + "\n")
            if not de:
                out.write("  dump difference:\n")
                da = store.texts[dkey(a)].split("\n")
                db = store.texts[dkey(b)].split("\n")
                for l in list(difflib.unified_diff(da, db, "#%d" % a.n, "#%d" % b.n, n=1, lineterm=""))[:60]:
                    out.write("    " + l[:300] + "\n")
    return figures


# Where the fingerprint deliberately differs from the oracle
# (docs/fingerprint.md, "Deliberate differences from pg_dump"): each case is
# a change applied to a copy of the base schema, with what the fingerprints
# and the dumps must then say, plain and with privileges: True for equal.
DELIBERATE = [
    ("a user mapping is not in the plain fingerprint (it names a role), only with privileges",
     [], ["CREATE USER MAPPING FOR fpdiff_reader SERVER srv1"],
     dict(fp=True, dump=False, fp_acl=False, dump_acl=False)),
    ("a user mapping's option values are never hashed (passwords)",
     [], ["ALTER USER MAPPING FOR PUBLIC SERVER srv1 OPTIONS (SET password 'another-secret')"],
     dict(fp=True, dump=False, fp_acl=True, dump_acl=False)),
    ("comments on kinds the fingerprint does not cover (a trigger's) are not hashed",
     [], ["COMMENT ON TRIGGER orders_touch ON app.orders IS 'touches'"],
     dict(fp=True, dump=True, fp_acl=True, dump_acl=False)),
    ("an inheritance child's column order: pg_dump prints a child the same whichever the order, "
     "a restore puts the parent's new column before the child's own, the fingerprint sees it",
     ["ALTER TABLE app.asset ADD COLUMN late int"], ["RESTORE"],
     dict(fp=False, dump=True, fp_acl=False, dump_acl=True)),
    ("an invalid index (left by a failed CREATE INDEX CONCURRENTLY) is a row; pg_dump leaves it out",
     ["CREATE TABLE app.dup (x int)", "INSERT INTO app.dup VALUES (1), (1)"],
     ["CREATE UNIQUE INDEX CONCURRENTLY dup_x ON app.dup (x)"],
     dict(fp=False, dump=True, fp_acl=False, dump_acl=True)),
]


def deliberate(store, template):
    """Checks DELIBERATE; returns the lines to print and the number of failures."""
    lines = []
    bad = 0
    for i, (what, setup, change, want) in enumerate(DELIBERATE):
        w = Walk(None, store, 1000 + i, template)
        for sql in setup:
            w.q(sql)
        before = store.capture(w.conn, w.seed, w.db, ["base"] + setup)
        for sql in change:
            if sql == "RESTORE":
                w.rnd.random = lambda: 0.9		# pg_dump | psql
                w.restore()
            else:
                try:
                    w.q(sql)
                except psycopg2.Error:
                    pass	# a failure may be the change (CREATE INDEX CONCURRENTLY)
        after = store.capture(w.conn, w.seed, w.db, ["base"] + setup + change)
        w.close()
        got = dict(fp=before.fp == after.fp, dump=before.dump == after.dump,
                   fp_acl=before.fp_acl == after.fp_acl, dump_acl=before.dump_acl == after.dump_acl)
        word = lambda b: "equal" if b else "different"
        ok = got == want
        bad += 0 if ok else 1
        lines.append("deliberate difference %s: %s: fingerprints %s, dumps %s; with privileges: fingerprints %s, dumps %s"
                     % ("as documented" if ok else "NOT AS DOCUMENTED", what, word(got["fp"]), word(got["dump"]),
                        word(got["fp_acl"]), word(got["dump_acl"])))
        # the pair does not count among the random states
        store.states.remove(before)
        store.states.remove(after)
    return lines, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--max-report", type=int, default=12)
    ap.add_argument("--summary")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    t0 = time.time()

    for pkg_schema in APP_SCHEMAS:
        path = os.path.join(DEBSCHEMAS, pkg_schema[1], pkg_schema[2])
        if not os.path.exists(path):
            sys.exit("diff.py: %s missing: tools/deps.sh unpacks %s there" % (path, pkg_schema[1]))

    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    cur = admin.cursor()
    for role in ("fpdiff_owner", "fpdiff_reader"):
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        if not cur.fetchall():
            cur.execute("CREATE ROLE %s" % role)
    cur.execute("DROP DATABASE IF EXISTS fpd_base")
    cur.execute("CREATE DATABASE fpd_base")
    admin.close()
    load = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "fpd_base"]
    run(load + ["-f", os.path.join(HERE, "schema.sql"), "-f", os.path.join(HERE, "diff-extra.sql")])
    for schema, pkg, rel in APP_SCHEMAS:
        env = dict(os.environ, PGOPTIONS="-c search_path=%s" % schema)
        run(load + ["-c", "CREATE SCHEMA %s" % schema])
        run(load + ["-f", os.path.join(DEBSCHEMAS, pkg, rel)], env=env)

    store = Store()
    for seed in seeds:
        w = Walk(args, store, seed, "fpd_base")
        w.record("base")
        for _ in range(args.steps):
            w.step()
        w.unwind()
        w.close()
    delib_lines, delib_bad = deliberate(store, "fpd_base")
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS fpd_base")
    admin.close()

    figures = compare(store, sys.stdout, args.max_report)
    steps = {}
    for s in store.states:
        kind = s.history[-1].split(" ")[0]
        steps[kind] = steps.get(kind, 0) + 1
    restores = sum(1 for s in store.states if s.history[-1].startswith("pg_dump"))
    failed_undos = sum(1 for s in store.states if " FAILED: " in s.history[-1])
    lines = ["seeds: %s, steps per seed: %d (then every change in force undone)" % (args.seeds, args.steps),
             "states: %d (of them after a dump and restore: %d; after an undo that failed: %d)"
             % (len(store.states), restores, failed_undos)]
    bad = 0
    for name, f in figures.items():
        lines.append("%s: pairs %d, equal pairs %d, distinct fingerprints %d, distinct dumps %d, "
                     "disagreements %d (same fingerprint, other dump: %d; same dump, other fingerprint: %d)"
                     % (name, f["pairs"], f["equal"], f["fps"], f["dumps"], f["false_equal"] + f["false_different"],
                        f["false_equal"], f["false_different"]))
        bad += f["false_equal"] + f["false_different"]
    lines += delib_lines
    bad += delib_bad
    lines.append("seconds: %.0f" % (time.time() - t0))
    for l in lines:
        print(l)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
