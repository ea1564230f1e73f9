#!/bin/bash
# test/t/46-pg-matrix.t - the server suites (20-regress, 40-fingerprint,
# 41-fingerprint-diff, 42-fingerprint-majors) on the newer PostgreSQL majors
# (17, 18, 19), as `make pg-matrix` runs them (tools/pg-matrix.sh), for each
# major whose build is cached under build/pg/<major>/ (tools/build-pg.sh, or
# `make pg-builds`). 15, Debian 12's server, is what the other suites of
# `make test` run on, so it is not run twice here.
#
# `make test` does not build the majors unless asked (DUALBOOT_PG_BUILD=1):
# each takes six to ten minutes to build on two shared cores
# (bench/results/pg-builds.txt), three of them with their matrix runs about
# half an hour on top of the ten minutes of `make test`, and a build needs
# the newer Debian releases' source packages from the archive, which need
# not serve them (17 and 19 were not served where this was written). A
# clean clone (CI) has no builds, and this suite then says which majors it
# skipped and the command that runs them. TAP, one test per major.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
for m in 17 18 19; do
	n=$((n + 1))
	if [ ! -x "build/pg/$m/bin/pg_config" ] && [ "${DUALBOOT_PG_BUILD:-}" = 1 ]; then
		tools/build-pg.sh "$m" 2>&1 | sed 's/^/# /'
	fi
	if [ ! -x "build/pg/$m/bin/pg_config" ]; then
		echo "ok $n # SKIP PostgreSQL $m: no cached build in build/pg/$m (make pg-builds, then make pg-matrix)"
		continue
	fi
	out=$(tools/pg-matrix.sh "$m" 2>&1)
	echo "$out" | sed 's/^/# /'
	if echo "$out" | grep -qx "PostgreSQL $m: PASS"; then
		echo "ok $n - PostgreSQL $m: the server suites pass"
	else
		failed=$((failed + 1))
		echo "not ok $n - PostgreSQL $m: $(echo "$out" | grep "^PostgreSQL $m:")"
		for f in build/pg-matrix/"$m"/*.log; do
			grep -E '^(not ok|# )' "$f" 2>/dev/null | head -40 | sed "s|^|# ${f##*/}: |"
		done
	fi
done
echo "1..$n"
[ "$failed" = 0 ]
