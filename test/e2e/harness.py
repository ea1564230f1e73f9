#!/usr/bin/env python3
"""test/e2e/harness.py - the end-to-end test of a whole dual-boot database
server (issue 13): OVMF, GRUB, two Debian 12 slots with systemd and
PostgreSQL 15, the dualboot hook, units and extension, under QEMU (TCG).

    harness.py [--only SCENARIO,...] [--bench FILE]

The disk comes from test/e2e/build.sh (build/e2e/disk.img). Each scenario
copies the state it starts from, writes a plan (step names) onto the EFI
system partition, and starts QEMU; the guest's e2e-runner unit runs one step
per boot and reboots itself (`systemctl reboot`) or powers off. The harness
only reads the serial console, cuts the power where a scenario says so, and
presses reset through the QEMU monitor when a rebooting guest falls silent
(counted as forced resets). After every QEMU run the record is read back
from the disk image (debugfs, then the built dualbootctl).

Output: TAP on stdout (one line per check, each naming its scenario), the
story on stderr, the serial logs under build/e2e/run/.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
W = os.path.join(ROOT, "build", "e2e")
RUN = os.path.join(W, "run")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
CTL = os.path.join(ROOT, "build", "dualbootctl")
# One vCPU by default: with two, a guest on a loaded host stalled for good
# (soft lockup, RCU stall: one vCPU thread starved under TCG). With one, a
# full run passed 63/63 in 1346 s of scenarios on an idle machine.
SMP = os.environ.get("E2E_SMP", "1")
MEM = os.environ.get("E2E_MEM", "2048")
# s without serial output in the middle of a boot: with `quiet`, a boot on a
# loaded host stays silent for minutes (208 s seen at load 7), and a reset
# there costs a try of an armed trial
BOOT_SILENCE = int(os.environ.get("E2E_SILENCE", "300"))
RESET_SILENCE = int(os.environ.get("E2E_RESET_SILENCE", "90"))  # after "Restarting system"
# system_reset presses before a power cycle: in the runs logged so far a
# second press never brought a wedged guest back (one run pressed five times
# in vain), so waiting for more only spends the run's time
MAX_RESETS = int(os.environ.get("E2E_MAX_RESETS", "1"))
QEMU_TIMEOUT = int(os.environ.get("E2E_QEMU_TIMEOUT", "900"))
MAX_POWER_CYCLES = int(os.environ.get("E2E_MAX_POWER_CYCLES", "4"))  # in the whole run

T0 = time.time()
ntest = 0
nfail = 0
forced_resets = 0
# QEMU processes killed and started again on the same disk because the
# guest stayed silent through system_reset (BOOT-NOTES: a warm reset under
# TCG can wedge OVMF for good); the guest sees a cold power cycle
power_cycles = 0
# guest resets (its own reboots) served by starting QEMU again at once (see
# Machine.boot): OVMF's warm reset under TCG costs about a minute a reboot here
# and is where guests wedged (BOOT-NOTES)
cold_resets = 0
# forced resets + power cycles of the current QEMU run
run_interventions = 0
power_cuts = 0
bench = []


def log(msg):
    print("e2e [%5.0fs] %s" % (time.time() - T0, msg), file=sys.stderr, flush=True)


def ok(cond, name, detail=""):
    global ntest, nfail
    ntest += 1
    if not cond:
        nfail += 1
    print("%sok %d - %s" % ("" if cond else "not ", ntest, name), flush=True)
    if not cond and detail:
        for line in str(detail).splitlines():
            print("#   " + line, flush=True)
    return cond


def sh(*args, **kw):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw).stdout


class Machine:
    """One disk image + its own UEFI variable store."""

    def __init__(self, name, disk="disk.img", nvram=OVMF_VARS):
        self.name = name
        self.dir = os.path.join(RUN, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.disk = os.path.join(self.dir, "disk.img")
        self.vars = os.path.join(self.dir, "vars.fd")
        sh("cp", "--sparse=always", os.path.join(W, disk), self.disk)
        shutil.copy(nvram, self.vars)
        off = dict(kv.split("=") for kv in open(os.path.join(W, "disk.offsets")).read().split())
        self.esp = int(off["ESP"])
        self.state = int(off["STATE"])
        self.runs = 0

    # ---- the EFI system partition (mtools, no mount) ----
    def esp_write(self, path, text):
        tmp = os.path.join(self.dir, "esp-file")
        with open(tmp, "w") as f:
            f.write(text)
        sh("mcopy", "-o", "-i", "%s@@%d" % (self.disk, self.esp), tmp, "::" + path)

    def esp_read(self, path):
        r = subprocess.run(["mtype", "-i", "%s@@%d" % (self.disk, self.esp), "::" + path],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return r.stdout if r.returncode == 0 else None

    def esp_delete(self, path):
        subprocess.run(["mdel", "-i", "%s@@%d" % (self.disk, self.esp), "::" + path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def plan(self, steps):
        self.esp_write("/e2e/plan", "".join(s + "\n" for s in steps))
        self.esp_write("/e2e/cursor", "0\n")

    # ---- the record, read back from the disk image ----
    def record(self):
        out = os.path.join(self.dir, "state.copy")
        if os.path.exists(out):
            os.unlink(out)
        subprocess.run(["debugfs", "-R", "dump -p /dualboot/state %s" % out,
                        "%s?offset=%d" % (self.disk, self.state)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not os.path.exists(out):
            return {"error": "no /dualboot/state on the state partition"}
        conf = os.path.join(self.dir, "empty.conf")
        open(conf, "w").close()
        r = subprocess.run([CTL, "--config", conf, "--state", out, "--marker",
                            os.path.join(self.dir, "no-marker"), "status", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return {"error": "dualbootctl status: rc %d: %s" % (r.returncode, r.stderr.strip())}
        return json.loads(r.stdout)

    # ---- one QEMU process ----
    def boot(self, label, cut_when=None, max_boots=12, warm=False):
        """Start QEMU; return (steps, how) where steps is a list of
        (step, {key: value}) in order and how is 'poweroff', 'cut' or
        'timeout'. cut_when: a regex on the serial output at which the
        power is cut (QEMU killed); an E2E-END ... action=hold also cuts.
        warm: the guest's reboots reset the machine inside one QEMU process
        (OVMF's warm reset); otherwise QEMU runs with -no-reboot and a guest
        that resets itself (systemctl reboot, FailureAction=reboot) is
        started again at once on the same disk and firmware variables, as a
        server's reset line would: a cold start, about a minute faster
        under TCG. Either way the reboot is the guest's own decision."""
        global forced_resets, power_cuts, power_cycles, run_interventions, cold_resets
        self.runs += 1
        self.hook_lines = []
        serial = os.path.join(self.dir, "serial-%02d-%s.log" % (self.runs, label))
        mon = os.path.join(self.dir, "monitor.sock")
        if os.path.exists(mon):
            os.unlink(mon)
        cmd = ["timeout", "-k", "10", str(QEMU_TIMEOUT), "qemu-system-x86_64",
               "-machine", "q35,accel=tcg", "-smp", SMP, "-m", MEM,
               "-nodefaults", "-display", "none", "-vga", "none", "-net", "none",
               "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
               "-drive", "if=pflash,format=raw,file=" + self.vars,
               "-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % self.disk,
               "-serial", "file:" + serial,
               "-monitor", "unix:%s,server,nowait" % mon]
        if not warm:
            cmd.append("-no-reboot")
        log("%s: QEMU run %d (%s)" % (self.name, self.runs, label))
        start = time.time()
        run_interventions = 0
        silent_resets = 0   # forced resets since the serial last spoke
        # its own process group: a power cut kills timeout and QEMU together
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        pos = 0
        buf = ""
        last_out = time.time()
        restarting_at = None
        steps = []
        cur = None
        how = None
        boot_start = start
        nboots = 1
        drained = False     # the serial read once more after QEMU exited
        while True:
            try:
                with open(serial, "rb") as f:
                    f.seek(pos)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            if data:
                pos += len(data)
                last_out = time.time()
                silent_resets = 0
                buf += data.decode("utf-8", "replace").replace("\r", "")
            while "\n" in buf:
                line, buf = buf.split("\n", 1)
                m = re.search(r"E2E-BEGIN (\S+)", line)
                if m:
                    cur = {"_step": m.group(1), "_wall_s": round(time.time() - boot_start, 1)}
                    steps.append((m.group(1), cur))
                    log("%s: boot %d: step %s begins (%.0f s after power-on/reset)"
                        % (self.name, nboots, m.group(1), time.time() - boot_start))
                m = re.search(r"E2E (\S+) (.*)$", line)
                if m and cur is not None and m.group(1) == cur["_step"]:
                    for kv in re.findall(r"(\w+)=(\S*)", m.group(2)):
                        cur.setdefault(kv[0], kv[1])
                m = re.search(r"E2E-END (\S+) action=(\w+)", line)
                if m:
                    log("%s: step %s ends: %s" % (self.name, m.group(1), m.group(2)))
                    if m.group(2) == "hold":
                        how = "cut"
                    elif m.group(2) == "reboot":
                        restarting_at = time.time()
                if "dualboot: boot slot" in line:
                    self.hook_lines.append(line.strip())
                if "E2E-IDLE" in line:
                    log("%s: plan exhausted" % self.name)
                if "reboot: Restarting system" in line:
                    restarting_at = time.time()
                if "e2e-grub:" in line and restarting_at is not None:
                    restarting_at = None
                    nboots += 1
                    boot_start = time.time()
                if cut_when and re.search(cut_when, line):
                    how = "cut"
                    log("%s: power cut at %r" % (self.name, line.strip()[:100]))
            if how == "cut":
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                power_cuts += 1
                break
            rc = p.poll()
            if rc is not None and not drained:
                drained = True      # read what the guest wrote last
                continue
            if rc is not None:
                drained = False
                if rc == 0 and not warm and restarting_at is not None:
                    # the guest reset itself (-no-reboot): start it again
                    cold_resets += 1
                    nboots += 1
                    serial = re.sub(r"(-boot\d+)?\.log$", "-boot%d.log" % nboots, serial)
                    cmd = [("file:" + serial) if a.startswith("file:") else a for a in cmd]
                    if os.path.exists(mon):
                        os.unlink(mon)
                    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
                    pos = 0
                    buf = ""
                    last_out = boot_start = time.time()
                    restarting_at = None
                    if nboots > max_boots:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait()
                        how = "too many boots"
                        break
                    continue
                how = "poweroff" if rc == 0 else "exit %d" % rc
                break
            quiet = time.time() - last_out
            if silent_resets >= MAX_RESETS and quiet > RESET_SILENCE:
                # system_reset did not bring it back: power-cycle, a
                # new QEMU process on the same disk and firmware variables
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                power_cycles += 1
                run_interventions += 1
                if power_cycles > MAX_POWER_CYCLES:
                    how = "hung"
                    break
                serial = serial[:-len(".log")] + "-cycle%d.log" % power_cycles
                cmd = [("file:" + serial) if a.startswith("file:") else a for a in cmd]
                if os.path.exists(mon):
                    os.unlink(mon)
                log("%s: still silent after %d forced resets: power cycle %d (QEMU started"
                    " again on the same disk, serial %s)"
                    % (self.name, silent_resets, power_cycles, os.path.basename(serial)))
                p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
                pos = 0
                last_out = time.time()
                silent_resets = 0
                if restarting_at is not None:
                    restarting_at = time.time()
            elif restarting_at is not None and time.time() - restarting_at > RESET_SILENCE \
                    and quiet > RESET_SILENCE:
                self.monitor(mon, "system_reset")
                forced_resets += 1
                run_interventions += 1
                silent_resets += 1
                log("%s: silent %.0f s after a reboot: system_reset (forced reset %d)"
                    % (self.name, quiet, forced_resets))
                restarting_at = time.time()
                last_out = time.time()
            elif quiet > BOOT_SILENCE:
                self.monitor(mon, "system_reset")
                forced_resets += 1
                run_interventions += 1
                silent_resets += 1
                log("%s: serial silent for %.0f s: system_reset (forced reset %d)"
                    % (self.name, quiet, forced_resets))
                last_out = time.time()
            if nboots > max_boots:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                how = "too many boots"
                break
            time.sleep(0.2)
        log("%s: QEMU run %d ended: %s after %.0f s" % (self.name, self.runs, how,
                                                         time.time() - start))
        return steps, how

    @staticmethod
    def monitor(path, command):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
            s.recv(4096)
            s.sendall((command + "\n").encode())
            time.sleep(0.5)
            s.close()
        except OSError as e:
            log("monitor %s failed: %s" % (command, e))


def status(kv):
    """sql_status = current_slot,role,stable,armed,tries_left,confirmed,seq,event"""
    f = kv.get("sql_status", "").split(",")
    keys = ["current_slot", "role", "stable", "armed", "tries_left", "confirmed", "seq", "event"]
    return dict(zip(keys, f + [""] * (len(keys) - len(f))))


def expect_steps(sc, steps, names):
    got = [s for s, _ in steps]
    ok(got == names, "%s: steps ran in order %s" % (sc, ",".join(names)),
       "got %s" % got)
    return dict(steps) if got == names else {s: kv for s, kv in steps}


def expect_record(sc, m, **want):
    r = m.record()
    if not ok("error" not in r, "%s: record read back from the disk image" % sc, r.get("error")):
        return r
    bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
    ok(not bad, "%s: record on disk: %s" % (sc, ", ".join("%s=%s" % kv for kv in want.items())),
       "differs (have, want): %s" % bad)
    return r


# ---------------------------------------------------------------- scenarios
def core(m):
    """first boot, trial + confirm, guarded migration, failback: one chain
    of three boots the guest drives itself."""
    plan = ["first_boot", "trial_on_b", "failback_on_a"]
    m.plan(plan)
    steps, how = m.boot("chain-trial-failback", warm=True)
    s = expect_steps("chain", steps, plan)
    ok(how == "poweroff", "chain: three boots driven by the guest, ended by its poweroff "
       "(harness resets or power cycles in between: %d)" % run_interventions, how)

    sc = "scenario first_boot"
    kv = s.get("first_boot", {})
    st = status(kv)
    ok(kv.get("slot") == "A" and kv.get("role") == "stable" and kv.get("trial") == "0",
       "%s: booted stable slot A (marker)" % sc, kv)
    ok(kv.get("pg") == "up" and kv.get("pg_unit") == "active",
       "%s: PostgreSQL answers (postgresql@15-main active)" % sc, kv)
    ok(st["current_slot"] == "A" and st["role"] == "stable" and st["stable"] == "A"
       and st["armed"] == "false", "%s: dualboot_status() says A, stable, no trial" % sc, st)
    ok(kv.get("migrate_001_last_login_rc") == "3" and '"sqlstate":"55000"' in kv.get("migrate_result", ""),
       "scenario migration_guarded: refused on stable A (55000, rolled back)", kv)
    ok(kv.get("arm") == "B,3", "%s: trial armed from SQL (next boot B, 3 tries)" % sc, kv)

    sc = "scenario trial_confirm"
    kv = s.get("trial_on_b", {})
    st = status(kv)
    ok(kv.get("slot") == "B" and kv.get("role") == "test" and kv.get("trial") == "1",
       "%s: the reboot came up on B, a trial boot" % sc, kv)
    ok(kv.get("root", "").endswith("vda4"), "%s: root is slot B's partition" % sc, kv.get("root"))
    ok(kv.get("confirm_result") == "success" and kv.get("confirm_active") == "active"
       and kv.get("confirm_log", "0") != "0", "%s: dualboot-confirm confirmed the boot" % sc, kv)
    ok(kv.get("confirm_before_boot_complete") == "yes",
       "%s: confirmed before boot-complete.target" % sc, kv)
    ok(st["confirmed"] == "true" and st["role"] == "test",
       "%s: dualboot_status() says confirmed" % sc, st)
    ok(kv.get("migrate_001_last_login_rc") == "0" and kv.get("has_last_login") == "0"
       and kv.get("columns_after") == "1",
       "scenario migration_guarded: applied on test slot B behind dualboot_require_test()", kv)
    ok(kv.get("app_v2_rc") == "0" and kv.get("logins") == "2",
       "%s: the psycopg2 app (v2) writes last_login on B" % sc, kv)
    ok(kv.get("failback") == "A", "%s: failback requested from SQL (next boot A)" % sc, kv)

    sc = "scenario failback"
    kv = s.get("failback_on_a", {})
    st = status(kv)
    ok(kv.get("slot") == "A" and kv.get("role") == "stable", "%s: back on A" % sc, kv)
    ok(kv.get("equal_to_before") == "yes",
       "%s: A's fingerprint and row checksum equal those before the trial" % sc, kv)
    ok(kv.get("has_last_login") == "0", "%s: no last_login column on A" % sc, kv)
    ok(st["armed"] == "false" and st["stable"] == "A", "%s: no trial armed, stable A" % sc, st)
    expect_record(sc, m, stable_slot="A", trial_armed=False, next_boot_slot="A",
                  last_boot_slot="A", last_trial_failed=False)
    for step, kv in steps:
        bench.append((step, kv))


def trial_boots(m, slot):
    """the hook's decisions in the serial logs of the last QEMU run that
    booted the test slot as a trial"""
    return [l for l in m.hook_lines if "dualboot: boot slot %s (test, trial)" % slot in l]


def what_happened(sc, kv, check, detail_part):
    """issue 17: the stable slot tells which check failed the last trial"""
    out = kv.get("outcome", "")
    ok(out.startswith("health_check_failed|check_%s_failed" % check) and detail_part in out,
       "%s: dualboot_status() on stable: last_trial_outcome health_check_failed, "
       "detail names the check %s" % (sc, check), out)
    ok(kv.get("metrics_outcome") == "outcome=health_check_failed,check=%s" % check
       and kv.get("metrics_failed") == "1",
       "%s: dualbootctl metrics (the timer's file) names the check" % sc, kv)
    ok(kv.get("journal_outcome") == "1" and kv.get("journal_outcome_check") == check
       and kv.get("journal_decision") == "1",
       "%s: the journal holds the outcome (MESSAGE_ID 38d40761..., DUALBOOT_CHECK) "
       "and the hook's decision (MESSAGE_ID 4731cb1a...)" % sc, kv)
    ok(("health_check_failed_%s_seq=" % check) in kv.get("notified", ""),
       "%s: notify_command ran with the outcome" % sc, kv.get("notified"))
    ok(kv.get("evidence_files") == "1" and kv.get("evidence_journal", "0") != "0",
       "%s: dualboot-trial-evidence wrote the evidence" % sc, kv)


def unhealthy_and_promote(m):
    """a trial whose PostgreSQL never comes up ends on A by itself:
    dualboot-confirm fails each trial boot after confirm_deadline= and the
    unit's FailureAction=reboot reboots; no harness action in between. Then
    a healthy trial is promoted and B stays stable across reboots."""
    plan = ["unhealthy_arm", "after_failed_trial"]
    m.plan(plan)
    steps, how = m.boot("unhealthy", max_boots=6)
    bench.extend(steps)
    sc = "scenario unhealthy_trial"
    s = expect_steps(sc, steps, plan)
    trials = trial_boots(m, "B")
    ok(how == "poweroff" and run_interventions == 0 and len(trials) == 2,
       "%s: two trial boots of B, each rebooted by the machine itself (FailureAction=reboot), "
       "then A; no harness reset, power cycle or cut (%d interventions)" % (sc, run_interventions),
       (how, trials))
    kv = s.get("unhealthy_arm", {})
    ok(kv.get("b_broken") == "yes" and kv.get("arm") == "B,2",
       "%s: B's PostgreSQL broken, trial armed with 2 tries" % sc, kv)
    kv = s.get("after_failed_trial", {})
    before_rows = kv.get("rows", "?")
    ok(kv.get("slot") == "A" and kv.get("role") == "stable" and kv.get("pg") == "up",
       "%s: the trial failed: the machine is on stable A" % sc, kv)
    what_happened(sc, kv, "postgresql", "not_accepting_connections_within_45s")
    ok(kv.get("watchdog") == "0",
       "%s: the watchdog drop-in, masked as documented (build.sh), is off "
       "(RuntimeWatchdogUSec %s)" % (sc, kv.get("watchdog")), kv)
    ok(kv.get("b_repaired") == "yes" and kv.get("arm") == "B,3",
       "scenario promotion: B repaired and refreshed from A (dualbootctl refresh), a new trial armed", kv)
    ok(kv.get("prov_b") == "known,A",
       "scenario promotion: the record holds B's provenance (a copy of A)", kv.get("prov_b"))

    plan = ["promote_on_b", "stays_b", "stays_b_again"]
    m.plan(plan)
    steps, how = m.boot("promote")
    bench.extend(steps)
    sc = "scenario promotion"
    s = expect_steps(sc, steps, plan)
    kv = s.get("promote_on_b", {})
    ok(kv.get("slot") == "B" and kv.get("trial") == "1" and kv.get("confirm_result") == "success",
       "%s: trial boot of B confirmed" % sc, kv)
    ok(kv.get("has_last_login") == "0" and kv.get("rows") == before_rows,
       "%s: B starts from A's data (refreshed: no last_login, A's rows)" % sc, kv)
    ok(kv.get("migrate_001_last_login_rc") == "0", "%s: migration applied on B" % sc, kv)
    ok(kv.get("stop_point") == "shutdown,analysed,0,True",
       "%s: A's shutdown recorded its stop point (dualboot-stop-point.service): no data "
       "written since B's copy, promotion allowed" % sc, kv.get("stop_point"))
    ok(kv.get("promote") == "B,stable",
       "%s: dualboot_promote() without the override: B is stable" % sc, kv)
    for name in ("stays_b", "stays_b_again"):
        kv = s.get(name, {})
        st = status(kv)
        ok(kv.get("slot") == "B" and kv.get("role") == "stable" and kv.get("trial") == "0"
           and st["stable"] == "B" and kv.get("has_last_login") == "1" and kv.get("pg") == "up",
           "%s: %s: B boots as stable, with the migrated schema" % (sc, name), kv)
    expect_record(sc, m, stable_slot="B", test_slot="A", trial_armed=False,
                  next_boot_slot="B", last_boot_slot="B")


def health_check(_m):
    """a trial whose application smoke test (/etc/dualboot/health.d/) fails:
    both trial boots of B fail it and reboot themselves; on stable A the
    outcome names the check (issue 17)."""
    m = Machine("health")
    plan = ["hc_arm", "hc_after"]
    m.plan(plan)
    steps, how = m.boot("health-check", max_boots=6)
    bench.extend(steps)
    sc = "scenario health_check_fails"
    s = expect_steps(sc, steps, plan)
    trials = trial_boots(m, "B")
    ok(how == "poweroff" and run_interventions == 0 and len(trials) == 2,
       "%s: two trial boots of B, each failed by its smoke test and rebooted by the machine "
       "itself, then A; no harness action (%d interventions)" % (sc, run_interventions),
       (how, trials))
    kv = s.get("hc_arm", {})
    ok(kv.get("b_checks") == "yes" and kv.get("arm") == "B,2",
       "%s: B has a passing SQL check and a failing smoke test; trial armed, 2 tries" % sc, kv)
    kv = s.get("hc_after", {})
    ok(kv.get("slot") == "A" and kv.get("role") == "stable" and kv.get("pg") == "up",
       "%s: the machine is on stable A" % sc, kv)
    what_happened(sc, kv, "50-smoke", "the_orders_page_answers_500")
    expect_record(sc, m, stable_slot="A", trial_armed=False, next_boot_slot="A",
                  last_boot_slot="A", last_trial_outcome="health_check_failed")


def enrol():
    """test/e2e/build.sh: make the two firmware entries (set-up (a)) in a
    boot of the (b) disk; keep the variable store as build/e2e/vars-fw.fd
    and print the efi_a=/efi_b= lines."""
    m = Machine("enrol")
    m.plan(["efi_enrol"])
    steps, how = m.boot("efi-enrol")
    kv = dict(steps).get("efi_enrol", {})
    if how != "poweroff" or "efi_a" not in kv or "efi_b" not in kv:
        log("enrolment failed: %s %s" % (how, kv))
        return 1
    shutil.copy(m.vars, os.path.join(W, "vars-fw.fd"))
    log("firmware entries: efi_a=%s efi_b=%s BootOrder %s" % (kv["efi_a"], kv["efi_b"],
                                                              kv.get("bootorder")))
    print("efi_a=%s\nefi_b=%s" % (kv["efi_a"], kv["efi_b"]))
    return 0


def firmware_kernel(_m):
    """set-up (a): one UEFI entry per slot (own GRUB image, own kernel and
    initramfs), BootNext for the trial; a kernel upgrade installed on the
    test slot boots there and never on stable."""
    m = Machine("fw", disk="disk-fw.img", nvram=os.path.join(W, "vars-fw.fd"))
    plan = ["fw_first", "fw_trial_b_upgrade", "fw_b_new_kernel", "fw_a_old_kernel"]
    m.plan(plan)
    steps, how = m.boot("firmware-chain", max_boots=6)
    s = expect_steps("scenario firmware_mode", steps, plan)
    ok(how == "poweroff", "scenario firmware_mode: four boots driven by the guest", how)
    info = {}
    for _, kv in steps:
        for k in ("efi_a", "efi_b"):
            if kv.get(k):
                info[k] = kv[k]
    ea, eb = info.get("efi_a", "?"), info.get("efi_b", "?")
    sc = "scenario firmware_mode"
    kv = s.get("fw_first", {})
    ok(kv.get("slot") == "A" and kv.get("role") == "stable" and kv.get("bootcurrent") == ea,
       "%s: first boot through slot A's UEFI entry (Boot%s) on A" % (sc, ea), kv)
    old = kv.get("kernel", "")
    ok(kv.get("arm") == "B,3" and kv.get("bootnext") == eb,
       "%s: trial armed from SQL: efi sync (path unit) set BootNext to B's entry" % sc, kv)
    kv = s.get("fw_trial_b_upgrade", {})
    ok(kv.get("slot") == "B" and kv.get("trial") == "1" and kv.get("bootcurrent") == eb
       and kv.get("kernel") == old and kv.get("confirm_result") == "success",
       "%s: BootNext booted B's entry, B's kernel, trial confirmed" % sc, kv)
    sc = "scenario kernel_upgrade_test_slot"
    new = kv.get("entry_b_after", "")
    ok(kv.get("dpkg_rc") == "0" and new and new != old,
       "%s: a newer kernel installed on B (%s -> %s); the kernel hook moved B's entry" % (sc, old, new), kv)
    ok(kv.get("entry_a_after") == old, "%s: stable A's entry still names %s" % (sc, old), kv)
    kv = s.get("fw_b_new_kernel", {})
    ok(kv.get("slot") == "B" and kv.get("bootcurrent") == eb and kv.get("kernel") == new
       and kv.get("pg") == "up", "%s: B boots the new kernel %s through its own entry" % (sc, new), kv)
    ok(kv.get("failback") == "A", "%s: failback from SQL" % sc, kv)
    kv = s.get("fw_a_old_kernel", {})
    ok(kv.get("slot") == "A" and kv.get("bootcurrent") == ea and kv.get("kernel") == old
       and kv.get("pg") == "up", "%s: stable A boots its own kernel %s, never %s" % (sc, old, new), kv)
    expect_record(sc, m, stable_slot="A", trial_armed=False, next_boot_slot="A", last_boot_slot="A")
    for step, kv in steps:
        bench.append((step, kv))


def power_cut_scenarios(m):
    """QEMU killed in a trial boot (right after the hook's decision) and
    while the record is being written (a loop of dualbootctl writes)."""
    sc = "scenario power_cut_boot"
    plan = ["pc_arm", "pc_after_boot_cut", "pc_back_b", "pc_write_loop", "pc_after_write_cut"]
    m.plan(plan)
    before = m.record()
    steps, how = m.boot("powercut-in-boot", cut_when=r"dualboot: boot slot A \(test, trial\)")
    kv = dict(steps).get("pc_arm", {})
    ok(kv.get("slot") == "B" and kv.get("role") == "stable" and kv.get("arm") == "A,3" and how == "cut",
       "%s: on stable B, a trial of A armed; power cut right after the hook chose A" % sc, (kv, how))
    r = expect_record(sc, m, stable_slot="B", trial_armed=True, tries_left=2, last_boot_slot="A")
    steps, how = m.boot("after-boot-cut", cut_when=r"E2E pc_write_loop n=25\b")
    s = {k: v for k, v in steps}
    kv = s.get("pc_after_boot_cut", {})
    ok(kv.get("slot") == "A" and kv.get("trial") == "1" and "1_of_3_tries_left" in kv.get("decision_why", ""),
       "%s: the next boot is the trial of A again, one more try used (1 of 3 left)" % sc, kv)
    ok(kv.get("promote_stale", "").split(",")[0] == "55000" and kv.get("promote_stale", ",0").split(",")[1] != "0",
       "%s: promoting A (never refreshed from stable B) is refused: 55000, provenance unknown" % sc,
       kv.get("promote_stale"))
    ok(kv.get("pg") == "up" and kv.get("failback") == "B", "%s: PostgreSQL up on A, failback to B" % sc, kv)
    kv = s.get("pc_back_b", {})
    ok(kv.get("slot") == "B" and kv.get("role") == "stable", "%s: back on stable B" % sc, kv)
    sc = "scenario power_cut_record_write"
    kv = s.get("pc_write_loop", {})
    ok(how == "cut" and "write_error" not in kv,
       "%s: power cut while dualbootctl rewrites the record (after 25 rounds)" % sc, (how, kv))
    r = m.record()
    ok("error" not in r and r.get("seq", 0) > before.get("seq", 0) + 50 and r.get("stable_slot") == "B",
       "%s: the record on disk is readable afterwards, stable B, seq %s" % (sc, r.get("seq")), r)
    nxt = r.get("next_boot_slot")
    steps, how = m.boot("after-write-cut")
    kv = dict(steps).get("pc_after_write_cut", {})
    ok(kv.get("slot") == nxt and kv.get("pg") == "up" and how == "poweroff",
       "%s: the next boot follows the record (%s) and PostgreSQL answers" % (sc, nxt), (kv, how))
    expect_record(sc, m, stable_slot="B", trial_armed=False, next_boot_slot="B")


def bench_boots(_m):
    """boot time per slot with and without dualboot (figures, no assertion
    on them): single boots from power-on, set-up (b)'s kernel; without
    dualboot = an initramfs built without the hook and root=UUID=."""
    m = Machine("bench")
    info = dict(kv.split("=") for kv in m.esp_read("/e2e/build-info").split())
    for label, cfg in [
            ("A_with_dualboot", None),
            ("A_without_dualboot", "linux /dualboot/vmlinuz root=UUID=%s ro console=ttyS0,115200 panic=-1 quiet\n"
             "initrd /dualboot/initrd-plain.img\nboot\n" % info["UUID_A"]),
            ("B_without_dualboot", "linux /dualboot/vmlinuz root=UUID=%s ro console=ttyS0,115200 panic=-1 quiet\n"
             "initrd /dualboot/initrd-plain.img\nboot\n" % info["UUID_B"])]:
        if cfg:
            m.esp_write("/dualboot/shared.cfg", cfg)
        m.plan(["bench_boot"])
        steps, how = m.boot("bench-" + label)
        kv = dict(steps).get("bench_boot", {})
        want = label[0]
        ok(how == "poweroff" and kv.get("pg") == "up" and
           (kv.get("slot") == want if "with_" in label else kv.get("slot") == ""),
           "scenario bench: %s boots (PostgreSQL up; %s)" % (label, "marker slot " + want if "with_" in label
                                                             else "no dualboot marker"), kv)
        bench.append(("bench_" + label, kv))


SCENARIOS = [("core", core), ("unhealthy_and_promote", unhealthy_and_promote),
             ("health_check", health_check),
             ("firmware_kernel", firmware_kernel), ("power_cuts", power_cut_scenarios),
             ("bench", bench_boots)]


def write_bench(path):
    """figures of every boot the scenarios made (no assertion on them)"""
    import platform
    lines = ["# make e2e: boot figures (test/e2e/harness.py), %s UTC" % time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
             "# machine: %s, %d cores, QEMU TCG -smp %s -m %s, OVMF + GRUB; load average at the end: %s"
             % (platform.node() and "build host", os.cpu_count(), SMP, MEM, open("/proc/loadavg").read().strip()),
             "# one run of each boot; wall_s = QEMU start (for a warm reboot inside one QEMU process: the",
             "# GRUB line) to the e2e step starting (after boot-complete.target), from the harness's",
             "# clock; t_* = the guest's monotonic clock",
             "# (seconds since the kernel started) when postgresql@15-main became active and when",
             "# dualboot-confirm finished; confirm_after_pg_s = the difference (trial boots only)",
             "%-26s %-5s %-6s %-6s %7s %9s %11s %9s" % ("step", "slot", "role", "trial", "wall_s", "t_pg_s",
                                                    "t_confirm_s", "confirm_after_pg_s")]
    for step, kv in bench:
        def sec(k):
            try:
                v = int(kv.get(k, "") or 0)
                return v / 1e6 if v else None
            except ValueError:
                return None
        pg, cf = sec("t_pg_ready_us"), sec("t_confirmed_us")
        d = "%.1f" % (cf - pg) if kv.get("trial") == "1" and pg and cf else "-"
        lines.append("%-26s %-5s %-6s %-6s %7s %9s %11s %9s" % (
            step, kv.get("slot") or "-", kv.get("role") or "-", kv.get("trial") or "-",
            kv.get("_wall_s", "-"), "%.1f" % pg if pg else "-", "%.1f" % cf if cf else "-", d))
    lines.append("# forced resets: %d, power cycles: %d, power cuts: %d, guest resets served by a"
                 " QEMU restart: %d" % (forced_resets, power_cycles, power_cuts, cold_resets))
    with open(os.path.join(ROOT, path), "w") as f:
        f.write("\n".join(lines) + "\n")
    log("figures written to %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--bench")
    ap.add_argument("--enrol", action="store_true")
    args = ap.parse_args()
    if args.enrol:
        os.makedirs(RUN, exist_ok=True)
        return enrol()
    only = [s for s in args.only.split(",") if s]
    os.makedirs(RUN, exist_ok=True)
    log("load before: %s" % open("/proc/loadavg").read().strip())
    m = None
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        log("=== scenario group %s ===" % name)
        if m is None and name not in ("firmware_kernel", "bench", "health_check"):
            m = Machine("main")   # core, unhealthy_and_promote, power_cuts: one machine, in order
        fn(m)
    if args.bench and bench:
        write_bench(args.bench)
    log("forced resets: %d, power cuts: %d, load after: %s"
        % (forced_resets, power_cuts, open("/proc/loadavg").read().strip()))
    print("# forced resets (system_reset after silence): %d" % forced_resets)
    print("# power cycles (QEMU restarted after silence through resets): %d" % power_cycles)
    print("# power cuts (QEMU killed by the harness): %d" % power_cuts)
    print("# guest reboots served by starting QEMU again (-no-reboot): %d" % cold_resets)
    print("1..%d" % ntest)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
