# mk/demo.mk - `make demo`: the simulated dual-boot database server (issue 6).
#
#   make demo                          install the Debian packages it needs (as
#                                      root), build, stage the installation,
#                                      run demo/run.sh on it
#   make demo DEMO_ARGS="--keep"       keep the stopped clusters for inspection
#   make demo DEMO_DIR=/some/folder    another working folder (default build/demo)
#
# The demo runs a staged installation (`make install DESTDIR=$(DEMO_STAGE)`;
# the clusters load the extension through Debian's extension_destdir), so it
# leaves the system's PostgreSQL, /usr/sbin, the initramfs hooks and /etc
# as it found them. It installs only the packages the demo needs
# (tools/deps.sh demo): no kernel, QEMU or firmware.
# The summary is left in $(DEMO_DIR)/summary.txt and summary.json.

DEMO_DIR ?= build/demo
DEMO_ARGS ?=
DEMO_STAGE ?= build/demo-stage

.PHONY: demo demo-run
demo:
	tools/deps.sh demo
	@[ "$$(id -u)" = 0 ] || { echo "make demo: run it as root: it runs the clusters" \
		"as the postgres user" >&2; exit 1; }
	$(MAKE) all
	rm -rf $(DEMO_STAGE)
	$(MAKE) install DESTDIR=$(abspath $(DEMO_STAGE))
	$(MAKE) demo-run DEMO_ARGS="--destdir $(abspath $(DEMO_STAGE)) $(DEMO_ARGS)"

# The demo alone, on what is installed in the system (or, with
# DEMO_ARGS="--destdir DIR", staged in DIR).
demo-run:
	demo/run.sh --workdir $(DEMO_DIR) $(DEMO_ARGS)
