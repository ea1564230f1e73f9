#!/bin/sh
# 61-hook.t - the boot hook's parts outside a VM, on real files and a real
# PostgreSQL server: the selector's modes, its decision compared with
# `dualbootctl boot-select` (one implementation), the installed tree, and the
# systemd units' scripts (dualboot-confirm against a throw-away cluster,
# dualboot-trial-evidence).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$TOP/build/hook-test
STAGE=$T/stage
SEL=$STAGE/usr/lib/dualboot/dualboot-select
DBTOOL=$TOP/build/musl/dbtool
CTL=$TOP/build/dualbootctl

command -v musl-gcc >/dev/null 2>&1 || { echo "1..0 # SKIP musl-gcc not installed"; exit 0; }
make -s -C "$TOP" build/musl/dualboot-select build/musl/dbtool build/dualbootctl >&2 ||
	{ echo "Bail out! build failed"; exit 1; }
rm -rf "$T"; mkdir -p "$T"; chmod 0755 "$T"
make -s -C "$TOP" install-hook DESTDIR="$STAGE" >&2 ||
	{ echo "Bail out! make install-hook failed"; exit 1; }

n=0 failed=0 fail=""
echo "1..20"
problem() { fail="$fail
#   $*"; }
expect() { [ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"; }
assert() {
	n=$((n + 1))
	if [ -z "$fail" ]; then echo "ok $n - $1"; else echo "not ok $n - $1$fail"; failed=$((failed + 1)); fi
	fail=""
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# val FILE NAME: the value of NAME='...' in selector output
val() { sed -n "s/^$2='\(.*\)'$/\1/p" "$1"; }
dump() { "$DBTOOL" dump "$1" > "$T/dump.txt" 2>/dev/null; }
rv() { sed -n "s/^$1=//p" "$T/dump.txt"; }

mkdir -p "$T/slot-A" "$T/slot-B"
CONF=$T/dualboot.conf
cat > "$CONF" <<EOF
state_device=$T/state
slot_a=$T/slot-A
slot_b=$T/slot-B
default=A
timeout=3
EOF
: > "$T/cmdline"

# 1. the installed tree: every file in its DESIGN place, selector static
for f in usr/lib/dualboot/dualboot-select usr/lib/dualboot/dualboot-boot \
	usr/lib/dualboot/dualboot-stack \
	usr/lib/dualboot/dualboot-confirm usr/lib/dualboot/dualboot-trial-evidence \
	usr/share/initramfs-tools/hooks/dualboot usr/share/initramfs-tools/scripts/local-top/dualboot \
	usr/lib/dracut/modules.d/90dualboot/module-setup.sh \
	usr/lib/dracut/modules.d/90dualboot/dualboot-dm.sh \
	lib/systemd/system/dualboot-confirm.service lib/systemd/system/dualboot-trial-evidence.service \
	lib/systemd/system/dualboot-hint-sync.path lib/systemd/system/dualboot-hint-sync.service \
	etc/dualboot/dualboot.conf; do
	[ -e "$STAGE/$f" ] || problem "$f not installed"
done
readelf -l "$SEL" 2>/dev/null | grep -q INTERP && problem "the selector is dynamically linked"
size=$(stat -c %s "$SEL")
[ "$size" -le 65536 ] || problem "the selector is $size bytes (target 64 KiB)"
assert "make install-hook: installed paths; the selector is static ($size bytes)"

# 2. --check-config: valid, invalid with the line, the example (unconfigured)
"$SEL" --check-config "$CONF" 2>"$T/err" || problem "valid config refused: $(cat "$T/err")"
printf 'slot_a=/dev/vda2\nslot_b=/dev/vda3\nstate_device=/dev/vda1\ntimout=5\n' > "$T/bad.conf"
"$SEL" --check-config "$T/bad.conf" 2>"$T/err"
expect "exit status for an unknown key" $? 2
grep -q ':4:.*timout' "$T/err" || problem "no line number and key in: $(cat "$T/err")"
"$SEL" --check-config "$TOP/hook/dualboot.conf.example" 2>"$T/err"
expect "exit status for the all-comment example" $? 2
grep -q 'state_device= is not set' "$T/err" || problem "example: $(cat "$T/err")"
assert "--check-config accepts a valid file, names the line of an error"

# 3. kernel command line overrides, a bad one skipped
echo "quiet dualboot.default=B dualboot.timeout=7 dualboot.slot_a=bad" > "$T/cmdline2"
"$SEL" --print-config --config "$CONF" --cmdline "$T/cmdline2" > "$T/out" 2>"$T/err"
expect "default" "$(val "$T/out" DUALBOOT_DEFAULT)" B
expect "timeout" "$(val "$T/out" DUALBOOT_TIMEOUT)" 7
expect "slot_a kept" "$(val "$T/out" DUALBOOT_SLOT_A)" "$T/slot-A"
expect "default root" "$(val "$T/out" DUALBOOT_DEFAULT_ROOT)" "$T/slot-B"
grep -q 'slot_a' "$T/err" || problem "the bad override was not reported"
assert "--print-config applies dualboot.KEY= overrides and reports a bad one"

# 4. a trial decision on a file: B, decrement persisted, marker with boot_id
"$CTL" --state "$T/state" init --stable A >/dev/null &&
	"$CTL" --state "$T/state" mark-test --tries 2 >/dev/null || problem "dualbootctl setup failed"
cp "$T/state" "$T/state-copy"
"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/state" --marker "$T/run/booted" \
	> "$T/out" 2>"$T/err"
expect "exit status" $? 0
expect "slot" "$(val "$T/out" DUALBOOT_SLOT)" B
expect "role" "$(val "$T/out" DUALBOOT_ROLE)" test
expect "trial" "$(val "$T/out" DUALBOOT_TRIAL)" 1
expect "root" "$(val "$T/out" DUALBOOT_ROOT)" "$T/slot-B"
dump "$T/state"
expect "tries_left" "$(rv tries_left)" 1
expect "marker boot_id" "$(sed -n 's/^boot_id=//p' "$T/run/booted")" \
	"$(cat /proc/sys/kernel/random/boot_id)"
expect "marker slot" "$(sed -n 's/^slot=//p' "$T/run/booted")" B
assert "selector on a record file: trial boot of B, decrement persisted, marker written"

# 5. the same decision as `dualbootctl boot-select` (one implementation)
"$CTL" --config "$CONF" --state "$T/state-copy" --cmdline "$T/cmdline" \
	--marker "$T/run2/booted" boot-select > "$T/out2" 2>/dev/null
for k in DUALBOOT_SLOT DUALBOOT_ROLE DUALBOOT_ROOT; do
	a=$(sed -n "s/^$k='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$T/out")
	b=$(sed -n "s/^$k='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$T/out2")
	[ -n "$a" ] || problem "the selector printed no $k"
	expect "$k selector vs dualbootctl" "$a" "$b"
done
dump "$T/state"; cp "$T/dump.txt" "$T/dump1"
dump "$T/state-copy"
diff "$T/dump1" "$T/dump.txt" > "$T/diff" || problem "records differ: $(cat "$T/diff")"
assert "the selector and dualbootctl boot-select decide and write the same"

# 6. every failure ends in the default stable slot, exit 0
for case in missing corrupt dir refused; do
	rm -rf "$T/bad"
	case $case in
	missing) ;;
	corrupt) head -c 8192 /dev/urandom > "$T/bad" ;;
	dir) mkdir "$T/bad" ;;
	# the newest copy whole but with an unknown event code, the older one
	# arming a trial of B: not a trial, the default slot
	refused) "$DBTOOL" create "$T/bad" A && "$DBTOOL" mark-test "$T/bad" 2 &&
		"$DBTOOL" refuse "$T/bad" || problem "dbtool refuse failed" ;;
	esac
	"$SEL" --config "$CONF" --cmdline "$T/cmdline2" --state "$T/bad" > "$T/out" 2>"$T/err"
	expect "$case: exit status" $? 0
	expect "$case: slot (dualboot.default=B)" "$(val "$T/out" DUALBOOT_SLOT)" B
	expect "$case: role" "$(val "$T/out" DUALBOOT_ROLE)" stable
	[ -n "$(val "$T/out" DUALBOOT_STATE_ERROR)" ] || problem "$case: no state error reported"
	expect "$case: trial" "$(val "$T/out" DUALBOOT_TRIAL)" 0
done
"$SEL" --config "$T/nonexistent.conf" --cmdline "$T/cmdline" --no-state > "$T/out" 2>"$T/err"
expect "no config: exit status" $? 0
expect "no config: slot" "$(val "$T/out" DUALBOOT_SLOT)" A
assert "missing, corrupt or unusable record and missing config boot the default slot"

# 7. --peek does not write
cp "$T/state-copy" "$T/peek"
before=$(md5sum < "$T/peek")
"$SEL" --peek --config "$CONF" --cmdline "$T/cmdline" --state "$T/peek" > "$T/out"
expect "next" "$(val "$T/out" DUALBOOT_NEXT)" B
expect "record untouched" "$(md5sum < "$T/peek")" "$before"
assert "--peek names the slot the record would boot without writing"

# 8. firmware mode: --firmware-slot, the same decision and record as dualbootctl
# (the firmware booted the stable slot's UEFI entry during a trial of B)
"$CTL" --state "$T/fw" init --stable A --force >/dev/null &&
	"$CTL" --state "$T/fw" mark-test --tries 2 >/dev/null || problem "dualbootctl setup failed"
cp "$T/fw" "$T/fw-copy"
"$SEL" --peek --config "$CONF" --cmdline "$T/cmdline" --state "$T/fw" --firmware-slot A > "$T/out"
expect "peek with the firmware on A's entry" "$(val "$T/out" DUALBOOT_NEXT)" A
"$SEL" --peek --config "$CONF" --cmdline "$T/cmdline" --state "$T/fw" --firmware-slot B > "$T/out"
expect "peek with the firmware on B's entry" "$(val "$T/out" DUALBOOT_NEXT)" B
cmp -s "$T/fw" "$T/fw-copy" || problem "--peek wrote the record"
for round in 1 2; do
	"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/fw" --marker "$T/run/fw-booted" \
		--firmware-slot A > "$T/out" 2>"$T/err"
	expect "round $round: selector exit status" $? 0
	"$CTL" --config "$CONF" --state "$T/fw-copy" --cmdline "$T/cmdline" \
		--marker "$T/run2/fw-booted" boot-select --firmware-slot A > "$T/out2" 2>/dev/null
	expect "round $round: dualbootctl exit status" $? 0
	for k in DUALBOOT_SLOT DUALBOOT_ROLE DUALBOOT_TRIAL DUALBOOT_ROOT DUALBOOT_TRIAL_FAILED; do
		a=$(sed -n "s/^$k='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$T/out")
		b=$(sed -n "s/^$k='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$T/out2")
		expect "round $round: $k selector vs dualbootctl" "$a" "$b"
	done
	expect "round $round: slot" "$(val "$T/out" DUALBOOT_SLOT)" A
	expect "round $round: root" "$(val "$T/out" DUALBOOT_ROOT)" "$T/slot-A"
	expect "round $round: marker slot" "$(sed -n 's/^slot=//p' "$T/run/fw-booted")" A
	dump "$T/fw"; cp "$T/dump.txt" "$T/dump1"
	dump "$T/fw-copy"
	diff "$T/dump1" "$T/dump.txt" > "$T/diff" || problem "round $round: records differ: $(cat "$T/diff")"
	case $round in
	1)	expect "round 1: trial failed" "$(val "$T/out" DUALBOOT_TRIAL_FAILED)" 0
		expect "round 1: tries_left" "$(rv tries_left)" 1
		expect "round 1: still armed" "$(rv trial_armed)" 1
		grep -q 'boot slot A (stable) .*failed try of test slot B' "$T/err" ||
			problem "round 1: no log line for the failed try: $(cat "$T/err")" ;;
	2)	expect "round 2: trial failed" "$(val "$T/out" DUALBOOT_TRIAL_FAILED)" 1
		expect "round 2: armed" "$(rv trial_armed)" 0
		grep -q 'trial of slot B failed: tries exhausted (the firmware' "$T/err" ||
			problem "round 2: no log line for the failed trial: $(cat "$T/err")" ;;
	esac
done
assert "--firmware-slot A in a trial of B: failed try, then trial failed, stable A; same as dualbootctl boot-select"

# 9. --firmware-slot of the test slot, and a bad value (unknown at boot)
for fw in B bogus; do
	"$CTL" --state "$T/fw" mark-test --tries 2 >/dev/null || problem "mark-test failed"
	"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/fw" --marker "$T/run/fw-booted" \
		--firmware-slot "$fw" > "$T/out" 2>"$T/err"
	expect "$fw: exit status" $? 0
	expect "$fw: slot" "$(val "$T/out" DUALBOOT_SLOT)" B
	expect "$fw: trial" "$(val "$T/out" DUALBOOT_TRIAL)" 1
	dump "$T/fw"
	expect "$fw: tries_left" "$(rv tries_left)" 1
done
grep -q 'firmware-slot "bogus" is not A or B: ignored' "$T/err" || problem "bad value not reported: $(cat "$T/err")"
"$CTL" --state "$T/fw" --marker "$T/run2/fw-booted" boot-select --firmware-slot bogus >/dev/null 2>&1
expect "dualbootctl: a bad --firmware-slot is bad usage" $? 2
assert "--firmware-slot B: the trial goes on; a bad value counts as unknown in the selector"

# ---- the stable hint (docs/state-format.md section 15) ----
H=$T/hint; mkdir -p "$H"
hv() { "$DBTOOL" hint "$1" 2>/dev/null | sed -n "s/^$2=//p"; }

# 10. dualbootctl keeps the hint beside the record: init, promote, hint-sync (promote with --discard-stable-writes: no PostgreSQL here, no provenance)
"$CTL" --config "$CONF" --state "$H/state" init --stable A >/dev/null 2>"$T/err" ||
	problem "init: $(cat "$T/err")"
expect "hint after init" "$(hv "$H/state.hint" stable)" A
"$CTL" --config "$CONF" --state "$H/state" mark-test --tries 2 >/dev/null
"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$H/state" --marker "$H/booted" \
	> "$T/out" 2>"$T/err"
expect "trial boot" "$(val "$T/out" DUALBOOT_SLOT)" B
expect "fallback of a boot the record decided" "$(val "$T/out" DUALBOOT_FALLBACK)" none
cp "$H/state.hint" "$H/hint-before-promote"
"$CTL" --config "$CONF" --state "$H/state" --marker "$H/booted" confirm >/dev/null 2>"$T/err" &&
	"$CTL" --config "$CONF" --state "$H/state" --marker "$H/booted" promote --discard-stable-writes >/dev/null 2>"$T/err" ||
	problem "confirm/promote: $(cat "$T/err")"
dump "$H/state"
expect "record stable after promote" "$(rv stable)" B
expect "hint right after dualbootctl promote" "$(hv "$H/state.hint" stable)" B
expect "hint seq" "$(hv "$H/state.hint" seq)" "$(rv seq)"
# a promotion the hint has not seen (as from SQL): status says so, hint-sync
# brings it in step
cp "$H/hint-before-promote" "$H/state.hint"
"$CTL" --config "$CONF" --state "$H/state" status > "$T/out" 2>&1
grep -q "^stable hint: .*names A, not the stable slot: run dualbootctl hint-sync" "$T/out" ||
	problem "status with a stale hint: $(cat "$T/out")"
"$CTL" --config "$CONF" --state "$H/state" hint-sync > "$T/out" 2>&1
expect "hint-sync exit status" $? 0
grep -q "set to slot B" "$T/out" || problem "hint-sync: $(cat "$T/out")"
expect "hint after hint-sync" "$(hv "$H/state.hint" stable)" B
"$CTL" --config "$CONF" --state "$H/state" hint-sync > "$T/out" 2>&1
grep -q "in step" "$T/out" || problem "second hint-sync: $(cat "$T/out")"
"$CTL" --config "$CONF" --state "$H/state" status > "$T/out" 2>&1
grep -q "^stable hint: .*state.hint names B (in step)" "$T/out" || problem "status: $(cat "$T/out")"
cp "$H/state" "$H/state-good"
assert "dualbootctl init and promote write the stable hint; status shows a stale one, hint-sync repairs it"

# 11. the selector: every way of not using the record boots B from the hint
for way in corrupt newer refused missing hint-only; do
	cp "$H/state-good" "$H/state"
	sp=$H/state opt=""
	case $way in
	corrupt) printf 'garbage!' | dd of="$H/state" bs=1 seek=100 conv=notrunc status=none
		printf 'garbage!' | dd of="$H/state" bs=1 seek=4196 conv=notrunc status=none ;;
	newer) "$DBTOOL" future "$H/state" ;;
	refused) "$DBTOOL" refuse "$H/state" ;;
	missing) sp=$H/no-such-state opt="--hint $H/state.hint" ;;
	hint-only) opt=--hint-only ;;
	esac
	before=$(md5sum < "$H/state")
	"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$sp" $opt --marker "$H/m-$way" \
		> "$T/out" 2>"$T/err"
	expect "$way: exit status" $? 0
	expect "$way: slot" "$(val "$T/out" DUALBOOT_SLOT)" B
	expect "$way: role" "$(val "$T/out" DUALBOOT_ROLE)" stable
	expect "$way: fallback" "$(val "$T/out" DUALBOOT_FALLBACK)" hint
	expect "$way: marker fallback" "$(sed -n 's/^fallback=//p' "$H/m-$way")" hint
	expect "$way: record untouched" "$(md5sum < "$H/state")" "$before"
	grep -q "from the stable hint" "$T/err" || problem "$way: no log line: $(cat "$T/err")"
done
# the hint lost too: default=A, loudly
cp "$H/state-good" "$H/state"; "$DBTOOL" future "$H/state"
head -c 1024 /dev/zero > "$H/state.hint"
"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$H/state" --marker "$H/m-lost" \
	> "$T/out" 2>"$T/err"
expect "hint lost: slot" "$(val "$T/out" DUALBOOT_SLOT)" A
expect "hint lost: fallback" "$(val "$T/out" DUALBOOT_FALLBACK)" default
expect "hint lost: marker" "$(sed -n 's/^fallback=//p' "$H/m-lost")" default
grep -q "STABLE SLOT UNKNOWN" "$T/err" || problem "hint lost: $(cat "$T/err")"
# hint-sync never writes from an unreadable record
cp "$H/state.hint" "$H/hint-zero"
"$CTL" --config "$CONF" --state "$H/state" hint-sync > "$T/out" 2>&1
expect "hint-sync on a newer record: exit status" $? 2
cmp -s "$H/state.hint" "$H/hint-zero" || problem "hint-sync wrote a hint from an unreadable record"
assert "the selector boots B from the hint for a corrupt, newer, refused, missing or unread record; default=A when the hint is lost"

# 12. config: stable_hint keys checked at image build time, printed for the boot script
printf 'state_device=PARTLABEL=s\nstate_file=/st\nslot_a=/dev/vda2\nslot_b=/dev/vda3\nstable_hint_file=/h\n' \
	> "$H/c1"
"$SEL" --check-config "$H/c1" 2>"$T/err"
expect "stable_hint_file without stable_hint: exit" $? 2
grep -q 'stable_hint_file= needs stable_hint=' "$T/err" || problem "c1: $(cat "$T/err")"
printf 'state_device=PARTLABEL=s\nstate_file=/st\nslot_a=/dev/vda2\nslot_b=/dev/vda3\nstable_hint=PARTLABEL=s\nstable_hint_file=/st\n' \
	> "$H/c2"
"$SEL" --check-config "$H/c2" 2>"$T/err"
expect "stable hint = the record: exit" $? 2
grep -q 'names the record itself' "$T/err" || problem "c2: $(cat "$T/err")"
printf 'state_device=PARTLABEL=s\nstate_file=/st\nslot_a=/dev/vda2\nslot_b=/dev/vda3\nstable_hint=PARTLABEL=esp\nstable_hint_file=/dualboot/stable\n' \
	> "$H/c3"
"$SEL" --check-config "$H/c3" 2>"$T/err" || problem "a valid stable_hint refused: $(cat "$T/err")"
"$SEL" --print-config --config "$H/c3" --cmdline "$T/cmdline" > "$T/out"
expect "DUALBOOT_STABLE_HINT" "$(val "$T/out" DUALBOOT_STABLE_HINT)" PARTLABEL=esp
expect "DUALBOOT_STABLE_HINT_FILE" "$(val "$T/out" DUALBOOT_STABLE_HINT_FILE)" /dualboot/stable
assert "--check-config refuses a stable_hint_file without stable_hint and a hint on the record itself"

# 13. dualboot-boot with a selector that crashes (SIGSEGV): the hint alone,
# then default= written by the script itself
FAKE=$H/lib; mkdir -p "$FAKE"
cat > "$H/boot.conf" <<EOF
state_device=$H/state
slot_a=$T/slot-A
slot_b=$T/slot-B
default=A
timeout=1
EOF
for mode in record all; do
	ok='*" --hint-only "*'
	[ "$mode" = all ] && ok='*" --never "*'
	cat > "$FAKE/dualboot-select" <<EOF
#!/bin/sh
case " \$* " in
$ok) ;;
*" --peek "*|*" --marker "*) kill -SEGV \$\$ ;;
esac
exec "$SEL" --config "$H/boot.conf" --cmdline "$T/cmdline" "\$@"
EOF
	chmod 0755 "$FAKE/dualboot-select"
	cp "$H/state-good" "$H/state"
	"$CTL" --config "$CONF" --state "$H/state" hint-sync >/dev/null 2>&1
	rm -rf "$H/run"; : > "$H/kmsg"
	DUALBOOT_LIBDIR=$FAKE DUALBOOT_MARKER=$H/run/booted DUALBOOT_KMSG=$H/kmsg \
		sh "$STAGE/usr/lib/dualboot/dualboot-boot" > "$T/out" 2>"$T/err"
	expect "$mode: exit status" $? 0
	grep -q 'the selector failed (exit 139) and gave no root' "$H/kmsg" ||
		problem "$mode: no log of the crash: $(cat "$H/kmsg")"
	case $mode in
	record)
		expect "$mode: slot" "$(val "$T/out" DUALBOOT_SLOT)" B
		expect "$mode: fallback" "$(val "$T/out" DUALBOOT_FALLBACK)" hint
		expect "$mode: marker" "$(sed -n 's/^fallback=//p' "$H/run/booted")" hint ;;
	all)
		expect "$mode: slot" "$(val "$T/out" DUALBOOT_SLOT)" A
		expect "$mode: root" "$(val "$T/out" DUALBOOT_ROOT)" "$T/slot-A"
		expect "$mode: fallback" "$(val "$T/out" DUALBOOT_FALLBACK)" default
		expect "$mode: marker fallback" "$(sed -n 's/^fallback=//p' "$H/run/booted")" default
		expect "$mode: marker boot_id" "$(sed -n 's/^boot_id=//p' "$H/run/booted")" \
			"$(cat /proc/sys/kernel/random/boot_id)"
		grep -q 'STABLE SLOT UNKNOWN: the selector failed twice' "$H/kmsg" ||
			problem "$mode: not loud: $(cat "$H/kmsg")" ;;
	esac
	cmp -s "$H/state" "$H/state-good" || problem "$mode: the record changed"
done
assert "dualboot-boot: a crashing selector boots B from the hint; crashing twice, default=A with fallback=default"

# ---- systemd units' scripts ----
CONFIRM=$STAGE/usr/lib/dualboot/dualboot-confirm
EVIDENCE=$STAGE/usr/lib/dualboot/dualboot-trial-evidence
export DUALBOOT_CONF="$CONF" DUALBOOT_LIBDIR="$STAGE/usr/lib/dualboot" DUALBOOTCTL="$CTL"

# 14. a stable boot: nothing to confirm
"$CTL" --state "$T/state" init --stable A --force >/dev/null
"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/state" --marker "$T/m1" >/dev/null 2>&1
dump "$T/state"; seq0=$(rv seq)
DUALBOOT_MARKER=$T/m1 "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 0
grep -q 'nothing to confirm' "$T/out" || problem "output: $(cat "$T/out")"
dump "$T/state"
expect "record untouched" "$(rv seq)" "$seq0"
assert "dualboot-confirm does nothing on a stable boot"

# a trial boot of B for the next checks
"$CTL" --state "$T/state" mark-test --tries 3 >/dev/null
"$SEL" --config "$CONF" --cmdline "$T/cmdline" --state "$T/state" --marker "$T/m2" >/dev/null 2>&1
cp "$T/state" "$T/state-trial"

# 15. the server does not answer: not confirmed
mkdir -p "$T/nosock"; chmod 0777 "$T/nosock"
PGHOST=$T/nosock DUALBOOT_CONFIRM_TIMEOUT=2 DUALBOOT_MARKER=$T/m2 "$CONFIRM" > "$T/out" 2>&1
expect "exit status" $? 1
grep -q 'NOT confirmed' "$T/out" || problem "output: $(cat "$T/out")"
dump "$T/state"
expect "confirmed" "$(rv confirmed)" 0
assert "dualboot-confirm does not confirm while PostgreSQL does not answer"

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

# 16. the server answers: confirmed through dualbootctl
if [ -n "$pg_up" ]; then
	PGHOST=$PG DUALBOOT_CONFIRM_TIMEOUT=20 DUALBOOT_MARKER=$T/m2 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 0
	dump "$T/state"
	expect "confirmed" "$(rv confirmed)" 1
	expect "tries_left refilled" "$(rv tries_left)" 3
	rv history | grep -q '^confirm:B' || problem "history: $(rv history)"
	assert "dualboot-confirm confirms the trial once PostgreSQL answers"
else
	skip "no PostgreSQL cluster could be started (see $T/initdb.log)"
fi

# 17. a fingerprint recorded for this slot that the schema does not match
if [ -n "$pg_up" ]; then
	cp "$T/state-trial" "$T/state"
	"$DBTOOL" record-fprint "$T/state" postgres "v1:15:0000000000000000" ||
		problem "cannot record a fingerprint"
	PGHOST=$PG DUALBOOT_CONFIRM_TIMEOUT=20 DUALBOOT_MARKER=$T/m2 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 1
	grep -q 'database postgres: schema fingerprint' "$T/out" || problem "output: $(cat "$T/out")"
	dump "$T/state"
	expect "confirmed" "$(rv confirmed)" 0
	assert "dualboot-confirm refuses when the schema does not match the recorded fingerprint"
else
	skip "no PostgreSQL cluster"
fi

# 18. ... and confirms when it does (needs the dualboot extension installed)
if [ -n "$pg_up" ] && runuser -u postgres -- psql -h "$PG" -XAtq -d postgres \
	-c 'CREATE EXTENSION dualboot' >"$T/ext.log" 2>&1; then
	fp=$(runuser -u postgres -- psql -h "$PG" -XAtq -d postgres \
		-c 'SELECT pg_catalog.dualboot_schema_fingerprint()')
	cp "$T/state-trial" "$T/state"
	"$DBTOOL" record-fprint "$T/state" postgres "$fp" || problem "cannot record a fingerprint"
	PGHOST=$PG DUALBOOT_CONFIRM_TIMEOUT=20 DUALBOOT_MARKER=$T/m2 "$CONFIRM" > "$T/out" 2>&1
	expect "exit status" $? 0
	grep -q 'schema fingerprint matches' "$T/out" || problem "output: $(cat "$T/out")"
	dump "$T/state"
	expect "confirmed" "$(rv confirmed)" 1
	assert "dualboot-confirm confirms when the recorded fingerprint matches"
else
	skip "the dualboot extension is not installed into PostgreSQL (make install)"
fi

# 19. trial evidence: written after a failed trial
mkdir -p "$T/run3"
cat > "$T/run3/decision" <<'EOF'
DUALBOOT_SLOT='A'
DUALBOOT_TRIAL_FAILED='1'
DUALBOOT_WHY='trial of slot B failed: tries exhausted (the firmware booted the stable slot'\''s entry); booting stable slot A'
EOF
DUALBOOT_DECISION=$T/run3/decision DUALBOOT_MARKER=$T/m1 DUALBOOT_EVIDENCE_DIR=$T/evidence \
	"$EVIDENCE" > "$T/out" 2>&1
expect "exit status" $? 0
f=$(ls "$T"/evidence/trial-failed-*.txt 2>/dev/null | head -1)
if [ -z "$f" ]; then
	problem "no evidence file; output: $(cat "$T/out")"
else
	grep -q 'tries exhausted' "$f" || problem "the decision is not in $f"
	grep -q 'dualbootctl status' "$f" || problem "no status in $f"
fi
grep -q 'evidence in' "$T/out" || problem "no journal line: $(cat "$T/out")"
grep -qF "the stable slot's entry); booting stable slot A; evidence in" "$T/out" ||
	problem "the journal line does not unquote the reason: $(cat "$T/out")"
assert "dualboot-trial-evidence keeps the evidence of a failed trial"

# 20. ... and nothing on an ordinary boot
sed -i "s/TRIAL_FAILED='1'/TRIAL_FAILED='0'/" "$T/run3/decision"
rm -rf "$T/evidence"
DUALBOOT_DECISION=$T/run3/decision DUALBOOT_MARKER=$T/m1 DUALBOOT_EVIDENCE_DIR=$T/evidence \
	"$EVIDENCE" > "$T/out" 2>&1
expect "exit status" $? 0
[ -e "$T/evidence" ] && problem "evidence written for an ordinary boot"
assert "dualboot-trial-evidence does nothing on an ordinary boot"

[ "$failed" -eq 0 ]
