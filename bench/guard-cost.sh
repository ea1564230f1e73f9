#!/bin/sh
# bench/guard-cost.sh - what does a guard cost? (issue 16)
#
#   bench/guard-cost.sh                  DURATION=3 ROUNDS=3
#
# pgbench statements per second on one throw-away server, on the test slot of
# a simulated machine (so that the guards pass), of
#   base:    SELECT 1;
#   current: SELECT dualboot_current_slot();   (marker + record read, the rule)
#   guard:   SELECT dualboot_require_test();   (the same, plus the record again)
# taking turns, ROUNDS times, DURATION seconds each, one client; and with
# hyperfine the wall time of `dualbootctl require-test` (a process start,
# the marker, the kernel's boot_id and the record) against
# `dualbootctl --version` (the process start alone).
#
# Needs pg_virtualenv, pgbench (postgresql-contrib) and hyperfine, a built
# dualbootctl (make); writes bench/results/guard-cost-<date>.txt. A
# benchmark, not a test: nothing here asserts on time.
set -eu

DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/.." && pwd)

if [ -z "${DUALBOOT_BENCH_INNER:-}" ]; then
	cd "$ROOT"
	make -s all >/dev/null
	CTL=${DUALBOOTCTL:-$ROOT/build/dualbootctl}
	[ -x "$CTL" ] || { echo "guard-cost: build/dualbootctl is missing (make)" >&2; exit 1; }
	mkdir -p "$ROOT/build"
	W=$(mktemp -d "$ROOT/build/bench-guard-cost.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	chmod 755 "$W"
	make -s install-extension DESTDIR="$W/install" >/dev/null
	mkdir "$W/state"
	: >"$W/state/empty.conf"
	ctl() { "$CTL" --config "$W/state/empty.conf" --state "$W/state/record" --marker "$W/state/run/booted" "$@"; }
	ctl init --stable A >/dev/null
	ctl boot-select >/dev/null
	ctl mark-test --tries 3 >/dev/null
	ctl boot-select >/dev/null
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$W/state"
	fi
	chmod 600 "$W/state/record"
	export DUALBOOT_BENCH_INNER=1 DUALBOOT_BENCH_WORK=$W DUALBOOT_BENCH_CTL=$CTL
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t \
		-o "extension_destdir=$W/install" \
		-o "dualboot.state_path=$W/state/record" \
		-o "dualboot.boot_marker_path=$W/state/run/booted" \
		"$0"
	exit $?
fi

W=$DUALBOOT_BENCH_WORK
CTL=$DUALBOOT_BENCH_CTL
mkdir -p "$here/results"
out=$here/results/guard-cost-$(date -u +%Y-%m-%d).txt
PSQL="psql -X -q -v ON_ERROR_STOP=1"

$PSQL -c "CREATE EXTENSION dualboot"
[ "$($PSQL -Atc 'SELECT dualboot_require_test()')" = B ] || { echo "guard-cost: not on the test slot" >&2; exit 1; }
echo 'SELECT 1;' >"$W/base.sql"
echo 'SELECT dualboot_current_slot();' >"$W/current.sql"
echo 'SELECT dualboot_require_test();' >"$W/guard.sql"
{
	echo "# dualboot guard cost: pgbench statements per second, same server, same run, 1 client"
	echo "date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "commit:      $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "cpu:         $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel:      $(uname -r)"
	echo "server:      $($PSQL -Atc 'SELECT version()')"
	echo "duration:    ${DURATION}s per run, $ROUNDS rounds"
	echo "shared host: other jobs may run on the same machine; compare within one file"
	echo
	echo "script   round       tps   latency_ms"
} >"$out"
for r in $(seq 1 "$ROUNDS"); do
	for s in base current guard; do
		res=$(pgbench -n -T "$DURATION" -c 1 -f "$W/$s.sql" 2>&1) || { echo "$res" >&2; exit 1; }
		tps=$(echo "$res" | awk '/^tps = / { print $3; exit }')
		lat=$(echo "$res" | awk '/^latency average = / { print $4; exit }')
		printf '%-8s %5s %9.1f %12.3f\n' "$s" "$r" "$tps" "$lat" >>"$out"
	done
done
{
	echo
	echo "# median latency of the rounds, and what the call adds to SELECT 1"
	awk '
		NF == 4 && $2 ~ /^[0-9]+$/ { l[$1, ++n[$1]] = $4 }
		function med(s,   i, j, t, a) {
			for (i = 1; i <= n[s]; i++) a[i] = l[s, i]
			for (i = 1; i <= n[s]; i++) for (j = i + 1; j <= n[s]; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((n[s] + 1) / 2)]
		}
		END {
			b = med("base")
			printf "base     %.3f ms\n", b
			printf "current  %.3f ms (+%.3f ms)\n", med("current"), med("current") - b
			printf "guard    %.3f ms (+%.3f ms)\n", med("guard"), med("guard") - b
		}' "$out"
	echo
	echo "# dualbootctl require-test (exit 0 on the test slot) against dualbootctl --version, hyperfine"
	c="$CTL --config $W/state/empty.conf --state $W/state/record --marker $W/state/run/booted"
	hyperfine -N --warmup 20 --runs 300 --style basic -n "dualbootctl --version" "$c --version" \
		-n "dualbootctl require-test" "$c require-test" 2>&1 |
		sed -n 's/^ *Time (mean ± σ): */    mean /p; s/^Benchmark [0-9]*: /  /p'
} >>"$out.summary"
cat "$out.summary" >>"$out"
rm -f "$out.summary"
cat "$out"
