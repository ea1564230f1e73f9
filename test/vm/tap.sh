# test/vm/tap.sh - TAP assertion helpers of the VM suites (60-vm.t, 62-vm-disks.t),
# sourced after common.sh; the caller sets W (run folder), DBTOOL and TIMES,
# and n=0 failed=0 fail="" before the first assertion.

problem() { fail="$fail
#   $*"; }
expect() { [ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"; }
assert() {
	n=$((n + 1))
	if [ -z "$fail" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1$fail"
		failed=$((failed + 1))
	fi
	fail=""
}

# mkrec FILE STABLE [TRIES]: a record, optionally with an armed trial
mkrec() {
	rm -f "$1"
	"$DBTOOL" create "$1" "$2" || problem "dbtool create failed"
	[ -z "${3:-}" ] || "$DBTOOL" mark-test "$1" "$3" || problem "dbtool mark-test failed"
}

# boot NAME IMG INITRD [CMDLINE...]: one boot; W/NAME.log is the console
boot() {
	name=$1 img=$2 initrd=$3
	shift 3
	log=$W/$name.log
	if t=$(vm_boot "$img" "$initrd" "$log" "$@"); then
		echo "$name $t" >> "$TIMES"
	else
		problem "$name: QEMU failed or timed out (see $log)"
	fi
	grep -q '^DBTEST end' "$log" 2>/dev/null || problem "$name: the guest did not report (see $log)"
	LOG=$log
}

# boot_dies NAME IMG INITRD: a boot that must end without reaching the root's
# init (the initramfs panics; panic=-1 and -no-reboot end QEMU)
boot_dies() {
	name=$1 img=$2 initrd=$3
	log=$W/$name.log
	vm_boot "$img" "$initrd" "$log" >/dev/null || problem "$name: QEMU failed or timed out"
	grep -q '^DBTEST' "$log" && problem "$name: the guest reached its init (see $log)"
	LOG=$log
}

# guest SLOT ROLE TRIAL: what the last booted guest reported
guest() {
	expect "booted slot" "$(vm_report "$LOG" slot)" "$1"
	expect "marker slot" "$(vm_marker "$LOG" slot)" "$1"
	expect "marker role" "$(vm_marker "$LOG" role)" "$2"
	expect "marker trial" "$(vm_marker "$LOG" trial)" "$3"
	kid=$(vm_report "$LOG" boot_id)
	[ -n "$kid" ] || problem "the guest printed no boot_id"
	expect "marker boot_id" "$(vm_marker "$LOG" boot_id)" "$kid"
}

# fallback WHAT: the marker's fallback= (none, hint, default)
fallback() { expect "marker fallback" "$(vm_marker "$LOG" fallback)" "$1"; }

# guest_log TEXT: the hook logged a dualboot: line containing TEXT
guest_log() {
	grep '^DBTEST log' "$LOG" | grep -qF -- "$1" || problem "no hook log line with '$1'"
}

# record IMG: read the record back from the image and decode it
record() {
	rm -f "$W/rec.txt"
	if vm_state_get "$1" "$W/rec.bin"; then
		"$DBTOOL" dump "$W/rec.bin" > "$W/rec.txt" 2>/dev/null
	else
		echo "valid=absent" > "$W/rec.txt"
	fi
}
rv() { sed -n "s/^$1=//p" "$W/rec.txt"; }

# host-side change of the record inside the image, written back in place
rec_do() {
	img=$1
	shift
	vm_state_get "$img" "$W/rec.bin" && "$DBTOOL" "$1" "$W/rec.bin" ${2:+"$2"} &&
		vm_state_put "$img" "$W/rec.bin" || problem "dbtool $* on the image failed"
}

# corrupt IMG: damage both copies of the record (bytes 100..163 of each)
corrupt() {
	vm_state_get "$1" "$W/rec.bin" || { problem "no record to corrupt"; return; }
	for off in 100 4196; do
		printf 'garbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage!' |
			dd of="$W/rec.bin" bs=1 seek=$off conv=notrunc status=none
	done
	vm_state_put "$1" "$W/rec.bin"
}

