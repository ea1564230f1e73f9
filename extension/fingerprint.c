/*
 * fingerprint.c - the schema fingerprint and manifest: driver and SQL
 * functions.
 *
 * One computation: take one snapshot, pin search_path to pg_catalog, build
 * the OID -> identity maps (fingerprint_maps.c), let every object emitter
 * (fingerprint_objects.c and fingerprint_opclass.c) write each object's
 * canonical bytes and hash them, with the object's kind and identity, into a
 * per-object SHA-256; the database fingerprint is SHA-256 over those digests
 * in byte order, a function of the manifest alone. The manifest functions
 * sort the rows by (kind, identity) instead.
 * docs/fingerprint.md describes the canonical form.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"

#include "dbstate.h"
#include "fingerprint.h"
#include "fingerprint_int.h"

#define FP_MAJOR (PG_VERSION_NUM / 10000)

/* a server built with OpenSSL 3: hash through EVP directly (see below) */
#ifdef USE_OPENSSL
#include <openssl/evp.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define FP_EVP_DIRECT 1
#endif
#endif

static void
hash_fail(pg_cryptohash_ctx *h)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("dualboot: could not compute SHA-256: %s",
					pg_cryptohash_error(h))));
}

#ifdef FP_EVP_DIRECT
/*
 * One SHA-256 per object, about 100,000 per fingerprint at 10,000 tables.
 * pg_cryptohash_init() calls EVP_DigestInit_ex(ctx, EVP_sha256(), NULL),
 * which in OpenSSL 3 fetches the algorithm from the provider store (locks,
 * reference counts) on every call: about a tenth of the whole computation.
 * Here the algorithm is fetched once per backend and one context is
 * re-initialised for each object (EVP_DigestInit_ex2 with an already
 * fetched digest only resets the state). Both live as long as the process;
 * nothing needs freeing on error.
 */
static EVP_MD *fp_evp_md = NULL;
static EVP_MD_CTX *fp_evp_ctx = NULL;

static void
evp_fail(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("dualboot: could not compute SHA-256 with OpenSSL")));
}

static inline void
evp_ready(void)
{
	if (unlikely(fp_evp_ctx == NULL))
	{
		if (fp_evp_md == NULL)
			fp_evp_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (fp_evp_md == NULL)
			evp_fail();
		fp_evp_ctx = EVP_MD_CTX_new();
		if (fp_evp_ctx == NULL)
			evp_fail();
	}
}

void
fp_digest_buf(FpCtx *fp, const char *data, size_t len, uint8 *digest)
{
	(void) fp;
	evp_ready();
	if (EVP_DigestInit_ex2(fp_evp_ctx, fp_evp_md, NULL) != 1 ||
		EVP_DigestUpdate(fp_evp_ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(fp_evp_ctx, digest, NULL) != 1)
		evp_fail();
}

/* SHA-256 of "kind NUL identity NUL canonical bytes": one manifest row */
static void
fp_digest_row(FpCtx *fp, const char *kind, size_t kindlen,
			  const char *identity, size_t identlen, uint8 *digest)
{
	evp_ready();
	if (EVP_DigestInit_ex2(fp_evp_ctx, fp_evp_md, NULL) != 1 ||
		EVP_DigestUpdate(fp_evp_ctx, kind, kindlen + 1) != 1 ||
		EVP_DigestUpdate(fp_evp_ctx, identity, identlen + 1) != 1 ||
		EVP_DigestUpdate(fp_evp_ctx, fp->buf.data, fp->buf.len) != 1 ||
		EVP_DigestFinal_ex(fp_evp_ctx, digest, NULL) != 1)
		evp_fail();
}
#else
void
fp_digest_buf(FpCtx *fp, const char *data, size_t len, uint8 *digest)
{
	if (pg_cryptohash_init(fp->hash) < 0 ||
		pg_cryptohash_update(fp->hash, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(fp->hash, digest, FP_DIGEST_LEN) < 0)
		hash_fail(fp->hash);
}

static void
fp_digest_row(FpCtx *fp, const char *kind, size_t kindlen,
			  const char *identity, size_t identlen, uint8 *digest)
{
	if (pg_cryptohash_init(fp->hash) < 0 ||
		pg_cryptohash_update(fp->hash, (const uint8 *) kind, kindlen + 1) < 0 ||
		pg_cryptohash_update(fp->hash, (const uint8 *) identity, identlen + 1) < 0 ||
		pg_cryptohash_update(fp->hash, (const uint8 *) fp->buf.data, fp->buf.len) < 0 ||
		pg_cryptohash_final(fp->hash, digest, FP_DIGEST_LEN) < 0)
		hash_fail(fp->hash);
}
#endif

/* ---- the arena of the maps ---- */

/*
 * The maps hold a few hundred thousand small objects (a relation, its
 * columns, names, manifest identities) for the whole computation and free
 * none of them before the end. Carved from large zeroed blocks of fp->cxt
 * they cost no chunk header and no rounding up to a power of two (an FpRel
 * of about 200 bytes took 256 plus the header), so they take less memory,
 * fewer page faults and fewer cache lines.
 */
#define FP_ARENA_BLOCK (256 * 1024)

void *
fp_alloc(FpCtx *fp, Size size)
{
	void	   *p;

	size = MAXALIGN(size);
	if (size > FP_ARENA_BLOCK / 8)
		return MemoryContextAllocZero(fp->cxt, size);
	if (size > fp->arena_left)
	{
		fp->arena = MemoryContextAllocZero(fp->cxt, FP_ARENA_BLOCK);
		fp->arena_left = FP_ARENA_BLOCK;
	}
	p = fp->arena;
	fp->arena += size;
	fp->arena_left -= size;
	return p;
}

char *
fp_strdup(FpCtx *fp, const char *s)
{
	size_t		len = strlen(s);
	char	   *r = fp_alloc(fp, len + 1);

	memcpy(r, s, len);			/* the arena is zeroed: r[len] is NUL */
	return r;
}

/* ---- canonical bytes of one object ---- */

void
fp_begin(FpCtx *fp)
{
	resetStringInfo(&fp->buf);
}

/*
 * An object's digest is SHA-256 over "kind NUL identity NUL canonical
 * bytes": it names the object as well as describing it, so that every
 * digest of a manifest is distinct and the database fingerprint can be
 * taken over the sorted digests alone (fp_total()).
 *
 * dualboot_schema_fingerprint() needs nothing else: each digest is
 * appended to an array of 32-byte entries, sorted at the end. The manifest
 * functions need the rows themselves, in (kind, identity) order: each goes
 * into a sort as one bytea, "kind NUL identity NUL <32 digest bytes>" (plus
 * the canonical text for dualboot_schema_canonical()). Byte order on it is
 * the order of (kind, identity) with strcmp: neither holds a NUL, so where
 * one is a prefix of the other its NUL sorts first. That sort keeps at most
 * work_mem and spills to a temporary file beyond that.
 */
void
fp_end(FpCtx *fp, const char *kind, const char *identity)
{
	StringInfo	r = &fp->rowbuf;
	size_t		kindlen = strlen(kind);
	size_t		identlen = strlen(identity);
	uint8		digest[FP_DIGEST_LEN];

	fp->nentries++;
	if (fp->sort == NULL)
	{
		if (fp->ndigests >= fp->maxdigests)
		{
			/* about two objects per relation: usually one allocation */
			if (fp->digests == NULL)
			{
				fp->maxdigests = Max(1024, 2 * (Size) fp->nrels);
				fp->digests = MemoryContextAllocHuge(fp->cxt, sizeof(FpDigest) * fp->maxdigests);
			}
			else
			{
				fp->maxdigests *= 2;
				fp->digests = repalloc_huge(fp->digests, sizeof(FpDigest) * fp->maxdigests);
			}
		}
		fp_digest_row(fp, kind, kindlen, identity, identlen,
					  fp->digests[fp->ndigests++].d);
		return;
	}
	fp_digest_row(fp, kind, kindlen, identity, identlen, digest);
	resetStringInfo(r);
	appendBinaryStringInfo(r, "\0\0\0\0", VARHDRSZ);
	appendBinaryStringInfo(r, kind, kindlen + 1);
	appendBinaryStringInfo(r, identity, identlen + 1);
	appendBinaryStringInfo(r, (const char *) digest, FP_DIGEST_LEN);
	if (fp->keep_canonical)
		appendBinaryStringInfo(r, fp->buf.data, fp->buf.len);
	SET_VARSIZE(r->data, r->len);
	tuplesort_putdatum(fp->sort, PointerGetDatum(r->data), false);
}

/* digests sort by their bytes (fp_total()) */
static inline int
fp_digest_cmp(const FpDigest *a, const FpDigest *b)
{
	uint64		x,
				y;

	/* the first 8 bytes as one big-endian number decide nearly always */
	memcpy(&x, a->d, sizeof(x));
	memcpy(&y, b->d, sizeof(y));
	if (x != y)
		return pg_ntoh64(x) < pg_ntoh64(y) ? -1 : 1;
	return memcmp(a->d + sizeof(x), b->d + sizeof(x), FP_DIGEST_LEN - sizeof(x));
}

#define ST_SORT fp_sort_digests
#define ST_ELEMENT_TYPE FpDigest
#define ST_COMPARE(a, b) fp_digest_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The next manifest row in (kind, identity) order into *e, false at the end.
 * The row's memory (*mem) belongs to the caller's context: pfree it.
 */
static bool
fp_next(FpCtx *fp, FpEntry *e, bytea **mem)
{
	Datum		d;
	bool		isnull;
	bytea	   *b;
	const char *p;
	const char *end;

	if (!pgc_tuplesort_getdatum(fp->sort, true, &d, &isnull))
		return false;
	Assert(!isnull);
	b = DatumGetByteaPP(d);
	p = VARDATA_ANY(b);
	end = p + VARSIZE_ANY_EXHDR(b);
	e->kind = p;
	p += strlen(p) + 1;
	e->identity = p;
	p += strlen(p) + 1;
	e->digest = (const uint8 *) p;
	p += FP_DIGEST_LEN;
	Assert(p <= end);
	e->canonical = p;
	e->canonical_len = end - p;
	*mem = b;
	return true;
}

/*
 * The writers below run a few hundred thousand times per fingerprint: no
 * printf, just copies.
 */
static inline void
put_keyn(StringInfo b, const char *key, size_t keylen)
{
	appendBinaryStringInfo(b, key, keylen);
	appendStringInfoChar(b, '=');
}

static inline void
put_key(StringInfo b, const char *key)
{
	put_keyn(b, key, strlen(key));
}

/* decimal digits of v into the end of buf; returns the start */
static char *
fmt_int64(int64 v, char *end)
{
	uint64		u = v < 0 ? (uint64) (-(v + 1)) + 1 : (uint64) v;
	char	   *p = end;

	do
	{
		*--p = '0' + (u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static inline void
put_int64(StringInfo b, int64 v)
{
	char		tmp[24];
	char	   *p = fmt_int64(v, tmp + sizeof(tmp));

	appendBinaryStringInfo(b, p, tmp + sizeof(tmp) - p);
}

void
fp_append_int(StringInfo b, int64 v)
{
	put_int64(b, v);
}

/* key=<length>:<bytes>\n: unambiguous whatever the value holds */
void
fp_put_strk(FpCtx *fp, const char *key, size_t keylen, const char *val)
{
	size_t		len;

	/* an absent value writes no line: keys are explicit, so still unambiguous */
	if (val == NULL)
		return;
	put_keyn(&fp->buf, key, keylen);
	len = strlen(val);
	put_int64(&fp->buf, (int64) len);
	appendStringInfoChar(&fp->buf, ':');
	appendBinaryStringInfo(&fp->buf, val, len);
	appendStringInfoChar(&fp->buf, '\n');
}

void
fp_put_intk(FpCtx *fp, const char *key, size_t keylen, int64 val)
{
	put_keyn(&fp->buf, key, keylen);
	put_int64(&fp->buf, val);
	appendStringInfoChar(&fp->buf, '\n');
}

void
fp_put_chark(FpCtx *fp, const char *key, size_t keylen, char val)
{
	put_keyn(&fp->buf, key, keylen);
	if (val == '\0')
		appendBinaryStringInfo(&fp->buf, "\\0", 2);
	else
		appendStringInfoChar(&fp->buf, val);
	appendStringInfoChar(&fp->buf, '\n');
}

void
fp_put_boolk(FpCtx *fp, const char *key, size_t keylen, bool val)
{
	put_keyn(&fp->buf, key, keylen);
	appendBinaryStringInfo(&fp->buf, val ? "t\n" : "f\n", 2);
}

void
fp_put_refk(FpCtx *fp, const char *key, size_t keylen, FpCat cat, Oid oid)
{
	if (OidIsValid(oid))
		fp_put_strk(fp, key, keylen, fp_ident(fp, cat, oid));
}

void
fp_put_node(FpCtx *fp, const char *key, const char *tree, Oid baserel)
{
	if (tree == NULL)
	{
		fp_put_str(fp, key, NULL);
		return;
	}
	resetStringInfo(&fp->nodebuf);
	fp_canon_node(fp, &fp->nodebuf, tree, baserel);
	fp_put_str(fp, key, fp->nodebuf.data);
}

void
fp_put_digest(FpCtx *fp, const char *key, const uint8 *digest)
{
	char		hex[FP_DIGEST_LEN * 2 + 1];

	hex_encode((const char *) digest, FP_DIGEST_LEN, hex);
	put_key(&fp->buf, key);
	appendBinaryStringInfo(&fp->buf, hex, FP_DIGEST_LEN * 2);
	appendStringInfoChar(&fp->buf, '\n');
}

/* ---- one computation ---- */

/*
 * rows: the caller reads the manifest rows (fp_next()); otherwise only the
 * database fingerprint (fp_total()).
 */
static FpCtx *
fp_create(bool include_acl, bool rows, bool keep_canonical)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dualboot fingerprint",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	FpCtx	   *fp = palloc0(sizeof(FpCtx));

	fp->cxt = cxt;
	fp->rowcxt = AllocSetContextCreate(cxt, "dualboot fingerprint row",
									   ALLOCSET_DEFAULT_SIZES);
	fp->include_acl = include_acl;
	fp->keep_canonical = keep_canonical;
	initStringInfo(&fp->buf);
	initStringInfo(&fp->nodebuf);
	initStringInfo(&fp->rowbuf);
	if (rows)					/* else fp->digests, allocated by fp_end() */
		fp->sort = tuplesort_begin_datum(BYTEAOID, ByteaLessOperator, InvalidOid,
										 false, work_mem, NULL, TUPLESORT_NONE);

	fp->hash = pg_cryptohash_create(PG_SHA256);
	if (fp->hash == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	MemoryContextSwitchTo(old);
	return fp;
}

/*
 * Fill fp with the object digests (sorted) or the manifest rows (sorted by
 * kind and identity) of the current database. Runs in one registered
 * snapshot with search_path pinned to pg_catalog.
 */
static void
fp_run(FpCtx *fp)
{
	MemoryContext old = MemoryContextSwitchTo(fp->cxt);
	int			save_nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/*
	 * The latest snapshot sees every committed change and this transaction's
	 * own DDL. In parallel mode (a caller's parallel query) a new snapshot
	 * cannot be taken: use the transaction's.
	 */
	fp->snap = RegisterSnapshot(IsInParallelMode() ? GetTransactionSnapshot()
								: GetLatestSnapshot());

	FP_PHASE(fp_build_maps(fp));
	FP_PHASE(fp_emit_all(fp));

	UnregisterSnapshot(fp->snap);
	fp->snap = NULL;
	AtEOXact_GUC(true, save_nestlevel);
	MemoryContextSwitchTo(old);

	if (fp->sort != NULL)
		FP_PHASE(tuplesort_performsort(fp->sort));
	else
		FP_PHASE(fp_sort_digests(fp->digests, fp->ndigests));
	elog(DEBUG1, "dualboot fingerprint: %d objects, %d node trees memoised, %zu kB of memory at the end",
		 fp->nentries, fp->canon_memo_n, MemoryContextMemAllocated(fp->cxt, true) / 1024);
}

static void
fp_destroy(FpCtx *fp)
{
	pg_cryptohash_free(fp->hash);
	if (fp->sort != NULL)
		tuplesort_end(fp->sort);
	MemoryContextDelete(fp->cxt);
}

/*
 * The database fingerprint: SHA-256 over the digests of all objects, 32
 * bytes each, in ascending byte order. Digests are distinct (each covers its
 * object's kind and identity), so their sorted list is the manifest's one
 * canonical order: the value is a function of the manifest alone, and
 * sorting fixed-size digests is much cheaper than sorting rows by name.
 */
static void
fp_total(FpCtx *fp, uint8 *digest)
{
	if (pg_cryptohash_init(fp->hash) < 0 ||
		pg_cryptohash_update(fp->hash, (const uint8 *) fp->digests,
							 sizeof(FpDigest) * fp->ndigests) < 0 ||
		pg_cryptohash_final(fp->hash, digest, FP_DIGEST_LEN) < 0)
		hash_fail(fp->hash);
}

char *
dualboot_compute_fingerprint(bool include_acl)
{
	FpCtx	   *fp = fp_create(include_acl, false, false);
	uint8		digest[FP_DIGEST_LEN];
	char		hex[FP_DIGEST_LEN * 2 + 1];
	char	   *result;

	fp_run(fp);
	fp_total(fp, digest);
	fp_destroy(fp);
	hex_encode((const char *) digest, FP_DIGEST_LEN, hex);
	hex[FP_DIGEST_LEN * 2] = '\0';
	result = psprintf("%s:pg%d:%s", DUALBOOT_FINGERPRINT_ALGO, FP_MAJOR, hex);
	Assert(strlen(result) < DUALBOOT_FINGERPRINT_MAXLEN);
	return result;
}

/* ---- SQL functions ---- */

PG_FUNCTION_INFO_V1(dualboot_schema_fingerprint);
Datum
dualboot_schema_fingerprint(PG_FUNCTION_ARGS)
{
	bool		include_acl = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);

	PG_RETURN_TEXT_P(cstring_to_text(dualboot_compute_fingerprint(include_acl)));
}

static Tuplestorestate *
start_srf(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*desc = CreateTupleDescCopy(*desc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return ts;
}

static void
manifest_rows(FunctionCallInfo fcinfo, bool canonical)
{
	bool		include_acl = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	TupleDesc	desc;
	Tuplestorestate *ts = start_srf(fcinfo, &desc);
	FpCtx	   *fp = fp_create(include_acl, true, canonical);
	FpEntry		e;
	bytea	   *mem;

	fp_run(fp);
	while (fp_next(fp, &e, &mem))
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		char		hex[FP_DIGEST_LEN * 2 + 1];

		values[0] = CStringGetTextDatum(e.kind);
		values[1] = CStringGetTextDatum(e.identity);
		if (canonical)
			values[2] = PointerGetDatum(cstring_to_text_with_len(e.canonical, e.canonical_len));
		else
		{
			hex_encode((const char *) e.digest, FP_DIGEST_LEN, hex);
			hex[FP_DIGEST_LEN * 2] = '\0';
			values[2] = CStringGetTextDatum(hex);
		}
		tuplestore_putvalues(ts, desc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
		pfree(DatumGetPointer(values[2]));
		pfree(mem);
	}
	fp_destroy(fp);
}

PG_FUNCTION_INFO_V1(dualboot_schema_manifest);
Datum
dualboot_schema_manifest(PG_FUNCTION_ARGS)
{
	manifest_rows(fcinfo, false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dualboot_schema_canonical);
Datum
dualboot_schema_canonical(PG_FUNCTION_ARGS)
{
	manifest_rows(fcinfo, true);
	return (Datum) 0;
}

/*
 * Parse "dbfp<algo>:pg<major>:<64 hex digits>" strictly: the record
 * library's parser (lib/provenance.c), which dualbootctl uses for rehearsal
 * certificates, so both read a fingerprint alike.
 */
bool
dualboot_parse_fingerprint(const char *s, int *algo, int *major)
{
	return db_fprint_parse(s, algo, major);
}

/* dualboot_fingerprint_compare(): an argument parsed, or 22023 */
static void
parse_argument(const char *s, int *algo, int *major)
{
	if (!dualboot_parse_fingerprint(s, algo, major))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dualboot: \"%s\" is not a schema fingerprint", s),
				 errhint("A fingerprint looks like %s:pg%d:<64 hex digits>, as dualboot_schema_fingerprint() returns.", DUALBOOT_FINGERPRINT_ALGO, FP_MAJOR)));
}

PG_FUNCTION_INFO_V1(dualboot_fingerprint_compare);
Datum
dualboot_fingerprint_compare(PG_FUNCTION_ARGS)
{
	char	   *a = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *b = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			aa,
				am,
				ba,
				bm;

	parse_argument(a, &aa, &am);
	parse_argument(b, &ba, &bm);
	if (aa != ba || am != bm)
		PG_RETURN_TEXT_P(cstring_to_text("incomparable"));
	PG_RETURN_TEXT_P(cstring_to_text(pg_strcasecmp(a, b) == 0 ? "equal" : "different"));
}

/*
 * True when a saved fingerprint was made by this algorithm on this server
 * major; otherwise an error saying why a comparison would mean nothing.
 */
PG_FUNCTION_INFO_V1(dualboot_fingerprint_require_comparable);
Datum
dualboot_fingerprint_require_comparable(PG_FUNCTION_ARGS)
{
	char	   *s;
	int			algo,
				major;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dualboot: the saved manifest has no fingerprint"),
				 errhint("Save a manifest with dualboot_schema_manifest_json().")));
	s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!dualboot_parse_fingerprint(s, &algo, &major))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dualboot: \"%s\" is not a schema fingerprint", s),
				 errhint("Save a manifest with dualboot_schema_manifest_json().")));
	if (strncmp(s, DUALBOOT_FINGERPRINT_ALGO ":", strlen(DUALBOOT_FINGERPRINT_ALGO) + 1) != 0 ||
		major != FP_MAJOR)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dualboot: the saved manifest is not comparable with this server"),
				 errdetail("It was made by algorithm dbfp%d on PostgreSQL %d; this server computes %s on PostgreSQL %d.",
						   algo, major, DUALBOOT_FINGERPRINT_ALGO, FP_MAJOR),
				 errhint("Compare manifests made by the same dualboot version on the same server major version.")));
	PG_RETURN_BOOL(true);
}
