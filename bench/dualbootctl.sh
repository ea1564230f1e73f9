#!/bin/sh
# bench/dualbootctl.sh - what one dualbootctl command costs, wall clock.
#
#   bench/dualbootctl.sh            RUNS=200 (hyperfine runs per command)
#   make bench-dualbootctl
#
# hyperfine over a record on the repository's disk (build/bench-ctl/, not a
# tmpfs, so the fdatasync of every write is part of the price):
#   status --json      read both copies, check CRC-32C, print JSON
#   history --json     the same read, the ring as JSON
#   failback           lock, read, apply, write the older copy, fdatasync
#   boot-select        read, decide, write (fdatasync), marker (fsync + rename)
# Writes bench/results/dualbootctl.txt (machine, date, load, the table). A
# benchmark, not a test: nothing asserts on time.
set -eu

RUNS=${RUNS:-200}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/.." && pwd)
CTL=$ROOT/build/dualbootctl
W=$ROOT/build/bench-ctl
OUT=$here/results/dualbootctl.txt

command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (tools/deps.sh)" >&2; exit 1; }
make -s -C "$ROOT" build/dualbootctl
rm -rf "$W"
mkdir -p "$W" "$here/results"
: >"$W/empty.conf"
C="$CTL --config $W/empty.conf --state $W/state"
$C init --stable A >/dev/null

hyperfine -N --warmup 20 --runs "$RUNS" --export-markdown "$W/table.md" \
	-n "status --json" "$C status --json" \
	-n "history --json" "$C history --json" \
	-n "failback (write + fdatasync)" "$C failback" \
	-n "boot-select (write + marker)" "$C --marker $W/run/booted boot-select" \
	>"$W/hyperfine.log" 2>&1 || { cat "$W/hyperfine.log" >&2; exit 1; }

{
	echo "# dualbootctl command cost ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
	echo "# command: bench/dualbootctl.sh (RUNS=$RUNS), hyperfine -N --warmup 20"
	echo "# machine: $(nproc) cores, $(uname -r), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# record: $(df -T "$W" | awk 'NR == 2 { print $2 }') file system under build/bench-ctl"
	echo "# final sequence: $($C status --json | sed 's/.*"seq": \([0-9]*\).*/\1/')"
	cat "$W/table.md"
} >"$OUT"
cat "$OUT"
rm -rf "$W"
