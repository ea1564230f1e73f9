#!/usr/bin/perl
# 05-unit.t - the record library's unit tests (test/unit/), run twice:
# built normally with -Werror, and again under AddressSanitizer +
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all), plus the plain
# build once more under valgrind memcheck; then the libFuzzer
# target over the readers (test/fuzz/fuzz_record.c) for a bounded time from a
# seed corpus of real records.
#
# The test points of each unit run are passed through, renumbered into this
# one TAP stream. FUZZ_SECONDS (default 60) bounds the fuzzer; it is skipped
# only when clang cannot link a libFuzzer program.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);

my $top = abs_path(dirname(abs_path($0)) . '/../..');
chdir $top or die "cd $top: $!";
$| = 1;

my $n = 0;
my $failed = 0;
my $leaks = 1;		# LeakSanitizer usable (probed before the sanitizer run)

sub ok($$) {	# scalar context for both: a failed match must not vanish from the list
	my ($cond, $desc) = @_;
	$n++;
	$failed++ unless $cond;
	print(($cond ? '' : 'not '), "ok $n - $desc\n");
	return $cond;
}

sub diag { print map { "# $_\n" } map { split /\n/ } @_; }

sub skip {
	my ($desc, $why) = @_;
	$n++;
	print "ok $n - $desc # SKIP $why\n";
}

# Run a command, return (exit status, combined output).
sub run {
	my ($cmd) = @_;
	my $out = `$cmd 2>&1`;
	return ($? , $out);
}

sub build {
	my ($target, $desc) = @_;
	my ($rc, $out) = run("make --no-print-directory WERROR=-Werror $target");
	ok($rc == 0, $desc) or diag($out);
	return $rc == 0;
}

# Run a unit binary; its test points become ours, with a prefix.
sub run_unit {
	my ($bin, $label, $env) = @_;
	my ($plan, $seen) = (undef, 0);
	open(my $fh, '-|', "$env $bin 2>&1") or die "run $bin: $!";
	while (my $line = <$fh>) {
		chomp $line;
		if ($line =~ /^(not )?ok \d+ - (.*)$/) {
			$seen++;
			ok(!defined $1, "$label: $2");
		} elsif ($line =~ /^1\.\.(\d+)$/) {
			$plan = $1;
		} elsif ($line =~ /^#/) {
			print "$line\n";
		} else {
			print "# $label: $line\n";		# sanitizer reports, stray output
		}
	}
	close($fh);
	my $status = $?;
	ok($status == 0 && defined $plan && $plan == $seen,
	   "$label: the run completed (exit status 0, $seen of " .
	   (defined $plan ? $plan : 'no plan') . " test points)")
		or diag(sprintf("exit status %d, signal %d", $status >> 8, $status & 127));
}

# 1. plain build and run
if (build('build/unit/unit', 'build the unit tests (-Wall -Wextra -Werror)')) {
	run_unit('build/unit/unit', 'unit', '');
}

# 1b. valgrind memcheck: uninitialised reads, which ASan does not see.
if (system('command -v valgrind >/dev/null 2>&1') != 0) {
	skip('valgrind memcheck of the unit tests', 'valgrind not installed');
} elsif (-x 'build/unit/unit') {
	my ($rc, $out) = run('valgrind -q --error-exitcode=99 --leak-check=full ' .
						 '--errors-for-leak-kinds=definite,indirect build/unit/unit');
	my ($plan) = $out =~ /^1\.\.(\d+)$/m;
	my $bad = () = $out =~ /^not ok/mg;
	ok($rc == 0 && $plan && !$bad,
	   "valgrind memcheck: " . ($plan // 0) . " unit test points, no memory error, no leak")
		or diag(grep { !/^ok / } split /\n/, $out);
}

# 2. AddressSanitizer + UndefinedBehaviorSanitizer (leak checking included)
if (build('build/unit/unit-san', 'build the unit tests with -fsanitize=address,undefined')) {
	# LeakSanitizer needs ptrace-like access that some containers deny: probe it
	my (undef, $probe) = run('ASAN_OPTIONS=detect_leaks=1 build/unit/unit-san text');
	if ($probe =~ /LeakSanitizer has encountered a fatal error/) {
		$leaks = 0;
		diag('LeakSanitizer cannot run here (no ptrace?): leak checking is left to valgrind');
	}
	run_unit('build/unit/unit-san', 'asan+ubsan',
			 "ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0:exitcode=99 " .
			 'UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1');
}

# 3. libFuzzer over the readers, bounded in time
my $seconds = $ENV{FUZZ_SECONDS} // 60;
my $probe_dir = 'build/unit/probe';
make_path($probe_dir);
open(my $p, '>', "$probe_dir/probe.c") or die;
print $p "#include <stddef.h>\n#include <stdint.h>\n" .
	"int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n" .
	"int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }\n";
close($p);
my ($prc, $pout) = run("clang -fsanitize=fuzzer,address,undefined -o $probe_dir/probe " .
					   "$probe_dir/probe.c");
remove_tree($probe_dir);
if ($prc != 0) {
	diag("clang cannot link a libFuzzer program:", $pout);
	skip('fuzz db_decode_record, marker and config parsers', 'clang libFuzzer not available');
} elsif (build('build/unit/fuzz-record', 'build the fuzzer (-fsanitize=fuzzer,address,undefined)')) {
	my $seeds = 'build/unit/fuzz-seeds';
	my $corpus = 'build/unit/fuzz-corpus';
	remove_tree($seeds, $corpus);
	make_path($seeds, $corpus);
	my ($crc, $cout) = run("build/unit/unit --corpus $seeds");
	my @seeds = glob("$seeds/seed-*");
	ok($crc == 0 && @seeds >= 10,
	   "seed corpus of " . scalar(@seeds) . " inputs from real records, markers, configs")
		or diag($cout);
	my $t0 = time;
	my ($frc, $fout) = run("build/unit/fuzz-record -max_total_time=$seconds -timeout=20 " .
						   "-rss_limit_mb=2048 -print_final_stats=1 -detect_leaks=$leaks " .
						   "-artifact_prefix=build/unit/fuzz- $corpus $seeds");
	my $elapsed = time - $t0;
	my ($runs) = $fout =~ /stat::number_of_executed_units:\s*(\d+)/;
	my ($done_runs, $done_secs) = $fout =~ /Done (\d+) runs in (\d+) second/;
	$runs //= $done_runs // 0;
	my $secs = $done_secs // $elapsed;
	if ($frc == 0 && $runs > 0) {
		ok(1, "fuzz: $runs executions in $secs seconds, no crash, no sanitizer report, " .
		   "no broken property");
		my @lines = grep { /(cov: \d+)/ } split /\n/, $fout;
		diag("fuzz: last status: $lines[-1]") if @lines;
		diag("fuzz: $runs executions in $secs seconds (-max_total_time=$seconds)");
	} else {
		ok(0, "fuzz: the run ended cleanly");
		my @tail = (split /\n/, $fout);
		@tail = @tail[-60 .. -1] if @tail > 60;
		diag(@tail);
	}
}

print "1..$n\n";
print "# $failed of $n tests failed\n" if $failed;
exit($failed ? 1 : 0);
