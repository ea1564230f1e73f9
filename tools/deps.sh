#!/bin/sh
# Install the Debian packages dualboot needs to build, test and demo.
# As root: installs them (apt-get). Otherwise: prints the exact command and
# fails, so nothing half-works.
set -eu

server_major() {
	# the major version of the installed PostgreSQL server, else Debian 12's
	for d in /usr/lib/postgresql/*/bin/postgres; do
		[ -x "$d" ] && v=${d#/usr/lib/postgresql/} && echo "${v%%/*}"
	done | sort -n | tail -1
}
PGMAJOR=$(server_major)
PGMAJOR=${PGMAJOR:-15}

PACKAGES="build-essential pkg-config clang libclang-rt-dev valgrind musl-tools
 postgresql-$PGMAJOR postgresql-server-dev-$PGMAJOR postgresql-contrib
 libefivar-dev libefiboot-dev efibootmgr python3 python3-psycopg2
 qemu-system-x86 linux-image-amd64 busybox-static e2fsprogs dosfstools mtools
 fdisk cpio initramfs-tools ovmf mmdebstrap grub-efi-amd64-bin hyperfine zstd xz-utils udev groff-base dmsetup systemd kmod"
PACKAGES=$(echo $PACKAGES)

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "dualboot: missing Debian packages. Run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "dualboot: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
