#!/bin/sh
# dualboot-dm - systemd-based dracut images: run the slot selection and make
# /dev/mapper/dualboot-root, the root= of the image, a linear device-mapper
# map over the chosen slot's partition. Run once by the initqueue after udev
# has settled. Falls back to the default stable slot when the chosen device
# is unusable or cannot be mapped.
#
# --link (non-systemd images whose slots sit on LVM, md or LUKS): instead of
# a map, /dev/dualboot-root becomes a symbolic link to the chosen device.
[ -e /dev/mapper/dualboot-root ] && exit 0
[ -L /dev/dualboot-root ] && exit 0
SEL=/usr/lib/dualboot/dualboot-select
log() { echo "<5>dualboot: $*" > /dev/kmsg 2>/dev/null || echo "dualboot: $*" >&2; }

# map DEVICE: create the map over DEVICE (with --link: the link to it)
map() {
	[ -b "$1" ] || return 1
	if [ "${LINK:-}" = 1 ]; then
		ln -s "$1" /dev/dualboot-root && log "/dev/dualboot-root links to $1"
		return
	fi
	size=$(blockdev --getsz "$1") &&
		dmsetup create dualboot-root --table "0 $size linear $1 0" &&
		log "/dev/mapper/dualboot-root maps $1"
}

LINK=""
[ "${1:-}" = --link ] && LINK=1
modprobe -q dm_mod 2>/dev/null
DUALBOOT_ROOT=""
eval "$(/usr/lib/dualboot/dualboot-boot)"
map "$("$SEL" --resolve "$DUALBOOT_ROOT" 2>/dev/null)" && exit 0

eval "$("$SEL" --print-config)"
log "cannot map the chosen root '$DUALBOOT_ROOT': mapping the default slot" \
	"$DUALBOOT_DEFAULT ($DUALBOOT_DEFAULT_ROOT)"
[ -x /usr/lib/dualboot/dualboot-stack ] &&
	/usr/lib/dualboot/dualboot-stack up "$DUALBOOT_DEFAULT_ROOT" late
map "$("$SEL" --resolve "$DUALBOOT_DEFAULT_ROOT" 2>/dev/null)" ||
	log "cannot create the root (/dev/mapper/dualboot-root, /dev/dualboot-root): it will not appear"
exit 0
