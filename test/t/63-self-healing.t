#!/bin/sh
# 63-self-healing.t - self-healing trials and what happened (issue 17),
# outside a VM, on real files and a real PostgreSQL server:
# dualboot-confirm's deadline, health checks of health.d and the failure it
# reports (exit 1, which the unit's FailureAction=reboot turns into a
# reboot: this suite runs the script directly, never under systemd, so
# nothing here can reboot the machine it runs on), the outcome it records
# on the last try, dualboot-report's notification, dualbootctl metrics
# (promtool check metrics) and the metrics file.
# The reboot itself is proven on the whole machine (test/e2e, make e2e).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$TOP/build/self-healing-test
STAGE=$T/stage
SEL=$STAGE/usr/lib/dualboot/dualboot-select
CTL=$TOP/build/dualbootctl
CONFIRM=$STAGE/usr/lib/dualboot/dualboot-confirm
REPORT=$STAGE/usr/lib/dualboot/dualboot-report
METRICS=$STAGE/usr/lib/dualboot/dualboot-metrics

command -v musl-gcc >/dev/null 2>&1 || { echo "1..0 # SKIP musl-gcc not installed"; exit 0; }
make -s -C "$TOP" build/musl/dualboot-select build/dualbootctl >&2 ||
	{ echo "Bail out! build failed"; exit 1; }
rm -rf "$T"; mkdir -p "$T"; chmod 0755 "$T"
make -s -C "$TOP" install-hook DESTDIR="$STAGE" >&2 ||
	{ echo "Bail out! make install-hook failed"; exit 1; }

n=0 failed=0 fail=""
echo "1..16"
problem() { fail="$fail
#   $*"; }
expect() { [ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"; }
assert() {
	n=$((n + 1))
	if [ -z "$fail" ]; then echo "ok $n - $1"; else echo "not ok $n - $1$fail"; failed=$((failed + 1)); fi
	fail=""
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
js() { "$CTL" --config "$CONF" --marker "$1" status --json |
	python3 -c "import json,sys; v=json.load(sys.stdin)['$2']; print('null' if v is None else v)"; }
seq_of() { "$CTL" --config "$CONF" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['seq'])"; }

CONF=$T/dualboot.conf
cat > "$CONF" <<CONFEOF
state_device=$T/state
slot_a=$T/slot-A
slot_b=$T/slot-B
default=A
confirm_deadline=3
health_timeout=3
CONFEOF
: > "$T/cmdline"
mkdir -p "$T/slot-A" "$T/slot-B" "$T/health.d" "$T/nosock"
chmod 0777 "$T/nosock"
export DUALBOOT_CONF="$CONF" DUALBOOT_CMDLINE="$T/cmdline" DUALBOOT_LIBDIR="$STAGE/usr/lib/dualboot" \
	DUALBOOTCTL="$CTL" DUALBOOT_HEALTH_DIR="$T/health.d"
unset DUALBOOT_CONFIRM_TIMEOUT DUALBOOT_CONFIRM_DEADLINE DUALBOOT_HEALTH_TIMEOUT

# boot KIND MARKER: a boot as the initramfs makes it (the real selector)
boot() { "$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/state" --marker "$1" >/dev/null 2>&1; }
# arm TRIES: a fresh record with a trial armed
arm() {
	"$CTL" --state "$T/state" init --stable A --force >/dev/null &&
		"$CTL" --config "$CONF" mark-test --tries "$1" --reason "migration 42" >/dev/null
}

# 1. installed: the new units, scripts, the watchdog drop-in; the confirm
#    unit reboots on failure
for f in usr/lib/dualboot/dualboot-report usr/lib/dualboot/dualboot-metrics \
	lib/systemd/system/dualboot-report.service lib/systemd/system/dualboot-metrics.service \
	lib/systemd/system/dualboot-metrics.timer etc/dualboot/health.d \
	usr/lib/systemd/system.conf.d/60-dualboot-watchdog.conf; do
	[ -e "$STAGE/$f" ] || problem "$f not installed"
done
U=$STAGE/lib/systemd/system/dualboot-confirm.service
grep -qx 'FailureAction=reboot' "$U" || problem "dualboot-confirm.service: no FailureAction=reboot"
grep -q '^TimeoutStartSec=' "$U" || problem "dualboot-confirm.service: no TimeoutStartSec backstop"
grep -qx 'RuntimeWatchdogSec=2min' "$STAGE/usr/lib/systemd/system.conf.d/60-dualboot-watchdog.conf" ||
	problem "watchdog drop-in"
assert "installed: report and metrics units, watchdog drop-in; confirm unit has FailureAction=reboot"

# 2. the new keys are checked at update-initramfs time
"$SEL" --check-config "$CONF" 2>"$T/err" || problem "valid config refused: $(cat "$T/err")"
{ cat "$CONF"; echo "notify_command=/usr/local/bin/page-dba"; echo "health_database=app"; } > "$T/ok.conf"
"$SEL" --check-config "$T/ok.conf" 2>"$T/err" || problem "notify_command refused: $(cat "$T/err")"
{ cat "$CONF"; echo "confirm_deadline=soon"; } > "$T/bad.conf"
"$SEL" --check-config "$T/bad.conf" 2>"$T/err"
expect "exit status of confirm_deadline=soon" $? 2
grep -q ':7: confirm_deadline' "$T/err" || problem "no line and key: $(cat "$T/err")"
{ cat "$CONF"; echo "notify_command=page-dba"; } > "$T/bad.conf"
"$SEL" --check-config "$T/bad.conf" 2>/dev/null && problem "a relative notify_command accepted"
assert "--check-config: confirm_deadline, health_timeout, notify_command, health_database"

# a health check that always fails: it must not matter on a stable boot
printf '#!/bin/sh\necho "smoke test: FAILED"\nexit 3\n' > "$T/health.d/50-fails"
chmod +x "$T/health.d/50-fails"

# 3. a stable boot is never failed: no server, a failing check, exit 0
"$CTL" --state "$T/state" init --stable A --force >/dev/null
boot "$T/m-stable"
s0=$(seq_of)
PGHOST=$T/nosock DUALBOOT_MARKER=$T/m-stable "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 0
grep -q 'not as a trial: nothing to confirm' "$T/out" || problem "output: $(cat "$T/out")"
expect "record untouched" "$(seq_of)" "$s0"
# the same after a trial failed back: stable again
arm 2; boot "$T/m-t1"; "$CTL" --config "$CONF" failback --reason "by hand" >/dev/null; boot "$T/m-s2"
s0=$(seq_of)
PGHOST=$T/nosock DUALBOOT_MARKER=$T/m-s2 "$CONFIRM" > "$T/out" 2>&1
expect "exit status after a failback" $? 0
expect "record untouched after a failback" "$(seq_of)" "$s0"
assert "a stable boot: dualboot-confirm exits 0 (never fails, so never reboots), record untouched"

# 4. a trial boot whose server never answers: exit 1 after the deadline;
#    tries left, so nothing written (the hook counts the try)
arm 2; boot "$T/m-t1"
s0=$(seq_of)
start=$(date +%s)
PGHOST=$T/nosock DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 1
took=$(( $(date +%s) - start ))
[ "$took" -ge 3 ] || problem "gave up after ${took}s, before the 3 s deadline"
grep -q 'check postgresql failed: not accepting connections within 3s' "$T/out" ||
	problem "output: $(cat "$T/out")"
grep -q 'rebooting' "$T/out" || problem "output: $(cat "$T/out")"
expect "record untouched (tries left)" "$(seq_of)" "$s0"
expect "still armed" "$(js "$T/m-t1" trial_armed)" True
assert "trial boot, PostgreSQL never answers: exit 1 (reboot) at confirm_deadline=3, try left to the hook"

# 5. the last try: the failure is written (failback by dualboot-confirm)
boot "$T/m-t2"
expect "last try" "$(sed -n 's/^tries_left=//p' "$T/m-t2")" 0
PGHOST=$T/nosock DUALBOOT_MARKER=$T/m-t2 "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 1
expect "armed" "$(js "$T/m-t2" trial_armed)" False
expect "next boot" "$(js "$T/m-t2" next_boot_slot)" A
expect "outcome" "$(js "$T/m-t2" last_trial_outcome)" health_check_failed
js "$T/m-t2" last_trial_detail | grep -q '^check postgresql failed: not accepting connections within 3s' ||
	problem "detail: $(js "$T/m-t2" last_trial_detail)"
boot "$T/m-s3"
expect "the next boot" "$(sed -n 's/^slot=//p' "$T/m-s3")" A
"$CTL" --config "$CONF" --marker "$T/m-s3" metrics > "$T/m.prom"
grep -qx 'dualboot_last_trial_outcome{outcome="health_check_failed",check="postgresql"} 1' "$T/m.prom" ||
	problem "metrics: $(grep outcome "$T/m.prom")"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/m.prom" > "$T/promtool.out" 2>&1 || problem "promtool: $(cat "$T/promtool.out")"
else
	problem "promtool not installed (tools/deps.sh test installs prometheus)"
fi
assert "the last try: failure written (check postgresql), next boot stable, metrics tell it (promtool)"

# 6. a marker of an earlier boot: never failed
arm 2; boot "$T/m-t1"
sed 's/^boot_id=.*/boot_id=00000000-0000-0000-0000-000000000000/' "$T/m-t1" > "$T/m-old"
PGHOST=$T/nosock DUALBOOT_MARKER=$T/m-old "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 0
assert "a marker from an earlier boot: exit 0, not failed"
rm -f "$T/health.d/50-fails"

# a throw-away PostgreSQL cluster, run by the postgres user
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG=$T/pg
pg_up=""
if [ -n "$PGBIN" ] && id postgres >/dev/null 2>&1; then
	mkdir -p "$PG"; chown postgres "$PG"
	if runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -A trust >"$T/initdb.log" 2>&1 &&
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/log" -w \
			-o "-c listen_addresses='' -c unix_socket_directories='$PG'" start \
			>"$T/pgctl.log" 2>&1; then
		pg_up=1
		trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m fast stop >/dev/null 2>&1' EXIT
	fi
fi

# 7. health checks pass: confirmed, output in the log, timing in the record
if [ -n "$pg_up" ]; then
	printf 'SELECT 40 + 2 AS answer;\n' > "$T/health.d/10-answer.sql"
	printf '#!/bin/sh\necho "app smoke test on slot $DUALBOOT_SLOT: fine"\n' > "$T/health.d/20-smoke"
	chmod +x "$T/health.d/20-smoke"
	echo "not a check" > "$T/health.d/README"
	arm 2; boot "$T/m-t1"
	PGHOST=$PG DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 0
	grep -q 'health 10-answer.sql: 42' "$T/out" || problem "SQL output missing: $(cat "$T/out")"
	grep -q 'health 20-smoke: app smoke test on slot B: fine' "$T/out" || problem "output: $(cat "$T/out")"
	grep -q 'README: not executable' "$T/out" || problem "README not skipped: $(cat "$T/out")"
	expect "confirmed" "$(js "$T/m-t1" confirmed)" True
	expect "outcome" "$(js "$T/m-t1" last_trial_outcome)" confirmed
	js "$T/m-t1" last_reason | grep -q '2 health checks passed' || problem "reason: $(js "$T/m-t1" last_reason)"
	"$CTL" --config "$CONF" --marker "$T/m-t1" metrics | grep -q '^dualboot_last_trial_ready_to_confirm_seconds [0-9]' ||
		problem "no ready_to_confirm metric"
	assert "health checks pass (SQL, executable; README skipped): confirmed, output logged"
else
	skip "no PostgreSQL cluster could be started (see $T/initdb.log)"
fi

# 8. a failing SQL check on the last try: exit 1, the check named in the record
if [ -n "$pg_up" ]; then
	printf 'SELECT 1;\nSELECT * FROM no_such_table;\n' > "$T/health.d/30-app.sql"
	arm 1; boot "$T/m-t1"
	PGHOST=$PG DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 1
	grep -q 'health 30-app.sql: .*no_such_table' "$T/out" || problem "error not logged: $(cat "$T/out")"
	expect "confirmed" "$(js "$T/m-t1" confirmed)" False
	eval "$("$CTL" --config "$CONF" outcome)"
	expect "outcome" "$DUALBOOT_OUTCOME" health_check_failed
	expect "check" "$DUALBOOT_OUTCOME_CHECK" 30-app.sql
	assert "a failing SQL check on the last try: exit 1, outcome health_check_failed (30-app.sql)"
	rm -f "$T/health.d/30-app.sql"
else
	skip "no PostgreSQL cluster"
fi

# 9. a failing executable with tries left: exit 1, record untouched
if [ -n "$pg_up" ]; then
	printf '#!/bin/sh\necho "orders endpoint: HTTP 500" >&2\nexit 3\n' > "$T/health.d/40-api"
	chmod +x "$T/health.d/40-api"
	arm 2; boot "$T/m-t1"; s0=$(seq_of)
	PGHOST=$PG DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 1
	grep -q 'check 40-api failed: exit status 3: orders endpoint: HTTP 500' "$T/out" || problem "output: $(cat "$T/out")"
	expect "record untouched" "$(seq_of)" "$s0"
	assert "a failing executable check with tries left: exit 1, record untouched"
	rm -f "$T/health.d/40-api"
else
	skip "no PostgreSQL cluster"
fi

# 10. a check that hangs: killed after health_timeout
if [ -n "$pg_up" ]; then
	printf '#!/bin/sh\nsleep 60\n' > "$T/health.d/45-hangs"
	chmod +x "$T/health.d/45-hangs"
	arm 2; boot "$T/m-t1"
	start=$(date +%s)
	PGHOST=$PG DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 1
	took=$(( $(date +%s) - start ))
	[ "$took" -lt 30 ] || problem "took ${took}s"
	grep -q 'check 45-hangs failed: timed out after 3s' "$T/out" || problem "output: $(cat "$T/out")"
	assert "a hanging check times out after health_timeout=3 (${took}s)"
	rm -f "$T/health.d/45-hangs"
else
	skip "no PostgreSQL cluster"
fi

# 11. dualboot-report: the failed trial is notified once, with its outcome
arm 1; boot "$T/m-t1"
USER=dualboot-confirm LOGNAME=dualboot-confirm "$CTL" --config "$CONF" --marker "$T/m-t1" \
	failback --reason "check 20-smoke failed: exit status 1" >/dev/null
boot "$T/m-s1"
printf '#!/bin/sh\necho "$DUALBOOT_OUTCOME|$DUALBOOT_OUTCOME_CHECK|$DUALBOOT_OUTCOME_DETAIL" >> %s\n' \
	"$T/notified" > "$T/notify"
chmod +x "$T/notify"
{ cat "$CONF"; echo "notify_command=$T/notify"; } > "$T/notify.conf"
R() { DUALBOOT_CONF=$T/notify.conf DUALBOOT_MARKER=$T/m-s1 DUALBOOT_DECISION=$T/none \
	DUALBOOT_REPORT_DIR=$T/report "$REPORT" > "$T/out" 2>&1; }
R; expect "exit status" $? 0
expect "notified" "$(cat "$T/notified" 2>/dev/null)" \
	"health_check_failed|20-smoke|check 20-smoke failed: exit status 1"
R; expect "exit status again" $? 0
expect "notified once" "$(wc -l < "$T/notified")" 1
# the evidence of a trial dualboot-confirm ended (an ordinary stable boot
# for the hook), once
printf "DUALBOOT_SLOT='A'\nDUALBOOT_TRIAL_FAILED='0'\n" > "$T/decision-plain"
EV() { DUALBOOT_DECISION=$T/decision-plain DUALBOOT_MARKER=$T/m-s1 DUALBOOT_EVIDENCE_DIR=$T/evidence \
	"$STAGE/usr/lib/dualboot/dualboot-trial-evidence" > "$T/ev.out" 2>&1; }
EV; expect "evidence exit status" $? 0
grep -q 'trial failed: check 20-smoke failed: exit status 1 (dualboot-confirm, on the last try)' "$T/ev.out" ||
	problem "evidence: $(cat "$T/ev.out")"
expect "evidence files" "$(ls "$T"/evidence/trial-failed-*.txt 2>/dev/null | wc -l)" 1
rm -f "$T"/evidence/trial-failed-*.txt
EV; expect "evidence files, again" "$(ls "$T"/evidence/trial-failed-*.txt 2>/dev/null | wc -l)" 0
# a notification that fails is tried again at the next boot
arm 1; boot "$T/m-t1"; boot "$T/m-s1"     # tries exhausted: the hook ends it
printf '#!/bin/sh\nexit 5\n' > "$T/notify"
R; expect "exit status of a failed notification" $? 1
printf '#!/bin/sh\necho "$DUALBOOT_OUTCOME" >> %s\n' "$T/notified" > "$T/notify"
R; expect "exit status of the retry" $? 0
expect "retried" "$(tail -1 "$T/notified")" tries_exhausted
assert "dualboot-report: notify_command runs once per failed trial, with the outcome; a failure is retried; evidence once"

# 12. no notification for a confirmed trial
if [ -n "$pg_up" ]; then
	: > "$T/notified"
	arm 2; boot "$T/m-t1"
	PGHOST=$PG DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > /dev/null 2>&1
	DUALBOOT_CONF=$T/notify.conf DUALBOOT_MARKER=$T/m-t1 DUALBOOT_DECISION=$T/none \
		DUALBOOT_REPORT_DIR=$T/report "$REPORT" > "$T/out" 2>&1
	expect "exit status" $? 0
	expect "nothing notified" "$(cat "$T/notified")" ""
	assert "dualboot-report: a confirmed trial notifies nobody"
else
	skip "no PostgreSQL cluster"
fi

# 13. the metrics file for node_exporter: written whole, promtool-valid
DUALBOOT_TEXTFILE_DIR=$T/textfile "$METRICS"
expect "exit status" $? 0
[ -f "$T/textfile/dualboot.prom" ] || problem "no dualboot.prom"
ls -a "$T/textfile" | grep -q '^\.dualboot' && problem "a temporary file was left"
promtool check metrics < "$T/textfile/dualboot.prom" > "$T/promtool.out" 2>&1 ||
	problem "promtool: $(cat "$T/promtool.out")"
# an unreadable record: still a file, saying so
sed "s|^state_device=.*|state_device=$T/no-such-record|" "$CONF" > "$T/norecord.conf"
DUALBOOT_CONF=$T/norecord.conf DUALBOOT_TEXTFILE_DIR=$T/textfile "$METRICS" 2>/dev/null
grep -qx 'dualboot_record_readable 0' "$T/textfile/dualboot.prom" || problem "$(cat "$T/textfile/dualboot.prom")"
assert "dualboot-metrics writes dualboot.prom atomically (promtool-valid; readable 0 without a record)"

# 14. dualbootctl journal: a structured entry with MESSAGE_ID, through
#     libsystemd to the journal's socket (a private one, in a mount namespace)
if command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	cat > "$T/journal.sh" <<JEOF
set -e
mount -t tmpfs tmpfs /run/systemd/journal 2>/dev/null || { mkdir -p /run/systemd/journal && mount -t tmpfs tmpfs /run/systemd/journal; }
python3 - "$CTL" <<'PY'
import socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
s.settimeout(5)
rc = subprocess.call([sys.argv[1], "journal", "confirm-failed", "--slot", "B", "--check", "20-smoke",
                      "trial boot of slot B not confirmed"])
print("rc=%d" % rc)
print(s.recv(65536).decode())
PY
JEOF
	unshare -m sh "$T/journal.sh" > "$T/journal.out" 2>&1
	grep -qx 'rc=0' "$T/journal.out" || problem "$(cat "$T/journal.out")"
	grep -qx 'MESSAGE_ID=8d63a9f0439240d996ced3b4e3e16fdc' "$T/journal.out" || problem "no MESSAGE_ID: $(cat "$T/journal.out")"
	grep -qx 'DUALBOOT_CHECK=20-smoke' "$T/journal.out" || problem "no DUALBOOT_CHECK"
	grep -qx 'PRIORITY=3' "$T/journal.out" || problem "no PRIORITY"
	grep -qx 'MESSAGE=trial boot of slot B not confirmed' "$T/journal.out" || problem "no MESSAGE"
	assert "dualbootctl journal: MESSAGE_ID, fields and priority in the journal's native protocol"
else
	skip "cannot make a mount namespace here (unshare -m) for a private journal socket"
fi

# 16 (cheap, before the slow one). the hook's own outcomes: the test root
#    missing, and firmware mode's fallback on the last try
O=$T/outcome-state
"$CTL" --state "$O" init --stable A >/dev/null && "$CTL" --state "$O" mark-test --tries 1 >/dev/null
printf 'slot_a=%s\nslot_b=%s\n' "$T/slot-A" "$T/no-such-root" > "$T/noroot.conf"
"$CTL" --config "$T/noroot.conf" --state "$O" --marker "$T/m-o" boot-select >/dev/null 2>&1
eval "$("$CTL" --config "$T/noroot.conf" --state "$O" outcome)"
expect "test root missing" "$DUALBOOT_OUTCOME/$DUALBOOT_OUTCOME_FAILED" test_root_missing/1
"$CTL" --state "$O" mark-test --tries 1 >/dev/null
"$CTL" --config "$CONF" --state "$O" --marker "$T/m-o" boot-select --firmware-slot A >/dev/null 2>&1
eval "$("$CTL" --config "$CONF" --state "$O" outcome)"
expect "firmware fallback" "$DUALBOOT_OUTCOME/$DUALBOOT_OUTCOME_FAILED" firmware_fallback/1
assert "outcomes of the hook: test_root_missing, firmware_fallback"

# 15. a slow start in recovery does not use up the deadline: a real archive
#     recovery (a base backup and 8 WAL segments, each restored after 1 s)
#     takes far longer than confirm_deadline=3 and is confirmed; the same
#     recovery counted against the deadline (DUALBOOT_RECOVERY_STALL=0) fails
if [ -n "$pg_up" ]; then
	R=$T/rec; mkdir -p "$R/arch"; chown -R postgres "$R"
	P() { runuser -u postgres -- "$@"; }
	PS() { P psql -h "$R" -p 5499 -XAtq -d postgres -c "$1"; }
	ok_setup=""
	if P "$PGBIN/initdb" -D "$R/src" -A trust >"$T/rec-initdb.log" 2>&1 &&
		P "$PGBIN/pg_ctl" -D "$R/src" -l "$R/src.log" -w -o "-c listen_addresses='' \
			-c unix_socket_directories='$R' -c port=5499 -c archive_mode=on \
			-c archive_command='cp %p $R/arch/%f'" start >/dev/null 2>&1; then
		P "$PGBIN/pg_basebackup" -h "$R" -p 5499 -D "$R/base" -X none -c fast >"$T/rec-bb.log" 2>&1 &&
			PS "CREATE TABLE t AS SELECT 1 AS x" >/dev/null &&
			for i in 1 2 3 4 5 6 7 8; do
				PS "INSERT INTO t SELECT generate_series(1, 1000)" >/dev/null
				PS "SELECT pg_switch_wal()" >/dev/null
			done &&
			P "$PGBIN/pg_ctl" -D "$R/src" -m fast -w stop >/dev/null 2>&1 && ok_setup=1
	fi
	# start a copy of the base backup in archive recovery (no hot standby:
	# it rejects connections until the end of the archive)
	recover() {
		rm -rf "$R/$1"; cp -a "$R/base" "$R/$1"
		touch "$R/$1/recovery.signal"; chown postgres "$R/$1/recovery.signal"
		P "$PGBIN/pg_ctl" -D "$R/$1" -l "$R/$1.log" -W -o "-c listen_addresses='' \
			-c unix_socket_directories='$R' -c port=5499 -c hot_standby=off \
			-c restore_command='sleep 1; cp $R/arch/%f %p'" start >/dev/null 2>&1 || return 1
		# the deadline is about a server already starting: wait (at most 30 s)
		# until its startup process replays WAL, so that a slow start of the
		# postmaster on a loaded machine does not use up the 3 s
		for i in $(seq 150); do
			ps -eo args= | grep -q "startup \(recovering\|waiting for\) " && return 0
			sleep 0.2
		done
		return 1
	}
	stop_rec() { P "$PGBIN/pg_ctl" -D "$R/$1" -m immediate -w stop >/dev/null 2>&1; }
	if [ -n "$ok_setup" ] && recover r1; then
		arm 2; boot "$T/m-t1"
		start=$(date +%s)
		PGHOST=$R PGPORT=5499 DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out" 2>&1
		expect "exit status" $? 0
		took=$(( $(date +%s) - start ))
		[ "$took" -gt 5 ] || problem "the recovery took only ${took}s: not a test of the pause"
		grep -q 'PostgreSQL is replaying WAL (segment [0-9A-F]*): the deadline is paused' "$T/out" ||
			problem "no pause said: $(cat "$T/out")"
		expect "confirmed" "$(js "$T/m-t1" confirmed)" True
		stop_rec r1
		if recover r2; then
			arm 2; boot "$T/m-t1"
			PGHOST=$R PGPORT=5499 DUALBOOT_RECOVERY_STALL=0 DUALBOOT_MARKER=$T/m-t1 "$CONFIRM" > "$T/out2" 2>&1
			expect "exit status, recovery counted" $? 1
			grep -q 'check postgresql failed: not accepting connections within 3s' "$T/out2" ||
				problem "output: $(cat "$T/out2")"
			stop_rec r2
		else
			problem "cannot start the second recovery: $(tail -3 "$R/r2.log")"
		fi
		assert "crash/archive recovery in progress pauses the deadline (${took}s > 3s, confirmed); counted, it fails"
	else
		stop_rec r1
		problem "cannot set up an archive recovery: $(cat "$T/rec-bb.log" "$R/src.log" 2>/dev/null | tail -5)"
		assert "crash/archive recovery in progress pauses the deadline"
	fi
else
	skip "no PostgreSQL cluster"
fi

[ "$failed" = 0 ]
