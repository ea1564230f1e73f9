#!/bin/bash
# test/t/22-safe-promotion.t - issue 15 with two real PostgreSQL clusters
# standing for slot A and slot B (as the demo does): a record file, the
# marker written by `dualbootctl boot-select`, `dualbootctl refresh` copying
# the running stable cluster into the test slot's data directory with
# pg_basebackup, `dualbootctl stop-point` after stable's clean shutdown, and
# the promotion from the trial boot of the copy. A write on stable at each
# point where one can happen:
#
#   1. between refresh and arming      -> promotion refused (55000, CLI exit 1),
#                                         saying how much and which table
#   2. between arming and the reboot   -> refused likewise
#   3. before the refresh only         -> allowed
#   4. none at all                     -> allowed, and committed
#
# plus: hint bits, checkpoints, VACUUM and ANALYZE after the copy do not
# count (3 and 4 run them); refresh's refusals (not root is checked by
# running it as postgres; the running cluster's own directory; a symlink; a
# non-empty directory without --force; on the test slot); a stable that was
# not shut down cleanly records no stop point.
#
# Needs root (clusters run as postgres), PostgreSQL's server binaries and
# pg_basebackup/pg_waldump (postgresql-NN, in tools/deps.sh's test profile).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/tap.sh"	# n, failed, ok, nok, check, is, has, finish
diag() { sed 's/^/# /' "$@"; }

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (the clusters run as postgres, refresh runs as root)"
	exit 0
fi
PGBIN=$(pg_config --bindir 2>/dev/null)
for p in initdb pg_ctl pg_basebackup pg_waldump pg_controldata psql; do
	if [ ! -x "$PGBIN/$p" ]; then
		echo "1..1"
		echo "not ok 1 - $PGBIN/$p is installed (tools/deps.sh test)"
		exit 1
	fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/safe-promotion.XXXXXX")
chmod 755 "$W"
cleanup() {
	for d in "$W/A/data" "$W/B/data"; do
		[ -f "$d/postmaster.pid" ] &&
			runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$W"
}
trap cleanup EXIT

if ! make -s -C "$ROOT" install-extension DESTDIR="$W/install" >"$W/install.log" 2>&1 ||
	! make -s -C "$ROOT" build/dualbootctl >>"$W/install.log" 2>&1; then
	nok "build and stage the extension and dualbootctl"
	diag "$W/install.log"
	finish
fi
CTL=$W/dualbootctl
cp "$ROOT/build/dualbootctl" "$CTL"

mkdir -p "$W/A/data" "$W/B/data" "$W/state/run" "$W/sock" "$W/log"
chown postgres "$W/A" "$W/A/data" "$W/B" "$W/B/data" "$W/state" "$W/sock" "$W/log"
chmod 700 "$W/A/data" "$W/B/data"
REC=$W/state/record
MARK=$W/state/run/booted
CONF=$W/dualboot.conf
cat >"$CONF" <<CONF
slot_a=$W/A
slot_b=$W/B
default=A
CONF
ctl() { "$CTL" --config "$CONF" --state "$REC" --marker "$MARK" "$@"; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PGHOST=$W/sock PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
pg() { runuser -u postgres -- "$@"; }
sql() { pg "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$W/sock" -p "$PORT" -c "$1" 2>&1; }

ctl init --stable A --reason "safe promotion test" >/dev/null
chown postgres "$REC"
chmod 0600 "$REC"

if ! pg "$PGBIN/initdb" -D "$W/A/data" -U postgres -A trust >"$W/initdb.log" 2>&1; then
	nok "initdb"
	diag "$W/initdb.log"
	finish
fi
cat >>"$W/A/data/postgresql.conf" <<PGCONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$W/sock'
extension_destdir = '$W/install'
dualboot.state_path = '$REC'
dualboot.boot_marker_path = '$MARK'
wal_keep_size = '256MB'
autovacuum_naptime = 1
PGCONF

# boot SLOT: the selector's decision, then the chosen slot's cluster starts
boot() {
	local out slot
	out=$(ctl boot-select 2>"$W/boot.err")
	slot=$(printf '%s\n' "$out" | sed -n "s/^DUALBOOT_SLOT='\{0,1\}\([AB]\)'\{0,1\}$/\1/p")
	[ "$slot" = "$1" ] || { echo "# boot-select chose '$slot', expected $1: $out"; return 1; }
	pg "$PGBIN/pg_ctl" -D "$W/$slot/data" -l "$W/log/$slot.log" -w -t 60 start >"$W/start.out" 2>&1 ||
		{ diag "$W/start.out"; tail -5 "$W/log/$slot.log" | sed "s/^/# /"; return 1; }
}
halt() {	# clean shutdown of slot $1's cluster, then stable's stop point
	pg "$PGBIN/pg_ctl" -D "$W/$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 || return 1
	ctl stop-point --pgdata "$W/$1/data" >"$W/stop.out" 2>&1
}

check "boot 1: stable A" boot A || finish
sql "CREATE EXTENSION dualboot" >/dev/null
sql "CREATE TABLE orders (id serial PRIMARY KEY, amount int); INSERT INTO orders (amount) SELECT g FROM generate_series(1, 1000) g" >/dev/null
# wide text: ANALYZE stores its statistics out of line, in pg_statistic's
# TOAST table (heap inserts and deletes there, which change no data)
sql "CREATE TABLE notes (body text); INSERT INTO notes SELECT string_agg(md5(i::text || '.' || j), '') FROM generate_series(1, 500) i, generate_series(1, 28) j GROUP BY i" >/dev/null
check "the extension on stable A reads a format 2 record" \
	test "$(sql "SELECT count(*) FROM dualboot_provenance() WHERE NOT known")" = 2

# ---- refresh's refusals ----
out=$(runuser -u postgres -- "$CTL" --config "$CONF" --state "$REC" --marker "$MARK" refresh --pgdata "$W/B/data" 2>&1)
check "refresh as postgres (not root): refused (exit $?)" has "$out" "runs as root"
out=$(ctl refresh --pgdata "$W/A/data" --source "host=$W/sock port=$PORT" 2>&1); rc=$?
check "refresh into the running cluster's own data directory: refused (exit $rc)" \
	test $rc = 1 -a -n "$(has "$out" "running cluster's own data directory" && echo y)"
ln -s "$W/B/data" "$W/Blink"
out=$(ctl refresh --pgdata "$W/Blink" --source "host=$W/sock port=$PORT" 2>&1); rc=$?
check "refresh into a symbolic link: refused (exit $rc)" \
	test $rc = 1 -a -n "$(has "$out" "symbolic link" && echo y)"
touch "$W/B/data/stale"
out=$(ctl refresh --pgdata "$W/B/data" --source "host=$W/sock port=$PORT" 2>&1); rc=$?
check "refresh into a non-empty directory without --force: refused (exit $rc)" \
	test $rc = 1 -a -n "$(has "$out" "not empty" && echo y)"
out=$(ctl refresh --pgdata "$W/B/data" --force --method snapshot --source "host=$W/sock port=$PORT" 2>&1); rc=$?
check "refresh --method snapshot on no thin volume: refused with the reason (exit $rc)" \
	test $rc = 1 -a -n "$(has "$out" "--method snapshot: both data directories are on the same file system" && echo y)"
test -e "$W/B/data/stale" || nok "the refused snapshot refresh left B's directory alone"
out=$(ctl refresh --pgdata "$W/B/data" --method copy 2>&1); rc=$?
check "refresh --method copy: bad usage (exit $rc)" \
	test $rc = 2 -a -n "$(has "$out" "--method is auto, snapshot or basebackup" && echo y)"

# scenario: WHEN is "refresh-arm" (write between refresh and arming), "arm-reboot"
# (between arming and the reboot), "before" (before the refresh only), "none"
scenario() {
	local when=$1 out rc
	[ "$when" = before ] && sql "INSERT INTO orders (amount) VALUES (1)" >/dev/null
	out=$(ctl refresh --pgdata "$W/B/data" --force --source "host=$W/sock port=$PORT" \
		--reason "scenario $when" 2>&1); rc=$?
	check "$when: refresh (exit $rc)" test $rc = 0
	[ $rc = 0 ] || echo "# $out"
	# --method auto on no thin volume: pg_basebackup, saying why
	check "$when: refresh by pg_basebackup, saying why not a snapshot" \
		has "$out" "refresh: by pg_basebackup (no thin snapshot: "
	check "$when: the copy's method is pg_basebackup" \
		has "$(ctl provenance)" "on slot A by pg_basebackup"
	check "$when: the provenance of B is recorded" \
		test "$(sql "SELECT known AND system_identifier = (SELECT system_identifier FROM pg_control_system()) FROM dualboot_provenance() WHERE slot = 'B'")" = t
	[ "$when" = refresh-arm ] &&
		sql "INSERT INTO orders (amount) VALUES (2); UPDATE orders SET amount = amount + 1 WHERE id = 3" >/dev/null
	if [ "$when" = before ] || [ "$when" = none ]; then
		# WAL that changes no data: hint bits, VACUUM (pruning, visibility), ANALYZE, checkpoints
		sql "SELECT count(*) FROM orders" >/dev/null
		sql "VACUUM ANALYZE orders" >/dev/null
		sql "ANALYZE notes" >/dev/null
		sql "CHECKPOINT" >/dev/null
		sql "SELECT pg_switch_wal()" >/dev/null
	fi
	if [ "$when" = arm-reboot ]; then
		# the CLI arm (no SQL) records the stop point the same way, from the
		# local cluster libpq's defaults reach (PGHOST, PGPORT exported above)
		out=$(ctl mark-test --tries 2 --reason "scenario $when" 2>&1)
		check "$when: dualbootctl mark-test on stable says it recorded the stop point" \
			has "$out" "stop point: stable slot A's WAL at"
		echo "$out" | sed 's/^/# /'
	else
		sql "SELECT dualboot_mark_test(2, 'scenario $when')" >/dev/null
	fi
	check "$when: arming on stable recorded its WAL position" \
		test "$(sql "SELECT how FROM dualboot_stop_point()")" = mark_test
	[ "$when" = arm-reboot ] && sql "DELETE FROM orders WHERE id = 5" >/dev/null
	check "$when: stable A shuts down cleanly, stop point recorded" halt A
	diag "$W/stop.out"
	check "$when: boot 2: trial of B (the copy)" boot B
}

expect_refused() {
	local when=$1 table=$2 out
	sql "SELECT dualboot_confirm()" >/dev/null
	out=$(sql "SELECT dualboot_promote('$when')")
	check "$when: dualboot_promote() refused with SQLSTATE 55000" \
		test "$(sql "DO \$\$BEGIN PERFORM dualboot_promote(); EXCEPTION WHEN object_not_in_prerequisite_state THEN RAISE NOTICE 'refused'; END\$\$" | grep -c refused)" = 1
	check "$when: ... saying stable changed data after the copy, with the WAL range" \
		has "$out" "changed data after the test slot's copy"
	check "$when: ... naming the table ($table)" has "$out" "public.$table"
	echo "$out" | grep -E 'ERROR|DETAIL' | sed 's/^/# /'
	out=$(ctl promote 2>&1); rc=$?
	check "$when: dualbootctl promote refused (exit $rc)" test $rc = 1
	check "$when: ... with the number of data-changing records" has "$out" "data-changing WAL record"
	has "$out" "data-changing WAL record" || echo "# $out"
	sql "SELECT dualboot_request_failback('scenario $when: stable wrote after the copy')" >/dev/null
	pg "$PGBIN/pg_ctl" -D "$W/B/data" -m fast -w -t 60 stop >/dev/null 2>&1
	check "$when: back to stable A" boot A
}

scenario refresh-arm
expect_refused refresh-arm orders
scenario arm-reboot
expect_refused arm-reboot orders

scenario before
sql "SELECT dualboot_confirm()" >/dev/null
out=$(sql "BEGIN; SELECT stable_slot FROM dualboot_promote('before'); ROLLBACK")
check "before: a write before the refresh only: promotion allowed" test "$out" = B
[ "$out" = B ] || echo "# $out"
check "before: dualboot_stop_point() says 0 data-changing records" \
	test "$(sql "SELECT data_records || ' ' || coalesce(promotion_refused, 'allowed') FROM dualboot_stop_point()")" = "0 allowed"
sql "SELECT dualboot_request_failback('next scenario')" >/dev/null
pg "$PGBIN/pg_ctl" -D "$W/B/data" -m fast -w -t 60 stop >/dev/null 2>&1
check "before: back to stable A" boot A

# a stable that is not cleanly shut down records no stop point
sql "SELECT dualboot_mark_test(1, 'crash')" >/dev/null
pg "$PGBIN/pg_ctl" -D "$W/A/data" -m immediate -w stop >/dev/null 2>&1
out=$(ctl stop-point --pgdata "$W/A/data" 2>&1); rc=$?
check "stop-point after an immediate shutdown: refused (exit $rc), nothing recorded" \
	test $rc = 1 -a -n "$(has "$out" "not cleanly shut down" && echo y)"
ctl failback --reason "after the crash test" >/dev/null 2>&1
check "stable A again" boot A

scenario none
out=$(sql "SELECT dualboot_confirm(); SELECT stable_slot FROM dualboot_promote('no write on stable since the copy')")
check "none: no write at all: promoted, B is stable" has "$out" B
check "none: the record says B stable, A's provenance cleared" \
	test "$(sql "SELECT string_agg(slot || ':' || role || ':' || known, ' ' ORDER BY slot) FROM dualboot_provenance()")" = "A:test:false B:stable:true"
sql "SELECT * FROM dualboot_provenance()" | sed 's/^/# /'
out=$(ctl provenance 2>&1)
check "dualbootctl provenance prints both slots" has "$out" "slot B (stable): copy of cluster"
echo "$out" | sed 's/^/# /'
out=$(ctl provenance --json 2>&1)
check "dualbootctl provenance --json: B's provenance, no stop point after the promotion, A refused" \
	python3 -c 'import json, sys
j = json.loads(sys.argv[1])
assert j["provenance"]["A"] is None and j["provenance"]["B"]["source_slot"] == "A", j
assert j["provenance"]["B"]["method"] == "pg_basebackup", j
assert j["stop_point"] is None and "provenance of the test slot A is unknown" in j["promotion"], j
assert isinstance(j["rehearsals"], list)' "$out"
pg "$PGBIN/pg_ctl" -D "$W/B/data" -m fast -w -t 60 stop >/dev/null 2>&1

# refresh on the test slot is refused: a trial boot of A (now the test slot)
ctl mark-test --tries 1 --reason "refresh from the test slot" >/dev/null 2>&1
ctl boot-select >/dev/null 2>&1
out=$(ctl refresh --pgdata "$W/B/data" --force 2>&1); rc=$?
check "refresh on the test slot A: refused (exit $rc)" \
	test $rc = 1 -a -n "$(has "$out" "this is slot A, the test slot" && echo y)"
finish
