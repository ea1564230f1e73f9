#!/usr/bin/env python3
"""demo/migrate.py - the application's schema migrations, run the way a
migration tool runs them: one transaction per migration, whose first
statement is `SELECT dualboot_require_test()`, so that a migration can only
ever run on the test slot.

    migrate.py [--db NAME] [--result FILE] MIGRATION

The connection comes from the libpq environment (PGHOST, PGPORT, PGUSER).
Exit status: 0 applied, 3 failed or refused (the transaction rolled back;
the reason is printed and written to --result as JSON), 1 anything else.
"""
import argparse
import json
import sys

import psycopg2

# Each migration: what it is for, then its statements, in one transaction.
MIGRATIONS = {
    "001_last_login": (
        "record when each user last logged in",
        ["ALTER TABLE users ADD COLUMN last_login TIMESTAMP"],
    ),
    # Fails half-way: the new column and the promotion it asks for are both
    # part of the transaction that rolls back.
    "002_broken_email_required": (
        "make email mandatory, then promote the slot (fails half-way)",
        [
            "ALTER TABLE users ADD COLUMN nickname text",
            "SELECT dualboot_promote('migration 002 applied')",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        ],
    ),
    "003_login_index": (
        "index last_login for the new activity report",
        ["CREATE INDEX users_last_login_idx ON users (last_login)"],
    ),
}


def say(msg):
    print("    migrate: " + msg, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="app")
    ap.add_argument("--result", help="write the outcome as JSON to this file")
    ap.add_argument("migration", choices=sorted(MIGRATIONS))
    args = ap.parse_args()

    purpose, statements = MIGRATIONS[args.migration]
    outcome = {"migration": args.migration, "applied": False,
               "failed_statement": None, "sqlstate": None, "message": None}
    say("%s (%s)" % (args.migration, purpose))
    conn = psycopg2.connect(dbname=args.db, application_name="migrate.py")
    try:
        with conn.cursor() as cur:
            # psycopg2 opens the transaction before the first statement.
            for n, sql in enumerate(["SELECT dualboot_require_test()"] + statements):
                say("  %s" % sql)
                try:
                    cur.execute(sql)
                except psycopg2.Error as e:
                    conn.rollback()
                    outcome.update(failed_statement=n, sqlstate=e.pgcode,
                                   message=(e.diag.message_primary or str(e)).strip())
                    say("  ERROR %s: %s" % (e.pgcode, outcome["message"]))
                    if e.diag.message_hint:
                        say("  HINT: %s" % e.diag.message_hint)
                    say("%s rolled back: nothing of it was kept" % args.migration)
                    return finish(args, outcome, 3)
        conn.commit()
        outcome["applied"] = True
        say("%s committed" % args.migration)
        return finish(args, outcome, 0)
    finally:
        conn.close()


def finish(args, outcome, rc):
    if args.result:
        with open(args.result, "w") as f:
            json.dump(outcome, f)
            f.write("\n")
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    except psycopg2.Error as e:
        print("migrate.py: %s" % str(e).strip(), file=sys.stderr)
        sys.exit(1)
