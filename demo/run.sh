#!/bin/bash
# demo/run.sh - a simulated dual-boot database server (issue 6; `make demo`).
#
# Two PostgreSQL clusters stand for the root partitions of slot A and slot B,
# one record file stands for the shared state partition, and every "boot" is
# the real `dualbootctl boot-select` choosing which cluster starts; the marker
# it writes is the one the extension reads (dualboot.boot_marker_path). Only
# the chosen slot's cluster runs, as on real hardware.
#
#   demo/run.sh [--workdir DIR] [--destdir DIR] [--keep] [--fail-at N]
#
#   --workdir DIR   the working folder (default: $DUALBOOT_DEMO_DIR, else
#                   build/demo in the repository)
#   --destdir DIR   run what `make install DESTDIR=DIR` staged there, not
#                   the system's installation (the clusters load the
#                   extension through Debian's extension_destdir setting)
#   --keep          keep the stopped clusters for inspection
#   --fail-at N     stop with a failure when part N (1-8) starts (tests the
#                   failure path: exit status 1, nothing left running)
#
# Needs root (the clusters run as the `postgres` user; the selector runs as
# root, as in the initramfs), the installed extension, dualbootctl and
# dualboot-confirm (`make install`), and python3 with psycopg2. Writes the
# narration to the terminal and the summary to DIR/summary.txt and
# DIR/summary.json.
# Exit status: 0 when every scenario behaved as designed, 1 otherwise.

set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=$TOP/demo
WORK=${DUALBOOT_DEMO_DIR:-$TOP/build/demo}
KEEP=0
FAIL_AT=
STAGE=

usage() { sed -n '10,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
		--workdir) [ $# -ge 2 ] || { usage >&2; exit 2; }; WORK=$2; shift 2 ;;
		--destdir) [ $# -ge 2 ] || { usage >&2; exit 2; }; STAGE=$2; shift 2 ;;
		--keep) KEEP=1; shift ;;
		--fail-at) [ $# -ge 2 ] || { usage >&2; exit 2; }; FAIL_AT=$2; shift 2 ;;
		-h|--help) usage; exit 0 ;;
		*) echo "demo/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done

# ---- narration --------------------------------------------------------------

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' OFF=$'\e[0m'
else
	BOLD='' DIM='' RED='' GREEN='' OFF=''
fi
title() { printf '\n%s== %s ==%s\n' "$BOLD" "$*" "$OFF"; }
say() { printf '%s\n' "$*"; }
indent() { sed 's/^/    /'; }

# ---- failure handling ---------------------------------------------------------

START=$SECONDS
FAILFILE=
FAILED=
fail() {
	local msg=$*
	# a failure inside $(...) is reported by the parent with this message
	if [ -n "$FAILFILE" ] && [ "$BASH_SUBSHELL" -gt 0 ]; then
		printf '%s\n' "$msg" >"$FAILFILE"
		exit 1
	fi
	if [ -n "$FAILFILE" ] && [ -s "$FAILFILE" ]; then
		msg="$(cat "$FAILFILE")"
		: >"$FAILFILE"
	fi
	FAILED=$msg
	printf '\n%sdemo FAILED: %s%s\n' "$RED" "$msg" "$OFF" >&2
	exit 1
}
trap 'fail "command failed (exit status $?) at demo/run.sh line $LINENO${FUNCNAME[0]:+ in ${FUNCNAME[0]}(), called from line ${BASH_LINENO[0]}}: $BASH_COMMAND"' ERR

# ---- preflight ------------------------------------------------------------------

[ "$(id -u)" = 0 ] || fail "run the demo as root (make demo): the clusters run as the \
postgres user and the boot selector as root, as on a real machine"
id postgres >/dev/null 2>&1 || fail "no postgres user: install postgresql-15 (tools/deps.sh)"
command -v pg_config >/dev/null || fail "pg_config not found: install postgresql-server-dev-15 (tools/deps.sh)"
PGBIN=$(pg_config --bindir)
for p in initdb pg_ctl pg_basebackup pg_dump psql createdb postgres; do
	[ -x "$PGBIN/$p" ] || fail "$PGBIN/$p not found: install postgresql-15 (tools/deps.sh)"
done
PGLIB=$(pg_config --pkglibdir)
PGEXT=$(pg_config --sharedir)/extension
if [ -n "$STAGE" ]; then
	[ -d "$STAGE" ] || fail "--destdir $STAGE: no such folder (make install DESTDIR=$STAGE)"
	STAGE=$(cd "$STAGE" && pwd)
	"$PGBIN/postgres" --describe-config 2>/dev/null | grep '^extension_destdir' >/dev/null ||
		fail "--destdir needs Debian's extension_destdir setting, which this PostgreSQL lacks"
	[ -f "$STAGE$PGEXT/dualboot.control" ] ||
		fail "no dualboot extension under $STAGE: run 'make install DESTDIR=$STAGE'"
	CTL=${DUALBOOTCTL:-$STAGE/usr/sbin/dualbootctl}
	LIBDIR=$STAGE/usr/lib/dualboot
	INSTALL_HINT="make install DESTDIR=$STAGE"
else
	[ -f "$PGEXT/dualboot.control" ] ||
		fail "the dualboot extension is not installed: run 'make install' (or 'make demo')"
	CTL=${DUALBOOTCTL:-}
	if [ -z "$CTL" ]; then
		CTL=$(command -v dualbootctl || true)
		[ -n "$CTL" ] || CTL=$TOP/build/dualbootctl
	fi
	LIBDIR=/usr/lib/dualboot
	INSTALL_HINT="make install"
fi
EXTLIB=$STAGE$PGLIB/dualboot.so
EXTSUM=$(cat "$EXTLIB" "$STAGE$PGEXT"/dualboot--*.sql 2>/dev/null | md5sum)
[ -x "$CTL" ] || fail "dualbootctl not found: run '$INSTALL_HINT' (or 'make demo')"
CONFIRM=${DUALBOOT_CONFIRM:-$LIBDIR/dualboot-confirm}
[ -x "$CONFIRM" ] || fail "$CONFIRM not found: run '$INSTALL_HINT' (or 'make demo')"
[ -x "$LIBDIR/dualboot-select" ] ||
	fail "$LIBDIR/dualboot-select not found: run '$INSTALL_HINT' (or 'make demo')"
PY=${PYTHON:-}
if [ -z "$PY" ]; then
	# Debian's python3-psycopg2 is for the system interpreter, which another
	# python3 earlier in PATH may not see.
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import psycopg2' 2>/dev/null; then
			PY=$p
			break
		fi
	done
fi
[ -n "$PY" ] || fail "python3 with psycopg2 not found: install python3-psycopg2 (tools/deps.sh)"

# ---- the working folder -------------------------------------------------------
#
#   WORK/summary.txt, summary.json   the summary (kept)
#   WORK/state                       the record at the end (kept)
#   WORK/log/                        server logs and the demo's own files (kept)
#   MACHINE/                         the simulated machine (WORK/machine)
#     state                          the shared state partition (postgres, 0600)
#     dualboot.conf                  the machine's /etc/dualboot/dualboot.conf
#     run/booted                     the boot marker (the machine's /run)
#     slot-A/data, slot-B/data       the root partitions: one cluster each
#     backup/                        where stable's pg_dump goes

pg() { runuser -u postgres -- "$@" 9>&-; }
# the simulated machine's power and boots: tools/sim-machine.sh, shared with
# the fleet suite (test/t/75-fleet.t); fd 9 (the demo's lock) stays here
sim() { PGBIN=$PGBIN "$TOP/tools/sim-machine.sh" "$@" 9>&-; }
stop_cluster() { sim stop-cluster "$1"; }

# Stop and remove what a previous run (possibly killed) left behind: the
# machine folder under WORK, or the temporary one named in WORK/machine.path.
remove_machine() {
	local m=$1
	[ -n "$m" ] && [ -d "$m" ] || return 0
	case $m in
		"$WORK/machine" | */dualboot-demo.??????) ;;
		*) fail "$WORK/machine.path names $m, which is not a demo machine folder" ;;
	esac
	stop_cluster "$m/slot-A/data"
	stop_cluster "$m/slot-B/data"
	rm -rf "$m"
}

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
# every path from here on is absolute; the postgres user may not be allowed
# into the caller's folder
cd /
# one demo at a time in a working folder (the lock goes with the process)
exec 9>>"$WORK/.lock"
flock -n 9 || fail "another demo is running in $WORK: wait for it, or use --workdir"
remove_machine "$WORK/machine"
[ -f "$WORK/machine.path" ] && remove_machine "$(cat "$WORK/machine.path")"
rm -f "$WORK/machine.path" "$WORK/summary.txt" "$WORK/summary.json" "$WORK/state"
rm -rf "$WORK/log"
mkdir -p "$WORK/log"
FAILFILE=$WORK/log/failure
STEPS=$WORK/log/steps.jsonl
CHECKS=$WORK/log/checks.jsonl
: >"$STEPS"
: >"$CHECKS"

MACHINE=$WORK/machine
mkdir -p "$MACHINE" && chmod 0755 "$MACHINE"
if ! pg test -x "$MACHINE" 2>/dev/null; then
	# a parent folder is private to root: put the machine where postgres can go
	rm -rf "$MACHINE"
	MACHINE=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-demo.XXXXXX")
	chmod 0755 "$MACHINE"
	echo "$MACHINE" >"$WORK/machine.path"
fi
STATE=$MACHINE/state
CONF=$MACHINE/dualboot.conf
CTLM=$MACHINE/bin/dualbootctl
MARKER=$MACHINE/run/booted
mkdir -p "$MACHINE/log" "$MACHINE/bin"
install -d -m 0700 "$MACHINE/backup"
chown postgres: "$MACHINE/log"
install -d -o postgres -g postgres -m 0755 "$MACHINE/slot-A" "$MACHINE/slot-B"

RUNNING=
cleanup() {
	local rc=$?
	trap - ERR
	set +eu
	[ -n "$RUNNING" ] && stop_cluster "$MACHINE/slot-$RUNNING/data"
	stop_cluster "$MACHINE/slot-A/data"
	stop_cluster "$MACHINE/slot-B/data"
	cp "$MACHINE"/log/*.log "$WORK/log/" 2>/dev/null
	[ -f "$STATE" ] && cp -p "$STATE" "$WORK/state"
	if [ "$rc" != 0 ]; then
		if [ -z "$FAILED" ]; then
			FAILED="interrupted (exit status $rc)"
			printf '\n%sdemo FAILED: %s%s\n' "$RED" "$FAILED" "$OFF" >&2
		fi
		if [ "$(cat "$EXTLIB" "$STAGE$PGEXT"/dualboot--*.sql 2>/dev/null | md5sum)" != "$EXTSUM" ]
		then
			FAILED="$FAILED (note: the installed extension was replaced while the demo ran)"
			say "note: the installed extension ($EXTLIB) was replaced while the demo ran:" \
				"another 'make install'?" >&2
		fi
		printf '%s\n' "$FAILED" >"$WORK/log/failure"
		summary failed "$FAILED" >/dev/null 2>&1
		say "the steps so far are in $WORK/summary.txt; server logs in $WORK/log/" >&2
	fi
	if [ "$KEEP" = 1 ]; then
		say "kept the stopped clusters under $MACHINE (--keep)"
	else
		rm -rf "$MACHINE"
		rm -f "$WORK/machine.path"
	fi
	[ "$rc" = 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- checks -------------------------------------------------------------------

record_check() { # NAME OK DETAIL
	"$PY" -c 'import json, sys
print(json.dumps({"name": sys.argv[1], "ok": sys.argv[2] == "1", "detail": sys.argv[3]}))' \
		"$1" "$2" "$3" >>"$CHECKS"
}
# expect NAME WHAT ACTUAL EXPECTED: the demo stops unless ACTUAL = EXPECTED
expect() {
	if [ "$3" = "$4" ]; then
		record_check "$1" 1 "$2: $3"
		say "    ${GREEN}ok${OFF} $2: $3"
	else
		record_check "$1" 0 "$2: expected '$4', got '$3'"
		fail "$2: expected '$4', got '$3'"
	fi
}
# expect_ne NAME WHAT ACTUAL UNWANTED
expect_ne() {
	if [ "$3" != "$4" ]; then
		record_check "$1" 1 "$2: $3"
		say "    ${GREEN}ok${OFF} $2: $3"
	else
		record_check "$1" 0 "$2: got '$3'"
		fail "$2: got '$3'"
	fi
}

# count PATTERN: how many lines of stdin match (0 is not an error)
count() { grep -c -- "$1" || true; }

scenario() {
	if [ -n "$FAIL_AT" ] && [ "$1" = "$FAIL_AT" ]; then
		fail "stopped at scenario $1 as asked (--fail-at $FAIL_AT)"
	fi
	title "$2"
}

# ---- the machine -------------------------------------------------------------

# A free port below the kernel's ephemeral range (outgoing connections take
# those), the same for both slots: the machine has one PostgreSQL at a time.
PORT=$(sim free-port)
[ -n "$PORT" ] || fail "no free TCP port on 127.0.0.1 between 20000 and 29999"
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=app
unset PGPASSWORD PGSERVICE PGOPTIONS

sql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

shutdown_machine() {
	if [ -n "$RUNNING" ]; then
		say "  shutdown: stopping PostgreSQL on slot $RUNNING"
		# and dualboot-stop-point.service: on stable during an armed trial,
		# where its WAL stands and what it wrote since the test slot's copy
		# (MACHINE/log/stop-point.log)
		sim shutdown "$MACHINE"
		RUNNING=
	fi
}

# boot WHY: power-cycle the machine. The real selector decides; the chosen
# slot's "root" holds the cluster that starts. Sets B_SLOT, B_ROLE, B_ROOT,
# B_UP (1 when PostgreSQL came up) and BOOTS.
BOOTS=0
boot() {
	local out rc=0 k v
	shutdown_machine
	BOOTS=$((BOOTS + 1))
	say "${BOLD}boot #$BOOTS${OFF} ($1): dualbootctl boot-select"
	# tools/sim-machine.sh boot: boot-select, then the chosen slot's cluster
	out=$(sim boot "$MACHINE" 2>"$WORK/log/boot-select.err") || rc=$?
	sed 's/^/  selector stderr: /' "$WORK/log/boot-select.err"
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "tools/sim-machine.sh boot exited with status $rc"
	B_SLOT='' B_ROLE='' B_ROOT='' B_WHY='' B_TRIAL=''
	while IFS='=' read -r k v; do
		v=${v#\'} v=${v%\'}
		case $k in
			DUALBOOT_SLOT) B_SLOT=$v ;;
			DUALBOOT_ROLE) B_ROLE=$v ;;
			DUALBOOT_ROOT) B_ROOT=$v ;;
			DUALBOOT_TRIAL) B_TRIAL=$v ;;
			DUALBOOT_WHY) B_WHY=$v ;;
		esac
	done <<<"$out"
	[ -z "$B_WHY" ] || say "  selector: $B_WHY"
	say "  selector: DUALBOOT_SLOT=$B_SLOT DUALBOOT_ROLE=$B_ROLE DUALBOOT_TRIAL=$B_TRIAL DUALBOOT_ROOT=$B_ROOT"
	case $B_SLOT in A|B) ;; *) fail "boot-select printed no DUALBOOT_SLOT=A|B line: $out" ;; esac
	case $B_ROLE in stable|test) ;; *) fail "boot-select printed no DUALBOOT_ROLE line: $out" ;; esac
	[ "$B_ROOT" = "$MACHINE/slot-$B_SLOT" ] ||
		fail "boot-select chose root '$B_ROOT', not the configured $MACHINE/slot-$B_SLOT"
	[ -f "$MARKER" ] || fail "boot-select left no boot marker at $MARKER"
	local log=$MACHINE/log/slot-$B_SLOT.log
	if [ "$rc" = 0 ]; then
		B_UP=1
		RUNNING=$B_SLOT
		say "  slot $B_SLOT is up ($B_ROLE): PostgreSQL answers on 127.0.0.1:$PORT"
	else
		B_UP=0
		[ -f "$B_ROOT/data/postmaster.pid" ] && RUNNING=$B_SLOT
		say "  slot $B_SLOT ($B_ROLE): PostgreSQL did not come up; its log says:"
		tail -n 2 "$log" 2>/dev/null | indent
	fi
}

# The boot's health check: the installed dualboot-confirm script, as
# dualboot-confirm.service runs it on every boot (it confirms a trial boot
# once PostgreSQL answers and the fingerprints recorded for this slot match;
# on other boots it does nothing). Sets B_CONFIRMED (1 when it confirmed).
confirm_boot() {
	local rc=0
	DUALBOOT_MARKER=$MARKER DUALBOOT_CONF=$CONF DUALBOOTCTL=$CTLM DUALBOOT_LIBDIR=$LIBDIR \
		DUALBOOT_CONFIRM_TIMEOUT=2 "$CONFIRM" >"$WORK/log/confirm.out" 2>&1 || rc=$?
	sed 's/^/  /' "$WORK/log/confirm.out"
	B_CONFIRMED=0
	[ "$rc" = 0 ] && [ "$B_ROLE" = test ] && B_CONFIRMED=1
	return 0
}

# probe LABEL SCENARIO [probe.py options]: record a summary row, set P_*.
probe() {
	local label=$1 scen=$2 facts
	shift 2
	facts=$(DEMO_CTL=$CTLM DEMO_STATE=$STATE DEMO_MARKER=$MARKER "$PY" "$DEMO/probe.py" \
		--steps "$STEPS" --label "$label" --scenario "$scen" --boot "$BOOTS" \
		--booted-slot "$B_SLOT" --booted-role "$B_ROLE" --up "$B_UP" "$@") ||
		fail "could not observe the machine after: $label"
	eval "$facts"
	say "  ${DIM}record: seq $P_SEQ, stable $P_STABLE_SLOT, armed $P_TRIAL_ARMED, tries $P_TRIES_LEFT/$P_TRIES_TOTAL, confirmed $P_CONFIRMED, next boot $P_NEXT_BOOT_SLOT, last event $P_LAST_EVENT${OFF}"
}

# migrate MIGRATION: run demo/migrate.py; sets M_RC, M_SQLSTATE, M_STEP.
migrate() {
	local res=$WORK/log/migration-$1.json
	M_RC=0
	"$PY" "$DEMO/migrate.py" --result "$res" "$1" || M_RC=$?
	[ "$M_RC" = 0 ] || [ "$M_RC" = 3 ] || fail "migrate.py $1 crashed (status $M_RC)"
	eval "$("$PY" -c 'import json, shlex, sys
r = json.load(open(sys.argv[1]))
print("M_SQLSTATE=%s M_STEP=%s" % (shlex.quote(r["sqlstate"] or ""),
      shlex.quote("" if r["failed_statement"] is None else str(r["failed_statement"]))))' "$res")"
}

summary() { # RESULT [ERROR]
	"$PY" "$DEMO/summary.py" --steps "$STEPS" --checks "$CHECKS" --out-dir "$WORK" \
		--history "$WORK/log/history.json" \
		--meta "result=$1" --meta "error=${2:-}" --meta "workdir=$WORK" \
		--meta "machine=$MACHINE" --meta "port=$PORT" --meta "boots=$BOOTS" \
		--meta "elapsed_seconds=$((SECONDS - START))" --meta "dualbootctl=$CTL" \
		--meta "baseline_fingerprint=${BASE_FP:-}" --meta "users_rows=${BASE_USERS:-}"
}

B_SLOT='' B_ROLE='' B_UP=0

# ==== set-up ===================================================================

title "dualboot demo: a simulated dual-boot database server"
say "working folder:  $WORK"
[ "$MACHINE" = "$WORK/machine" ] ||
	say "machine folder:  $MACHINE (postgres cannot reach $WORK)"
say "the machine:     slot A root = $MACHINE/slot-A, slot B root = $MACHINE/slot-B,"
say "                 shared state partition = $STATE, /run = $MACHINE/run"
say "PostgreSQL:      $("$PGBIN/postgres" --version), on 127.0.0.1:$PORT only"
say "selector:        $CTL boot-select (the decision the initramfs makes)"
say "health check:    $CONFIRM (what dualboot-confirm.service runs)"

scenario 1 "1. Set-up: stable slot A with the application database"
cat >"$CONF" <<EOF
# The simulated machine's /etc/dualboot/dualboot.conf: the shared partition
# is a plain file, each slot's root is a folder holding its cluster.
state_device=$STATE
slot_a=$MACHINE/slot-A
slot_b=$MACHINE/slot-B
default=A
EOF
# dualbootctl as this machine's administrator runs it: its configuration is
# $CONF (never the host's /etc/dualboot) and its /run is $MACHINE/run, where
# the current slot's boot marker is (dualboot-confirm calls it too)
cat >"$CTLM" <<EOF
#!/bin/sh
exec "$CTL" --config "$CONF" --marker "$MARKER" "\$@"
EOF
chmod 0755 "$CTLM"
"$CTLM" --state "$STATE" init --stable A >/dev/null
chown postgres:postgres "$STATE"
chmod 0600 "$STATE"
say "  dualbootctl init --stable A: record on the shared partition, owner postgres, mode 0600"
expect state_owner_mode "state file owner and mode" "$(stat -c '%U %a' "$STATE")" "postgres 600"

# Superuser postgres with a random password (scram-sha-256, loopback TCP
# only, no Unix socket): no other local user can get into the demo's
# clusters. The clients find the password in PGPASSFILE.
password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
install -o postgres -g postgres -m 0600 /dev/null "$MACHINE/pwfile"
install -o postgres -g postgres -m 0600 /dev/null "$MACHINE/pgpass"
printf '%s\n' "$password" >"$MACHINE/pwfile"
printf '127.0.0.1:*:*:postgres:%s\n' "$password" >"$MACHINE/pgpass"
unset password
export PGPASSFILE=$MACHINE/pgpass
say "  initdb: the cluster of slot A (superuser postgres, password in a private file)"
pg "$PGBIN/initdb" -D "$MACHINE/slot-A/data" -U postgres --pwfile="$MACHINE/pwfile" \
	--auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C -N \
	>"$MACHINE/log/initdb.log" 2>&1 || fail "initdb failed: see $MACHINE/log/initdb.log"
rm -f "$MACHINE/pwfile"
cat >>"$MACHINE/slot-A/data/postgresql.conf" <<EOF

# ---- dualboot demo: the simulated machine ----
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
cluster_name = 'dualboot-demo'
dualboot.state_path = '$STATE'
dualboot.boot_marker_path = '$MARKER'
# stable keeps the WAL since the test slot's copy, for its stop point
wal_keep_size = '256MB'
EOF
if [ -n "$STAGE" ]; then
	# the staged extension, copied where the postgres user can read it
	mkdir -p "$MACHINE/install$PGLIB" "$MACHINE/install$PGEXT"
	cp -p "$STAGE$PGLIB"/dualboot.so "$MACHINE/install$PGLIB/"
	cp -p "$STAGE$PGEXT"/dualboot* "$MACHINE/install$PGEXT/"
	chmod -R a+rX "$MACHINE/install"
	echo "extension_destdir = '$MACHINE/install'" >>"$MACHINE/slot-A/data/postgresql.conf"
	say "  the extension comes from $STAGE (make install DESTDIR=...), via extension_destdir"
fi

boot "first power-on"
expect boot1_slot "first boot chooses the stable slot" "$B_SLOT/$B_ROLE/$B_UP" "A/stable/1"
"$PGBIN/createdb" app
sql -f "$DEMO/setup.sql"
say "  database app: CREATE EXTENSION dualboot; table users with $(sql -c 'SELECT count(*) FROM users') rows"
"$PY" "$DEMO/sqlite_app.py" --db "$B_ROOT/notes.sqlite" init
SQLITE_MD5=$(md5sum <"$B_ROOT/notes.sqlite")
say "  a second application keeps its data in SQLite: $B_ROOT/notes.sqlite ($("$PY" "$DEMO/sqlite_app.py" --db "$B_ROOT/notes.sqlite" show))"
probe "set-up: production database on A" 1
BASE_FP=$P_FINGERPRINT BASE_USERS=$P_USERS BASE_MD5=$P_USERS_MD5
expect boot1_sql_slot "dualboot_status() on the booted server" "$P_SQL_CURRENT_SLOT/$P_SQL_CURRENT_ROLE" "A/stable"

say "  refresh the test slot B from stable: dualbootctl refresh (pg_basebackup, provenance recorded)"
install -d -o postgres -g postgres -m 0700 "$MACHINE/slot-B/data"
"$CTLM" refresh --pgdata "$MACHINE/slot-B/data" --force --bindir "$PGBIN" \
	--source "host=127.0.0.1 port=$PORT user=postgres" --reason "representative data" \
	>"$MACHINE/log/basebackup-1.log" 2>&1 ||
	fail "dualbootctl refresh failed: see $MACHINE/log/basebackup-1.log"
sed 's/^/    /' "$MACHINE/log/basebackup-1.log"
cp -p "$MACHINE/slot-A/notes.sqlite" "$MACHINE/slot-B/notes.sqlite"
say "  ... and the SQLite application's file goes with the root: cp notes.sqlite"
say "  nightly backup of stable: pg_dump app > backup.sql"
rc=0
"$CTLM" require-stable 2>"$WORK/log/billing.err" || rc=$?
expect billing_on_stable "the billing job's guard (dualbootctl require-stable) passes on stable" \
	"$rc/$(sql -d app -c 'SELECT dualboot_require_stable()')" "0/A"
"$PGBIN/pg_dump" -d app -f "$MACHINE/backup/backup.sql"
FP_SEQ=$((P_SEQ + 1))	# + the refresh, which recorded B's provenance
sql -c "SELECT dualboot_record_fingerprint()" >/dev/null
say "  SELECT dualboot_record_fingerprint(): stable's schema fingerprint stored in the record"
probe "set-up: B refreshed, fingerprint recorded" 1
expect fprint_recorded "the fingerprint is written to the record" "$P_SEQ" "$((FP_SEQ + 1))"
say "  stable's fingerprint: $BASE_FP"

# ==== scenario 1 ===============================================================

scenario 2 "2. Scenario 1: a schema migration (ALTER TABLE users ADD COLUMN last_login)"
say "  first, by mistake, on the stable slot A:"
SEQ0=$P_SEQ
migrate 001_last_login
expect guard_refused "dualboot_require_test() refuses the migration on stable" \
	"$M_RC/$M_STEP" "3/0"
probe "scenario 1: migration refused on stable" 2
expect guard_no_change "nothing changed on stable (schema, record)" \
	"$P_FINGERPRINT/$P_SEQ" "$BASE_FP/$SEQ0"
say "  the SQLite application's upgrade, by mistake on stable: it asks dualbootctl require-test first"
rc=0
DUALBOOTCTL=$CTLM "$PY" "$DEMO/sqlite_app.py" --db "$B_ROOT/notes.sqlite" upgrade \
	2>"$WORK/log/sqlite-stable.err" || rc=$?
sed 's/^/    /' "$WORK/log/sqlite-stable.err"
expect sqlite_refused "dualbootctl require-test refuses the SQLite upgrade on stable (exit 3)" "$rc" "3"
expect sqlite_untouched "the SQLite file on stable is unchanged" \
	"$(md5sum <"$B_ROOT/notes.sqlite")" "$SQLITE_MD5"
say "  the restore drill, by mistake on stable: demo/restore-drill.sh asks dualbootctl require-test first"
rc=0
DUALBOOTCTL=$CTLM PGBIN=$PGBIN "$DEMO/restore-drill.sh" "$MACHINE/backup/backup.sql" restore_drill \
	2>"$WORK/log/drill-stable.err" || rc=$?
sed 's/^/    /' "$WORK/log/drill-stable.err"
expect drill_refused "the restore drill is refused on stable (exit 3)" "$rc" "3"
expect drill_nothing "no restore_drill database on stable" \
	"$(sql -c "SELECT count(*) FROM pg_database WHERE datname = 'restore_drill'")" "0"

sql -c "SELECT dualboot_mark_test(3, 'rehearse migration 001_last_login')" >/dev/null
say "  SELECT dualboot_mark_test(3, ...): the trial of slot B is armed with 3 tries"
probe "scenario 1: trial armed on A" 2
expect armed "armed, next boot" "$P_TRIAL_ARMED/$P_TRIES_LEFT/$P_NEXT_BOOT_SLOT" "t/3/B"

boot "reboot into the trial"
expect boot2_slot "the selector boots the test slot" "$B_SLOT/$B_ROLE/$B_UP" "B/test/1"
confirm_boot
probe "scenario 1: trial boot of B, confirmed" 2
expect boot2_sql "dualboot_status() on B" "$P_SQL_CURRENT_SLOT/$P_SQL_CURRENT_ROLE/$P_CONFIRMED" "B/test/t"
expect boot2_tries "confirm refills the tries" "$P_TRIES_LEFT/$P_TRIES_TOTAL" "3/3"

migrate 001_last_login
expect migration_ok "migration 001 on the test slot" "$M_RC" "0"
probe "scenario 1: migration 001 applied on B" 2
expect_ne migration_changed_fp "the test slot's fingerprint changed" "$P_FINGERPRINT" "$BASE_FP"
FP1=$P_FINGERPRINT SEQ1=$P_SEQ

say "  a broken migration: it asks for promotion, then fails half-way"
migrate 002_broken_email_required
expect broken_failed "migration 002 fails at its third statement (23502 not null violation)" \
	"$M_RC/$M_STEP/$M_SQLSTATE" "3/3/23502"
probe "scenario 1: broken migration rolled back" 2
expect broken_intent_unchanged "the promotion it asked for never happened (seq, stable slot)" \
	"$P_SEQ/$P_STABLE_SLOT/$P_TRIAL_ARMED" "$SEQ1/A/t"
expect broken_schema_unchanged "its half-done schema change is gone" "$P_FINGERPRINT" "$FP1"

# ==== scenario 2 ===============================================================

scenario 3 "3. Scenario 2: an application logic change (the new code records logins; the SQLite app upgrades)"
"$PY" "$DEMO/app.py" --version 2 login alice bob carol
probe "scenario 2: app v2 ran on B" 3
expect app_v2 "rows with last_login on the test slot" "$P_LAST_LOGINS" "3"
expect app_v2_rows "row count unchanged" "$P_USERS" "$BASE_USERS"
say "  the nightly billing job must not send real invoices from a rehearsal: it asks dualbootctl require-stable"
rc=0
"$CTLM" require-stable 2>"$WORK/log/billing.err" || rc=$?
sed 's/^/    /' "$WORK/log/billing.err"
expect billing_refused "dualbootctl require-stable refuses the billing job on the test slot (exit 1)" "$rc" "1"
rc=0
sql -d app -c "SELECT dualboot_require_stable()" >"$WORK/log/billing-sql.out" 2>&1 || rc=$?
expect billing_sql_refused "SELECT dualboot_require_stable() ends the session on the test slot (psql exit 2)" \
	"$rc/$(grep -c 'FATAL:  this server runs on the test slot B' "$WORK/log/billing-sql.out")" "2/1"
rc=0
DUALBOOTCTL=$CTLM "$PY" "$DEMO/sqlite_app.py" --db "$B_ROOT/notes.sqlite" upgrade || rc=$?
expect sqlite_upgraded "the SQLite upgrade runs on the test slot" \
	"$rc/$("$PY" "$DEMO/sqlite_app.py" --db "$B_ROOT/notes.sqlite" show)" "0/columns=id,body,done rows=3"
say "  (stable's rows are checked the next time slot A boots: part 5)"

# ==== scenario 3 ===============================================================

scenario 4 "4. Scenario 3: a restore drill (stable's pg_dump restored on the test slot)"
rc=0
DUALBOOTCTL=$CTLM PGBIN=$PGBIN "$DEMO/restore-drill.sh" "$MACHINE/backup/backup.sql" restore_drill || rc=$?
expect drill_ran "demo/restore-drill.sh: dualbootctl require-test passes, createdb + psql -f backup.sql" \
	"$rc" "0"
probe "scenario 3: backup restored on B (db restore_drill)" 4 --db restore_drill
expect restore_fp "the restored database's fingerprint equals stable's" "$P_FINGERPRINT" "$BASE_FP"
expect restore_rows "the restored users rows equal stable's" "$P_USERS/$P_USERS_MD5" \
	"$BASE_USERS/$BASE_MD5"

# ==== a test boot that never comes up healthy ==================================

scenario 5 "5. A test boot that never comes up healthy"
cat >>"$MACHINE/slot-B/data/postgresql.conf" <<EOF
# left by a botched upgrade of slot B: the server refuses to start
shared_buffers = 'plenty'
EOF
say "  slot B's postgresql.conf now holds a setting the server rejects"
for expected_tries in 2 1 0; do
	boot "power cycle: nobody confirmed the last boot"
	expect "unhealthy_boot_$expected_tries" "unconfirmed trial boot of B" \
		"$B_SLOT/$B_ROLE/$B_UP" "B/test/0"
	confirm_boot
	probe "unhealthy boot of B, never confirmed" 5
	expect "unhealthy_tries_$expected_tries" "tries left after this boot" \
		"$P_TRIES_LEFT/$P_CONFIRMED" "$expected_tries/f"
done
boot "power cycle: the tries are used up"
expect fallback_slot "the machine lands on stable by itself" "$B_SLOT/$B_ROLE/$B_UP" "A/stable/1"
probe "fell back to A by itself" 5
# on the last try dualboot-confirm wrote which check failed (a failback by
# dualboot-confirm, docs/boot-hook.md "Recorded failures")
expect fallback_record "the record says the trial ended on the last try" "$P_LAST_EVENT/$P_TRIAL_ARMED" \
	"failback/f"
expect fallback_outcome "the last trial's outcome names the check that failed" \
	"$("$CTLM" outcome | sed -n "s/^DUALBOOT_OUTCOME\(_CHECK\)\{0,1\}='\(.*\)'$/\2/p" | tr '\n' /)" \
	"health_check_failed/postgresql/"
expect fallback_fp "stable's fingerprint is the one from before the trial" "$P_FINGERPRINT" "$BASE_FP"
expect fallback_rows "stable's rows are untouched (count, checksum; no last_login)" \
	"$P_USERS/$P_USERS_MD5/$P_COLUMNS" "$BASE_USERS/$BASE_MD5/id,name,email,created"
expect fallback_sqlite "stable's SQLite file is untouched" \
	"$(md5sum <"$B_ROOT/notes.sqlite")" "$SQLITE_MD5"

# ==== failback and promotion ===================================================

scenario 6 "6. Failback from SQL, then a migration confirmed and promoted"
say "  repair slot B: refresh it from stable again with pg_basebackup"
rm -rf "$MACHINE/slot-B/data"
pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$MACHINE/slot-B/data" \
	-X stream -c fast -N >"$MACHINE/log/basebackup-2.log" 2>&1 ||
	fail "pg_basebackup failed: see $MACHINE/log/basebackup-2.log"
sql -c "SELECT dualboot_mark_test(3, 'rehearse migration 001 again')" >/dev/null
say "  SELECT dualboot_mark_test(3, ...)"
boot "reboot into the trial"
expect boot7_slot "trial boot of the refreshed slot B" "$B_SLOT/$B_ROLE/$B_UP" "B/test/1"
confirm_boot
migrate 001_last_login
expect rehearsal_ok "migration 001 again" "$M_RC" "0"
sql -c "SELECT dualboot_record_fingerprint()" >/dev/null
say "  SELECT dualboot_record_fingerprint(): the schema this rehearsal produced, kept in the record for this trial"
probe "rehearsal: 001 applied on B, fingerprint recorded" 6
FP_REHEARSED=$P_FINGERPRINT
sql -c "SELECT dualboot_request_failback('maintenance window over: back to stable')" >/dev/null
say "  SELECT dualboot_request_failback(...): the window is over, stable takes over again"
probe "failback requested from SQL on B" 6
expect failback_intent "next boot" "$P_NEXT_BOOT_SLOT/$P_TRIAL_ARMED/$P_LAST_EVENT" "A/f/failback"
boot "reboot after the failback"
expect failback_slot "failback lands on stable" "$B_SLOT/$B_ROLE/$B_UP" "A/stable/1"
probe "back on A after the failback" 6
expect failback_fp "stable's fingerprint is still the one from before" "$P_FINGERPRINT" "$BASE_FP"
expect failback_rows "stable's rows untouched" "$P_USERS/$P_USERS_MD5" "$BASE_USERS/$BASE_MD5"

sql -c "SELECT dualboot_mark_test(3, 'migration 003 on top of 001, then promote')" >/dev/null
say "  SELECT dualboot_mark_test(3, ...): the next window, to ship it"
boot "reboot into the trial"
expect boot9_slot "trial boot of B" "$B_SLOT/$B_ROLE/$B_UP" "B/test/1"
confirm_boot
expect boot9_confirmed "dualboot-confirm confirmed, checking no fingerprint of the abandoned rehearsal (it ended with that trial)" \
	"$(count 'schema fingerprint matches' <"$WORK/log/confirm.out")/$B_CONFIRMED" "0/1"
migrate 003_login_index
expect good_migration "migration 003 (B already has 001 from the rehearsal)" "$M_RC" "0"
"$PY" "$DEMO/app.py" --version 2 login alice
probe "migration 003 applied on B" 6
SEQ9=$P_SEQ FP_NEW=$P_FINGERPRINT
expect_ne good_migration_fp "003 changed the schema" "$FP_NEW" "$FP_REHEARSED"

say "  promote, expecting the schema the rehearsal recorded (before 003):"
rc=0
out=$(sql -v VERBOSITY=verbose -v fp="$FP_REHEARSED" 2>&1 <<'SQL'
SELECT dualboot_promote('migration 001 rehearsed', :'fp');
SQL
) || rc=$?
printf '%s\n' "$out" | grep -E 'ERROR|DETAIL|HINT' | sed 's/^psql:<stdin>:[0-9]*: //; s/^/    psql: /'
expect stale_promote_refused "a promotion expecting another schema is refused (55000)" \
	"$rc/$(printf '%s\n' "$out" | count 'ERROR:  55000')" "3/1"
probe "promote refused: schema is not the expected one" 6
expect stale_promote_no_change "the record is unchanged" "$P_SEQ/$P_STABLE_SLOT" "$SEQ9/A"

say "  promote, expecting the schema as it is now (after 003):"
sql -v fp="$FP_NEW" >/dev/null <<'SQL'
SELECT dualboot_promote('migrations 001 and 003 rehearsed and confirmed', :'fp');
SQL
say "  SELECT dualboot_promote(reason, expected_fingerprint): slot B becomes stable"
probe "B promoted" 6
expect promoted "the record after promote" "$P_STABLE_SLOT/$P_TEST_SLOT/$P_TRIAL_ARMED" "B/A/f"
boot "reboot after the promotion"
expect roles_swapped "B boots as stable" "$B_SLOT/$B_ROLE/$B_UP" "B/stable/1"
probe "B is stable, A is the test slot" 6
expect roles_swapped_sql "dualboot_status() on the new stable" \
	"$P_SQL_CURRENT_SLOT/$P_SQL_CURRENT_ROLE/$P_TEST_SLOT" "B/stable/A"
expect new_stable_fp "the new stable runs the promoted schema" "$P_FINGERPRINT" "$FP_NEW"
expect new_stable_rows "with every row" "$P_USERS" "$BASE_USERS"

# the history as scenario 6 left it (the summary's; the ring holds 6 changes)
"$CTLM" --state "$STATE" history --json >"$WORK/log/history.json"

# ==== a trial never costs data (issue 15) ========================================

scenario 7 "7. A trial never costs data: a write on stable after the refresh, a rehearsal replayed on stable"
say "  refresh the test slot A from stable B: dualbootctl refresh (provenance recorded)"
"$CTLM" refresh --pgdata "$MACHINE/slot-A/data" --force --bindir "$PGBIN" \
	--source "host=127.0.0.1 port=$PORT user=postgres" --reason "before migration 004" \
	>"$MACHINE/log/basebackup-2.log" 2>&1 ||
	fail "dualbootctl refresh failed: see $MACHINE/log/basebackup-2.log"
sed 's/^/    /' "$MACHINE/log/basebackup-2.log"
sql -d app -c "INSERT INTO users (name, email) VALUES ('grace', 'grace@example.org')"
say "  stable B keeps serving after the copy: a new user signs up (grace)"
sql -c "SELECT dualboot_mark_test(3, 'rehearse migration 004')" >/dev/null
say "  SELECT dualboot_mark_test(3, ...): B records where its WAL stands"
boot "reboot into the trial of A (B's shutdown records its stop point)"
tail -1 "$MACHINE/log/stop-point.log" | sed 's/^/    /'
expect boot_a_trial "trial boot of A" "$B_SLOT/$B_ROLE/$B_UP" "A/test/1"
confirm_boot
sql -d app -c "SELECT dualboot_rehearsal_begin('004_user_note')" >/dev/null
sql -d app -c "ALTER TABLE users ADD COLUMN note text"
sql -d app -c "SELECT dualboot_rehearsal_end('004_user_note')" >/dev/null
say "  rehearsal on A: dualboot_rehearsal_begin('004_user_note'); ALTER TABLE users ADD COLUMN note text; dualboot_rehearsal_end(...)"
probe "rehearsal 004 recorded on A" 7
FP_004=$P_FINGERPRINT SEQ_004=$P_SEQ
say "  promote the copy? it lacks what B wrote after the refresh:"
rc=0
out=$(sql -d app -v VERBOSITY=verbose 2>&1 <<'SQL'
SELECT dualboot_promote('migration 004 rehearsed');
SQL
) || rc=$?
printf '%s\n' "$out" | grep -E 'ERROR|DETAIL' | sed 's/^psql:<stdin>:[0-9]*: //; s/^/    psql: /'
expect stale_copy_refused "promoting a copy that misses stable's writes is refused (55000, table named)" \
	"$rc/$(printf '%s\n' "$out" | count 'ERROR:  55000')/$(printf '%s\n' "$out" | count 'public.users')" "3/1/1"
probe "the copy's promotion refused: stable wrote after it" 7
expect stale_copy_no_change "the record is unchanged" "$P_SEQ/$P_STABLE_SLOT" "$SEQ_004/B"
sql -c "SELECT dualboot_request_failback('004 is replayed on stable instead')" >/dev/null
boot "reboot after the failback"
expect back_on_b "failback lands on stable B" "$B_SLOT/$B_ROLE/$B_UP" "B/stable/1"
say "  replay the rehearsed migration on stable B:"
say "    BEGIN; SELECT dualboot_require_rehearsed('004_user_note'); ALTER TABLE users ADD COLUMN note text; COMMIT;"
rc=0
sql -d app >/dev/null 2>"$WORK/log/replay.err" <<'SQL' || rc=$?
BEGIN;
SELECT dualboot_require_rehearsed('004_user_note');
ALTER TABLE users ADD COLUMN note text;
COMMIT;
SQL
probe "004 replayed on stable B" 7
expect replayed "the replay commits; B's schema is the rehearsal's result, grace is still there" \
	"$rc/$([ "$P_FINGERPRINT" = "$FP_004" ] && echo same)/$P_USERS" "0/same/$((BASE_USERS + 1))"
rc=0
sql -d app >/dev/null 2>"$WORK/log/replay2.err" <<'SQL' || rc=$?
BEGIN;
SELECT dualboot_require_rehearsed('004_user_note');
ALTER TABLE users ADD COLUMN note text;
COMMIT;
SQL
expect replay_once "a second replay is refused (the schema is no longer the rehearsal's start)" \
	"$rc/$(count 'did not start from' <"$WORK/log/replay2.err")" "3/1"

# ==== summary ===================================================================

scenario 8 "8. Summary"
shutdown_machine
say "  the record's history ring, newest first (dualbootctl history):"
"$CTLM" --state "$STATE" history | sed 's/^/    /'
say "  provenance, stop point and rehearsals (dualbootctl provenance):"
"$CTLM" --state "$STATE" provenance | sed 's/^/    /'
left=$(ls "$MACHINE"/slot-?/data/postmaster.pid 2>/dev/null || true)
expect nothing_running "clusters left running" "${left:-none}" "none"
summary ok
say ""
say "summary: $WORK/summary.txt and $WORK/summary.json ($((SECONDS - START)) s, $BOOTS boots)"
say "${GREEN}demo passed${OFF}"
