# test/vm/disks.sh - disks whose slots and state partition sit on LVM, md
# RAID1 and LUKS (issue 14). Sourced after common.sh.
#
# The partition tables, the root images and the state file system are made
# on the host as in common.sh; the stacks themselves are made inside one
# "builder" boot (test/vm/dbbuild as rdinit=, an initramfs of the host's lvm2,
# mdadm, cryptsetup and thin-provisioning-tools hooks), so nothing is set up
# on the build host. Everything is cached under build/vm/stk/ until one of
# its inputs changes; each boot works on a sparse copy.
#
#   lvm.img        GPT: p1 = PV of VG dbvg: state (ext4, the record),
#                  slota, slotb (autoactivation off), thin pool "pool" with
#                  thina, thinb (autoactivation off)
#   lvm-rm.img     the same after `lvremove dbvg/slotb dbvg/thinb`
#   md1.img md2.img the two mirror halves: p1 /dev/md/dbstate (ext4, the
#                  record), p2 /dev/md/slota, p3 /dev/md/slotb (its array
#                  UUID, as mdadm prints it, in md-slotb.uuid)
#   luks.img       GPT: p1 dbstate (plain ext4, the record), p2 root-a and
#                  p3 root-b LUKS2, key files slota.key, slotb.key
# IMG.off holds the state file system's byte offset for vm_state_get/put.

STK=$VMDIR/stk
mkdir -p "$STK"

# _stk_gpt IMG SECTORS PARTS...: a GPT (each part "start size name")
_stk_gpt() {
	img=$1 sectors=$2
	shift 2
	rm -f "$img"
	truncate -s $((sectors * 512)) "$img"
	{
		echo "label: gpt"
		echo "unit: sectors"
		for p in "$@"; do
			set -- $p
			echo "start=$1, size=$2, name=$3, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"
		done
	} | sfdisk -q --no-reread --no-tell-kernel "$img"
}

# stk_state_fs OUT: the 8 MiB ext4 state file system holding a fresh record
# (stable slot A) as /dualboot/state
stk_state_fs() {
	d=$STK/statedir
	rm -rf "$d"; mkdir -p "$d/dualboot"
	"$TOP/build/musl/dbtool" create "$d/dualboot/state" A || return 1
	rm -f "$1"
	mkfs.ext4 -q -F -b 4096 -L DBSTATE -d "$d" "$1" 8M > /dev/null || return 1
	rm -rf "$d"
}

# stk_builder_initrd: the builder's initramfs (cached)
stk_builder_initrd() {
	out=$STK/builder.initrd
	[ -s "$out" ] && [ "$out" -nt "$TOP/test/vm/dbbuild" ] && return 0
	bc=$STK/bconf
	rm -rf "$bc"; mkdir -p "$bc/hooks" "$bc/scripts" "$bc/conf.d"
	printf 'MODULES=list\nBUSYBOX=y\nCOMPRESS=zstd\nRESUME=none\n' > "$bc/initramfs.conf"
	for m in virtio_pci virtio_blk dm_mod dm_crypt dm_thin_pool raid1 aes xts ecb sha256 \
		algif_skcipher; do echo "$m"; done > "$bc/modules"
	cat > "$bc/hooks/dbbuild" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
copy_exec /sbin/lvm
copy_exec /sbin/mdadm
copy_exec /sbin/cryptsetup
copy_exec /sbin/dmsetup
copy_file script "$TOP/test/vm/dbbuild" /dbbuild
copy_file key "$STK/slota.key" /dbbuild-keys/slota.key
copy_file key "$STK/slotb.key" /dbbuild-keys/slotb.key
EOF
	chmod 0755 "$bc/hooks/dbbuild"
	mkinitramfs -d "$bc" -o "$out.tmp" "$KVER" && mv "$out.tmp" "$out"
}

# stk_build: every disk of the suite (cached); 1 on failure, with the
# builder's console in $STK/builder*.log
stk_build() {
	stamp=$STK/built
	if [ -e "$stamp" ] && [ "$stamp" -nt "$TOP/test/vm/dbbuild" ] &&
		[ "$stamp" -nt "$TOP/test/vm/disks.sh" ] && [ "$stamp" -nt "$VMDIR/root-a.img" ] &&
		[ "$stamp" -nt "$VMDIR/root-b.img" ]; then
		return 0
	fi
	ra=$(vm_root A) && rb=$(vm_root B) || return 1
	for s in a b; do
		[ -s "$STK/slot$s.key" ] || head -c 32 /dev/urandom > "$STK/slot$s.key"
	done
	stk_builder_initrd > "$STK/builder-mkinitramfs.log" 2>&1 || return 1
	stk_state_fs "$STK/state.fs" || return 1
	# sector layouts (512-byte sectors)
	_stk_gpt "$STK/lvm.img" 264192 "2048 260096 pv" || return 1
	for m in 1 2; do
		_stk_gpt "$STK/md$m.img" 98304 "2048 20480 md-state" "22528 36864 md-a" \
			"59392 36864 md-b" || return 1
	done
	_stk_gpt "$STK/luks.img" 102400 "2048 16384 dbstate" "18432 40960 root-a" \
		"59392 40960 root-b" || return 1
	dd if="$STK/state.fs" of="$STK/luks.img" bs=512 seek=2048 conv=notrunc status=none ||
		return 1
	log=$STK/builder.log
	VM_MEM=512 vm_boot "$STK/lvm.img $STK/md1.img $STK/md2.img $STK/luks.img $ra $rb $STK/state.fs" \
		"$STK/builder.initrd" "$log" rdinit=/dbbuild dbbuild.mode=create > /dev/null
	grep -q '^DBBUILD ok=1' "$log" || { vm_log "the disk builder failed (see $log)"; return 1; }
	lo=$(sed -n 's/^DBBUILD lvm-state \([0-9]*\).*/\1/p' "$log")
	set -- $(sed -n 's/^DBBUILD md-state \([0-9]*\) \([0-9]*\).*/\1 \2/p' "$log")
	[ -n "$lo" ] && [ -n "${2:-}" ] || { vm_log "the builder printed no offsets"; return 1; }
	sed -n 's/^DBBUILD md-uuid-slotb \([0-9a-f:]*\).*/\1/p' "$log" > "$STK/md-slotb.uuid"
	echo $(((2048 + lo) * 512)) > "$STK/lvm.img.off"
	echo $(((2048 + $1) * 512)) > "$STK/md1.img.off"
	echo $(((2048 + $2) * 512)) > "$STK/md2.img.off"
	for i in lvm md1 md2 luks; do echo ext4 > "$STK/$i.img.kind"; done
	# the LVM disk with the test slot's volumes removed
	cp --sparse=always "$STK/lvm.img" "$STK/lvm-rm.img"
	cp "$STK/lvm.img.off" "$STK/lvm-rm.img.off"; cp "$STK/lvm.img.kind" "$STK/lvm-rm.img.kind"
	vm_boot "$STK/lvm-rm.img" "$STK/builder.initrd" "$STK/builder-rm.log" \
		rdinit=/dbbuild dbbuild.mode=lvremove > /dev/null
	grep -q '^DBBUILD ok=1' "$STK/builder-rm.log" ||
		{ vm_log "lvremove in the builder failed (see $STK/builder-rm.log)"; return 1; }
	touch "$stamp"
}

# stk_copy NAME OUT: a sparse working copy of a pristine disk (and its .off/.kind)
stk_copy() {
	cp --sparse=always "$STK/$1" "$2" && cp "$STK/$1.off" "$2.off" 2>/dev/null
	cp "$STK/$1.kind" "$2.kind"
}
