#!/bin/sh
# test/e2e/build.sh - build the end-to-end test machine's disk (as root):
#
#   build/e2e/cache/base-KEY.tar   Debian 12 root from Debian's packages
#                                  (test/e2e/base.sh, mmdebstrap), cached:
#                                  KEY is a hash of base.sh
#   build/e2e/disk.img             GPT: esp, dbstate, root-a, root-b
#   build/e2e/build-times.txt      how long each part took
#
# Both roots get dualboot by the README's deployment guide, scripted in
# test/e2e/deploy-slot.sh; slot B is made from slot A by the guide's steps.
# The ESP holds set-up (b): one GRUB image (\EFI\BOOT\BOOTX64.EFI, made with
# grub-mkimage) that loads one kernel and initramfs (slot A's, copied to
# \dualboot\) and leaves the choice of the root to the initramfs hook.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E=$ROOT/test/e2e
W=$ROOT/build/e2e
CACHE=$W/cache
say() { echo "e2e-build: $*" >&2; }
now() { date +%s; }

[ "$(id -u)" = 0 ] || { say "must run as root (mmdebstrap --mode=root, chroot)"; exit 77; }
for c in mmdebstrap grub-mkimage sfdisk mkfs.vfat mcopy mke2fs debugfs; do
	command -v "$c" >/dev/null 2>&1 || { say "$c is missing (run tools/deps.sh)"; exit 77; }
done
[ -d /usr/lib/grub/x86_64-efi ] || { say "grub-efi-amd64-bin is missing"; exit 77; }

mkdir -p "$CACHE"
exec 9>"$W.lock"
flock 9
: > "$W/build-times.txt.new"
timing() { echo "$*" >> "$W/build-times.txt.new"; }

# ---- the base root (cached) -------------------------------------------
KEY=$(cat "$E/base.sh" "$E/base-kernels.sh" | sha256sum | cut -c1-16)
BASE=$CACHE/base-$KEY.tar
if [ ! -s "$BASE" ]; then
	say "building the Debian 12 base root with mmdebstrap (first build; cached as $BASE)"
	t0=$(now)
	rm -f "$CACHE"/base-*.tar
	"$E/base.sh" "$BASE.tmp" >&2
	mv "$BASE.tmp" "$BASE"
	echo "base_root_mmdebstrap_s=$(( $(now) - t0 )) (cache miss, $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg))" > "$BASE.time"
	timing "$(cat "$BASE.time")"
else
	timing "base_root_mmdebstrap_s=0 (cached $(basename "$BASE"); when it was built: $(cat "$BASE.time" 2>/dev/null || echo unknown))"
fi

t0=$(now)
# ---- dualboot's Debian packages (make deb), installed by step 3 --------
# (the host's own build too: the harness reads the record with build/dualbootctl)
make -s -C "$ROOT" all >&2
"$ROOT/tools/build-deb.sh" "$W/deb" >&2

# ---- slot A: unpack, deploy ---------------------------------------------
RA=$W/root-a
RB=$W/root-b
STATE=$W/state.d
for d in "$RA" "$RB"; do
	if mountpoint -q "$d/proc" 2>/dev/null; then say "$d is in use"; exit 1; fi
done
rm -rf "$RA" "$RB" "$STATE"
mkdir -p "$RA" "$STATE"
tar -C "$RA" -xf "$BASE"
UUID_A=$(cat /proc/sys/kernel/random/uuid)
UUID_B=$(cat /proc/sys/kernel/random/uuid)

# the harness's guest side (not part of the deployment guide)
install -D -m 0755 "$E/guest/e2e-runner" "$RA/usr/local/lib/e2e/e2e-runner"
install -D -m 0644 "$E/guest/e2e-runner.service" "$RA/etc/systemd/system/e2e-runner.service"
install -D -m 0644 "$ROOT/demo/migrate.py" "$RA/usr/local/lib/e2e/migrate.py"
install -D -m 0644 "$ROOT/demo/app.py" "$RA/usr/local/lib/e2e/app.py"
chroot "$RA" systemctl enable e2e-runner.service
# systemd arms the hardware watchdog (q35: iTCO) for the reboot by default;
# the harness watches for hangs itself. dualboot's runtime watchdog drop-in
# is masked the documented way (docs/boot-hook.md): with it armed, every
# warm reset of the guest wedged under TCG (OVMF, q35's iTCO; 2 of 2 reboots
# in the run of 2026-12-05 00:24, each needing the harness's system_reset)
mkdir -p "$RA/etc/systemd/system.conf.d"
printf '[Manager]\nRebootWatchdogSec=0\n' > "$RA/etc/systemd/system.conf.d/e2e.conf"
ln -sf /dev/null "$RA/etc/systemd/system.conf.d/60-dualboot-watchdog.conf"
# serial console login not needed; keep the console quiet
chroot "$RA" systemctl mask serial-getty@ttyS0.service >/dev/null 2>&1 || :

# a small initramfs (MODULES=list): quicker to boot, and to rebuild under
# emulation when the kernel upgrade scenario installs a kernel in the guest
printf 'MODULES=list\n' > "$RA/etc/initramfs-tools/conf.d/e2e-modules"
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$RA/etc/initramfs-tools/modules"
# set-up (a)'s kernel hook (README): each slot's GRUB entry follows its kernels
install -D -m 0755 "$ROOT/hook/kernel/zz-dualboot-grub" "$RA/etc/kernel/postinst.d/zz-dualboot-grub"
printf 'DUALBOOT_CMDLINE="ro console=ttyS0,115200 panic=-1 quiet"\n' > "$RA/etc/default/dualboot-grub"

E2E_STATE_DIR=$STATE E2E_SEED_SQL=$ROOT/demo/setup.sql \
	"$E/deploy-slot.sh" install "$RA" "$W/deb" A
# test settings: a failed trial should not keep the harness waiting the
# default 300 s; the notification command writes a file the scenario reads
cat >> "$RA/etc/dualboot/dualboot.conf" <<'CONF'
confirm_deadline=45
health_database=app
notify_command=/usr/local/lib/e2e/notify
CONF
printf '#!/bin/sh\necho "$DUALBOOT_OUTCOME $DUALBOOT_OUTCOME_CHECK seq=$DUALBOOT_OUTCOME_SEQ" >> /var/lib/e2e-notified\n' \
	> "$RA/usr/local/lib/e2e/notify"
chmod 0755 "$RA/usr/local/lib/e2e/notify"
"$E/deploy-slot.sh" fstab "$RA" "$UUID_A"
"$E/deploy-slot.sh" initramfs "$RA" >&2
timing "deploy_slot_a_s=$(( $(now) - t0 ))"

# ---- slot B from slot A -------------------------------------------------
t0=$(now)
"$E/deploy-slot.sh" make-b "$RA" "$RB"
"$E/deploy-slot.sh" fstab "$RB" "$UUID_B"
"$E/deploy-slot.sh" initramfs "$RB" >&2
timing "deploy_slot_b_s=$(( $(now) - t0 ))"

# ---- the ESP: set-up (b), one GRUB entry, one kernel and initramfs ------
t0=$(now)
KVER=$(ls "$RA/lib/modules" | sort -V | tail -1)
ESPD=$W/esp.d
rm -rf "$ESPD"
mkdir -p "$ESPD/EFI/BOOT" "$ESPD/dualboot" "$ESPD/e2e"
cp "$RA/boot/vmlinuz-$KVER" "$ESPD/dualboot/vmlinuz"
cp "$RA/boot/initrd.img-$KVER" "$ESPD/dualboot/initrd.img"
echo "$KVER" > "$ESPD/dualboot/kernel-version"
"$E/deploy-slot.sh" plain-initramfs "$RA" "$KVER" "$ESPD/dualboot/initrd-plain.img" >&2
GRUB_MODS="part_gpt fat ext2 linux normal boot configfile search search_fs_file search_fs_uuid search_label serial terminal echo test"
cat > "$W/grub-shared.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
search --no-floppy --set=root --file /dualboot/shared.cfg
echo "e2e-grub: set-up b: one entry, the initramfs chooses the root"
source /dualboot/shared.cfg
CFG
# (the embedded configuration runs without GRUB's script parser: no `if`)
cat > "$ESPD/dualboot/shared.cfg" <<'CFG'
linux /dualboot/vmlinuz console=ttyS0,115200 panic=-1 quiet
initrd /dualboot/initrd.img
boot
CFG
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$W/grub-shared.cfg" \
	-o "$ESPD/EFI/BOOT/BOOTX64.EFI" $GRUB_MODS
echo "UUID_A=$UUID_A UUID_B=$UUID_B KVER=$KVER" > "$ESPD/e2e/build-info"

# set-up (a): one GRUB image per slot, each reading its slot's entry file
# (dualboot/slot-a.cfg, slot-b.cfg), which the slot's kernel hook writes
mkdir -p "$ESPD/EFI/dualboot"
for s in a b; do
	S=$(echo $s | tr ab AB)
	cat > "$W/grub-$s.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
search --no-floppy --set=root --file /dualboot/slot-$s.cfg
echo "e2e-grub: set-up a: slot $S's entry"
source /dualboot/slot-$s.cfg
CFG
	grub-mkimage -O x86_64-efi -p /EFI/dualboot -c "$W/grub-$s.cfg" \
		-o "$ESPD/EFI/dualboot/grub-$s.efi" $GRUB_MODS
done
for s in A B; do
	[ $s = A ] && r=$RA u=$UUID_A || r=$RB u=$UUID_B
	mount --bind "$ESPD" "$r/boot/efi"
	chroot "$r" env DUALBOOT_SLOT=$s DUALBOOT_ROOT_UUID=$u \
		/etc/kernel/postinst.d/zz-dualboot-grub "$KVER" || { umount "$r/boot/efi"; exit 1; }
	umount "$r/boot/efi"
done

# ---- the disk -----------------------------------------------------------
IMG=$W/disk.img
rm -f "$IMG" "$IMG.tmp"
truncate -s 5200M "$IMG.tmp"
sfdisk --no-reread --no-tell-kernel -q "$IMG.tmp" <<'GPT'
label: gpt
start=1MiB, size=64MiB, type=U, name=esp
size=8MiB, type=L, name=dbstate
size=2560MiB, type=L, name=root-a
size=2560MiB, type=L, name=root-b
GPT
part() {   # part N start|size -> sectors
	sfdisk -J "$IMG.tmp" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$1-1]; print(p['$2'])"
}
S1=$(part 1 start) N1=$(part 1 size)
write_esp() {
	mkfs.vfat -F 32 -s 1 -n ESP --offset="$S1" "$1" $((N1 / 2)) >/dev/null
	( cd "$ESPD" && mcopy -s -i "$1@@$((S1 * 512))" EFI dualboot e2e ::/ )
}
write_roots() {
	mke2fs -F -q -t ext4 -L dbstate -E offset=$((S2 * 512)) -d "$STATE" "$1" $((N2 / 2))k
	mke2fs -F -q -t ext4 -L root-a -U "$UUID_A" -E offset=$((S3 * 512)) -d "$RA" "$1" $((N3 / 2))k
	mke2fs -F -q -t ext4 -L root-b -U "$UUID_B" -E offset=$((S4 * 512)) -d "$RB" "$1" $((N4 / 2))k
}
write_esp "$IMG.tmp"
S2=$(part 2 start) N2=$(part 2 size)
S3=$(part 3 start) N3=$(part 3 size)
S4=$(part 4 start) N4=$(part 4 size)
write_roots "$IMG.tmp"
cp --sparse=always "$IMG.tmp" "$W/disk-fw.img.tmp"   # the same GPT (partition GUIDs)
mv "$IMG.tmp" "$IMG"
printf 'ESP=%s STATE=%s ROOTA=%s ROOTB=%s\n' $((S1 * 512)) $((S2 * 512)) $((S3 * 512)) $((S4 * 512)) \
	> "$W/disk.offsets"
timing "esp_and_disk_s=$(( $(now) - t0 ))"

# ---- set-up (a): the firmware entries, made in the guest -----------------
# One boot of this disk (through \EFI\BOOT\BOOTX64.EFI) runs `dualbootctl
# efi create` for each slot on the real firmware (OVMF); its variable store
# is kept as build/e2e/vars-fw.fd. The efi_a=/efi_b= lines go into both
# slots' dualboot.conf, the firmware-mode units are enabled and both
# initramfs images rebuilt (README, firmware mode), and the roots are written
# again into a copy of the disk with the same partition table.
t0=$(now)
"$ROOT/test/e2e/harness.py" --enrol > "$W/enrol.out"
grep -q '^efi_a=[0-9A-F]\{4\}$' "$W/enrol.out" && grep -q '^efi_b=[0-9A-F]\{4\}$' "$W/enrol.out" ||
	{ say "the firmware entries were not made: $(cat "$W/enrol.out")"; exit 1; }
for r in "$RA" "$RB"; do
	grep '^efi_[ab]=' "$W/enrol.out" >> "$r/etc/dualboot/dualboot.conf"
	chroot "$r" systemctl enable dualboot-efi-sync.path dualboot-efi-sync-shutdown.service
	"$E/deploy-slot.sh" initramfs "$r" >&2
done
write_roots "$W/disk-fw.img.tmp"
mv "$W/disk-fw.img.tmp" "$W/disk-fw.img"
timing "firmware_entries_and_disk_fw_s=$(( $(now) - t0 ))"
mv "$W/build-times.txt.new" "$W/build-times.txt"
# the figures: bench/results, or E2E_RESULTS (relative to the tree)
RESULTS=${E2E_RESULTS:-bench/results}
case $RESULTS in /*) ;; *) RESULTS=$ROOT/$RESULTS ;; esac
mkdir -p "$RESULTS"
{
	echo "# make e2e: image build (test/e2e/build.sh), $(date -u '+%F %H:%M') UTC, one run"
	echo "# machine: $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# seconds of wall time per part; the base root is cached under build/e2e/cache/"
	cat "$W/build-times.txt"
} > "$RESULTS/e2e-build.txt"
say "built $IMG ($(du -h "$IMG" | cut -f1) allocated); kernel $KVER"
cat "$W/build-times.txt" >&2
