/*
 * fingerprint_opclass.c - emitters for the rarer kinds of schema object:
 * access methods, operator families (with their pg_amop operators and
 * pg_amproc support functions), operator classes, conversions, transforms
 * and, behind include_privileges, user mappings.
 *
 * Same conventions as fingerprint_objects.c: one heap scan per catalog in
 * the computation's snapshot (fingerprint_scan.c), objects of the fixed
 * catalog, of system schemas and members of extensions skipped
 * (fp_user_object), every OID written as an identity (fp_ident).
 * docs/fingerprint.md lists what each kind covers.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_transform.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fingerprint_int.h"

/*
 * An access method by name, as SQL writes it. fp_ident() writes a built-in
 * one as its fixed OID; built-in methods can be neither renamed nor dropped,
 * so the system cache has their name. A user method by fp_ident().
 */
static const char *
am_name(FpCtx *fp, Oid amoid)
{
	char	   *name;

	if (amoid < FirstGenbkiObjectId && (name = get_am_name(amoid)) != NULL)
		return quote_identifier(name);
	return fp_ident(fp, FPC_AM, amoid);
}

/*
 * "schema.name USING method": the identity of an operator family or class
 * (unique per method, schema and name). The method by name, as in SQL.
 */
static char *
opc_identity(FpCtx *fp, Oid nsp, const char *name, Oid amoid)
{
	return psprintf("%s USING %s", fp_qualify(fp, nsp, name), am_name(fp, amoid));
}

/* ---- access methods ---- */

static void
emit_access_methods(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, AccessMethodRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_am	f = (Form_pg_am) GETSTRUCT(tup);

		if (!fp_user_object(fp, AccessMethodRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_char(fp, "type", f->amtype);
		fp_put_ref(fp, "handler", FPC_PROC, f->amhandler);
		fp_end(fp, "access method", quote_identifier(NameStr(f->amname)));
	}
	fp_scan_end(&s);
}

/* ---- operator families and their members ---- */

typedef struct FpOpfamily
{
	Oid			oid;			/* hash key */
	Oid			nsp;
	Oid			method;
	Oid			owner;
	char	   *name;
	List	   *members;		/* canonical member lines (char *) */
} FpOpfamily;

static int
cmp_member(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The operator class a family member (pg_amop or pg_amproc row) is bound
 * to, or InvalidOid for a "loose" member of the family. A member made by
 * CREATE OPERATOR CLASS that the access method keeps with the class depends
 * on the class (and goes when the class is dropped); one added by ALTER
 * OPERATOR FAMILY, or that the method files with the family (cross-type
 * members), depends on the family. One probe of pg_depend's index per
 * member of a user family (there are few), rather than keeping every
 * member's class from load_depend()'s one scan of pg_depend (which would
 * keep them for the members of extensions' families too).
 */
static Oid
member_class(FpCtx *fp, Relation dep, Oid classid, Oid objid)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			result = InvalidOid;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(dep, DependDependerIndexId, true, fp->snap, 2, key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);

		if (d->refclassid == OperatorClassRelationId)
		{
			result = d->refobjid;
			break;
		}
	}
	systable_endscan(scan);
	return result;
}

/* a member line into its family's list, in the families' memory context */
static void
add_member(MemoryContext cxt, FpOpfamily *f, const char *line)
{
	MemoryContext old;

	old = MemoryContextSwitchTo(cxt);
	f->members = lappend(f->members, pstrdup(line));
	MemoryContextSwitchTo(old);
}

/* the family of a member, when it is one we emit */
static FpOpfamily *
user_family(HTAB *fams, Oid family)
{
	if (family < FirstNormalObjectId)
		return NULL;
	return hash_search(fams, &family, HASH_FIND, NULL);
}

/*
 * One row per user operator family: its method and every member, operators
 * (pg_amop) and support functions (pg_amproc), each a line, sorted by its
 * text so that neither OIDs nor creation order count; each line ends with
 * the class the member is bound to (member_class()). The members of an
 * operator class made by CREATE OPERATOR CLASS live in its family (the
 * implicit one of the same name, or the one named by FAMILY): the family
 * row covers them, the class row names the family.
 */
static void
emit_opfamilies(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;
	HTAB	   *fams;
	HASHCTL		ctl;
	MemoryContext cxt;
	HASH_SEQ_STATUS seq;
	FpOpfamily *f;
	StringInfoData b;
	Relation	dep;

	cxt = AllocSetContextCreate(fp->cxt, "dualboot fp opfamilies", ALLOCSET_SMALL_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(FpOpfamily);
	ctl.hcxt = cxt;
	fams = hash_create("dualboot fp opfamilies", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	fp_scan_begin(&s, fp, OperatorFamilyRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_opfamily ff = (Form_pg_opfamily) GETSTRUCT(tup);

		if (!fp_user_object(fp, OperatorFamilyRelationId, ff->oid, ff->opfnamespace))
			continue;
		f = hash_search(fams, &ff->oid, HASH_ENTER, NULL);
		f->nsp = ff->opfnamespace;
		f->method = ff->opfmethod;
		f->owner = ff->opfowner;
		f->name = MemoryContextStrdup(cxt, NameStr(ff->opfname));
		f->members = NIL;
	}
	fp_scan_end(&s);
	if (hash_get_num_entries(fams) == 0)
	{
		/* the common case: no need to read pg_amop and pg_amproc */
		MemoryContextDelete(cxt);
		return;
	}

	dep = fp_open(DependRelationId);

	/*
	 * operator=<strategy> <left type> <right type> <purpose: s search, o
	 * order> <operator> <sort family> <class bound to, or ->
	 */
	fp_scan_begin(&s, fp, AccessMethodOperatorRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_amop a = (Form_pg_amop) GETSTRUCT(tup);

		if ((f = user_family(fams, a->amopfamily)) == NULL)
			continue;
		initStringInfo(&b);
		appendStringInfo(&b, "operator=%d %s %s %c %s %s %s", a->amopstrategy,
						 fp_ident(fp, FPC_TYPE, a->amoplefttype),
						 fp_ident(fp, FPC_TYPE, a->amoprighttype),
						 a->amoppurpose,
						 fp_ident(fp, FPC_OPER, a->amopopr),
						 fp_ident(fp, FPC_OPFAMILY, a->amopsortfamily),
						 fp_ident(fp, FPC_OPCLASS,
								  member_class(fp, dep, AccessMethodOperatorRelationId, a->oid)));
		add_member(cxt, f, b.data);
	}
	fp_scan_end(&s);

	/* function=<number> <left type> <right type> <function> <class or -> */
	fp_scan_begin(&s, fp, AccessMethodProcedureRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_amproc a = (Form_pg_amproc) GETSTRUCT(tup);

		if ((f = user_family(fams, a->amprocfamily)) == NULL)
			continue;
		initStringInfo(&b);
		appendStringInfo(&b, "function=%d %s %s %s %s", a->amprocnum,
						 fp_ident(fp, FPC_TYPE, a->amproclefttype),
						 fp_ident(fp, FPC_TYPE, a->amprocrighttype),
						 fp_ident(fp, FPC_PROC, a->amproc),
						 fp_ident(fp, FPC_OPCLASS,
								  member_class(fp, dep, AccessMethodProcedureRelationId, a->oid)));
		add_member(cxt, f, b.data);
	}
	fp_scan_end(&s);
	table_close(dep, AccessShareLock);

	hash_seq_init(&seq, fams);
	while ((f = hash_seq_search(&seq)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fp->rowcxt);
		ListCell   *lc;

		fp_begin(fp);
		fp_put_ref(fp, "method", FPC_AM, f->method);
		list_sort(f->members, cmp_member);
		foreach(lc, f->members)
		{
			appendStringInfoString(&fp->buf, (const char *) lfirst(lc));
			appendStringInfoChar(&fp->buf, '\n');
		}
		if (fp->include_acl)
			fp_put_ref(fp, "owner", FPC_ROLE, f->owner);
		fp_end(fp, "operator family", opc_identity(fp, f->nsp, f->name, f->method));
		MemoryContextSwitchTo(old);
		MemoryContextReset(fp->rowcxt);
	}
	MemoryContextDelete(cxt);
}

/* ---- operator classes ---- */

static void
emit_opclasses(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, OperatorClassRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_opclass f = (Form_pg_opclass) GETSTRUCT(tup);

		if (!fp_user_object(fp, OperatorClassRelationId, f->oid, f->opcnamespace))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "method", FPC_AM, f->opcmethod);
		fp_put_ref(fp, "family", FPC_OPFAMILY, f->opcfamily);
		fp_put_ref(fp, "type", FPC_TYPE, f->opcintype);
		fp_put_bool(fp, "default", f->opcdefault);
		fp_put_ref(fp, "storage", FPC_TYPE, f->opckeytype);
		fp_put_owner_acl(fp, &s, f->opcowner, 0, OBJECT_OPCLASS);
		fp_end(fp, "operator class",
			   opc_identity(fp, f->opcnamespace, NameStr(f->opcname), f->opcmethod));
	}
	fp_scan_end(&s);
}

/* ---- conversions and transforms ---- */

static void
emit_conversions(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ConversionRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_conversion f = (Form_pg_conversion) GETSTRUCT(tup);

		if (!fp_user_object(fp, ConversionRelationId, f->oid, f->connamespace))
			continue;
		fp_begin(fp);
		fp_put_str(fp, "from", pg_encoding_to_char(f->conforencoding));
		fp_put_str(fp, "to", pg_encoding_to_char(f->contoencoding));
		fp_put_ref(fp, "function", FPC_PROC, f->conproc);
		fp_put_bool(fp, "default", f->condefault);
		fp_put_owner_acl(fp, &s, f->conowner, 0, OBJECT_CONVERSION);
		fp_end(fp, "conversion", fp_qualify(fp, f->connamespace, NameStr(f->conname)));
	}
	fp_scan_end(&s);
}

static void
emit_transforms(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, TransformRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_transform f = (Form_pg_transform) GETSTRUCT(tup);

		if (!fp_user_object(fp, TransformRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "fromsql", FPC_PROC, f->trffromsql);
		fp_put_ref(fp, "tosql", FPC_PROC, f->trftosql);
		fp_end(fp, "transform", psprintf("FOR %s LANGUAGE %s",
										 fp_ident(fp, FPC_TYPE, f->trftype),
										 fp_ident(fp, FPC_LANG, f->trflang)));
	}
	fp_scan_end(&s);
}

/* ---- user mappings (include_privileges only) ---- */

/*
 * A user mapping: its server and its user, nothing of its options. They
 * hold passwords, and dualboot_schema_canonical() shows these bytes to every
 * role, where PostgreSQL's pg_user_mappings view shows options only to the
 * mapping's user and the server's owner: not even their names are written
 * (or hashed, since a hash of a password can be guessed offline). That a
 * mapping exists is public in that view. Written only with
 * include_privileges, as roles are cluster objects (like owners).
 */
static void
emit_user_mappings(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, UserMappingRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_user_mapping f = (Form_pg_user_mapping) GETSTRUCT(tup);
		const char *user;

		if (!fp_user_object(fp, UserMappingRelationId, f->oid, InvalidOid))
			continue;
		user = OidIsValid(f->umuser) ? fp_ident(fp, FPC_ROLE, f->umuser) : "PUBLIC";
		fp_begin(fp);
		fp_put_ref(fp, "server", FPC_SERVER, f->umserver);
		fp_put_str(fp, "user", user);
		fp_end(fp, "user mapping", psprintf("%s:%s", fp_ident(fp, FPC_SERVER, f->umserver), user));
	}
	fp_scan_end(&s);
}

void
fp_emit_opclass_kinds(FpCtx *fp)
{
	FP_PHASE(emit_access_methods(fp));
	FP_PHASE(emit_opfamilies(fp));
	FP_PHASE(emit_opclasses(fp));
	FP_PHASE(emit_conversions(fp));
	FP_PHASE(emit_transforms(fp));
	if (fp->include_acl)
		FP_PHASE(emit_user_mappings(fp));
}
