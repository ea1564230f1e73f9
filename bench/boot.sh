#!/bin/sh
# bench/boot.sh - figures of the boot hook (issue 5), written to
# bench/results/boot-*.txt. A benchmark, not a test: nothing is asserted.
#
#   boot-selector-size.txt     size of the static selector
#   boot-selector-runtime.txt  the selector's own run time inside the VM
#   boot-initramfs-size.txt    what the hook adds to an initramfs
#   boot-time.txt              boot time with and without the hook, same VM,
#                              same run, boots alternating
#
# Usage: bench/boot.sh [BOOTS]   (default 5 boots of each kind; `make bench-boot`)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/test/vm/common.sh"
BOOTS=${1:-5}
R=$TOP/bench/results
W=$VMDIR/bench
mkdir -p "$R" "$W"
DBTOOL=$TOP/build/musl/dbtool
make -s -C "$TOP" build/musl/dualboot-select build/musl/dbtool || exit 1
vm_stage || exit 1
SEL=$VM_STAGE/usr/lib/dualboot/dualboot-select

host() {
	echo "# host: $(uname -m), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "# date: $(date -u +%Y-%m-%dT%H:%MZ), kernel under test $KVER, QEMU TCG, 1 vCPU, ${VM_MEM} MiB"
}

# stats: min median mean max of numbers on stdin
stats() {
	sort -n | awk '{ v[NR] = $1; s += $1 } END {
		if (NR == 0) { print "n=0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "n=%d min=%.3f median=%.3f mean=%.3f max=%.3f\n", NR, v[1], m, s / NR, v[NR] }'
}

# ---- selector size ----
{
	host
	echo "# command: stat -c %s build/musl/dualboot-select; size; readelf -l (no INTERP = static)"
	b=$(stat -c %s "$SEL")
	echo "selector_bytes=$b"
	echo "selector_kib=$(awk -v b="$b" 'BEGIN { printf "%.1f", b / 1024 }')"
	echo "target_kib=64"
	if readelf -l "$SEL" | grep -q INTERP; then echo "linking=dynamic"; else echo "linking=static"; fi
	size "$SEL" | sed 's/^/# /'
} > "$R/boot-selector-size.txt"

# ---- images ----
CONF=$W/dualboot.conf
vm_conf "$CONF"
WITH=$W/with-hook.initrd WITHOUT=$W/without-hook.initrd
vm_initramfs_tools "$WITH" "$CONF" >"$W/mk1.log" 2>&1 || { echo "mkinitramfs failed" >&2; exit 1; }
vm_initramfs_tools "$WITHOUT" "$CONF" without-hook >"$W/mk2.log" 2>&1 || exit 1
if lsinitramfs "$WITHOUT" | grep -q dualboot-select; then
	echo "the image without the hook holds the selector" >&2
	exit 1
fi

{
	host
	echo "# command: mkinitramfs -d CONFDIR (MODULES=list, COMPRESS=zstd) with and without the hook"
	a=$(stat -c %s "$WITH") b=$(stat -c %s "$WITHOUT")
	echo "initramfs_with_hook_bytes=$a"
	echo "initramfs_without_hook_bytes=$b"
	echo "added_compressed_bytes=$((a - b))"
	u=0
	for f in usr/lib/dualboot/dualboot-select usr/lib/dualboot/dualboot-boot \
		etc/dualboot/dualboot.conf scripts/local-top/dualboot; do
		s=$(lsinitramfs -l "$WITH" | awk -v f="$f" '$NF == f { print $5 }')
		w=$(lsinitramfs "$WITHOUT" | grep -cx "$f")
		echo "file $f $s${w:+ (also in the image without hook: $w)}"
		u=$((u + ${s:-0}))
	done
	echo "added_files_uncompressed_bytes=$u"
	echo "# (\"also in the image without hook: 1\" = the inert local-top script of a hook"
	echo "# installed system-wide by make install; it exits at once without the selector)"
	echo "# modules the hook adds for the state partition (ext4, vfat, nls_*) are"
	echo "# already in this list-based image; on MODULES=dep hosts they may add more"
} > "$R/boot-initramfs-size.txt"

# ---- boot time with and without the hook, selector run time ----
rm -f "$W/rec"
"$DBTOOL" create "$W/rec" A >/dev/null || exit 1
: > "$W/with.wall"; : > "$W/without.wall"; : > "$W/with.init"; : > "$W/without.init"
: > "$W/sel.us"; : > "$W/sel-trial.us"; : > "$W/hook.s"
i=0
while [ "$i" -lt "$BOOTS" ]; do
	i=$((i + 1))
	vm_disk "$W/disk.img" ext4 "$W/rec" || exit 1
	t=$(vm_boot "$W/disk.img" "$WITHOUT" "$W/without-$i.log" root=PARTLABEL=root-a) &&
		echo "$t" >> "$W/without.wall"
	vm_report "$W/without-$i.log" uptime >> "$W/without.init"
	t=$(vm_boot "$W/disk.img" "$WITH" "$W/with-$i.log") && echo "$t" >> "$W/with.wall"
	vm_report "$W/with-$i.log" uptime >> "$W/with.init"
	sed -n 's/.*dualboot: boot slot.*\[\([0-9]*\) us\].*/\1/p' "$W/with-$i.log" |
		head -1 >> "$W/sel.us"
	# the whole hook: its first kernel log line to the selector's decision
	grep '^DBTEST log' "$W/with-$i.log" | sed -n 's/^DBTEST log \[ *\([0-9.]*\)\].*/\1/p' |
		sed -n '1p;$p' | tr '\n' ' ' | awk 'NF == 2 { printf "%.3f\n", $2 - $1 }' >> "$W/hook.s"
	# a trial boot: the selector also writes the decrement (fdatasync)
	"$DBTOOL" create "$W/rec-t" A >/dev/null && "$DBTOOL" mark-test "$W/rec-t" 3
	vm_disk "$W/disk-t.img" ext4 "$W/rec-t" || exit 1
	vm_boot "$W/disk-t.img" "$WITH" "$W/trial-$i.log" >/dev/null
	sed -n 's/.*dualboot: boot slot.*\[\([0-9]*\) us\].*/\1/p' "$W/trial-$i.log" |
		head -1 >> "$W/sel-trial.us"
	rm -f "$W/rec-t"
done

{
	host
	echo "# command: bench/boot.sh $BOOTS; the selector logs its own run time (CLOCK_MONOTONIC"
	echo "# around config parsing, device resolution, record read, decision, write with"
	echo "# fdatasync and marker) in its dualboot: kernel log line; stable = record with no"
	echo "# trial (boot fields written), trial = armed trial (decrement written)"
	echo "selector_us_stable_boot $(stats < "$W/sel.us")"
	echo "selector_us_trial_boot $(stats < "$W/sel-trial.us")"
	echo "# the whole hook (dualboot-boot: find the state partition, mount it, peek,"
	echo "# wait for the root, select), its first to last dualboot: kernel log line"
	echo "hook_s_stable_boot $(stats < "$W/hook.s")"
} > "$R/boot-selector-runtime.txt"

{
	host
	echo "# command: bench/boot.sh $BOOTS; same disk image and kernel, boots alternating;"
	echo "# without hook: root=PARTLABEL=root-a on the command line; with hook: the record"
	echo "# (stable A, no trial) chooses. wall = QEMU start to power-off (host clock);"
	echo "# init = guest uptime when the root's /sbin/init started (guest clock)"
	echo "wall_s_without_hook $(stats < "$W/without.wall")"
	echo "wall_s_with_hook $(stats < "$W/with.wall")"
	echo "init_s_without_hook $(stats < "$W/without.init")"
	echo "init_s_with_hook $(stats < "$W/with.init")"
	echo "# load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$R/boot-time.txt"

rm -f "$W"/*.img
cat "$R"/boot-*.txt
