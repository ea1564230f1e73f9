#!/usr/bin/env python3
"""demo/probe.py - what the demo observes after each step.

    probe.py [--db NAME] [--steps FILE --label TEXT ...]

Reads the boot state record with `dualbootctl status --json` (always: the
record is on the shared partition, whichever slot runs) and, when the
booted slot's PostgreSQL answers, the database: dualboot_status() as the
server sees it, the schema fingerprint, the `users` row count, a checksum of
its rows and its columns.

Prints the facts as shell assignments (P_SEQ=12, ...; values quoted for the
shell) for demo/run.sh, and with --steps appends them as one JSON line (a
row of the summary). Environment: DEMO_CTL (dualbootctl), DEMO_STATE (the
record), DEMO_MARKER (the boot marker), and the libpq variables.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import psycopg2

STATUS_KEYS = ("current_slot", "current_role", "stable_slot", "test_slot",
               "next_boot_slot", "trial_armed", "tries_left", "tries_total",
               "confirmed", "boot_count", "seq", "last_event", "last_actor",
               "last_reason", "updated_at")


def record_status():
    cmd = [os.environ["DEMO_CTL"], "--state", os.environ["DEMO_STATE"],
           "status", "--json"]
    if os.environ.get("DEMO_MARKER"):
        cmd[3:3] = ["--marker", os.environ["DEMO_MARKER"]]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("probe.py: %s failed (exit %d): %s"
                         % (" ".join(cmd), p.returncode, p.stderr.strip()))
    st = json.loads(p.stdout)
    missing = [k for k in STATUS_KEYS if k not in st]
    if missing:
        raise SystemExit("probe.py: dualbootctl status --json lacks %s" % ", ".join(missing))
    return st


def database_facts(dbname):
    """None when the server does not answer."""
    try:
        conn = psycopg2.connect(dbname=dbname, application_name="demo probe",
                                connect_timeout=5)
    except psycopg2.OperationalError:
        return None
    try:
        with conn, conn.cursor() as cur:
            # current_role is also an SQL keyword (the CURRENT_ROLE function): quote it
            cur.execute('SELECT s.current_slot, s."current_role" FROM dualboot_status() s')
            slot, role = cur.fetchone()
            cur.execute("SELECT dualboot_schema_fingerprint()")
            fprint = cur.fetchone()[0]
            cur.execute("SELECT count(*), md5(coalesce(string_agg(u::text, ',' ORDER BY id), ''))"
                        " FROM users u")
            users, users_md5 = cur.fetchone()
            cur.execute("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute"
                        " WHERE attrelid = 'users'::regclass AND attnum > 0"
                        " AND NOT attisdropped")
            columns = cur.fetchone()[0].split(",")
            logins = None
            if "last_login" in columns:
                cur.execute("SELECT count(last_login) FROM users")
                logins = cur.fetchone()[0]
        return {"sql_current_slot": slot, "sql_current_role": role,
                "fingerprint": fprint, "users": users, "users_md5": users_md5,
                "columns": columns, "last_logins": logins}
    finally:
        conn.close()


def shell_value(v):
    if isinstance(v, bool):
        return "t" if v else "f"
    if v is None:
        return ""
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="app")
    ap.add_argument("--steps", help="append this step as a JSON line to FILE")
    ap.add_argument("--label", default="")
    ap.add_argument("--scenario", default="")
    ap.add_argument("--boot", type=int)
    ap.add_argument("--booted-slot", default="")
    ap.add_argument("--booted-role", default="")
    ap.add_argument("--up", choices=("0", "1"), default="1")
    ap.add_argument("--note", default="")
    args = ap.parse_args()

    facts = {"label": args.label, "scenario": args.scenario, "boot": args.boot,
             "booted_slot": args.booted_slot or None,
             "booted_role": args.booted_role or None,
             "came_up": args.up == "1", "note": args.note}
    facts.update({k: v for k, v in record_status().items() if k in STATUS_KEYS})
    db = database_facts(args.db) if args.up == "1" else None
    if args.up == "1" and db is None:
        raise SystemExit("probe.py: the running slot's PostgreSQL does not answer")
    for k in ("sql_current_slot", "sql_current_role", "fingerprint", "users",
              "users_md5", "columns", "last_logins"):
        facts[k] = db[k] if db else None

    if args.steps:
        with open(args.steps, "a") as f:
            f.write(json.dumps(facts, sort_keys=True) + "\n")
    for k, v in facts.items():
        print("P_%s=%s" % (k.upper(), shlex.quote(shell_value(v))))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except psycopg2.Error as e:
        print("probe.py: %s" % str(e).strip(), file=sys.stderr)
        sys.exit(1)
