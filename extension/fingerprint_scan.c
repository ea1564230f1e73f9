/*
 * fingerprint_scan.c - the catalog scan and canonical-list helpers every
 * object emitter uses (fingerprint_objects.c and the other emitter files):
 * one heap scan per catalog in the computation's snapshot, rows deformed
 * once, a row memory context reset per row, and OID/column-number arrays
 * written as identities.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fingerprint_int.h"

void
fp_scan_begin(FpScan *s, FpCtx *fp, Oid catalog)
{
	s->fp = fp;
	s->rel = fp_open(catalog);
	s->desc = RelationGetDescr(s->rel);
	s->scan = fp_beginscan(fp, s->rel);
	s->old = NULL;
	s->tup = NULL;
	s->deformed = false;
	s->values = MemoryContextAlloc(fp->cxt, sizeof(Datum) * s->desc->natts);
	s->nulls = MemoryContextAlloc(fp->cxt, sizeof(bool) * s->desc->natts);
}

/*
 * Column attnum of the current row: the row is deformed once, on the first
 * access to a column outside the fixed-size part (heap_getattr would walk
 * the row again for every nullable column).
 */
Datum
fp_scan_attr(FpScan *s, int attnum, bool *isnull)
{
	/* 0: a column this major does not have (PGC_ANUM_*, pg_compat.h) */
	if (attnum == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (!s->deformed)
	{
		heap_deform_tuple(s->tup, s->desc, s->values, s->nulls);
		s->deformed = true;
	}
	*isnull = s->nulls[attnum - 1];
	return s->values[attnum - 1];
}

HeapTuple
fp_scan_next(FpScan *s)
{
	HeapTuple	tup;

	if (s->old != NULL)
	{
		MemoryContextSwitchTo(s->old);
		MemoryContextReset(s->fp->rowcxt);
	}
	CHECK_FOR_INTERRUPTS();
	tup = heap_getnext(s->scan, ForwardScanDirection);
	s->tup = tup;
	s->deformed = false;
	if (tup != NULL)
		s->old = MemoryContextSwitchTo(s->fp->rowcxt);
	else
		s->old = NULL;
	return tup;
}

void
fp_scan_end(FpScan *s)
{
	if (s->old != NULL)
		MemoryContextSwitchTo(s->old);
	table_endscan(s->scan);
	table_close(s->rel, AccessShareLock);
	pfree(s->values);
	pfree(s->nulls);
}

/* a nullable column as text (NULL when null) */
char *
fp_col_text(FpScan *s, int attnum)
{
	bool		isnull;
	Datum		d = fp_scan_attr(s, attnum, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* a nullable int2 column, ifnull when null */
int16
fp_col_int16(FpScan *s, int attnum, int16 ifnull)
{
	bool		isnull;
	Datum		d = fp_scan_attr(s, attnum, &isnull);

	return isnull ? ifnull : DatumGetInt16(d);
}

/* a nullable array column through array_out (NULL when null) */
char *
fp_col_array(FpScan *s, int attnum)
{
	bool		isnull;
	Datum		d = fp_scan_attr(s, attnum, &isnull);

	return isnull ? NULL : OidOutputFunctionCall(F_ARRAY_OUT, d);
}

/*
 * Lists written straight into the canonical buffer: key=a,b,c
 */
void
fp_list_begin(FpCtx *fp, const char *key)
{
	appendStringInfoString(&fp->buf, key);
	appendStringInfoChar(&fp->buf, '=');
}

void
fp_list_item(FpCtx *fp, int i, const char *v)
{
	if (i > 0)
		appendStringInfoChar(&fp->buf, ',');
	appendStringInfoString(&fp->buf, v);
}

void
fp_list_end(FpCtx *fp)
{
	appendStringInfoChar(&fp->buf, '\n');
}

/* an oid[] or int2[] column without NULL elements, or NULL */
ArrayType *
fp_col_plain_array(FpScan *s, int attnum, int *n)
{
	bool		isnull;
	Datum		d = fp_scan_attr(s, attnum, &isnull);
	ArrayType  *a;

	if (isnull)
		return NULL;
	a = DatumGetArrayTypeP(d);
	if (ARR_HASNULL(a))
		elog(ERROR, "dualboot: unexpected NULL in a catalog array");
	*n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	return a;
}

/* an oid[] column, each element written as an identity */
void
fp_put_oid_array(FpCtx *fp, FpScan *s, int attnum, const char *key, FpCat cat)
{
	int			n,
				i;
	ArrayType  *a = fp_col_plain_array(s, attnum, &n);
	Oid		   *v;

	if (a == NULL)
	{
		fp_put_str(fp, key, NULL);
		return;
	}
	v = (Oid *) ARR_DATA_PTR(a);
	fp_list_begin(fp, key);
	for (i = 0; i < n; i++)
		fp_list_item(fp, i, fp_ident(fp, cat, v[i]));
	fp_list_end(fp);
}

/* an int2[] of column numbers of relid, written as column names */
void
fp_put_attnum_array(FpCtx *fp, FpScan *s, int attnum, const char *key, Oid relid)
{
	int			n,
				i;
	ArrayType  *a = fp_col_plain_array(s, attnum, &n);
	int16	   *v;

	if (a == NULL)
	{
		fp_put_str(fp, key, NULL);
		return;
	}
	v = (int16 *) ARR_DATA_PTR(a);
	fp_list_begin(fp, key);
	for (i = 0; i < n; i++)
		fp_list_item(fp, i, fp_attname(fp, relid, v[i]));
	fp_list_end(fp);
}

void
fp_put_owner_acl(FpCtx *fp, FpScan *s, Oid owner, int aclattnum, ObjectType ot)
{
	bool		isnull = true;
	Datum		d = (Datum) 0;

	if (!fp->include_acl)
		return;
	fp_put_ref(fp, "owner", FPC_ROLE, owner);
	if (aclattnum > 0)
	{
		d = fp_scan_attr(s, aclattnum, &isnull);
		fp_put_str(fp, "acl", fp_acl_text(fp, d, isnull, ot, owner));
	}
}

/* "a.b" without printf, in the current (row) context */
char *
fp_join_dot(const char *a, const char *b)
{
	size_t		la = strlen(a),
				lb = strlen(b);
	char	   *r = palloc(la + lb + 2);

	memcpy(r, a, la);
	r[la] = '.';
	memcpy(r + la + 1, b, lb + 1);
	return r;
}

bool
fp_user_object(FpCtx *fp, Oid classid, Oid oid, Oid nsp)
{
	if (oid < FirstNormalObjectId)
		return false;
	if (OidIsValid(nsp) && !fp_is_user_nsp(fp, nsp))
		return false;
	return !OidIsValid(fp_ext_owner(fp, classid, oid));
}

bool
fp_user_rel(FpCtx *fp, Oid relid)
{
	FpRel	   *r = fp_rel(fp, relid);

	return r != NULL && r->user;
}
