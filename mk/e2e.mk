# mk/e2e.mk - the end-to-end test of a whole dual-boot database server
# (issue 13): OVMF + GRUB + two Debian 12 slots under QEMU (TCG).
#
#   make e2e          build the disk (test/e2e/build.sh; the Debian base
#                     root is cached under build/e2e/cache/) and run every
#                     scenario (test/e2e/harness.py, TAP on stdout)
#   make e2e-image    the disk only
#   E2E_ONLY=core     run some scenarios only (comma-separated)
#   E2E_RESULTS=DIR   where the figures go (e2e-build.txt, e2e-boot.txt);
#                     bench/results by default, build/e2e/results from
#                     `make test` (test/t/80-e2e.t), so a test run does not
#                     rewrite the committed figures
#
# As root (mmdebstrap --mode=root, chroot). Logs: build/e2e/run/.

E2E_ONLY ?=
E2E_RESULTS ?= bench/results
export E2E_RESULTS

.PHONY: e2e e2e-image
e2e-image: build/dualbootctl
	test/e2e/build.sh >&2

e2e: e2e-image
	test/e2e/harness.py $(if $(E2E_ONLY),--only $(E2E_ONLY)) --bench $(E2E_RESULTS)/e2e-boot.txt
