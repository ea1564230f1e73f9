#!/bin/sh
# bench/fingerprint.sh - how fast is dualboot_schema_fingerprint() compared
# with pg_dump --schema-only | sha256sum and with a plain-SQL catalog
# fingerprint built on the server's pg_get_* deparse functions?
#
#   bench/fingerprint.sh [SIZES]        default SIZES: "1000 10000 50000"
#
# Runs itself inside a throw-away cluster (Debian's pg_virtualenv) that loads
# this checkout's build of the extension from a scratch folder
# (make install-extension DESTDIR=..., extension_destdir). For each size it builds a synthetic schema (every table: identity
# key, defaults, checks, a foreign key, two indexes, one of them on an
# expression with a predicate; every tenth table also a view, a trigger
# function and a trigger), then times each method RUNS times (median) and
# records the backend's peak memory (VmHWM) for the fingerprint.
# Figures go to bench/results/fingerprint-<size>.txt; a benchmark, not a test.
# `tools/pg-matrix.sh --bench SIZE` runs it on every PostgreSQL major at hand
# (BENCH_RESULTS: the results folder, BENCH_SUFFIX: appended to the name).
set -eu

SIZES=${1:-"1000 10000 50000"}
RUNS=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${DUALBOOT_BENCH_INNER:-}" ]; then
	# this checkout's build, in a scratch folder the cluster reads through
	# Debian's extension_destdir (whatever else is installed does not count)
	X=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-bench.XXXXXX")
	trap 'rm -rf "$X"' EXIT
	chmod 755 "$X"
	make -s -C "$here/.." install-extension DESTDIR="$X/install" >"$X/install.log" 2>&1 ||
		{ cat "$X/install.log" >&2; exit 1; }
	export DUALBOOT_BENCH_INNER=1
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t -o "extension_destdir=$X/install" \
		-o shared_buffers=1GB -o max_locks_per_transaction=2048 \
		-o fsync=off -o synchronous_commit=off -o full_page_writes=off \
		-o max_wal_size=8GB -o autovacuum=off \
		"$0" "$SIZES"
	exit $?
fi

results=${BENCH_RESULTS:-$here/results}
mkdir -p "$results"
PSQL="psql -X -q -v ON_ERROR_STOP=1"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# DDL of a synthetic schema of $1 tables, in batches of 500 per transaction
gen_schema() {
	awk -v n="$1" 'BEGIN {
		print "CREATE SCHEMA bench;";
		for (i = 1; i <= n; i++) {
			if (i % 500 == 1) print "BEGIN;";
			printf "CREATE TABLE bench.t%d (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ", i;
			printf "parent_id bigint%s, ", (i > 1 ? sprintf(" REFERENCES bench.t%d (id) ON DELETE CASCADE", i - 1) : "");
			printf "name text NOT NULL DEFAULT %citem%c, qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0), ", 39, 39;
			printf "price numeric(12,2) CHECK (price > 0), created timestamptz NOT NULL DEFAULT now());\n";
			printf "CREATE INDEX t%d_parent ON bench.t%d (parent_id);\n", i, i;
			printf "CREATE INDEX t%d_lower ON bench.t%d (lower(name)) WHERE qty > 0;\n", i, i;
			if (i % 10 == 0) {
				printf "CREATE VIEW bench.v%d AS SELECT id, name, qty * price AS total FROM bench.t%d WHERE qty > 0;\n", i, i;
				printf "CREATE FUNCTION bench.f%d() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.qty := coalesce(NEW.qty, 0) + %d; RETURN NEW; END $f$;\n", i, i;
				printf "CREATE TRIGGER tr%d BEFORE INSERT OR UPDATE ON bench.t%d FOR EACH ROW EXECUTE FUNCTION bench.f%d();\n", i, i, i;
			}
			if (i % 500 == 0 || i == n) print "COMMIT;";
		}
	}'
}

# The plain-SQL peer: a catalog fingerprint through the server's deparser.
PLAIN_SQL="SELECT encode(sha256(convert_to(string_agg(x, E'\n' ORDER BY x), 'UTF8')), 'hex') FROM (
  SELECT format('rel %s %s %s', c.oid::regclass, c.relkind,
         (SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                 pg_get_expr(d.adbin, d.adrelid)), ',' ORDER BY a.attnum)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)) AS x
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r','p','v','m','f','S')
  UNION ALL SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
   WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL SELECT format('idx %s', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
  UNION ALL SELECT format('view %s %s', c.oid::regclass, pg_get_viewdef(c.oid)) FROM pg_class c
   WHERE c.relkind IN ('v','m') AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL SELECT format('fn %s', pg_get_functiondef(p.oid)) FROM pg_proc p
   WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) AND p.prokind <> 'a'
  UNION ALL SELECT format('trg %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t WHERE NOT t.tgisinternal
) s"

# seconds for one psql -c run (a fresh connection, as a migration tool has)
time_sql() {
	t0=$(now); $PSQL -d "$1" -Atc "$2" >/dev/null; t1=$(now)
	elapsed "$t0" "$t1"
}

time_dump() {
	t0=$(now)
	pg_dump --schema-only "$1" | grep -v '^\\\(un\)\?restrict' | sha256sum >/dev/null
	t1=$(now)
	elapsed "$t0" "$t1"
}

# In one session: the function's own time (\timing, RUNS calls), the
# backend's CPU time for them (utime+stime) and its peak resident memory
# (VmHWM, which also counts the shared buffers it touched), before/after.
in_session() {
	pidf=$(mktemp)
	sqlf=$(mktemp)
	probe() { # probe LABEL: a psql \! line printing LABEL, CPU ticks, VmHWM kB
		printf '%s\n' "\\! sh -c 'p=\$(cat $pidf); echo $1 \$(cut -d\" \" -f14 /proc/\$p/stat) \$(cut -d\" \" -f15 /proc/\$p/stat) \$(grep VmHWM /proc/\$p/status | tr -s \" \" | cut -d\" \" -f2) \$(grep RssShmem /proc/\$p/status | tr -s \" \" | cut -d\" \" -f2)'"
	}
	{
		printf 'SELECT pg_backend_pid() \\g %s\n' "$pidf"
		probe before
		printf '\\timing on\n'
		for r in $(seq "$RUNS"); do
			# the last call also logs its phases (DEBUG1)
			[ "$r" = "$RUNS" ] && printf 'SET client_min_messages = debug1;\n'
			printf 'SELECT dualboot_schema_fingerprint() \\g /dev/null\n'
		done
		printf '\\timing off\n'
		probe after
	} >"$sqlf"
	$PSQL -d "$1" -At -f "$sqlf" 2>&1 | sed 's/^psql:[^ ]* DEBUG: */DEBUG: /'
	rm -f "$pidf" "$sqlf"
}

machine="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM"
server=$($PSQL -Atc 'SHOW server_version')
env=$(command -v pg_virtualenv | grep -q pg-matrix && echo "tools/pg-virtualenv.sh" || echo pg_virtualenv)

for n in $SIZES; do
	db="bench_$n"
	out="$results/fingerprint-$n${BENCH_SUFFIX:-}.txt"
	$PSQL -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	t0=$(now)
	gen_schema "$n" | $PSQL -d "$db"
	t1=$(now)
	$PSQL -d "$db" -c "CREATE EXTENSION dualboot" -c "VACUUM ANALYZE"
	rels=$($PSQL -d "$db" -Atc "SELECT count(*) FROM pg_class")
	objs=$($PSQL -d "$db" -Atc "SELECT count(*) FROM dualboot_schema_manifest()")
	fp_runs=""; dump_runs=""; sql_runs=""
	for r in $(seq "$RUNS"); do
		fp_runs="$fp_runs $(time_sql "$db" 'SELECT dualboot_schema_fingerprint()')"
		dump_runs="$dump_runs $(time_dump "$db")"
		sql_runs="$sql_runs $(time_sql "$db" "$PLAIN_SQL")"
	done
	fp=$(echo $fp_runs | tr ' ' '\n' | median)
	dump=$(echo $dump_runs | tr ' ' '\n' | median)
	plain=$(echo $sql_runs | tr ' ' '\n' | median)
	sess=$(in_session "$db")
	# (the SET before the last call is timed too: leave out times under 5 ms)
	insess=$(echo "$sess" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '$1 >= 5 {printf "%.3f\n", $1 / 1000}')
	insess_med=$(echo "$insess" | median)
	cpu=$(echo "$sess" | awk -v hz="$(getconf CLK_TCK)" -v runs="$RUNS" \
		'$1 == "before" {b = $2 + $3; hb = $4; sb = $5} $1 == "after" {a = $2 + $3; ha = $4; sa = $5}
		 END {printf "%.3f s per call; VmHWM %d kB before, %d kB after, of which shared buffers touched (RssShmem) %d kB before, %d kB after", (a - b) / hz / runs, hb, ha, sb, sa}')
	{
		echo "# bench/fingerprint.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine: $machine"
		echo "server: PostgreSQL $server ($env, shared_buffers=1GB, fsync=off)"
		echo "tables: $n  relations (pg_class rows): $rels  manifest rows: $objs"
		echo "schema build: $(elapsed "$t0" "$t1") s"
		echo "runs: $RUNS (seconds, each a fresh psql connection)"
		echo "dualboot_schema_fingerprint (fresh psql each): median $fp  runs$fp_runs"
		echo "dualboot_schema_fingerprint (one session, psql timing): median $insess_med  runs" $insess
		echo "dualboot_schema_fingerprint backend CPU (user+sys): $cpu"
		echo "pg_dump -s | sha256sum:        median $dump  runs$dump_runs"
		echo "plain-SQL pg_get_* fingerprint: median $plain  runs$sql_runs"
		echo "speedup vs pg_dump -s, fresh connections both: $(echo "scale=1; $dump / $fp" | bc)x; vs plain SQL: $(echo "scale=1; $plain / $fp" | bc)x"
		echo "speedup vs pg_dump -s, function time: $(echo "scale=1; $dump / $insess_med" | bc)x"
		echo "phases of the last call (ms, DEBUG1):"
		echo "$sess" | grep 'dualboot fingerprint:' | sed 's/^.*dualboot fingerprint: /  /'
		echo "load average at the end (other work on the machine): $(cut -d' ' -f1-3 /proc/loadavg)"
	} | tee "$out"
	$PSQL -c "DROP DATABASE $db"
done
