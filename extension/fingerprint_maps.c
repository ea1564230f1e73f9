/*
 * fingerprint_maps.c - OID to identity maps for the schema fingerprint.
 *
 * Every OID that appears in a catalog row or a stored node tree is replaced
 * by a stable identity before it is hashed:
 *
 *   - OIDs below FirstGenbkiObjectId are assigned by the catalog data files of
 *     the server's major version and are the same in every cluster of that
 *     major; they are written as "#<oid>" (the fingerprint names the major);
 *   - every other OID is replaced by the object's qualified name (for
 *     functions and operators with their argument types), read from our own
 *     scan of the catalog.
 *
 * Relations, types, functions and namespaces are loaded eagerly (one heap
 * scan each, in the computation's snapshot); the rarer catalogs are loaded
 * the first time one of their OIDs needs resolving.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_tablespace.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_ts_parser.h"
#include "catalog/pg_ts_template.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "fingerprint_int.h"

/*
 * Oid -> object maps: open addressing (simplehash), 16-byte slots, so that
 * the hot lookups (every relation, type and function reference) stay in
 * cache. The objects themselves are palloc'd in fp->cxt.
 *
 * The hash scrambles every bit of the OID (murmurhash32). A hash that kept
 * an OID's low bits, so that objects made together would sit in neighbouring
 * slots, was 8 % faster on the benchmark's tables but made long runs of
 * occupied slots where OIDs are dense (40,000 functions made in a row: 2.5
 * times slower, twice the memory, as simplehash grew the table to shorten
 * the runs); every schema gets the same cost per lookup instead.
 */
typedef struct FpMapEntry
{
	Oid			key;
	char		status;
	void	   *value;
} FpMapEntry;

#define SH_PREFIX fpmap
#define SH_ELEMENT_TYPE FpMapEntry
#define SH_KEY_TYPE Oid
#define SH_KEY key
#define SH_HASH_KEY(tb, k) murmurhash32(k)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static void *
map_create(FpCtx *fp, long n)
{
	return fpmap_create(fp->cxt, (uint32) Max(n, 64), NULL);
}

static void *
map_get(void *map, Oid key)
{
	FpMapEntry *e = fpmap_lookup((fpmap_hash *) map, key);

	return e ? e->value : NULL;
}

/* a new zeroed object of size sz under key */
static void *
map_put(FpCtx *fp, void *map, Oid key, Size sz)
{
	bool		found;
	FpMapEntry *e = fpmap_insert((fpmap_hash *) map, key, &found);

	e->value = fp_alloc(fp, sz);
	*(Oid *) e->value = key;
	return e->value;
}

typedef struct FpNsp
{
	Oid			oid;			/* hash key */
	char	   *ident;
	bool		user;
} FpNsp;

typedef struct FpExtKey
{
	Oid			classid;
	Oid			objid;
} FpExtKey;

typedef struct FpExtMember
{
	FpExtKey	key;
	Oid			extoid;
} FpExtMember;

static HTAB *
fp_hash_create(FpCtx *fp, const char *name, Size keysize, Size entrysize, long n)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = fp->cxt;
	return hash_create(name, n, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* expected rows of an open catalog, to size a hash table once */
static long
expected_rows(Relation rel)
{
	float4		t = rel->rd_rel->reltuples;
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);

	/* reltuples is -1 before the first VACUUM/ANALYZE; guess from size */
	if (t < 0)
		t = (float4) nblocks * 40;
	return (long) Min(Max(t * 1.2, 256.0), 64.0 * 1024 * 1024);
}

Relation
fp_open(Oid relid)
{
	return table_open(relid, AccessShareLock);
}

TableScanDesc
fp_beginscan(FpCtx *fp, Relation rel)
{
	return table_beginscan(rel, fp->snap, 0, NULL);
}

char *
fp_text_datum(Datum d)
{
	return TextDatumGetCString(d);
}

/*
 * "schema.name" with both parts quoted as needed, in fp->cxt.
 */
char *
fp_qualify(FpCtx *fp, Oid nsp, const char *name)
{
	const char *n = fp_ident(fp, FPC_NSP, nsp);
	const char *q = quote_identifier(name);
	size_t		ln = strlen(n),
				lq = strlen(q);
	char	   *r = fp_alloc(fp, ln + lq + 2);

	memcpy(r, n, ln);
	r[ln] = '.';
	memcpy(r + ln + 1, q, lq + 1);
	if (q != name)
		pfree((char *) q);
	return r;
}

bool
fp_is_user_nsp(FpCtx *fp, Oid nspid)
{
	FpNsp	   *n = map_get(fp->nsp, nspid);

	return n != NULL && n->user;
}

static bool
user_nsp_name(const char *name)
{
	if (strcmp(name, "pg_catalog") == 0 ||
		strcmp(name, "information_schema") == 0 ||
		strcmp(name, "pg_toast") == 0)
		return false;
	if (strncmp(name, "pg_temp_", 8) == 0 ||
		strncmp(name, "pg_toast_temp_", 14) == 0)
		return false;
	return true;
}

static void
load_namespaces(FpCtx *fp)
{
	Relation	rel = fp_open(NamespaceRelationId);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;

	fp->nsp = map_create(fp, 64);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_namespace f = (Form_pg_namespace) GETSTRUCT(tup);
		FpNsp	   *n = map_put(fp, fp->nsp, f->oid, sizeof(FpNsp));

		n->ident = MemoryContextStrdup(fp->cxt,
									   quote_identifier(NameStr(f->nspname)));
		n->user = user_nsp_name(NameStr(f->nspname));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
load_types(FpCtx *fp)
{
	Relation	rel = fp_open(TypeRelationId);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;

	fp->typ = map_create(fp, expected_rows(rel));
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_type f = (Form_pg_type) GETSTRUCT(tup);
		FpType	   *t = map_put(fp, fp->typ, f->oid, sizeof(FpType));

		t->nsp = f->typnamespace;
		t->name = fp_strdup(fp, NameStr(f->typname));
		t->ident = NULL;
		t->typtype = f->typtype;
		t->typelem = f->typelem;
		t->typarray = f->typarray;
		t->typrelid = f->typrelid;
		t->typoutput = f->typoutput;
		t->typlen = f->typlen;
		t->typbyval = f->typbyval;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
load_procs(FpCtx *fp)
{
	Relation	rel = fp_open(ProcedureRelationId);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;

	fp->proc = map_create(fp, expected_rows(rel));
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_proc f = (Form_pg_proc) GETSTRUCT(tup);
		FpProc	   *p;

		if (f->oid < FirstGenbkiObjectId)
			continue;
		p = map_put(fp, fp->proc, f->oid, sizeof(FpProc));
		p->nsp = f->pronamespace;
		p->name = fp_strdup(fp, NameStr(f->proname));
		p->ident = NULL;
		p->nargs = f->proargtypes.dim1;
		p->argtypes = fp_alloc(fp, sizeof(Oid) * Max(p->nargs, 1));
		memcpy(p->argtypes, f->proargtypes.values, sizeof(Oid) * p->nargs);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

typedef struct FpToastOpts
{
	Oid			toastoid;		/* hash key */
	char	   *options;
} FpToastOpts;

static void
toast_options_put(FpCtx *fp, Oid toastoid, Datum reloptions)
{
	FpToastOpts *t;

	if (fp->toastopts == NULL)
		fp->toastopts = fp_hash_create(fp, "dualboot fp toast options",
									   sizeof(Oid), sizeof(FpToastOpts), 16);
	t = hash_search(fp->toastopts, &toastoid, HASH_ENTER, NULL);
	t->options = MemoryContextStrdup(fp->cxt,
									 OidOutputFunctionCall(F_ARRAY_OUT, reloptions));
}

static inline int
relref_cmp(const FpRelRef *a, const FpRelRef *b)
{
	return (a->oid > b->oid) - (a->oid < b->oid);
}

#define ST_SORT fp_sort_relrefs
#define ST_ELEMENT_TYPE FpRelRef
#define ST_COMPARE(a, b) relref_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

static bool
relkind_has_columns(char relkind)
{
	return relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
		relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW ||
		relkind == RELKIND_FOREIGN_TABLE || relkind == RELKIND_COMPOSITE_TYPE;
}

static void
load_classes(FpCtx *fp)
{
	Relation	rel = fp_open(RelationRelationId);
	TupleDesc	desc = RelationGetDescr(rel);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;
	List	   *bounds = NIL;	/* (FpRel *, partition bound text) pairs */
	int			i;

	fp->maxrels = expected_rows(rel);
	fp->rels = MemoryContextAllocHuge(fp->cxt, sizeof(FpRelRef) * fp->maxrels);
	fp->nrels = 0;
	fp->rels_sorted = false;
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class f = (Form_pg_class) GETSTRUCT(tup);
		FpRel	   *r;
		Datum		d;
		bool		isnull;

		/*
		 * TOAST tables and their indexes (a quarter of pg_class in a schema
		 * of ordinary tables) are never an object of the manifest, have no
		 * columns we read and are named by nothing we write: they take no
		 * memory. A reference to one all the same (a regclass constant
		 * naming it) is resolved on demand by toast_ident().
		 */
		if (f->relkind == RELKIND_TOASTVALUE || f->relnamespace == PG_TOAST_NAMESPACE)
		{
			/* toast.* options: load_depend() gives them to their table */
			if (f->relkind == RELKIND_TOASTVALUE &&
				!heap_attisnull(tup, Anum_pg_class_reloptions, desc))
				toast_options_put(fp, f->oid,
								  heap_getattr(tup, Anum_pg_class_reloptions, desc, &isnull));
			continue;
		}
		r = fp_alloc(fp, sizeof(FpRel));
		r->oid = f->oid;
		if (fp->nrels >= fp->maxrels)
		{
			fp->maxrels *= 2;
			fp->rels = repalloc_huge(fp->rels, sizeof(FpRelRef) * fp->maxrels);
		}
		fp->rels[fp->nrels].oid = f->oid;
		fp->rels[fp->nrels].rel = r;
		fp->nrels++;
		r->nsp = f->relnamespace;
		r->name = fp_strdup(fp, NameStr(f->relname));
		r->relkind = f->relkind;
		r->persistence = f->relpersistence;
		r->replident = f->relreplident;
		r->rowsecurity = f->relrowsecurity;
		r->forcerowsecurity = f->relforcerowsecurity;
		r->ispartition = f->relispartition;
		r->natts = f->relnatts;
		r->am = f->relam;
		r->tablespace = f->reltablespace;
		if (OidIsValid(f->reloftype))
			fp_rel_more(fp, r)->oftype = f->reloftype;
		r->owner = f->relowner;
		r->user = f->oid >= FirstNormalObjectId &&
			f->relpersistence != RELPERSISTENCE_TEMP &&
			fp_is_user_nsp(fp, f->relnamespace) &&
			f->relkind != RELKIND_TOASTVALUE;

		if (!r->user)
			continue;

		d = heap_getattr(tup, Anum_pg_class_reloptions, desc, &isnull);
		if (!isnull)
			r->reloptions = MemoryContextStrdup(fp->cxt,
												OidOutputFunctionCall(F_ARRAY_OUT, d));
		if (fp->include_acl && f->relkind != RELKIND_INDEX &&
			f->relkind != RELKIND_PARTITIONED_INDEX && f->relkind != RELKIND_COMPOSITE_TYPE)
		{
			ObjectType	ot = f->relkind == RELKIND_SEQUENCE ? OBJECT_SEQUENCE : OBJECT_TABLE;
			MemoryContext old = MemoryContextSwitchTo(fp->rowcxt);
			char	   *a;

			d = heap_getattr(tup, Anum_pg_class_relacl, desc, &isnull);
			a = fp_acl_text(fp, d, isnull, ot, f->relowner);
			MemoryContextSwitchTo(old);
			fp_rel_more(fp, r)->acl = MemoryContextStrdup(fp->cxt, a);
		}
		if (f->relispartition)
		{
			d = heap_getattr(tup, Anum_pg_class_relpartbound, desc, &isnull);
			if (!isnull)
			{
				/*
				 * Canonicalised once every relation is known: a bound's
				 * constants may name relations (regclass) not read yet.
				 */
				MemoryContext old = MemoryContextSwitchTo(fp->cxt);

				bounds = lappend(bounds, r);
				bounds = lappend(bounds, TextDatumGetCString(d));
				MemoryContextSwitchTo(old);
			}
		}
		MemoryContextReset(fp->rowcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	/* heap order is nearly OID order: the sort finds runs already in order */
	fp_sort_relrefs(fp->rels, fp->nrels);
	fp->rels_sorted = true;
	fp->relfinger = 0;

	for (i = 0; i < list_length(bounds); i += 2)
	{
		FpRel	   *r = list_nth(bounds, i);
		char	   *tree = list_nth(bounds, i + 1);
		FpRelMore  *m = fp_rel_more(fp, r);

		resetStringInfo(&fp->nodebuf);
		fp_canon_node(fp, &fp->nodebuf, tree, r->oid);
		m->bound_digest = fp_alloc(fp, FP_DIGEST_LEN);
		fp_digest_buf(fp, fp->nodebuf.data, fp->nodebuf.len, m->bound_digest);
		pfree(tree);
	}
	list_free(bounds);
}

/*
 * attoptions without the entries this server keeps for itself: a name
 * starting with "pg_" is never a user-settable option (this build stores a
 * per-cluster "pg_attver" there, which pg_dump does not carry). NULL when
 * nothing is left.
 */
static char *
attoptions_text(FpCtx *fp, Datum d)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	StringInfoData b;
	char	   *result = NULL;

	/* the common case on this build: one server-internal option only */
	if (!ARR_HASNULL(a) && ARR_NDIM(a) == 1 && ARR_DIMS(a)[0] == 1)
	{
		text	   *t = (text *) ARR_DATA_PTR(a);

		if (VARSIZE_ANY_EXHDR(t) >= 3 && memcmp(VARDATA_ANY(t), "pg_", 3) == 0)
			return NULL;
	}
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	b.data = NULL;
	for (i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		if (VARSIZE_ANY_EXHDR(t) >= 3 && memcmp(VARDATA_ANY(t), "pg_", 3) == 0)
			continue;
		if (b.data == NULL)
			initStringInfo(&b);
		else
			appendStringInfoChar(&b, ',');
		appendBinaryStringInfo(&b, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	if (b.data != NULL)
	{
		result = MemoryContextStrdup(fp->cxt, b.data);
		pfree(b.data);
	}
	return result;
}

/*
 * Columns of every user relation that has them (tables, views, materialized
 * views, foreign tables, composite types), by attnum, dropped ones as NULL.
 */
static void
load_attributes(FpCtx *fp)
{
	Relation	rel = fp_open(AttributeRelationId);
	TupleDesc	desc = RelationGetDescr(rel);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_attribute f = (Form_pg_attribute) GETSTRUCT(tup);
		FpRel	   *r;
		FpAtt	   *a;
		Datum		d;
		bool		isnull;
		MemoryContext old;

		if (f->attnum <= 0 || f->attrelid < FirstNormalObjectId)
			continue;
		r = fp_rel(fp, f->attrelid);
		if (r == NULL || !relkind_has_columns(r->relkind) || f->attnum > r->natts)
			continue;
		if (r->atts == NULL)
			r->atts = fp_alloc(fp, sizeof(FpAtt) * r->natts);
		if (f->attisdropped)
			continue;
		a = &r->atts[f->attnum - 1];
		a->name = fp_strdup(fp, NameStr(f->attname));
		a->qname = quote_identifier(a->name);
		if (a->qname != a->name)
			a->qname = fp_strdup(fp, a->qname);
		if (!r->user)
			continue;
		MemoryContextReset(fp->rowcxt);
		old = MemoryContextSwitchTo(fp->rowcxt);
		a->typid = f->atttypid;
		a->typmod = f->atttypmod;
		a->collation = f->attcollation;
		a->stattarget = pgc_attstattarget(tup, desc, f);
		a->inhcount = f->attinhcount;
		a->notnull = f->attnotnull;
		a->islocal = f->attislocal;
		a->identity = f->attidentity;
		a->generated = f->attgenerated;
		a->storage = f->attstorage;
		a->compression = f->attcompression;
		d = heap_getattr(tup, Anum_pg_attribute_attoptions, desc, &isnull);
		if (!isnull)
		{
			char	   *o = attoptions_text(fp, d);

			if (o != NULL)
				fp_att_more(fp, a)->options = o;
		}
		d = r->relkind != RELKIND_FOREIGN_TABLE ? (Datum) 0 :
			heap_getattr(tup, Anum_pg_attribute_attfdwoptions, desc, &isnull);
		if (r->relkind == RELKIND_FOREIGN_TABLE && !isnull)
			fp_att_more(fp, a)->fdwoptions = MemoryContextStrdup(fp->cxt,
												OidOutputFunctionCall(F_ARRAY_OUT, d));
		if (fp->include_acl)
		{
			d = heap_getattr(tup, Anum_pg_attribute_attacl, desc, &isnull);
			if (!isnull)
			{
				char	   *acl = fp_acl_text(fp, d, false, OBJECT_COLUMN, r->owner);

				fp_att_more(fp, a)->acl = MemoryContextStrdup(fp->cxt, acl);
			}
		}
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * pg_depend: extension membership (deptype 'e'), sequence ownership
 * (OWNED BY: 'a'; identity columns: 'i') and functions internal to another
 * object ('i': a range type's constructors).
 */
static void
load_depend(FpCtx *fp)
{
	Relation	rel = fp_open(DependRelationId);
	TableScanDesc scan = fp_beginscan(fp, rel);
	HeapTuple	tup;

	fp->extmember = fp_hash_create(fp, "dualboot fp ext members",
								   sizeof(FpExtKey), sizeof(FpExtMember), 256);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_depend f = (Form_pg_depend) GETSTRUCT(tup);

		if (f->deptype == DEPENDENCY_EXTENSION)
		{
			FpExtKey	key;
			FpExtMember *m;

			key.classid = f->classid;
			key.objid = f->objid;
			m = hash_search(fp->extmember, &key, HASH_ENTER, NULL);
			m->extoid = f->refobjid;
			if (f->classid == RelationRelationId)
			{
				FpRel	   *r = fp_rel(fp, f->objid);

				if (r)
					r->user = false;
			}
		}
		else if (f->deptype == DEPENDENCY_INTERNAL && f->classid == ProcedureRelationId)
		{
			FpProcInternal *pi;

			if (fp->procinternal == NULL)
				fp->procinternal = fp_hash_create(fp, "dualboot fp internal functions",
												  sizeof(Oid), sizeof(FpProcInternal), 64);
			pi = hash_search(fp->procinternal, &f->objid, HASH_ENTER, NULL);
			pi->refclassid = f->refclassid;
			pi->refobjid = f->refobjid;
		}
		else if (fp->toastopts != NULL && f->deptype == DEPENDENCY_INTERNAL &&
				 f->classid == RelationRelationId &&
				 f->refclassid == RelationRelationId &&
				 f->objsubid == 0 && f->refobjsubid == 0)
		{
			/* a TOAST table depends on its table: hand its options over */
			FpToastOpts *t = hash_search(fp->toastopts, &f->objid, HASH_FIND, NULL);
			FpRel	   *r = t ? fp_rel(fp, f->refobjid) : NULL;

			if (r != NULL)
				fp_rel_more(fp, r)->toastoptions = t->options;
		}
		else if ((f->deptype == DEPENDENCY_AUTO || f->deptype == DEPENDENCY_INTERNAL) &&
				 f->classid == RelationRelationId &&
				 f->refclassid == RelationRelationId &&
				 f->objsubid == 0 && f->refobjsubid > 0)
		{
			FpRel	   *r = fp_rel(fp, f->objid);

			if (r && r->relkind == RELKIND_SEQUENCE)
			{
				FpRelMore  *m = fp_rel_more(fp, r);

				m->owned_by_rel = f->refobjid;
				m->owned_by_att = f->refobjsubid;
				m->owned_deptype = f->deptype;
			}
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

Oid
fp_ext_owner(FpCtx *fp, Oid classid, Oid objid)
{
	FpExtKey	key;
	FpExtMember *m;

	key.classid = classid;
	key.objid = objid;
	m = hash_search(fp->extmember, &key, HASH_FIND, NULL);
	return m ? m->extoid : InvalidOid;
}

void
fp_build_maps(FpCtx *fp)
{
	int			i;

	for (i = 0; i < FPC_NUM; i++)
		fp->lazy[i] = NULL;
	FP_PHASE(load_namespaces(fp));
	FP_PHASE(load_types(fp));
	FP_PHASE(load_procs(fp));
	FP_PHASE(load_classes(fp));
	FP_PHASE(load_depend(fp));
	FP_PHASE(load_attributes(fp));
}

/* the "more" parts, allocated when a first field of theirs is set */
FpRelMore *
fp_rel_more(FpCtx *fp, FpRel *r)
{
	if (r->more == NULL)
		r->more = fp_alloc(fp, sizeof(FpRelMore));
	return r->more;
}

FpAttMore *
fp_att_more(FpCtx *fp, FpAtt *a)
{
	if (a->more == NULL)
		a->more = fp_alloc(fp, sizeof(FpAttMore));
	return a->more;
}

/*
 * The slow path of fp_rel() (fingerprint_int.h): find relid in the sorted
 * array of relations, remember it. The catalogs are read in about the order
 * their rows were made, so a lookup usually lands close to the one before:
 * look around the last hit first (a few entries, in cache), then bisect.
 * Sorted 16-byte entries take less memory than a hash table's slots and
 * behave the same on every pattern of OIDs.
 */
#define FP_FINGER_REACH 16

FpRel *
fp_rel_lookup(FpCtx *fp, Oid relid)
{
	FpRel	   *r = NULL;
	const FpRelRef *v = fp->rels;
	int			n = fp->nrels;
	int			lo,
				hi;

	if (unlikely(!fp->rels_sorted))
	{
		/* only while pg_class is being read: nothing looks up then */
		for (lo = 0; lo < n; lo++)
			if (v[lo].oid == relid)
				return v[lo].rel;
		return NULL;
	}
	lo = Max(fp->relfinger - FP_FINGER_REACH, 0);
	hi = Min(fp->relfinger + FP_FINGER_REACH, n);	/* search [lo, hi) */
	if (lo >= hi || relid < v[lo].oid || relid > v[hi - 1].oid)
	{
		lo = 0;
		hi = n;
	}
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (v[mid].oid < relid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && v[lo].oid == relid)
	{
		fp->relfinger = lo;
		r = v[lo].rel;
	}
	if (r != NULL)
	{
		FpRelCacheEntry *c = &fp->relcache[relid & (FP_RELCACHE_SIZE - 1)];

		c->oid = relid;
		c->rel = r;
	}
	return r;
}

FpType *
fp_type(FpCtx *fp, Oid typid)
{
	return map_get(fp->typ, typid);
}

/* ---- lazily loaded maps ---- */

static void
lazy_put(FpCtx *fp, HTAB *h, Oid oid, char *ident)
{
	FpName	   *n = hash_search(h, &oid, HASH_ENTER, NULL);

	n->ident = MemoryContextStrdup(fp->cxt, ident);
}

static char *
amname_of(FpCtx *fp, Oid amoid)
{
	return (char *) fp_ident(fp, FPC_AM, amoid);
}

static void
load_lazy(FpCtx *fp, FpCat cat)
{
	Oid			catalog;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	HTAB	   *h;
	MemoryContext tmpcxt;

	switch (cat)
	{
		case FPC_OPER: catalog = OperatorRelationId; break;
		case FPC_COLL: catalog = CollationRelationId; break;
		case FPC_OPCLASS: catalog = OperatorClassRelationId; break;
		case FPC_OPFAMILY: catalog = OperatorFamilyRelationId; break;
		case FPC_AM: catalog = AccessMethodRelationId; break;
		case FPC_LANG: catalog = LanguageRelationId; break;
		case FPC_CONSTRAINT: catalog = ConstraintRelationId; break;
		case FPC_TSCONFIG: catalog = TSConfigRelationId; break;
		case FPC_TSDICT: catalog = TSDictionaryRelationId; break;
		case FPC_TSPARSER: catalog = TSParserRelationId; break;
		case FPC_TSTEMPLATE: catalog = TSTemplateRelationId; break;
		case FPC_ROLE: catalog = AuthIdRelationId; break;
		case FPC_TABLESPACE: catalog = TableSpaceRelationId; break;
		case FPC_FDW: catalog = ForeignDataWrapperRelationId; break;
		case FPC_SERVER: catalog = ForeignServerRelationId; break;
		case FPC_ENUM: catalog = EnumRelationId; break;
		case FPC_EXTENSION: catalog = ExtensionRelationId; break;
		default:
			elog(ERROR, "dualboot: no lazy map for object class %d", (int) cat);
			return;
	}
	rel = fp_open(catalog);
	h = fp_hash_create(fp, "dualboot fp lazy", sizeof(Oid), sizeof(FpName),
					   expected_rows(rel));
	/* own row context: we may be called while a caller's row is in use */
	tmpcxt = AllocSetContextCreate(fp->cxt, "dualboot fp lazy row",
								   ALLOCSET_SMALL_SIZES);
	scan = fp_beginscan(fp, rel);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(tmpcxt);
		void	   *s = GETSTRUCT(tup);
		Oid			oid = InvalidOid;
		char	   *id = NULL;

		switch (cat)
		{
			case FPC_OPER:
				{
					Form_pg_operator f = s;

					oid = f->oid;
					id = psprintf("%s.%s(%s,%s)", fp_ident(fp, FPC_NSP, f->oprnamespace),
								  NameStr(f->oprname),
								  fp_ident(fp, FPC_TYPE, f->oprleft),
								  fp_ident(fp, FPC_TYPE, f->oprright));
					break;
				}
			case FPC_COLL:
				{
					Form_pg_collation f = s;

					oid = f->oid;
					id = psprintf("%s.%s", fp_ident(fp, FPC_NSP, f->collnamespace),
								  quote_identifier(NameStr(f->collname)));
					break;
				}
			case FPC_OPCLASS:
				{
					Form_pg_opclass f = s;

					oid = f->oid;
					id = psprintf("%s.%s using %s", fp_ident(fp, FPC_NSP, f->opcnamespace),
								  quote_identifier(NameStr(f->opcname)),
								  amname_of(fp, f->opcmethod));
					break;
				}
			case FPC_OPFAMILY:
				{
					Form_pg_opfamily f = s;

					oid = f->oid;
					id = psprintf("%s.%s using %s", fp_ident(fp, FPC_NSP, f->opfnamespace),
								  quote_identifier(NameStr(f->opfname)),
								  amname_of(fp, f->opfmethod));
					break;
				}
			case FPC_AM:
				{
					Form_pg_am	f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->amname)));
					break;
				}
			case FPC_LANG:
				{
					Form_pg_language f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->lanname)));
					break;
				}
			case FPC_CONSTRAINT:
				{
					Form_pg_constraint f = s;

					oid = f->oid;
					if (OidIsValid(f->conrelid))
						id = psprintf("%s.%s", fp_ident(fp, FPC_REL, f->conrelid),
									  quote_identifier(NameStr(f->conname)));
					else
						id = psprintf("%s.%s", fp_ident(fp, FPC_TYPE, f->contypid),
									  quote_identifier(NameStr(f->conname)));
					break;
				}
			case FPC_TSCONFIG:
				{
					Form_pg_ts_config f = s;

					oid = f->oid;
					id = psprintf("%s.%s", fp_ident(fp, FPC_NSP, f->cfgnamespace),
								  quote_identifier(NameStr(f->cfgname)));
					break;
				}
			case FPC_TSDICT:
				{
					Form_pg_ts_dict f = s;

					oid = f->oid;
					id = psprintf("%s.%s", fp_ident(fp, FPC_NSP, f->dictnamespace),
								  quote_identifier(NameStr(f->dictname)));
					break;
				}
			case FPC_TSPARSER:
				{
					Form_pg_ts_parser f = s;

					oid = f->oid;
					id = psprintf("%s.%s", fp_ident(fp, FPC_NSP, f->prsnamespace),
								  quote_identifier(NameStr(f->prsname)));
					break;
				}
			case FPC_TSTEMPLATE:
				{
					Form_pg_ts_template f = s;

					oid = f->oid;
					id = psprintf("%s.%s", fp_ident(fp, FPC_NSP, f->tmplnamespace),
								  quote_identifier(NameStr(f->tmplname)));
					break;
				}
			case FPC_ROLE:
				{
					Form_pg_authid f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->rolname)));
					break;
				}
			case FPC_TABLESPACE:
				{
					Form_pg_tablespace f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->spcname)));
					break;
				}
			case FPC_FDW:
				{
					Form_pg_foreign_data_wrapper f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->fdwname)));
					break;
				}
			case FPC_SERVER:
				{
					Form_pg_foreign_server f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->srvname)));
					break;
				}
			case FPC_ENUM:
				{
					Form_pg_enum f = s;

					oid = f->oid;
					id = psprintf("%s:%s", fp_ident(fp, FPC_TYPE, f->enumtypid),
								  quote_literal_cstr(NameStr(f->enumlabel)));
					break;
				}
			case FPC_EXTENSION:
				{
					Form_pg_extension f = s;

					oid = f->oid;
					id = pstrdup(quote_identifier(NameStr(f->extname)));
					break;
				}
			default:
				break;
		}
		MemoryContextSwitchTo(old);
		if (id != NULL && oid >= FirstGenbkiObjectId)
			lazy_put(fp, h, oid, id);
		MemoryContextReset(tmpcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	MemoryContextDelete(tmpcxt);
	fp->lazy[cat] = h;
}

/*
 * A ring of buffers for "#<oid>" so that callers may hold a few: as many as
 * one call passes to a printf at most (an aggregate names nine functions and
 * operators in one psprintf; with 8 buffers its sort operator was written
 * as one of its functions).
 */
#define FP_BUILTIN_RING 16

static const char *
builtin_ident(Oid oid)
{
	static char ring[FP_BUILTIN_RING][16];
	static int	next = 0;
	char	   *b = ring[next];
	char	   *p = b + 15;

	next = (next + 1) % FP_BUILTIN_RING;
	*p = '\0';
	do
	{
		*--p = '0' + (oid % 10);
		oid /= 10;
	} while (oid != 0);
	*--p = '#';
	return p;
}

static const char *
unknown_ident(FpCtx *fp, FpCat cat, Oid oid)
{
	/*
	 * A dangling reference (the object is gone or invisible in our snapshot).
	 * Keep the OID: the value is then not portable, which is the truth.
	 */
	return MemoryContextStrdup(fp->cxt, psprintf("?%d:%u", (int) cat, oid));
}

/*
 * The identity of a relation missing from the relation map: a TOAST table or
 * index (load_classes() leaves them out) named as the map would have named
 * it, else a dangling reference. Looked up in the system cache, once per
 * relation (fp->lazy[FPC_REL] is free for it: relations have an eager map);
 * no schema of ordinary objects ever gets here.
 */
static const char *
toast_ident(FpCtx *fp, Oid oid)
{
	FpName	   *n;
	HeapTuple	tup;
	char	   *ident = NULL;

	if (fp->lazy[FPC_REL] == NULL)
		fp->lazy[FPC_REL] = fp_hash_create(fp, "dualboot fp toast names",
										   sizeof(Oid), sizeof(FpName), 16);
	n = hash_search(fp->lazy[FPC_REL], &oid, HASH_FIND, NULL);
	if (n != NULL)
		return n->ident;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(oid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_class f = (Form_pg_class) GETSTRUCT(tup);

		if (f->relkind == RELKIND_TOASTVALUE || f->relnamespace == PG_TOAST_NAMESPACE)
			ident = fp_qualify(fp, f->relnamespace, NameStr(f->relname));
		ReleaseSysCache(tup);
	}
	if (ident == NULL)
		return unknown_ident(fp, FPC_REL, oid);
	lazy_put(fp, fp->lazy[FPC_REL], oid, ident);
	return ident;
}

const char *
fp_ident(FpCtx *fp, FpCat cat, Oid oid)
{
	if (!OidIsValid(oid))
		return "-";
	/* namespaces, relations and types by name always: they are eager maps */
	if (oid < FirstGenbkiObjectId &&
		cat != FPC_NSP && cat != FPC_REL && cat != FPC_TYPE)
		return builtin_ident(oid);

	switch (cat)
	{
		case FPC_NSP:
			{
				FpNsp	   *n = map_get(fp->nsp, oid);

				return n ? n->ident : unknown_ident(fp, cat, oid);
			}
		case FPC_REL:
			{
				FpRel	   *r = fp_rel(fp, oid);

				if (r == NULL)
					return toast_ident(fp, oid);
				if (r->ident == NULL)
					r->ident = fp_qualify(fp, r->nsp, r->name);
				return r->ident;
			}
		case FPC_TYPE:
			{
				FpType	   *t = map_get(fp->typ, oid);

				if (t == NULL)
					return unknown_ident(fp, cat, oid);
				if (t->ident == NULL)
				{
					FpType	   *e = NULL;

					/* an implicit array type is named after its element */
					if (OidIsValid(t->typelem) && t->typlen == -1)
						e = map_get(fp->typ, t->typelem);
					if (e != NULL && e->typarray == oid)
						t->ident = MemoryContextStrdup(fp->cxt,
													   psprintf("%s[]", fp_ident(fp, FPC_TYPE, t->typelem)));
					else
						t->ident = fp_qualify(fp, t->nsp, t->name);
				}
				return t->ident;
			}
		case FPC_PROC:
			{
				FpProc	   *p = map_get(fp->proc, oid);

				if (p == NULL)
					return unknown_ident(fp, cat, oid);
				if (p->ident == NULL)
				{
					StringInfoData s;
					int			i;

					initStringInfo(&s);
					appendStringInfo(&s, "%s.%s(", fp_ident(fp, FPC_NSP, p->nsp),
									 quote_identifier(p->name));
					for (i = 0; i < p->nargs; i++)
						appendStringInfo(&s, "%s%s", i ? "," : "",
										 fp_ident(fp, FPC_TYPE, p->argtypes[i]));
					appendStringInfoChar(&s, ')');
					p->ident = MemoryContextStrdup(fp->cxt, s.data);
					pfree(s.data);
				}
				return p->ident;
			}
		default:
			{
				FpName	   *n;

				if (fp->lazy[cat] == NULL)
					load_lazy(fp, cat);
				n = hash_search(fp->lazy[cat], &oid, HASH_FIND, NULL);
				return n ? n->ident : unknown_ident(fp, cat, oid);
			}
	}
}

/*
 * The name of column attnum of a relation, or "#<attnum>" for system columns,
 * whole-row references and relations we keep no columns for (the system
 * catalogs, whose attnums are fixed for a major version).
 */
const char *
fp_attname(FpCtx *fp, Oid relid, int attnum)
{
	static char b[4][16];
	static int	next = 0;
	FpRel	   *r;

	if (attnum > 0)
	{
		r = fp_rel(fp, relid);
		if (r && r->atts && attnum <= r->natts && r->atts[attnum - 1].name)
			return r->atts[attnum - 1].qname;
	}
	next = (next + 1) % 4;
	snprintf(b[next], 16, "#%d", attnum);
	return b[next];
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * "a,b,c": the n strings sorted (strcmp) and joined with commas, for lists
 * whose order is not part of the object (ACL items, a policy's roles). Sorts
 * v in place; the result in the current memory context.
 */
char *
fp_sorted_list(const char **v, int n)
{
	StringInfoData s;
	int			i;

	if (n > 1)
		qsort(v, n, sizeof(char *), cmp_cstr);
	initStringInfo(&s);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&s, ',');
		appendStringInfoString(&s, v[i]);
	}
	return s.data;
}

/*
 * A canonical text for an ACL: the items of the ACL (or of the default ACL
 * when it is NULL) as aclitemout writes them, sorted. NULL and an explicit
 * ACL equal to the default give the same text, as pg_dump restores one as
 * the other. Allocated in the current memory context.
 */
char *
fp_acl_text(FpCtx *fp, Datum acl, bool isnull, ObjectType objtype, Oid owner)
{
	Acl		   *a;
	AclItem    *items;
	int			n,
				i;
	const char **strs;

	(void) fp;
	if (isnull)
		a = acldefault(objtype, owner);
	else
		a = DatumGetAclP(acl);
	n = ACL_NUM(a);
	items = ACL_DAT(a);
	strs = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		strs[i] = DatumGetCString(DirectFunctionCall1(aclitemout,
													  PointerGetDatum(&items[i])));
	return fp_sorted_list(strs, n);
}
