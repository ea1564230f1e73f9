#!/bin/sh
# bench/refresh-snapshot.sh - `dualbootctl refresh --method snapshot` (LVM thin
# snapshot) against `cp -a` of the same data directory onto the same thin
# pool, inside the QEMU guest of test/t/64-vm-refresh.t (the build host may
# have no device-mapper). Figures, not a test: bench/results/refresh-snapshot-
# <size>MB.txt. ROWS (default 1000000, about 1 KB each) sets the size; RUNS
# (default 3) runs, each one refresh and one cp -a (caches dropped before it,
# sync included).
# The guest is one emulated CPU under TCG: absolute times are those of the
# emulator; the ratio is the point.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
OUT=$TOP/build/bench-refresh-snapshot.txt
mkdir -p "$TOP/build" "$TOP/bench/results"
t0=$(date +%s)
REFRESH_BENCH=$ROWS REFRESH_RUNS=$RUNS VM_TIMEOUT=${VM_TIMEOUT:-5400} sh "$TOP/test/t/64-vm-refresh.t" > "$OUT"
t1=$(date +%s)
size=$(sed -n 's/^DBREFRESH size_mb=//p' "$OUT")
[ -n "$size" ] || { echo "no figures (see $OUT and build/vm/run-refresh/guest.log)" >&2; exit 1; }
res=$TOP/bench/results/refresh-snapshot-${size}MB.txt
{
	echo "# dualbootctl refresh --method snapshot vs cp -a, same data, same thin pool"
	echo "# $(date -u +%Y-%m-%dT%H:%MZ), bench/refresh-snapshot.sh ROWS=$ROWS RUNS=$RUNS"
	echo "# machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# guest: QEMU TCG, 1 vCPU, 1 GiB, virtio disk (sparse raw file), Linux $(ls /lib/modules | sort -V | tail -1), PostgreSQL 15, ext4 on LVM thin"
	echo "# data directory: ${size} MB; whole guest run $((t1 - t0)) s"
	echo "# run method seconds (wall, from the guest's clock)"
	sed -n 's/^DBREFRESH snapshot=\([0-9]*\) \([0-9.]*\).*/\1 snapshot \2/p; s/^DBREFRESH cp=\([0-9]*\) \([0-9.]*\).*/\1 cp-a \2/p' "$OUT"
	echo "# load (rows, CREATE TABLE + INSERT + CHECKPOINT): $(sed -n 's/^DBREFRESH load_s=//p' "$OUT") s"
	echo "# refresh's own line, last run: $(sed -n "s/^DBREFRESH snapshot=$RUNS [0-9.]* //p" "$OUT")"
} > "$res"
cat "$res"
