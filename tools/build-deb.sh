#!/bin/sh
# Build the Debian packages from the current tree into OUTDIR (default
# build/deb): copy the tracked files (with their local changes) to
# OUTDIR/src/dualboot-VERSION, run dpkg-buildpackage there, keep the .deb
# files and .changes in OUTDIR and lintian's report in OUTDIR/lintian.txt.
# Exit 1 when the build fails or lintian reports an error.
#
# DEB_VERSION=X builds the same tree as version X (the newest changelog
# entry renamed): the package test builds VERSION~prev to test upgrades.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$top"
version=${DEB_VERSION:-$(dpkg-parsechangelog -S Version)}
src=$out/src/dualboot-$version
rm -rf "$src"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp -a --parents -t "$src" 2>/dev/null || true
# files deleted locally but still tracked are skipped by cp: rebuild the
# list from what exists
( cd "$src" && [ -f Makefile ] && [ -f debian/rules ] ) || { echo "build-deb: copying the tree failed" >&2; exit 1; }
if [ -n "${DEB_VERSION:-}" ]; then
	# the same changelog with another version on its newest entry
	sed -i "1s/^dualboot ([^)]*)/dualboot ($version)/" "$src/debian/changelog"
fi
cd "$src"
dpkg-buildpackage -us -uc -b > "$out/build-$version.log" 2>&1 || {
	tail -40 "$out/build-$version.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build-$version.log" >&2
	exit 1
}
cd "$out/src"
arch=$(dpkg --print-architecture)
changes=dualboot_${version}_${arch}.changes
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]* [0-9]* [^ ]* [^ ]* //p' "$changes") "$changes"; do
	mv -f "$f" "$out/"
done
rm -f dualboot_"$version"_"$arch".buildinfo
cd "$out"
# lintian: errors fail the build; warnings are either fixed or overridden
# with the reason in debian/*.lintian-overrides.
lintian --fail-on error --display-info "$changes" > lintian-$version.txt 2>&1 && lrc=0 || lrc=$?
cp lintian-$version.txt lintian.txt
cat lintian.txt
[ "$lrc" = 0 ] || { echo "build-deb: lintian reports errors (build/deb/lintian.txt)" >&2; exit 1; }
ls -1 "$out"/*_"$version"_*.deb
