#!/bin/bash
# A throw-away cluster of any PostgreSQL build, with the interface of
# Debian's pg_virtualenv that the suites use (pg_virtualenv -t -o GUC=VALUE
# ... COMMAND ARGS): `make pg-matrix` puts it first in PATH as pg_virtualenv,
# so that test/t/20-regress.t, 40-fingerprint.t and 41-fingerprint-diff.t run
# unchanged against a major built by tools/build-pg.sh, which
# pg_createcluster (postgresql-common) does not know.
#
# The server is the one whose bin directory holds the first pg_config in
# PATH (or $PG_CONFIG). As root, the cluster belongs to postgres (the server
# refuses root). It listens on localhost, on a free TCP port that is not
# 5432, and on a Unix socket in its scratch folder, with a random password
# (scram-sha-256) as pg_virtualenv does; COMMAND gets PGHOST, PGPORT, PGUSER,
# PGPASSWORD, PGDATABASE, PG_CONFIG and PGVERSION as pg_virtualenv gives
# them. -o extension_destdir=DIR (Debian's patch, up to 17) becomes
# extension_control_path and dynamic_library_path on a major without it.
# The cluster is stopped and removed when COMMAND ends; its log is printed
# when COMMAND fails.
set -eu

usage() { echo "usage: pg-virtualenv.sh [-t] [-o GUC=VALUE]... [-v VERSION] COMMAND [ARGS]" >&2; exit 2; }
opts=()
while getopts "o:tv:" opt; do
	case $opt in
	o) opts+=("$OPTARG") ;;
	t | v) ;;	# always a temporary folder; the version is PATH's
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage

pgc=${PG_CONFIG:-pg_config}
case $pgc in */*) ;; *) pgc=$(command -v "$pgc") ;; esac
bindir=$("$pgc" --bindir)
sharedir=$("$pgc" --sharedir)
pkglibdir=$("$pgc" --pkglibdir)
version=$("$pgc" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
[ -x "$bindir/postgres" ] || { echo "pg-virtualenv: no server in $bindir" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/pg-virtualenv.XXXXXX")
chmod 755 "$W"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$W"
owner=$(stat -c %U "$W")

# a free port: none in use by a listener, 5432 never
port=""
for p in $(seq $((55000 + version * 20 + RANDOM % 20)) 56999); do
	[ "$p" = 5432 ] && continue
	ss -Hltn "sport = :$p" | grep -q . || { port=$p; break; }
done
[ -n "$port" ] || { echo "pg-virtualenv: no free port" >&2; exit 2; }

cleanup() {
	as_owner "$bindir/pg_ctl" -D "$W/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT HUP INT TERM

PGPASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$PGPASSWORD" >"$W/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$W/pwfile"
as_owner "$bindir/initdb" -D "$W/data" -U "$owner" -A scram-sha-256 --pwfile="$W/pwfile" --no-sync -E UTF8 \
	--locale=C.UTF-8 >"$W/initdb.log" 2>&1 ||
	{ cat "$W/initdb.log" >&2; exit 2; }
{
	echo "port = $port"
	echo "listen_addresses = 'localhost'"
	echo "unix_socket_directories = '$W'"
	echo "fsync = off"
	for o in ${opts[@]+"${opts[@]}"}; do
		k=${o%%=*} v=${o#*=}
		if [ "$k" = extension_destdir ] && ! grep -q extension_destdir "$sharedir/postgresql.conf.sample"; then
			# Debian's extension_destdir patch ended with 18, where upstream's
			# extension_control_path and dynamic_library_path (which '$libdir/'
			# module names are searched in) do the same
			echo "extension_control_path = '$v$sharedir:\$system'"
			echo "dynamic_library_path = '$v$pkglibdir:\$libdir'"
			continue
		fi
		echo "$k = '$v'"
	done
} >>"$W/data/postgresql.conf"
if ! as_owner "$bindir/pg_ctl" -D "$W/data" -l "$W/server.log" -w -t 120 start >/dev/null; then
	cat "$W/server.log" >&2
	exit 2
fi

rm -f "$W/pwfile"
export PGHOST=localhost PGPORT=$port PGUSER=$owner PGPASSWORD PGDATABASE=postgres \
	PG_CONFIG=$pgc PGVERSION=$version
unset PGHOSTADDR PGSERVICE PGSYSCONFDIR
rc=0
"$@" || rc=$?
if [ "$rc" != 0 ]; then
	echo "*** server log (last 100 lines) ***"
	tail -100 "$W/server.log"
fi
exit "$rc"
