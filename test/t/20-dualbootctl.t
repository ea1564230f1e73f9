#!/bin/bash
# test/t/20-dualbootctl.t - dualbootctl on real files: the command-line
# contract of DESIGN section 7 (commands, JSON keys, shell lines, exit
# codes), bad input, a corrupt or newer record, the life cycle driven by
# boot-select, 8 concurrent writers, valgrind, and an ASan/UBSan build.
#
# TAP; the plan is printed at the end. Needs python3 (JSON checks, crafting
# records) and valgrind; builds build/dualbootctl and build/asan/dualbootctl.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/dualbootctl-test.XXXXXX")
trap 'rm -rf "$T"' EXIT   # (extended below when a loop device is attached)

. "$ROOT/test/tap.sh"	# n, failed, ok, nok, check (ok when the command succeeds), has
diag() { sed 's/^/# /' "$@" >&2; }

make -s -C "$ROOT" build/dualbootctl build/asan/dualbootctl >"$T/make.log" 2>&1 || {
	diag "$T/make.log"
	echo "1..1"
	echo "not ok 1 - build dualbootctl"
	exit 1
}

# Private copies: the work tree is shared, a rebuild must not swap the
# binary in the middle of the suite.
mkdir -p "$T/bin"
cp "$ROOT/build/dualbootctl" "$T/bin/dualbootctl"
cp "$ROOT/build/asan/dualbootctl" "$T/bin/dualbootctl-asan"

# LeakSanitizer needs ptrace, which some containers forbid: then the ASan
# run checks memory errors only (valgrind below still checks leaks).
LSAN=1
if ASAN_OPTIONS=detect_leaks=1 "$T/bin/dualbootctl-asan" --version 2>&1 >/dev/null |
	grep -q "LeakSanitizer has encountered a fatal error"; then
	LSAN=0
	echo "# LeakSanitizer cannot run here; the ASan run checks memory errors only"
fi

# Every call gets an explicit configuration (an empty file unless the test
# names one), so that nothing on the machine (/etc/dualboot/dualboot.conf,
# /proc/cmdline) takes part.
: >"$T/empty.conf"
ctl() {
	local a
	for a; do [ "$a" = --config ] && { "$CTL" "$@"; return; }; done
	"$CTL" --config "$T/empty.conf" "$@"
}
# run ARGS...: runs $CTL ARGS; sets $rc, $out, $err (stdout and stderr text)
run() {
	ctl "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# expect_rc CODE DESCRIPTION ARGS... (runs $CTL ARGS)
expect_rc() {
	local want=$1 d=$2
	shift 2
	run "$@"
	if [ "$rc" = "$want" ]; then
		ok "$d (exit $want)"
	else
		nok "$d (exit $rc, want $want)"
		diag "$T/out" "$T/err"
	fi
}
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
same_file() { cmp -s "$1" "$2"; }
# json EXPR: evaluate a python expression over j = the JSON in $out
json() {
	python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); sys.exit(0 if ('"$1"') else 1)' <<<"$out"
}

# Record surgery (CRC-32C recomputed): version, seq, byte flips.
FORGE=$ROOT/test/forge-record.py

BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)

# ---------------------------------------------------------------------------
# The functional suite, run once with the normal build and once with ASan.
suite() {
	CTL=$1
	local tag=$2 D="$T/$2" S M C
	mkdir -p "$D"
	S="$D/state"
	M="$D/run/booted"
	C="$D/dualboot.conf"
	export ASAN_OPTIONS=detect_leaks=$LSAN:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99

	# -- usage -------------------------------------------------------------
	expect_rc 2 "$tag: no command is bad usage"
	expect_rc 2 "$tag: unknown command" --state "$S" frobnicate
	expect_rc 2 "$tag: unknown option" --state "$S" status --frob
	expect_rc 2 "$tag: option of another command" --state "$S" status --tries 3
	expect_rc 2 "$tag: --state without a value" status --state
	expect_rc 0 "$tag: --help" --help
	check "$tag: --help names every command" \
		bash -c 'for c in init status mark-test confirm failback promote history boot-select require-test require-stable efi; do grep -q -- "$c" "$1" || exit 1; done' _ "$T/out"
	expect_rc 2 "$tag: status with no record given and none configured" status
	check "$tag: ... the message says what to pass" has "$err" "--state"
	expect_rc 2 "$tag: a --config file that does not exist" --config "$D/none.conf" --state "$S" status
	expect_rc 2 "$tag: missing record" --state "$S" status
	check "$tag: missing record: the message says how to create one" has "$err" "init --stable"

	# -- init --------------------------------------------------------------
	expect_rc 2 "$tag: init needs --stable" --state "$S" init
	expect_rc 2 "$tag: init with an unknown slot letter" --state "$S" init --stable C
	check "$tag: unknown slot letter creates nothing" test ! -e "$S"
	expect_rc 0 "$tag: init --stable A" --state "$S" init --stable A --reason "first install"
	check "$tag: the record is 8192 bytes" test "$(stat -c %s "$S")" = 8192
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: init refuses to overwrite a valid record" --state "$S" init --stable B
	check "$tag: refused init leaves the record unchanged" same_file "$S" "$D/copy"
	check "$tag: refused init says --force" has "$err" "--force"
	expect_rc 0 "$tag: init --force replaces it" --state "$S" init --stable B --force
	expect_rc 0 "$tag: status --json" --state "$S" --marker "$M" status --json
	check "$tag: after init --force: stable B, seq above the old one, event init" \
		json 'j["stable_slot"] == "B" and j["seq"] == 2 and j["last_event"] == "init"'
	expect_rc 0 "$tag: init --force back to A" --state "$S" init --stable a --force

	# -- status ------------------------------------------------------------
	expect_rc 0 "$tag: status --json (global options after the command)" \
		status --json --state "$S" --marker "$M"
	check "$tag: status --json has every dualboot_status() key" \
		json 'all(k in j for k in "current_slot current_role stable_slot test_slot next_boot_slot trial_armed tries_left tries_total confirmed boot_count seq last_event last_actor last_reason updated_at".split())'
	check "$tag: status --json values of a fresh record" \
		json 'j["current_slot"] is None and j["current_role"] == "unknown" and j["stable_slot"] == "A" and j["test_slot"] == "B" and j["next_boot_slot"] == "A" and j["trial_armed"] is False and j["tries_left"] == 0 and j["confirmed"] is False and j["boot_count"] == 0 and j["seq"] == 3 and j["last_actor"] == "cli" and j["updated_at"].endswith("Z")'
	expect_rc 0 "$tag: status (text)" --state "$S" --marker "$M" status
	check "$tag: status text names the stable slot and the missing marker" \
		bash -c 'grep -q "^stable slot: *A" "$1" && grep -q "no boot marker" "$1"' _ "$T/out"

	# -- argument validation leaves the record unchanged -----------------
	cp "$S" "$D/copy"
	expect_rc 2 "$tag: mark-test --tries 0" --state "$S" mark-test --tries 0
	expect_rc 2 "$tag: mark-test --tries 8" --state "$S" mark-test --tries 8
	expect_rc 2 "$tag: mark-test --tries x" --state "$S" mark-test --tries x
	expect_rc 2 "$tag: reason of 192 bytes (over the limit)" \
		--state "$S" mark-test --reason "$(printf 'r%.0s' $(seq 192))"
	check "$tag: the too-long reason names the limit" has "$err" "191"
	expect_rc 2 "$tag: reason that is not UTF-8" --state "$S" failback --reason $'bad \xff byte'
	expect_rc 2 "$tag: reason with a control character" --state "$S" failback --reason $'two\nlines'
	check "$tag: refused arguments leave the record unchanged" same_file "$S" "$D/copy"
	expect_rc 0 "$tag: reason of 191 bytes (the limit)" \
		--state "$S" failback --reason "$(printf 'r%.0s' $(seq 191))"
	expect_rc 0 "$tag: UTF-8 reason" --state "$S" failback --reason "rückkehr → A ✓"
	expect_rc 0 "$tag: history --json" --state "$S" history --json
	check "$tag: history keeps the UTF-8 reason, newest first" \
		json 'j[0]["reason"] == "rückkehr → A ✓" and j[0]["event"] == "failback" and len(j[1]["reason"]) == 191 and [e["seq"] for e in j] == sorted([e["seq"] for e in j], reverse=True)'

	# -- a whole trial: arm, boot, unconfirmed reboots, fallback ------------
	expect_rc 0 "$tag: mark-test --tries 2" --state "$S" mark-test --tries 2 --reason "migration 42"
	expect_rc 0 "$tag: boot-select (trial 1)" --state "$S" --marker "$M" boot-select
	expect_rc 0 "$tag: boot-select (trial 2)" --state "$S" --marker "$M" boot-select
	check "$tag: boot-select prints DUALBOOT_SLOT/ROLE/ROOT lines" \
		bash -c 'grep -qx "DUALBOOT_SLOT=B" "$1" && grep -qx "DUALBOOT_ROLE=test" "$1" && grep -q "^DUALBOOT_ROOT=" "$1"' _ "$T/out"
	check "$tag: the marker has slot, role, trial, seq and this kernel's boot_id" \
		bash -c 'grep -qx slot=B "$1" && grep -qx role=test "$1" && grep -qx trial=1 "$1" && grep -q "^seq=[0-9]" "$1" && grep -qx "boot_id=$2" "$1"' _ "$M" "$BOOT_ID"
	expect_rc 0 "$tag: status after two trial boots" --state "$S" --marker "$M" status --json
	check "$tag: tries_left counts down before each boot (2 -> 0)" \
		json 'j["tries_left"] == 0 and j["tries_total"] == 2 and j["trial_armed"] and j["current_slot"] == "B" and j["current_role"] == "test" and j["boot_count"] == 2'
	run --state "$S" --marker "$M" boot-select
	check "$tag: tries exhausted: boot-select boots stable A" \
		bash -c 'grep -qx "DUALBOOT_SLOT=A" "$1" && grep -qx "DUALBOOT_ROLE=stable" "$1" && grep -qx "DUALBOOT_TRIAL=0" "$1"' _ "$T/out"
	(eval "$out" && [ "$DUALBOOT_SLOT" = A ] && [ "$DUALBOOT_ROLE" = stable ]) 2>/dev/null
	check "$tag: boot-select output evaluates in a shell" test $? = 0
	expect_rc 0 "$tag: history after the failed trial" --state "$S" history --json
	check "$tag: history records trial_failed by the hook" \
		json 'j[0]["event"] == "trial_failed" and j[0]["actor"] == "hook" and "tries exhausted" in j[0]["reason"]'
	expect_rc 0 "$tag: status --json" --state "$S" --marker "$M" status --json
	check "$tag: the failed trial is disarmed, stable A boots next" \
		json 'not j["trial_armed"] and j["next_boot_slot"] == "A" and j["last_trial_failed"] and j["current_slot"] == "A" and j["current_role"] == "stable"'

	# -- firmware mode: the firmware booted stable's UEFI entry in a trial --
	cp "$S" "$D/copy"; cp "$M" "$D/marker-copy"
	expect_rc 2 "$tag: boot-select --firmware-slot C is bad usage" \
		--state "$S" --marker "$M" boot-select --firmware-slot C
	for v in "" AB 0 "A "; do
		expect_rc 2 "$tag: boot-select --firmware-slot '$v' is bad usage" \
			--state "$S" --marker "$M" boot-select --firmware-slot "$v"
	done
	expect_rc 2 "$tag: boot-select --firmware-slot without a value is bad usage" \
		--state "$S" --marker "$M" boot-select --firmware-slot
	check "$tag: bad --firmware-slot values leave the record and the marker unchanged" \
		bash -c 'cmp -s "$1" "$2" && cmp -s "$3" "$4"' _ "$S" "$D/copy" "$M" "$D/marker-copy"
	expect_rc 2 "$tag: --firmware-slot belongs to boot-select only" --state "$S" status --firmware-slot A
	expect_rc 0 "$tag: mark-test --tries 2 (test kernel that never starts)" --state "$S" mark-test --tries 2
	expect_rc 0 "$tag: boot-select --firmware-slot A (stable's entry booted)" \
		--state "$S" --marker "$M" boot-select --firmware-slot A
	check "$tag: firmware on stable A's entry: stable A boots, no trial" \
		bash -c 'grep -qx "DUALBOOT_SLOT=A" "$1" && grep -qx "DUALBOOT_TRIAL=0" "$1" && grep -qx "DUALBOOT_TRIAL_FAILED=0" "$1" && grep -q "failed try of test slot B" "$1"' _ "$T/out"
	expect_rc 0 "$tag: status after the firmware fallback" --state "$S" --marker "$M" status --json
	check "$tag: the fallback used one try (2 -> 1); the trial stays armed" \
		json 'j["tries_left"] == 1 and j["trial_armed"] and j["current_slot"] == "A" and j["last_event"] == "boot" and j["last_actor"] == "hook"'
	expect_rc 0 "$tag: boot-select --firmware-slot=a again (the last try)" \
		--state "$S" --marker "$M" boot-select --firmware-slot=a
	check "$tag: the second fallback ends the trial: stable A, trial failed" \
		bash -c 'grep -qx "DUALBOOT_SLOT=A" "$1" && grep -qx "DUALBOOT_TRIAL_FAILED=1" "$1"' _ "$T/out"
	expect_rc 0 "$tag: history after the firmware fallbacks" --state "$S" history --json
	check "$tag: history: a boot of A with the failed try, then trial_failed of B, both by the hook" \
		json 'j[0]["event"] == "trial_failed" and j[0]["slot"] == "B" and j[0]["actor"] == "hook" and "tries exhausted" in j[0]["reason"] and j[1]["event"] == "boot" and j[1]["slot"] == "A" and j[1]["actor"] == "hook" and j[1]["tries_left"] == 1'
	expect_rc 0 "$tag: mark-test --tries 1" --state "$S" mark-test --tries 1
	expect_rc 0 "$tag: boot-select --firmware-slot B (test's entry booted)" \
		--state "$S" --marker "$M" boot-select --firmware-slot B
	check "$tag: firmware on test B's entry: the trial boot of B goes on" \
		bash -c 'grep -qx "DUALBOOT_SLOT=B" "$1" && grep -qx "DUALBOOT_TRIAL=1" "$1"' _ "$T/out"
	expect_rc 0 "$tag: boot-select after the last try" --state "$S" --marker "$M" boot-select
	expect_rc 0 "$tag: status --json" --state "$S" --marker "$M" status --json
	check "$tag: the trial is failed and disarmed again, stable A boots next" \
		json 'not j["trial_armed"] and j["next_boot_slot"] == "A" and j["last_trial_failed"] and j["current_slot"] == "A"'

	# -- confirm and promote: only in a trial boot of the test slot -------
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: confirm with no trial armed" --state "$S" --marker "$M" confirm
	check "$tag: refused confirm (no trial) leaves the record unchanged" same_file "$S" "$D/copy"
	expect_rc 0 "$tag: arm again" --state "$S" --marker "$M" mark-test --tries 3
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: confirm on the stable slot (marker says A)" --state "$S" --marker "$M" confirm
	check "$tag: the refusal names the slots" has "$err" "is not the trial boot"
	expect_rc 1 "$tag: confirm without a marker" --state "$S" --marker "$D/no-marker" confirm
	check "$tag: the refusal says the current slot is unknown" has "$err" "unknown"
	check "$tag: refused confirms (stable slot, no marker) leave the record unchanged" same_file "$S" "$D/copy"
	run --state "$S" --marker "$M" boot-select
	check "$tag: trial boot of B" has "$out" "DUALBOOT_SLOT=B"
	sed "s/^boot_id=.*/boot_id=00000000-0000-4000-8000-000000000000/" "$M" >"$D/stale"
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: confirm with a marker of an earlier boot" --state "$S" --marker "$D/stale" confirm
	check "$tag: the stale marker is named" has "$err" "earlier boot"
	# the marker's slot edited (boot_id kept) disagrees with the record's last boot
	sed "s/^slot=B$/slot=A/; s/^role=test$/role=stable/" "$M" >"$D/edited"
	expect_rc 0 "$tag: status with an edited marker" --state "$S" --marker "$D/edited" status --json
	check "$tag: ... the current slot is unknown (marker A, record's last boot B)" \
		json 'j["current_slot"] is None and j["current_role"] == "unknown"'
	expect_rc 1 "$tag: confirm with an edited marker (says A; record: trial boot of B)" \
		--state "$S" --marker "$D/edited" confirm
	check "$tag: ... the refusal says why the slot is unknown" has "$err" "says slot A, but the state record says this boot"
	expect_rc 1 "$tag: promote before confirm" --state "$S" --marker "$M" promote
	check "$tag: refused requests leave the record unchanged" same_file "$S" "$D/copy"
	expect_rc 0 "$tag: confirm in the trial boot" --state "$S" --marker "$M" confirm
	expect_rc 0 "$tag: status" --state "$S" --marker "$M" status --json
	check "$tag: confirm refills the tries" json 'j["confirmed"] and j["tries_left"] == 3'
	# the test slot was never refreshed: its provenance is unknown (issue 15)
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: promote of a test slot of unknown provenance" --state "$S" --marker "$M" promote
	check "$tag: ... is refused saying so" has "$err" "provenance of the test slot B is unknown"
	check "$tag: ... and leaves the record unchanged" same_file "$S" "$D/copy"
	expect_rc 2 "$tag: --discard-stable-writes is an option of promote only" \
		--state "$S" --marker "$M" confirm --discard-stable-writes
	expect_rc 0 "$tag: promote --discard-stable-writes" --state "$S" --marker "$M" promote \
		--reason "v2 is good" --discard-stable-writes
	expect_rc 0 "$tag: status" --state "$S" --marker "$M" status --json
	check "$tag: after promote B is stable and current, A is test" \
		json 'j["stable_slot"] == "B" and j["test_slot"] == "A" and j["current_role"] == "stable" and not j["trial_armed"] and j["last_event"] == "promote" and j["last_reason"] == "v2 is good"'
	cp "$S" "$D/copy"
	expect_rc 1 "$tag: promote again is refused" --state "$S" --marker "$M" promote
	check "$tag: refused promote leaves the record unchanged" same_file "$S" "$D/copy"

	# -- failback -----------------------------------------------------------
	expect_rc 0 "$tag: arm A as the test slot" --state "$S" --marker "$M" mark-test
	run --state "$S" --marker "$M" boot-select
	check "$tag: trial boot of A" has "$out" "DUALBOOT_SLOT=A"
	expect_rc 0 "$tag: failback from the trial boot" --state "$S" --marker "$M" failback --reason abort
	expect_rc 0 "$tag: failback again is harmless" --state "$S" --marker "$M" failback
	expect_rc 1 "$tag: mark-test from the test slot outside a trial" --state "$S" --marker "$M" mark-test
	run --state "$S" --marker "$M" boot-select
	check "$tag: after failback the next boot is stable B" has "$out" "DUALBOOT_SLOT=B"
	run --state "$S" --marker "$D/m2" boot-select
	check "$tag: ... and stays there" has "$out" "DUALBOOT_SLOT=B"

	# -- configuration: record path, slot devices, default slot ------------
	mkdir -p "$D/mnt/dualboot"
	: >"$D/rootA"
	: >"$D/rootB"
	cat >"$C" <<-EOF
		# test configuration
		state_device=LABEL=dbstate
		state_mount=$D/mnt
		state_file=/dualboot/state
		slot_a=$D/rootA
		slot_b=$D/rootB
		default=B
	EOF
	expect_rc 0 "$tag: init through --config (state_mount + state_file)" \
		--config "$C" init --stable A
	check "$tag: the record is at state_mount + state_file" test -f "$D/mnt/dualboot/state"
	expect_rc 0 "$tag: mark-test through --config" --config "$C" mark-test --tries 1
	run --config "$C" --marker "$M" boot-select
	check "$tag: DUALBOOT_ROOT is the configured test slot device" \
		bash -c 'grep -qx "DUALBOOT_ROOT=$2" "$1" && grep -qx DUALBOOT_SLOT=B "$1"' _ "$T/out" "$D/rootB"
	expect_rc 0 "$tag: mark-test" --config "$C" mark-test --tries 1
	rm "$D/rootB"
	run --config "$C" --marker "$M" boot-select
	check "$tag: test root device missing: boot-select boots stable A" \
		bash -c 'grep -qx DUALBOOT_SLOT=A "$1" && grep -qx "DUALBOOT_ROOT=$2" "$1" && grep -q "missing" "$1"' _ "$T/out" "$D/rootA"
	sed "s|^state_mount=.*|state_mount=$D/not-mounted|" "$C" >"$D/nomount.conf"
	expect_rc 2 "$tag: init when the shared partition is not mounted" --config "$D/nomount.conf" init --stable A
	check "$tag: ... the message names state_mount" has "$err" "state_mount"
	run --config "$ROOT/hook/dualboot.conf.example" --state "$S" status
	check "$tag: the installed example configuration parses" \
		bash -c '! grep -q "dualboot.conf.example:[0-9]" "$1"' _ "$T/err"
	printf 'slot_c=/dev/sda\n' >"$D/bad.conf"
	expect_rc 2 "$tag: a configuration with an unknown key" --config "$D/bad.conf" --state "$S" status
	check "$tag: the error names file and line" has "$err" "bad.conf:1"
	expect_rc 2 "$tag: --cmdline file that does not exist" --config "$C" --cmdline "$D/nope" status
	echo "quiet dualboot.default=A dualboot.state_file=/dualboot/other" >"$D/cmdline"
	expect_rc 2 "$tag: kernel command line overrides the config (state_file)" \
		--config "$C" --cmdline "$D/cmdline" status
	check "$tag: ... the overridden path is the one read" has "$err" "/dualboot/other"

	# -- bad records ----------------------------------------------------------
	expect_rc 0 "$tag: fresh record" --state "$S" init --stable A --force
	expect_rc 0 "$tag: one more write (copies differ)" --state "$S" mark-test
	: >"$D/zero"
	expect_rc 2 "$tag: zero-length file" --state "$D/zero" status
	head -c 4096 "$S" >"$D/trunc"
	expect_rc 2 "$tag: truncated file" --state "$D/trunc" status
	check "$tag: truncated: the message says so" has "$err" "truncated"
	expect_rc 2 "$tag: a directory" --state "$D" status
	check "$tag: directory: the message says so" has "$err" "directory"
	ln -s "$S" "$D/link"
	expect_rc 2 "$tag: a symlink is refused" --state "$D/link" status
	check "$tag: symlink: the message says so" has "$err" "symbolic link"
	cp "$S" "$D/copy"
	expect_rc 2 "$tag: a symlink is refused for updates too" --state "$D/link" failback
	check "$tag: symlink: the record behind it is unchanged" same_file "$S" "$D/copy"
	cp "$S" "$D/magic"
	python3 "$FORGE" "$D/magic" magic
	expect_rc 2 "$tag: wrong magic" --state "$D/magic" status
	check "$tag: wrong magic: no valid copy" has "$err" "no valid copy"
	cp "$S" "$D/newer"
	python3 "$FORGE" "$D/newer" newer-version
	cp "$D/newer" "$D/copy"
	expect_rc 2 "$tag: unknown newer version" --state "$D/newer" status
	check "$tag: newer version: the message says so" has "$err" "newer"
	expect_rc 2 "$tag: no update of a newer-version record" --state "$D/newer" failback
	printf 'default=B\n' >"$D/defB.conf"
	run --config "$D/defB.conf" --state "$D/newer" --marker "$M" boot-select
	check "$tag: newer version: boot-select boots the default stable slot (B), exit 0" \
		bash -c '[ "$2" = 0 ] && grep -qx DUALBOOT_SLOT=B "$1" && grep -qx DUALBOOT_ROLE=stable "$1"' _ "$T/out" "$rc"
	check "$tag: newer version: the record is never rewritten" same_file "$D/newer" "$D/copy"
	# a whole newest copy with a value this version refuses: like a newer version
	cp "$S" "$D/unknown"
	python3 "$FORGE" "$D/unknown" unknown-event
	cp "$D/unknown" "$D/copy"
	expect_rc 2 "$tag: newest copy with an unknown event code" --state "$D/unknown" status
	check "$tag: unknown event: the message names the field and says it is refused" \
		bash -c 'grep -q "last_event" "$1" && grep -q "refuses" "$1"' _ "$T/err"
	expect_rc 2 "$tag: no update over a copy this version refuses" --state "$D/unknown" failback
	expect_rc 2 "$tag: ... nor a mark-test" --state "$D/unknown" mark-test
	expect_rc 1 "$tag: ... nor init without --force (refused)" --state "$D/unknown" init --stable A
	run --config "$D/defB.conf" --state "$D/unknown" --marker "$M" boot-select
	check "$tag: unknown event: boot-select boots the default stable slot (B), not the older copy's trial" \
		bash -c '[ "$2" = 0 ] && grep -qx DUALBOOT_SLOT=B "$1" && grep -qx DUALBOOT_TRIAL=0 "$1"' _ "$T/out" "$rc"
	check "$tag: unknown event: the record is byte for byte unchanged" same_file "$D/unknown" "$D/copy"
	cp "$S" "$D/one"
	python3 "$FORGE" "$D/one" corrupt-newest
	run --state "$S" status --json
	good_seq=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["seq"])' <<<"$out")
	expect_rc 0 "$tag: newest copy corrupt: the other copy serves" --state "$D/one" status --json
	check "$tag: ... with the older sequence" json "j['seq'] == $good_seq - 1"
	expect_rc 0 "$tag: a write to a record with one corrupt copy" --state "$D/one" failback
	check "$tag: ... repairs it: both copies valid again" \
		bash -c '[ "$(python3 "$1" "$2" seqs)" = "$3 $(( $3 - 1 ))" ] || [ "$(python3 "$1" "$2" seqs)" = "$(( $3 - 1 )) $3" ]' _ "$FORGE" "$D/one" "$good_seq"
	cp "$S" "$D/both"
	python3 "$FORGE" "$D/both" corrupt-both
	expect_rc 2 "$tag: both copies corrupt" --state "$D/both" status
	check "$tag: both corrupt: the message names the default stable slot" has "$err" "default stable slot"
	run --config "$D/defB.conf" --state "$D/both" --marker "$M" boot-select
	check "$tag: both corrupt: boot-select boots the default stable slot B, exit 0" \
		bash -c '[ "$2" = 0 ] && grep -qx DUALBOOT_SLOT=B "$1"' _ "$T/out" "$rc"
	cp "$S" "$D/bad"$'\xff'"name"
	expect_rc 0 "$tag: a record path that is not UTF-8" --state "$D/bad"$'\xff'"name" status --json
	check "$tag: ... still gives valid JSON (U+FFFD for the stray byte)" \
		json 'j["state_path"].endswith("bad\ufffdname")'
	expect_rc 2 "$tag: --state LABEL= of a device that does not exist" \
		--state "LABEL=dualboot-test-none-$$" status
	check "$tag: ... says so" has "$err" "no such device"
	cp "$S" "$D/a=b"
	expect_rc 0 "$tag: a file name with '=' is a file, not a device spec" --state "$D/a=b" status
	cp "$S" "$D/fp"
	python3 "$FORGE" "$D/fp" fprint
	expect_rc 0 "$tag: status --json of a record with a stored fingerprint" --state "$D/fp" status --json
	check "$tag: ... lists it (slot, database, fingerprint, time)" \
		json 'j["fingerprints"] == [{"slot": "B", "database": "app", "fingerprint": "v1:pg15:3f2a", "recorded_at": "2026-11-25T09:46:40Z"}]'
	expect_rc 0 "$tag: status (text) shows it" --state "$D/fp" status
	check "$tag: ... one fingerprint line" has "$out" "slot B, database app: v1:pg15:3f2a"
	chmod o+w "$D/one"
	expect_rc 2 "$tag: a world-writable record is refused" --state "$D/one" status

	# -- require-test / require-stable (issue 16): exit 0 on that role, 1 with
	#    one line otherwise, 2 on bad usage; the same trust rule as SQL --------
	local R="$D/req" RM="$D/req-run/booted"
	expect_rc 0 "$tag: require: a fresh record (stable A)" --state "$R" init --stable A
	expect_rc 1 "$tag: require-test before any boot (no marker)" --state "$R" --marker "$RM" require-test
	check "$tag: ... one line saying the slot is unknown" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "require-test: refused: the current slot is unknown" "$1"' _ "$T/err"
	expect_rc 1 "$tag: require-stable before any boot (no marker)" --state "$R" --marker "$RM" require-stable
	run --state "$R" --marker "$RM" boot-select
	expect_rc 1 "$tag: require-test on the stable slot" --state "$R" --marker "$RM" require-test
	check "$tag: ... one line naming the stable slot" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "this boot runs on the stable slot A, not on the test slot B" "$1"' _ "$T/err"
	expect_rc 0 "$tag: require-stable on the stable slot" --state "$R" --marker "$RM" require-stable
	check "$tag: ... silent on success" test -z "$out$err"
	expect_rc 0 "$tag: require: arm a trial" --state "$R" --marker "$RM" mark-test --tries 2
	run --state "$R" --marker "$RM" boot-select
	expect_rc 0 "$tag: require-test in the trial boot of B" --state "$R" --marker "$RM" require-test
	expect_rc 1 "$tag: require-stable on the test slot" --state "$R" --marker "$RM" require-stable
	check "$tag: ... one line naming the test slot" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "this boot runs on the test slot B, not on the stable slot A" "$1"' _ "$T/err"
	sed "s/^slot=B$/slot=A/; s/^role=test$/role=stable/" "$RM" >"$D/req-edited"
	expect_rc 1 "$tag: require-stable with the marker's slot edited to the stable A" \
		--state "$R" --marker "$D/req-edited" require-stable
	check "$tag: ... the marker and the record disagree, so the slot is unknown" has "$err" "the current slot is unknown"
	expect_rc 1 "$tag: require-test with a missing record" --state "$D/none" --marker "$RM" require-test
	expect_rc 2 "$tag: require-test with an argument" --state "$R" --marker "$RM" require-test now
	expect_rc 2 "$tag: require-stable with an unknown option" --state "$R" --marker "$RM" require-stable --json
	expect_rc 2 "$tag: require-test with no record given or configured" --marker "$RM" require-test

	# -- outcome, metrics, journal (issue 17) ------------------------------
	local O="$D/outcome"
	expect_rc 0 "$tag: outcome: a fresh record" --state "$O" init --stable A
	expect_rc 0 "$tag: outcome of a fresh record" --state "$O" outcome
	check "$tag: ... none" has "$out" "DUALBOOT_OUTCOME='none'"
	expect_rc 0 "$tag: status --json has the outcome keys" --state "$O" status --json
	check "$tag: ... last_trial_outcome null" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["last_trial_outcome"] is None and d["last_trial_detail"] is None and d["last_trial_at"] is None, d' "$T/out"
	ctl --state "$O" mark-test --tries 1 >/dev/null
	ctl --state "$O" --marker "$D/orun/booted" boot-select >/dev/null
	ctl --state "$O" --marker "$D/orun/booted" boot-select >/dev/null
	expect_rc 0 "$tag: outcome after the tries ran out" --state "$O" outcome --json
	check "$tag: ... tries_exhausted, failed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "tries_exhausted" and d["failed"] is True and d["seq"] > 0, d' "$T/out"
	expect_rc 0 "$tag: metrics" --state "$O" --marker "$D/orun/booted" metrics
	check "$tag: ... the outcome and the slot in the metrics" bash -c '
		grep -qx "dualboot_last_trial_outcome{outcome=\"tries_exhausted\",check=\"\"} 1" "$1" &&
		grep -q "^dualboot_boot_info{slot=\"A\",role=\"stable\"" "$1"' _ "$T/out"
	if command -v promtool >/dev/null 2>&1; then
		check "$tag: ... promtool check metrics" bash -c 'promtool check metrics < "$1"' _ "$T/out"
	else
		nok "$tag: promtool is not installed (tools/deps.sh test: prometheus)"
	fi
	expect_rc 2 "$tag: metrics without a record" --state "$D/none" metrics
	check "$tag: ... still says dualboot_record_readable 0" has "$out" "dualboot_record_readable 0"
	expect_rc 2 "$tag: outcome with an argument" --state "$O" outcome now
	expect_rc 2 "$tag: journal without a kind" journal
	expect_rc 2 "$tag: journal with an unknown kind" journal frobnicate "text"
	expect_rc 2 "$tag: journal without a message" journal confirmed --slot B
	expect_rc 2 "$tag: journal with a bad priority" journal confirmed --priority 9 "text"
	expect_rc 2 "$tag: journal with two messages" journal confirmed "one" "two"
}

suite "$T/bin/dualbootctl" plain
suite "$T/bin/dualbootctl-asan" asan
CTL=$T/bin/dualbootctl

# ---------------------------------------------------------------------------
# Concurrency: 8 processes x 200 updates each on one record (mark-test,
# failback and, every 4th, boot-select), a reader running throughout. Final
# sequence = initial + successful updates; nothing lost.
S="$T/conc"
ctl --state "$S" init --stable A >/dev/null 2>&1
writer() {
	local okc=0
	for i in $(seq 200); do
		if [ $((i % 4)) = 0 ]; then
			# the hook's path too: its write goes through the same lock
			ctl --state "$S" --marker "$T/conc-run.$1/booted" boot-select >/dev/null 2>>"$T/conc.err" &&
				okc=$((okc + 1))
		elif [ $((i % 2)) = 1 ]; then
			ctl --state "$S" mark-test --tries $(( (i % 7) + 1 )) --reason "w$1 $i" >/dev/null 2>>"$T/conc.err" && okc=$((okc + 1))
		else
			ctl --state "$S" failback --reason "w$1 $i" >/dev/null 2>>"$T/conc.err" && okc=$((okc + 1))
		fi
	done
	echo "$okc" >"$T/conc.$1"
}
reader() {
	local bad=0 reads=0
	while [ ! -e "$T/conc.done" ] && [ $reads -lt 20000 ]; do
		ctl --state "$S" status --json >/dev/null 2>>"$T/conc.rerr" || bad=$((bad + 1))
		reads=$((reads + 1))
	done
	echo "$reads $bad" >"$T/conc.reader"
}
reader &
rpid=$!
pids=""
for w in 1 2 3 4 5 6 7 8; do
	writer "$w" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
touch "$T/conc.done"
wait "$rpid"
total=0
for w in 1 2 3 4 5 6 7 8; do total=$((total + $(cat "$T/conc.$w" 2>/dev/null || echo 0))); done
out=$(ctl --state "$S" status --json)
check "concurrency: all 1600 updates of 8 writers succeeded" test "$total" = 1600
[ -s "$T/conc.err" ] && diag "$T/conc.err"
check "concurrency: final seq = 1 + successful updates ($total)" json "j['seq'] == 1 + $total"
read -r reads bad <"$T/conc.reader"
check "concurrency: $reads reads during the updates, all valid ($bad failed)" \
	test "$bad" = 0 -a "$reads" -gt 0
[ -s "$T/conc.rerr" ] && diag "$T/conc.rerr"
final_seq=$((1 + total))
out=$(ctl --state "$S" history --json)
# (stable boots update the boot fields only, so the ring may skip their seqs)
check "concurrency: the history ring holds 6 entries, newest first, none beyond the final seq" \
	json 'len(j) == 6 and all(a["seq"] > b["seq"] for a, b in zip(j, j[1:])) and j[0]["seq"] <= '"$final_seq"

# ---------------------------------------------------------------------------
# valgrind: no errors, no leaks, on every command (exit codes preserved).
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all"
S="$T/vg"
M="$T/vg-run/booted"
if command -v valgrind >/dev/null; then
	vg() {
		local want=$1
		shift
		$VG "$CTL" --config "$T/empty.conf" --state "$S" --marker "$M" "$@" >"$T/out" 2>"$T/err"
		local r=$?
		if [ "$r" = "$want" ]; then ok "valgrind: $* (exit $want, clean)"; else
			nok "valgrind: $* (exit $r, want $want)"
			diag "$T/err"
		fi
	}
	vg 0 init --stable B --reason valgrind
	vg 1 init --stable B
	vg 0 status
	vg 0 status --json
	vg 0 mark-test --tries 2 --reason "vg run"
	vg 0 boot-select
	vg 0 confirm
	vg 1 promote
	vg 0 promote --discard-stable-writes
	vg 1 confirm
	vg 0 failback
	vg 0 history
	vg 0 history --json
	vg 2 mark-test --tries 0
	vg 2 bogus
	vg 2 efi frobnicate
	vg 0 require-stable
	vg 1 require-test
	vg 2 require-test extra
	vg 0 outcome
	vg 0 outcome --json
	vg 0 metrics
	vg 2 journal confirmed --check x
else
	nok "valgrind is not installed"
fi

# ---------------------------------------------------------------------------
# A raw block device (the record on a partition with no file system), through
# a loop device when the machine allows one; the same bytes as in a file.
LOOP=
cleanup() {
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
truncate -s 1M "$T/raw.img"
if command -v losetup >/dev/null && LOOP=$(losetup --find --show "$T/raw.img" 2>/dev/null) &&
	[ -b "$LOOP" ]; then
	printf 'state_device=%s\nstate_file=\n' "$LOOP" >"$T/raw.conf"
	expect_rc 0 "block device: init on the raw device named by state_device=" \
		--config "$T/raw.conf" init --stable B
	expect_rc 0 "block device: mark-test" --config "$T/raw.conf" mark-test --tries 1
	run --config "$T/raw.conf" --marker "$T/raw-run/booted" boot-select
	check "block device: boot-select boots the trial of A" has "$out" "DUALBOOT_SLOT=A"
	expect_rc 0 "block device: status --json" --config "$T/raw.conf" status --json
	check "block device: seq 3, one try used, state_path is the device" \
		json "j['seq'] == 3 and j['tries_left'] == 0 and j['state_path'] == '$LOOP'"
	check "block device: the record at offset 0, the stable hint right after it, the rest untouched" \
		bash -c 'head -c 8 "$1" | grep -q DUALBOOT && tail -c +8193 "$1" | head -c 8 | grep -q DBSTABLE &&
			[ -z "$(tail -c +9217 "$1" | tr -d "\0" | head -c 1)" ]' _ "$T/raw.img"
	dd if="$T/raw.img" of="$T/raw.rec" bs=8192 count=1 status=none
	expect_rc 0 "block device: its first 8192 bytes read as the same record from a file" \
		--state "$T/raw.rec" status --json
	check "block device: ... same sequence" json "j['seq'] == 3 and j['stable_slot'] == 'B'"
	losetup -d "$LOOP"
	LOOP=
else
	LOOP=
	n=$((n + 1))
	echo "ok $n # SKIP no loop device available (block device record)"
fi

# ---------------------------------------------------------------------------
# A record on a read-only file system (a read-only bind mount, when the
# machine allows one): boot-select cannot persist the decrement, so no trial;
# it boots the record's stable slot (B), not the configured default (A).
RO=
cleanup() {
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	[ -n "$RO" ] && umount "$RO" 2>/dev/null
	rm -rf "$T"
}
mkdir -p "$T/rw" "$T/ro"
printf 'default=A\n' >"$T/defA.conf"
ctl --state "$T/rw/state" init --stable B >/dev/null 2>&1
ctl --state "$T/rw/state" mark-test --tries 3 >/dev/null 2>&1
cp "$T/rw/state" "$T/rw.copy"
if mount --bind "$T/rw" "$T/ro" 2>/dev/null && RO=$T/ro &&
	mount -o remount,bind,ro "$T/ro" 2>/dev/null; then
	run --config "$T/defA.conf" --state "$T/ro/state" --marker "$T/ro-run/booted" boot-select
	check "read-only file system: boot-select boots the record's stable slot B, no trial" \
		bash -c '[ "$2" = 0 ] && grep -qx DUALBOOT_SLOT=B "$1" && grep -qx DUALBOOT_TRIAL=0 "$1"' _ "$T/out" "$rc"
	check "read-only file system: the reason is on stderr" has "$err" "Read-only file system"
	expect_rc 2 "read-only file system: mark-test fails" --state "$T/ro/state" failback
	expect_rc 0 "read-only file system: status still reads it" --state "$T/ro/state" status
	umount "$T/ro"
	RO=
	check "read-only file system: the record is unchanged" same_file "$T/rw/state" "$T/rw.copy"
else
	[ -n "$RO" ] && umount "$RO" 2>/dev/null
	RO=
	n=$((n + 1))
	echo "ok $n # SKIP no read-only bind mount possible here"
fi

# ---------------------------------------------------------------------------
# Output errors and installation.
"$CTL" --config "$T/empty.conf" --state "$T/conc" status >/dev/full 2>"$T/err"
check "status to a full disk (/dev/full) fails with exit 2" test $? = 2
"$CTL" --config "$T/empty.conf" --state "$T/conc" history --json >/dev/full 2>/dev/null
check "history --json to /dev/full fails with exit 2" test $? = 2
make -s -C "$ROOT" install-dualbootctl DESTDIR="$T/dest" >"$T/make.log" 2>&1
check "make install-dualbootctl DESTDIR=...: /usr/sbin/dualbootctl and the man page" \
	test -x "$T/dest/usr/sbin/dualbootctl" -a -f "$T/dest/usr/share/man/man8/dualbootctl.8"
[ -x "$T/dest/usr/sbin/dualbootctl" ] || diag "$T/make.log"

# ---------------------------------------------------------------------------
# require-test / require-stable as an unprivileged user (nobody): the record
# must be readable by the caller; when it is not, a refusal that says so.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	U=$T/nobody
	mkdir -p "$U/run"
	chmod 755 "$T" "$T/bin" "$U" "$U/run"
	chmod 644 "$T/empty.conf"
	"$CTL" --config "$T/empty.conf" --state "$U/record" init --stable A >/dev/null 2>&1
	"$CTL" --config "$T/empty.conf" --state "$U/record" mark-test >/dev/null 2>&1
	"$CTL" --config "$T/empty.conf" --state "$U/record" boot-select --marker "$U/run/booted" >/dev/null 2>&1
	asnobody() { runuser -u nobody -- "$T/bin/dualbootctl" --config "$T/empty.conf" --state "$U/record" --marker "$U/run/booted" "$@" 2>"$T/err"; }
	chmod 644 "$U/record"
	asnobody require-test
	check "nobody: require-test on the test slot, record readable (0644): exit 0" test $? = 0
	asnobody require-stable
	check "nobody: require-stable on the test slot: exit 1" test $? = 1
	chmod 600 "$U/record"
	asnobody require-test
	r=$?
	check "nobody: record not readable (0600): require-test refuses (exit 1)" test "$r" = 1
	check "nobody: ... one line saying the record cannot be read and where to look" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "cannot read the state record.*Permission denied.*Who can read the record" "$1"' _ "$T/err"
else
	n=$((n + 1))
	echo "ok $n # SKIP require-test as nobody: needs root"
fi

# ---------------------------------------------------------------------------
# Rehearsal certificates (issue 19): export a completed rehearsal as JSON,
# import it into another record (root only); every bad certificate is
# refused with the record left byte for byte as it was.
CTL=$T/bin/dualbootctl-asan
export ASAN_OPTIONS=detect_leaks=$LSAN:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
R=$T/rehearsal
mkdir -p "$R"
hex() { printf "%${2}s" '' | tr ' ' "$1"; }
FB=dbfp3:pg15:$(hex a 64)
FA=dbfp3:pg15:$(hex b 64)
ctl --state "$R/canary" init --stable A >/dev/null
ctl --state "$R/other" init --stable A >/dev/null
python3 "$FORGE" "$R/canary" rehearsal 004_note app "$FB" "$FA" 1 15
expect_rc 0 "rehearsal export of a completed local rehearsal" --state "$R/canary" rehearsal export 004_note --host canary-1
printf '%s\n' "$out" >"$R/cert.json"
check "the certificate names the rehearsal, its fingerprints, major, algorithm, host and slot" json \
	'j["format"] == "dualboot-rehearsal" and j["version"] == 1 and j["name"] == "004_note" and j["database"] == "app" and j["fingerprint_before"] == "'"$FB"'" and j["fingerprint_after"] == "'"$FA"'" and j["server_major"] == 15 and j["fingerprint_algorithm"] == 3 and j["rehearsed_on"] == {"host": "canary-1", "slot": "B"} and j["began_at"] == "2026-11-25T09:46:40Z" and j["ended_at"] == "2026-11-25T09:47:40Z"'
expect_rc 1 "rehearsal export of a name the record does not hold" --state "$R/canary" rehearsal export 005_other
check "... says so" has "$err" 'no rehearsal "005_other"'
expect_rc 2 "rehearsal export of a name too long" --state "$R/canary" rehearsal export "$(hex n 40)"
expect_rc 2 "rehearsal without a subcommand" --state "$R/canary" rehearsal
# bad certificates: NAME EXIT PYTHON-EDIT (j is the certificate; None: raw text)
cp "$R/other" "$R/other.before"
bad_cert() {
	local what=$1 want=$2 edit=$3 expect_msg=$4
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
'"$edit"'
if j is not None:
    open(sys.argv[2], "w").write(json.dumps(j))' "$R/cert.json" "$R/bad.json"
	expect_rc "$want" "rehearsal import refuses $what" --state "$R/other" rehearsal import "$R/bad.json"
	check "... saying so ($expect_msg), the record unchanged" bash -c \
		'case "$1" in *"$2"*) cmp -s "$3" "$4" ;; *) echo "# stderr: $1"; exit 1 ;; esac' \
		_ "$err" "$expect_msg" "$R/other" "$R/other.before"
}
bad_cert "text that is not JSON" 2 'open(sys.argv[2], "w").write("{\"format\": \"dualboot-rehearsal\", "); j = None' "is not JSON"
bad_cert "JSON that is not an object" 2 'j = [j]' "not an object"
bad_cert "text after the object" 2 'open(sys.argv[2], "w").write(json.dumps(j) + " {}"); j = None' "is not JSON"
bad_cert "an unknown field" 2 'j["replay_anyway"] = True' 'unknown field "replay_anyway"'
bad_cert "an unknown field in rehearsed_on" 2 'j["rehearsed_on"]["rack"] = 4' 'unknown field "rack" in "rehearsed_on"'
bad_cert "a missing field" 2 'del j["fingerprint_after"]' '"fingerprint_after" is missing'
bad_cert "a newer certificate version" 2 'j["version"] = 2' "certificate format version 2"
bad_cert "another format" 2 'j["format"] = "something-else"' 'is not "dualboot-rehearsal"'
bad_cert "a name too long" 2 'j["name"] = "n" * 40' "is too long (at most 39 bytes)"
bad_cert "a string where a number belongs" 2 'j["server_major"] = "15"' '"server_major" is missing or not an integer'
bad_cert "a fingerprint that is not one" 2 'j["fingerprint_after"] = "dbfp3:pg15:xyz"' "a fingerprint is not"
bad_cert "fingerprints that disagree with server_major" 2 'j["server_major"] = 16' "disagree with server_major 16"
bad_cert "an impossible time" 2 'j["began_at"] = "2026-02-30T00:00:00Z"' "must be UTC times"
bad_cert "a bad slot" 2 'j["rehearsed_on"]["slot"] = "C"' 'rehearsed_on.slot "C"'
bad_cert "another PostgreSQL major" 1 'j["server_major"] = 18
for k in ("fingerprint_before", "fingerprint_after"): j[k] = j[k].replace(":pg15:", ":pg18:")' "was made on PostgreSQL 18; this machine's server is PostgreSQL 15"
bad_cert "another fingerprint algorithm version" 1 'j["fingerprint_algorithm"] = 4
for k in ("fingerprint_before", "fingerprint_after"): j[k] = j[k].replace("dbfp3:", "dbfp4:")' "algorithm dbfp4; this dualboot computes dbfp3"
printf '{"format": "dualboot-rehearsal", "version": 1, "name": "a\xff"}' >"$R/bad.json"
expect_rc 2 "rehearsal import refuses a certificate that is not UTF-8" --state "$R/other" rehearsal import "$R/bad.json" --major 15
check "... the record unchanged" same_file "$R/other" "$R/other.before"
ln -sf "$R/cert.json" "$R/link.json"
expect_rc 2 "rehearsal import refuses a symbolic link" --state "$R/other" rehearsal import "$R/link.json" --major 15
check "... saying so, the record unchanged" bash -c 'case "$1" in *"symbolic link"*) cmp -s "$2" "$3" ;; *) exit 1 ;; esac' _ "$err" "$R/other" "$R/other.before"
expect_rc 2 "rehearsal import of a file that does not exist" --state "$R/other" rehearsal import "$R/missing.json" --major 15
expect_rc 2 "rehearsal import of a folder" --state "$R/other" rehearsal import "$R" --major 15
expect_rc 2 "rehearsal import with --pgdata and --major" --state "$R/other" rehearsal import "$R/cert.json" --major 15 --pgdata "$R"
expect_rc 2 "rehearsal import with --pgdata of no cluster" --state "$R/other" rehearsal import "$R/cert.json" --pgdata "$R"
mkdir -p "$R/pg18" && echo 18 >"$R/pg18/PG_VERSION"
expect_rc 1 "rehearsal import refuses a certificate of 15 for a cluster of 18 (--pgdata)" --state "$R/other" rehearsal import "$R/cert.json" --pgdata "$R/pg18"
check "... the record unchanged" same_file "$R/other" "$R/other.before"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T" "$R" "$T/bin"
	chmod 644 "$R/cert.json" "$R/other" "$T/empty.conf"
	rc=0
	runuser -u nobody -- "$T/bin/dualbootctl" --config "$T/empty.conf" --state "$R/other" \
		rehearsal import "$R/cert.json" --major 15 >"$T/out" 2>"$T/err" || rc=$?
	check "rehearsal import as another user than root is refused (exit 1)" test "$rc" = 1
	check "... saying so, the record unchanged" bash -c 'grep -q "run it as root" "$1" && cmp -s "$2" "$3"' _ "$T/err" "$R/other" "$R/other.before"
	chmod 600 "$R/other"
else
	n=$((n + 1))
	echo "ok $n # SKIP rehearsal import as another user: needs root"
fi
expect_rc 0 "rehearsal import of the certificate (as root)" --state "$R/other" rehearsal import "$R/cert.json" --major 15
check "... says how to replay it" has "$out" "dualboot_require_rehearsed('004_note')"
expect_rc 0 "provenance --json lists it as imported, PostgreSQL 15" --state "$R/other" provenance --json
check "... with both fingerprints" json '[(r["origin"], r["server_major"], r["fingerprint_before"], r["fingerprint_after"], r["state"]) for r in j["rehearsals"]] == [("imported", 15, "'"$FB"'", "'"$FA"'", "completed")]'
expect_rc 0 "history names the import and the machine it came from" --state "$R/other" history --json
check "... as rehearsal_end with the reason" json 'j[0]["event"] == "rehearsal_end" and j[0]["reason"] == "imported rehearsal 004_note (rehearsed on canary-1 slot B)"'
cp "$R/other" "$R/other.imported"
expect_rc 0 "a second import of the same certificate" --state "$R/other" rehearsal import "$R/cert.json" --major 15
check "... writes nothing" bash -c 'has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }; has "$1" "in the record already" && cmp -s "$2" "$3"' _ "$out" "$R/other" "$R/other.imported"
expect_rc 1 "an imported rehearsal is not exported again" --state "$R/other" rehearsal export 004_note

# ---------------------------------------------------------------------------
# The man page: every command and exit status documented; renders cleanly.
MAN=$ROOT/hook/dualbootctl.8
check "man page documents every command, option and exit status" bash -c '
	for w in init status mark-test confirm failback promote history boot-select efi "efi create" \
		require-test require-stable outcome metrics journal last_trial_outcome MESSAGE_ID \
		"Who can read the record" \
		--state --config --marker --cmdline --json --tries --reason --force --stable --firmware-slot \
		refresh stop-point provenance --pgdata --discard-stable-writes --source \
		"rehearsal export" "rehearsal import" --host --major \
		DUALBOOT_SLOT DUALBOOT_ROLE DUALBOOT_ROOT "EXIT STATUS"; do
		sed "s/\\\\-/-/g" "$1" | grep -q -- "$w" || { echo "# missing: $w"; exit 1; }
	done' _ "$MAN"
if command -v groff >/dev/null; then
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	check "man page renders without groff warnings" test -z "$warn"
	[ -z "$warn" ] || echo "$warn" | sed 's/^/# /'
else
	n=$((n + 1))
	echo "ok $n # SKIP groff is not installed (man page rendering)"
fi

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
