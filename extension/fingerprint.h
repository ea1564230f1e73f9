/*
 * fingerprint.h - the schema fingerprint of the current database.
 *
 * The value has the form "dbfp3:pg15:<64 hex digits of SHA-256>": the
 * algorithm version, the server's major version, and the digest of the
 * manifest (see docs/fingerprint.md). It always fits in
 * DUALBOOT_FINGERPRINT_MAXLEN bytes including the terminating NUL.
 */
#ifndef DUALBOOT_FINGERPRINT_H
#define DUALBOOT_FINGERPRINT_H

#include "postgres.h"

#include "dbstate.h"

/* "dbfp3": DB_FP_ALGO (lib/dbstate.h), which dualbootctl checks too */
#define DUALBOOT_FINGERPRINT_ALGO       "dbfp" CppAsString2(DB_FP_ALGO)
#define DUALBOOT_FINGERPRINT_MAXLEN     111

/*
 * Compute the fingerprint of the current database's schema in one catalog
 * snapshot. include_acl adds owners, privileges and comments. Returns a
 * palloc'd string in the caller's memory context.
 */
extern char *dualboot_compute_fingerprint(bool include_acl);

/*
 * Parse a fingerprint "dbfp<algo>:pg<major>:<64 hex digits>" (hex digits
 * of either case). False when s is not one.
 */
extern bool dualboot_parse_fingerprint(const char *s, int *algo, int *major);

#endif							/* DUALBOOT_FINGERPRINT_H */
