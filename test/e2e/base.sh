#!/bin/sh
# test/e2e/base.sh OUT.tar - the Debian 12 root both slots start from, made
# from Debian's packages with mmdebstrap (as root). Cached by the caller
# (test/e2e/build.sh) under build/e2e/cache/, keyed by this file's contents.
#
# The apt sources are the host's own apt configuration (every enabled
# /etc/apt/sources.list{,.d/*.list,.d/*.sources}); no host name is written
# here.
#
# The kernel: test/e2e/base-kernels.sh (an older one installed, the
# newest kept as a .deb for the kernel upgrade scenario).
#
# The postgres user and group are created with fixed ids (5432) before
# PostgreSQL is installed: the README's step "the same postgres uid/gid on
# both slots" (a slot installed on its own gets the same ids the same way).
set -eu
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES=systemd-sysv,udev,kmod,postgresql-15,initramfs-tools,e2fsprogs,dosfstools,procps,python3-psycopg2,libefiboot1,libefivar1,efibootmgr,iproute2,less
srcs=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && srcs="$srcs $f"
done
[ -n "$srcs" ] || { echo "e2e: no apt sources on this host" >&2; exit 1; }
# shellcheck disable=SC2086
mmdebstrap --variant=apt --mode=root --format=tar \
	--include="$PACKAGES" \
	--essential-hook='chroot "$1" groupadd --system --gid 5432 postgres' \
	--essential-hook='chroot "$1" useradd --system --uid 5432 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash --comment "PostgreSQL administrator" postgres' \
	--customize-hook="'$HERE/base-kernels.sh'"' "$1"' \
	--customize-hook='echo dbserver > "$1/etc/hostname"' \
	--customize-hook='chroot "$1" passwd -d root' \
	bookworm "$OUT" $srcs
