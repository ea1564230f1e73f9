# mk/e2e.mk - the end-to-end test of a whole dual-boot database server
# (issue 13): OVMF + GRUB + two Debian 12 slots under QEMU (TCG).
#
#   make e2e          build the disk (test/e2e/build.sh; the Debian base
#                     root is cached under build/e2e/cache/) and run every
#                     scenario (test/e2e/harness.py, TAP on stdout)
#   make e2e-image    the disk only
#   E2E_ONLY=core     run some scenarios only (comma-separated)
#
# As root (mmdebstrap --mode=root, chroot). Logs: build/e2e/run/.

E2E_ONLY ?=

.PHONY: e2e e2e-image
e2e-image: build/dualbootctl
	test/e2e/build.sh >&2

e2e: e2e-image
	test/e2e/harness.py $(if $(E2E_ONLY),--only $(E2E_ONLY)) --bench bench/results/e2e-boot.txt
