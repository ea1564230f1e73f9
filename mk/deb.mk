# mk/deb.mk - Debian packages (debian/, debhelper + pg_buildext).
#
#   make deb        postgresql-NN-dualboot (one per supported major) and
#                   dualboot into build/deb/, with lintian's report beside
#                   them (build/deb/lintian.txt; an error fails the target)
#   make deb-test   install, upgrade, remove and purge them in a fresh
#                   Debian 12 chroot (test/t/85-packages.t)
#
# The source is copied (tracked files plus local changes, without build/)
# to build/deb/src/ and built there, so the work tree stays clean.

DEB_DIR = build/deb

.PHONY: deb deb-test
deb:
	tools/deps.sh
	tools/build-deb.sh $(DEB_DIR)

deb-test:
	prove --timer test/t/85-packages.t
