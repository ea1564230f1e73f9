#!/bin/bash
# test/t/41-fingerprint-diff.t - the schema fingerprint against pg_dump as
# the oracle (issue 12): random migration histories over several seeds, on
# test/fingerprint/schema.sql, diff-extra.sql and two application schemas
# shipped in Debian packages; for every pair of states the fingerprints are
# equal exactly when the filtered pg_dump -s outputs are (and the
# include_privileges values exactly when the dumps with owners, ACLs and
# comments are). The generator and the dump filter: test/fingerprint/diff.py.
#
#   FPDIFF_SEEDS=1,2,3 FPDIFF_STEPS=30   (the defaults; `make
#   fingerprint-diff-long` runs more and writes its figures to bench/results/)
#
# Installs the extension into a scratch folder and runs inside a throw-away
# cluster (Debian's pg_virtualenv), as 40-fingerprint.t does. TAP.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
SEEDS=${FPDIFF_SEEDS:-1,2,3}
STEPS=${FPDIFF_STEPS:-30}

if [ "${1:-}" != --inside ]; then
	X=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-fpdiff.XXXXXX")
	trap 'rm -rf "$X"' EXIT
	chmod 755 "$X"
	if ! make -s install-extension DESTDIR="$X/install" >"$X/install.log" 2>&1; then
		echo "not ok 1 - make install-extension DESTDIR=<scratch>"
		sed 's/^/# /' "$X/install.log"
		echo "1..1"
		exit 1
	fi
	echo "ok 1 - make install-extension DESTDIR=<scratch>"
	unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
	pg_virtualenv -t -o "extension_destdir=$X/install" -o fsync=off "$0" --inside "$X"
	exit $?
fi

# ---- inside the throw-away cluster ----
X=$2
if test/fingerprint/diff.py --seeds "$SEEDS" --steps "$STEPS" --summary "$X/summary" >"$X/out" 2>&1; then
	echo "ok 2 - fingerprint equal exactly when pg_dump -s is equal (seeds $SEEDS, $STEPS steps each)"
	rc=0
else
	echo "not ok 2 - fingerprint equal exactly when pg_dump -s is equal (seeds $SEEDS, $STEPS steps each)"
	rc=1
fi
sed 's/^/# /' "$X/out" | head -400
if [ -n "${FPDIFF_SUMMARY:-}" ]; then
	{
		echo "# test/t/41-fingerprint-diff.t (FPDIFF_SEEDS=$SEEDS FPDIFF_STEPS=$STEPS), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem/ {print $2}') GB RAM"
		echo "server: $(psql -X -Atc 'SELECT version()' postgres | cut -d, -f1); runs: 1"
		cat "$X/summary"
	} >"$FPDIFF_SUMMARY"
fi
echo "1..2"
exit $rc
