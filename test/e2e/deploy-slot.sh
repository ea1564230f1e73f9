#!/bin/sh
# test/e2e/deploy-slot.sh - the README's deployment guide, scripted, applied
# to one slot's root folder through chroot (as root on the build host).
# Each block says which step of the guide it is; change both together.
#
#   deploy-slot.sh install ROOT DEBS SLOT        steps 3, 4, 7, 8, 9 (+ 6 on the stable slot)
#   deploy-slot.sh make-b ROOT_A ROOT_B UUID_B   step "slot B from slot A"
#   deploy-slot.sh fstab ROOT UUID               step 5, each slot's own /etc/fstab
#   deploy-slot.sh initramfs ROOT                step 10
#
# Environment: E2E_STATE_DIR, the state partition's contents (a folder,
# bind-mounted on ROOT/var/lib/dualboot while the record is created).
set -eu

say() { echo "deploy: $*" >&2; }

# the kernel file systems a chroot needs for update-initramfs and PostgreSQL
chroot_up() {
	for d in proc sys dev dev/pts run; do mkdir -p "$1/$d"; done
	mount -t proc proc "$1/proc"
	mount --rbind /sys "$1/sys" && mount --make-rslave "$1/sys"
	mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev"
	mount -t tmpfs tmpfs "$1/run"
}
chroot_down() {
	for d in run dev sys proc; do umount -R "$1/$d" 2>/dev/null || umount -lR "$1/$d" 2>/dev/null || :; done
}

cmd=$1
shift
case "$cmd" in
install)
	R=$1 DEBS=$2 SLOT=$3
	trap 'umount "$R/var/lib/dualboot" 2>/dev/null || :; chroot_down "$R"' EXIT
	chroot_up "$R"

	# step 3: install the Debian packages (`make deb` into DEBS) with apt;
	# their dependencies are already in the root (base.sh), none is fetched
	mkdir -p "$R/tmp/dualboot-debs"
	cp "$DEBS"/dualboot_*.deb "$DEBS"/postgresql-15-dualboot_*.deb "$R/tmp/dualboot-debs/"
	chroot "$R" env DEBIAN_FRONTEND=noninteractive sh -c 'cd /tmp/dualboot-debs && apt-get install -y ./dualboot_*.deb ./postgresql-15-dualboot_*.deb' >&2
	rm -rf "$R/tmp/dualboot-debs"
	chroot "$R" dualbootctl --help >/dev/null

	# step 4: configure, the same file on both slots; mount the state
	# partition at state_mount (fstab: see the fstab command)
	cat > "$R/etc/dualboot/dualboot.conf" <<'CONF'
state_device=PARTLABEL=dbstate
state_file=/dualboot/state
state_mount=/var/lib/dualboot
slot_a=PARTLABEL=root-a
slot_b=PARTLABEL=root-b
default=A
timeout=10
CONF
	mkdir -p "$R/var/lib/dualboot" "$R/boot/efi"

	# step 2, the postgres user: the same uid/gid on both slots (created with
	# fixed ids before PostgreSQL was installed, test/e2e/base.sh)
	[ "$(chroot "$R" id -u postgres):$(chroot "$R" id -g postgres)" = 5432:5432 ] ||
		{ say "postgres is not uid/gid 5432 in $R"; exit 1; }

	# step 6: the record, once, from the stable slot, owned by postgres,
	# mode 0600; step 7: the stable hint beside it (no stable_hint=), written
	# by init, and kept in step by the path unit (below)
	if [ "$SLOT" = A ]; then
		mount --bind "$E2E_STATE_DIR" "$R/var/lib/dualboot"
		chroot "$R" mkdir -p /var/lib/dualboot/dualboot
		chroot "$R" dualbootctl init --stable A --reason "deployed"
		chroot "$R" chown postgres:postgres /var/lib/dualboot/dualboot/state
		chroot "$R" chmod 0600 /var/lib/dualboot/dualboot/state
		chroot "$R" dualbootctl hint-sync
	fi

	# step 8: PostgreSQL (Debian's cluster 15/main, unit postgresql@15-main)
	cat >> "$R/etc/postgresql/15/main/postgresql.conf" <<'PGCONF'
dualboot.state_path = '/var/lib/dualboot/dualboot/state'
shared_preload_libraries = 'dualboot'
PGCONF
	# the default port (a cluster made in a chroot on a build host whose
	# own PostgreSQL has 5432 gets 5433 from pg_createcluster)
	sed -i 's/^port = [0-9]*/port = 5432/' "$R/etc/postgresql/15/main/postgresql.conf"
	if [ "$SLOT" = A ]; then
		# the application's database (demo/setup.sql: the users table and
		# CREATE EXTENSION dualboot)
		# (socket only: the build host's own servers may use TCP 5432)
		chroot "$R" pg_ctlcluster 15 main start -- -o "-c listen_addresses=''"
		chroot "$R" runuser -u postgres -- createdb app
		chroot "$R" runuser -u postgres -- psql -XAtq -d app -f - < "$E2E_SEED_SQL" >/dev/null
		chroot "$R" pg_ctlcluster 15 main stop
	fi

	# step 9: the units (confirm: trial boots; evidence: failed trials;
	# report: the hook's decision to the journal, notify_command=);
	# step 7: the stable hint follows promotions made from SQL
	chroot "$R" systemctl enable dualboot-confirm.service dualboot-trial-evidence.service \
		dualboot-report.service dualboot-hint-sync.path
	# step 14: the stop point at stable's shutdown (safe promotion), with
	# WAL kept long enough to read what stable wrote since a refresh
	chroot "$R" systemctl enable dualboot-stop-point.service
	echo "wal_keep_size = 256MB  # dualboot: README step 14" >> "$R/etc/postgresql/15/main/postgresql.conf"
	# PostgreSQL itself: Debian's postgresql@15-main.service, started by
	# postgresql.service (enabled by the package) for each cluster whose
	# start.conf says auto
	;;
make-b)
	# slot B from slot A: a copy of the whole root (the database included),
	# then its own file system UUID (given to mke2fs when the partition is
	# written) and its own fstab (the fstab command)
	A=$1 B=$2
	rm -rf "$B"
	cp -a "$A" "$B"
	;;
fstab)
	R=$1 UUID=$2
	cat > "$R/etc/fstab" <<FSTAB
UUID=$UUID / ext4 errors=remount-ro 0 1
PARTLABEL=dbstate /var/lib/dualboot ext4 defaults 0 2
PARTLABEL=esp /boot/efi vfat umask=0077 0 2
FSTAB
	;;
initramfs)
	# step 10: the initramfs of every installed kernel, with the hook
	R=$1
	trap 'chroot_down "$R"' EXIT
	chroot_up "$R"
	chroot "$R" update-initramfs -u -k all
	;;
plain-initramfs)
	# not a step of the guide: an initramfs without the dualboot hook (its
	# config not found: the hook adds nothing), for the boot time figures
	R=$1 KVER=$2
	trap 'chroot_down "$R"' EXIT
	chroot_up "$R"
	chroot "$R" env DUALBOOT_CONF=/nonexistent mkinitramfs -o /tmp/initrd-plain.img "$KVER"
	mv "$R/tmp/initrd-plain.img" "$3"
	;;
*)
	say "unknown command $cmd"
	exit 2
	;;
esac
