# mk/demo.mk - `make demo`: the simulated dual-boot database server (issue 6).
#
#   make demo                          install what is missing (as root), build,
#                                      install, run demo/run.sh
#   make demo DEMO_ARGS="--keep"       keep the stopped clusters for inspection
#   make demo DEMO_DIR=/some/folder    another working folder (default build/demo)
#
# The demo runs the installed extension and dualbootctl, so it installs them
# first (it is meant for a throw-away Debian 12 machine, like `make test`).
# The summary is left in $(DEMO_DIR)/summary.txt and summary.json.

DEMO_DIR ?= build/demo
DEMO_ARGS ?=

.PHONY: demo demo-run
demo:
	tools/deps.sh
	@[ "$$(id -u)" = 0 ] || { echo "make demo: run it as root: it installs dualboot" \
		"and runs the clusters as the postgres user" >&2; exit 1; }
	$(MAKE) all
	$(MAKE) install
	$(MAKE) demo-run

# The demo alone, on what is already installed.
demo-run:
	demo/run.sh --workdir $(DEMO_DIR) $(DEMO_ARGS)
