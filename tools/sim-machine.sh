#!/bin/bash
# tools/sim-machine.sh - simulated dual-boot database machines (issue 19;
# `make fleet-test`, test/t/75-fleet.t, docs/fleet.md).
#
# A machine is a folder, laid out as demo/run.sh lays out its machine: two
# PostgreSQL clusters stand for the root partitions of slot A and slot B, a
# record file for the shared state partition, MACHINE/run for its /run; a
# "boot" is the real `dualbootctl boot-select` choosing which cluster starts,
# and only that one runs. The clusters listen on a Unix socket in
# MACHINE/sock only (no TCP), trust for local connections (the folder is
# root's and postgres', mode 0750).
#
#   tools/sim-machine.sh template DIR [--destdir STAGE]
#       initdb once into DIR (as postgres) with database app, table users and
#       the dualboot extension (from STAGE when the installation is staged,
#       through Debian's extension_destdir), then stop it: the template every
#       machine's slots are copied from.
#   tools/sim-machine.sh create MACHINE TEMPLATE [--ctl PATH]
#       a new machine whose slots A and B are copies of TEMPLATE (stable A),
#       its configuration, record and MACHINE/bin/dualbootctl (dualbootctl
#       with this machine's --config, --state and --marker).
#   tools/sim-machine.sh boot MACHINE
#       power-cycle: stop the running slot (with dualbootctl stop-point, as
#       dualboot-stop-point.service does), boot-select (its stderr passed
#       on), start the chosen slot's cluster (cluster_name slot-A|B, log
#       MACHINE/log/slot-A|B.log). Prints the selector's DUALBOOT_* lines.
#       Exit 0 when PostgreSQL came up, 3 when it did not, 1 on an error.
#   tools/sim-machine.sh shutdown MACHINE     stop whatever runs
#   tools/sim-machine.sh boot-count MACHINE   the record's boot counter: what
#       ansible.builtin.reboot's boot_time_command reads to see a new boot
#   tools/sim-machine.sh stop-cluster DATADIR a fast shutdown, else immediate
#   tools/sim-machine.sh free-port            a free TCP port of 127.0.0.1
#                                             (20000-29999)
#
# MACHINE/bin/dualbootctl must run dualbootctl for that machine (create
# writes it; demo/run.sh writes its own). demo/run.sh boots its machine with
# this script too.
#
# Needs root (the clusters run as postgres), PostgreSQL (pg_config --bindir
# or PGBIN) and dualbootctl (--ctl, DUALBOOTCTL, else build/dualbootctl).
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${PGBIN:-$(pg_config --bindir)}

die() { echo "sim-machine: $*" >&2; exit 1; }
pg() { runuser -u postgres -- "$@"; }

# stop_cluster DATADIR: a fast shutdown, else an immediate one
stop_cluster() {
	[ -f "$1/postmaster.pid" ] || return 0
	pg "$PGBIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		pg "$PGBIN/pg_ctl" -D "$1" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

# running MACHINE: the slot whose cluster runs, or nothing
running() {
	local s
	for s in A B; do
		[ -f "$1/slot-$s/data/postmaster.pid" ] && { echo "$s"; return; }
	done
	return 0
}

cmd_template() {
	local dir=$1 stage=${2:-} sock pglib pgext
	[ -e "$dir" ] && die "template $dir exists"
	install -d -o postgres -g postgres -m 0700 "$dir"
	sock=$(mktemp -d "${TMPDIR:-/tmp}/sim-template.XXXXXX")
	chown postgres: "$sock"
	pg "$PGBIN/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=reject \
		-E UTF8 --locale=C -N >"$sock/initdb.log" 2>&1 || { cat "$sock/initdb.log" >&2; die "initdb failed"; }
	cat >>"$dir/postgresql.conf" <<EOF

# ---- a simulated dual-boot machine (tools/sim-machine.sh) ----
listen_addresses = ''
fsync = off
wal_keep_size = '64MB'
EOF
	if [ -n "$stage" ]; then
		pglib=$(pg_config --pkglibdir)
		pgext=$(pg_config --sharedir)/extension
		echo "extension_destdir = '$stage'" >>"$dir/postgresql.conf"
	fi
	pg "$PGBIN/pg_ctl" -D "$dir" -o "-k $sock" -w -t 60 -l "$sock/server.log" start >/dev/null ||
		{ cat "$sock/server.log" >&2; die "the template cluster did not start"; }
	pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -d postgres -c 'CREATE DATABASE app' &&
	pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -d app <<'SQL' || { stop_cluster "$dir"; die "template set-up failed"; }
CREATE EXTENSION dualboot;
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
                    email text, created timestamptz NOT NULL DEFAULT now());
INSERT INTO users (name, email) SELECT 'user' || i, 'user' || i || '@example.org'
  FROM generate_series(1, 100) AS i;
SQL
	stop_cluster "$dir"
	rm -rf "$sock"
}

cmd_create() {
	local m=$1 template=$2 ctl=$3 s
	[ -e "$m" ] && die "machine $m exists"
	[ -f "$template/PG_VERSION" ] || die "$template is not a cluster (tools/sim-machine.sh template)"
	install -d -m 0755 "$m"
	install -d -m 0755 "$m/bin" "$m/log" "$m/run"
	chown postgres: "$m/log"
	install -d -o postgres -g postgres -m 0700 "$m/sock"
	for s in A B; do
		install -d -o postgres -g postgres -m 0755 "$m/slot-$s"
		cp -a "$template" "$m/slot-$s/data"
		cat >>"$m/slot-$s/data/postgresql.conf" <<EOF
unix_socket_directories = '$m/sock'
dualboot.state_path = '$m/state'
dualboot.boot_marker_path = '$m/run/booted'
EOF
	done
	cat >"$m/dualboot.conf" <<EOF
# the simulated machine's /etc/dualboot/dualboot.conf (tools/sim-machine.sh)
state_device=$m/state
slot_a=$m/slot-A
slot_b=$m/slot-B
default=A
EOF
	cat >"$m/bin/dualbootctl" <<EOF
#!/bin/sh
exec "$ctl" --config "$m/dualboot.conf" --state "$m/state" --marker "$m/run/booted" "\$@"
EOF
	chmod 0755 "$m/bin/dualbootctl"
	"$m/bin/dualbootctl" init --stable A >/dev/null
	chown postgres:postgres "$m/state"
	chmod 0600 "$m/state"
}

cmd_shutdown() {
	local m=$1 s
	s=$(running "$m")
	[ -n "$s" ] || return 0
	stop_cluster "$m/slot-$s/data"
	# dualboot-stop-point.service: on stable during an armed trial, where its
	# WAL stands and what it wrote since the test slot's copy
	"$m/bin/dualbootctl" stop-point --pgdata "$m/slot-$s/data" --bindir "$PGBIN" \
		>>"$m/log/stop-point.log" 2>&1 || true
}

cmd_boot() {
	local m=$1 out slot root
	cmd_shutdown "$m"
	out=$("$m/bin/dualbootctl" boot-select) || die "dualbootctl boot-select failed"
	printf '%s\n' "$out"
	slot=$(printf '%s\n' "$out" | sed -n "s/^DUALBOOT_SLOT='\{0,1\}\([AB]\)'\{0,1\}$/\1/p")
	root=$m/slot-$slot
	[ -n "$slot" ] && [ -d "$root/data" ] || die "boot-select chose no slot of this machine: $out"
	pg "$PGBIN/pg_ctl" -D "$root/data" -l "$m/log/slot-$slot.log" \
		-o "-c cluster_name=slot-$slot" -w -t 60 start >/dev/null 2>&1 || exit 3
}

cmd_boot_count() {
	"$1/bin/dualbootctl" status --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["boot_count"])'
}

free_port() {
	python3 -c 'import random, socket
for port in random.sample(range(20000, 30000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break'
}
if [ "${1:-}" = free-port ]; then
	free_port
	exit
fi
[ $# -ge 2 ] || { sed -n '2,43p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run it as root: the clusters run as postgres"
cmd=$1
m=$2
shift 2
case $cmd in
template)
	stage=
	[ "${1:-}" = --destdir ] && stage=$2
	cmd_template "$m" "$stage" ;;
create)
	[ $# -ge 1 ] || die "create MACHINE TEMPLATE [--ctl PATH]"
	template=$1
	ctl=${DUALBOOTCTL:-$TOP/build/dualbootctl}
	[ "${2:-}" = --ctl ] && ctl=$3
	cmd_create "$m" "$template" "$ctl" ;;
boot) cmd_boot "$m" ;;
shutdown) cmd_shutdown "$m" ;;
boot-count) cmd_boot_count "$m" ;;
stop-cluster) stop_cluster "$m" ;;
*) die "unknown command $cmd" ;;
esac
