#!/bin/bash
# `make pg-matrix`: the extension's SQL suites on every PostgreSQL major at
# hand, one line per major: "PostgreSQL <major>: PASS" or "FAIL (suites)".
#
#   tools/pg-matrix.sh [MAJOR...]   default: 15 (Debian 12's server) and every
#                                   major built by tools/build-pg.sh
#   tools/pg-matrix.sh --bench SIZE [MAJOR...]
#                                   instead of the suites, bench/fingerprint.sh
#                                   SIZE on each major (RUNS=5), figures to
#                                   bench/results/fingerprint-SIZE-pg<major>.txt
#
# For each major, a clean copy of the working tree (its tracked and new files)
# under build/pg-matrix/<major>/src is built with that major's pg_config
# (PGXS, WERROR=-Werror), and the suites that talk to a server run there
# unchanged: test/t/20-regress.t (the pg_regress suite, sql/35_upgrade among
# it: ALTER EXTENSION UPDATE from 1.0 equals a fresh install),
# 40-fingerprint.t, 41-fingerprint-diff.t and 42-fingerprint-majors.t (the
# mutations of each major's new catalog fields). Their throw-away cluster is
# tools/pg-virtualenv.sh, put first in PATH as pg_virtualenv, with the
# major's bin directory ahead of Debian's wrappers. Logs:
# build/pg-matrix/<major>/<suite>.log. A major that is not built is named as
# skipped with the command that builds it; exit status 1 when a major failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
SUITES=${PG_MATRIX_SUITES:-20-regress 40-fingerprint 41-fingerprint-diff 42-fingerprint-majors}
KNOWN="15 17 18 19"	# the majors the project follows (issue 18)
BENCH=""
if [ "${1:-}" = --bench ]; then
	BENCH=${2:?usage: tools/pg-matrix.sh --bench SIZE [MAJOR...]}
	shift 2
fi

pg_config_of() {
	if [ -x "$ROOT/build/pg/$1/bin/pg_config" ]; then
		echo "$ROOT/build/pg/$1/bin/pg_config"
	elif [ -x "/usr/lib/postgresql/$1/bin/pg_config" ] && [ -x "/usr/lib/postgresql/$1/bin/postgres" ]; then
		echo "/usr/lib/postgresql/$1/bin/pg_config"
	fi
}

if [ $# -gt 0 ]; then
	majors="$*"
else
	majors=""
	for m in $KNOWN $(ls "$ROOT/build/pg" 2>/dev/null); do
		case " $majors " in *" $m "*) continue ;; esac
		majors="$majors $m"
	done
fi

# the copy: tracked and new (not ignored) files of the working tree
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$1"
}

rc=0
summary=""
for m in $majors; do
	pgc=$(pg_config_of "$m")
	if [ -z "$pgc" ]; then
		if [ "$m" = 15 ]; then
			line="PostgreSQL $m: SKIPPED (not installed: tools/deps.sh installs it)"
		else
			line="PostgreSQL $m: SKIPPED (not built: tools/build-pg.sh $m"
			# the last attempt's reason (tools/build-pg.sh keeps apt's errors)
			if grep -q '^E:.*404' "$ROOT/build/pg-src/$m.source.log" 2>/dev/null; then
				line="$line; its last attempt: the archive did not serve the source package (404)"
			fi
			line="$line)"
		fi
		echo "$line"
		summary="$summary$line"$'\n'
		continue
	fi
	D=$ROOT/build/pg-matrix/$m
	mkdir -p "$D"
	copy_tree "$D/src"
	# the application schemas of 41-fingerprint-diff.t (tools/deps.sh)
	mkdir -p "$D/src/build"
	[ -d "$ROOT/build/debian-schemas" ] && ln -s "$ROOT/build/debian-schemas" "$D/src/build/"
	bindir=$("$pgc" --bindir)
	shim=$D/shim
	mkdir -p "$shim"
	ln -sf "$ROOT/tools/pg-virtualenv.sh" "$shim/pg_virtualenv"
	version=$("$pgc" --version)
	start=$(date +%s)
	failed=""
	if ! make -C "$D/src" -s PG_CONFIG="$pgc" WERROR=-Werror all >"$D/build.log" 2>&1; then
		failed="build"
	elif [ -n "$BENCH" ]; then
		if ! (cd "$D/src" && PATH="$shim:$bindir:$PATH" PG_CONFIG="$pgc" RUNS=${RUNS:-5} \
			BENCH_RESULTS="$ROOT/bench/results" BENCH_SUFFIX="-pg$m" \
			bench/fingerprint.sh "$BENCH") >"$D/bench.log" 2>&1; then
			failed="bench"
		fi
	else
		for s in $SUITES; do
			if ! (cd "$D/src" && PATH="$shim:$bindir:$PATH" PG_CONFIG="$pgc" \
				prove -v "test/t/$s.t") >"$D/$s.log" 2>&1; then
				failed="$failed${failed:+, }$s"
			fi
		done
	fi
	secs=$(($(date +%s) - start))
	if [ -z "$failed" ] && [ -n "$BENCH" ]; then
		r=$ROOT/bench/results/fingerprint-$BENCH-pg$m.txt
		line="PostgreSQL $m: $BENCH tables: fingerprint vs pg_dump -s $(sed -n 's/^speedup vs pg_dump -s, fresh connections both: \([0-9.]*x\).*/\1/p' "$r") (fresh connections), $(sed -n 's/^speedup vs pg_dump -s, function time: //p' "$r") (function time); bench/results/${r##*/}"
	elif [ -z "$failed" ]; then
		line="PostgreSQL $m: PASS"
	else
		line="PostgreSQL $m: FAIL ($failed)"
		rc=1
	fi
	echo "# $version: $secs s, logs in build/pg-matrix/$m/"
	echo "$line"
	summary="$summary$line"$'\n'
done
printf '%s' "$summary" >"$ROOT/build/pg-matrix/summary.txt" 2>/dev/null || true
exit $rc
