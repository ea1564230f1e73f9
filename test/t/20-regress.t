#!/bin/bash
# test/t/20-regress.t - the extension against a real PostgreSQL server:
# the pg_regress suite (sql/*.sql, expected/*.out) run by `make installcheck`,
# then two concurrent sessions writing the same record, then the settings
# changed through the server configuration (ALTER SYSTEM + reload), the record
# on a raw device, and commits waiting for a record lock held by another
# process (dualboot.lock_timeout, lock_timeout, statement_timeout,
# pg_cancel_backend, pg_terminate_backend, the wait event).
#
# Nothing on the machine is configured by hand: the extension is installed
# with `make install-extension DESTDIR=<scratch>` and a throw-away cluster
# (Debian's pg_virtualenv -t) reads it from there through extension_destdir.
# The cluster's configuration points dualboot.state_path at a record made
# by `dualbootctl init` in a scratch folder owned by the server's user, and
# dualboot.boot_marker_path next to it. pg_regress reaches the same paths
# through environment variables (DUALBOOTCTL, DUALBOOT_CONF, DUALBOOT_STATE,
# DUALBOOT_MARKER, DUALBOOT_DIR) in its `\!` lines, which simulate boots with
# `dualbootctl boot-select`, and DUALBOOT_FORGE (test/forge-record.py) for
# the records a test forges.
#
# TAP; the plan is printed at the end. On a failure of pg_regress the
# regression.diffs are printed as diagnostics.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /' "$@" >&2; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}

# --- inside the throw-away cluster (pg_virtualenv runs this script again) ---
if [ "${1:-}" = --inside ]; then
	n=$2
	diag() { sed 's/^/# /' "$@"; }	# stdout: the outer script passes it on
	W=$DUALBOOT_WORK
	psql_() { psql -X -v ON_ERROR_STOP=1 -d contrib_regression "$@"; }

	# 1. the pg_regress suite
	make -s installcheck REGRESS_OPTS="--inputdir=. --outputdir=$W/regress --dbname=contrib_regression" \
		>"$W/installcheck.log" 2>&1
	rc=$?
	# one TAP line per pg_regress test (PG 15 "test x ... ok", PG 16+ "ok 1 - x")
	sed -nE 's/^[[:space:]]*(test )?([A-Za-z0-9_]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed \(ignored\)).*/\3 \2/p;
		s/^not ok[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([A-Za-z0-9_]+).*/FAILED \1/p;
		s/^ok[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([A-Za-z0-9_]+).*/ok \1/p' \
		"$W/installcheck.log" >"$W/tests"
	# DUALBOOT_REGRESS_RESULTS=DIR keeps the actual outputs (to review a change)
	if [ -n "${DUALBOOT_REGRESS_RESULTS:-}" ]; then
		mkdir -p "$DUALBOOT_REGRESS_RESULTS" && cp "$W"/regress/results/*.out "$DUALBOOT_REGRESS_RESULTS"/
	fi
	while read -r res name; do
		case $res in
		ok) ok "pg_regress $name" ;;
		*) nok "pg_regress $name" ;;
		esac
	done <"$W/tests"
	if [ "$rc" = 0 ] && [ -s "$W/tests" ]; then
		ok "make installcheck"
	else
		nok "make installcheck (exit $rc)"
		diag "$W/installcheck.log"
		[ -f "$W/regress/regression.diffs" ] && diag "$W/regress/regression.diffs"
	fi

	# 2. two sessions arming and failing back at once: they serialize on the
	#    record's lock; a request whose record changed between its call and
	#    its commit fails with 40001 and writes nothing; the sequence grows by
	#    exactly the committed requests
	ctl() { "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" "$@"; }
	ctl init --stable A --force >/dev/null 2>&1 &&
		ctl boot-select --marker "$DUALBOOT_MARKER" >/dev/null 2>&1 ||
		nok "re-create the record for the concurrency check"
	# (the suite leaves the database without the extension)
	psql_ -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS dualboot"
	seq0=$(psql_ -Atc "SELECT seq FROM dualboot_status()")
	K=60
	{
		for i in $(seq 1 $K); do
			echo "SELECT 1 FROM dualboot_mark_test(3, 'session one, $i');"
			# a rolled-back request in between: never written
			echo "BEGIN; SELECT 1 FROM dualboot_mark_test(5, 'rolled back'); ROLLBACK;"
		done
	} >"$W/s1.sql"
	{
		for i in $(seq 1 $K); do
			# two calls in one transaction collapse into one write (the last)
			echo "BEGIN; SELECT 1 FROM dualboot_request_failback('replaced');"
			echo "SELECT 1 FROM dualboot_request_failback('session two, $i'); COMMIT;"
		done
	} >"$W/s2.sql"
	# (no ON_ERROR_STOP: a serialization failure ends one transaction, not
	# the script; VERBOSITY sqlstate prints each error as its SQLSTATE)
	psqlc() { psql -X -v VERBOSITY=sqlstate -d contrib_regression "$@"; }
	psqlc -q -o /dev/null -f "$W/s1.sql" >"$W/s1.log" 2>&1 &
	p1=$!
	psqlc -q -o /dev/null -f "$W/s2.sql" >"$W/s2.log" 2>&1 &
	p2=$!
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	# every error is a serialization failure; a failed COMMIT in s2 also
	# makes its second statement run outside a transaction (a WARNING), so
	# the failed requests are counted, not the lines
	other=$(cat "$W/s1.log" "$W/s2.log" | grep -v -e '^ERROR:  40001$' \
		-e '^WARNING:  25P01$' -e '^psql:.*ERROR:  40001$' -e '^psql:.*WARNING:  25P01$' | head -5)
	conflicts=$(cat "$W/s1.log" "$W/s2.log" | grep -c 'ERROR:  40001')
	if [ "$r1" = 0 ] && [ "$r2" = 0 ] && [ -z "$other" ]; then
		ok "two concurrent sessions: every request committed or failed with 40001 ($conflicts failed)"
	else
		nok "two concurrent sessions (exit $r1 and $r2)"
		diag "$W/s1.log" "$W/s2.log"
	fi
	seq1=$(psql_ -Atc "SELECT seq FROM dualboot_status()")
	if [ -n "$seq0" ] && [ "$seq1" = $((seq0 + 2 * K - conflicts)) ]; then
		ok "sequence grew by exactly the $((2 * K - conflicts)) committed requests ($seq0 -> $seq1)"
	else
		nok "sequence grew from '$seq0' to '$seq1', want +$((2 * K - conflicts))"
		diag "$W/s1.log" "$W/s2.log"
	fi
	if ctl status >"$W/status.log" 2>&1; then
		ok "the record is valid after the concurrent writes (dualbootctl status)"
	else
		nok "dualbootctl status after the concurrent writes"
		diag "$W/status.log"
	fi
	# the history ring holds the newest changes, one per committed request
	hist=$(psql_ -Atc "SELECT count(*) = count(DISTINCT seq) AND min(seq) = $seq1 - count(*) + 1
		AND bool_and(reason LIKE 'session %') FROM dualboot_history()")
	if [ "$hist" = t ]; then
		ok "history: consecutive sequence numbers, only committed requests"
	else
		nok "history after the concurrent writes ($hist)"
		psql_ -c "SELECT * FROM dualboot_history()" 2>&1 | sed 's/^/# /' >&2
	fi

	# 2b. a refused guard stops everything after it, whatever the client does
	#     with errors (issue 16): real psql runs on the stable slot A. Each run
	#     is a migration that creates table gN after the guard; none may exist.
	cat >"$W/m.sql" <<-'EOF'
	SELECT dualboot_require_test();
	CREATE TABLE :"t" (id int);
	EOF
	cat >"$W/m-block.sql" <<-'EOF'
	BEGIN;
	SELECT dualboot_require_test();
	CREATE TABLE :"t" (id int);
	COMMIT;
	EOF
	printf '%s\n' '\i '"$W/m.sql" 'CREATE TABLE g_outer (id int);' >"$W/outer.sql"
	# guard_run NAME TABLE PSQL-ARGS...: psql as given; the table must not exist
	guard_run() {
		local name=$1 t=$2 rc exists
		shift 2
		psql -X -d contrib_regression -v t="$t" "$@" >"$W/guard.log" 2>&1
		rc=$?
		exists=$(psql_ -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('$t', 'g_outer')")
		if [ "$exists" = 0 ] && grep -q 'this server runs on the stable slot A' "$W/guard.log"; then
			ok "guard, $name: refused, nothing after it ran (psql exit $rc)"
		else
			nok "guard, $name: tables created: $exists (psql exit $rc)"
			diag "$W/guard.log"
		fi
		if grep -q "FATAL:" "$W/guard.log"; then echo "$name" >>"$W/fatal.list"; fi
		psql_ -q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS $t, g_outer"
	}
	: >"$W/fatal.list"
	guard_run "psql -f (no ON_ERROR_STOP)" g1 -f "$W/m.sql"
	guard_run "psql -c 'guard; CREATE TABLE'" g2 -c "SELECT dualboot_require_test(); CREATE TABLE g2 (id int)"
	guard_run "psql -c guard -c 'CREATE TABLE'" g3 -c "SELECT dualboot_require_test()" -c "CREATE TABLE g3 (id int)"
	guard_run "psql < script (standard input)" g4 <"$W/m.sql"
	guard_run "psql -f outer.sql doing \\i of the script, then more" g5 -f "$W/outer.sql"
	guard_run "psql -1 -f (one transaction, no ON_ERROR_STOP)" g6 -1 -f "$W/m.sql"
	guard_run "psql -v ON_ERROR_STOP=1 -f" g7 -v ON_ERROR_STOP=1 -f "$W/m.sql"
	guard_run "psql -f, BEGIN; guard; ...; COMMIT; in the script" g8 -f "$W/m-block.sql"
	guard_run "psql -v ON_ERROR_ROLLBACK=on -f, BEGIN; guard; ...; COMMIT;" g9 -v ON_ERROR_ROLLBACK=on -f "$W/m-block.sql"
	want_fatal=$(printf '%s\n' "psql -f (no ON_ERROR_STOP)" "psql -c guard -c 'CREATE TABLE'" \
		"psql < script (standard input)" "psql -f outer.sql doing \\i of the script, then more" \
		"psql -v ON_ERROR_STOP=1 -f")
	if [ "$(cat "$W/fatal.list")" = "$want_fatal" ]; then
		ok "guard: the session ended (FATAL) exactly where the guard ran outside a transaction block"
	else
		nok "guard: FATAL in: $(tr '\n' ',' <"$W/fatal.list")"
	fi

	# ... through a connection pool: pgbouncer in transaction pooling mode
	if command -v pgbouncer >/dev/null && [ "$(id -u)" = 0 ]; then
		mkdir -p "$W/pgb" && chown postgres "$W/pgb"
		pgbport=$((20000 + $$ % 20000))
		cat >"$W/pgb/pgbouncer.ini" <<-EOF
		[databases]
		* = host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $pgbport
		unix_socket_dir =
		auth_type = any
		pool_mode = transaction
		default_pool_size = 2
		logfile = $W/pgb/pgbouncer.log
		pidfile = $W/pgb/pgbouncer.pid
		EOF
		chmod 644 "$W/pgb/pgbouncer.ini"
		runuser -u postgres -- pgbouncer -d "$W/pgb/pgbouncer.ini" >"$W/pgb/start.log" 2>&1
		pgb() { PGHOST=127.0.0.1 PGPORT=$pgbport psql -X -d contrib_regression "$@"; }
		up=""
		for i in $(seq 1 100); do
			pgb -Atc "SELECT 1" >/dev/null 2>&1 && up=1 && break
			sleep 0.1
		done
		if [ -n "$up" ]; then
			pgb -v t=gp1 -f "$W/m.sql" >"$W/guard.log" 2>&1
			rc=$?
			exists=$(psql_ -Atc "SELECT count(*) FROM pg_class WHERE relname = 'gp1'")
			if [ "$exists" = 0 ] && grep -q "FATAL:  this server runs on the stable slot A" "$W/guard.log"; then
				ok "guard through pgbouncer (transaction pooling): the client sees the FATAL, nothing after it ran (psql exit $rc)"
			else
				nok "guard through pgbouncer: table: $exists (psql exit $rc)"
				diag "$W/guard.log"
			fi
			if pgb -Atc "SELECT 1" >"$W/guard2.log" 2>&1 &&
				pgb -v t=gp2 -f "$W/m-block.sql" >"$W/guard3.log" 2>&1 &&
				[ "$(psql_ -Atc "SELECT count(*) FROM pg_class WHERE relname = 'gp2'")" = 0 ] &&
				pgb -Atc "SELECT 2" >>"$W/guard2.log" 2>&1; then
				ok "pgbouncer: the pool serves the next clients; a guard in a transaction block rolls back there too"
			else
				nok "pgbouncer after a refused guard"
				diag "$W/guard2.log" "$W/guard3.log" "$W/pgb/pgbouncer.log"
			fi
		else
			nok "pgbouncer did not start"
			diag "$W/pgb/start.log" "$W/pgb/pgbouncer.log"
		fi
		[ -s "$W/pgb/pgbouncer.pid" ] && kill "$(cat "$W/pgb/pgbouncer.pid")"
	else
		ok "# SKIP the guard through pgbouncer: needs root and pgbouncer"
	fi

	# 3. the settings come from the server configuration: a reload (SIGHUP)
	#    switches the record; an empty path is an error that says what to do
	ctl2() { "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE.2" "$@"; }
	ctl2 init --stable B >/dev/null 2>&1 || nok "dualbootctl init a second record"
	[ "$(id -u)" = 0 ] && chown postgres "$DUALBOOT_STATE.2"
	chmod 600 "$DUALBOOT_STATE.2"
	# wait_for SQL WANT: a new session each time, bounded (10 s), no timing assertion
	wait_for() {
		local i got=""
		for i in $(seq 1 100); do
			got=$(psql_ -Atc "$1" 2>&1)
			[ "$got" = "$2" ] && return 0
			sleep 0.1
		done
		echo "# waited for '$2', last got: $got"
		return 1
	}
	psql_ -q -c "ALTER SYSTEM SET dualboot.state_path = '$DUALBOOT_STATE.2'" -c "SELECT pg_reload_conf()" >/dev/null
	if wait_for "SELECT stable_slot FROM dualboot_status()" B; then
		ok "ALTER SYSTEM + pg_reload_conf() switches the record (PGC_SIGHUP)"
	else
		nok "reload to a second record"
	fi
	psql_ -q -c "ALTER SYSTEM SET dualboot.state_path = ''" -c "SELECT pg_reload_conf()" >/dev/null
	if wait_for "SHOW dualboot.state_path" "" &&
		psql_ -v VERBOSITY=verbose -Atc "SELECT * FROM dualboot_status()" >"$W/unset.log" 2>&1; then
		nok "an empty dualboot.state_path is an error"
	elif grep -q 'ERROR:  55000: dualboot.state_path is not set' "$W/unset.log" &&
		grep -q 'HINT:  Set dualboot.state_path in postgresql.conf' "$W/unset.log"; then
		ok "an empty dualboot.state_path: 55000 with a hint"
	else
		nok "an empty dualboot.state_path"
		diag "$W/unset.log"
	fi

	# 4. the record on a raw block device (a loop device; root only)
	loop=""
	if [ "$(id -u)" = 0 ] && truncate -s 1M "$W/raw.img" &&
		loop=$(losetup -f --show "$W/raw.img" 2>/dev/null); then
		"$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$loop" init --stable A >/dev/null 2>&1 &&
			chown postgres "$loop"
		psql_ -q -c "ALTER SYSTEM SET dualboot.state_path = '$loop'" -c "SELECT pg_reload_conf()" >/dev/null
		if wait_for "SHOW dualboot.state_path" "$loop" &&
			psql_ -Atc "SELECT seq FROM dualboot_mark_test(2, 'on a raw device')" >"$W/raw.log" 2>&1 &&
			"$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$loop" status --json >"$W/raw.json" 2>>"$W/raw.log" &&
			grep -q '"trial_armed": *true' "$W/raw.json" && grep -q '"seq": *2[,}]' "$W/raw.json"; then
			ok "the record on a raw block device ($loop): armed from SQL, read back by dualbootctl"
		else
			nok "the record on a raw block device"
			diag "$W/raw.log" "$W/raw.json"
		fi
		psql_ -q -c "ALTER SYSTEM RESET dualboot.state_path" -c "SELECT pg_reload_conf()" >/dev/null
		wait_for "SHOW dualboot.state_path" "$DUALBOOT_STATE" >/dev/null
		chown root "$loop"
		losetup -d "$loop"
	else
		ok "# SKIP the record on a raw block device: needs root and a free loop device"
	fi
	psql_ -q -c "ALTER SYSTEM RESET dualboot.state_path" -c "SELECT pg_reload_conf()" >/dev/null
	wait_for "SHOW dualboot.state_path" "$DUALBOOT_STATE" >/dev/null ||
		nok "dualboot.state_path back to the record"

	# 5. the record's lock held by another process (here: this shell, through
	#    a read-only descriptor, as any user who can open the record could).
	#    A commit waits interruptibly, visibly, and boundedly; whatever ends
	#    the wait, nothing is written.
	# (every psql here runs under timeout(1): with a lock wait that cannot be
	# ended, the test fails instead of hanging)
	lockcheck() {	# DESC WANT-REGEX LOGFILE: the record unchanged, the log matches
		if cmp -s "$DUALBOOT_STATE" "$W/locked.rec" && grep -Eq "$2" "$3"; then
			ok "$1"
		else
			nok "$1"
			diag "$3"
		fi
	}
	# a commit that waits in the background (no dualboot/lock/statement bound)
	waiter() {	# APPNAME LOG
		PGAPPNAME=$1 timeout -k 5 30 psql -X -v VERBOSITY=verbose -d contrib_regression \
			-c "SET dualboot.lock_timeout = 0" \
			-c "SELECT trial_armed FROM dualboot_mark_test(2, 'waits for the lock')" >"$2" 2>&1 &
	}
	# the backend of APPNAME, once it waits on the Extension wait event (bounded)
	waiting_pid() {
		local i got
		for i in $(seq 1 200); do
			got=$(psql_ -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'
				AND wait_event_type = 'Extension' AND wait_event = 'Extension' AND state = 'active'")
			[ -n "$got" ] && echo "$got" && return 0
			sleep 0.05
		done
		return 1
	}
	psql_ -q -c "SELECT 1 FROM dualboot_request_failback('before the lock tests')" >/dev/null
	cp "$DUALBOOT_STATE" "$W/locked.rec"
	exec 9<"$DUALBOOT_STATE"
	if flock -n -x 9; then
		timeout -k 5 30 psql -X -v VERBOSITY=verbose -d contrib_regression -c "SET dualboot.lock_timeout = '200ms'" \
			-c "SELECT trial_armed FROM dualboot_mark_test(2, 'times out')" >"$W/lt.log" 2>&1
		lockcheck "lock held: dualboot.lock_timeout ends the commit with 55P03 naming the record" \
			"ERROR:  55P03: could not lock dualboot state record \"$DUALBOOT_STATE\" within dualboot.lock_timeout \\(200 ms\\)" "$W/lt.log"
		timeout -k 5 30 psql -X -v VERBOSITY=verbose -d contrib_regression -c "SET dualboot.lock_timeout = 0" \
			-c "SET lock_timeout = '200ms'" \
			-c "SELECT trial_armed FROM dualboot_mark_test(2, 'lock_timeout')" >"$W/plt.log" 2>&1
		lockcheck "lock held: lock_timeout ends the commit with 55P03" \
			"ERROR:  55P03: could not lock dualboot state record .* within lock_timeout" "$W/plt.log"
		timeout -k 5 30 psql -X -v VERBOSITY=verbose -d contrib_regression -c "SET dualboot.lock_timeout = 0" \
			-c "SET statement_timeout = '300ms'" -c "BEGIN" \
			-c "SELECT trial_armed FROM dualboot_mark_test(2, 'statement_timeout')" \
			-c "COMMIT" >"$W/st.log" 2>&1
		lockcheck "lock held: statement_timeout ends the COMMIT with 57014" \
			"ERROR:  57014: canceling statement due to statement timeout" "$W/st.log"
		waiter dualboot_lockwait_cancel "$W/cancel.log"
		wpid=$!
		if pid=$(waiting_pid dualboot_lockwait_cancel); then
			ok "lock held: the waiting commit shows in pg_stat_activity (wait_event_type Extension, wait_event Extension)"
			psql_ -Atc "SELECT pg_cancel_backend($pid)" >/dev/null
			wait $wpid
			lockcheck "lock held: pg_cancel_backend ends the waiting commit (57014)" \
				"ERROR:  57014: canceling statement due to user request" "$W/cancel.log"
		else
			nok "lock held: the waiting commit never showed the Extension wait event"
			kill $wpid 2>/dev/null
			psql_ -Atc "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'dualboot_lockwait_cancel'" >/dev/null
			wait $wpid
		fi
		waiter dualboot_lockwait_term "$W/term.log"
		wpid=$!
		if pid=$(waiting_pid dualboot_lockwait_term); then
			psql_ -Atc "SELECT pg_terminate_backend($pid)" >/dev/null
			wait $wpid
			lockcheck "lock held: pg_terminate_backend ends the waiting commit (57P01)" \
				"FATAL:  57P01: terminating connection due to administrator command" "$W/term.log"
		else
			nok "lock held: the second waiting commit never showed the wait event"
			wait $wpid
		fi
		# released: the same request goes through
		flock -u 9
		if psql_ -Atc "SELECT trial_armed FROM dualboot_mark_test(2, 'after the lock')" >"$W/after.log" 2>&1 &&
			grep -qx t "$W/after.log"; then
			ok "lock released: the request commits"
		else
			nok "lock released: the request commits"
			diag "$W/after.log"
		fi
		psql_ -q -c "SELECT 1 FROM dualboot_request_failback('after the lock tests')" >/dev/null
	else
		nok "take the record's lock from the test (flock)"
	fi
	exec 9<&-
	echo "$n $failed" >"$W/count"
	exit 0
fi

# --- outside: prepare, then run the above inside a throw-away cluster ---
for tool in pg_virtualenv pg_config psql; do
	if ! command -v "$tool" >/dev/null; then
		nok "$tool is installed (run tools/deps.sh as root)"
		finish
	fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-regress.XXXXXX")
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"

if make -s install-extension DESTDIR="$W/install" >"$W/install.log" 2>&1; then
	ok "make install-extension DESTDIR=<scratch>"
else
	nok "make install-extension"
	diag "$W/install.log"
	finish
fi

# DUALBOOTCTL may name another build of it
CTL=${DUALBOOTCTL:-}
[ -n "$CTL" ] || for c in "$ROOT/build/dualbootctl" "$ROOT/build/tools/dualbootctl"; do
	[ -x "$c" ] && CTL=$c && break
done
if [ -z "$CTL" ] && make -s build/dualbootctl >"$W/ctl.log" 2>&1; then
	CTL=$ROOT/build/dualbootctl
fi
if [ -z "$CTL" ]; then
	nok "dualbootctl is built"
	diag "$W/ctl.log"
	finish
fi

# The record and the marker live in a folder of the server's user.
S=$W/state
mkdir -p "$S"
: >"$S/empty.conf"
if [ "$(id -u)" = 0 ]; then
	chown postgres "$S"
fi
if "$CTL" --config "$S/empty.conf" --state "$S/record" init --stable A >"$W/init.log" 2>&1; then
	ok "dualbootctl init --stable A"
else
	nok "dualbootctl init"
	diag "$W/init.log"
	finish
fi
if [ "$(id -u)" = 0 ]; then
	chown postgres "$S/record"
fi
chmod 0600 "$S/record"

export DUALBOOTCTL=$CTL DUALBOOT_CONF=$S/empty.conf DUALBOOT_STATE=$S/record \
	DUALBOOT_MARKER=$S/run/booted DUALBOOT_DIR=$S DUALBOOT_WORK=$W \
	DUALBOOT_FORGE=$ROOT/test/forge-record.py
unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD

pg_virtualenv -t \
	-o "extension_destdir=$W/install" \
	-o "dualboot.state_path=$DUALBOOT_STATE" \
	-o "dualboot.boot_marker_path=$DUALBOOT_MARKER" \
	-o "max_prepared_transactions=2" \
	"$ROOT/test/t/$(basename "$0")" --inside "$n" >"$W/inside.tap" 2>"$W/inside.err"
rc=$?
sed -E '/^(not )?ok |^#/!s/^/# /' "$W/inside.tap"
if [ -s "$W/count" ]; then
	read -r n f <"$W/count"
	failed=$((failed + f))
else
	n=$(grep -cE '^(not )?ok ' "$W/inside.tap")
	nok "pg_virtualenv ran the suite (exit $rc)"
	diag "$W/inside.err"
fi
finish
