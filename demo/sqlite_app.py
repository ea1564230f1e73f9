#!/usr/bin/env python3
"""demo/sqlite_app.py - an application on SQLite, not PostgreSQL, whose
upgrade must only ever run in a rehearsal (the test slot).

    sqlite_app.py --db FILE init      create the notes database (set-up)
    sqlite_app.py --db FILE upgrade   the guarded upgrade (a schema change)
    sqlite_app.py --db FILE show      columns and rows, read-only

It cannot call dualboot_require_test(): there is no PostgreSQL to call. So
before the upgrade touches its file it runs `dualbootctl require-test`
(DUALBOOTCTL names the binary, default "dualbootctl" on PATH): exit 0 means
this boot runs on the test slot; anything else is a refusal, and the app
exits 3 with dualbootctl's one-line reason, without opening the file.
Exit status: 0 done, 3 refused, 1 anything else.
"""
import argparse
import os
import sqlite3
import subprocess
import sys


def require_test():
    """None when this boot runs on the test slot, else the reason."""
    ctl = os.environ.get("DUALBOOTCTL", "dualbootctl")
    try:
        r = subprocess.run([ctl, "require-test"], capture_output=True, text=True)
    except OSError as e:
        return "cannot run %s: %s" % (ctl, e)
    if r.returncode == 0:
        return None
    return r.stderr.strip() or "dualbootctl require-test exited with status %d" % r.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("command", choices=("init", "upgrade", "show"))
    args = ap.parse_args()

    if args.command == "init":
        with sqlite3.connect(args.db) as db:
            db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            db.executemany("INSERT INTO notes (body) VALUES (?)",
                           [("call the bank",), ("renew the certificate",), ("water the plants",)])
        return 0
    if args.command == "show":
        db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
        cols = [r[1] for r in db.execute("PRAGMA table_info(notes)")]
        rows = db.execute("SELECT count(*) FROM notes").fetchone()[0]
        print("columns=%s rows=%d" % (",".join(cols), rows))
        return 0

    # upgrade: the guard first, before the file is opened
    why = require_test()
    if why is not None:
        print("sqlite_app: upgrade refused: %s" % why, file=sys.stderr)
        return 3
    with sqlite3.connect(args.db) as db:
        db.execute("ALTER TABLE notes ADD COLUMN done INTEGER NOT NULL DEFAULT 0")
        db.execute("UPDATE notes SET done = 1 WHERE body = 'call the bank'")
    print("sqlite_app: upgraded %s (column done added)" % args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
