# test/vm/common.sh - the VM harness's building blocks (sourced, POSIX sh).
#
# Everything is built without mounting anything and cached under build/vm/:
#   vmlinux-KVER      the uncompressed kernel (loads fast under TCG)
#   root-a.img ...    ext4 images of the two busybox roots
#   *.initrd          initramfs images built from the project's hook
# A disk image is a GPT with four partitions (state, root A, root B, and a
# 1 MiB vfat "dbhint" partition with an empty /dualboot folder, where a
# stable hint of its own goes, as on an EFI system partition);
# partitions are filled with mkfs -d / mtools / dd conv=notrunc.
#
# Caller sets TOP (the repository root) before sourcing.

: "${TOP:?TOP must be set}"
VMDIR=${VMDIR:-$TOP/build/vm}
KVER=${KVER:-$(ls /lib/modules | sort -V | tail -1)}
VM_TIMEOUT=${VM_TIMEOUT:-120}   # seconds per boot, hard limit
VM_MEM=${VM_MEM:-512}

# GPT layout in 512-byte sectors: state 8 MiB, root A and B 16 MiB each,
# the hint partition 1 MiB.
P1_START=2048;  P1_SIZE=16384
P2_START=18432; P2_SIZE=32768
P3_START=51200; P3_SIZE=32768
P4_START=83968; P4_SIZE=2048
DISK_SECTORS=88064              # 43 MiB, room for the backup GPT

# The modules a virtio disk with ext4 and vfat needs (BOOT-NOTES).
VM_MODULES="virtio_pci virtio_blk ext4 crc32c_generic vfat nls_ascii nls_cp437"

mkdir -p "$VMDIR"

vm_log() { echo "# $*" >&2; }

# vm_kernel: print the path of the uncompressed kernel, extracting it once.
vm_kernel() {
	out=$VMDIR/vmlinux-$KVER
	if [ ! -s "$out" ]; then
		src=/boot/vmlinuz-$KVER
		# the payload is an xz stream inside the bzImage
		off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$src" | head -1 | cut -d: -f1)
		[ -n "$off" ] || { vm_log "no xz payload in $src"; return 1; }
		tail -c +"$((off + 1))" "$src" | xz -dc --single-stream > "$out.tmp.$$" \
			|| { rm -f "$out.tmp.$$"; return 1; }
		mv "$out.tmp.$$" "$out"
	fi
	echo "$out"
}

# vm_root SLOT: build the ext4 image of a busybox root reporting SLOT.
vm_root() {
	slot=$1
	img=$VMDIR/root-$(echo "$slot" | tr AB ab).img
	if [ ! -s "$img" ] || [ "$TOP/test/vm/guest-init" -nt "$img" ] ||
		[ "$TOP/build/musl/dbtool" -nt "$img" ]; then
		# built aside and renamed: the suites may run at the same time
		d=$VMDIR/rootfs-$slot.$$
		rm -rf "$d"
		mkdir -p "$d/bin" "$d/sbin" "$d/proc" "$d/sys" "$d/dev" "$d/run" \
			"$d/tmp" "$d/etc"
		cp /bin/busybox "$d/bin/busybox"
		for a in $(/bin/busybox --list); do
			[ "$a" = busybox ] || ln -s busybox "$d/bin/$a"
		done
		install -m 0755 "$TOP/test/vm/guest-init" "$d/sbin/init"
		# the record tool, to confirm a boot from inside the guest
		mkdir -p "$d/usr/lib/dualboot"
		install -m 0755 "$TOP/build/musl/dbtool" "$d/usr/lib/dualboot/dbtool"
		echo "$slot" > "$d/etc/dualboot-slot"
		# systemd's switch-root (systemd-based initrds) wants an OS tree
		printf 'ID=dualboot-test\nNAME="dualboot test root %s"\n' "$slot" \
			> "$d/etc/os-release"
		rm -f "$img.$$"
		mkfs.ext4 -q -F -b 4096 -L "root$slot" -d "$d" "$img.$$" 16M >/dev/null \
			|| return 1
		mv "$img.$$" "$img"
		rm -rf "$d"
	fi
	echo "$img"
}

# vm_disk OUT KIND [RECORD]: assemble a disk image.
#   KIND ext4|vfat: state partition with a filesystem holding RECORD (a file
#                   of the record's size) as /dualboot/state; without RECORD
#                   the folder exists but the file does not.
#   KIND raw:       RECORD written at offset 0 of the bare partition (zeros
#                   when RECORD is empty).
# The kind is remembered in OUT.kind for vm_state_get/vm_state_put.
vm_disk() {
	out=$1 kind=$2 rec=${3:-}
	ra=$(vm_root A) && rb=$(vm_root B) || return 1
	rm -f "$out" "$out.p1"
	truncate -s $((DISK_SECTORS * 512)) "$out"
	sfdisk -q --no-reread --no-tell-kernel "$out" <<EOF || return 1
label: gpt
unit: sectors
start=$P1_START, size=$P1_SIZE, name=dbstate, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=$P2_START, size=$P2_SIZE, name=root-a, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=$P3_START, size=$P3_SIZE, name=root-b, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=$P4_START, size=$P4_SIZE, name=dbhint, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
	p1=$out.p1
	case $kind in
	ext4)
		sd=$out.statedir
		rm -rf "$sd"; mkdir -p "$sd/dualboot"
		[ -n "$rec" ] && cp "$rec" "$sd/dualboot/state"
		mkfs.ext4 -q -F -b 4096 -L DBSTATE -d "$sd" "$p1" $((P1_SIZE / 2))k \
			>/dev/null || return 1
		rm -rf "$sd"
		;;
	vfat)
		truncate -s $((P1_SIZE * 512)) "$p1"
		mkfs.vfat -n DBSTATE "$p1" >/dev/null || return 1
		mmd -i "$p1" ::/dualboot || return 1
		if [ -n "$rec" ]; then mcopy -i "$p1" "$rec" ::/dualboot/state || return 1; fi
		;;
	raw)
		truncate -s $((P1_SIZE * 512)) "$p1"
		if [ -n "$rec" ]; then dd if="$rec" of="$p1" conv=notrunc status=none || return 1; fi
		;;
	*) vm_log "vm_disk: unknown kind $kind"; return 1 ;;
	esac
	# the hint's partition: vfat, /dualboot empty
	rm -f "$out.p4"; truncate -s $((P4_SIZE * 512)) "$out.p4"
	mkfs.vfat -n DBHINT "$out.p4" >/dev/null && mmd -i "$out.p4" ::/dualboot &&
		dd if="$out.p4" of="$out" bs=512 seek=$P4_START conv=notrunc status=none || return 1
	rm -f "$out.p4"
	dd if="$p1" of="$out" bs=512 seek=$P1_START conv=notrunc status=none &&
	dd if="$ra" of="$out" bs=512 seek=$P2_START conv=notrunc status=none &&
	dd if="$rb" of="$out" bs=512 seek=$P3_START conv=notrunc status=none || return 1
	rm -f "$p1"
	echo "$kind" > "$out.kind"
}

# vm_disk_drop IMG N: delete partition N from the table (data stays).
vm_disk_drop() {
	sfdisk -q --no-reread --no-tell-kernel --delete "$1" "$2" >/dev/null 2>&1
}

# The record's blocks inside an ext4 state partition (4096-byte blocks).
_vm_ext4_blocks() {
	debugfs -R 'blocks /dualboot/state' "$1?offset=$(_vm_off "$1")" 2>/dev/null
}

# _vm_off IMG: the byte offset of the state file system in IMG: the first
# partition's, unless IMG.off says otherwise (a logical volume, an md member)
_vm_off() {
	if [ -s "$1.off" ]; then cat "$1.off"; else echo $((P1_START * 512)); fi
}

# vm_state_get IMG OUT: copy the record out of the image (no mounting).
# Returns 1 when there is no record file.
vm_state_get() {
	img=$1 out=$2
	rm -f "$out"
	case $(cat "$img.kind") in
	ext4)
		debugfs -R "dump /dualboot/state $out" "$img?offset=$(_vm_off "$img")" \
			2>/dev/null
		;;
	vfat)
		mtype -i "$img@@$(_vm_off "$img")" ::/dualboot/state > "$out" 2>/dev/null \
			|| rm -f "$out"
		;;
	raw)
		dd if="$img" of="$out" bs=512 skip=$P1_START count=16 status=none
		;;
	esac
	[ -s "$out" ]
}

# vm_hint_get IMG OUT [4]: copy the stable hint out of the image: the file
# beside the record (ext4 state partition), or with 4 /dualboot/stable on
# the hint's vfat partition. Returns 1 when there is none.
vm_hint_get() {
	rm -f "$2"
	if [ "${3:-}" = 4 ]; then
		mtype -i "$1@@$((P4_START * 512))" ::/dualboot/stable > "$2" 2>/dev/null || rm -f "$2"
	else
		debugfs -R "dump /dualboot/state.hint $2" "$1?offset=$(_vm_off "$1")" \
			2>/dev/null
	fi
	[ -s "$2" ]
}

# vm_initrd_crash IN OUT MODE: IN with the selector replaced by a script that
# kills itself with SIGSEGV when it reads the record (--peek and the
# decision; MODE record: not the --hint-only run; MODE all: that one too);
# its other modes (--print-config, --resolve) run the real selector. An
# uncompressed cpio appended to the image: the kernel unpacks it after the
# first one, so its files win.
vm_initrd_crash() {
	in=$1 out=$2 mode=$3
	d=$VMDIR/crash-$mode
	rm -rf "$d"; mkdir -p "$d/usr/lib/dualboot"
	cp "$VM_STAGE/usr/lib/dualboot/dualboot-select" "$d/usr/lib/dualboot/dualboot-select.real"
	ok='*" --hint-only "*'
	[ "$mode" = all ] && ok='*" --never "*'
	{
		echo '#!/bin/sh'
		echo "# test: a selector that crashes (SIGSEGV) when it decides ($mode)"
		echo 'case " $* " in'
		echo "$ok) ;;"
		echo '*" --peek "*|*" --kmsg "*) echo "<3>dualboot-test: the selector crashes" > /dev/kmsg; kill -SEGV $$ ;;'
		echo 'esac'
		echo 'exec /usr/lib/dualboot/dualboot-select.real "$@"'
	} > "$d/usr/lib/dualboot/dualboot-select"
	chmod 0755 "$d/usr/lib/dualboot/dualboot-select"
	# the appended archive starts on a 4-byte boundary (here 512)
	cp "$in" "$out" && truncate -s %512 "$out" &&
		(cd "$d" && find usr | cpio -o -H newc --quiet) >> "$out"
}

# vm_state_put IMG IN: write a record back in place, at the same blocks
# (ext4), into the same file (vfat) or at offset 0 (raw).
vm_state_put() {
	img=$1 in=$2
	case $(cat "$img.kind") in
	ext4)
		i=0
		for b in $(_vm_ext4_blocks "$img"); do
			dd if="$in" of="$img" bs=4096 skip=$i count=1 conv=notrunc status=none \
				oflag=seek_bytes seek=$(($(_vm_off "$img") + b * 4096)) || return 1
			i=$((i + 1))
		done
		[ "$i" -gt 0 ]
		;;
	vfat)
		mcopy -o -i "$img@@$(_vm_off "$img")" "$in" ::/dualboot/state
		;;
	raw)
		dd if="$in" of="$img" bs=512 seek=$P1_START conv=notrunc status=none
		;;
	esac
}

# vm_stage: install the hook as `make install-hook DESTDIR=build/vm/stage`
# does, so that the images are built from the installed files.
VM_STAGE=${VM_STAGE:-$VMDIR/stage}
vm_stage() {
	rm -rf "$VM_STAGE"
	make -s -C "$TOP" install-hook DESTDIR="$VM_STAGE" >&2
}
vm_libdir() {
	[ -x "$VM_STAGE/usr/lib/dualboot/dualboot-boot" ] || vm_stage
}

# vm_conf FILE: write the harness's dualboot.conf (the partition labels of
# vm_disk's layout, default slot A), the one copied into every initramfs.
vm_conf() {
	cat > "$1" <<'EOF'
# the VM harness's configuration, copied into the initramfs
state_device=PARTLABEL=dbstate
state_file=/dualboot/state
slot_a=PARTLABEL=root-a
slot_b=PARTLABEL=root-b
default=A
timeout=5
EOF
}

# vm_initramfs_tools OUT CONF [without-hook]: build an initramfs with
# mkinitramfs -d from a private config folder holding the project's hook and
# local-top script (nothing under /etc is touched). CONF is the dualboot.conf
# copied into the image. With "without-hook", the same image without the
# hook (for the boot time comparison); then ROOT must come from root=.
vm_initramfs_tools() {
	out=$1 conf=$2 mode=${3:-with-hook}
	cd_=$VMDIR/itconf-$(basename "$out")
	rm -rf "$cd_"
	mkdir -p "$cd_/hooks" "$cd_/scripts/local-top" "$cd_/conf.d"
	cat > "$cd_/initramfs.conf" <<EOF
MODULES=list
BUSYBOX=y
COMPRESS=zstd
RUNSIZE=10%
FSTYPE=ext4
RESUME=none
EOF
	for m in $VM_MODULES; do echo "$m"; done > "$cd_/modules"
	if [ "$mode" = with-hook ]; then
		vm_libdir || return 1
		it=$VM_STAGE/usr/share/initramfs-tools
		install -m 0755 "$it/hooks/dualboot" "$cd_/hooks/dualboot"
		install -m 0755 "$it/scripts/local-top/dualboot" "$cd_/scripts/local-top/dualboot"
	fi
	# VM_EXTRA_HOOKS: more hook scripts for this image (62-vm-disks.t)
	for h in ${VM_EXTRA_HOOKS:-}; do install -m 0755 "$h" "$cd_/hooks/"; done
	# Without the hook, point the configuration nowhere: a hook installed
	# system-wide (make install) then adds nothing but its inert local-top
	# script (it warns and copies neither selector nor config).
	[ "$mode" = with-hook ] || conf=$VMDIR/no-such-dualboot.conf
	DUALBOOT_LIBDIR=$VM_STAGE/usr/lib/dualboot DUALBOOT_CONF=$conf \
		mkinitramfs -d "$cd_" -o "$out" "$KVER"
}

# vm_boot IMG INITRD LOG [CMDLINE...]: boot once under TCG with a hard
# timeout (IMG may be a list of disk images, space-separated: vda, vdb...); the serial console goes to LOG. Prints the wall time in seconds.
# no_timer_check: on a loaded host TCG once failed the kernel's early timer
# check ("IO-APIC + timer doesn't work!", a panic before the initramfs).
# modprobe.blacklist=raid456: mdadm's initramfs-tools hook (installed for
# 62-vm-disks.t) force-loads raid456, whose RAID6 algorithm benchmark takes
# about 4 s per boot under TCG; no suite uses RAID4/5/6.
vm_boot() {
	img=$1 initrd=$2 log=$3
	shift 3
	kernel=$(vm_kernel) || return 1
	t0=$(date +%s.%N)
	timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -machine pc \
		-m "$VM_MEM" -smp 1 -nodefaults -no-user-config -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 no_timer_check modprobe.blacklist=raid456 $*" \
		$(for d in $img; do echo "-drive file=$d,format=raw,if=virtio"; done) \
		</dev/null >"$log.qemu" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
	return $rc
}

# vm_report LOG KEY: the value of "DBTEST KEY=..." in a boot log.
vm_report() {
	sed -n "s/^DBTEST $2=//p" "$1" | tr -d '\r' | head -1
}

# vm_decision LOG NAME: DUALBOOT_NAME of the hook's decision (unquoted).
vm_decision() {
	sed -n "s/^DBTEST decision DUALBOOT_$2='\(.*\)'\r*$/\1/p" "$1" | head -1
}

# vm_marker LOG KEY: the value of KEY in the marker the guest printed.
vm_marker() {
	sed -n "s/^DBTEST marker $2=//p" "$1" | tr -d '\r' | head -1
}
