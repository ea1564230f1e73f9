#!/bin/bash
# test/t/75-fleet.t - issue 19: a fleet of simulated dual-boot machines
# driven by the real ansible-playbook through the dualboot.fleet collection
# (ansible/ansible_collections/dualboot/fleet/, docs/fleet.md).
#
# Five machines on this host (tools/sim-machine.sh: each two PostgreSQL
# clusters and its own record; a boot is `dualbootctl boot-select`, as in
# `make demo`), reached over ssh to 127.0.0.1 (an sshd this test starts on a
# free port with its own keys: ansible.builtin.reboot refuses the local
# connection), the clusters on Unix sockets in the test's own folders.
#
#   1. the canary playbook on m1: refresh, arm, reboot (ansible.builtin.reboot
#      running the simulated boot), rehearse behind the guard, health checks,
#      failback, reboot, export; the certificate checked
#   2. a rollout in waves [m1] [m2] [m3 m4] [m5] with m2's schema drifted:
#      m2 refuses, nothing changes on m3-m5 (fingerprints, records byte for byte)
#   3. the drift undone, m4 holding a row the migration cannot take: m4's
#      migration fails and rolls back (its stable schema and rows as they
#      were), m5 untouched
#   4. m4 repaired: the rollout reaches every machine
#   5. a rehearsal of another major in a record: dualboot_require_rehearsed()
#      refuses it with a clear message
#
# Assertions read the machines' real state (schema fingerprints through
# psql, records through dualbootctl and cmp), not only ansible's exit code.
# Needs root, PostgreSQL, ansible-playbook (Debian's ansible) and
# openssh-server/-client (tools/deps.sh test).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/tap.sh"
bail() { echo "1..$((n + 1))"; echo "not ok $((n + 1)) - $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (the clusters run as postgres, sshd as root)"
	exit 0
fi
PGBIN=$(pg_config --bindir 2>/dev/null)
for p in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/psql" "$PGBIN/pg_basebackup" "$PGBIN/pg_waldump" \
	/usr/bin/ansible-playbook /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen; do
	[ -x "$p" ] || bail "$p is installed (tools/deps.sh test)"
done

START=$SECONDS
W=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-fleet.XXXXXX")
chmod 755 "$W"
CP=$(mktemp -d /tmp/dbf-cp.XXXXXX)	# ssh control sockets: a short path
SSHD_PID=
MACHINES="m1 m2 m3 m4 m5"
cleanup() {
	local m s
	for s in "$CP"/*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1
	done
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null
	for m in $MACHINES; do
		[ -d "$W/$m" ] && "$ROOT/tools/sim-machine.sh" shutdown "$W/$m" >/dev/null 2>&1
	done
	rm -rf "$CP"
	if [ "$failed" = 0 ]; then rm -rf "$W"; else echo "# kept for a look: $W" >&2; fi
}
trap cleanup EXIT

# ---- build and stage the installation ------------------------------------------
make -s -C "$ROOT" build/dualbootctl >"$W/make.log" 2>&1 || { sed 's/^/# /' "$W/make.log"; bail "build dualbootctl"; }
make -s -C "$ROOT" install-extension DESTDIR="$W/stage" >>"$W/make.log" 2>&1 ||
	{ sed 's/^/# /' "$W/make.log"; bail "stage the extension (make install-extension DESTDIR=...)"; }
# private copies, readable by postgres (the work tree may not be)
install -m 0755 "$ROOT/build/dualbootctl" "$W/dualbootctl"
PGLIB=$(pg_config --pkglibdir)
PGEXT=$(pg_config --sharedir)/extension
mkdir -p "$W/install$PGLIB" "$W/install$PGEXT"
cp "$W/stage$PGLIB/dualboot.so" "$W/install$PGLIB/"
cp "$W/stage$PGEXT"/dualboot* "$W/install$PGEXT/"
chmod -R a+rX "$W/install"
SIM=$ROOT/tools/sim-machine.sh

# ---- the machines: one template cluster, copied -----------------------------------
t0=$SECONDS
"$SIM" template "$W/template" --destdir "$W/install" >"$W/template.log" 2>&1 ||
	{ sed 's/^/# /' "$W/template.log"; bail "the template cluster"; }
for m in $MACHINES; do
	DUALBOOTCTL=$W/dualbootctl "$SIM" create "$W/$m" "$W/template" >>"$W/machines.log" 2>&1 &&
		"$SIM" boot "$W/$m" >>"$W/machines.log" 2>&1 ||
		{ sed 's/^/# /' "$W/machines.log"; bail "machine $m"; }
done
echo "# five machines up in $((SECONDS - t0)) s"

sql() { # MACHINE SQL...: one value from database app
	local m=$1
	shift
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$W/$m/sock" -U postgres -d app "$@"
}
fp() { sql "$1" -c 'SELECT dualboot_schema_fingerprint()'; }
ctl() { local m=$1; shift; "$W/$m/bin/dualbootctl" "$@"; }
rehearsal_of() { # MACHINE NAME: origin/state/after of the rehearsal in its record
	ctl "$1" provenance --json | python3 -c 'import json, sys
for r in json.load(sys.stdin)["rehearsals"]:
    if r["name"] == sys.argv[1]:
        print("%s/%s/%s" % (r["origin"], r["state"], r["fingerprint_after"]))' "$2"
}
BASE=$(fp m1)
for m in $MACHINES; do
	is "$(fp "$m")/$(ctl "$m" status --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["current_slot"], j["current_role"])')" \
		"$BASE/A stable" "$m boots stable slot A with the template's schema"
done

# ---- sshd on a free port, keys of the test's own ----------------------------------
mkdir -p "$W/ssh" /run/sshd
chmod 700 "$W/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/id" || bail "ssh-keygen"
cp "$W/ssh/id.pub" "$W/ssh/authorized_keys"
PORT=$("$SIM" free-port)
cat >"$W/ssh/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $W/ssh/host_key
AuthorizedKeysFile $W/ssh/authorized_keys
PidFile $W/ssh/sshd.pid
PermitRootLogin prohibit-password
AllowUsers root
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
/usr/sbin/sshd -D -f "$W/ssh/sshd_config" -E "$W/ssh/sshd.log" &
SSHD_PID=$!
for _ in $(seq 50); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$PORT" 2>/dev/null && break
	sleep 0.1
done

# ---- ansible: configuration, inventory, the migration --------------------------------
A=$W/ansible
mkdir -p "$A/tmp" "$A/certificates"
cat >"$A/ansible.cfg" <<EOF
[defaults]
inventory = $A/inventory.yml
host_key_checking = False
forks = 5
local_tmp = $A/tmp
remote_tmp = $A/remote-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
nocows = True
[ssh_connection]
pipelining = True
control_path_dir = $CP
control_path = %(directory)s/%%C
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o LogLevel=ERROR
EOF
{
	echo "all:"
	echo "  vars:"
	echo "    ansible_host: 127.0.0.1"
	echo "    ansible_port: $PORT"
	echo "    ansible_user: root"
	echo "    ansible_ssh_private_key_file: $W/ssh/id"
	echo "    machine: \"$W/{{ inventory_hostname }}\""
	echo "    dualboot_ctl: \"{{ machine }}/bin/dualbootctl\""
	echo "    dualboot_login_host: \"{{ machine }}/sock\""
	echo "    dualboot_login_user: postgres"
	echo "    dualboot_psql: $PGBIN/psql"
	echo "    dualboot_workdir: \"{{ machine }}/fleet\""
	echo "    dualboot_pgdata: {A: \"{{ machine }}/slot-A/data\", B: \"{{ machine }}/slot-B/data\"}"
	echo "    dualboot_refresh_source: \"host={{ machine }}/sock user=postgres\""
	echo "    dualboot_reboot_command: \"$SIM boot {{ machine }}\""
	echo "    dualboot_boot_time_command: \"$SIM boot-count {{ machine }}\""
	# the application's health check: 100 users or more (division by zero otherwise)
	echo "    dualboot_health_command: [\"$PGBIN/psql\", -h, \"{{ machine }}/sock\", -U, postgres, -d, app, -Atc, \"SELECT 1 / (count(*) >= 100)::int FROM users\"]"
	echo "  children:"
	echo "    canary:"
	echo "      hosts: {m1: {}}"
	echo "    fleet:"
	echo "      hosts: {m1: {}, m2: {}, m3: {}, m4: {}, m5: {}}"
} >"$A/inventory.yml"
cat >"$A/0042_note.sql" <<'EOF'
-- migration 0042: a note per user, and every user must have an email
ALTER TABLE users ADD COLUMN note text;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
EOF
PLAYBOOKS=$ROOT/ansible/ansible_collections/dualboot/fleet/playbooks
playbook() { # LOG PLAYBOOK [ARGS]: ansible-playbook; exit status in $rc
	local log=$1
	shift
	local t=$SECONDS
	ANSIBLE_CONFIG=$A/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$ROOT/ansible ANSIBLE_HOME=$A/home \
		ansible-playbook "$PLAYBOOKS/$1" -e rehearsal=0042_note -e migration="$A/0042_note.sql" \
		-e certificate_dir="$A/certificates" "${@:2}" >"$A/$log.log" 2>&1
	rc=$?
	echo "# ansible-playbook $1 ($log): exit $rc in $((SECONDS - t)) s"
}
show_log() { grep -E 'fatal|FAILED|msg|PLAY RECAP|failed=' "$A/$1.log" | head -20 | sed 's/^/#   /' >&2; }

# ---- the collection: its documentation and playbooks parse ---------------------------
for mod in dualboot_facts dualboot_rehearsal dualboot_migrate; do
	check "ansible-doc reads the documentation of dualboot.fleet.$mod" bash -c \
		'ANSIBLE_CONFIG=$1 ANSIBLE_COLLECTIONS_PATH=$2 ANSIBLE_HOME=$3 ansible-doc "dualboot.fleet.$4" >/dev/null' \
		_ "$A/ansible.cfg" "$ROOT/ansible" "$A/home" "$mod"
done
for pb in canary rollout; do
	check "ansible-playbook --syntax-check $pb.yml" bash -c \
		'ANSIBLE_CONFIG=$1 ANSIBLE_COLLECTIONS_PATH=$2 ANSIBLE_HOME=$3 ansible-playbook --syntax-check "$4" >/dev/null' \
		_ "$A/ansible.cfg" "$ROOT/ansible" "$A/home" "$PLAYBOOKS/$pb.yml"
done

check "docs/fleet.md shows both playbooks as they are" python3 -c 'import re, sys
doc = open(sys.argv[1]).read()
for path in ("canary.yml", "rollout.yml"):
    name = "ansible/ansible_collections/dualboot/fleet/playbooks/" + path
    m = re.search(r"<!-- BEGIN %s -->\n```yaml\n(.*?)```\n<!-- END %s -->" % (re.escape(name), re.escape(name)), doc, re.S)
    if not m or m.group(1) != open(sys.argv[2] + "/" + name).read():
        sys.exit("docs/fleet.md: %s differs from the file" % name)' "$ROOT/docs/fleet.md" "$ROOT"

# ---- 1. the canary --------------------------------------------------------------
BOOTS1=$(ctl m1 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_count"])')
playbook canary canary.yml
[ "$rc" = 0 ] && ok "the canary playbook passes on m1" || { nok "the canary playbook passes on m1"; show_log canary; }
CERT=$A/certificates/0042_note.json
check "the certificate came back to the controller" test -s "$CERT"
AFTER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint_after"])' "$CERT" 2>/dev/null)
check "the certificate: before = the fleet's schema, after another, PostgreSQL 15, rehearsed on m1's test slot B" \
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if j["fingerprint_before"] == sys.argv[2] and j["fingerprint_after"] != sys.argv[2]
         and j["server_major"] == int(sys.argv[3]) and j["rehearsed_on"] == {"host": "m1", "slot": "B"}
         and j["database"] == "app" else 1)' "$CERT" "$BASE" "$(cat "$W/m1/slot-A/data/PG_VERSION")"
is "$(rehearsal_of m1 0042_note)" "local/completed/$AFTER" "m1's record holds the rehearsal, made there"
is "$(fp m1)/$(sql m1 -c 'SELECT count(*) FROM users')" "$BASE/100" "m1 is back on stable A with its schema and rows untouched"
is "$(ctl m1 status --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["current_slot"], j["trial_armed"], j["boot_count"])')" \
	"A False $((BOOTS1 + 2))" "m1 booted twice (trial of B, then stable A), no trial armed"
check "m1's history: refresh, mark_test, confirm, rehearsal, failback" bash -c \
	'"$1" history --json | python3 -c "import json,sys; ev=[e[\"event\"] for e in json.load(sys.stdin)]; sys.exit(0 if {\"failback\",\"rehearsal_end\",\"confirm\"} <= set(ev) else 1)"' _ "$W/m1/bin/dualbootctl"
# the rehearsed schema really is on m1's test slot B: start B's cluster alone to look
"$SIM" shutdown "$W/m1"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/m1/slot-B/data" -l "$W/m1/log/look.log" -w start >/dev/null 2>&1
is "$(fp m1)" "$AFTER" "m1's test slot B holds the rehearsed schema (its fingerprint is the certificate's after)"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/m1/slot-B/data" -w stop >/dev/null 2>&1
"$SIM" boot "$W/m1" >/dev/null 2>&1

# ---- 2. schema drift on m2 stops the rollout before the next wave --------------------
sql m2 -c 'ALTER TABLE users ADD COLUMN drift integer'
DRIFT=$(fp m2)
for m in m3 m4 m5; do cp "$W/$m/state" "$W/$m.state.before"; done
playbook rollout-drift rollout.yml
check "the rollout fails (exit $rc)" test "$rc" != 0
check "... at m2, which refuses: its schema is not the rehearsal's start" \
	grep -q "did not start from this database's live schema" "$A/rollout-drift.log"
is "$(fp m1)" "$AFTER" "wave 1: m1 (the canary) replayed the migration on stable"
is "$(fp m2)" "$DRIFT" "wave 2: m2's drifted schema is unchanged"
for m in m3 m4 m5; do
	is "$(fp "$m")" "$BASE" "$m (a later wave): schema unchanged"
	check "$m: record unchanged byte for byte (nothing imported)" cmp -s "$W/$m/state" "$W/$m.state.before"
done
check "m3-m5 never ran a task (PLAY RECAP)" bash -c '! grep -Eq "^m[345] +:" "$1"' _ "$A/rollout-drift.log"

# ---- 3. a migration failing on m4 rolls back there and stops the rollout ---------------
sql m2 -c 'ALTER TABLE users DROP COLUMN drift'
is "$(fp m2)" "$BASE" "m2's drift undone (a dropped column leaves no trace in the fingerprint)"
sql m4 -c 'UPDATE users SET email = NULL WHERE id = 7'
M4ROWS=$(sql m4 -c "SELECT md5(string_agg(id || ':' || coalesce(email, '-'), ',' ORDER BY id)) FROM users")
cp "$W/m5/state" "$W/m5.state.before"
playbook rollout-fail rollout.yml
check "the rollout fails (exit $rc)" test "$rc" != 0
check "... at m4, whose migration hit its NULL email (23502) and did not commit" \
	grep -q 'the migration 0042_note did not commit.*contains null values' "$A/rollout-fail.log"
for m in m1 m2 m3; do is "$(fp "$m")" "$AFTER" "$m replayed the migration (waves 1-3)"; done
is "$(fp m4)" "$BASE" "m4's stable schema is untouched: the transaction rolled back"
is "$(sql m4 -c "SELECT md5(string_agg(id || ':' || coalesce(email, '-'), ',' ORDER BY id)) FROM users")/$(sql m4 -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'note'")" \
	"$M4ROWS/0" "m4's rows are as they were, and it has no note column"
is "$(fp m5)" "$BASE" "m5 (wave 4): schema unchanged"
check "m5: record unchanged byte for byte" cmp -s "$W/m5/state" "$W/m5.state.before"

# ---- 4. m4 repaired: the rollout reaches every machine ------------------------------
sql m4 -c "UPDATE users SET email = 'user7@example.org' WHERE id = 7"
playbook rollout-all rollout.yml
[ "$rc" = 0 ] && ok "the rollout passes on every machine" || { nok "the rollout passes on every machine"; show_log rollout-all; }
for m in $MACHINES; do is "$(fp "$m")" "$AFTER" "$m runs the rehearsed schema on stable"; done
for m in m2 m3 m4 m5; do
	is "$(rehearsal_of "$m" 0042_note)" "imported/completed/$AFTER" "$m's record holds the imported certificate"
done
check "m1, m2, m3 were already done: their tasks changed nothing" bash -c \
	'grep -Eq "^m1 +: .*changed=0" "$1" && grep -Eq "^m2 +: .*changed=0" "$1" && grep -Eq "^m3 +: .*changed=0" "$1"' _ "$A/rollout-all.log"

# ---- 5. a rehearsal of another major is refused by the server, clearly ---------------
FB18=$(echo "$BASE" | sed 's/:pg[0-9]*:/:pg18:/')
FA18=$(echo "$AFTER" | sed 's/:pg[0-9]*:/:pg18:/')
python3 "$ROOT/test/forge-record.py" "$W/m5/state" rehearsal pg18_note app "$FB18" "$FA18" 2 18
out=$(sql m5 -c 'BEGIN' -c "SELECT dualboot_require_rehearsed('pg18_note')" 2>&1)
check "dualboot_require_rehearsed() refuses a rehearsal made on PostgreSQL 18" \
	has "$out" 'rehearsal "pg18_note" was made on PostgreSQL 18 with fingerprint algorithm dbfp3; this server is PostgreSQL'
check "... saying it was imported and that fingerprints of different majors cannot be compared" \
	has "$out" "cannot be compared"

echo "# 75-fleet: $((SECONDS - START)) s"
finish
