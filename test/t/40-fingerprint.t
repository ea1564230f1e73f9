#!/bin/bash
# test/t/40-fingerprint.t - what the pg_regress suite (sql/fingerprint.sql)
# cannot check from inside one database: the schema fingerprint survives
# pg_dump | psql and pg_dump -Fc | pg_restore into fresh databases, a saved
# manifest diffs clean against the restored copy and names what a migration
# changed, and neither search_path nor maintenance of the whole database
# moves the value.
#
# Installs the extension into a scratch folder (make install-extension
# DESTDIR=...) and runs inside a throw-away cluster (Debian's pg_virtualenv)
# that reads it from there (extension_destdir). The fixture schema is
# test/fingerprint/schema.sql. TAP; the plan is printed at the end.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}
diag() { sed 's/^/# /'; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}

if [ "${1:-}" != --inside ]; then
	# Our own build, in a scratch folder the throw-away cluster reads through
	# Debian's extension_destdir: what another checkout installed on the
	# machine does not matter.
	X=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-fp.XXXXXX")
	trap 'rm -rf "$X"' EXIT
	chmod 755 "$X"
	if ! make -s install-extension DESTDIR="$X/install" >"$X/install.log" 2>&1; then
		nok "make install-extension DESTDIR=<scratch>"
		diag <"$X/install.log"
		finish
	fi
	ok "make install-extension DESTDIR=<scratch>"
	# the inner run continues the numbering and prints the plan
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t -o "extension_destdir=$X/install" "$0" --inside "$n"
	exit $?
fi
n=$2

# ---- inside the throw-away cluster ----
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PSQL="psql -X -q -v ON_ERROR_STOP=1"
fp() { PGOPTIONS=${2:-} $PSQL -d "$1" -Atc "SELECT dualboot_schema_fingerprint(${3:-false})"; }
manifest() { $PSQL -d "$1" -Atc "SELECT kind, identity, fingerprint FROM dualboot_schema_manifest(${2:-false}) ORDER BY 1, 2"; }

for db in fp_src fp_sql fp_custom fp_empty1 fp_empty2; do
	$PSQL -d postgres -c "CREATE DATABASE $db" || nok "create database $db"
done

check "fixture schema builds" \
	$PSQL -d fp_src -f test/fingerprint/schema.sql -o /dev/null 2>"$W/fixture.err"
[ -s "$W/fixture.err" ] && grep -v 'wal_level\|HINT' "$W/fixture.err" | diag

src=$(fp fp_src)
src_acl=$(fp fp_src "" true)
check "fingerprint is dbfp3:pg<major>:<sha256>, with privileges too, and they differ" \
	test "$(printf '%s\n%s\n' "$src" "$src_acl" | grep -cE '^dbfp3:pg[0-9]+:[0-9a-f]{64}$')" = 2 -a "$src" != "$src_acl"
check "the fixture has more than 100 manifest rows" \
	test "$(manifest fp_src | wc -l)" -gt 100
kinds=$($PSQL -d fp_src -Atc "SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM dualboot_schema_manifest(true)
	WHERE kind IN ('access method', 'operator family', 'operator class', 'conversion', 'transform', 'user mapping')")
check "the fixture has access methods, operator families and classes, conversions, transforms, user mappings" \
	test "$kinds" = "access method,conversion,operator class,operator family,transform,user mapping"
check "TOAST options of a table and of a materialized view are in their canonical text" \
	test "$($PSQL -d fp_src -Atc "SELECT string_agg(kind, ',' ORDER BY kind) FROM dualboot_schema_canonical()
		WHERE canonical LIKE '%toast_options=%autovacuum_enabled=false%'")" = "materialized view,table"
check "a user mapping's password is never in the canonical text" \
	test "$($PSQL -d fp_src -Atc "SELECT count(*) FROM dualboot_schema_canonical(true) WHERE canonical LIKE '%fixture-secret%'")" = 0

# 1. pg_dump | psql into a fresh database
pg_dump --schema-only fp_src >"$W/dump.sql"
$PSQL -d fp_sql -f "$W/dump.sql" -o /dev/null 2>"$W/restore.err"
check "pg_dump | psql: same fingerprint" test "$(fp fp_sql)" = "$src"
check "pg_dump | psql: same fingerprint with privileges" test "$(fp fp_sql "" true)" = "$src_acl"
manifest fp_src true >"$W/m_src"
manifest fp_sql true >"$W/m_sql"
if diff "$W/m_src" "$W/m_sql" >"$W/m.diff"; then
	ok "pg_dump | psql: identical manifest, row by row"
else
	nok "pg_dump | psql: identical manifest, row by row"
	diag <"$W/m.diff"
fi

# 2. pg_dump -Fc | pg_restore
pg_dump -Fc --schema-only fp_src >"$W/dump.custom"
pg_restore -d fp_custom "$W/dump.custom" 2>"$W/pg_restore.err"
check "pg_dump -Fc | pg_restore: same fingerprint" test "$(fp fp_custom)" = "$src"
check "pg_dump -Fc | pg_restore: same fingerprint with privileges" test "$(fp fp_custom "" true)" = "$src_acl"

# 3. a restored copy is itself dumped to the same text (sanity of the setup)
pg_dump --schema-only fp_sql | grep -v '^\\\(un\)\?restrict' >"$W/dump2.sql"
grep -v '^\\\(un\)\?restrict' "$W/dump.sql" >"$W/dump1.sql"
check "the restored copy dumps to the same SQL" cmp -s "$W/dump1.sql" "$W/dump2.sql"

# 4. search_path, whole-database maintenance
check "independent of the session's search_path" \
	test "$(fp fp_src '-c search_path=app,public')" = "$src"
$PSQL -d fp_src -c "VACUUM FULL" -c "ANALYZE" -c "REINDEX DATABASE fp_src" -o /dev/null 2>/dev/null
$PSQL -d fp_src -c "REFRESH MATERIALIZED VIEW app.mv" -o /dev/null
check "VACUUM FULL, ANALYZE, REINDEX DATABASE, REFRESH leave it unchanged" test "$(fp fp_src)" = "$src"

# 5. two fresh databases with only the extension agree
for db in fp_empty1 fp_empty2; do $PSQL -d "$db" -c "CREATE EXTENSION dualboot"; done
empty1=$(fp fp_empty1)
check "two fresh databases have the same fingerprint" test -n "$empty1" -a "$empty1" = "$(fp fp_empty2)"
check "an empty database differs from the fixture" test "$(fp fp_empty1)" != "$src"

# 6. a manifest saved on one side, diffed on the other (as across slots)
$PSQL -d fp_src -Atc "SELECT dualboot_schema_manifest_json()" >"$W/saved.json"
diffq() {
	echo "SELECT kind || ' ' || identity || ' ' || change FROM dualboot_schema_diff(:'saved'::jsonb)" |
		$PSQL -d "$1" -At -v saved="$(cat "$W/saved.json")"
}
if diffq fp_sql >"$W/diff0.out" && [ ! -s "$W/diff0.out" ]; then
	ok "a saved manifest diffs clean against the restored copy"
else
	nok "a saved manifest diffs clean against the restored copy"
	diag <"$W/diff0.out"
fi
$PSQL -d fp_sql -o /dev/null -c "ALTER TABLE app.orders ADD COLUMN shipped boolean DEFAULT false" \
	-c "DROP INDEX app.orders_hash" -c "CREATE FUNCTION app.new_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'"
diffq fp_sql >"$W/diff.out"
expected="function app.new_fn() added
index app.orders_hash removed
table app.orders changed"
if [ "$(cat "$W/diff.out")" = "$expected" ]; then
	ok "the diff names exactly what the migration changed"
else
	nok "the diff names exactly what the migration changed"
	diag <"$W/diff.out"
fi
check "compare says different after the migration" \
	test "$($PSQL -d fp_sql -Atc "SELECT dualboot_fingerprint_compare('$src', dualboot_schema_fingerprint())")" = different
check "compare says incomparable across majors" \
	test "$($PSQL -d fp_sql -Atc "SELECT dualboot_fingerprint_compare('$src', replace('$src', ':pg', ':pg9'))")" = incomparable

# 7. the C interface other code calls gives what SQL gives (length bound)
check "fingerprint fits the record's 111-byte field" test "${#src}" -lt 111

# 8. the memo of canonical trees is bounded (4 MB). 1,000 tables, each with
# its own 30-term CHECK and DEFAULT, are 2,000 distinct trees (about 16 MB
# held, unbounded); a twin schema whose tables share one CHECK and DEFAULT
# needs 2. Past the bound trees are streamed and not kept: the memo holds
# part of the 2,000, the computation's memory at its end (DEBUG1) exceeds
# the twin's by less than 5 MB, and the value is stable and survives
# pg_dump | psql.
memo_schema() { # memo_schema DISTINCT(1|0)
	awk -v d="$1" 'BEGIN {
		for (i = 1; i <= 1000; i++) {
			k = d ? i * 100 : 0;
			if (i % 250 == 1) print "BEGIN;";
			printf "CREATE TABLE memo_t%d (a int DEFAULT %d, CHECK (a <> %d", i, k, k;
			for (j = 1; j < 30; j++) printf " AND a <> %d", k + j;
			print "));";
			if (i % 250 == 0) print "COMMIT;";
		} }'
}
memo_stats() { # "<trees memoised> <kB at the end>"
	PGOPTIONS="-c client_min_messages=debug1" $PSQL -d "$1" -Atc "SELECT dualboot_schema_fingerprint()" 2>&1 >/dev/null |
		sed -nE 's/.* ([0-9]+) node trees memoised, ([0-9]+) kB of memory at the end.*/\1 \2/p'
}
for db in fp_memo fp_memo_twin fp_memo_copy; do
	$PSQL -d postgres -c "CREATE DATABASE $db" && $PSQL -d "$db" -c "CREATE EXTENSION dualboot" ||
		nok "create database $db"
done
memo_schema 1 | $PSQL -d fp_memo -o /dev/null || nok "schema of distinct trees builds"
memo_schema 0 | $PSQL -d fp_memo_twin -o /dev/null || nok "twin schema builds"
read -r trees mem <<<"$(memo_stats fp_memo)"
read -r twin_trees twin_mem <<<"$(memo_stats fp_memo_twin)"
trees=${trees:-0} mem=${mem:-999999} twin_trees=${twin_trees:-0} twin_mem=${twin_mem:-0}
check "memo: keeps $trees of 2,000 distinct trees (the twin: $twin_trees)" \
	test "$trees" -gt 100 -a "$trees" -lt 2000 -a "$twin_trees" -ge 2 -a "$twin_trees" -lt 10
check "memo: $((mem - twin_mem)) kB more than the twin's $twin_mem kB (bound 4 MB)" \
	test $((mem - twin_mem)) -lt 5120
memo_fp=$(fp fp_memo)
check "distinct trees: the same value twice" test -n "$memo_fp" -a "$memo_fp" = "$(fp fp_memo)"
pg_dump --schema-only fp_memo | $PSQL -d fp_memo_copy -o /dev/null 2>"$W/memo.err"
check "distinct trees: the same value after pg_dump | psql" test "$memo_fp" = "$(fp fp_memo_copy)"

finish
