#!/bin/sh
# 80-e2e.t - `make e2e` inside `make test`, on request (issue 13): a whole
# dual-boot database server (OVMF, GRUB, two Debian 12 slots with systemd
# and PostgreSQL 15) boots under QEMU (TCG) through every scenario of
# test/e2e/harness.py. Its TAP is this suite's TAP; the image build's story
# goes to stderr. Needs root (mmdebstrap --mode=root, chroot) and network
# access to the host's apt sources on the first build (cached afterwards
# under build/e2e/cache/).
#
# It runs only with DUALBOOT_E2E=1 (`make test DUALBOOT_E2E=1`, or `make
# e2e` alone): about 35 minutes on 2 cores, which would bring CI's whole run
# from 18 to about 50 minutes, and QEMU's TCG guests here still sometimes wedge in
# OVMF's warm reset (the harness power-cycles them, at most 4 times a run).
# The README's section on `make test` gives the latest runs.
cd "$(dirname "$0")/../.." || exit 1
if [ "${DUALBOOT_E2E:-}" != 1 ]; then
	echo "1..0 # SKIP the whole-machine test runs with 'make e2e' or DUALBOOT_E2E=1 (about 35 min of QEMU TCG)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the e2e machine is built as root (mmdebstrap, chroot)"
	exit 0
fi
mkdir -p build
echo "# image build and harness story: build/e2e-test.log, serial logs: build/e2e/run/"
exec make -s e2e 2>>build/e2e-test.log
