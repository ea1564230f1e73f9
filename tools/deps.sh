#!/bin/sh
# Install the Debian packages dualboot needs.
#
#   tools/deps.sh [test]   everything `make test` needs (the default): build,
#                          sanitizers, QEMU, a kernel image, OVMF, packaging
#   tools/deps.sh demo     only what `make demo` needs: the build tools,
#                          PostgreSQL and Python (no kernel, QEMU or firmware:
#                          a kernel package changes how the machine boots)
#   tools/deps.sh pg-matrix  what tools/build-pg.sh needs to build the newer
#                          PostgreSQL majors from source (make pg-builds)
#
# As root: installs them (apt-get). Otherwise: prints the exact command and
# fails, so nothing half-works.
set -eu
PROFILE=${1:-test}

server_major() {
	# the major version of the installed PostgreSQL server, else Debian 12's
	for d in /usr/lib/postgresql/*/bin/postgres; do
		[ -x "$d" ] && v=${d#/usr/lib/postgresql/} && echo "${v%%/*}"
	done | sort -n | tail -1
}
PGMAJOR=$(server_major)
PGMAJOR=${PGMAJOR:-15}

# build: the extension (PGXS; libkrb5-dev for gssapi/gssapi.h, which the
# server's libpq/libpq-be.h includes), dualbootctl (libefivar; libjson-c-dev
# for rehearsal certificates, issue 19), the static selector
DEMO_PACKAGES="build-essential pkg-config musl-tools
 postgresql-$PGMAJOR postgresql-server-dev-$PGMAJOR libkrb5-dev
 libefivar-dev libefiboot-dev libsystemd-dev python3 python3-psycopg2
 libjson-c-dev"
# tests: sanitizers, the VM and firmware suites, the packages' suite; the
# storage stacks of 62-vm-disks.t (lvm2 ... thin-provisioning-tools: their
# initramfs-tools hooks go into the test images; installing them also runs
# update-initramfs for the host's kernel, as on any server that uses them);
# issue 19's fleet suite: ansible, and sshd/ssh for ansible.builtin.reboot
# (the test starts its own sshd on 127.0.0.1, never the system's)
# xfsprogs: 64-vm-refresh.t's XFS snapshot (issue 15)
TEST_PACKAGES="clang libclang-rt-dev valgrind postgresql-contrib efibootmgr
 qemu-system-x86 linux-image-amd64 busybox-static e2fsprogs dosfstools mtools
 fdisk cpio initramfs-tools ovmf hyperfine zstd xz-utils udev groff-base dmsetup systemd kmod
 debhelper dpkg-dev lintian postgresql-server-dev-all mmdebstrap grub-efi-amd64-bin
 pgbouncer sqitch python3-alembic python3-django ruby-activerecord ruby-pg
 default-jre-headless iproute2 prometheus
 lvm2 mdadm cryptsetup cryptsetup-initramfs thin-provisioning-tools
 ansible openssh-server openssh-client
 xfsprogs"
# tools/build-pg.sh: PostgreSQL from source (bison and flex: the release
# tarballs of 17 and newer ship no generated parsers)
PG_MATRIX_PACKAGES="bison flex libicu-dev libssl-dev zlib1g-dev dpkg-dev"
case $PROFILE in
demo) PACKAGES=$DEMO_PACKAGES ;;
pg-matrix) PACKAGES="$DEMO_PACKAGES $PG_MATRIX_PACKAGES" ;;
test) PACKAGES="$DEMO_PACKAGES $TEST_PACKAGES" ;;
*) echo "usage: tools/deps.sh [test|demo|pg-matrix]" >&2; exit 2 ;;
esac
PACKAGES=$(echo $PACKAGES)

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "dualboot: missing Debian packages. Run as root:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	echo "dualboot: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
	updated=1
fi
[ "$PROFILE" = test ] || exit 0

# Application schemas shipped in Debian packages, for the fingerprint's
# differential test (test/fingerprint/diff.py): downloaded and unpacked into
# build/debian-schemas/, not installed (installing them pulls in and starts
# their servers). After the installation above, so that apt's package lists
# exist on a new machine; a failed download updates them once and retries.
SCHEMA_PACKAGES="pdns-backend-pgsql icinga2-ido-pgsql"
schemas=$(cd "$(dirname "$0")/.." && pwd)/build/debian-schemas
fetch_schema() {
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	# apt's download user must be able to write there
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
	rc=1
	if (cd "$tmp" && apt-get -q download "$1" >/dev/null 2>&1) && mkdir -p "$schemas" &&
		dpkg-deb -x "$tmp"/*.deb "$schemas/$1.part"; then
		mv "$schemas/$1.part" "$schemas/$1" && rc=0
	fi
	rm -rf "$tmp" "$schemas/$1.part"
	return $rc
}
for p in $SCHEMA_PACKAGES; do
	[ -d "$schemas/$p" ] && continue
	fetch_schema "$p" && continue
	if [ -z "${updated:-}" ] && [ "$(id -u)" = 0 ]; then
		apt-get -o DPkg::Lock::Timeout=600 update -qq && updated=1
		fetch_schema "$p" && continue
	fi
	echo "dualboot: could not download and unpack $p (apt-get download $p)" >&2
done
exit 0
