#!/bin/sh
# 64-vm-refresh.t - `dualbootctl refresh` by an LVM thin snapshot (issue 15),
# for real inside a QEMU guest (TCG): the build host may have no
# device-mapper, the guest's kernel has. One boot of the guest's own script
# (test/vm/refresh-guest as rdinit=), from an initramfs holding the host's
# lvm2, PostgreSQL 15 and build/dualbootctl (cached under
# build/vm/refresh/), on a blank sparse disk. The guest prints what it saw
# ("DBREFRESH key=value" lines on the serial console); the checks are here.
#
# REFRESH_BENCH=ROWS [REFRESH_RUNS=N]: run the benchmark instead (snapshot
# refresh against cp -a of the same data directory in the guest, N runs of
# each, default 3) and print its figures (bench/refresh-snapshot.sh).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/test/vm/common.sh"

R=$VMDIR/refresh
W=$VMDIR/run-refresh
PGBIN=/usr/lib/postgresql/15/bin
CTL=$TOP/build/dualbootctl

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (mkinitramfs copies the host's programs)"
	exit 0
fi
for c in qemu-system-x86_64 mkinitramfs lvm pdata_tools mke2fs mkfs.xfs setpriv; do
	if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "/sbin/$c" ] && [ ! -x "/usr/sbin/$c" ]; then
		echo "1..0 # SKIP $c not installed (run tools/deps.sh as root)"
		exit 0
	fi
done
if [ ! -x "$PGBIN/postgres" ] || [ ! -x "$PGBIN/pg_waldump" ]; then
	echo "1..0 # SKIP PostgreSQL 15 not installed (run tools/deps.sh as root)"
	exit 0
fi
if [ ! -e "/boot/vmlinuz-$KVER" ]; then
	echo "1..0 # SKIP no kernel /boot/vmlinuz-$KVER (install linux-image-amd64)"
	exit 0
fi
make -s -C "$TOP" WERROR=-Werror build/dualbootctl >&2 || { echo "Bail out! cannot build dualbootctl"; exit 1; }

# ---- the guest's initramfs (cached) ----
INITRD=$R/refresh.initrd
build_initrd() {
	[ -s "$INITRD" ] && [ "$INITRD" -nt "$TOP/test/vm/refresh-guest" ] &&
		[ "$INITRD" -nt "$CTL" ] && [ "$INITRD" -nt "$0" ] && return 0
	c=$R/conf
	rm -rf "$c"; mkdir -p "$c/hooks" "$c/scripts" "$c/conf.d"
	printf 'MODULES=list\nBUSYBOX=y\nCOMPRESS=zstd\nRESUME=none\n' > "$c/initramfs.conf"
	for m in virtio_pci virtio_blk dm_mod dm_thin_pool ext4 crc32c_generic xfs; do echo "$m"; done \
		> "$c/modules"
	cat > "$c/hooks/pgguest" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
copy_exec /sbin/lvm
copy_exec /usr/sbin/pdata_tools
ln -sf pdata_tools "\$DESTDIR/usr/sbin/thin_check"
copy_exec /sbin/mke2fs /usr/local/sbin/mke2fs
copy_exec /sbin/mkfs.xfs /usr/local/sbin/mkfs.xfs
copy_file config /etc/mke2fs.conf
copy_exec /usr/bin/setpriv /usr/local/bin/setpriv
copy_exec "$CTL" /usr/sbin/dualbootctl
for b in initdb postgres pg_ctl psql pg_controldata pg_waldump pg_basebackup; do
	copy_exec "$PGBIN/\$b"
done
for so in /usr/lib/postgresql/15/lib/*.so; do
	case \$so in */llvmjit.so) continue ;; esac
	copy_exec "\$so"
done
mkdir -p "\$DESTDIR/usr/share/postgresql" "\$DESTDIR/usr/share/zoneinfo" "\$DESTDIR/etc/lvm"
cp -a /usr/share/postgresql/15 "\$DESTDIR/usr/share/postgresql/"
cp -L /usr/share/zoneinfo/UTC "\$DESTDIR/usr/share/zoneinfo/UTC"
cp -L /usr/share/zoneinfo/UTC "\$DESTDIR/usr/share/zoneinfo/GMT"
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:5432:5432:PostgreSQL:/var/lib/postgresql:/bin/sh\n' > "\$DESTDIR/etc/passwd"
printf 'root:x:0:\npostgres:x:5432:\n' > "\$DESTDIR/etc/group"
mkdir -p "\$DESTDIR/var/lib/postgresql" && chown 5432:5432 "\$DESTDIR/var/lib/postgresql"
# no udev in the guest: lvm makes the device nodes itself
printf 'activation {\n udev_sync = 0\n udev_rules = 0\n verify_udev_operations = 1\n monitoring = 0\n}\ndevices {\n obtain_device_list_from_udev = 0\n}\n' > "\$DESTDIR/etc/lvm/lvm.conf"
copy_file script "$TOP/test/vm/refresh-guest" /refresh-guest
EOF
	chmod 0755 "$c/hooks/pgguest"
	mkinitramfs -d "$c" -o "$INITRD.tmp" "$KVER" > "$R/mkinitramfs.log" 2>&1 &&
		mv "$INITRD.tmp" "$INITRD"
}
mkdir -p "$R"
rm -rf "$W"; mkdir -p "$W"
t0=$(date +%s)
build_initrd || { echo "Bail out! mkinitramfs failed (see $R/mkinitramfs.log)"; exit 1; }
t_build=$(($(date +%s) - t0))

DISK=$W/disk.img
truncate -s 2G "$DISK"
LOG=$W/guest.log
if [ -n "${REFRESH_BENCH:-}" ]; then
	truncate -s 30G "$DISK"
	VM_MEM=1024 VM_TIMEOUT=${VM_TIMEOUT:-3000} vm_boot "$DISK" "$INITRD" "$LOG" \
		rdinit=/refresh-guest refresh.bench=1 "refresh.rows=$REFRESH_BENCH" \
		"refresh.runs=${REFRESH_RUNS:-3}" > "$W/time"
	grep '^DBREFRESH' "$LOG" | tr -d '\r'
	rm -f "$DISK"
	exit 0
fi
VM_MEM=1024 VM_TIMEOUT=${VM_TIMEOUT:-900} vm_boot "$DISK" "$INITRD" "$LOG" rdinit=/refresh-guest \
	> "$W/time"
qrc=$?

n=0 failed=0 fail=""
. "$TOP/test/vm/tap.sh"
echo "1..10"
g() { sed -n "s/^DBREFRESH $1=//p" "$LOG" | tr -d '\r' | head -1; }
has() { case $2 in *"$3"*) ;; *) problem "$1: no '$3' in: $2" ;; esac; }
lacks() { case $2 in *"$3"*) problem "$1: '$3' in: $2" ;; esac; }

[ "$qrc" = 0 ] || problem "QEMU failed or timed out (exit $qrc, see $LOG)"
grep -q '^DBREFRESH end' "$LOG" || problem "the guest did not finish (see $LOG)"
grep '^DBREFRESH fatal' "$LOG" | tr -d '\r' | while read -r l; do echo "# $l"; done
grep -q '^DBREFRESH fatal' "$LOG" && problem "the guest's setup failed: $(grep '^DBREFRESH fatal' "$LOG" | head -1)"
assert "the guest booted: LVM thin pool, stable's cluster on a thin LV, dualbootctl (initramfs ${t_build} s, boot $(cat "$W/time") s)"
[ -z "$fail" ] || { echo "Bail out! the guest did not run (see $LOG)"; exit 1; }

v=$(g refuse_notthin)
has "refresh --method snapshot into /tmp" "$v" "rc=1"
has "refresh --method snapshot into /tmp" "$v" "--method snapshot: the test slot's data directory"
v=$(g refuse_notempty)
has "refresh with a file elsewhere on the test volume" "$v" "rc=1"
has "refresh with a file elsewhere on the test volume" "$v" "(mounted at /srv/b) holds more than the data directory /srv/b/15/main: a snapshot would replace all of it"
assert "--method snapshot into a directory on no thin volume, or onto a test volume holding more than the data directory: refused, saying why"

v=$(g refresh1)
has refresh1 "$v" "rc=0"
has refresh1 "$v" "by LVM thin snapshot dbvg/pgdata-b of dbvg/pgdata-a"
lvs=$(g lvs)
has lvs "$lvs" "pgdata-b,pgdata-a,pool,active"
lacks lvs "$lvs" "_dbnew"
lacks lvs "$lvs" "_dbold"
# the replaced volume keeps what the old one had: activated normally,
# autoactivation off (as created)
has lvs "$lvs" "pgdata-b,pgdata-a,pool,active,,"
expect "mounted at /srv/b" "$(g mounted)" "/dev/mapper/dbvg-pgdata--b"
assert "refresh (auto) while a writer inserts: the test slot's LV is a thin snapshot of stable's, mounted in its place, no leftover volume"

sysid=$(g sysid)
pj=$(g provenance_json)
has "provenance --json" "$pj" "\"B\": {\"system_identifier\": \"$sysid\""
has "provenance --json" "$pj" "\"method\": \"lvm-thin-snapshot\""
expect "copy's system identifier" "$(g copy_sysid)" "$sysid"
assert "provenance: stable's system identifier ($sysid), method lvm-thin-snapshot"

files=$(g copy_files)
lacks "copy" "$files" "pid=yes"
expect "the copy starts" "$(g copy_start)" "rc=0"
expect "the copy is writable" "$(g copy_writable)" "yes"
cc=$(g copy_count) sc=$(g stable_count)
[ -n "$cc" ] && [ -n "$sc" ] && [ "$cc" -ge 20000 ] && [ "$cc" -le "$sc" ] ||
	problem "rows: copy $cc, stable $sc (want 20000 <= copy <= stable)"
assert "the snapshot starts as a cluster of its own (crash recovery): $cc rows of stable's $sc, writable, no postmaster.pid copied"

plsn=$(printf '%s\n' "$pj" | sed -n 's/.*"B": {[^}]*"lsn": "\([0-9A-F/]*\)".*/\1/p')
eor=$(g copy_eor)
[ -n "$plsn" ] || problem "no provenance LSN in: $pj"
expect "the provenance's WAL position = where the copy's recovery ended (its end-of-recovery checkpoint's REDO; log: $(g copy_log))" "$plsn" "$eor"
assert "the provenance's WAL position is the copy's own WAL end ($plsn)"

v=$(g provenance1)
has "provenance after a write on stable" "$v" "promotion of test slot B: refused"
# what stable wrote after the copy, counted from its WAL, is exactly the
# rows the copy lacks (the writer's last ones) and the one written after
has "stop point" "$(g stoppoint1)" "; $((sc + 1 - cc)) data-changing record"
has "provenance text" "$v" "by LVM thin snapshot"
assert "writes on stable after the snapshot refresh: the stop point counts exactly them ($((sc + 1 - cc))), safe promotion refuses"

v=$(g refresh2_noforce)
has "refresh into the old copy without --force" "$v" "rc=1"
has "refresh into the old copy without --force" "$v" "--force replaces the volume dbvg/pgdata-b, which holds only it"
has refresh2 "$(g refresh2)" "rc=0"
lvs=$(g lvs2)
has lvs2 "$lvs" "pgdata-b,pgdata-a"
lacks lvs2 "$lvs" "_dbold"
assert "a second refresh: refused without --force, then replaces the old snapshot (removed)"

has "stop point 2" "$(g stoppoint2)" "0 data-changing records since"
has "provenance 2" "$(g provenance2)" "promotion of test slot B: allowed"
assert "no write on stable after the refresh: safe promotion allows it, as with pg_basebackup"

v=$(g xfs_refresh)
has "XFS refresh" "$v" "rc=0"
has "XFS refresh" "$v" "by LVM thin snapshot dbvg/xfs-b of dbvg/xfs-a"
m=$(g xfs_mounts)
has "XFS mounts" "$m" "/dev/mapper/dbvg-xfs--a /srv/xa xfs"
has "XFS mounts" "$m" "/dev/mapper/dbvg-xfs--b /srv/xb xfs"
has "XFS mounts" "$m" "nouuid"
expect "rows in the XFS copy" "$(g xfs_copy_count)" 777
assert "XFS: the snapshot (its origin's UUID) mounts beside its origin with nouuid, and its copy starts"

echo "# initramfs build ${t_build} s (0 when cached), guest run $(cat "$W/time") s"
rm -f "$DISK"
[ "$failed" -eq 0 ]
