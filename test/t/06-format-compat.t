#!/bin/bash
# test/t/06-format-compat.t - record format 2 against real format 1 binaries
# (docs/state-format.md section 12): the selector and dualbootctl of the last
# format 1 release of this repository (commit c0517d0, built from git into a
# temporary folder) on records the current build writes, and the current
# build on records the format 1 build wrote.
#
#   * format 1 record -> the current selector boots by it and upgrades it in
#     place (one copy per write);
#   * a record with a format 2 copy newest -> the format 1 selector boots the
#     stable hint's slot (not default=) and writes nothing; the format 1
#     dualbootctl refuses to change it (exit 2);
#   * the current selector fits in 64 KiB.
#
# Skips (does not fail) only when the source is not a git checkout holding
# that commit (a release tarball).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLD_COMMIT=${FORMAT1_COMMIT:-c0517d0}
T=$(mktemp -d "${TMPDIR:-/tmp}/format-compat.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$ROOT/test/tap.sh"	# n, failed, ok, nok, check, is, has, finish

if ! git -C "$ROOT" cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null; then
	echo "1..0 # SKIP not a git checkout with commit $OLD_COMMIT (the format 1 build)"
	exit 0
fi
mkdir -p "$T/old"
git -C "$ROOT" archive "$OLD_COMMIT" | tar -x -C "$T/old"
if ! make -s -C "$T/old" build/dualbootctl build/musl/dualboot-select >"$T/old.log" 2>&1 ||
	! make -s -C "$ROOT" build/dualbootctl build/musl/dualboot-select >"$T/new.log" 2>&1; then
	sed 's/^/# /' "$T/old.log" "$T/new.log"
	echo "1..1"
	echo "not ok 1 - build the format 1 and the current tools"
	exit 1
fi
OLDCTL=$T/old/build/dualbootctl
OLDSEL=$T/old/build/musl/dualboot-select
NEWCTL=$ROOT/build/dualbootctl
NEWSEL=$ROOT/build/musl/dualboot-select

size=$(stat -c %s "$NEWSEL")
check "the current selector is $size bytes (at most 65536)" test "$size" -le 65536

version() { python3 -c 'import struct,sys; r=open(sys.argv[1],"rb").read(); print(struct.unpack_from("<H",r,8)[0], struct.unpack_from("<H",r,4096+8)[0])' "$1"; }

# slot devices: two files standing in for root devices
: >"$T/rootA"
: >"$T/rootB"
cat >"$T/conf" <<CONF
slot_a=$T/rootA
slot_b=$T/rootB
default=A
CONF
S=$T/state
M=$T/booted

# 1. format 1 record (old init, stable B), read and upgraded by the current build
"$OLDCTL" --config "$T/conf" --state "$S" init --stable B --reason "format 1" >/dev/null 2>&1
check "the format 1 build writes format 1 copies" test "$(version "$S")" = "1 1"
out=$("$NEWCTL" --config "$T/conf" --state "$S" status --json 2>&1)
check "the current dualbootctl reads a format 1 record" \
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["stable_slot"]=="B" and j["last_reason"]=="format 1"' "$out"
"$NEWSEL" --config "$T/conf" --state "$S" --marker "$M" >"$T/sel.out" 2>"$T/sel.err"
check "the current selector boots stable B by the format 1 record" grep -qx "DUALBOOT_SLOT='\?B'\?" "$T/sel.out"
check "its boot wrote one format 2 copy; the format 1 copy is still there" \
	bash -c '[ "$(python3 -c "import struct,sys; r=open(sys.argv[1],\"rb\").read(); print(sorted([struct.unpack_from(\"<H\",r,8)[0], struct.unpack_from(\"<H\",r,4096+8)[0]]))" "$1")" = "[1, 2]" ]' _ "$S"

# 2. the format 1 selector meets the newest copy in format 2: stable hint
"$NEWCTL" --config "$T/conf" --state "$S" hint-sync >/dev/null 2>&1
check "the stable hint names B" test -s "$S.hint"
cp "$S" "$T/before"
"$OLDSEL" --config "$T/conf" --state "$S" --marker "$M" >"$T/old.out" 2>"$T/old.err"
check "the format 1 selector boots the hint's stable slot B (default= is A)" \
	grep -qx "DUALBOOT_SLOT='\?B'\?" "$T/old.out"
check "... as a fallback from the stable hint" grep -q "DUALBOOT_FALLBACK=.*hint" "$T/old.out"
check "... because the record is of a newer format" grep -qi "newer" "$T/old.out" "$T/old.err"
check "... and writes nothing" cmp -s "$S" "$T/before"
"$OLDCTL" --config "$T/conf" --state "$S" failback >/dev/null 2>"$T/oldctl.err"
rc=$?
check "the format 1 dualbootctl refuses to change it (exit 2, got $rc)" test $rc = 2
check "... and writes nothing" cmp -s "$S" "$T/before"
# without a hint: default=
rm -f "$S.hint"
"$OLDSEL" --config "$T/conf" --state "$S" --marker "$M" >"$T/old.out" 2>"$T/old.err"
check "without a hint the format 1 selector boots default= A" grep -qx "DUALBOOT_SLOT='\?A'\?" "$T/old.out"

# 3. the second write of the current build replaces the last format 1 copy
"$NEWCTL" --config "$T/conf" --state "$S" failback >/dev/null 2>&1
check "after the second write both copies are format 2" test "$(version "$S")" = "2 2"
"$OLDSEL" --config "$T/conf" --state "$S" --marker "$M" >"$T/old.out" 2>"$T/old.err"
check "the format 1 selector on an all format 2 record: the hint (rewritten by dualbootctl) boots B" \
	grep -qx "DUALBOOT_SLOT='\?B'\?" "$T/old.out"

echo "1..$n"
[ "$failed" = 0 ]
