#!/bin/sh
# demo/restore-drill.sh - restore last night's backup into a scratch database,
# as a restore drill does: only ever on the test slot.
#
#   restore-drill.sh BACKUP.sql DBNAME
#
# A shell script cannot call dualboot_require_test() before its first
# statement reaches the server (createdb already changes the server), so it
# asks `dualbootctl require-test` first (DUALBOOTCTL names the binary) and
# stops with its one-line reason on any other slot. PGBIN may name the
# PostgreSQL client programs' folder; the connection comes from the libpq
# environment. Exit status: 0 restored, 3 refused, other: the failure.
set -eu
[ $# = 2 ] || { echo "usage: restore-drill.sh BACKUP.sql DBNAME" >&2; exit 2; }
backup=$1 db=$2
bin=${PGBIN:+$PGBIN/}

if ! "${DUALBOOTCTL:-dualbootctl}" require-test; then
	echo "restore-drill: refused: not on the test slot; nothing was restored" >&2
	exit 3
fi
"${bin}createdb" "$db"
"${bin}psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$backup" >/dev/null
echo "restore-drill: $backup restored into database $db"
