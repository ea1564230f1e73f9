#!/bin/sh
# ovmf.sh - firmware mode under real UEFI firmware (OVMF in QEMU, TCG), for
# test/t/70-efi.t. Prints key=value results on stdout, the story on stderr.
# Exit 0 when the boots ran (the .t file judges the values), 77 when QEMU or
# OVMF is not installed, 1 on a harness failure.
#
# Machine: OVMF code (read-only) + a private copy of its variable store, a
# virtio disk with a GPT and an EFI system partition holding the Debian
# kernel and a small busybox initramfs (built here, under build/efi/ovmf/),
# and a 1 MiB virtio disk whose first 8 KiB are the boot state record (raw)
# and whose last 4 KiB are a control block written by this script
# ("STEP=... EFI_A=... EFI_B=...").
#
#   boot 0  (-kernel; setup) `efi create` makes "dualboot A"/"dualboot B"
#           (Boot#### -> HD(1,GPT,..)/File(\EFI\dualboot\vmlinuz), initrd=
#           in the UCS-2 optional data) and a third entry whose loader file
#           does not exist (a test kernel that cannot start); `efi sync` puts
#           A first in BootOrder
#   boot 1  firmware follows BootOrder to A; the guest runs the boot
#           selection (stable A), arms a trial of B (tries 1) and runs
#           `efi sync`: BootNext = B's entry
#   boot 2  firmware follows BootNext: BootCurrent = B's entry, BootNext
#           gone; selection = trial of B (tries 1 -> 0); `efi sync` leaves
#           no BootNext (trial exhausted)
#   boot 3  firmware follows BootOrder to A; selection: trial failed, A;
#           then BootNext = B and BootOrder = B,A,... are set by hand and
#           `efi sync` must put them right in real NVRAM (delete, rewrite);
#           then efi_b= names the broken entry, a trial of B is armed with
#           tries 2 and `efi sync` sets BootNext to the broken entry
#   boot 4  firmware fails to load the broken entry and falls back to
#           BootOrder: A's entry and kernel; the selection sees BootCurrent
#           = A's entry in an armed trial: a failed try (2 -> 1), stable A;
#           `efi sync` arms BootNext again (a try is left)
#   boot 5  the same again: the last try, the trial is recorded as failed
#
# The selection in boots 1-5 is the hook's own: hook/dualboot-boot with the
# musl selector and dualboot-efi-check (--firmware-slot from BootCurrent), the
# record on the raw state disk.
#
# Every QEMU run is under `timeout -k`, TCG only (see BOOT-NOTES), -no-reboot
# and panic=-1 so that a failed boot ends QEMU.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W="$ROOT/build/efi/ovmf"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
QEMU=qemu-system-x86_64
BOOT_TIMEOUT=${DUALBOOT_EFI_BOOT_TIMEOUT:-150}
GUID=8be4df61-93ca-11d2-aa0d-00e098032b8c

say() { echo "ovmf: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

command -v "$QEMU" >/dev/null 2>&1 || { echo "SKIP: $QEMU not installed" >&2; exit 77; }
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || { echo "SKIP: OVMF not installed ($OVMF_CODE)" >&2; exit 77; }

[ -x /bin/busybox ] || die "/bin/busybox is missing (busybox-static)"
KVER=$(ls /lib/modules 2>/dev/null | sort -V | tail -1)
KERNEL=/boot/vmlinuz-$KVER
[ -n "$KVER" ] && [ -r "$KERNEL" ] || die "no installed kernel (linux-image-amd64)"
for c in sfdisk mkfs.vfat mcopy cpio efibootmgr modprobe timeout; do
	command -v "$c" >/dev/null 2>&1 || die "$c is missing (run tools/deps.sh as root)"
done
BUSYBOX=/bin/busybox
make -s -C "$ROOT" build/efi/efitool build/musl/dualboot-select >&2 ||
	die "cannot build build/efi/efitool and build/musl/dualboot-select"

mkdir -p "$W"
# one run at a time on this tree (parallel `make test` runs share build/)
exec 9>"$W.lock"
command -v flock >/dev/null 2>&1 && flock 9
rm -rf "$W/initrd.d"
mkdir -p "$W/initrd.d"

# ---- the guest initramfs: busybox, efitool, efibootmgr, their libraries ----
R="$W/initrd.d"
mkdir -p "$R/bin" "$R/sbin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/mod"
cp "$BUSYBOX" "$R/bin/busybox"
cp "$ROOT/build/efi/efitool" "$R/bin/efitool"
cp "$(command -v efibootmgr)" "$R/bin/efibootmgr"
mkdir -p "$R/usr/lib/dualboot"
cp "$ROOT/hook/dualboot-efi-check" "$R/usr/lib/dualboot/dualboot-efi-check"
cp "$ROOT/hook/dualboot-boot" "$R/usr/lib/dualboot/dualboot-boot"
cp "$ROOT/build/musl/dualboot-select" "$R/usr/lib/dualboot/dualboot-select"
for b in "$ROOT/build/efi/efitool" "$(command -v efibootmgr)"; do
	ldd "$b" | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/lib/ {print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
i=0
for m in efivarfs virtio_pci virtio_blk; do
	modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
	i=$((i + 1))
	cp "$ko" "$R/mod/$(printf %02d $i)-$(basename "$ko")"
done

cat > "$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /mod/*.ko; do insmod "$m" 2>/dev/null; done
mount -t efivarfs efivarfs /sys/firmware/efi/efivars || echo "DBTEST error=no_efivarfs"
V=/sys/firmware/efi/efivars
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
u16() {   # a 2-byte variable as XXXX, "none" when absent
	if [ -e "$V/$1-$G" ]; then
		tail -c +5 "$V/$1-$G" | od -An -v -tu2 | awk '{printf "%04X", $1}'
	else echo none; fi
}
order() {
	if [ -e "$V/BootOrder-$G" ]; then
		tail -c +5 "$V/BootOrder-$G" | od -An -v -tu2 | awk '{for (i = 1; i <= NF; i++) printf "%s%04X", (n++ ? "," : ""), $i}'
	else echo none; fi
}
# the disks: the ESP (GPT, about 40 MiB) and the 1 MiB state disk
i=0
while [ $i -lt 50 ]; do
	STATE=""
	ESP=""
	for d in /sys/block/vd*; do
		[ -e "$d" ] || continue
		if [ "$(cat $d/size)" = 2048 ]; then STATE=/dev/${d##*/}; else ESP=/dev/${d##*/}; fi
	done
	[ -n "$STATE" ] && [ -b "$STATE" ] && [ -n "$ESP" ] && break
	sleep 0.1
	i=$((i + 1))
done
CTL=$(dd if=$STATE bs=4096 skip=255 count=1 2>/dev/null | tr -d '\000')
eval "$CTL"
echo "DBTEST step=$STEP state=$STATE esp=$ESP"
P="boot$STEP"
if [ "$STEP" = 0 ]; then
	# the entries are made by dualboot itself (efi create), BootOrder by efi sync
	printf 'default=A\n' > /etc/dualboot.conf
	for s in A B; do
		efitool efi create $s --disk "$ESP" --part 1 --loader '\EFI\dualboot\vmlinuz' \
			--args "initrd=\\EFI\\dualboot\\initrd.img console=ttyS0 panic=-1 quiet dualboot_test_slot=$s" \
			>> /etc/dualboot.conf || echo "DBTEST error=create_$s"
	done
	# a test slot entry whose kernel cannot start: its loader file is missing
	printf 'default=A\n' > /etc/broken.conf
	efitool --config /etc/broken.conf efi create B --disk "$ESP" --part 1 \
		--loader '\EFI\dualboot\missing.efi' --label "dualboot B (no kernel)" \
		--args "initrd=\\EFI\\dualboot\\initrd.img console=ttyS0 panic=-1 quiet dualboot_test_slot=B" \
		>> /etc/broken.conf || echo "DBTEST error=create_broken"
	cat /etc/dualboot.conf /etc/broken.conf
	A=$(sed -n 's/^efi_a=//p' /etc/dualboot.conf)
	B=$(sed -n 's/^efi_b=//p' /etc/dualboot.conf)
	echo "DBTEST entry_broken=$(sed -n 's/^efi_b=//p' /etc/broken.conf)"
	echo "DBTEST boot0_order_before=$(order)"
	efitool --state "$STATE" --config /etc/dualboot.conf efi sync
	echo "DBTEST boot0_sync_rc=$?"
	efibootmgr -v
	echo "DBTEST entry_a=$A"
	echo "DBTEST entry_b=$B"
	echo "DBTEST boot0_order=$(order)"
else
	# the hook's configuration: the record on the raw state disk
	mkdir -p /etc/dualboot
	printf 'state_device=%s\ndefault=A\ntimeout=5\nefi_a=%s\nefi_b=%s\n' \
		"$STATE" "$EFI_A" "$EFI_B" > /etc/dualboot/dualboot.conf
	C="efitool --state $STATE --config /etc/dualboot/dualboot.conf"
	echo "DBTEST ${P}_current=$(u16 BootCurrent)"
	echo "DBTEST ${P}_next=$(u16 BootNext)"
	echo "DBTEST ${P}_order=$(order)"
	echo "DBTEST ${P}_cmdline_slot=$(sed -n 's/.*dualboot_test_slot=\([AB]\).*/\1/p' /proc/cmdline)"
	# the selection as the initramfs makes it (BootCurrent -> --firmware-slot)
	SEL=$(/usr/lib/dualboot/dualboot-boot)
	echo "selection: $SEL"
	eval "$SEL"
	echo "DBTEST ${P}_slot=$DUALBOOT_SLOT"
	echo "DBTEST ${P}_trial=$DUALBOOT_TRIAL"
	echo "DBTEST ${P}_trial_failed=$DUALBOOT_TRIAL_FAILED"
	echo "DBTEST ${P}_why=$DUALBOOT_WHY"
	echo "DBTEST ${P}_selected=$($C show | sed -n 's/.*armed=\([01]\) tries_left=\([0-9]\).*/armed:\1,left:\2/p')"
	/usr/lib/dualboot/dualboot-efi-check
	cat /run/dualboot/efi-check
	echo "DBTEST ${P}_check=$(sed -n 's/^firmware_slot=//p' /run/dualboot/efi-check)/$(sed -n 's/^hook_slot=//p' /run/dualboot/efi-check)/$(sed -n 's/^agrees=//p' /run/dualboot/efi-check)"
	[ "$STEP" = 1 ] && $C mark-test --tries 1
	$C efi status
	$C efi sync
	echo "DBTEST ${P}_sync_rc=$?"
	echo "DBTEST ${P}_next_after_sync=$(u16 BootNext)"
	if [ "$STEP" = 3 ]; then
		# real NVRAM, other writes: an old BootNext of ours and B first in
		# BootOrder (as after a promotion the record does not know about)
		REST=$(order | tr ',' '\n' | grep -v -e "^$EFI_A\$" -e "^$EFI_B\$" | tr '\n' ',')
		efibootmgr -q -n "$EFI_B" && efibootmgr -q -o "$EFI_B,$EFI_A,${REST%,}"
		echo "DBTEST boot3_disturbed=next:$(u16 BootNext),order:$(order)"
		$C efi sync
		echo "DBTEST boot3_resync_rc=$?"
		echo "DBTEST boot3_resync=next:$(u16 BootNext),order:$(order)"
		echo "DBTEST boot3_resync2=$($C efi sync | sed -n 's/^in sync.*/in sync/p')"
	fi
	SHOW=$($C show)
	echo "record: $SHOW"
	echo "DBTEST ${P}_armed=$(echo "$SHOW" | sed -n 's/.* armed=\([01]\).*/\1/p')"
	if [ "$STEP" = 3 ]; then
		# a trial of B whose entry cannot start (tries 2) for boots 4 and 5
		sed -i "s/^efi_b=.*/efi_b=$EFI_BROKEN/" /etc/dualboot/dualboot.conf
		$C mark-test --tries 2
		$C efi sync
		echo "DBTEST boot3_broken_sync_rc=$?"
		echo "DBTEST boot3_broken_next=$(u16 BootNext)"
	fi
fi
echo "DBTEST done=$STEP"
sync
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | sort | cpio -o -H newc --quiet) > "$W/initrd.img"

# ---- the ESP disk: GPT, one EFI system partition (FAT) from 1 MiB ----
rm -f "$W/esp.img" "$W/esp.part"
truncate -s 48M "$W/esp.img"
printf 'label: gpt\nstart=2048, size=94208, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"\n' |
	sfdisk -q --no-reread --no-tell-kernel "$W/esp.img" >/dev/null
mkfs.vfat -C "$W/esp.part" $((94208 / 2)) >/dev/null
MTOOLS_SKIP_CHECK=1 mmd -i "$W/esp.part" ::/EFI ::/EFI/dualboot
MTOOLS_SKIP_CHECK=1 mcopy -i "$W/esp.part" "$KERNEL" ::/EFI/dualboot/vmlinuz
MTOOLS_SKIP_CHECK=1 mcopy -i "$W/esp.part" "$W/initrd.img" ::/EFI/dualboot/initrd.img
dd if="$W/esp.part" of="$W/esp.img" bs=512 seek=2048 conv=notrunc status=none
rm -f "$W/esp.part"

# ---- the state disk: record at 0 (raw), control block in the last 4 KiB ----
rm -f "$W/state.rec" "$W/state.img"
"$ROOT/build/efi/efitool" --state "$W/state.rec" init --stable A || die "cannot create the record"
truncate -s 1M "$W/state.img"
dd if="$W/state.rec" of="$W/state.img" conv=notrunc status=none
rm -f "$W/state.rec"
control() {
	printf '%-4095s\n' "$1" | dd of="$W/state.img" bs=4096 seek=255 conv=notrunc status=none
}

cp "$OVMF_VARS" "$W/vars.fd"

qemu() {   # qemu N [extra args]: one boot, serial console to $W/bootN.log
	n=$1
	shift
	start=$(date +%s)
	timeout -k 10 "$BOOT_TIMEOUT" "$QEMU" -machine q35,accel=tcg -m 512 -smp 1 \
		-display none -no-reboot -net none -monitor none -serial "file:$W/boot$n.log" \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$W/vars.fd" \
		-drive if=virtio,format=raw,file="$W/esp.img" \
		-drive if=virtio,format=raw,file="$W/state.img" \
		"$@" </dev/null >"$W/boot$n.qemu" 2>&1 || say "boot $n: QEMU exit status $?"
	say "boot $n: $(($(date +%s) - start)) s"
	tr -d '\r' < "$W/boot$n.log" | sed -n 's/^DBTEST //p'
	grep -q "^DBTEST done=$n" "$W/boot$n.log" || {
		say "boot $n did not finish; last lines of its console:"
		tail -25 "$W/boot$n.log" | tr -d '\r' >&2
		cat "$W/boot$n.qemu" >&2
		exit 1
	}
}
val() { sed -n "s/^DBTEST $1=//p" "$W/$2" | tr -d '\r' | tail -1; }

control "STEP=0"
qemu 0 -kernel "$KERNEL" -initrd "$W/initrd.img" -append "console=ttyS0 panic=-1 quiet"
A=$(val entry_a boot0.log)
B=$(val entry_b boot0.log)
X=$(val entry_broken boot0.log)
[ -n "$A" ] && [ -n "$B" ] && [ -n "$X" ] || die "boot 0 did not create the entries"
for n in 1 2 3; do
	control "STEP=$n EFI_A=$A EFI_B=$B EFI_BROKEN=$X"
	qemu $n
done
# boots 4 and 5: the test slot B is the entry that cannot start
for n in 4 5; do
	control "STEP=$n EFI_A=$A EFI_B=$X EFI_BROKEN=$X"
	qemu $n
	# OVMF's console: it tried BootNext (the broken entry) and fell back
	if tr -d '\r' < "$W/boot$n.log" | grep -q "failed to load Boot$X"; then
		echo "boot${n}_fw_failed_broken=1"
	else
		echo "boot${n}_fw_failed_broken=0"
	fi
done
