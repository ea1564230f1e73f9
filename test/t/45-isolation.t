#!/bin/bash
# test/t/45-isolation.t - the test slot is isolated during a trial (issue 15,
# docs/isolation.md), with real clients on another network address and a
# real streaming standby of stable.
#
# The machine: one record and one boot marker (as in demo/run.sh), two
# PostgreSQL 15 clusters for the slots, run one at a time on the same
# address and port (the machine's): slot A, stable, made by initdb; slot B,
# the test slot, a pg_basebackup copy of A (same system identifier, same
# timeline, as a refreshed test slot is). Both preload dualboot (the README's
# deployment step) from a scratch installation (make install-extension
# DESTDIR=..., Debian's extension_destdir). "Another machine" is a network
# namespace made here, joined to this one by a veth pair in 10.231.N.0/24:
# psql clients run inside it, and so does a streaming standby of A made
# with pg_basebackup -R through the veth.
#
#   1. stable boot: a client from the namespace is admitted; the standby
#      streams; dualboot_isolation() says open (stable)
#   2. trial boot of B: clients from the namespace are refused (FATAL 57P03,
#      the setting named), their writes never land, replication (physical,
#      logical, even local) is refused; Unix socket and loopback clients are
#      admitted; the standby's walreceiver is refused again and again and its
#      replay position never passes stable's end, while B writes far more WAL
#      than that; dualbootctl status says the isolation applies
#   3. failback: A serves again; the standby reconnects and streams (a row
#      inserted on A shows on it) without being cloned again
#   4. a second trial with dualboot.trial_isolation = open: the namespace's
#      clients get in and write, and the same standby does follow the test
#      slot (the control experiment: what step 2 refused was the isolation);
#      a reload back to local refuses new clients again
#   5. the test slot promoted: the same server admits the namespace's clients
#      at once (the role is read per connection)
#
# Clients over IPv6 too (a ULA on the veth pair), where the kernel has IPv6.
#
# Needs root (the clusters run as postgres; ip netns), iproute2, PostgreSQL.
# Skips, saying why, only when network namespaces cannot be made here.
# TAP; the plan is printed at the end.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # NAME COMMAND...: ok when the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
diag() { sed 's/^/# /' "$@" >&2; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces; the clusters run as postgres)"
command -v ip >/dev/null || { nok "ip (iproute2) is installed (run tools/deps.sh as root)"; finish; }
command -v pg_config >/dev/null || { nok "pg_config is installed (run tools/deps.sh as root)"; finish; }
id postgres >/dev/null 2>&1 || { nok "a postgres user exists (install postgresql-15)"; finish; }
PGBIN=$(pg_config --bindir)
for p in initdb pg_ctl pg_basebackup pg_controldata psql; do
	[ -x "$PGBIN/$p" ] || { nok "$PGBIN/$p exists (run tools/deps.sh as root)"; finish; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-iso.XXXXXX")
chmod 755 "$W"
NS=dbiso$$
VH=dbisoh$$
VN=dbison$$
NET=10.231.$(($$ % 250 + 1))
HOSTIP=$NET.1
NSIP=$NET.2
A=$W/slot-A
B=$W/slot-B
S=$W/standby
pg() { runuser -u postgres -- "$@"; }
stop() { [ -f "$1/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1; }
cleanup() {
	for d in "$S" "$B" "$A"; do
		stop "$d" immediate
	done
	ip netns del "$NS" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	if [ "$failed" = 0 ] || [ -z "${DUALBOOT_KEEP:-}" ]; then
		rm -rf "$W"
	else
		echo "# kept $W (DUALBOOT_KEEP)" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the other machine: a network namespace behind a veth pair ---------------
if ! ip netns add "$NS" 2>"$W/netns.err"; then
	skip_all "ip netns add is not permitted here: $(head -1 "$W/netns.err")"
fi
if ip link add "$VH" type veth peer name "$VN" 2>"$W/net.log" &&
	ip link set "$VN" netns "$NS" 2>>"$W/net.log" &&
	ip addr add "$HOSTIP/24" dev "$VH" 2>>"$W/net.log" &&
	ip link set "$VH" up 2>>"$W/net.log" &&
	ip -n "$NS" addr add "$NSIP/24" dev "$VN" 2>>"$W/net.log" &&
	ip -n "$NS" link set "$VN" up 2>>"$W/net.log" &&
	ip -n "$NS" link set lo up 2>>"$W/net.log"; then
	ok "network namespace $NS at $NSIP, this machine at $HOSTIP (veth)"
	# IPv6 too where the kernel has it (nodad: usable at once)
	NET6=fd00:231:$(($$ % 250 + 1))
	if [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)" = 0 ] &&
		ip addr add "$NET6::1/64" dev "$VH" nodad 2>>"$W/net.log" &&
		ip -n "$NS" addr add "$NET6::2/64" dev "$VN" nodad 2>>"$W/net.log"; then
		V6=1
	else
		V6=
	fi
else
	nok "network namespace and veth pair"
	diag "$W/net.log"
	finish
fi
inns() { ip netns exec "$NS" "$@"; }

# --- the extension, the record, the marker -------------------------------------
if ! make -s install-extension DESTDIR="$W/install" >"$W/install.log" 2>&1 ||
	! make -s build/dualbootctl >>"$W/install.log" 2>&1; then
	nok "make install-extension DESTDIR=<scratch>, build/dualbootctl"
	diag "$W/install.log"
	finish
fi
CTL=$ROOT/build/dualbootctl
ST=$W/state
install -d -o postgres -m 0755 "$ST"
: >"$ST/empty.conf"
ctl() { "$CTL" --config "$ST/empty.conf" --state "$ST/record" "$@"; }
boot() { # one simulated boot: the selector's decision, its marker
	ctl boot-select --marker "$ST/run/booted" | sed -n 's/^DUALBOOT_SLOT=//p'
}
ctl init --stable A >/dev/null && chown postgres "$ST/record" && chmod 600 "$ST/record"
[ "$(boot)" = A ] || { nok "first boot selects the stable slot A"; finish; }

# a free port below the ephemeral range, on loopback and the veth address
PORT=$(python3 -c 'import random, socket, sys
def free(addr, port):
    s = socket.socket()
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for port in random.sample(range(20000, 30000), 200):
    if free("127.0.0.1", port) and free(sys.argv[1], port):
        print(port)
        break' "$HOSTIP")
[ -n "$PORT" ] || { nok "a free TCP port on $HOSTIP"; finish; }
SOCK=$W/sock
install -d -o postgres -m 0755 "$SOCK" "$W/ssock"
install -d -o postgres -m 0700 "$A" "$B" "$S"

# --- slot A: the stable cluster --------------------------------------------------
if pg "$PGBIN/initdb" -D "$A" -A trust -U postgres >"$W/initdb.log" 2>&1; then
	ok "initdb slot A"
else
	nok "initdb slot A"
	diag "$W/initdb.log"
	finish
fi
cat >>"$A/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1,$HOSTIP${V6:+,::1,$NET6::1}'
port = $PORT
unix_socket_directories = '$SOCK'
shared_preload_libraries = '$W/install$(pg_config --pkglibdir)/dualboot.so'
extension_destdir = '$W/install'
dualboot.state_path = '$ST/record'
dualboot.boot_marker_path = '$ST/run/booted'
log_line_prefix = '%m [%p] %e '
log_replication_commands = on
wal_keep_size = '256MB'
EOF
cat >>"$A/pg_hba.conf" <<EOF
host all all $NET.0/24 trust
host all all ${NET6:-fd00:231::}::/64 trust
host replication all $NET.0/24 trust
EOF
start() { # DIR LOG [netns]
	if [ -n "${3:-}" ]; then
		inns runuser -u postgres -- "$PGBIN/pg_ctl" -D "$1" -l "$2" -w -t 60 start >/dev/null 2>&1
	else
		pg "$PGBIN/pg_ctl" -D "$1" -l "$2" -w -t 60 start >/dev/null 2>&1
	fi
}
: >"$W/A.log" && chown postgres "$W/A.log"
if start "$A" "$W/A.log"; then
	ok "slot A's PostgreSQL starts, preloading dualboot"
else
	nok "slot A starts"
	diag "$W/A.log"
	finish
fi
# local clients: the Unix socket (and psql -h 127.0.0.1 where said)
lsql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres "$@"; }
# a client on the other machine
rsql() { inns "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$HOSTIP" -p "$PORT" -U postgres -d postgres "$@"; }
# the standby, on its own socket
ssql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$W/ssock" -p "$PORT" -U postgres -d postgres "$@"; }
wait_for() { # CLIENT SQL WANT [TRIES of 0.2 s]
	local i got=""
	for i in $(seq 1 "${4:-150}"); do
		got=$($1 -c "$2" 2>&1)
		[ "$got" = "$3" ] && return 0
		sleep 0.2
	done
	echo "# waited for '$3' from $1 -c \"$2\", last got: $got" >&2
	return 1
}

lsql -c "CREATE EXTENSION dualboot" -c "CREATE TABLE orders (id serial PRIMARY KEY, note text)" \
	-c "INSERT INTO orders (note) VALUES ('before the trial')" >"$W/setup.log" 2>&1 ||
	{ nok "set up slot A"; diag "$W/setup.log"; finish; }

# --- 1. stable boot ----------------------------------------------------------------
# v6 TEST NAME COMMAND...: a check over IPv6, skipped where there is none
v6() {
	local name=$1
	shift
	if [ -z "$V6" ]; then
		n=$((n + 1))
		echo "ok $n # skip no IPv6 here: $name"
	else
		check "$name" "$@"
	fi
}
v6psql() { # [ns] HOST SQL: one value, or the error
	if [ "$1" = ns ]; then
		shift
		inns "$PGBIN/psql" -X -At -h "$1" -p "$PORT" -U postgres -d postgres -c "$2" 2>&1
	else
		"$PGBIN/psql" -X -At -h "$1" -p "$PORT" -U postgres -d postgres -c "$2" 2>&1
	fi
}
v6 "stable: a client from $NET6::2 (IPv6) is admitted" \
	[ "$(v6psql ns "$NET6::1" "SELECT inet_client_addr()")" = "$NET6::2" ]
got=$(rsql -c "SELECT note FROM orders ORDER BY id LIMIT 1" 2>&1)
if [ "$got" = "before the trial" ]; then
	ok "stable: a client from $NSIP is admitted"
else
	nok "stable: a client from $NSIP is admitted (got: $got)"
fi
got=$(lsql -c "SELECT isolation || ' ' || setting || ' ' || slot_role FROM dualboot_isolation()")
check "stable: dualboot_isolation() = open, setting local, role stable ($got)" \
	[ "$got" = "open local stable" ]

# the test slot B: a copy of A (pg_basebackup: same system identifier)
if pg "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PORT" -U postgres -D "$B" -X stream -c fast \
	>"$W/bb-B.log" 2>&1; then
	ok "slot B refreshed from A (pg_basebackup)"
else
	nok "slot B refreshed from A"
	diag "$W/bb-B.log"
	finish
fi

# the standby, on the other machine, cloned through the veth
if inns runuser -u postgres -- "$PGBIN/pg_basebackup" -h "$HOSTIP" -p "$PORT" -U postgres \
	-D "$S" -R -X stream -c fast >"$W/bb-S.log" 2>&1; then
	ok "standby cloned from A over the network (pg_basebackup -R from $NSIP)"
else
	nok "standby cloned from A"
	diag "$W/bb-S.log"
	finish
fi
cat >>"$S/postgresql.auto.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$W/ssock'
shared_preload_libraries = ''
wal_retrieve_retry_interval = '500ms'
EOF
: >"$W/S.log" && chown postgres "$W/S.log"
if start "$S" "$W/S.log" ns; then
	ok "standby started inside the namespace"
else
	nok "standby starts"
	diag "$W/S.log"
	finish
fi
if wait_for ssql "SELECT status FROM pg_stat_wal_receiver" streaming; then
	ok "stable: the standby streams from A ($(ssql -c 'SELECT sender_host FROM pg_stat_wal_receiver'))"
else
	nok "stable: the standby streams from A"
	diag "$W/S.log"
fi
sysA=$(pg "$PGBIN/pg_controldata" "$A" | sed -n 's/^Database system identifier: *//p')
sysB=$(pg "$PGBIN/pg_controldata" "$B" | sed -n 's/^Database system identifier: *//p')
check "slot B has A's system identifier ($sysA)" [ -n "$sysA" -a "$sysA" = "$sysB" ]
check "stable: dualbootctl status says isolation: none" \
	grep -q '^isolation:     none: this boot runs slot A, the stable slot' < <(ctl --marker "$ST/run/booted" status)

# --- 2. the trial: boot the test slot B ---------------------------------------------
lsql -c "SELECT trial_armed FROM dualboot_mark_test(2, 'isolation test')" >/dev/null 2>"$W/arm.log" ||
	{ nok "arm the trial"; diag "$W/arm.log"; }
lsql -c "INSERT INTO orders (note) VALUES ('last write on stable')"
stop "$A" || nok "stop slot A"
# stable's end: where A's WAL ends (its shutdown checkpoint); the standby has it all
ckptA=$(pg "$PGBIN/pg_controldata" "$A" | sed -n 's/^Latest checkpoint location: *//p')
wait_for ssql "SELECT count(*) FROM orders WHERE note = 'last write on stable'" 1 ||
	nok "the standby received stable's last write"
wait_for ssql "SELECT pg_last_wal_replay_lsn() > '$ckptA'::pg_lsn" t
endA=$(ssql -c "SELECT pg_last_wal_replay_lsn()")
check "the standby replayed all of stable, up to $endA (past A's shutdown checkpoint at $ckptA)" \
	[ "$(ssql -c "SELECT '$endA'::pg_lsn > '$ckptA'::pg_lsn")" = t ]

[ "$(boot)" = B ] || nok "the trial boot selects the test slot B"
: >"$W/B.log" && chown postgres "$W/B.log"
if start "$B" "$W/B.log"; then
	ok "trial: slot B's PostgreSQL starts on A's address and port"
else
	nok "trial: slot B starts"
	diag "$W/B.log"
	finish
fi

got=$(lsql -c "SELECT isolation || ' ' || setting || ' ' || slot_role FROM dualboot_isolation()")
check "trial: dualboot_isolation() = local, setting local, role test ($got)" \
	[ "$got" = "local local test" ]
got=$(lsql -c "SELECT count(*) FROM orders")
check "trial: a Unix-socket client is admitted" [ "$got" = 1 ]
# a figure, not a test: what the hook's decision costs a remote or replication
# connection (the record, the marker and the kernel's boot_id read afresh),
# measured as dualboot_isolation() calls, which make the same decision
cost=$(lsql -c "SELECT round(extract(epoch FROM b - a) * 1e6 / 5000, 1) FROM
	(SELECT clock_timestamp() AS a) x,
	LATERAL (SELECT max(c) AS b FROM (SELECT clock_timestamp() AS c, dualboot_isolation()
		FROM generate_series(1, 5000) WHERE x.a IS NOT NULL) y) z")
echo "# figure: the role decision costs $cost microseconds per call (dualboot_isolation(), 5000 calls)"
got=$("$PGBIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "SELECT inet_client_addr()" 2>&1)
check "trial: a loopback client (127.0.0.1) is admitted ($got)" [ "$got" = 127.0.0.1 ]
got=$("$PGBIN/psql" -X -At -h "$HOSTIP" -p "$PORT" -U postgres -d postgres -c "SELECT inet_client_addr()" 2>&1)
check "trial: a client of this machine connecting to the machine's own address $HOSTIP is admitted ($got)" \
	[ "$got" = "$HOSTIP" ]
v6 "trial: a loopback client over IPv6 (::1) is admitted" \
	[ "$(v6psql ::1 "SELECT inet_client_addr()")" = ::1/128 -o "$(v6psql ::1 "SELECT inet_client_addr()")" = ::1 ]
v6 "trial: a client of this machine connecting to its own IPv6 address $NET6::1 is admitted" \
	[ "$(v6psql "$NET6::1" "SELECT inet_client_addr()")" = "$NET6::1" ]
v6 "trial: a client from $NET6::2 (IPv6) is refused" \
	grep -q "FATAL:  connection refused: this server runs the test slot B" <<<"$(v6psql ns "$NET6::1" "SELECT 1")"

# a client of the other machine: refused, and its write never lands
if rsql -c "INSERT INTO orders (note) VALUES ('from outside, during the trial')" >"$W/r1.log" 2>&1; then
	nok "trial: a client from $NSIP is refused (it was admitted)"
else
	if grep -q "FATAL:  connection refused: this server runs the test slot B of a dualboot trial, and dualboot.trial_isolation = local admits only local clients" "$W/r1.log"; then
		ok "trial: a client from $NSIP is refused, FATAL naming dualboot.trial_isolation"
	else
		nok "trial: the refusal's message"
		diag "$W/r1.log"
	fi
fi
check "trial: B's log has the refusal with SQLSTATE 57P03 and the client's address" \
	grep -q "57P03 FATAL:  connection refused: this server runs the test slot B" "$W/B.log"
check "trial: ... DETAIL names the client's address" \
	grep -q "DETAIL:  Client address $NSIP is not this machine's" "$W/B.log"
inns "$PGBIN/pg_isready" -h "$HOSTIP" -p "$PORT" -U postgres -d postgres >"$W/ready.log" 2>&1
rc=$?
check "trial: pg_isready from $NSIP says rejecting connections (exit $rc: $(cat "$W/ready.log"))" \
	[ "$rc" = 1 ]
got=$(lsql -c "SELECT count(*) FROM orders WHERE note LIKE 'from outside%'")
check "trial: the write from $NSIP did not land" [ "$got" = 0 ]

# replication: logical and physical, from outside and from this machine
if inns "$PGBIN/psql" -X -At "host=$HOSTIP port=$PORT user=postgres dbname=postgres replication=database" \
	-c "IDENTIFY_SYSTEM" >"$W/r2.log" 2>&1; then
	nok "trial: a logical replication connection from $NSIP is refused (admitted)"
else
	check "trial: a logical replication connection from $NSIP is refused" \
		grep -q "FATAL:  replication connection refused: this server runs the test slot B" "$W/r2.log"
fi
if "$PGBIN/psql" -X -At "host=$SOCK port=$PORT user=postgres replication=true" \
	-c "IDENTIFY_SYSTEM" >"$W/r3.log" 2>&1; then
	nok "trial: a physical replication connection on the Unix socket is refused (admitted)"
else
	check "trial: a physical replication connection, even local, is refused" \
		grep -q "FATAL:  replication connection refused" "$W/r3.log"
fi

# the test slot writes far more WAL than stable has; the standby must not follow
# (B's WAL starts where it was copied, before A's last writes and segment
# switches: each round fills the rest of a 16 MB segment)
for i in 1 2 3 4; do
	lsql -c "INSERT INTO orders (note) SELECT 'rehearsal ' || g FROM generate_series(1, 25000) g" \
		-c "SELECT pg_switch_wal()" >/dev/null
done
lsnB=$(lsql -c "SELECT pg_current_wal_lsn()")
check "trial: the test slot's WAL ($lsnB) is past stable's end ($endA)" \
	[ "$(lsql -c "SELECT '$lsnB'::pg_lsn > '$endA'::pg_lsn")" = t ]
refusals_before=$(grep -c "replication connection refused" "$W/S.log")
streaming=0
for i in $(seq 1 20); do
	st=$(ssql -c "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')")
	[ "$st" = streaming ] && streaming=$((streaming + 1))
	sleep 0.25
done
check "trial: the standby's walreceiver never streams (20 samples over 5 s)" [ "$streaming" = 0 ]
refusals=$(grep -c "replication connection refused: this server runs the test slot B" "$W/S.log")
check "trial: the standby's log shows its walreceiver refused, again and again ($refusals times)" \
	[ "$refusals" -ge 3 -a "$refusals" -gt "$refusals_before" ]
check "trial: B ran no replication command" [ "$(grep -c 'received replication command' "$W/B.log")" = 0 ]
replay=$(ssql -c "SELECT pg_last_wal_replay_lsn()")
recv=$(ssql -c "SELECT coalesce(pg_last_wal_receive_lsn(), '0/0')")
check "trial: the standby replayed nothing of the test slot (replay $replay = stable's end $endA, received $recv)" \
	[ "$replay" = "$endA" -a "$(ssql -c "SELECT '$recv'::pg_lsn <= '$endA'::pg_lsn")" = t ]
got=$(ssql -c "SELECT count(*) FROM orders WHERE note LIKE 'rehearsal%'")
check "trial: no rehearsal row on the standby" [ "$got" = 0 ]
out=$(ctl --marker "$ST/run/booted" status)
check "trial: dualbootctl status says the isolation applies" \
	grep -q '^isolation:     applies: this boot runs slot B, the test slot' <<<"$out"
check "trial: dualbootctl status --json: isolation_applies true" \
	python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d["isolation_applies"] is True and "slot B" in d["isolation_why"] else 1)' \
	< <(ctl --marker "$ST/run/booted" status --json)

# --- 3. failback: A serves again, the standby follows it again ------------------------
stop "$B" || nok "stop slot B"
ctl failback --reason 'isolation test' >/dev/null 2>"$W/fb.log" || { nok "dualbootctl failback"; diag "$W/fb.log"; }
[ "$(boot)" = A ] || nok "after failback the stable slot A boots"
if start "$A" "$W/A.log"; then
	ok "failback: slot A's PostgreSQL starts again"
else
	nok "failback: slot A starts"
	diag "$W/A.log"
	finish
fi
lsql -c "INSERT INTO orders (note) VALUES ('after failback')"
if wait_for ssql "SELECT count(*) FROM orders WHERE note = 'after failback'" 1; then
	ok "failback: the standby reconnected and streams again, not cloned again (a new row on A shows on it)"
else
	nok "failback: the standby streams again"
	diag "$W/S.log"
fi
check "failback: the standby streams from A" \
	wait_for ssql "SELECT status FROM pg_stat_wal_receiver" streaming
got=$(rsql -c "SELECT count(*) FROM orders" 2>&1)
check "failback: a client from $NSIP is admitted again (A has $got rows)" [ "$got" = 3 ]
got=$(lsql -c "SELECT isolation || ' ' || slot_role FROM dualboot_isolation()")
check "failback: dualboot_isolation() = open, role stable ($got)" [ "$got" = "open stable" ]

# --- 4. the administrator opens the test slot on purpose ------------------------------
lsql -c "SELECT trial_armed FROM dualboot_mark_test(2, 'open trial')" >/dev/null
stop "$A" || nok "stop slot A"
[ "$(boot)" = B ] || nok "the second trial boots B"
cat >>"$B/postgresql.auto.conf" <<EOF
dualboot.trial_isolation = 'open'
EOF
start "$B" "$W/B.log" || { nok "slot B starts (open)"; diag "$W/B.log"; finish; }
got=$(lsql -c "SELECT isolation || ' ' || setting || ' ' || slot_role FROM dualboot_isolation()")
check "open trial: dualboot_isolation() = open, setting open, role test ($got)" \
	[ "$got" = "open open test" ]
if rsql -c "INSERT INTO orders (note) VALUES ('from outside, open trial')" >"$W/r4.log" 2>&1 &&
	[ "$(lsql -c "SELECT count(*) FROM orders WHERE note = 'from outside, open trial'")" = 1 ]; then
	ok "open trial: a client from $NSIP is admitted and writes"
else
	nok "open trial: a client from $NSIP is admitted"
	diag "$W/r4.log"
fi
# the control experiment: without the isolation the standby follows the test slot
for i in $(seq 1 100); do
	grep -q 'received replication command: START_REPLICATION' "$W/B.log" && break
	sleep 0.2
done
if grep -q 'received replication command: START_REPLICATION' "$W/B.log"; then
	ok "open trial: the standby of stable starts replication from the test slot (what the isolation prevented)"
else
	nok "open trial: the standby connects to the test slot"
	diag "$W/S.log"
fi
# back to local with a reload: new connections are refused again
lsql -c "ALTER SYSTEM SET dualboot.trial_isolation = local" -c "SELECT pg_reload_conf()" >/dev/null
if wait_for lsql "SELECT isolation FROM dualboot_isolation()" local; then
	ok "reload: dualboot.trial_isolation = local is in force again (PGC_SIGHUP)"
else
	nok "reload to local"
fi
if rsql -c "SELECT 1" >"$W/r5.log" 2>&1; then
	nok "reload: a new client from $NSIP is refused again (admitted)"
else
	check "reload: a new client from $NSIP is refused again" grep -q "FATAL:  connection refused" "$W/r5.log"
fi

# --- 5. a promotion ends the isolation at once ------------------------------------------
# (the role is read per connection: B becomes stable, no restart)
lsql -c "SELECT confirmed FROM dualboot_confirm()" -c "SELECT stable_slot FROM dualboot_promote(discard_stable_writes => true, reason => 'isolation test')" \
	>"$W/promote.log" 2>&1 || { nok "confirm and promote B"; diag "$W/promote.log"; }
got=$(lsql -c "SELECT isolation || ' ' || slot_role FROM dualboot_isolation()")
check "promotion: dualboot_isolation() = open, role stable ($got)" [ "$got" = "open stable" ]
got=$(rsql -c "SELECT count(*) FROM orders WHERE note = 'from outside, open trial'" 2>&1)
check "promotion: a client from $NSIP is admitted by the same server, without a restart ($got)" [ "$got" = 1 ]

finish
