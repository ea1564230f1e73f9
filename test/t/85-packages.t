#!/bin/bash
# 85-packages.t - the Debian packages (make deb) in a fresh Debian 12 chroot:
# lintian clean, install, the extension working from the packages alone (a
# real server in the chroot: CREATE EXTENSION, fingerprint, status over a
# record made by the packaged dualbootctl), the initramfs trigger, the unit
# policy, an upgrade from the previous build that keeps the administrator's
# configuration, remove and purge (which never touch the record).
#
# Two builds of the current tree are made, VERSION~prev and VERSION, so the
# upgrade path is the real dpkg one. The chroot is made with mmdebstrap from
# this machine's apt sources and cached as build/deb/chroot-base.tar.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
D=$TOP/build/deb
R=$D/chroot
BASE=$D/chroot-base.tar

n=0 failed=0 fail=""
problem() { fail="$fail
#   $*"; }
assert() {
	n=$((n + 1))
	if [ -z "$fail" ]; then echo "ok $n - $1"; else echo "not ok $n - $1$fail"; failed=$((failed + 1)); fi
	fail=""
}

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (dpkg-buildpackage, chroot)"; exit 0; }
mkdir -p "$D"
for t in dpkg-buildpackage lintian mmdebstrap pg_buildext unshare; do
	command -v "$t" >/dev/null || { echo "Bail out! $t missing (tools/deps.sh installs it)"; exit 1; }
done
echo "1..9"

version=$(cd "$TOP" && dpkg-parsechangelog -S Version)
prev=$version~prev
arch=$(dpkg --print-architecture)

# 1. both builds, lintian without errors (tools/build-deb.sh fails on one)
rm -f "$D"/*.deb "$D"/*.changes
DEB_VERSION=$prev "$TOP/tools/build-deb.sh" "$D" > "$D/build-prev.out" 2>&1 || problem "build of $prev failed: $(tail -5 "$D/build-prev.out")"
"$TOP/tools/build-deb.sh" "$D" > "$D/build.out" 2>&1 || problem "build of $version failed: $(tail -5 "$D/build.out")"
for v in "$prev" "$version"; do
	for p in dualboot postgresql-15-dualboot; do
		[ -f "$D/${p}_${v}_$arch.deb" ] || problem "${p}_${v}_$arch.deb missing"
	done
	grep -q '^E:' "$D/lintian-$v.txt" 2>/dev/null && problem "lintian errors for $v: $(grep '^E:' "$D/lintian-$v.txt")"
	grep -q '^W:' "$D/lintian-$v.txt" 2>/dev/null && problem "lintian warnings for $v (fix or override with a reason): $(grep '^W:' "$D/lintian-$v.txt")"
done
assert "make deb builds dualboot and postgresql-15-dualboot ($prev and $version); lintian: no errors, no warnings"
[ "$failed" = 0 ] || { echo "Bail out! no packages to test"; exit 1; }

# the chroot: Debian 12 with PostgreSQL 15 (its postinst makes 15/main)
if [ ! -s "$BASE" ]; then
	# shellcheck disable=SC2046
	mmdebstrap --variant=apt --format=tar --include=postgresql-15,initramfs-tools,ca-certificates \
		bookworm "$BASE.tmp" $("$TOP/tools/host-apt-sources.sh") > "$D/mmdebstrap.log" 2>&1 &&
		mv "$BASE.tmp" "$BASE" || { echo "Bail out! mmdebstrap failed: $(tail -3 "$D/mmdebstrap.log")"; exit 1; }
fi
rm -rf "$R"; mkdir -p "$R"
tar -C "$R" --numeric-owner -xpf "$BASE" || { echo "Bail out! unpacking the chroot failed"; exit 1; }
mkdir -p "$R/tmp/debs"; cp "$D"/*.deb "$R/tmp/debs/"
# the chroot's server must not listen on this machine's network
echo "listen_addresses = ''" > "$R/etc/postgresql/15/main/conf.d/no-tcp.conf"

# in_chroot CMD...: run in the chroot, in a private mount namespace (the
# mounts vanish with it), with a policy-rc.d so no service is started by
# maintainer scripts
cat > "$R/usr/sbin/policy-rc.d" <<'P'
#!/bin/sh
exit 101
P
chmod 755 "$R/usr/sbin/policy-rc.d"
in_chroot() {
	unshare --mount --propagation private -- sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount -t sysfs sys "$r/sys" &&
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
			DEBIAN_FRONTEND=noninteractive "$@"' sh "$R" "$@"
}
psql_c() { in_chroot runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d "${DB:-postgres}" -c "$1"; }
pg_start() { in_chroot pg_ctlcluster 15 main start; }
pg_stop() { in_chroot pg_ctlcluster 15 main stop -m fast; }
deb() { echo "/tmp/debs/${1}_${2}_$arch.deb"; }

# 2. install the previous build with apt (dependencies from the archive);
# the initramfs trigger runs, the confirm and evidence units are enabled,
# firmware mode's are not
# mmdebstrap leaves no package lists behind
in_chroot apt-get update > "$D/update.log" 2>&1 || problem "apt-get update in the chroot failed: $(tail -3 "$D/update.log")"
in_chroot apt-get install -y --no-install-recommends "$(deb dualboot "$prev")" \
	"$(deb postgresql-15-dualboot "$prev")" > "$D/install.log" 2>&1 || problem "apt-get install failed: $(tail -5 "$D/install.log")"
for p in dualboot postgresql-15-dualboot; do
	s=$(in_chroot dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1)
	[ "$s" = "install ok installed $prev" ] || problem "$p: $s"
done
grep -q 'Processing triggers for initramfs-tools' "$D/install.log" || problem "installing dualboot did not trigger update-initramfs"
for u in dualboot-confirm.service dualboot-trial-evidence.service; do
	[ -L "$R/etc/systemd/system/multi-user.target.wants/$u" ] || problem "$u not enabled"
done
[ -L "$R/etc/systemd/system/boot-complete.target.requires/dualboot-confirm.service" ] ||
	problem "dualboot-confirm.service is not required by boot-complete.target"
ls "$R"/etc/systemd/system/*/dualboot-efi-sync* > /dev/null 2>&1 && problem "firmware-mode units enabled without efi_a=/efi_b="
ls "$R"/etc/systemd/system/*/dualboot-hint-sync* > /dev/null 2>&1 && problem "the hint's path unit enabled before a record exists"
for f in usr/sbin/dualbootctl usr/lib/dualboot/dualboot-select usr/share/man/man8/dualbootctl.8.gz \
	usr/share/initramfs-tools/hooks/dualboot usr/lib/dracut/modules.d/90dualboot/module-setup.sh \
	etc/dualboot/dualboot.conf usr/lib/postgresql/15/lib/dualboot.so \
	usr/share/postgresql/15/extension/dualboot.control; do
	[ -e "$R/$f" ] || problem "/$f not installed"
done
grep -qx /etc/dualboot/dualboot.conf "$R/var/lib/dpkg/info/dualboot.conffiles" 2>/dev/null ||
	problem "/etc/dualboot/dualboot.conf is not a conffile"
assert "install $prev: both packages installed, initramfs trigger, units enabled by policy, conffile"

# 3. the extension from the packages alone: a record made by the packaged
# dualbootctl, the server pointed at it, CREATE EXTENSION, status, fingerprint
STATE=/var/lib/dualboot/dualboot/state
in_chroot sh -c "mkdir -p ${STATE%/*} && dualbootctl --config /dev/null --state $STATE init --stable A >/dev/null &&
	chown -R postgres:postgres /var/lib/dualboot && chmod 0600 $STATE" || problem "dualbootctl init failed"
echo "dualboot.state_path = '$STATE'" > "$R/etc/postgresql/15/main/conf.d/dualboot.conf"
pg_start || problem "the chroot's PostgreSQL did not start"
psql_c "CREATE EXTENSION dualboot" || problem "CREATE EXTENSION failed"
st=$(psql_c "SELECT stable_slot || ' ' || trial_armed || ' ' || seq FROM dualboot_status()")
[ "$st" = "A false 1" ] || problem "dualboot_status(): '$st'"
fp=$(psql_c "SELECT dualboot_schema_fingerprint()")
[[ "$fp" =~ ^dbfp[0-9]+:pg15:[0-9a-f]{64}$ ]] || problem "fingerprint: '$fp'"
psql_c "SELECT dualboot_mark_test(2, 'package test')" > /dev/null || problem "dualboot_mark_test failed"
js=$(in_chroot dualbootctl --config /dev/null --state $STATE status --json)
echo "$js" | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["trial_armed"] and j["tries_left"]==2 else 1)' ||
	problem "dualbootctl status does not show the trial armed from SQL: $js"
pg_stop
assert "the packaged extension and dualbootctl work on a real server in the chroot"

# 4. upgrade to the current build: the administrator's edit of the conffile
# stays, the record is untouched, the extension still works
echo "# edited by the administrator" >> "$R/etc/dualboot/dualboot.conf"
sum_before=$(md5sum < "$R$STATE")
in_chroot apt-get install -y --no-install-recommends "$(deb dualboot "$version")" \
	"$(deb postgresql-15-dualboot "$version")" > "$D/upgrade.log" 2>&1 || problem "upgrade failed: $(tail -5 "$D/upgrade.log")"
for p in dualboot postgresql-15-dualboot; do
	s=$(in_chroot dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1)
	[ "$s" = "install ok installed $version" ] || problem "$p after upgrade: $s"
done
grep -q '^# edited by the administrator$' "$R/etc/dualboot/dualboot.conf" || problem "the upgrade lost the edit of dualboot.conf"
grep -q 'Processing triggers for initramfs-tools' "$D/upgrade.log" || problem "upgrading dualboot did not trigger update-initramfs"
[ "$(md5sum < "$R$STATE")" = "$sum_before" ] || problem "the upgrade changed the record"
pg_start
st=$(psql_c "SELECT trial_armed || ' ' || tries_left FROM dualboot_status()")
[ "$st" = "true 2" ] || problem "status after the upgrade: '$st'"
pg_stop
assert "upgrade $prev -> $version keeps the configuration and the record; the extension still works"

# 5. remove: programs gone, configuration kept (dpkg's rc state)
in_chroot apt-get remove -y dualboot postgresql-15-dualboot > "$D/remove.log" 2>&1 || problem "remove failed: $(tail -5 "$D/remove.log")"
for f in usr/sbin/dualbootctl usr/lib/dualboot/dualboot-select usr/lib/postgresql/15/lib/dualboot.so \
	usr/share/initramfs-tools/hooks/dualboot; do
	[ -e "$R/$f" ] && problem "/$f still there after remove"
done
[ -f "$R/etc/dualboot/dualboot.conf" ] || problem "remove deleted the configuration"
s=$(in_chroot dpkg-query -W -f='${Status}' dualboot 2>&1)
[ "$s" = "deinstall ok config-files" ] || problem "dualboot after remove: $s"
assert "remove: files gone, configuration kept"

# 6. purge (dpkg: the extension package has no configuration left to purge,
# so apt would not find it): configuration and unit symlinks gone
in_chroot dpkg --purge dualboot postgresql-15-dualboot > "$D/purge.log" 2>&1 || problem "purge failed: $(tail -5 "$D/purge.log")"
[ -e "$R/etc/dualboot/dualboot.conf" ] && problem "purge left /etc/dualboot/dualboot.conf"
ls "$R"/etc/systemd/system/*/dualboot-* > /dev/null 2>&1 && problem "purge left unit symlinks: $(ls "$R"/etc/systemd/system/*/dualboot-*)"
s=$(in_chroot dpkg-query -W -f='${Status}' dualboot 2>/dev/null)
[ -z "$s" ] || [ "$s" = "unknown ok not-installed" ] || problem "dualboot after purge: $s"
assert "purge: configuration and unit links gone"

# 7. the record (the shared partition's data) survives purge byte for byte
[ "$(md5sum < "$R$STATE" 2>/dev/null)" = "$sum_before" ] || problem "purge changed or removed the record"
assert "purge never touches the boot state record"

# 8. reinstall after purge: a fresh conffile, the extension again
in_chroot apt-get install -y --no-install-recommends "$(deb dualboot "$version")" \
	"$(deb postgresql-15-dualboot "$version")" > "$D/reinstall.log" 2>&1 || problem "reinstall failed"
[ -f "$R/etc/dualboot/dualboot.conf" ] || problem "reinstall did not bring back the configuration"
grep -q 'edited by the administrator' "$R/etc/dualboot/dualboot.conf" && problem "purge did not reset the configuration"
pg_start
psql_c "SELECT count(*) FROM dualboot_history()" > /dev/null || problem "the extension does not work after reinstall"
pg_stop
assert "reinstall after purge works"

# 9. nothing of the chroot is left running
pgrep -f "$R" > /dev/null && problem "processes of the chroot still running: $(pgrep -af "$R")"
assert "no process of the chroot left running"
rm -rf "$R"
[ "$failed" = 0 ]
