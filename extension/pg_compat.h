/*
 * pg_compat.h - what differs between the PostgreSQL majors the extension is
 * built for (15 to 19, debian/pgversions), in one place (issue 18).
 *
 * Call sites use the names below without #if. Two kinds:
 *
 *   - PGC_ANUM_*: the attribute number of a catalog column that not every
 *     major has, or 0 on a major without it. The fingerprint's column readers
 *     (fingerprint_scan.c) read column 0 as NULL, and a NULL value writes no
 *     line into an object's canonical text: an object that does not use a
 *     newer feature has the same canonical text on every major that has the
 *     column, and 15's canonical form stays what it was.
 *   - PGC_* macros and pgc_* functions over a catalog row's struct fields,
 *     with the value that means "not used" on a major without the field.
 *
 * Every difference is named with the major that brought it.
 */
#ifndef DUALBOOT_PG_COMPAT_H
#define DUALBOOT_PG_COMPAT_H

#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_statistic_ext.h"
#include "utils/tuplesort.h"

#if PG_VERSION_NUM < 150000
#error "dualboot needs PostgreSQL 15 or newer (debian/pgversions)"
#endif

/* ---- 16 ---- */

/* tuplesort_getdatum() gained a "copy" argument */
#if PG_VERSION_NUM >= 160000
#define pgc_tuplesort_getdatum(state, forward, val, isnull) \
	tuplesort_getdatum((state), (forward), true, (val), (isnull), NULL)
#else
#define pgc_tuplesort_getdatum(state, forward, val, isnull) \
	tuplesort_getdatum((state), (forward), (val), (isnull), NULL)
#endif

/* ICU tailoring rules of a collation (CREATE COLLATION ... rules = '...') */
#if PG_VERSION_NUM >= 160000
#define PGC_ANUM_COLLATION_ICURULES Anum_pg_collation_collicurules
#else
#define PGC_ANUM_COLLATION_ICURULES 0
#endif

/*
 * SQL/JSON in stored node trees (16: JSON_OBJECT, JSON_ARRAY, their
 * aggregates, IS JSON; 17: JSON_VALUE, JSON_QUERY, JSON_EXISTS, JSON_TABLE):
 * JsonReturning.typid names a type. Node fields are matched by name in
 * fingerprint_node.c, so the rule needs no version test: 15's trees have no
 * field of that name.
 */

/* ---- 17 ---- */

/* a collation's locale: colliculocale (ICU only) became colllocale */
#if PG_VERSION_NUM >= 170000
#define PGC_ANUM_COLLATION_LOCALE Anum_pg_collation_colllocale
#define PGC_COLLATION_LOCALE_KEY "locale"
#else
#define PGC_ANUM_COLLATION_LOCALE Anum_pg_collation_colliculocale
#define PGC_COLLATION_LOCALE_KEY "iculocale"
#endif

/*
 * Statistics targets became nullable (NULL: the default, was -1); the
 * column is past the fixed part of the row, so it is read from the tuple.
 */
static inline int16
pgc_attstattarget(HeapTuple tup, TupleDesc desc, Form_pg_attribute f)
{
#if PG_VERSION_NUM >= 170000
	bool		isnull;
	Datum		d = heap_getattr(tup, Anum_pg_attribute_attstattarget, desc, &isnull);

	(void) f;
	return isnull ? -1 : DatumGetInt16(d);
#else
	(void) tup;
	(void) desc;
	return f->attstattarget;
#endif
}

#if PG_VERSION_NUM >= 170000
#define PGC_STXSTATTARGET(scan, f) \
	fp_col_int16((scan), Anum_pg_statistic_ext_stxstattarget, -1)
#else
#define PGC_STXSTATTARGET(scan, f) ((f)->stxstattarget)
#endif

/*
 * The MAINTAIN privilege (ACL_MAINTAIN, 'm' in aclitem text) needs nothing
 * here: ACLs are hashed as aclitemout writes them.
 */

/* ---- 18 ---- */

/*
 * NOT ENFORCED constraints (conenforced) and temporal constraints: a key
 * WITHOUT OVERLAPS and a foreign key with PERIOD (conperiod). NOT NULL
 * constraints became pg_constraint rows (contype 'n'): the constraint
 * emitter hashes every row of the table's constraints, whatever its type.
 */
#if PG_VERSION_NUM >= 180000
#define PGC_CON_ENFORCED(f) ((f)->conenforced)
#define PGC_CON_PERIOD(f) ((f)->conperiod)
#else
#define PGC_CON_ENFORCED(f) ((void) (f), true)
#define PGC_CON_PERIOD(f) ((void) (f), false)
#endif

/*
 * Generated columns: 'v' (virtual, 18) besides 's' (stored) in
 * attgenerated, hashed as the character it is. Publications say whether
 * they publish stored generated columns (pubgencols, 18: 'n' none, 's'
 * stored; 'n' is what an older major does).
 */
#if PG_VERSION_NUM >= 180000
#define PGC_PUB_GENCOLS(f) ((f)->pubgencols)
#else
#define PGC_PUB_GENCOLS(f) ((void) (f), 'n')
#endif

#endif							/* DUALBOOT_PG_COMPAT_H */
