#!/usr/bin/env python3
"""demo/app.py - the application whose logic changes in scenario 2.

    app.py --version 1|2 login NAME...

Version 1 (what production runs) only checks that the user exists.
Version 2 (the change being rehearsed) also records the login time in the
`last_login` column that migration 001 adds. The connection comes from the
libpq environment (PGHOST, PGPORT, PGUSER); database `app`.
"""
import argparse
import sys

import psycopg2

# A fixed clock, so that every run of the demo writes the same values.
LOGIN_TIME = "2026-11-25 09:00:00"


def login_v1(cur, name):
    cur.execute("SELECT id FROM users WHERE name = %s", (name,))
    return cur.fetchone() is not None


def login_v2(cur, name):
    cur.execute("UPDATE users SET last_login = %s WHERE name = %s RETURNING id",
                (LOGIN_TIME, name))
    return cur.fetchone() is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", type=int, choices=(1, 2), required=True)
    ap.add_argument("--db", default="app")
    ap.add_argument("command", choices=("login",))
    ap.add_argument("names", nargs="+")
    args = ap.parse_args()

    login = login_v1 if args.version == 1 else login_v2
    conn = psycopg2.connect(dbname=args.db, application_name="app.py v%d" % args.version)
    try:
        with conn, conn.cursor() as cur:
            for name in args.names:
                if not login(cur, name):
                    print("    app v%d: no user %r" % (args.version, name), file=sys.stderr)
                    return 1
                print("    app v%d: %s logged in" % (args.version, name), flush=True)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except psycopg2.Error as e:
        print("app.py: %s" % str(e).strip(), file=sys.stderr)
        sys.exit(1)
