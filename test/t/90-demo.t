#!/usr/bin/env python3
"""90-demo.t - `make demo` as an end-to-end test (issue 6).

Stages the installation (`make install DESTDIR=...`: extension, dualbootctl,
dualboot-confirm, selector; the system's installation is not touched), runs
demo/run.sh --destdir on it in its own working folder, and checks its
machine-readable summary (summary.json) against the life cycle of DESIGN
section 2: stable's fingerprint and rows identical before and after every
experiment on the test slot, the broken migration leaving the record
unchanged, unconfirmed boots consuming the tries down to the fallback, the
roles swapped after promotion. It then checks the record left behind with
dualbootctl, that nothing is left running, that a second run works
(idempotent) and that a failure stops the demo with status 1 and cleans up.

TAP on stdout; exit status 1 when any test failed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys

TOP = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# its own folder, so that two runs of the suite at once do not meet; kept
# for inspection when a test failed
WORK = os.path.join(TOP, "build", "demo-test.%d" % os.getpid())
STAGE = WORK + ".stage"
LOG = WORK + ".log"

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name), flush=True)
    if not cond:
        failed += 1
        if diag:
            for line in str(diag).splitlines():
                print("#   " + line, file=sys.stderr)
        sys.stderr.flush()
    return cond


def is_(got, want, name):
    return ok(got == want, name, "got:      %r\nexpected: %r" % (got, want))


def finish():
    print("1..%d" % n)
    if failed:
        print("# the demo's output: %s; its working folder: %s" % (LOG, WORK), file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.rmtree(STAGE, ignore_errors=True)
    os.unlink(LOG)
    sys.exit(0)


def run_demo(*args):
    p = subprocess.run([os.path.join(TOP, "demo", "run.sh"), "--workdir", WORK,
                        "--destdir", STAGE] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    with open(LOG, "a") as f:
        f.write("==== demo/run.sh %s: exit %d\n%s\n---- stderr\n%s\n"
                % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def load_summary():
    with open(os.path.join(WORK, "summary.json")) as f:
        return json.load(f)


def port_open(port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", int(port)))
        return True
    except OSError:
        return False
    finally:
        s.close()


def left_running(summary):
    """Data folders of the machine that still have a postmaster.pid."""
    machine = summary.get("machine") or ""
    left = []
    for slot in ("A", "B"):
        pid = os.path.join(machine, "slot-" + slot, "data", "postmaster.pid")
        if machine and os.path.exists(pid):
            left.append(pid)
    return left


def check_run(s, label):
    """The life cycle, read from one run's summary. Returns the steps."""
    steps = s["steps"]
    base = s["baseline_fingerprint"]
    rows = s["users_rows"]
    is_(s["result"], "ok", label + ": result ok")
    is_(s["checks_failed"], 0, label + ": no check of the demo failed")
    ok(s["checks_passed"] >= 30, label + ": the demo passed its own checks (%d)" % s["checks_passed"])
    ok(isinstance(base, str) and len(base) >= 64, label + ": a baseline fingerprint was measured",
       base)
    ok(isinstance(rows, int) and rows > 0, label + ": users has rows", rows)

    # stable is never touched by an experiment on the test slot
    on_a_stable = [x for x in steps if x["booted_slot"] == "A" and x["booted_role"] == "stable"
                   and x["came_up"]]
    ok(len(on_a_stable) >= 6, label + ": stable slot A observed at least 6 times",
       len(on_a_stable))
    app_on_a = on_a_stable
    is_(sorted({x["fingerprint"] for x in app_on_a}), [base],
        label + ": stable's fingerprint identical at every observation of slot A")
    is_(sorted({(x["users"], x["users_md5"]) for x in app_on_a}),
        [(rows, app_on_a[0]["users_md5"])],
        label + ": stable's rows identical (count and checksum) at every observation")
    ok(all("last_login" not in x["columns"] for x in app_on_a),
       label + ": stable never gets the migrated column")
    seqs = [x["seq"] for x in steps]
    is_(seqs, sorted(seqs), label + ": the record's sequence never goes back")

    # the test slot's experiments
    mig = [x for x in steps if x["label"].startswith("scenario 1: migration 001 applied")]
    ok(len(mig) == 1 and mig[0]["booted_slot"] == "B" and mig[0]["booted_role"] == "test"
       and "last_login" in mig[0]["columns"] and mig[0]["fingerprint"] != base,
       label + ": migration 001 ran on test B and changed its fingerprint", mig)
    refused = [x for x in steps if x["label"].startswith("scenario 1: migration refused")]
    ok(len(refused) == 1 and refused[0]["booted_slot"] == "A"
       and refused[0]["fingerprint"] == base and "last_login" not in refused[0]["columns"],
       label + ": the migration is refused on stable A", refused)
    i = next(k for k, x in enumerate(steps) if x["label"].startswith("scenario 1: broken"))
    before, after = steps[i - 1], steps[i]
    is_((after["seq"], after["stable_slot"], after["fingerprint"], after["columns"]),
        (before["seq"], "A", before["fingerprint"], before["columns"]),
        label + ": the broken migration changed neither the record nor the schema")
    app = [x for x in steps if x["label"].startswith("scenario 2")]
    ok(len(app) == 1 and app[0]["booted_slot"] == "B" and app[0]["last_logins"] == 3,
       label + ": the new application code recorded 3 logins on B", app)
    drill = [x for x in steps if x["label"].startswith("scenario 3")]
    ok(len(drill) == 1 and drill[0]["booted_slot"] == "B" and drill[0]["fingerprint"] == base
       and drill[0]["users"] == rows,
       label + ": the restore drill on B has stable's fingerprint and rows", drill)

    # the guards of code that is not SQL (issue 16): dualbootctl require-test
    # refuses the SQLite app's upgrade and the restore drill on stable, lets
    # them run on the test slot, and stable's SQLite file stays as it was
    checks = {c["name"]: c for c in s.get("checks", [])}
    for name, what in (("sqlite_refused", "the SQLite app's upgrade is refused on stable"),
                       ("sqlite_untouched", "... its file on stable is unchanged"),
                       ("drill_refused", "the restore drill is refused on stable"),
                       ("drill_nothing", "... no restore_drill database on stable"),
                       ("sqlite_upgraded", "the SQLite upgrade runs on the test slot"),
                       ("drill_ran", "the guarded restore drill runs on the test slot"),
                       ("fallback_sqlite", "stable's SQLite file is untouched after the trial"),
                       ("billing_on_stable", "require-stable (CLI and SQL) passes on stable"),
                       ("billing_refused", "dualbootctl require-stable refuses on the test slot"),
                       ("billing_sql_refused", "dualboot_require_stable() ends the session on test")):
        ok(name in checks and checks[name].get("ok") is True, label + ": " + what,
           checks.get(name))

    # unconfirmed boots consume the tries, then stable boots by itself
    bad = [x for x in steps if not x["came_up"]]
    is_([(x["booted_slot"], x["booted_role"], x["tries_left"], x["confirmed"]) for x in bad],
        [("B", "test", 2, False), ("B", "test", 1, False), ("B", "test", 0, False)],
        label + ": three unconfirmed trial boots of B consumed the tries 2, 1, 0")
    boots = [x["boot"] for x in bad]
    is_(boots, list(range(boots[0], boots[0] + 3)) if boots else [],
        label + ": the unhealthy boots are consecutive")
    j = steps.index(bad[-1]) + 1 if bad else 0
    fb = steps[j] if bad and j < len(steps) else {}
    is_((fb.get("boot"), fb.get("booted_slot"), fb.get("booted_role"), fb.get("last_event"),
         fb.get("trial_armed"), fb.get("fingerprint")),
        (boots[-1] + 1 if boots else None, "A", "stable", "failback", False, base),
        label + ": the next boot lands on stable A, trial ended on its last try by "
        "dualboot-confirm (a failback naming the failed check)")

    # failback from SQL, then promotion
    fbk = [x for x in steps if x["label"].startswith("failback requested")]
    ok(len(fbk) == 1 and fbk[0]["booted_slot"] == "B" and fbk[0]["next_boot_slot"] == "A"
       and fbk[0]["last_event"] == "failback",
       label + ": failback requested from SQL on B points the next boot at A", fbk)
    k = steps.index(fbk[0]) + 1 if fbk else 0
    ok(bool(fbk) and steps[k]["booted_slot"] == "A" and steps[k]["booted_role"] == "stable"
       and steps[k]["boot"] == fbk[0]["boot"] + 1,
       label + ": the boot after the failback is stable A")
    reh = [x for x in steps if x["label"].startswith("rehearsal:")]
    ok(len(reh) == 1 and reh[0]["booted_slot"] == "B" and reh[0]["last_event"] == "record_fingerprint",
       label + ": the rehearsal on B recorded its fingerprint", reh)
    ref = [x for x in steps if x["label"].startswith("promote refused")]
    i = steps.index(ref[0]) if ref else 0
    ok(len(ref) == 1 and ref[0]["seq"] == steps[i - 1]["seq"] and ref[0]["stable_slot"] == "A"
       and bool(reh) and ref[0]["fingerprint"] != reh[0]["fingerprint"],
       label + ": a promotion expecting the rehearsed schema is refused once 003 changed it,"
       " record unchanged", ref)
    # the end of scenario 6 (scenario 7, issue 15, follows it)
    last = next((x for x in steps if x["label"] == "B is stable, A is the test slot"), steps[-1])
    is_((last["booted_slot"], last["booted_role"], last["stable_slot"], last["test_slot"],
         last["sql_current_slot"], last["sql_current_role"], last["came_up"]),
        ("B", "stable", "B", "A", "B", "stable", True),
        label + ": after promotion B boots as stable and A is the test slot")
    promoted = [x for x in steps if x["label"] == "B promoted"]
    ok(len(promoted) == 1 and promoted[0]["last_event"] == "promote"
       and last["fingerprint"] == promoted[0]["fingerprint"] != base
       and "last_login" in last["columns"] and last["users"] == rows,
       label + ": the new stable runs the promoted schema with every row", promoted)
    is_(steps[-1]["boot_count"], s["boots"], label + ": the record counted every boot")
    # a trial never costs data (issue 15, scenario 7)
    for name, what in (("boot_a_trial", "after a refresh of A from B, the trial boots A"),
                       ("stale_copy_refused", "promoting the copy that misses stable's write "
                        "is refused (55000, the table named)"),
                       ("stale_copy_no_change", "... the record unchanged"),
                       ("back_on_b", "failback lands on stable B"),
                       ("replayed", "the rehearsal replayed on stable commits its result, "
                        "stable's write kept"),
                       ("replay_once", "a second replay is refused")):
        ok(name in checks and checks[name].get("ok") is True, label + ": " + what,
           checks.get(name))
    hist = s.get("history") or []
    ok(len(hist) > 0 and hist[0]["event"] == "promote" and hist[0]["actor"] == "postgres"
       and bool(promoted) and hist[0]["seq"] == promoted[0]["seq"],
       label + ": the history's newest entry is the promotion made from SQL", hist[:1])
    ok(any(h["event"] == "failback" and h["actor"] == "postgres" and h["slot"] == "A"
           for h in hist), label + ": the history keeps the failback requested from SQL")
    return steps


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP the demo runs as root (clusters as postgres, the selector as root)")
        return 0
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    open(LOG, "w").close()

    shutil.rmtree(STAGE, ignore_errors=True)
    p = subprocess.run(["make", "-s", "-C", TOP, "install", "DESTDIR=" + STAGE],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if not ok(p.returncode == 0, "make install DESTDIR=<stage> (what the demo runs)",
              p.stdout + p.stderr):
        finish()

    # ---- first run ----
    p = run_demo()
    if not ok(p.returncode == 0, "demo/run.sh exits 0", p.stderr[-3000:]):
        finish()
    ok("\x1b[" not in p.stdout + p.stderr, "no colour when the output is not a terminal")
    for title in ("Set-up", "Scenario 1", "Scenario 2", "Scenario 3",
                  "never comes up healthy", "Failback", "A trial never costs data", "Summary"):
        ok(title in p.stdout, "the narration has the part '%s'" % title)
    s1 = load_summary()
    with open(os.path.join(WORK, "summary.txt")) as f:
        txt = f.read()
    ok(len(s1["steps"]) > 10 and all(x["label"] in txt for x in s1["steps"]),
       "summary.txt has a row for every step of summary.json")
    try:
        steps1 = check_run(s1, "run 1")
    except (KeyError, IndexError, TypeError, StopIteration) as e:
        ok(False, "run 1: the summary has the expected shape", "%s: %s" % (type(e).__name__, e))
        finish()

    # the record left behind, read back by dualbootctl
    ctl = s1["dualbootctl"]
    st = subprocess.run([ctl, "--config", "/dev/null", "--state", os.path.join(WORK, "state"),
                         "status", "--json"],
                        capture_output=True, text=True)
    ok(st.returncode == 0, "dualbootctl status --json reads the final record", st.stderr)
    rec = json.loads(st.stdout) if st.returncode == 0 else {}
    is_((rec.get("stable_slot"), rec.get("test_slot"), rec.get("trial_armed"), rec.get("seq")),
        ("B", "A", False, steps1[-1]["seq"]),
        "the final record: B stable, A test, nothing armed, same sequence as the summary")

    # nothing left behind
    is_(left_running(s1), [], "no cluster left running after the demo")
    ok(not port_open(s1["port"]), "nothing listens on the demo's port any more")
    ok(not os.path.exists(s1["machine"]), "the clusters were removed", s1["machine"])

    # ---- second run: idempotent, same fingerprints ----
    p = run_demo()
    ok(p.returncode == 0, "a second run exits 0 (idempotent)", p.stderr[-3000:])
    if p.returncode == 0:
        s2 = load_summary()
        is_(s2["result"], "ok", "run 2: result ok")
        is_(s2["baseline_fingerprint"], s1["baseline_fingerprint"],
            "run 2: the same schema gives the same fingerprint in a new cluster")
        is_(s2["steps"][-1]["fingerprint"], steps1[-1]["fingerprint"],
            "run 2: the same promoted fingerprint")
        is_([x["label"] for x in s2["steps"]], [x["label"] for x in steps1],
            "run 2: the same steps")
        is_(left_running(s2), [], "run 2: no cluster left running")

    # ---- a failure stops the demo with status 1 and cleans up ----
    p = run_demo("--fail-at", "5")
    is_(p.returncode, 1, "a failure makes the demo exit with status 1")
    ok("demo FAILED: stopped at scenario 5" in p.stderr,
       "the failure is stated clearly on stderr", p.stderr[-2000:])
    s3 = load_summary()
    is_(s3["result"], "failed", "the summary of the failed run says so")
    ok(len(s3["steps"]) > 0 and s3["steps"][-1]["booted_slot"] == "B" and s3["steps"][-1]["came_up"],
       "the failure came while slot B was running")
    is_(left_running(s3), [], "the failed run left no cluster running")
    ok(not port_open(s3["port"]), "the failed run left nothing listening")
    ok(not os.path.exists(s3["machine"]), "the failed run removed its clusters")
    finish()


if __name__ == "__main__":
    main()
