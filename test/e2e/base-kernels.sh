#!/bin/sh
# test/e2e/base-kernels.sh ROOT - mmdebstrap customize hook of base.sh:
# install the second-newest Debian 12 kernel package (linux-image-6.1.0-N-
# amd64) and keep the newest one's .deb in ROOT/var/cache/e2e-kernel/, for
# the kernel upgrade scenario (installed on the test slot only). The names
# come from the archive at build time; none is written here.
set -eu
R=$1
k=$(chroot "$R" apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' |
	cut -d' ' -f1 | sort -V | tail -2)
old=$(echo "$k" | head -1)
new=$(echo "$k" | tail -1)
[ -n "$old" ] && [ "$old" != "$new" ] || { echo "base-kernels: need two kernel versions, have: $k" >&2; exit 1; }
echo "base-kernels: installing $old, keeping $new for the upgrade" >&2
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$old"
mkdir -p "$R/var/cache/e2e-kernel"
chroot "$R" sh -c 'cd /var/cache/e2e-kernel && apt-get download "$1"' sh "$new"
