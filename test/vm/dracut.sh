# test/vm/dracut.sh - build initramfs images with dracut without installing
# it (dracut conflicts with initramfs-tools on Debian): the Debian packages
# are downloaded with `apt-get download`, unpacked with `dpkg-deb -x` under
# build/vm/dracut-root/ and run from there (BOOT-NOTES). Sourced after
# common.sh.

DRACUT_ROOT=$VMDIR/dracut-root
DRACUT_MODULES="base rootfs-block kernel-modules udev-rules dualboot"

# dracut_prepare: unpack dracut once (needs the Debian archive reachable).
dracut_prepare() {
	[ -x "$DRACUT_ROOT/usr/bin/dracut" ] && return 0
	debs=$VMDIR/dracut-debs.$$
	rm -rf "$debs" "$DRACUT_ROOT.tmp.$$"
	mkdir -p "$debs"
	if ! (cd "$debs" && apt-get download dracut dracut-core); then
		# no package lists yet: fetch them once (as root), then retry
		[ "$(id -u)" = 0 ] && apt-get update -qq &&
			(cd "$debs" && apt-get download dracut dracut-core) || {
			DRACUT_WHY="apt-get download dracut dracut-core failed (no Debian archive reachable)"
			vm_log "$DRACUT_WHY"
			return 1
		}
	fi
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$DRACUT_ROOT.tmp.$$" || return 1
	done
	# both suites may unpack at once: the first rename wins
	mv -T "$DRACUT_ROOT.tmp.$$" "$DRACUT_ROOT" 2>/dev/null || rm -rf "$DRACUT_ROOT.tmp.$$"
	rm -rf "$debs"
}

# dracut_build OUT CONF [systemd]: a non-systemd image with the project's
# module (with "systemd": a systemd-based image, where the module maps the
# chosen slot as /dev/mapper/dualboot-root).
dracut_build() {
	out=$1 conf=$2 variant=${3:-}
	# folders of this image's own (the suites may build at the same time)
	base=$VMDIR/dracut-base-$(basename "$out") dtmp=$VMDIR/dracut-tmp-$(basename "$out")
	rm -rf "$base" "$dtmp"
	mkdir -p "$dtmp" "$VMDIR/dracut-conf.d"
	cp -a "$DRACUT_ROOT/usr/lib/dracut" "$base"
	vm_libdir || return 1
	cp -a "$VM_STAGE/usr/lib/dracut/modules.d/90dualboot" "$base/modules.d/90dualboot"
	mods=$DRACUT_MODULES drivers=$VM_MODULES
	if [ "$variant" = systemd ]; then
		mods="systemd systemd-initrd dracut-systemd $mods"
		drivers="$drivers dm_mod"
	fi
	dracutbasedir=$base DUALBOOT_LIBDIR=$VM_STAGE/usr/lib/dualboot DUALBOOT_CONF=$conf \
		bash "$DRACUT_ROOT/usr/bin/dracut" --force --no-hostonly --no-early-microcode \
		--conf /dev/null --confdir "$VMDIR/dracut-conf.d" --tmpdir "$dtmp" \
		-m "$mods" --drivers "$drivers" --zstd --kver "$KVER" "$out"
}
