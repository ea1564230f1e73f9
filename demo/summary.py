#!/usr/bin/env python3
"""demo/summary.py - the demo's summary: a table for people, JSON for tests.

    summary.py --steps FILE --checks FILE --out-dir DIR [--history FILE]
               [--meta KEY=VALUE ...]

Reads the steps probe.py appended (one JSON object a line) and the checks
run.sh passed or failed, writes DIR/summary.txt and DIR/summary.json, and
prints the table.

summary.json (format 1):
  result                 "ok" or "failed"; error: the failure message or ""
  workdir, machine, port, dualbootctl, boots, elapsed_seconds
  baseline_fingerprint   stable's schema fingerprint at set-up; users_rows
  steps[]                one object per step, in order: label, scenario (the
                         part, "1".."6"), boot (number of the boot it ran in),
                         booted_slot, booted_role, came_up; the record as
                         `dualbootctl status --json` gives it (the columns of
                         dualboot_status(): current_slot ... updated_at); and,
                         when PostgreSQL answered: sql_current_slot,
                         sql_current_role (dualboot_status() on the server),
                         fingerprint, users, users_md5, columns, last_logins
  stable_fingerprints    the distinct fingerprints seen on the first stable
                         slot while it was stable; stable_fingerprint_identical
  checks[]               name, ok, detail of every check the demo made
  checks_passed, checks_failed
  history                `dualbootctl history --json` at the end (or null)
"""
import argparse
import json
import os


def load_lines(path):
    rows = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
    return rows


def short(fp):
    """The first 12 hex digits of a fingerprint (after any 'algo:' prefix)."""
    if not fp:
        return "-"
    return fp.rsplit(":", 1)[-1][:12]


def cell(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def table(steps):
    head = ("#", "step", "boot", "slot", "role", "up", "stable", "armed", "tries",
            "seq", "last event", "fingerprint", "users")
    rows = [head]
    for i, s in enumerate(steps, 1):
        rows.append((
            str(i), s.get("label", ""), cell(s.get("boot")), cell(s.get("booted_slot")),
            cell(s.get("booted_role")), cell(s.get("came_up")), cell(s.get("stable_slot")),
            cell(s.get("trial_armed")),
            "%s/%s" % (cell(s.get("tries_left")), cell(s.get("tries_total"))),
            cell(s.get("seq")), cell(s.get("last_event")), short(s.get("fingerprint")),
            cell(s.get("users"))))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(v.ljust(widths[c]) for c, v in enumerate(r)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", required=True)
    ap.add_argument("--checks", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--history", help="`dualbootctl history --json` output, when there is one")
    ap.add_argument("--meta", action="append", default=[],
                    help="KEY=VALUE added to the JSON (integers kept as numbers)")
    args = ap.parse_args()

    steps = load_lines(args.steps)
    checks = load_lines(args.checks)
    summary = {"format": 1}
    for kv in args.meta:
        k, _, v = kv.partition("=")
        summary[k] = int(v) if v.isdigit() else v
    summary["steps"] = steps
    summary["history"] = None
    if args.history and os.path.exists(args.history):
        with open(args.history) as f:
            summary["history"] = json.load(f)
    # stable's fingerprint at every observation of the stable slot, until the
    # promotion makes another slot stable
    first = next((x for x in steps if x.get("booted_role") == "stable"), None)
    seen = [x for x in steps if first and x.get("booted_role") == "stable"
            and x.get("booted_slot") == first.get("booted_slot") and x.get("fingerprint")]
    summary["stable_fingerprints"] = sorted({x["fingerprint"] for x in seen})
    summary["stable_fingerprint_identical"] = len(summary["stable_fingerprints"]) == 1
    summary["checks"] = checks
    summary["checks_passed"] = sum(1 for c in checks if c.get("ok"))
    summary["checks_failed"] = sum(1 for c in checks if not c.get("ok"))

    text = [table(steps), ""]
    text.append("fingerprint: dualboot_schema_fingerprint() of database app on the booted slot"
                " (row 'restore_drill': of that database), first 12 hex digits")
    if seen:
        text.append("stable slot %s's fingerprint at each of its %d observations (rows %s): %s"
                    % (first["booted_slot"], len(seen),
                       ", ".join(str(steps.index(x) + 1) for x in seen),
                       "identical, " + short(seen[0]["fingerprint"])
                       if summary["stable_fingerprint_identical"] else
                       "DIFFERENT: " + ", ".join(short(f) for f in summary["stable_fingerprints"])))
    text.append("checks: %d passed, %d failed" % (summary["checks_passed"],
                                                   summary["checks_failed"]))
    for c in checks:
        text.append("  %s %s%s" % ("ok  " if c.get("ok") else "FAIL", c["name"],
                                  (": " + c["detail"]) if c.get("detail") else ""))
    text = "\n".join(text) + "\n"

    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "summary.json.tmp"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(os.path.join(args.out_dir, "summary.json.tmp"),
               os.path.join(args.out_dir, "summary.json"))
    with open(os.path.join(args.out_dir, "summary.txt"), "w") as f:
        f.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
