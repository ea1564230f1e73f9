#!/bin/sh
# 62-vm-disks.t - slots and state partition on real servers' storage stacks
# (issue 14), proven by real boots: LVM logical volumes (linear and thin),
# md RAID1 arrays and LUKS2 volumes, each with an initramfs-tools image and
# a dracut one. For every stack: a trial on the test slot (and the other
# slot's volume neither activated nor opened), the fallback on exhausted
# tries, a corrupt record, the test slot's device missing (LV removed;
# both halves of the test mirror gone), and a mirror degraded to one disk.
#
# The disks are made once by a builder boot (test/vm/disks.sh) and cached
# under build/vm/stk/; every boot works on a sparse copy in build/vm/run-disks/.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
# a staged installation of its own: 60-vm.t may run at the same time
# (make vm-test: prove -j2)
VM_STAGE=$TOP/build/vm/stage-disks
. "$TOP/test/vm/common.sh"
. "$TOP/test/vm/disks.sh"
. "$TOP/test/vm/dracut.sh"

W=$VMDIR/run-disks
DBTOOL=$TOP/build/musl/dbtool
TIMES=$W/boot-times.txt

for c in qemu-system-x86_64 mkinitramfs sfdisk mkfs.ext4 debugfs musl-gcc lvm mdadm \
	cryptsetup pdata_tools; do
	if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "/sbin/$c" ] && [ ! -x "/usr/sbin/$c" ]; then
		echo "1..0 # SKIP $c not installed (run tools/deps.sh as root)"
		exit 0
	fi
done
if [ ! -e "/usr/share/initramfs-tools/scripts/local-top/cryptroot" ]; then
	echo "1..0 # SKIP cryptsetup-initramfs not installed (run tools/deps.sh as root)"
	exit 0
fi
if [ ! -e "/boot/vmlinuz-$KVER" ]; then
	echo "1..0 # SKIP no kernel /boot/vmlinuz-$KVER (install linux-image-amd64)"
	exit 0
fi

make -s -C "$TOP" build/musl/dualboot-select build/musl/dbtool >&2 || {
	echo "Bail out! cannot build the selector"; exit 1; }
vm_stage || { echo "Bail out! make install-hook DESTDIR=$VM_STAGE failed"; exit 1; }
rm -rf "$W"; mkdir -p "$W"
: > "$TIMES"
stk_build || { echo "Bail out! the disk builder failed (see $STK/builder*.log)"; exit 1; }

n=0 failed=0 fail=""
echo "1..20"
. "$TOP/test/vm/tap.sh"

# dm_has NAME / dm_lacks NAME: a device-mapper device exists (or not) in the
# booted guest (LVM volumes: VG-LV, LUKS: the crypttab name)
dm_has() { case " $(vm_report "$LOG" dm) " in *" $1 "*) ;; *) problem "$1 is not active" ;; esac; }
dm_lacks() {
	case " $(vm_report "$LOG" dm) " in *" $1 "*) problem "$1 is active, must not be" ;; esac
}

# md_active N: the booted guest has exactly N md arrays active (the state's
# and the booted slot's: never the other slot's)
md_active() {
	expect "active md arrays" "$(grep -c '^DBTEST mdstat .* active' "$LOG")" "$1"
}

# badkey IN OUT: the image IN with slot B's key file replaced by a wrong
# key (an uncompressed cpio appended: the kernel unpacks it after the
# others, so its file wins), for a cryptsetup that fails at boot
badkey() {
	d=$W/badkey
	rm -rf "$d"; mkdir -p "$d$STK"
	head -c 32 /dev/zero > "$d$STK/slotb.key"
	cp "$1" "$2" && truncate -s %512 "$2" &&
		(cd "$d" && find . -mindepth 1 | sed 's|^\./||' | cpio -o -H newc --quiet) >> "$2"
}

# arm IMG... : a fresh record (stable A) with a trial of B armed, 1 try,
# written into every image given (the halves of a mirror)
arm() {
	mkrec "$W/rec0" A "${TRIES:-1}"
	for i in "$@"; do vm_state_put "$i" "$W/rec0" || problem "cannot write the record into $i"; done
}

# ---- configurations and images ----
cat > "$W/lvm.conf" <<'EOF'
state_device=/dev/dbvg/state
state_file=/dualboot/state
slot_a=/dev/dbvg/slota
slot_b=/dev/mapper/dbvg-slotb
default=A
timeout=5
EOF
cat > "$W/md.conf" <<'EOF'
state_device=/dev/md/dbstate
state_file=/dualboot/state
slot_a=/dev/md/slota
slot_b=/dev/md/slotb
default=A
timeout=5
EOF
cat > "$W/luks.conf" <<'EOF'
state_device=PARTLABEL=dbstate
state_file=/dualboot/state
slot_a=/dev/mapper/slota_crypt
slot_b=/dev/mapper/slotb_crypt
default=A
timeout=5
EOF
# the crypttab of the LUKS slots, as on the server (the options dualboot
# requires: initramfs, noauto; the key files where the server keeps them)
cat > "$W/crypttab" <<EOF
slota_crypt PARTLABEL=root-a $STK/slota.key luks,initramfs,noauto
slotb_crypt PARTLABEL=root-b $STK/slotb.key luks,initramfs,noauto
EOF
# crypthook DIR KEY...: DIR/cryptroot, a hook that puts that crypttab and the
# key files given into the image as cryptsetup-initramfs' hook does from
# /etc/crypttab (the build host's own is not touched); named cryptroot so
# that it runs before dualboot's (PREREQ="... cryptroot"), like the real one
crypthook() {
	mkdir -p "$1"
	{
		echo '#!/bin/sh'
		echo '[ "$1" = prereqs ] && exit 0'
		echo '. /usr/share/initramfs-tools/hook-functions'
		echo 'mkdir -p "$DESTDIR/cryptroot"'
		echo "cp '$W/crypttab' \"\$DESTDIR/cryptroot/crypttab\""
		shift
		for k in "$@"; do echo "copy_file key '$k'"; done
	} > "$1/cryptroot"
}
crypthook "$W/cthook" "$STK/slota.key" "$STK/slotb.key"

# the md image's mdadm.conf lists every array, as Debian's mkconf writes it
# on a server (mdadm's hook copies /etc/mdadm/mdadm.conf, which the build
# host's is not): a hook named "mdadm" in the image's own hook folder, so
# that it runs before dualboot's (PREREQ="mdadm"), like the real one
mkdir -p "$W/mdhook"
cat > "$W/mdhook/mdadm" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
cat >> "\$DESTDIR/etc/mdadm/mdadm.conf" <<'CONF'
# definitions of existing MD arrays
ARRAY /dev/md/dbstate metadata=1.2 name=dbstate
ARRAY /dev/md/slota metadata=1.2 name=slota
ARRAY /dev/md/slotb metadata=1.2 UUID=$(cat "$STK/md-slotb.uuid") name=slotb
CONF
EOF

IT_LVM=$W/it-lvm.initrd IT_MD=$W/it-md.initrd IT_LUKS=$W/it-luks.initrd
vm_initramfs_tools "$IT_LVM" "$W/lvm.conf" > "$W/mkinitramfs-lvm.log" 2>&1 &&
VM_EXTRA_HOOKS=$W/mdhook/mdadm \
	vm_initramfs_tools "$IT_MD" "$W/md.conf" > "$W/mkinitramfs-md.log" 2>&1 &&
DUALBOOT_CRYPTTAB=$W/crypttab VM_EXTRA_HOOKS=$W/cthook/cryptroot \
	vm_initramfs_tools "$IT_LUKS" "$W/luks.conf" > "$W/mkinitramfs-luks.log" 2>&1 ||
	{ echo "Bail out! mkinitramfs failed (see $W/mkinitramfs-*.log)"; exit 1; }

# the trial of the md sections names the slots by UUID=: A by its file
# system's, B by the array's (mdadm's form, with colons)
MDUUID="dualboot.slot_a=UUID=$(blkid -o value -s UUID "$VMDIR/root-a.img") dualboot.slot_b=UUID=$(cat "$STK/md-slotb.uuid")"

# lvm_cases P INITRD CORRUPT TEXT: the LVM scenarios with the image INITRD,
# boots named P-lvm-*: a trial of slotb (the hook logging TEXT; slota not
# active), exhausted tries (slotb not active), with CORRUPT=yes a corrupt
# record, then slotb removed (lvremove): slota, the trial failed. Two
# assertions.
lvm_cases() {
	_p=$1 _ird=$2 _cor=$3 _txt=$4
	stk_copy lvm.img "$W/lvm.img"
	arm "$W/lvm.img"
	boot "$_p-lvm-trial" "$W/lvm.img" "$_ird"
	guest B test 1
	guest_log "$_txt"
	dm_has dbvg-slotb
	dm_lacks dbvg-slota
	dm_has dbvg-state
	record "$W/lvm.img"
	expect "tries_left" "$(rv tries_left)" 0
	boot "$_p-lvm-exhausted" "$W/lvm.img" "$_ird"
	guest A stable 0
	guest_log "tries exhausted"
	dm_has dbvg-slota
	dm_lacks dbvg-slotb
	record "$W/lvm.img"
	expect "last_trial_failed" "$(rv last_trial_failed)" 1
	assert "$(gen "$_p"), LVM: trial boots LV slotb (slota not activated), exhausted tries boot slota (slotb not activated)"

	_what=""
	if [ "$_cor" = yes ]; then
		corrupt "$W/lvm.img"
		boot "$_p-lvm-corrupt" "$W/lvm.img" "$_ird"
		guest A stable 0
		dm_lacks dbvg-slotb
		_what="a corrupt record boots slota; "
	fi
	stk_copy lvm-rm.img "$W/lvm-rm.img"
	TRIES=2 arm "$W/lvm-rm.img"
	boot "$_p-lvm-removed" "$W/lvm-rm.img" "$_ird"
	guest A stable 0
	guest_log "its root device is missing"
	dm_has dbvg-slota
	record "$W/lvm-rm.img"
	expect "trial_armed" "$(rv trial_armed)" 0
	expect "last_trial_failed" "$(rv last_trial_failed)" 1
	assert "$(gen "$_p"), LVM: ${_what}the test slot's LV removed: slota, trial failed"
}

# gen P: the generator of boots named P-* (it, d, ds)
gen() {
	case $1 in
	it) echo initramfs-tools ;;
	d) echo dracut ;;
	ds) echo "dracut, systemd-based image" ;;
	esac
}

# md_cases P INITRD CORRUPT TEXT [CMDLINE...]: the md RAID1 scenarios with the
# image INITRD, boots named P-md-*: a trial of slotb (the hook logging TEXT,
# CMDLINE added), exhausted tries, with CORRUPT=yes a corrupt record; then
# one disk only (the trial boots degraded) and both halves of slotb gone
# (stable, the trial failed). Two arrays active in every boot, the state's
# and the booted slot's. Two assertions.
md_cases() {
	_p=$1 _ird=$2 _cor=$3 _txt=$4
	shift 4
	_how=""
	[ $# -gt 0 ] && _how=" named by UUID= (B: the array's, A: its file system's)"
	stk_copy md1.img "$W/md1.img"; stk_copy md2.img "$W/md2.img"
	arm "$W/md1.img" "$W/md2.img"
	boot "$_p-md-trial" "$W/md1.img $W/md2.img" "$_ird" "$@"
	guest B test 1
	guest_log "$_txt"
	md_active 2
	boot "$_p-md-exhausted" "$W/md1.img $W/md2.img" "$_ird"
	guest A stable 0
	guest_log "tries exhausted"
	md_active 2
	record "$W/md1.img"
	expect "last_trial_failed" "$(rv last_trial_failed)" 1
	_what=""
	if [ "$_cor" = yes ]; then
		corrupt "$W/md1.img"; corrupt "$W/md2.img"
		boot "$_p-md-corrupt" "$W/md1.img $W/md2.img" "$_ird"
		guest A stable 0
		md_active 2
		_what=" and a corrupt record"
	fi
	assert "$(gen "$_p"), md RAID1: trial on slotb$_how with slota not assembled; exhausted tries$_what boot /dev/md/slota with slotb not assembled"

	stk_copy md1.img "$W/md1.img"
	arm "$W/md1.img"
	boot "$_p-md-degraded" "$W/md1.img" "$_ird"
	guest B test 1
	grep -q '^DBTEST mdcount \[2/1\]' "$LOG" || problem "no degraded array reported"
	md_active 2
	record "$W/md1.img"
	expect "tries_left" "$(rv tries_left)" 0
	stk_copy md1.img "$W/md1.img"; stk_copy md2.img "$W/md2.img"
	TRIES=2 arm "$W/md1.img" "$W/md2.img"
	vm_disk_drop "$W/md1.img" 3; vm_disk_drop "$W/md2.img" 3
	boot "$_p-md-gone" "$W/md1.img $W/md2.img" "$_ird"
	guest A stable 0
	guest_log "its root device is missing"
	md_active 2
	record "$W/md1.img"
	expect "last_trial_failed" "$(rv last_trial_failed)" 1
	assert "$(gen "$_p"), md RAID1: one disk only (degraded mirrors) boots the trial, slota not started; both halves of slotb gone: slota, trial failed"
}

# luks_cases P INITRD CORRUPT BADKEY TEXT: the LUKS scenarios with the image
# INITRD, boots named P-luks-*: a trial (the hook logging TEXT; only
# slotb_crypt open), exhausted tries (only slota_crypt), with CORRUPT=yes a
# corrupt record, root-b's partition gone and with BADKEY=yes a wrong key for
# slotb in the image (cryptsetup fails): slota, the trial failed. Two
# assertions.
luks_cases() {
	_p=$1 _ird=$2 _cor=$3 _bad=$4 _txt=$5
	stk_copy luks.img "$W/luks.img"
	arm "$W/luks.img"
	boot "$_p-luks-trial" "$W/luks.img" "$_ird"
	guest B test 1
	guest_log "$_txt"
	dm_has slotb_crypt
	dm_lacks slota_crypt
	boot "$_p-luks-exhausted" "$W/luks.img" "$_ird"
	guest A stable 0
	guest_log "tries exhausted"
	dm_has slota_crypt
	dm_lacks slotb_crypt
	assert "$(gen "$_p"), LUKS: trial opens only slotb_crypt; exhausted tries open only slota_crypt"

	_what=""
	if [ "$_cor" = yes ]; then
		corrupt "$W/luks.img"
		boot "$_p-luks-corrupt" "$W/luks.img" "$_ird"
		guest A stable 0
		dm_lacks slotb_crypt
		_what="a corrupt record boots slota; "
	fi
	stk_copy luks.img "$W/luks.img"
	TRIES=2 arm "$W/luks.img"
	vm_disk_drop "$W/luks.img" 3
	boot "$_p-luks-gone" "$W/luks.img" "$_ird"
	luks_failed
	_what="${_what}the test slot's partition gone"
	if [ "$_bad" = yes ]; then
		stk_copy luks.img "$W/luks.img"
		TRIES=2 arm "$W/luks.img"
		badkey "$_ird" "$W/$_p-luks-badkey.initrd"
		boot "$_p-luks-badkey" "$W/luks.img" "$W/$_p-luks-badkey.initrd"
		luks_failed
		guest_log "cannot open LUKS volume slotb_crypt"
		_what="$_what, or its key wrong (cryptsetup fails)"
	fi
	assert "$(gen "$_p"), LUKS: $_what: slota, trial failed, slotb_crypt not open"
}

# luks_failed: the last boot was a failed trial of the LUKS slot B: slota
# booted, opened by dualboot-stack at once (though under initramfs-tools
# the trial had taken its entry out of cryptroot's table), slotb not open
luks_failed() {
	guest A stable 0
	guest_log "its root device is missing"
	dm_has slota_crypt
	dm_lacks slotb_crypt
	grep -q 'did not appear' "$LOG" && problem "the stable root was waited for in vain"
	record "$W/luks.img"
	expect "last_trial_failed" "$(rv last_trial_failed)" 1
}

# dwait IMG: wait until the dracut image IMG is built (IMG.ok); 1 when the
# builds ended without it
dwait() {
	while [ ! -e "$1.ok" ]; do
		[ -e "$DRC" ] && [ ! -e "$1.ok" ] && return 1
		sleep 1
	done
}

# dracut_boots: the non-systemd dracut image's assertions (numbers 15-20),
# run in the background beside the initramfs-tools boots (each boot is one
# emulated CPU), each image's boots as soon as it is built; in a run folder
# of their own, W/d, their TAP lines in W/d/tap, printed after the others.
# The systemd-based images boot after the initramfs-tools ones (ds_boots).
N_BEFORE_D=14
dracut_boots() {
# LVM, non-systemd image
dwait "$D_LVM" || return 1
lvm_cases d "$D_LVM" yes "/dev/dualboot-root links to"

# md RAID1 and LUKS, non-systemd image
dwait "$D_MD" || return 1
md_cases d "$D_MD" yes "dualboot: boot slot B (test, trial) root /dev/md" $MDUUID
dwait "$D_LUKS" || return 1
luks_cases d "$D_LUKS" yes yes "dualboot: boot slot B (test, trial) root /dev/dm-"
}

# ds_boots: the systemd-based dracut images' assertions (numbers 9-14)
ds_boots() {
# LVM, systemd-based image (the chosen LV mapped as /dev/mapper/dualboot-root)
lvm_cases ds "$D_SD" no "/dev/mapper/dualboot-root maps"

# md RAID1 and LUKS, systemd-based images (the chosen device mapped as
# /dev/mapper/dualboot-root)
md_cases ds "$D_SDMD" no "/dev/mapper/dualboot-root maps /dev/md"
luks_cases ds "$D_SDLUKS" no no "/dev/mapper/dualboot-root maps /dev/dm-"
}


# the dracut images, built while the initramfs-tools images boot (each
# marked IMG.ok when done, W/dracut.rc at the end); the non-systemd ones
# booted beside them as soon as each is built (dracut_boots)
BUILD_PID="" DRACUT_PID="" DRC=$W/dracut.rc
D_LVM=$W/d-lvm.initrd D_MD=$W/d-md.initrd D_LUKS=$W/d-luks.initrd D_SD=$W/ds-lvm.initrd
D_SDMD=$W/ds-md.initrd D_SDLUKS=$W/ds-luks.initrd
if dracut_prepare; then
	# the module copies the slots' crypttab entries and key files into the image
	(
		export DUALBOOT_CRYPTTAB="$W/crypttab"
		for b in "$D_LVM lvm" "$D_MD md" "$D_LUKS luks" "$D_SD lvm systemd" \
			"$D_SDMD md systemd" "$D_SDLUKS luks systemd"; do
			set -- $b
			dracut_build "$1" "$W/$2.conf" ${3:-} > "$W/dracut-${3:+sd-}$2.log" 2>&1 ||
				{ echo 1 > "$DRC"; exit 1; }
			touch "$1.ok"
		done
		echo 0 > "$DRC"
	) &
	BUILD_PID=$!
	(
		W=$W/d
		mkdir -p "$W"
		n=$N_BEFORE_D failed=0 fail=""
		dracut_boots > "$W/tap" || exit 1
		echo "$failed" > "$W/failed"
	) &
	DRACUT_PID=$!
	trap 'for p in $BUILD_PID $DRACUT_PID; do kill "$p" 2>/dev/null; done' EXIT
fi

# 1. build-time checks of the stacks
lsinitramfs "$IT_LVM" | grep -q 'usr/lib/dualboot/dualboot-stack' ||
	problem "dualboot-stack is not in the initramfs"
lsinitramfs "$IT_LUKS" | grep -q 'cryptroot/crypttab' || problem "no crypttab in the LUKS image"
sed 's/,noauto//' "$W/crypttab" > "$W/crypttab-auto"
if DUALBOOT_CRYPTTAB=$W/crypttab-auto vm_initramfs_tools "$W/bad.initrd" "$W/luks.conf" \
	> "$W/bad-luks.log" 2>&1; then
	problem "mkinitramfs accepted a LUKS slot without noauto"
fi
grep -q 'slot_a=/dev/mapper/slota_crypt: its .* entry needs the options initramfs,noauto' \
	"$W/bad-luks.log" || problem "the error does not name the slot (see $W/bad-luks.log)"
printf 'state_device=/dev/mapper/slota_crypt\nstate_file=/dualboot/state\nslot_a=/dev/dbvg/slota\nslot_b=/dev/dbvg/slotb\n' \
	> "$W/bad-state.conf"
# (the refusals that need no image: the check the hook runs, called alone,
# which saves an mkinitramfs run each)
stack_check() {
	DUALBOOT_LIBDIR=$VM_STAGE/usr/lib/dualboot "$VM_STAGE/usr/lib/dualboot/dualboot-stack" \
		check "$@"
}
if DUALBOOT_CRYPTTAB=$W/crypttab stack_check "$W/bad-state.conf" 2> "$W/bad-state.log"; then
	problem "dualboot-stack check accepted a state partition on LUKS"
fi
grep -q 'state_device=/dev/mapper/slota_crypt: the state partition cannot be a LUKS volume' \
	"$W/bad-state.log" || problem "the error does not name state_device (see $W/bad-state.log)"
# slot A's key file missing on the host, no crypttab entry for slot B: the
# image could open neither (B would look like a logical volume)
printf 'slota_crypt PARTLABEL=root-a %s/no-such.key luks,initramfs,noauto\n' "$W" > "$W/crypttab-bad"
if DUALBOOT_CRYPTTAB=$W/crypttab-bad stack_check "$W/luks.conf" 2> "$W/bad-crypttab.log"; then
	problem "dualboot-stack check accepted a missing key file and a slot without crypttab entry"
fi
grep -q "slot_a=/dev/mapper/slota_crypt: its key file $W/no-such.key does not exist" \
	"$W/bad-crypttab.log" || problem "no error about the missing key file (see $W/bad-crypttab.log)"
grep -q 'slot_b=/dev/mapper/slotb_crypt is neither a logical volume (/dev/mapper/VG-LV) nor a LUKS volume' \
	"$W/bad-crypttab.log" || problem "no error about slot B (see $W/bad-crypttab.log)"
# cryptsetup-initramfs left slot B's key file out of the image (no
# KEYFILE_PATTERN): at boot slot B could not be opened
crypthook "$W/cthook-nokey" "$STK/slota.key"
if DUALBOOT_CRYPTTAB=$W/crypttab VM_EXTRA_HOOKS=$W/cthook-nokey/cryptroot \
	vm_initramfs_tools "$W/bad.initrd" "$W/luks.conf" > "$W/bad-nokey.log" 2>&1; then
	problem "mkinitramfs accepted an image without slot B's key file"
fi
grep -q "slot_b=/dev/mapper/slotb_crypt: its key file $STK/slotb.key is not in the initramfs" \
	"$W/bad-nokey.log" || problem "no error about the key file left out (see $W/bad-nokey.log)"
# the image's mdadm.conf as the hook rewrites it (dualboot-stack mdconf):
# a slot's ARRAY line goes by its device, name= (with or without a host)
# or UUID= (any case), continuation lines with it; AUTO -all comes first
cat > "$W/mdadm.conf" <<'EOF'
HOMEHOST <system>
AUTO +imsm +1.x -all
ARRAY /dev/md/dbstate metadata=1.2 UUID=11111111:22222222:33333333:44444444 name=srv:dbstate
ARRAY /dev/md/root-a metadata=1.2 UUID=aaaaaaaa:00000000:00000000:00000001 name=srv:root-a
ARRAY metadata=1.2 name=srv:root-b
   devices=/dev/sda3,/dev/sdb3
ARRAY /dev/md/var metadata=1.2 uuid=BBBBBBBB:00000000:00000000:00000002
   devices=/dev/sda4,/dev/sdb4
ARRAY /dev/md/other metadata=1.2 UUID=cccccccc:00000000:00000000:00000003
EOF
printf 'state_device=/dev/md/dbstate\nstate_file=/dualboot/state\nslot_a=/dev/md/root-a\nslot_b=/dev/md/root-b\n' \
	> "$W/md-names.conf"
DUALBOOT_LIBDIR=$VM_STAGE/usr/lib/dualboot "$VM_STAGE/usr/lib/dualboot/dualboot-stack" \
	mdconf "$W/md-names.conf" "$W/mdadm.conf" || problem "dualboot-stack mdconf failed"
expect "mdadm.conf's first line" "$(grep -v '^#' "$W/mdadm.conf" | head -1)" "AUTO -all"
expect "ARRAY lines left" "$(grep '^ARRAY' "$W/mdadm.conf" | awk '{ print $2 }' | tr '\n' ' ')" \
	"/dev/md/dbstate /dev/md/var /dev/md/other "
expect "continuation lines left" "$(grep -c '^   devices' "$W/mdadm.conf")" 1
grep -q '^#dualboot# AUTO +imsm' "$W/mdadm.conf" || problem "the old AUTO line is not commented out"
printf 'state_device=/dev/md/dbstate\nslot_a=UUID=bbbbbbbb:00000000:00000000:00000002\nslot_b=/dev/disk/by-id/md-uuid-cccccccc:00000000:00000000:00000003\n' \
	> "$W/md-uuids.conf"
DUALBOOT_LIBDIR=$VM_STAGE/usr/lib/dualboot "$VM_STAGE/usr/lib/dualboot/dualboot-stack" \
	mdconf "$W/md-uuids.conf" "$W/mdadm.conf" || problem "dualboot-stack mdconf failed"
expect "ARRAY lines left (slots by UUID)" "$(grep '^ARRAY' "$W/mdadm.conf" | awk '{ print $2 }' | tr '\n' ' ')" \
	"/dev/md/dbstate "
expect "AUTO lines" "$(grep -c '^AUTO' "$W/mdadm.conf")" 1
# the md image's mdadm.conf: AUTO -all, the slots' ARRAY lines commented out
rm -rf "$W/it-md-x"; mkdir -p "$W/it-md-x" && (cd "$W/it-md-x" && unmkinitramfs "$IT_MD" . 2>/dev/null)
c=$(find "$W/it-md-x" -path '*etc/mdadm/mdadm.conf' | head -1)
grep -q '^AUTO -all' "$c" 2>/dev/null || problem "no AUTO -all in the image's mdadm.conf"
grep -q '^ARRAY /dev/md/dbstate' "$c" 2>/dev/null || problem "the state array's ARRAY line is gone"
grep -q '^ARRAY /dev/md/slot' "$c" 2>/dev/null && problem "a slot's ARRAY line is left in the image"
rm -rf "$W/it-md-x"
# names of a stack that name nothing: refused by the same check the hook and
# the dracut module run (dualboot-stack check), each with its key
for v in /dev/md/ /dev/mapper/ /dev/dbvg/ /dev/mapper/dbvg-; do
	printf 'state_device=PARTLABEL=dbstate\nstate_file=/dualboot/state\nslot_a=%s\nslot_b=/dev/md/slotb\n' \
		"$v" > "$W/bad-name.conf"
	if DUALBOOT_CRYPTTAB=$W/crypttab stack_check "$W/bad-name.conf" 2> "$W/bad-name.log"; then
		problem "dualboot-stack check accepted slot_a=$v"
	fi
	grep -q "^dualboot: slot_a=$v .*names no\|^dualboot: slot_a=$v is neither" "$W/bad-name.log" ||
		problem "no error naming slot_a=$v (got: $(cat "$W/bad-name.log"))"
done
assert "initramfs-tools: dualboot-stack in the image; a LUKS slot without noauto and a key file left out of the image fail mkinitramfs; a state partition on LUKS, a missing key file, a slot without crypttab entry and names that name no volume or array fail the check; the image's mdadm.conf (the md image's and a sample) loses the slots' ARRAY lines and gains AUTO -all"

# ---- LVM, initramfs-tools ----
lvm_cases it "$IT_LVM" yes "dualboot: boot slot B (test, trial) root /dev/"

# thin volumes, through command-line overrides of the same image
stk_copy lvm.img "$W/thin.img"
arm "$W/thin.img"
THIN="dualboot.slot_a=/dev/dbvg/thina dualboot.slot_b=/dev/dbvg/thinb"
boot it-thin-trial "$W/thin.img" "$IT_LVM" $THIN
guest B test 1
dm_has dbvg-thinb
dm_lacks dbvg-thina
dm_lacks dbvg-slota
dm_lacks dbvg-slotb
boot it-thin-exhausted "$W/thin.img" "$IT_LVM" $THIN
guest A stable 0
dm_has dbvg-thina
dm_lacks dbvg-thinb
dm_lacks dbvg-slota
dm_lacks dbvg-slotb
assert "initramfs-tools, thin LVs: trial boots thinb (thina not activated), exhausted tries boot thina"

# ---- md RAID1, initramfs-tools ----
# the trial names slot B by UUID= of the array (mdadm's form) and slot A
# by its file system's UUID=; neither udev's incremental rule nor mdadm's
# local-block script assembles the other slot's array, although the
# image's mdadm.conf lists it (AUTO -all, its ARRAY line commented out by
# the hook)
md_cases it "$IT_MD" yes "dualboot: boot slot B (test, trial) root /dev/md" $MDUUID

# ---- LUKS, initramfs-tools ----
luks_cases it "$IT_LUKS" yes yes "dualboot: boot slot B (test, trial) root /dev/dm-"

# ---- dracut: the systemd-based images here, the others' boots ran beside
# the ones above (dracut_boots) ----
if [ -z "$DRACUT_PID" ]; then
	for d in 1 2 3 4 5 6 7 8 9 10 11 12; do
		n=$((n + 1)); echo "ok $n # SKIP dracut: ${DRACUT_WHY:-cannot unpack dracut}"
	done
else
	wait "$BUILD_PID"
	BUILD_PID=""
	[ "$(cat "$DRC" 2>/dev/null)" = 0 ] ||
		{ echo "Bail out! dracut failed (see $W/dracut-*.log)"; exit 1; }
	ds_boots
	wait "$DRACUT_PID"
	DRACUT_PID=""
	[ -e "$W/d/failed" ] || { echo "Bail out! the dracut boots stopped (see $W/d/)"; exit 1; }
	cat "$W/d/tap"
	failed=$((failed + $(cat "$W/d/failed")))
fi

echo "# boot times (s): $(awk '{ printf "%s=%s ", $1, $2 }' "$TIMES")"
rm -f "$W"/*.img "$W"/d/*.img
[ "$failed" -eq 0 ]
