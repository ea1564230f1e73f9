# test/tap.sh - TAP helpers for the bash suites under test/t/ (sourced):
#   ok/nok DESCRIPTION, check DESCRIPTION COMMAND..., is GOT WANT DESCRIPTION,
#   has TEXT PART, finish (prints the plan; exit 1 when a test failed).
# Sourced by 06-format-compat.t, 20-dualbootctl.t, 22-safe-promotion.t and
# 75-fleet.t; the other suites still define their own.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else nok "$3"; echo "#   got:  $1" >&2; echo "#   want: $2" >&2; fi
}
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}
