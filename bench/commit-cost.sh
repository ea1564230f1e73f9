#!/bin/sh
# bench/commit-cost.sh - what does a dualboot request cost a transaction?
#
#   bench/commit-cost.sh                 DURATION=5 ROUNDS=3 CLIENTS="1 2"
#
# pgbench transactions per second, on the same throw-away server in the
# same run, of
#   base:   BEGIN; SELECT 1; COMMIT;
#   mark:   BEGIN; SELECT dualboot_mark_test(3); COMMIT;
#   status: BEGIN; SELECT dualboot_status(); COMMIT;     (the read alone)
# The three scripts take turns, ROUNDS times, DURATION seconds each, for
# every client count; the summary gives the median of the rounds.
#
# The record lives on the disk of the repository (build/bench-*), not in a
# tmpfs: every committed request ends in an fdatasync of the record, which is
# the price being measured. The server runs with fsync=on (pg_virtualenv's
# default is off) and synchronous_commit=on; note that the base and status transactions have no
# transaction id, so PostgreSQL itself flushes nothing at their commit.
#
# Needs pg_virtualenv and pgbench (postgresql-contrib), a built dualbootctl
# (make), and writes bench/results/commit-cost-<date>.txt. A benchmark, not
# a test: nothing here asserts on time.
set -eu

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-"1 2"}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/.." && pwd)

if [ -z "${DUALBOOT_BENCH_INNER:-}" ]; then
	cd "$ROOT"
	make -s all >/dev/null
	CTL=${DUALBOOTCTL:-$ROOT/build/dualbootctl}
	[ -x "$CTL" ] || { echo "commit-cost: build/dualbootctl is missing (make)" >&2; exit 1; }
	mkdir -p "$ROOT/build"
	W=$(mktemp -d "$ROOT/build/bench-commit-cost.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	chmod 755 "$W"
	make -s install-extension DESTDIR="$W/install" >/dev/null
	mkdir "$W/state"
	: >"$W/state/empty.conf"
	"$CTL" --config "$W/state/empty.conf" --state "$W/state/record" init --stable A >/dev/null
	"$CTL" --config "$W/state/empty.conf" --state "$W/state/record" boot-select \
		--marker "$W/state/run/booted" >/dev/null
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$W/state"
	fi
	chmod 600 "$W/state/record"
	export DUALBOOT_BENCH_INNER=1 DUALBOOT_BENCH_WORK=$W
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t \
		-o "extension_destdir=$W/install" \
		-o "dualboot.state_path=$W/state/record" \
		-o "dualboot.boot_marker_path=$W/state/run/booted" \
		-o fsync=on \
		"$0"
	exit $?
fi

W=$DUALBOOT_BENCH_WORK
mkdir -p "$here/results"
out=$here/results/commit-cost-$(date -u +%Y-%m-%d).txt
PSQL="psql -X -q -v ON_ERROR_STOP=1"

$PSQL -c "CREATE EXTENSION dualboot"
printf 'BEGIN;\nSELECT 1;\nCOMMIT;\n' >"$W/base.sql"
printf 'BEGIN;\nSELECT dualboot_mark_test(3);\nCOMMIT;\n' >"$W/mark.sql"
printf 'BEGIN;\nSELECT dualboot_status();\nCOMMIT;\n' >"$W/status.sql"
seq0=$($PSQL -Atc "SELECT seq FROM dualboot_status()")

fs_of() { df -PT "$1" | awk 'NR == 2 { print $2 " (" $1 ")" }'; }
datadir=$($PSQL -Atc "SHOW data_directory")
{
	echo "# dualboot commit cost: pgbench TPS, same server, same run"
	echo "date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "commit:      $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "cpu:         $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "memory:      $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel:      $(uname -r)"
	echo "server:      $($PSQL -Atc 'SELECT version()')"
	echo "pgbench:     $(pgbench --version)"
	echo "settings:    fsync=$($PSQL -Atc 'SHOW fsync') synchronous_commit=$($PSQL -Atc 'SHOW synchronous_commit') wal_sync_method=$($PSQL -Atc 'SHOW wal_sync_method')"
	echo "record fs:   $(fs_of "$W/state")"
	echo "data fs:     $(fs_of "$datadir" 2>/dev/null || echo unknown)"
	echo "duration:    ${DURATION}s per run, $ROUNDS rounds, clients: $CLIENTS"
	echo "shared host: other jobs may run on the same machine; compare within one file"
	echo
	echo "script  clients  round      tps   latency_ms"
} >"$out"

for c in $CLIENTS; do
	for r in $(seq 1 "$ROUNDS"); do
		for s in base mark status; do
			res=$(pgbench -n -T "$DURATION" -c "$c" -j "$c" -f "$W/$s.sql" 2>&1) || {
				echo "$res" >&2
				exit 1
			}
			tps=$(echo "$res" | awk '/^tps = / { print $3; exit }')
			lat=$(echo "$res" | awk '/^latency average = / { print $4; exit }')
			printf '%-7s %7s %6s %9.1f %12.3f\n' "$s" "$c" "$r" "$tps" "$lat" >>"$out"
		done
	done
done

seq1=$($PSQL -Atc "SELECT seq FROM dualboot_status()")
{
	echo
	echo "# median of the rounds; 'added' = mean latency of mark minus base"
	echo "clients  base_tps  mark_tps  status_tps  mark/base  added_ms_per_commit"
	for c in $CLIENTS; do
		awk -v c="$c" '
			$2 == c && $1 == "base"   { b[++nb] = $4; bl[nb] = $5 }
			$2 == c && $1 == "mark"   { m[++nm] = $4; ml[nm] = $5 }
			$2 == c && $1 == "status" { s[++ns] = $4 }
			function med(a, n,   i, j, t) {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return a[int((n + 1) / 2)]
			}
			END {
				B = med(b, nb); M = med(m, nm); S = med(s, ns)
				BL = med(bl, nb); ML = med(ml, nm)
				printf "%7s %9.1f %9.1f %11.1f %10.3f %20.3f\n", c, B, M, S, M / B, ML - BL
			}' "$out"
	done
	echo
	echo "record writes during the run: $((seq1 - seq0)) (sequence $seq0 -> $seq1)"
} >>"$out.summary"
cat "$out.summary" >>"$out"
rm -f "$out.summary"
cat "$out"
