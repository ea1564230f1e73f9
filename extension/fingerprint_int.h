/*
 * fingerprint_int.h - internals of the schema fingerprint, shared by
 * fingerprint.c (driver and SQL functions), fingerprint_maps.c (OID to
 * identity maps built from catalog scans), fingerprint_node.c (canonical form
 * of stored node trees) and fingerprint_objects.c (one emitter per object
 * kind). Nothing here is an interface for other parts of dualboot.
 */
#ifndef DUALBOOT_FINGERPRINT_INT_H
#define DUALBOOT_FINGERPRINT_INT_H

#include "postgres.h"

#include "access/htup.h"
#include "common/cryptohash.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/hsearch.h"
#include "access/tableam.h"
#include "utils/relcache.h"
#include "utils/array.h"
#include "utils/snapshot.h"
#include "portability/instr_time.h"

#include "pg_compat.h"

#define FP_DIGEST_LEN 32

/* Object classes an OID can point to (what a reference is resolved with). */
typedef enum FpCat
{
	FPC_NSP,
	FPC_REL,
	FPC_TYPE,
	FPC_PROC,
	FPC_OPER,
	FPC_COLL,
	FPC_OPCLASS,
	FPC_OPFAMILY,
	FPC_AM,
	FPC_LANG,
	FPC_CONSTRAINT,
	FPC_TSCONFIG,
	FPC_TSDICT,
	FPC_TSPARSER,
	FPC_TSTEMPLATE,
	FPC_ROLE,
	FPC_TABLESPACE,
	FPC_FDW,
	FPC_SERVER,
	FPC_ENUM,
	FPC_EXTENSION,
	FPC_NUM
} FpCat;

/*
 * The maps hold one FpRel per relation and one FpAtt per column for the
 * whole computation: they are kept small (a few hundred bytes per table of
 * a typical schema), with what few relations or columns have in a separate
 * "more" part allocated only when one of its fields is set.
 */
typedef struct FpAttMore
{
	char	   *options;		/* attoptions as text, or NULL */
	char	   *fdwoptions;		/* attfdwoptions as text, or NULL */
	char	   *acl;			/* canonical column ACL (include_acl only) */
} FpAttMore;

/* Per-column data of a user relation, live columns only. */
typedef struct FpAtt
{
	char	   *name;			/* NULL for a dropped column */
	const char *qname;			/* name quoted as an identifier */
	Oid			typid;
	int32		typmod;
	Oid			collation;
	int16		stattarget;
	int16		inhcount;
	bool		notnull;
	bool		islocal;
	char		identity;
	char		generated;
	char		storage;
	char		compression;
	const char *default_canon;	/* canonical default expression, or NULL */
	FpAttMore  *more;			/* NULL: none of its fields set */
} FpAtt;

typedef struct FpRelMore
{
	Oid			oftype;
	int16		owned_by_att;	/* sequences: OWNED BY / identity */
	char		owned_deptype;
	Oid			owned_by_rel;
	char	   *acl;
	uint8	   *bound_digest;	/* FP_DIGEST_LEN bytes, or NULL */
	uint8	   *view_digest;	/* FP_DIGEST_LEN bytes, or NULL */
	char	   *partkey;		/* canonical partition key, or NULL */
	char	   *ftinfo;			/* foreign table server and options, or NULL */
	char	   *toastoptions;	/* its TOAST table's reloptions (toast.*), or NULL */
	List	   *parents;		/* parents in inhseqno order (Oids) */
} FpRelMore;

typedef struct FpRel
{
	Oid			oid;			/* hash key */
	Oid			nsp;
	char	   *name;
	char	   *ident;			/* cached qualified identity */
	FpAtt	   *atts;			/* natts entries, index attnum-1 */
	char	   *colsig;			/* column names by attnum (fingerprint_node.c) */
	char	   *reloptions;
	FpRelMore  *more;			/* NULL: none of its fields set (fp_rel_more) */
	Oid			am;
	Oid			tablespace;
	Oid			owner;
	int16		natts;
	char		relkind;
	char		persistence;
	char		replident;
	bool		rowsecurity;
	bool		forcerowsecurity;
	bool		ispartition;
	bool		user;			/* an object the fingerprint covers */
} FpRel;

/* fp->rels: every relation by OID (a sorted array, fp_rel_lookup()) */
typedef struct FpRelRef
{
	Oid			oid;
	FpRel	   *rel;
} FpRelRef;

typedef struct FpType
{
	Oid			oid;			/* hash key */
	Oid			nsp;
	char	   *name;
	char	   *ident;
	char		typtype;
	Oid			typelem;
	Oid			typarray;
	Oid			typrelid;
	Oid			typoutput;
	int16		typlen;
	bool		typbyval;
} FpType;

typedef struct FpProc
{
	Oid			oid;			/* hash key */
	Oid			nsp;
	char	   *name;
	char	   *ident;
	int			nargs;
	Oid		   *argtypes;
} FpProc;

/* A generic OID -> identity entry for the lazily built maps. */
typedef struct FpName
{
	Oid			oid;			/* hash key */
	char	   *ident;
} FpName;

/* one object's digest (dualboot_schema_fingerprint() keeps nothing else) */
typedef struct FpDigest
{
	uint8		d[FP_DIGEST_LEN];
} FpDigest;

/*
 * A manifest row, as read back from the sort (fingerprint.c): pointers into
 * one bytea "kind NUL identity NUL <digest> [canonical text]".
 */
typedef struct FpEntry
{
	const char *kind;
	const char *identity;
	const uint8 *digest;		/* FP_DIGEST_LEN bytes */
	const char *canonical;		/* canonical text, dualboot_schema_canonical() only */
	int			canonical_len;
} FpEntry;

/*
 * fp_rel() answers from a small direct-mapped cache of recent lookups (by
 * the OID's low bits) before probing the relation map: lookups come in runs
 * over a few relations at a time (a constraint names its table, its index and
 * the referenced table), and related objects have neighbouring OIDs.
 */
#define FP_RELCACHE_SIZE 256
typedef struct FpRelCacheEntry
{
	Oid			oid;
	FpRel	   *rel;			/* NULL: empty (unknown OIDs are not cached) */
} FpRelCacheEntry;

/*
 * A function that is part of another object (pg_depend deptype 'i': a range
 * type's constructors), dropped with it and not dumped on its own.
 */
typedef struct FpProcInternal
{
	Oid			proc;			/* hash key */
	Oid			refclassid;
	Oid			refobjid;
} FpProcInternal;

typedef struct FpCtx
{
	MemoryContext cxt;			/* everything of one computation */
	MemoryContext rowcxt;		/* reset after every catalog row */
	Snapshot	snap;			/* the one snapshot all scans use */
	bool		include_acl;
	void	   *nsp;			/* namespace map (fingerprint_maps.c) */
	FpRelRef   *rels;			/* every relation, sorted by OID once loaded */
	int			nrels;
	int			maxrels;
	bool		rels_sorted;	/* false while pg_class is being read */
	int			relfinger;		/* fp_rel_lookup(): where the last one was */
	FpRelCacheEntry relcache[FP_RELCACHE_SIZE];	/* fp_rel(): recent lookups */
	void	   *typ;			/* type map: Oid -> FpType */
	void	   *proc;			/* function map: Oid -> FpProc */
	HTAB	   *extmember;		/* FpExtKey -> extension oid */
	HTAB	   *toastopts;		/* TOAST table oid -> reloptions; NULL: none has any */
	HTAB	   *procinternal;	/* function oid -> FpProcInternal; NULL: none */
	HTAB	   *lazy[FPC_NUM];	/* FpName maps built on first use */
	StringInfoData buf;			/* canonical bytes of the current object */
	StringInfoData nodebuf;		/* scratch for node tree canonical form */
	void	   *canon_memo;		/* memo of canonical node trees */
	int			canon_memo_n;
	Size		canon_memo_bytes;	/* trees and forms it holds (bounded) */
	pg_cryptohash_ctx *hash;	/* per-object digest */
	struct Tuplesortstate *sort;	/* the manifest rows, bounded by work_mem, or NULL */
	FpDigest   *digests;		/* without rows: every object's digest */
	Size		ndigests;
	Size		maxdigests;
	StringInfoData rowbuf;		/* the bytea of the row being added */
	int			nentries;
	bool		keep_canonical; /* dualboot_schema_canonical(): keep the text */
	char	   *arena;			/* fp_alloc(): free part of the current block */
	Size		arena_left;
} FpCtx;

/*
 * Each phase's time at DEBUG1 (SET client_min_messages = debug1): where the
 * time goes, for docs/benchmarks.md. Costs nothing when not logged.
 */
#define FP_PHASE(call) \
	do { \
		instr_time	fp_t0, fp_t1; \
		bool		fp_timed = message_level_is_interesting(DEBUG1); \
		if (fp_timed) \
			INSTR_TIME_SET_CURRENT(fp_t0); \
		call; \
		if (fp_timed) \
		{ \
			INSTR_TIME_SET_CURRENT(fp_t1); \
			INSTR_TIME_SUBTRACT(fp_t1, fp_t0); \
			elog(DEBUG1, "dualboot fingerprint: %s %.1f ms", #call, \
				 INSTR_TIME_GET_MILLISEC(fp_t1)); \
		} \
	} while (0)

/* fingerprint_maps.c */
extern void fp_build_maps(FpCtx *fp);
extern const char *fp_ident(FpCtx *fp, FpCat cat, Oid oid);
extern const char *fp_attname(FpCtx *fp, Oid relid, int attnum);
extern FpRel *fp_rel_lookup(FpCtx *fp, Oid relid);

static inline FpRel *
fp_rel(FpCtx *fp, Oid relid)
{
	FpRelCacheEntry *c = &fp->relcache[relid & (FP_RELCACHE_SIZE - 1)];

	if (likely(c->oid == relid && c->rel != NULL))
		return c->rel;
	return fp_rel_lookup(fp, relid);
}
extern FpType *fp_type(FpCtx *fp, Oid typid);
extern FpRelMore *fp_rel_more(FpCtx *fp, FpRel *r);
extern FpAttMore *fp_att_more(FpCtx *fp, FpAtt *a);
extern bool fp_is_user_nsp(FpCtx *fp, Oid nspid);
extern Oid	fp_ext_owner(FpCtx *fp, Oid classid, Oid objid);
extern char *fp_text_datum(Datum d);
extern char *fp_acl_text(FpCtx *fp, Datum acl, bool isnull, ObjectType objtype, Oid owner);
extern char *fp_sorted_list(const char **v, int n);
extern Relation fp_open(Oid relid);
extern TableScanDesc fp_beginscan(FpCtx *fp, Relation rel);

/* a scan over one catalog, with the row context reset per row */
typedef struct FpScan
{
	Relation	rel;
	TupleDesc	desc;
	TableScanDesc scan;
	FpCtx	   *fp;
	MemoryContext old;
	HeapTuple	tup;			/* current row */
	bool		deformed;		/* values/nulls hold tup's columns */
	Datum	   *values;
	bool	   *nulls;
} FpScan;

/* fingerprint_scan.c */
extern void fp_scan_begin(FpScan *s, FpCtx *fp, Oid catalog);
extern HeapTuple fp_scan_next(FpScan *s);
extern Datum fp_scan_attr(FpScan *s, int attnum, bool *isnull);
extern void fp_scan_end(FpScan *s);
extern char *fp_col_text(FpScan *s, int attnum);
extern int16 fp_col_int16(FpScan *s, int attnum, int16 ifnull);
extern char *fp_col_array(FpScan *s, int attnum);
extern ArrayType *fp_col_plain_array(FpScan *s, int attnum, int *n);
extern void fp_list_begin(FpCtx *fp, const char *key);
extern void fp_list_item(FpCtx *fp, int i, const char *v);
extern void fp_list_end(FpCtx *fp);
extern void fp_put_oid_array(FpCtx *fp, FpScan *s, int attnum, const char *key, FpCat cat);
extern void fp_put_attnum_array(FpCtx *fp, FpScan *s, int attnum, const char *key, Oid relid);
extern void fp_put_owner_acl(FpCtx *fp, FpScan *s, Oid owner, int aclattnum, ObjectType ot);
extern char *fp_join_dot(const char *a, const char *b);
extern bool fp_user_object(FpCtx *fp, Oid classid, Oid oid, Oid nsp);
extern bool fp_user_rel(FpCtx *fp, Oid relid);

/* fingerprint_node.c */
extern void fp_canon_node(FpCtx *fp, StringInfo out, const char *tree, Oid baserel);
extern const char *fp_canon_node_str(FpCtx *fp, const char *tree, Oid baserel);

/* fingerprint_objects.c */
extern void fp_emit_all(FpCtx *fp);

/* fingerprint_opclass.c */
extern void fp_emit_opclass_kinds(FpCtx *fp);

/* fingerprint.c: canonical byte writers and entry collection */
extern void fp_begin(FpCtx *fp);
extern void fp_end(FpCtx *fp, const char *kind, const char *identity);
extern void fp_digest_buf(FpCtx *fp, const char *data, size_t len, uint8 *digest);
/*
 * The key's length is passed along: keys are string literals, so the
 * compiler counts them (a strlen call per line written was 5% of the time).
 */
extern void fp_put_strk(FpCtx *fp, const char *key, size_t keylen, const char *val);
extern void fp_put_intk(FpCtx *fp, const char *key, size_t keylen, int64 val);
extern void fp_put_chark(FpCtx *fp, const char *key, size_t keylen, char val);
extern void fp_put_boolk(FpCtx *fp, const char *key, size_t keylen, bool val);
#define fp_put_str(fp, key, val) fp_put_strk((fp), (key), strlen(key), (val))
#define fp_put_int(fp, key, val) fp_put_intk((fp), (key), strlen(key), (val))
#define fp_put_char(fp, key, val) fp_put_chark((fp), (key), strlen(key), (val))
#define fp_put_bool(fp, key, val) fp_put_boolk((fp), (key), strlen(key), (val))
extern void fp_put_refk(FpCtx *fp, const char *key, size_t keylen, FpCat cat, Oid oid);
#define fp_put_ref(fp, key, cat, oid) fp_put_refk((fp), (key), strlen(key), (cat), (oid))
extern void fp_put_node(FpCtx *fp, const char *key, const char *tree, Oid baserel);
extern void fp_append_int(StringInfo b, int64 v);
extern void fp_put_digest(FpCtx *fp, const char *key, const uint8 *digest);
extern char *fp_qualify(FpCtx *fp, Oid nsp, const char *name);
extern void *fp_alloc(FpCtx *fp, Size size);
extern char *fp_strdup(FpCtx *fp, const char *s);

#endif							/* DUALBOOT_FINGERPRINT_INT_H */
