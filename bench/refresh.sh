#!/bin/bash
# bench/refresh.sh - `dualbootctl refresh` (pg_basebackup of the running
# stable cluster into the test slot's data directory, plus recording the
# provenance) against `cp -a` of the same data directory, on the same disk.
#
#   bench/refresh.sh                       SIZES_MB="256 1024" RUNS=3
#   make bench-refresh                     the same
#
# For each size: a throw-away cluster filled by pgbench -i to a data
# directory of about SIZE MB (scale = SIZE / 31: tables, indexes and WAL),
# then RUNS rounds of: refresh into an empty directory
# (timed by the tool itself and by the wall clock, `sync` included), then
# cp -a of the data directory into another empty directory (`sync`
# included). The page cache is not dropped (a shared machine): both read
# the same warm source. The directories live under build/ in the
# repository (the disk of the repository, not a tmpfs). Needs root (the
# cluster runs as postgres; refresh runs as root), PostgreSQL's server
# binaries and pgbench. Writes bench/results/refresh-<MB>MB.txt, named by the
# data directory's real size. The refresh copy is removed before cp -a runs,
# so the disk holds at most two copies of the data.
# A benchmark, not a test.
set -eu

SIZES_MB=${SIZES_MB:-"256 1024"}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=$(pg_config --bindir)
[ "$(id -u)" = 0 ] || { echo "bench/refresh.sh: needs root" >&2; exit 1; }
[ -x "$PGBIN/pgbench" ] || { echo "bench/refresh.sh: pgbench missing" >&2; exit 1; }
make -s -C "$ROOT" build/dualbootctl >/dev/null
mkdir -p "$ROOT/build" "$ROOT/bench/results"
W=$(mktemp -d "$ROOT/build/bench-refresh.XXXXXX")
chmod 755 "$W"
stop() {
	[ -f "$W/A/data/postmaster.pid" ] &&
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/A/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$W"
}
trap stop EXIT
mkdir -p "$W/A/data" "$W/B" "$W/cp" "$W/state" "$W/sock"
chown postgres "$W/A" "$W/A/data" "$W/B" "$W/state" "$W/sock"
chmod 700 "$W/A/data"
printf 'slot_a=%s\nslot_b=%s\ndefault=A\n' "$W/A" "$W/B" >"$W/conf"
ctl() { "$ROOT/build/dualbootctl" --config "$W/conf" --state "$W/state/record" --marker "$W/state/booted" "$@"; }
ctl init --stable A >/dev/null
ctl boot-select >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PGBIN/initdb" -D "$W/A/data" -U postgres -A trust >/dev/null
printf "port = %s\nlisten_addresses = ''\nunix_socket_directories = '%s'\nmax_wal_size = '4GB'\n" \
	"$PORT" "$W/sock" >>"$W/A/data/postgresql.conf"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/A/data" -l "$W/A/server.log" -w start >/dev/null
psql_() { runuser -u postgres -- "$PGBIN/psql" -X -q -At -h "$W/sock" -p "$PORT" -d postgres "$@"; }
now() { date +%s.%N; }

machine="$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -r), disk: $(df -h "$W" | awk 'NR==2 {print $1 " (" $2 ")"}'), PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
for size in $SIZES_MB; do
	scale=$((size / 31))
	[ "$scale" -ge 1 ] || scale=1
	runuser -u postgres -- "$PGBIN/pgbench" -i -q -s "$scale" -h "$W/sock" -p "$PORT" postgres >/dev/null 2>&1
	psql_ -c "CHECKPOINT" >/dev/null
	bytes=$(du -sb "$W/A/data" | cut -f1)
	out=$ROOT/bench/results/refresh-$((bytes / 1048576))MB.txt
	{
		echo "# bench/refresh.sh: dualbootctl refresh (pg_basebackup -X stream -c fast) vs cp -a"
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $machine"
		echo "# data directory: $bytes bytes (pgbench -i -s $scale), $RUNS runs, warm page cache, sync included"
		echo "# a shared machine: load average at the start $(cut -d" " -f1-3 /proc/loadavg)"
		echo "run refresh_s cp_a_s"
	} >"$out"
	r_all="" c_all=""
	for run in $(seq 1 "$RUNS"); do
		rm -rf "$W/B/data" "$W/cp/data"
		mkdir -p "$W/B/data"
		chown postgres "$W/B/data"
		t0=$(now)
		ctl refresh --pgdata "$W/B/data" --source "host=$W/sock port=$PORT" >/dev/null
		sync
		t1=$(now)
		r=$(awk "BEGIN {print $t1 - $t0}")
		rm -rf "$W/B/data"
		sync
		t1=$(now)
		cp -a "$W/A/data" "$W/cp/data"
		sync
		t2=$(now)
		c=$(awk "BEGIN {print $t2 - $t1}")
		printf '%s %.2f %.2f\n' "$run" "$r" "$c" >>"$out"
		r_all="$r_all $r" c_all="$c_all $c"
	done
	med() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	printf 'median %.2f %.2f\n' "$(med "$r_all")" "$(med "$c_all")" >>"$out"
	cat "$out"
	rm -rf "$W/B/data" "$W/cp/data"
	psql_ -c "DROP TABLE pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers" >/dev/null
done
