#!/bin/sh
# Print the paths of this machine's apt source files (sources.list and the
# *.list / *.sources files of sources.list.d), one per line, as apt itself
# finds them (apt-config). Chroots and guest roots made with mmdebstrap are
# given these files as their mirrors, so they fetch from wherever this
# machine does, and no host name is written into the project.
set -eu
eval "$(apt-config shell LIST Dir::Etc::sourcelist/f PARTS Dir::Etc::sourceparts/d)"
PARTS=${PARTS%/}
found=""
if [ -s "$LIST" ] && grep -q '^[[:space:]]*deb' "$LIST"; then
	echo "$LIST"; found=1
fi
for f in "$PARTS"/*.list "$PARTS"/*.sources; do
	[ -s "$f" ] || continue
	grep -q '^[[:space:]]*\(deb\|Types:\)' "$f" || continue
	echo "$f"; found=1
done
[ -n "$found" ] || { echo "host-apt-sources: apt has no source configured" >&2; exit 1; }
