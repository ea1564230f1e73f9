#!/usr/bin/perl
# 70-efi.t - firmware mode (issue 7): `dualbootctl efi status|bind|sync`
# against a fake efivarfs folder (LIBEFIVAR_OPS=efivarfs EFIVARFS_PATH=dir/),
# the exhaustive planner check, and one real-firmware run under QEMU + OVMF
# (test/efi/ovmf.sh; skipped only when QEMU or OVMF is not installed).
#
# Each fake variable is a file Name-GUID: a 4-byte little-endian attribute
# word, then the data. The commands run through build/efi/efitool, whose
# `efi` command is dualbootctl_efi_main() itself; when build/tools/dualbootctl
# has the efi command, it is checked to give the same answers.
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use JSON::PP;

umask 022;    # the read-only NVRAM case reads the files as an unprivileged user
my $root = abs_path(dirname(__FILE__) . "/../..");
my $tool = "$root/build/efi/efitool";
my $plan_test = "$root/build/efi/plan_test";
my $GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

my $n = 0;
my $failed = 0;
# The prototype gives each argument scalar context: without it a condition
# ending in a failed match (`... && $x =~ /y/`) is an empty list, the name
# becomes the condition and the check passes.
sub ok($$;$) {
	my ($cond, $name, $diag) = @_;
	$n++;
	print(($cond ? "ok" : "not ok") . " $n" . ($name =~ /^# SKIP/ ? " " : " - ") . "$name\n");
	if (!$cond) {
		$failed++;
		print map { "# $_\n" } split /\n/, $diag if defined $diag;
	}
	return $cond;
}

if (!-x $tool || !-x $plan_test || !-x "$root/build/musl/dualboot-select") {
	system("make", "-s", "-C", $root, "build/efi/efitool", "build/efi/plan_test",
		"build/musl/dualboot-select") == 0
		or do { print "1..1\nnot ok 1 - build the efi test helpers (make build/efi/efitool)\n"; exit 1; };
}

my $tmp = tempdir("dualboot-efi-XXXXXX", TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;

# ---- helpers ----
sub ucs2 { join "", map { pack "v", ord } split //, $_[0] }

# EFI_LOAD_OPTION: attributes, path length, description, File() path + end, args
sub loadopt {
	my ($attr, $desc, $file, $args) = @_;
	my $fp = ucs2("$file\0");
	my $dp = pack("CCv", 4, 4, 4 + length $fp) . $fp . pack("CCv", 0x7f, 0xff, 4);
	return pack("Vv", $attr, length $dp) . ucs2("$desc\0") . $dp . ucs2($args // "");
}

sub var_path { "$_[0]/$_[1]-$GUID" }
sub put_var {
	my ($dir, $name, $data, $attr) = @_;
	my $p = var_path($dir, $name);
	unlink $p;
	open my $f, ">", $p or die "$p: $!";
	binmode $f;
	print $f pack("V", $attr // 7) . $data;
	close $f;
}
sub get_var {
	my ($dir, $name) = @_;
	open my $f, "<", var_path($dir, $name) or return undef;
	binmode $f;
	local $/;
	my $d = <$f>;
	return substr($d, 4);
}
sub u16 { my $d = get_var(@_); defined $d && length $d == 2 ? sprintf("%04X", unpack "v", $d) : $d }
sub order { my $d = get_var(@_); defined $d ? join(",", map { sprintf "%04X", $_ } unpack "v*", $d) : undef }

# every file's bytes and mtime: "no partial write" means this is unchanged
sub snapshot {
	my ($dir) = @_;
	my %s;
	opendir my $dh, $dir or die;
	for my $f (sort grep { !/^\./ } readdir $dh) {
		open my $fh, "<", "$dir/$f" or next;
		binmode $fh;
		local $/;
		my @st = stat "$dir/$f";
		$s{$f} = unpack("H*", <$fh>) . "@" . $st[9];
	}
	return join "\n", map { "$_=$s{$_}" } sort keys %s;
}

# a machine: foreign Boot0000 (shell) and Boot0003 (network), A = 0001,
# B = 0002, BootOrder 0000,0001,0002,0003, booted from A
sub machine {
	my ($name, %o) = @_;
	my $d = "$tmp/$name";
	mkdir $d;
	mkdir "$d/vars";
	chmod 0755, $d;
	put_var("$d/vars", "Boot0000", loadopt(1, "UEFI Shell", "\\EFI\\shell.efi"));
	put_var("$d/vars", "Boot0001", loadopt(1, "dualboot A", "\\EFI\\dualboot\\a.efi", "initrd=\\a.img"));
	put_var("$d/vars", "Boot0002", loadopt(1, "dualboot B", "\\EFI\\dualboot\\b.efi", "initrd=\\b.img"));
	put_var("$d/vars", "Boot0003", loadopt(1, "PXE IPv4", "\\pxe"));
	put_var("$d/vars", "BootOrder", pack("v*", 0, 1, 2, 3));
	put_var("$d/vars", "BootCurrent", pack("v", 1));
	open my $c, ">", "$d/dualboot.conf" or die;
	print $c "# test machine\nstate_mount=$d\nstate_file=/state\ndefault=A\n";
	print $c "efi_a=" . ($o{efi_a} // "0001") . "\n" if !$o{nomap};
	print $c "efi_b=" . ($o{efi_b} // "0002") . "\n" if !$o{nomap};
	close $c;
	run($d, "init", "--stable", "A") == 0 or die "init failed";
	chmod 0644, "$d/state";
	return $d;
}

our ($out, $err);
sub run {
	my ($d, @args) = @_;
	my %o = ref $args[-1] eq "HASH" ? %{ pop @args } : ();
	my @pre = $o{user} ? ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") : ();
	@pre = ("valgrind", "-q", "--error-exitcode=1", "--leak-check=full") if $o{valgrind};
	local $ENV{LIBEFIVAR_OPS} = "efivarfs";
	local $ENV{EFIVARFS_PATH} = $o{efivarfs} // "$d/vars/";
	my $bin = $o{bin} // $tool;
	my $pid = open(my $fh, "-|") // die "fork: $!";
	if (!$pid) {
		open STDERR, ">", "$tmp/stderr" or die;
		exec @pre, $bin, "--config", "$d/dualboot.conf", @args or exit 127;
	}
	local $/;
	$out = <$fh> // "";
	close $fh;
	my $rc = $? >> 8;
	open my $e, "<", "$tmp/stderr";
	$err = <$e> // "";
	return $rc;
}
sub efi { run(shift, "efi", @_) }
sub fw_boot {   # the firmware boots: BootNext consumed, BootCurrent = what ran
	my ($d) = @_;
	my $next = u16("$d/vars", "BootNext");
	my $cur = defined $next ? $next : substr(order("$d/vars", "BootOrder"), 0, 4);
	unlink var_path("$d/vars", "BootNext");
	put_var("$d/vars", "BootCurrent", pack("v", hex $cur));
	return $cur;
}

# ---- 1. the pure planner, exhaustively ----
for my $line (split /\n/, `$plan_test`) {
	ok($line =~ /^PASS /, "planner: " . ($line =~ s/^(PASS|FAIL) //r));
}

# ---- 2. every intent -> the expected variables ----
my $m = machine("life");
my $v = "$m/vars";
my %foreign = map { $_ => get_var($v, $_) } qw(Boot0000 Boot0001 Boot0002 Boot0003);

ok(efi($m, "sync") == 0 && order($v, "BootOrder") eq "0001,0000,0002,0003" &&
   !defined get_var($v, "BootNext"),
   "stable A: BootOrder starts with A's entry, others keep their order, no BootNext", "$out$err");
my $snap = snapshot($v);
ok(efi($m, "sync") == 0 && $out =~ /in sync/ && snapshot($v) eq $snap,
   "sync again: in sync, not one variable rewritten (NVRAM wear)", "$out$err");

run($m, "mark-test", "--tries", "2");
ok(efi($m, "sync", "--dry-run") == 0 && $out =~ /would write BootNext=0002/ && snapshot($v) eq $snap,
   "sync --dry-run shows the write and writes nothing", "$out$err");
ok(efi($m, "sync") == 0 && u16($v, "BootNext") eq "0002" && order($v, "BootOrder") eq "0001,0000,0002,0003",
   "trial armed: BootNext = B's entry, BootOrder keeps stable A first", "$out$err");
ok(efi($m, "status", "--json") == 0 && (eval { decode_json($out)->{in_sync} } // 0) == 1,
   "status --json: in sync after sync", "$out$err");

# trial boot 1 of 2: firmware consumes BootNext, the hook decrements tries
ok(fw_boot($m) eq "0002", "firmware follows BootNext to B");
run($m, "boot");
my $j;
ok(efi($m, "status", "--json") == 0 && ($j = eval { decode_json($out) }) &&
   $j->{boot_current} eq "0002" && $j->{boot_current_slot} eq "B" && !defined $j->{boot_next} &&
   $j->{record_boot_slot} eq "B" && $j->{agrees_with_record} && !$j->{in_sync} &&
   join(",", @{ $j->{pending} }) eq "BootNext=0002",
   "status --json in the trial boot: BootCurrent B agrees with the record, BootNext pending again",
   "$out$err");
my @keys = sort keys %{ $j // {} };
ok("@keys" eq join(" ", sort qw(boot_current boot_current_slot boot_next boot_next_slot boot_order
	slots stable_slot next_boot_slot record_boot_slot marker_slot agrees_with_record
	agrees_with_marker in_sync pending record_error)) &&
   join(",", sort keys %{ $j->{slots}{B} }) eq "active,args,description,device_path,entry,error,exists,role,valid" &&
   $j->{slots}{B}{description} eq "dualboot B" && $j->{slots}{B}{device_path} eq "File(\\EFI\\dualboot\\b.efi)" &&
   $j->{slots}{B}{args} eq "initrd=\\b.img" && $j->{slots}{A}{role} eq "stable",
   "status --json: keys, entry description, device path and optional data parsed", "@keys");
ok(efi($m, "sync") == 0 && u16($v, "BootNext") eq "0002",
   "tries left after the first trial boot: BootNext re-armed for the next reboot", "$out$err");

# trial boot 2 of 2: exhausted afterwards
fw_boot($m);
run($m, "boot");
ok(efi($m, "sync") == 0 && !defined get_var($v, "BootNext") && $out =~ /in sync/,
   "tries exhausted: no BootNext, the firmware follows BootOrder to stable A", "$out$err");
ok(fw_boot($m) eq "0001", "firmware boots A's entry");
run($m, "boot");
ok(efi($m, "sync") == 0 && $out =~ /in sync/ && !defined get_var($v, "BootNext"),
   "after the failed trial: in sync, nothing written", "$out$err");

# failback
run($m, "mark-test");
efi($m, "sync");
my $armed = u16($v, "BootNext") // "none";
run($m, "failback");
ok($armed eq "0002" && efi($m, "sync") == 0 && !defined get_var($v, "BootNext") &&
   $out =~ /deleted BootNext/, "failback: our BootNext is deleted", "$armed $out$err");

# promotion: BootOrder gets B first and our BootNext goes (two writes)
run($m, "mark-test");
efi($m, "sync");
fw_boot($m);
run($m, "boot");
run($m, "confirm");
efi($m, "sync");                      # re-arms BootNext=0002 (tries refilled)
my $rc = run($m, "promote");
ok($rc == 0 && u16($v, "BootNext") eq "0002", "set-up: promoted with BootNext still set", "$out$err");
ok(efi($m, "sync") == 0 && order($v, "BootOrder") eq "0002,0001,0000,0003" &&
   !defined get_var($v, "BootNext"),
   "promotion: BootOrder starts with the new stable B, others in order, BootNext deleted", "$out$err");
ok(efi($m, "sync") == 0 && $out =~ /in sync/, "promotion: second sync is a no-op");
ok(!grep({ get_var($v, $_) ne $foreign{$_} } keys %foreign),
   "no Boot#### entry was ever written");
opendir(my $dh, $v) or die;
my @names = sort map { s/-$GUID$//r } grep { !/^\./ } readdir $dh;
ok("@names" eq "Boot0000 Boot0001 Boot0002 Boot0003 BootCurrent BootOrder",
   "no variable other than BootNext/BootOrder was created", "@names");

# the test slot's entry missing from BootOrder: appended (EDK2 reuses unlisted numbers)
$m = machine("unlisted");
put_var("$m/vars", "BootOrder", pack("v*", 3, 1, 0));
ok(efi($m, "sync") == 0 && order("$m/vars", "BootOrder") eq "0001,0003,0000,0002",
   "the test entry missing from BootOrder is appended (firmware treats unlisted numbers as free)", "$out$err");

# a foreign BootNext (an admin's one-shot into the PXE entry)
$m = machine("foreign");
$v = "$m/vars";
efi($m, "sync");
put_var($v, "BootNext", pack("v", 3));
ok(efi($m, "sync") == 0 && u16($v, "BootNext") eq "0003" && $err =~ /does not own: left alone/,
   "a BootNext dualboot does not own is left alone when no trial is armed", "$out$err");
run($m, "mark-test");
ok(efi($m, "sync") == 0 && u16($v, "BootNext") eq "0002" && $err =~ /Boot0003.*replaced/,
   "an armed trial replaces a foreign BootNext and says so", "$out$err");

# ---- 3. errors: clear message, exit code, nothing written ----
sub refused {
	my ($d, $code, $re, $name, @args) = @_;
	my $s = snapshot("$d/vars");
	my $rc = efi($d, @args ? @args : "sync");
	ok($rc == $code && $err =~ $re && snapshot("$d/vars") eq $s, $name, "rc=$rc\n$out$err");
}

$m = machine("missing", efi_b => "0005");
run($m, "mark-test");
refused($m, 1, qr/Boot0005 does not exist.*efibootmgr/, "missing entry: exit 1, names it, nothing written");

$m = machine("garbage-entry");
run($m, "mark-test");
put_var("$m/vars", "Boot0002", "\x01\x00\x00\x00\xff\x7f" . "garbage");
refused($m, 1, qr/Boot0002 is not a valid EFI load option/, "garbage Boot#### entry: exit 1, nothing written");

$m = machine("garbage-order");
run($m, "mark-test");
put_var("$m/vars", "BootOrder", "\x01\x00\x02");
refused($m, 2, qr/BootOrder holds 3 bytes, an odd number/, "garbage BootOrder: exit 2, nothing written");

$m = machine("garbage-next");
run($m, "mark-test");
put_var("$m/vars", "BootNext", "\x02\x00\x00\x00");
refused($m, 2, qr/BootNext holds 4 bytes, not 2/, "garbage BootNext: exit 2, nothing written");

$m = machine("same", efi_b => "0001");
refused($m, 2, qr/both name Boot0001/, "efi_a= and efi_b= naming one entry: exit 2");

$m = machine("off", nomap => 1);
ok(efi($m, "sync") == 0 && $err =~ /firmware mode is off/ && order("$m/vars", "BootOrder") eq "0000,0001,0002,0003",
   "firmware mode not configured: sync exits 0 and writes nothing", "$out$err");
ok(efi($m, "sync", { efivarfs => "$tmp/nonexistent/" }) == 0, "... even without efivars");
$m = machine("novars");
ok(efi($m, "sync", { efivarfs => "$tmp/nonexistent/" }) == 2 && $err =~ /UEFI variables are not available/,
   "no efivars: exit 2 with the reason", "$out$err");

$m = machine("norecord");
unlink "$m/state";
refused($m, 2, qr/state/, "record missing (state partition not mounted?): exit 2, nothing written");

$m = machine("corrupt");
# stable B, as after a promotion; a boot with the record writes the stable
# hint beside it (B)
run($m, "init", "--stable", "B") == 0 or die "init B failed";
run($m, "boot") == 0 or die "boot failed";
run($m, "mark-test");
efi($m, "sync");
open my $sf, "+<", "$m/state" or die;
print $sf "\0" x 8192;
close $sf;
ok(efi($m, "sync") == 0 && !defined get_var("$m/vars", "BootNext") &&
   order("$m/vars", "BootOrder") =~ /^0002,/ && $err =~ /the stable hint's slot B/,
   "record with no valid copy: the firmware is set up as the hook will boot (the stable hint's slot B)",
   "$out$err");
unlink "$m/state.hint";
ok(efi($m, "sync") == 0 && !defined get_var("$m/vars", "BootNext") &&
   order("$m/vars", "BootOrder") =~ /^0001,/ && $err =~ /default stable slot A/,
   "... and without a stable hint: the default stable slot A", "$out$err");

# read-only NVRAM: an unprivileged process on a read-only folder
my $can_setpriv = system("setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null") == 0
	&& $> == 0;
SKIP_RO: {
	if (!$can_setpriv) {
		ok(1, "# SKIP read-only NVRAM needs root and setpriv") for 1 .. 2;
		last SKIP_RO;
	}
	my $bin = "$tmp/efitool";
	system("cp", $tool, $bin);
	$m = machine("readonly");
	run($m, "mark-test");
	chmod 0444, glob("$m/vars/*");
	chmod 0555, "$m/vars";
	my $s = snapshot("$m/vars");
	my $rc = efi($m, "sync", { user => 1, bin => $bin });
	ok($rc == 1 && $err =~ /nothing was changed: cannot write the UEFI variable \w+: Permission denied/ &&
	   snapshot("$m/vars") eq $s, "read-only NVRAM: exit 1, nothing was changed", "rc=$rc $out$err");

	# BootOrder writable, BootNext not deletable: the first write is rolled back
	$m = machine("rollback");
	run($m, "mark-test");
	efi($m, "sync");
	fw_boot($m);
	run($m, "boot");
	run($m, "confirm");
	efi($m, "sync");
	run($m, "promote");
	chmod 0444, glob("$m/vars/*");
	chmod 0666, var_path("$m/vars", "BootOrder");
	chmod 0555, "$m/vars";
	my $before = order("$m/vars", "BootOrder");
	$rc = efi($m, "sync", { user => 1, bin => $bin });
	ok($rc == 1 && $err =~ /nothing was changed: cannot delete the UEFI variable BootNext/ &&
	   order("$m/vars", "BootOrder") eq $before && u16("$m/vars", "BootNext") eq "0002",
	   "a failed second write rolls the first back: BootOrder restored ($before), exit 1",
	   "rc=$rc $out$err " . (order("$m/vars", "BootOrder") // "none"));
	chmod 0755, "$m/vars";
}

# ---- 4. status and bind ----
$m = machine("status");
$v = "$m/vars";
run($m, "mark-test");
efi($m, "sync");
fw_boot($m);
run($m, "boot", "--marker", "$m/booted");
ok(efi($m, "status", "--marker", "$m/booted") == 0 && $out =~ /BootCurrent: 0002 = slot B/ &&
   $out =~ /firmware B, record B, marker B  \(agree\)/,
   "status: the booted entry agrees with the record and the marker", "$out$err");
put_var($v, "BootCurrent", pack("v", 1));   # firmware ran A's kernel, the hook chose B
ok(efi($m, "status", "--marker", "$m/booted") == 0 && $out =~ /MISMATCH/ &&
   ($j = eval { efi($m, "status", "--json", "--marker", "$m/booted"); decode_json($out) }) &&
   !$j->{agrees_with_record} && !$j->{agrees_with_marker} && $j->{marker_slot} eq "B",
   "status: a booted entry that disagrees with the record and the marker is a MISMATCH", "$out$err");
put_var($v, "BootOrder", "\x01");
ok(efi($m, "status") == 2 && $err =~ /BootOrder holds 1 bytes/, "status on garbage variables: exit 2");

$m = machine("bind", efi_b => "");
ok(efi($m, "bind", "B", "0002") == 0 && $out eq "efi_b=0002\n" && $err =~ /"dualboot B"/,
   "bind B 0002: validates the entry and prints the config line", "$out$err");
ok(efi($m, "bind", "b", "boot0002") == 0 && $out eq "efi_b=0002\n", "bind accepts b and Boot0002");
ok(efi($m, "bind", "B", "0009") == 1 && $err =~ /Boot0009 does not exist/, "bind to a missing entry: exit 1");
ok(efi($m, "bind", "B", "0001") == 1 && $err =~ /already slot A's entry/, "bind B to A's entry: exit 1");
ok(efi($m, "bind", "C", "0001") == 2 && efi($m, "bind", "A", "12345") == 2 && efi($m, "bind", "A") == 2,
   "bind with a bad slot, a bad number or a missing argument: exit 2");
ok(efi($m, "create", "A", "--disk", "$tmp/nodisk", "--loader", "\\EFI\\x") == 2 &&
   $err =~ /cannot make a device path .* nothing was written/ && efi($m, "create", "A", "--loader", "\\x") == 2 &&
   efi($m, "create", "A", "--disk", "/dev/null", "--loader", "EFI/x") == 2 && $err =~ /backslashes/,
   "create without a usable disk, without --disk or with a bad loader path: exit 2, nothing written", "$out$err");
ok(efi($m, "frobnicate") == 2 && $err =~ /unknown command/, "unknown efi command: exit 2");

# ---- 4b. the boot-time cross-check (hook/dualboot-efi-check) ----
{
	my $d = machine("check");
	my $check = "$root/hook/dualboot-efi-check";
	# run $code with the check's environment pointing into $d (conf/cmdline overridable)
	my $in_env = sub {
		my ($e, $code) = @_;
		unlink "$d/efi-check", "$d/kmsg";
		local $ENV{DUALBOOT_CONF} = $e->{conf} // "$d/dualboot.conf";
		local $ENV{DUALBOOT_CMDLINE} = $e->{cmdline} // "/dev/null";
		local $ENV{DUALBOOT_MARKER} = "$d/booted";
		local $ENV{DUALBOOT_EFIVARS} = "$d/vars";
		local $ENV{DUALBOOT_EFI_CHECK} = "$d/efi-check";
		local $ENV{DUALBOOT_KMSG} = "$d/kmsg";
		local $ENV{DUALBOOT_SELECT} = "$root/build/musl/dualboot-select";
		return $code->();
	};
	my $xrun = sub {
		my (%e) = @_;
		return $in_env->(\%e, sub {
			my $rc = system($check) >> 8;
			my $o = -e "$d/efi-check" ? `cat "$d/efi-check"` : "";
			my $k = -e "$d/kmsg" ? `cat "$d/kmsg"` : "";
			return ($rc, $o, $k);
		});
	};
	open my $mk, ">", "$d/booted" or die;
	print $mk "slot=B\nrole=test\ntrial=1\nseq=3\n";
	close $mk;
	put_var("$d/vars", "BootCurrent", pack("v", 2));
	my ($rc, $o, $k) = $xrun->();
	ok($rc == 0 && $o =~ /^boot_current=0002$/m && $o =~ /^firmware_slot=B$/m && $o =~ /^hook_slot=B$/m &&
	   $o =~ /^agrees=1$/m && $k eq "", "cross-check: BootCurrent is the chosen slot's entry: agrees=1, nothing logged", "$o$k");
	put_var("$d/vars", "BootCurrent", pack("v", 1));
	($rc, $o, $k) = $xrun->();
	ok($rc == 0 && $o =~ /^agrees=0$/m && $k =~ /^dualboot: firmware mode: MISMATCH: the firmware booted Boot0001, slot A's entry, but the hook chose slot B/,
	   "cross-check: firmware ran A's entry, hook chose B: agrees=0 and a dualboot: kernel log line", "$o$k");
	open my $cl, ">", "$d/cmdline" or die;
	print $cl "quiet dualboot.efi_a=0002 dualboot.efi_b=0001\n";
	close $cl;
	($rc, $o, $k) = $xrun->(cmdline => "$d/cmdline");
	ok($rc == 0 && $o =~ /^entry_a=0002$/m && $o =~ /^agrees=1$/m, "cross-check: dualboot.efi_a=/efi_b= on the command line override the config", $o);
	put_var("$d/vars", "BootCurrent", "\x01\x02\x03");
	($rc, $o, $k) = $xrun->();
	ok($rc == 0 && $o =~ /^boot_current=unknown$/m && $o =~ /^agrees=unknown$/m && $k =~ /cannot cross-check/,
	   "cross-check: a garbage BootCurrent gives agrees=unknown, exit 0", "$o$k");
	open my $c0, ">", "$d/noefi.conf" or die;
	print $c0 "default=A\n";
	close $c0;
	($rc, $o, $k) = $xrun->(conf => "$d/noefi.conf");
	ok($rc == 0 && $o eq "" && $k eq "", "cross-check: firmware mode off: does nothing, exit 0");

	# --firmware-slot: what dualboot-boot passes to the selector
	my $fwslot = sub {
		my (%e) = @_;
		return $in_env->(\%e, sub {
			my $out = `"$check" --firmware-slot`;
			my $rc = $? >> 8;
			return "rc=$rc out=[$out]" . (-e "$d/efi-check" || -e "$d/kmsg" ? " wrote" : "");
		});
	};
	my @got;
	put_var("$d/vars", "BootCurrent", pack("v", 1));
	push @got, $fwslot->();
	put_var("$d/vars", "BootCurrent", pack("v", 2));
	push @got, $fwslot->();
	push @got, $fwslot->(cmdline => "$d/cmdline");    # efi_a=0002 on the command line
	put_var("$d/vars", "BootCurrent", pack("v", 3));  # the PXE entry: neither slot's
	push @got, $fwslot->();
	put_var("$d/vars", "BootCurrent", "\x01\x02\x03");
	push @got, $fwslot->();
	unlink var_path("$d/vars", "BootCurrent");
	push @got, $fwslot->();
	put_var("$d/vars", "BootCurrent", pack("v", 1));
	push @got, $fwslot->(conf => "$d/noefi.conf");
	my $want = join "\n", "rc=0 out=[A\n]", "rc=0 out=[B\n]", "rc=0 out=[A\n]",
		("rc=0 out=[]") x 4;
	ok(join("\n", @got) eq $want,
	   "--firmware-slot: A or B from BootCurrent (command-line overrides apply); nothing for a foreign "
	   . "entry, garbage, no BootCurrent or firmware mode off; writes and logs nothing",
	   join("\n", @got));
}

# ---- 4c. initramfs-tools: what firmware mode adds to a real mkinitramfs image ----
# (hooks/dualboot-efi: dualboot-efi-check, which dualboot-boot asks for
# --firmware-slot before the selection, the local-bottom cross-check, efivarfs,
# od, tail; nothing of it without efi_a=/efi_b=)
SKIP_IT: {
	my $kver = `ls /lib/modules 2>/dev/null | sort -V | tail -1`;
	chomp $kver;
	if (system("command -v mkinitramfs >/dev/null && command -v lsinitramfs >/dev/null && " .
			"command -v musl-gcc >/dev/null") != 0 || $kver eq "") {
		ok(1, "# SKIP mkinitramfs, lsinitramfs, musl-gcc or an installed kernel missing");
		last SKIP_IT;
	}
	my $st = "$tmp/it-stage";
	my $it = "$st/usr/share/initramfs-tools";
	my @list;
	if (system("make -s -C '$root' install-hook install-efi DESTDIR='$st' >'$tmp/it-make.log' 2>&1") != 0) {
		ok(0, "initramfs-tools with firmware mode: make install-hook install-efi", `cat '$tmp/it-make.log'`);
		last SKIP_IT;
	}
	for my $mode ("efi", "noefi") {
		my $cd = "$tmp/itconf-$mode";
		system("mkdir", "-p", "$cd/hooks", "$cd/scripts/local-top", "$cd/scripts/local-bottom");
		system("install -m 0755 '$it/hooks/dualboot' '$it/hooks/dualboot-efi' '$cd/hooks/'");
		system("install -m 0755 '$it/scripts/local-top/dualboot' '$cd/scripts/local-top/'");
		system("install -m 0755 '$it/scripts/local-bottom/dualboot-efi' '$cd/scripts/local-bottom/'");
		open my $ic, ">", "$cd/initramfs.conf" or die;
		print $ic "MODULES=list\nBUSYBOX=y\nCOMPRESS=gzip\nRESUME=none\n";
		close $ic;
		open my $mc, ">", "$cd/modules" or die;
		close $mc;
		open my $cc, ">", "$cd/dualboot.conf" or die;
		print $cc "state_device=PARTLABEL=dbstate\nstate_file=/dualboot/state\n" .
			"slot_a=PARTLABEL=root-a\nslot_b=PARTLABEL=root-b\n" .
			($mode eq "efi" ? "efi_a=0001\nefi_b=0002\n" : "");
		close $cc;
		local $ENV{DUALBOOT_LIBDIR} = "$st/usr/lib/dualboot";
		local $ENV{DUALBOOT_CONF} = "$cd/dualboot.conf";
		my $rc = system("mkinitramfs -d '$cd' -o '$cd/initrd.img' '$kver' >'$cd/log' 2>&1");
		push @list, $rc == 0 ? join(" ", sort grep { m{dualboot|efivarfs\.ko$|bin/od$|bin/tail$} }
			split /\n/, `lsinitramfs '$cd/initrd.img'`) : "mkinitramfs failed: " . `tail -5 '$cd/log'`;
	}
	my ($efi, $noefi) = @list;
	my @want = qw(usr/lib/dualboot/dualboot-efi-check scripts/local-bottom/dualboot-efi usr/bin/od
		usr/bin/tail usr/lib/dualboot/dualboot-boot usr/lib/dualboot/dualboot-select);
	my @missing = grep { index(" $efi ", " $_ ") < 0 } @want;
	push @missing, "efivarfs.ko" if $efi !~ /efivarfs\.ko/;
	# other packages' hooks may load efivarfs for their own reasons (mdadm's
	# does, for its EFI RAID metadata): then its presence says nothing of ours
	my @others = grep { -f $_ && `grep -l efivarfs '$_' 2>/dev/null` } glob("/usr/share/initramfs-tools/hooks/* /etc/initramfs-tools/hooks/*");
	my $not_ours = @others ? qr/efi-check/ : qr/efi-check|efivarfs/;
	ok(!@missing && $noefi =~ m{usr/lib/dualboot/dualboot-select} && $noefi !~ $not_ours,
	   "mkinitramfs with efi_a=/efi_b=: dualboot-efi-check, the local-bottom script, efivarfs.ko, od and " .
	   "tail are in the image; without them none of it ($kver" .
	   (@others ? "; efivarfs.ko also comes from @others" : "") . ")",
	   "missing: @missing\nwith: $efi\nwithout: $noefi");
}

# ---- 4d. dualboot-boot before the selection: every way of not knowing is "unknown" ----
# The hook's own dualboot-boot, dualboot-efi-check and the musl selector in a
# chroot (dash, busybox's tools; a private mount namespace with /proc, the record on a raw
# "partition" file, a trial of B with tries 2, efi_a=0001 efi_b=0002). The
# firmware on A's or B's entry decides as the unit tests say; a missing,
# failing, non-executable or garbage-printing check, no efivarfs (not mounted,
# cannot be mounted, mounted without BootCurrent), no /sys/firmware/efi, and
# od, tail, tr or modprobe missing from the image must each give exactly
# the output and record of an image without firmware mode.
SKIP_BOOT: {
	my $bb = -x "/bin/busybox" ? "/bin/busybox" : "/usr/bin/busybox";
	my $sel = "$root/build/musl/dualboot-select";
	my $ctl = "$root/build/dualbootctl";
	if ($> != 0 || !-x $bb || !-x $sel || !-x $ctl || !-x "/bin/dash" ||
		system("unshare -m true 2>/dev/null && command -v chroot >/dev/null") != 0 ||
		`file -L $bb 2>/dev/null` =~ /dynamically/) {
		ok(1, "# SKIP dualboot-boot in a chroot needs root, unshare -m, chroot, dash, busybox-static and make all");
		last SKIP_BOOT;
	}
	my $boot_case = sub {
		my (%o) = @_;
		my $r = "$tmp/bootroot";
		system("rm", "-rf", $r);
		system("mkdir", "-p", map { "$r/$_" } qw(bin usr/lib/dualboot etc/dualboot proc dev run tmp));
		system("mkdir", "-p", "$r/sys/firmware/efi/efivars") if !$o{no_efi};
		system("cp", $bb, "$r/bin/busybox");
		# dash, not busybox sh: busybox-static's sh runs its applets even
		# without their links, and a "missing" tool would still be found
		for my $l ("/bin/dash", `ldd /bin/dash` =~ m{(/\S+)\s+\(}g) {
			system("mkdir", "-p", dirname("$r$l"));
			system("cp", "-L", $l, "$r$l");
		}
		symlink("dash", "$r/bin/sh");
		my %skip = map { $_ => 1 } @{ $o{missing} // [] };
		for my $a (qw(sleep mkdir rmdir sync cat sed tr tail od modprobe rm)) {
			symlink("busybox", "$r/bin/$a") if !$skip{$a};
		}
		# mount/umount stubs: a real efivarfs must never be reached from here
		my $stub = sub {
			my ($name, $rc) = @_;
			open my $f, ">", "$r/bin/$name" or die;
			print $f "#!/bin/sh\necho \"$name \$*\" >> /tmp/calls\nexit $rc\n";
			close $f;
			chmod 0755, "$r/bin/$name";
		};
		$stub->("mount", $o{mount_ok} ? 0 : 32);
		$stub->("umount", 0);
		system("cp", "$root/hook/dualboot-boot", $sel, "$r/usr/lib/dualboot/");
		if (defined $o{check}) {
			open my $f, ">", "$r/usr/lib/dualboot/dualboot-efi-check" or die;
			print $f "#!/bin/sh\n$o{check}\n";
			close $f;
			chmod 0755, "$r/usr/lib/dualboot/dualboot-efi-check";
		}
		elsif (!$o{no_check}) {
			system("cp", "$root/hook/dualboot-efi-check", "$r/usr/lib/dualboot/");
		}
		chmod 0644, "$r/usr/lib/dualboot/dualboot-efi-check" if $o{not_exec};
		for my $d ("slot-a", "slot-b", "kmsg") { open my $f, ">", "$r/dev/$d" or die; close $f; }
		open my $c, ">", "$r/etc/dualboot/dualboot.conf" or die;
		print $c "state_device=/dev/state\nstate_file=\nslot_a=/dev/slot-a\nslot_b=/dev/slot-b\n" .
			"default=A\ntimeout=1\nefi_a=0001\nefi_b=0002\n";
		close $c;
		system("'$ctl' --state '$r/dev/state' init --stable A >/dev/null && " .
			"'$ctl' --state '$r/dev/state' mark-test --tries 2 >/dev/null") == 0 or die "dualbootctl";
		put_var("$r/sys/firmware/efi/efivars", "BootCurrent", $o{bootcurrent})
			if defined $o{bootcurrent} && !$o{no_efi};
		my $out = `timeout -k 5 60 unshare -m sh -c 'mount -t proc proc "\$1/proc" && exec chroot "\$1" /usr/lib/dualboot/dualboot-boot' _ '$r' 2>'$tmp/boot.err'`;
		my $rc = $? >> 8;
		my $st = `'$ctl' --state '$r/dev/state' status --json 2>/dev/null`;
		my $j = eval { decode_json($st) } // {};
		my $calls = -e "$r/tmp/calls" ? `cat '$r/tmp/calls'` : "";
		$calls =~ s/\n/; /g;
		return ("rc=$rc tries_left=" . ($j->{tries_left} // "?") . " armed=" .
			($j->{trial_armed} ? 1 : 0) . "\n$out", $calls);
	};
	my ($base) = $boot_case->(no_check => 1);
	my ($fa) = $boot_case->(bootcurrent => pack("v", 1));
	my ($fb) = $boot_case->(bootcurrent => pack("v", 2));
	ok($base =~ /^rc=0 tries_left=1 armed=1\n/ && $base =~ /DUALBOOT_SLOT='B'/ &&
	   $base =~ /DUALBOOT_TRIAL='1'/ && $fb eq $base,
	   "dualboot-boot in a chroot: without firmware mode a trial boot of B (tries 2 -> 1); " .
	   "the firmware on B's entry: the same", "base:\n$base\nB:\n$fb\n" . `cat '$tmp/boot.err'`);
	ok($fa =~ /^rc=0 tries_left=1 armed=1\n/ && $fa =~ /DUALBOOT_SLOT='A'/ &&
	   $fa =~ /DUALBOOT_ROLE='stable'/ && $fa =~ /DUALBOOT_TRIAL='0'/ && $fa =~ /failed try of test slot B/ &&
	   $fa =~ m{DUALBOOT_ROOT='/dev/slot-a'},
	   "dualboot-boot in a chroot: the firmware on A's entry: stable root A, a failed try (tries 2 -> 1)", $fa);
	my @cases = (
		["check not executable", not_exec => 1, bootcurrent => pack("v", 1)],
		["check fails after printing A", check => "echo A; exit 1"],
		["check prints garbage", check => "printf 'A\\047; reboot -f; echo \\047\\n'"],
		["check prints two lines", check => "echo A; echo A"],
		["check prints 'A B'", check => "echo A B"],
		["check is killed", check => "echo A; kill -9 \$\$"],
		["no /sys/firmware/efi (BIOS boot)", no_efi => 1],
		["efivarfs not mounted and cannot be mounted", bootcurrent => undef],
		["efivarfs mounted but no BootCurrent", bootcurrent => undef, mount_ok => 1],
		["modprobe missing, efivarfs cannot be mounted", bootcurrent => undef, missing => ["modprobe"]],
		["od missing", bootcurrent => pack("v", 1), missing => ["od"]],
		["tail missing", bootcurrent => pack("v", 1), missing => ["tail"]],
		["tr missing", bootcurrent => pack("v", 1), missing => ["tr"]],
		["BootCurrent of 3 bytes", bootcurrent => "\x01\x00\x00"],
		["BootCurrent empty", bootcurrent => ""],
	);
	my (@bad, %calls);
	for my $c (@cases) {
		my ($name, %o) = @$c;
		my ($got, $calls) = $boot_case->(%o);
		push @bad, "$name:\n$got" if $got ne $base;
		$calls{$name} = $calls;
	}
	ok(!@bad && $base =~ /DUALBOOT_SLOT='B'/, "dualboot-boot in a chroot: " . join(", ", map { $_->[0] } @cases) .
	   ": each boots exactly as without firmware mode (trial of B, tries 2 -> 1)",
	   join("\n", "want:\n$base", @bad));
	ok($calls{"efivarfs not mounted and cannot be mounted"} eq
		"mount -t efivarfs efivarfs /sys/firmware/efi/efivars; " &&
	   $calls{"efivarfs mounted but no BootCurrent"} eq
		"mount -t efivarfs efivarfs /sys/firmware/efi/efivars; umount /sys/firmware/efi/efivars; " &&
	   $calls{"no /sys/firmware/efi (BIOS boot)"} eq "" && $calls{"od missing"} eq "",
	   "dualboot-efi-check --firmware-slot mounts efivarfs only when BootCurrent is not there, " .
	   "and unmounts only what it mounted", join("\n", map { "$_: $calls{$_}" } sort keys %calls));
}

# ---- 5. memory: valgrind on the commands ----
SKIP_VG: {
	if (system("command -v valgrind >/dev/null") != 0) {
		ok(1, "# SKIP valgrind not installed");
		last SKIP_VG;
	}
	$m = machine("valgrind");
	run($m, "mark-test");
	my @bad;
	for my $args (["sync"], ["sync"], ["status", "--json"], ["status"], ["bind", "B", "0002"],
			["create", "A", "--disk", "/dev/null", "--loader", "\\EFI\\x", "--args", "a b"]) {
		my $want = $args->[0] eq "create" ? 2 : 0;
		my $rc = run($m, "efi", @$args, { valgrind => 1 });
		push @bad, "@$args: $rc" if $rc != $want;
	}
	ok(!@bad, "valgrind --leak-check=full --error-exitcode=1: sync, status, bind, create (error path) clean", join("\n", @bad, $err));
}

# ---- 6. the dualbootctl binary, when it carries the efi command ----
my $ctl = "$root/build/dualbootctl";
if (-x $ctl && system("$ctl efi help >/dev/null 2>&1") == 0) {
	$m = machine("ctl");
	run($m, "mark-test");
	my $rc = run($m, "efi", "sync", { bin => $ctl });
	ok($rc == 0 && u16("$m/vars", "BootNext") eq "0002" && order("$m/vars", "BootOrder") eq "0001,0000,0002,0003",
	   "dualbootctl --config F efi sync: BootNext armed, BootOrder stable first", "$out$err");
	run($m, "efi", "status", "--json", { bin => $ctl });
	my $a = $out;
	run($m, "efi", "status", "--json");
	ok($a eq $out && $a =~ /"in_sync":true/, "dualbootctl efi status --json answers as dualbootctl_efi_main", "$a\n$out");
	ok(run($m, "efi", "bind", "A", "0007", { bin => $ctl }) == 1 && $err =~ /Boot0007 does not exist/,
	   "dualbootctl efi bind: exit codes pass through", "$out$err");
}
else {
	ok(1, "# SKIP build/dualbootctl is not built with the efi command");
}

# ---- 7. real firmware: QEMU + OVMF, five boots through boot entries ----
my $ovmf = "$root/test/efi/ovmf.sh";
my $ores = `"$ovmf" 2>"$tmp/ovmf.err"`;
my $orc = $? >> 8;
if ($orc == 77) {
	my ($why) = `cat "$tmp/ovmf.err"` =~ /SKIP: (.*)/;
	ok(1, "# SKIP real firmware: " . ($why // "QEMU or OVMF not installed"));
}
else {
	my %r = $ores =~ /^(\w+)=(.*)$/mg;
	my $diag = "rc=$orc\n$ores\n" . `tail -40 "$tmp/ovmf.err"`;
	ok($orc == 0 && ($r{entry_a} // "") =~ /^[0-9A-F]{4}$/ && ($r{entry_b} // "") =~ /^[0-9A-F]{4}$/ &&
	   !defined $r{error}, "OVMF boot 0 (setup, -kernel): efi create made both slots' entries (" .
	   ($r{entry_a} // "?") . "/" . ($r{entry_b} // "?") . ")", $diag);
	ok(($r{boot0_sync_rc} // "") eq "0" && defined $r{entry_a} && ($r{boot0_order} // "") =~ /^$r{entry_a},/ &&
	   ($r{boot0_order_before} // "") !~ /^$r{entry_a}\b/,
	   "OVMF boot 0: efi sync put stable A's new entry first in BootOrder (real NVRAM)", $diag);
	my $A = $r{entry_a} // "x";
	my $B = $r{entry_b} // "y";
	ok(($r{boot1_current} // "") eq $A && ($r{boot1_cmdline_slot} // "") eq "A" &&
	   ($r{boot1_next} // "") eq "none" && ($r{boot1_order} // "") =~ /^$A,/,
	   "OVMF boot 1: the firmware followed BootOrder to A's entry (BootCurrent $A, A's command line)", $diag);
	ok(($r{boot1_slot} // "") eq "A" && ($r{boot1_sync_rc} // "") eq "0" &&
	   ($r{boot1_next_after_sync} // "") eq $B,
	   "OVMF boot 1: trial of B armed, efi sync set BootNext = B's entry ($B) in real NVRAM", $diag);
	ok(($r{boot2_current} // "") eq $B && ($r{boot2_cmdline_slot} // "") eq "B" &&
	   ($r{boot2_next} // "") eq "none",
	   "OVMF boot 2: the firmware ran the test entry (BootCurrent = $B, B's command line), BootNext consumed", $diag);
	ok(($r{boot1_check} // "") eq "A/A/1" && ($r{boot2_check} // "") eq "B/B/1" && ($r{boot3_check} // "") eq "A/A/1",
	   "OVMF: the boot-time cross-check (dualboot-efi-check) finds BootCurrent and the chosen slot agreeing in boots 1-3",
	   $diag);
	ok(($r{boot2_slot} // "") eq "B" && ($r{boot2_trial} // "") eq "1" &&
	   ($r{boot2_order} // "") =~ /^$A,/,
	   "OVMF boot 2: the selection agrees (trial boot of B); BootOrder still starts with stable A", $diag);
	ok(($r{boot2_sync_rc} // "") eq "0" && ($r{boot2_next_after_sync} // "") eq "none",
	   "OVMF boot 2: trial exhausted (no confirm): efi sync leaves no BootNext", $diag);
	ok(($r{boot3_current} // "") eq $A && ($r{boot3_cmdline_slot} // "") eq "A" &&
	   ($r{boot3_next} // "") eq "none" && ($r{boot3_slot} // "") eq "A" &&
	   ($r{boot3_armed} // "") eq "0",
	   "OVMF boot 3: the firmware followed BootOrder back to stable A; the trial is recorded as failed", $diag);
	my $rest = join "", map { ",$_" } grep { $_ ne $A && $_ ne $B } split /,/, ($r{boot1_order} // "");
	ok(($r{boot3_disturbed} // "") eq "next:$B,order:$B,$A$rest" && ($r{boot3_resync_rc} // "") eq "0" &&
	   ($r{boot3_resync} // "") eq "next:none,order:$A,$B$rest" && ($r{boot3_resync2} // "") eq "in sync",
	   "OVMF boot 3: a stale BootNext of ours is deleted and BootOrder rewritten with A first in real NVRAM; then in sync",
	   $diag);

	# a trial whose test entry cannot start (its loader file is missing), tries 2
	my $X = $r{entry_broken} // "z";
	ok($X =~ /^[0-9A-F]{4}$/ && $X ne $A && $X ne $B && ($r{boot3_broken_sync_rc} // "") eq "0" &&
	   ($r{boot3_broken_next} // "") eq $X,
	   "OVMF boot 3: a trial of B (tries 2) armed with B's entry ($X) pointing at a missing loader; BootNext = $X",
	   $diag);
	ok(($r{boot4_fw_failed_broken} // "") eq "1" && ($r{boot4_current} // "") eq $A &&
	   ($r{boot4_cmdline_slot} // "") eq "A" && ($r{boot4_next} // "") eq "none",
	   "OVMF boot 4: the firmware failed to load the test entry and fell back to stable A's entry and kernel",
	   $diag);
	ok(($r{boot4_slot} // "") eq "A" && ($r{boot4_trial} // "") eq "0" && ($r{boot4_trial_failed} // "") eq "0" &&
	   ($r{boot4_selected} // "") eq "armed:1,left:1" && ($r{boot4_why} // "") =~ /failed try of test slot B/,
	   "OVMF boot 4: the hook (dualboot-boot, BootCurrent = A's entry) boots the stable root A and counts a failed try (tries 2 -> 1)",
	   $diag);
	ok(($r{boot4_check} // "") eq "A/A/1" && ($r{boot4_sync_rc} // "") eq "0" && ($r{boot4_next_after_sync} // "") eq $X,
	   "OVMF boot 4: kernel and root agree (cross-check A/A, no MISMATCH); efi sync arms BootNext = $X again (a try is left)",
	   $diag);
	ok(($r{boot5_fw_failed_broken} // "") eq "1" && ($r{boot5_current} // "") eq $A &&
	   ($r{boot5_slot} // "") eq "A" && ($r{boot5_trial_failed} // "") eq "1" &&
	   ($r{boot5_selected} // "") eq "armed:0,left:0" && ($r{boot5_why} // "") =~ /tries exhausted/ &&
	   ($r{boot5_check} // "") eq "A/A/1" && ($r{boot5_next_after_sync} // "") eq "none",
	   "OVMF boot 5: the firmware falls back again: the last try, the trial of B is recorded as failed, stable A; no BootNext",
	   $diag);
}

print "1..$n\n";
exit($failed ? 1 : 0);
