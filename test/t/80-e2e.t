#!/bin/sh
# 80-e2e.t - `make e2e` inside `make test` (issue 13): a whole dual-boot
# database server (OVMF, GRUB, two Debian 12 slots with systemd and
# PostgreSQL 15) boots under QEMU (TCG) through every scenario of
# test/e2e/harness.py. Its TAP is this suite's TAP; the image build's story
# goes to stderr. Needs root (mmdebstrap --mode=root, chroot) and network
# access to the host's apt sources on the first build (cached afterwards
# under build/e2e/cache/).
#
# DUALBOOT_SKIP_E2E=1 skips it (say so when you use it).
cd "$(dirname "$0")/../.." || exit 1
if [ -n "${DUALBOOT_SKIP_E2E:-}" ]; then
	echo "1..0 # SKIP DUALBOOT_SKIP_E2E is set"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the e2e machine is built as root (mmdebstrap, chroot)"
	exit 0
fi
mkdir -p build
echo "# image build and harness story: build/e2e-test.log, serial logs: build/e2e/run/"
exec make -s e2e 2>>build/e2e-test.log
