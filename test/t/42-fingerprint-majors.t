#!/bin/bash
# test/t/42-fingerprint-majors.t - what the fingerprint reads differently on
# each PostgreSQL major (issue 18, extension/pg_compat.h): for each feature,
# on the majors that have it, a schema that uses it
#   1. survives pg_dump | psql into a fresh database with the same
#      fingerprint, with and without privileges (no OID of the new catalog
#      columns or node fields leaks into the value), and
#   2. a mutation: a schema change the fingerprint must detect ("changed"),
#      or a change that is not schema and must leave it alone ("same").
# Cases of a newer major than the server's are skipped (SKIP lines).
# `make pg-matrix` runs this suite on every major at hand.
#
# Installs the extension into a scratch folder and runs inside a throw-away
# cluster (pg_virtualenv), as 40-fingerprint.t does. TAP.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { sed 's/^/# /'; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}

if [ "${1:-}" != --inside ]; then
	X=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-fpmaj.XXXXXX")
	trap 'rm -rf "$X"' EXIT
	chmod 755 "$X"
	if ! make -s install-extension DESTDIR="$X/install" >"$X/install.log" 2>&1; then
		nok "make install-extension DESTDIR=<scratch>"
		diag <"$X/install.log"
		finish
	fi
	ok "make install-extension DESTDIR=<scratch>"
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t -o "extension_destdir=$X/install" "$0" --inside "$n"
	exit $?
fi
n=$2

# ---- inside the throw-away cluster ----
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PSQL="psql -X -q -v ON_ERROR_STOP=1"
MAJOR=$($PSQL -d postgres -Atc "SELECT current_setting('server_version_num')::int / 10000")
ICU=$($PSQL -d postgres -Atc "SELECT count(*) > 0 FROM pg_collation WHERE collprovider = 'i'")
fp() { $PSQL -d "$1" -Atc "SELECT dualboot_schema_fingerprint($2)"; }
$PSQL -d postgres -c "SET client_min_messages = warning" -c "CREATE ROLE regress_fpmaj_reader"
i=0

# mutation MIN-MAJOR NAME changed|same SETUP-SQL CHANGE-SQL [acl]
#   acl: compare the values with privileges (include_privileges = true)
mutation() {
	local min=$1 name=$2 expect=$3 setup=$4 change=$5 acl=${6:-false}
	i=$((i + 1))
	if [ "$MAJOR" -lt "$min" ]; then
		skip "$name: PostgreSQL $min or newer (this is $MAJOR)"
		skip "$name: $expect"
		return
	fi
	local a=fpm_${i}_a b=fpm_${i}_b
	$PSQL -d postgres -c "CREATE DATABASE $a" -c "CREATE DATABASE $b"
	$PSQL -d "$a" -c "CREATE EXTENSION dualboot"
	if ! printf '%s\n' "SET client_min_messages = warning;" "$setup" |
		$PSQL -d "$a" -o /dev/null 2>"$W/setup.err"; then
		nok "$name: setup"
		diag <"$W/setup.err"
		nok "$name: $expect"
		return
	fi
	pg_dump --schema-only "$a" >"$W/dump.sql" 2>"$W/dump.err"
	$PSQL -d "$b" -o /dev/null -f "$W/dump.sql" 2>"$W/restore.err"
	local f0 f0acl
	f0=$(fp "$a" false)
	f0acl=$(fp "$a" true)
	if [ -n "$f0" ] && [ "$f0" = "$(fp "$b" false)" ] && [ "$f0acl" = "$(fp "$b" true)" ]; then
		ok "$name: same fingerprint after pg_dump | psql"
	else
		nok "$name: same fingerprint after pg_dump | psql"
		$PSQL -d "$a" -Atc "SELECT kind, identity, fingerprint FROM dualboot_schema_manifest(true) ORDER BY 1, 2" >"$W/ma"
		$PSQL -d "$b" -Atc "SELECT kind, identity, fingerprint FROM dualboot_schema_manifest(true) ORDER BY 1, 2" >"$W/mb"
		diff "$W/ma" "$W/mb" | diag
		diag <"$W/restore.err"
	fi
	local before after
	before=$(fp "$a" "$acl")
	if ! printf '%s\n' "SET client_min_messages = warning;" "$change" |
		$PSQL -d "$a" -o /dev/null 2>"$W/change.err"; then
		nok "$name: $expect (the change failed)"
		diag <"$W/change.err"
		return
	fi
	after=$(fp "$a" "$acl")
	if { [ "$expect" = changed ] && [ "$before" != "$after" ]; } ||
		{ [ "$expect" = same ] && [ "$before" = "$after" ]; }; then
		ok "$name: $expect"
	else
		nok "$name: $expect (before $before, after $after)"
	fi
	$PSQL -d postgres -c "DROP DATABASE $a" -c "DROP DATABASE $b"
}

# the suite can fail: a plain schema change on every major
mutation 15 "a CHECK constraint's expression" changed \
	"CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0));" \
	"ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (a > 1);"
mutation 15 "rows, VACUUM and ANALYZE" same \
	"CREATE TABLE t (a int PRIMARY KEY, b text);" \
	"INSERT INTO t SELECT g, g::text FROM generate_series(1, 1000) g; VACUUM t; ANALYZE t;"

# 16: ICU tailoring rules of a collation (pg_collation.collicurules)
if [ "$ICU" = t ]; then
	mutation 16 "collation rules" changed \
		"CREATE COLLATION ru (provider = icu, locale = 'und', rules = '&a < g');" \
		"DROP COLLATION ru; CREATE COLLATION ru (provider = icu, locale = 'und', rules = '&a < h');"
else
	skip "collation rules: the server has no ICU"
fi

# 16: SQL/JSON constructors and IS JSON in stored trees: RETURNING names a
# type (JsonReturning.typid), here a user domain whose OID differs after a
# restore
mutation 16 "JSON constructor RETURNING a domain, in a CHECK and a view" changed \
	"CREATE DOMAIN jtext AS text; CREATE DOMAIN jdoc AS jsonb;
	 CREATE TABLE t (a int, j text CHECK (j IS JSON OBJECT),
	   CONSTRAINT c CHECK (JSON_OBJECT('a': a RETURNING jtext) IS NOT NULL));
	 CREATE VIEW v AS SELECT JSON_ARRAY(a, j RETURNING jdoc) AS arr, JSON_OBJECTAGG(j: a RETURNING jtext) AS agg FROM t GROUP BY a, j;" \
	"ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (JSON_OBJECT('a': a RETURNING text) IS NOT NULL);"

# 17: JSON_VALUE / JSON_QUERY / JSON_EXISTS (JsonExpr) with RETURNING and
# ON ERROR defaults in stored trees
mutation 17 "JSON_VALUE RETURNING a domain with a DEFAULT ON ERROR" changed \
	"CREATE DOMAIN posint AS int CHECK (VALUE > 0);
	 CREATE TABLE t (j jsonb, CONSTRAINT c CHECK (JSON_VALUE(j, '\$.n' RETURNING posint DEFAULT 1 ON ERROR) < 100));
	 CREATE VIEW v AS SELECT JSON_QUERY(j, '\$.a' RETURNING jsonb WITH WRAPPER) AS q, JSON_EXISTS(j, '\$.b') AS e FROM t;" \
	"ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (JSON_VALUE(j, '\$.n' RETURNING posint DEFAULT 2 ON ERROR) < 100);"

# 17: the MAINTAIN privilege (VACUUM, ANALYZE, CLUSTER, REFRESH, REINDEX,
# LOCK TABLE): part of the value with privileges, not of the one without
mutation 17 "GRANT MAINTAIN, with privileges" changed \
	"CREATE TABLE t (a int);" \
	"GRANT MAINTAIN ON t TO regress_fpmaj_reader;" true
mutation 17 "GRANT MAINTAIN, without privileges" same \
	"CREATE TABLE t (a int);" \
	"GRANT MAINTAIN ON t TO regress_fpmaj_reader;"

# 18: NOT NULL constraints are pg_constraint rows with a name, NOT VALID and
# NO INHERIT; renaming or validating one is a schema change
mutation 18 "NOT NULL constraint renamed" changed \
	"CREATE TABLE t (a int NOT NULL, b int CONSTRAINT b_nn NOT NULL NO INHERIT);
	 CREATE TABLE c () INHERITS (t);" \
	"ALTER TABLE t RENAME CONSTRAINT t_a_not_null TO a_required;"
mutation 18 "NOT NULL NOT VALID, then validated" changed \
	"CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT a_nn NOT NULL a NOT VALID;" \
	"ALTER TABLE t VALIDATE CONSTRAINT a_nn;"

# 18: NOT ENFORCED constraints (conenforced): a NOT ENFORCED CHECK is not
# validated either, so only the new flag tells it from a NOT VALID one
mutation 18 "CHECK NOT VALID becomes NOT ENFORCED" changed \
	"CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;" \
	"ALTER TABLE t DROP CONSTRAINT c; ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT ENFORCED;"
mutation 18 "foreign key made NOT ENFORCED" changed \
	"CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE f (pid int CONSTRAINT fk REFERENCES p);" \
	"ALTER TABLE f ALTER CONSTRAINT fk NOT ENFORCED;"

# 18: temporal keys (WITHOUT OVERLAPS) and foreign keys (PERIOD): conperiod
mutation 18 "temporal primary key and PERIOD foreign key" changed \
	"CREATE TABLE room (id int4range, during tstzrange, PRIMARY KEY (id, during WITHOUT OVERLAPS));
	 CREATE TABLE booking (room int4range, during tstzrange,
	   CONSTRAINT fk FOREIGN KEY (room, PERIOD during) REFERENCES room (id, PERIOD during));" \
	"ALTER TABLE booking DROP CONSTRAINT fk;"
mutation 18 "WITHOUT OVERLAPS key becomes a plain key" changed \
	"CREATE TABLE room (id int4range, during tstzrange, CONSTRAINT k UNIQUE (id, during WITHOUT OVERLAPS));" \
	"ALTER TABLE room DROP CONSTRAINT k, ADD CONSTRAINT k UNIQUE (id, during);"

# 18: virtual generated columns (attgenerated 'v')
mutation 18 "generated column VIRTUAL becomes STORED" changed \
	"CREATE TABLE t (a int, g int GENERATED ALWAYS AS (a * 2) VIRTUAL);" \
	"ALTER TABLE t DROP COLUMN g; ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED;"
mutation 18 "rows in a table with a virtual column" same \
	"CREATE TABLE t (a int, g int GENERATED ALWAYS AS (a * 2) VIRTUAL);" \
	"INSERT INTO t (a) SELECT generate_series(1, 100); ANALYZE t;"
mutation 18 "virtual column's expression changed (SET EXPRESSION)" changed \
	"CREATE TABLE t (a int, g int GENERATED ALWAYS AS (a * 2) VIRTUAL);" \
	"ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (a * 3);"

# 18: generated columns in publications (pubgencols)
mutation 18 "publication publishes stored generated columns" changed \
	"CREATE TABLE t (a int PRIMARY KEY, g int GENERATED ALWAYS AS (a + 1) STORED);
	 CREATE PUBLICATION pub FOR TABLE t WITH (publish_generated_columns = none);" \
	"ALTER PUBLICATION pub SET (publish_generated_columns = stored);"

finish
