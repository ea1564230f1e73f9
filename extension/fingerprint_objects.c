/*
 * fingerprint_objects.c - one emitter per kind of schema object.
 *
 * Each emitter scans its catalog once (heap scan, the computation's
 * snapshot), skips what is not the user's schema (system schemas, temporary
 * objects, members of extensions, implicit objects such as array types and
 * internal triggers), and writes each object's canonical "key=value" lines
 * before fp_end() hashes them into a manifest row. Every OID is written as an
 * identity (fp_ident), every stored expression in canonical form
 * (fp_put_node). docs/fingerprint.md lists the kinds and what each covers.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_default_acl.h"
#include "catalog/pg_description.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_publication_rel.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_config_map.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_type.h"
#include "catalog/pg_publication_namespace.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fingerprint_int.h"


/* ---- schemas and extensions ---- */

static void
emit_schemas(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, NamespaceRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_namespace f = (Form_pg_namespace) GETSTRUCT(tup);

		if (!fp_is_user_nsp(fp, f->oid) ||
			OidIsValid(fp_ext_owner(fp, NamespaceRelationId, f->oid)))
			continue;
		fp_begin(fp);
		fp_put_str(fp, "name", NameStr(f->nspname));
		fp_put_owner_acl(fp, &s, f->nspowner, Anum_pg_namespace_nspacl, OBJECT_SCHEMA);
		fp_end(fp, "schema", fp_ident(fp, FPC_NSP, f->oid));
	}
	fp_scan_end(&s);
}

static void
emit_extensions(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ExtensionRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_extension f = (Form_pg_extension) GETSTRUCT(tup);

		fp_begin(fp);
		fp_put_str(fp, "name", NameStr(f->extname));
		fp_put_str(fp, "version", fp_col_text(&s, Anum_pg_extension_extversion));
		fp_put_ref(fp, "schema", FPC_NSP, f->extnamespace);
		fp_end(fp, "extension", quote_identifier(NameStr(f->extname)));
	}
	fp_scan_end(&s);
}

/* ---- things folded into their table's canonical form ---- */

static void
load_attrdefs(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, AttrDefaultRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_attrdef f = (Form_pg_attrdef) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->adrelid);
		char	   *bin;
		FpAtt	   *a;

		if (r == NULL || !r->user || r->atts == NULL || f->adnum < 1 || f->adnum > r->natts)
			continue;
		a = &r->atts[f->adnum - 1];
		bin = fp_col_text(&s, Anum_pg_attrdef_adbin);
		if (bin == NULL || a->name == NULL)
			continue;
		a->default_canon = fp_canon_node_str(fp, bin, f->adrelid);
	}
	fp_scan_end(&s);
}

typedef struct FpParent
{
	int32		seqno;
	Oid			parent;
} FpParent;

static void
load_inherits(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, InheritsRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_inherits f = (Form_pg_inherits) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->inhrelid);
		FpParent   *p;
		MemoryContext old;

		if (r == NULL || !r->user)
			continue;
		old = MemoryContextSwitchTo(fp->cxt);
		p = palloc(sizeof(FpParent));
		p->seqno = f->inhseqno;
		p->parent = f->inhparent;
		fp_rel_more(fp, r)->parents = lappend(fp_rel_more(fp, r)->parents, p);
		MemoryContextSwitchTo(old);
	}
	fp_scan_end(&s);
}

static void
load_partkeys(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, PartitionedRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_partitioned_table f = (Form_pg_partitioned_table) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->partrelid);
		StringInfoData b;
		int			i;
		char	   *exprs;
		bool		isnull;
		oidvector  *classes;
		oidvector  *colls;

		if (r == NULL || !r->user)
			continue;
		classes = (oidvector *) DatumGetPointer(fp_scan_attr(&s, Anum_pg_partitioned_table_partclass, &isnull));
		colls = (oidvector *) DatumGetPointer(fp_scan_attr(&s, Anum_pg_partitioned_table_partcollation, &isnull));
		initStringInfo(&b);
		appendStringInfo(&b, "strategy=%c natts=%d", f->partstrat, f->partnatts);
		for (i = 0; i < f->partnatts; i++)
			appendStringInfo(&b, " [%s %s %s]",
							 f->partattrs.values[i] ? fp_attname(fp, f->partrelid, f->partattrs.values[i]) : "expr",
							 fp_ident(fp, FPC_OPCLASS, classes->values[i]),
							 fp_ident(fp, FPC_COLL, colls->values[i]));
		exprs = fp_col_text(&s, Anum_pg_partitioned_table_partexprs);
		if (exprs)
		{
			resetStringInfo(&fp->nodebuf);
			fp_canon_node(fp, &fp->nodebuf, exprs, f->partrelid);
			appendStringInfo(&b, " exprs=%s", fp->nodebuf.data);
		}
		fp_rel_more(fp, r)->partkey = MemoryContextStrdup(fp->cxt, b.data);
	}
	fp_scan_end(&s);
}

static void
load_foreign_tables(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ForeignTableRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_foreign_table f = (Form_pg_foreign_table) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->ftrelid);
		char	   *opts;

		if (r == NULL || !r->user)
			continue;
		opts = fp_col_array(&s, Anum_pg_foreign_table_ftoptions);
		fp_rel_more(fp, r)->ftinfo = MemoryContextStrdup(fp->cxt,
										psprintf("server=%s options=%s",
												 fp_ident(fp, FPC_SERVER, f->ftserver),
												 opts ? opts : "-"));
	}
	fp_scan_end(&s);
}

/* views' _RETURN rules fold into the view; other rules are rows of their own */
static void
emit_rules(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, RewriteRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_rewrite f = (Form_pg_rewrite) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->ev_class);
		char	   *action;
		char	   *qual;

		if (r == NULL || !r->user)
			continue;
		action = fp_col_text(&s, Anum_pg_rewrite_ev_action);
		qual = fp_col_text(&s, Anum_pg_rewrite_ev_qual);
		if (strcmp(NameStr(f->rulename), "_RETURN") == 0 &&
			(r->relkind == RELKIND_VIEW || r->relkind == RELKIND_MATVIEW))
		{
			FpRelMore  *m = fp_rel_more(fp, r);

			resetStringInfo(&fp->nodebuf);
			fp_canon_node(fp, &fp->nodebuf, action, f->ev_class);
			m->view_digest = fp_alloc(fp, FP_DIGEST_LEN);
			fp_digest_buf(fp, fp->nodebuf.data, fp->nodebuf.len, m->view_digest);
			continue;
		}
		fp_begin(fp);
		fp_put_ref(fp, "table", FPC_REL, f->ev_class);
		fp_put_char(fp, "event", f->ev_type);
		fp_put_bool(fp, "instead", f->is_instead);
		fp_put_char(fp, "enabled", f->ev_enabled);
		fp_put_node(fp, "qual", qual, f->ev_class);
		fp_put_node(fp, "action", action, f->ev_class);
		fp_end(fp, "rule", fp_join_dot(fp_ident(fp, FPC_REL, f->ev_class),
									quote_identifier(NameStr(f->rulename))));
	}
	fp_scan_end(&s);
}

static int
cmp_parent(const ListCell *a, const ListCell *b)
{
	const FpParent *x = lfirst(a);
	const FpParent *y = lfirst(b);

	return x->seqno - y->seqno;
}

/* one line per live column, in live-column order (never attnum) */
static void
put_columns(FpCtx *fp, FpRel *r)
{
	int			i;
	int			ordinal = 0;
	StringInfo	b = &fp->buf;
	bool		full;

	if (r == NULL || r->atts == NULL)
		return;
	full = !(r->relkind == RELKIND_COMPOSITE_TYPE || r->relkind == RELKIND_VIEW);
	for (i = 0; i < r->natts; i++)
	{
		FpAtt	   *a = &r->atts[i];
		if (a->name == NULL)
			continue;			/* dropped: leaves no trace */
		ordinal++;
		/* column=<ordinal> <qname> <type> <typmod> <collation> */
		appendStringInfoString(b, "column=");
		fp_append_int(b, ordinal);
		appendStringInfoChar(b, ' ');
		appendStringInfoString(b, a->qname);
		appendStringInfoChar(b, ' ');
		appendStringInfoString(b, fp_ident(fp, FPC_TYPE, a->typid));
		appendStringInfoChar(b, ' ');
		fp_append_int(b, a->typmod);
		appendStringInfoChar(b, ' ');
		appendStringInfoString(b, fp_ident(fp, FPC_COLL, a->collation));
		if (full)
		{
			/* flags: notnull identity generated storage compression islocal */
			char		flags[8];

			flags[0] = ' ';
			flags[1] = a->notnull ? 'N' : '-';
			flags[2] = a->identity ? a->identity : '-';
			flags[3] = a->generated ? a->generated : '-';
			flags[4] = a->storage ? a->storage : '-';
			flags[5] = a->compression ? a->compression : '-';
			flags[6] = a->islocal ? 'L' : '-';
			flags[7] = '\0';
			appendStringInfoString(b, flags);
			appendStringInfoChar(b, ' ');
			fp_append_int(b, a->stattarget);
			appendStringInfoChar(b, ' ');
			fp_append_int(b, a->inhcount);
		}
		appendStringInfoChar(b, '\n');
		if (!full)
			continue;
		if (a->default_canon)
			fp_put_str(fp, " default", a->default_canon);
		if (a->more)
		{
			fp_put_str(fp, " options", a->more->options);
			fp_put_str(fp, " fdwoptions", a->more->fdwoptions);
			fp_put_str(fp, " acl", a->more->acl);
		}
	}
}

static void
emit_relations(FpCtx *fp)
{
	FpRel	   *r;
	FpRelMore  *m;
	int			i;

	for (i = 0; i < fp->nrels; i++)
	{
		const char *kind;
		ListCell   *lc;

		r = fp->rels[i].rel;
		if (!r->user)
			continue;
		m = r->more;
		switch (r->relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
				kind = "table";
				break;
			case RELKIND_VIEW:
				kind = "view";
				break;
			case RELKIND_MATVIEW:
				kind = "materialized view";
				break;
			case RELKIND_FOREIGN_TABLE:
				kind = "foreign table";
				break;
			default:
				continue;
		}
		fp_begin(fp);
		fp_put_char(fp, "relkind", r->relkind);
		fp_put_char(fp, "persistence", r->persistence);
		if (r->relkind != RELKIND_VIEW)
		{
			fp_put_ref(fp, "am", FPC_AM, r->am);
			fp_put_ref(fp, "tablespace", FPC_TABLESPACE, r->tablespace);
		}
		fp_put_str(fp, "options", r->reloptions);
		fp_put_char(fp, "replident", r->replident);
		fp_put_bool(fp, "rowsecurity", r->rowsecurity);
		fp_put_bool(fp, "forcerowsecurity", r->forcerowsecurity);
		if (m != NULL)
		{
			fp_put_ref(fp, "oftype", FPC_TYPE, m->oftype);
			if (r->ispartition && m->bound_digest)
				fp_put_digest(fp, "partbound", m->bound_digest);
			if (m->partkey)
				fp_put_str(fp, "partkey", m->partkey);
			if (m->parents)
			{
				list_sort(m->parents, cmp_parent);
				foreach(lc, m->parents)
					fp_put_ref(fp, "inherits", FPC_REL, ((FpParent *) lfirst(lc))->parent);
			}
			if (m->ftinfo)
				fp_put_str(fp, "foreign", m->ftinfo);
			fp_put_str(fp, "toast_options", m->toastoptions);
			if (m->view_digest)
				fp_put_digest(fp, "query", m->view_digest);
		}
		put_columns(fp, r);
		if (fp->include_acl)
		{
			fp_put_ref(fp, "owner", FPC_ROLE, r->owner);
			fp_put_str(fp, "acl", m ? m->acl : NULL);
		}
		fp_end(fp, kind, fp_ident(fp, FPC_REL, r->oid));
	}
}

static void
emit_sequences(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, SequenceRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_sequence f = (Form_pg_sequence) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->seqrelid);

		if (r == NULL || !r->user)
			continue;
		fp_begin(fp);
		fp_put_char(fp, "persistence", r->persistence);
		fp_put_ref(fp, "type", FPC_TYPE, f->seqtypid);
		fp_put_int(fp, "start", f->seqstart);
		fp_put_int(fp, "increment", f->seqincrement);
		fp_put_int(fp, "max", f->seqmax);
		fp_put_int(fp, "min", f->seqmin);
		fp_put_int(fp, "cache", f->seqcache);
		fp_put_bool(fp, "cycle", f->seqcycle);
		if (r->more && OidIsValid(r->more->owned_by_rel))
		{
			fp_put_ref(fp, "owned_by", FPC_REL, r->more->owned_by_rel);
			fp_put_str(fp, "owned_by_column", fp_attname(fp, r->more->owned_by_rel, r->more->owned_by_att));
			fp_put_char(fp, "owned_by_kind", r->more->owned_deptype);
		}
		if (fp->include_acl)
		{
			fp_put_ref(fp, "owner", FPC_ROLE, r->owner);
			fp_put_str(fp, "acl", r->more ? r->more->acl : NULL);
		}
		fp_end(fp, "sequence", fp_ident(fp, FPC_REL, f->seqrelid));
	}
	fp_scan_end(&s);
}

/*
 * "flags=<one letter per flag> <a>[ <b>]": an index's or a constraint's
 * boolean and one-letter fields in one line, then its counts (b < 0: none).
 */
static void
put_flags(FpCtx *fp, const char *flags, int a, int b)
{
	appendStringInfoString(&fp->buf, "flags=");
	appendStringInfoString(&fp->buf, flags);
	appendStringInfoChar(&fp->buf, ' ');
	fp_append_int(&fp->buf, a);
	if (b >= 0)
	{
		appendStringInfoChar(&fp->buf, ' ');
		fp_append_int(&fp->buf, b);
	}
	appendStringInfoChar(&fp->buf, '\n');
}

static void
emit_indexes(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, IndexRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_index f = (Form_pg_index) GETSTRUCT(tup);
		FpRel	   *r = fp_rel(fp, f->indexrelid);
		int			i;

		if (r == NULL || !r->user || !fp_user_rel(fp, f->indrelid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "table", FPC_REL, f->indrelid);
		fp_put_ref(fp, "am", FPC_AM, r->am);
		{
			/*
			 * flags=<unique><nulls not distinct><primary><exclusion>
			 * <immediate><clustered><valid><replica identity>, then the
			 * number of columns and of key columns
			 */
			char		flags[9];

			flags[0] = f->indisunique ? 'U' : '-';
			flags[1] = f->indnullsnotdistinct ? 'N' : '-';
			flags[2] = f->indisprimary ? 'P' : '-';
			flags[3] = f->indisexclusion ? 'X' : '-';
			flags[4] = f->indimmediate ? 'I' : '-';
			flags[5] = f->indisclustered ? 'C' : '-';
			flags[6] = f->indisvalid ? 'V' : '-';
			flags[7] = f->indisreplident ? 'R' : '-';
			flags[8] = '\0';
			put_flags(fp, flags, f->indnatts, f->indnkeyatts);
		}
		for (i = 0; i < f->indnatts; i++)
		{
			int16		k = f->indkey.values[i];

			fp_put_str(fp, "key", k ? fp_attname(fp, f->indrelid, k) : "expr");
			if (i < f->indnkeyatts)
			{
				bool		isnull;
				Datum		d;

				d = fp_scan_attr(&s, Anum_pg_index_indcollation, &isnull);
				if (!isnull)
					fp_put_ref(fp, " collation", FPC_COLL, ((oidvector *) DatumGetPointer(d))->values[i]);
				d = fp_scan_attr(&s, Anum_pg_index_indclass, &isnull);
				if (!isnull)
					fp_put_ref(fp, " opclass", FPC_OPCLASS, ((oidvector *) DatumGetPointer(d))->values[i]);
				d = fp_scan_attr(&s, Anum_pg_index_indoption, &isnull);
				if (!isnull)
					fp_put_int(fp, " option", ((int2vector *) DatumGetPointer(d))->values[i]);
			}
		}
		if (r->more && r->more->parents)
		{
			ListCell   *lc;

			/* a partition's index attached to the partitioned table's index */
			foreach(lc, r->more->parents)
				fp_put_ref(fp, "partition_of", FPC_REL, ((FpParent *) lfirst(lc))->parent);
		}
		fp_put_node(fp, "exprs", fp_col_text(&s, Anum_pg_index_indexprs), f->indrelid);
		fp_put_node(fp, "pred", fp_col_text(&s, Anum_pg_index_indpred), f->indrelid);
		fp_put_str(fp, "options", r->reloptions);
		fp_put_ref(fp, "tablespace", FPC_TABLESPACE, r->tablespace);
		fp_end(fp, "index", fp_ident(fp, FPC_REL, f->indexrelid));
	}
	fp_scan_end(&s);
}

static void
emit_constraints(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ConstraintRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_constraint f = (Form_pg_constraint) GETSTRUCT(tup);
		const char *kind;
		const char *owner;

		if (OidIsValid(f->conrelid))
		{
			if (!fp_user_rel(fp, f->conrelid))
				continue;
			kind = "constraint";
			owner = fp_ident(fp, FPC_REL, f->conrelid);
		}
		else if (OidIsValid(f->contypid))
		{
			FpType	   *t = fp_type(fp, f->contypid);

			if (t == NULL || !fp_user_object(fp, TypeRelationId, f->contypid, t->nsp))
				continue;
			kind = "domain constraint";
			owner = fp_ident(fp, FPC_TYPE, f->contypid);
		}
		else
			continue;
		fp_begin(fp);
		{
			/*
			 * flags=<type><deferrable><deferred><validated><local><noinherit>
			 * <on update><on delete><match>, then the inherited count
			 */
			char		flags[10];

			flags[0] = f->contype;
			flags[1] = f->condeferrable ? 'D' : '-';
			flags[2] = f->condeferred ? 'd' : '-';
			flags[3] = f->convalidated ? 'V' : '-';
			flags[4] = f->conislocal ? 'L' : '-';
			/*
			 * NO INHERIT means something only for a CHECK (or NOT NULL)
			 * constraint: index constraints of plain tables carry it, and a
			 * partition's key restored by pg_dump (made on the table, then
			 * attached) keeps it where PARTITION OF would not set it.
			 */
			flags[5] = f->connoinherit && (f->contype == CONSTRAINT_CHECK || f->contype == 'n') ? 'N' : '-';
			flags[6] = f->confupdtype ? f->confupdtype : '-';
			flags[7] = f->confdeltype ? f->confdeltype : '-';
			flags[8] = f->confmatchtype ? f->confmatchtype : '-';
			flags[9] = '\0';
			put_flags(fp, flags, f->coninhcount, -1);
		}
		/* 18 (pg_compat.h): a line only for a constraint that uses them */
		if (!PGC_CON_ENFORCED(f))
			fp_put_bool(fp, "enforced", false);
		if (PGC_CON_PERIOD(f))
			fp_put_bool(fp, "period", true);
		/*
		 * A foreign key's index is the referenced table's first matching
		 * unique index by OID: with two on the same columns, the order they
		 * were made in, which pg_dump does not keep (it restores them by
		 * name). What the key means, its columns and operators, follows.
		 */
		if (f->contype != CONSTRAINT_FOREIGN)
			fp_put_ref(fp, "index", FPC_REL, f->conindid);
		fp_put_ref(fp, "parent", FPC_CONSTRAINT, f->conparentid);
		fp_put_ref(fp, "ftable", FPC_REL, f->confrelid);
		fp_put_attnum_array(fp, &s, Anum_pg_constraint_conkey, "key", f->conrelid);
		fp_put_attnum_array(fp, &s, Anum_pg_constraint_confkey, "fkey", f->confrelid);
		fp_put_oid_array(fp, &s, Anum_pg_constraint_conpfeqop, "pfeqop", FPC_OPER);
		fp_put_oid_array(fp, &s, Anum_pg_constraint_conppeqop, "ppeqop", FPC_OPER);
		fp_put_oid_array(fp, &s, Anum_pg_constraint_conffeqop, "ffeqop", FPC_OPER);
		fp_put_attnum_array(fp, &s, Anum_pg_constraint_confdelsetcols, "fdelsetcols", f->conrelid);
		fp_put_oid_array(fp, &s, Anum_pg_constraint_conexclop, "exclop", FPC_OPER);
		fp_put_node(fp, "expr", fp_col_text(&s, Anum_pg_constraint_conbin), f->conrelid);
		fp_end(fp, kind, fp_join_dot(owner, quote_identifier(NameStr(f->conname))));
	}
	fp_scan_end(&s);
}

static void
emit_triggers(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, TriggerRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_trigger f = (Form_pg_trigger) GETSTRUCT(tup);
		bool		isnull;
		Datum		d;
		int			i;
		if (f->tgisinternal || !fp_user_rel(fp, f->tgrelid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "table", FPC_REL, f->tgrelid);
		fp_put_ref(fp, "function", FPC_PROC, f->tgfoid);
		fp_put_int(fp, "type", f->tgtype);
		fp_put_char(fp, "enabled", f->tgenabled);
		fp_put_ref(fp, "constrrel", FPC_REL, f->tgconstrrelid);
		fp_put_ref(fp, "constrindex", FPC_REL, f->tgconstrindid);
		fp_put_bool(fp, "constraint", OidIsValid(f->tgconstraint));
		fp_put_bool(fp, "deferrable", f->tgdeferrable);
		fp_put_bool(fp, "initdeferred", f->tginitdeferred);
		fp_put_int(fp, "nargs", f->tgnargs);
		fp_list_begin(fp, "columns");
		for (i = 0; i < f->tgattr.dim1; i++)
			fp_list_item(fp, i, fp_attname(fp, f->tgrelid, f->tgattr.values[i]));
		fp_list_end(fp);
		d = fp_scan_attr(&s, Anum_pg_trigger_tgargs, &isnull);
		if (!isnull)
		{
			bytea	   *b = DatumGetByteaPP(d);
			char	   *hex = palloc(VARSIZE_ANY_EXHDR(b) * 2 + 1);

			hex[hex_encode(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), hex)] = '\0';
			fp_put_str(fp, "args", hex);
		}
		fp_put_node(fp, "when", fp_col_text(&s, Anum_pg_trigger_tgqual), f->tgrelid);
		d = fp_scan_attr(&s, Anum_pg_trigger_tgoldtable, &isnull);
		fp_put_str(fp, "oldtable", isnull ? NULL : NameStr(*DatumGetName(d)));
		d = fp_scan_attr(&s, Anum_pg_trigger_tgnewtable, &isnull);
		fp_put_str(fp, "newtable", isnull ? NULL : NameStr(*DatumGetName(d)));
		fp_end(fp, "trigger", fp_join_dot(fp_ident(fp, FPC_REL, f->tgrelid),
									   quote_identifier(NameStr(f->tgname))));
	}
	fp_scan_end(&s);
}

static void
emit_policies(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, PolicyRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_policy f = (Form_pg_policy) GETSTRUCT(tup);
		bool		isnull;
		Datum		d;

		if (!fp_user_rel(fp, f->polrelid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "table", FPC_REL, f->polrelid);
		fp_put_char(fp, "cmd", f->polcmd);
		fp_put_bool(fp, "permissive", f->polpermissive);
		d = fp_scan_attr(&s, Anum_pg_policy_polroles, &isnull);
		if (!isnull)
		{
			ArrayType  *a = DatumGetArrayTypeP(d);
			Datum	   *elems;
			int			n,
						i;
			const char **names;

			deconstruct_array(a, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, NULL, &n);
			names = palloc(sizeof(char *) * Max(n, 1));
			for (i = 0; i < n; i++)
			{
				Oid			role = DatumGetObjectId(elems[i]);

				/* roles are cluster objects: by name, PUBLIC for 0 */
				names[i] = role == InvalidOid ? "public" : fp_ident(fp, FPC_ROLE, role);
			}
			/* sorted: the array's order is not part of the policy */
			fp_put_str(fp, "roles", fp_sorted_list(names, n));
		}
		fp_put_node(fp, "using", fp_col_text(&s, Anum_pg_policy_polqual), f->polrelid);
		fp_put_node(fp, "check", fp_col_text(&s, Anum_pg_policy_polwithcheck), f->polrelid);
		fp_end(fp, "policy", fp_join_dot(fp_ident(fp, FPC_REL, f->polrelid),
									  quote_identifier(NameStr(f->polname))));
	}
	fp_scan_end(&s);
}

/* ---- types ---- */

typedef struct FpEnumLabel
{
	float4		sortorder;
	char	   *label;
} FpEnumLabel;

typedef struct FpEnumList
{
	Oid			typid;			/* hash key */
	List	   *labels;
} FpEnumList;

static int
cmp_label(const ListCell *a, const ListCell *b)
{
	const FpEnumLabel *x = lfirst(a);
	const FpEnumLabel *y = lfirst(b);

	return x->sortorder < y->sortorder ? -1 : (x->sortorder > y->sortorder ? 1 : 0);
}

static HTAB *
load_enums(FpCtx *fp)
{
	HASHCTL		ctl;
	HTAB	   *h;
	FpScan		s;
	HeapTuple	tup;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(FpEnumList);
	ctl.hcxt = fp->cxt;
	h = hash_create("dualboot fp enums", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	fp_scan_begin(&s, fp, EnumRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_enum f = (Form_pg_enum) GETSTRUCT(tup);
		bool		found;
		FpEnumList *e = hash_search(h, &f->enumtypid, HASH_ENTER, &found);
		MemoryContext old = MemoryContextSwitchTo(fp->cxt);
		FpEnumLabel *l = palloc(sizeof(FpEnumLabel));

		if (!found)
			e->labels = NIL;
		l->sortorder = f->enumsortorder;
		l->label = pstrdup(NameStr(f->enumlabel));
		e->labels = lappend(e->labels, l);
		MemoryContextSwitchTo(old);
	}
	fp_scan_end(&s);
	return h;
}

static void
put_range(FpCtx *fp, Oid typid)
{
	FpScan		s;
	HeapTuple	tup;

	/* ranges are few: one scan per range type is cheap enough */
	fp_scan_begin(&s, fp, RangeRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_range f = (Form_pg_range) GETSTRUCT(tup);

		if (f->rngtypid != typid)
			continue;
		fp_put_ref(fp, "subtype", FPC_TYPE, f->rngsubtype);
		fp_put_ref(fp, "multirange", FPC_TYPE, f->rngmultitypid);
		fp_put_ref(fp, "collation", FPC_COLL, f->rngcollation);
		fp_put_ref(fp, "subopclass", FPC_OPCLASS, f->rngsubopc);
		fp_put_ref(fp, "canonical", FPC_PROC, f->rngcanonical);
		fp_put_ref(fp, "subdiff", FPC_PROC, f->rngsubdiff);
	}
	fp_scan_end(&s);
}

static void
emit_types(FpCtx *fp)
{
	HTAB	   *enums = load_enums(fp);
	FpScan		s;
	HeapTuple	tup;
	List	   *ranges = NIL;
	ListCell   *lc;

	fp_scan_begin(&s, fp, TypeRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_type f = (Form_pg_type) GETSTRUCT(tup);
		const char *kind;

		if (!fp_user_object(fp, TypeRelationId, f->oid, f->typnamespace))
			continue;
		if (OidIsValid(f->typelem) && f->typlen == -1)
		{
			FpType	   *e = fp_type(fp, f->typelem);

			if (e && e->typarray == f->oid)
				continue;		/* implicit array type */
		}
		if (f->typtype == TYPTYPE_MULTIRANGE)
			continue;			/* made with its range */
		if (OidIsValid(f->typrelid))
		{
			FpRel	   *r = fp_rel(fp, f->typrelid);

			if (r == NULL || r->relkind != RELKIND_COMPOSITE_TYPE || !r->user)
				continue;		/* a table's row type */
		}

		fp_begin(fp);
		fp_put_char(fp, "typtype", f->typtype);
		switch (f->typtype)
		{
			case TYPTYPE_ENUM:
				{
					FpEnumList *e = hash_search(enums, &f->oid, HASH_FIND, NULL);

					kind = "enum";
					if (e)
					{
						list_sort(e->labels, cmp_label);
						foreach(lc, e->labels)
							fp_put_str(fp, "label", ((FpEnumLabel *) lfirst(lc))->label);
					}
					break;
				}
			case TYPTYPE_DOMAIN:
				kind = "domain";
				fp_put_ref(fp, "basetype", FPC_TYPE, f->typbasetype);
				fp_put_int(fp, "typmod", f->typtypmod);
				fp_put_bool(fp, "notnull", f->typnotnull);
				fp_put_int(fp, "ndims", f->typndims);
				fp_put_ref(fp, "collation", FPC_COLL, f->typcollation);
				fp_put_node(fp, "default", fp_col_text(&s, Anum_pg_type_typdefaultbin), InvalidOid);
				break;
			case TYPTYPE_COMPOSITE:
				kind = "composite type";
				put_columns(fp, fp_rel(fp, f->typrelid));
				break;
			case TYPTYPE_RANGE:
				kind = "range type";
				/* the pg_range part is appended below, after this scan */
				break;
			default:
				kind = "base type";
				fp_put_int(fp, "len", f->typlen);
				fp_put_bool(fp, "byval", f->typbyval);
				fp_put_char(fp, "category", f->typcategory);
				fp_put_bool(fp, "preferred", f->typispreferred);
				fp_put_bool(fp, "defined", f->typisdefined);
				fp_put_char(fp, "delim", f->typdelim);
				fp_put_ref(fp, "elem", FPC_TYPE, f->typelem);
				fp_put_ref(fp, "input", FPC_PROC, f->typinput);
				fp_put_ref(fp, "output", FPC_PROC, f->typoutput);
				fp_put_ref(fp, "receive", FPC_PROC, f->typreceive);
				fp_put_ref(fp, "send", FPC_PROC, f->typsend);
				fp_put_ref(fp, "modin", FPC_PROC, f->typmodin);
				fp_put_ref(fp, "modout", FPC_PROC, f->typmodout);
				fp_put_ref(fp, "analyze", FPC_PROC, f->typanalyze);
				fp_put_ref(fp, "subscript", FPC_PROC, f->typsubscript);
				fp_put_char(fp, "align", f->typalign);
				fp_put_char(fp, "storage", f->typstorage);
				fp_put_ref(fp, "collation", FPC_COLL, f->typcollation);
				fp_put_str(fp, "default", fp_col_text(&s, Anum_pg_type_typdefault));
				break;
		}
		fp_put_owner_acl(fp, &s, f->typowner, Anum_pg_type_typacl,
					  f->typtype == TYPTYPE_DOMAIN ? OBJECT_DOMAIN : OBJECT_TYPE);
		if (f->typtype == TYPTYPE_RANGE)
		{
			/* finish this row after the scan: pg_range is scanned separately */
			MemoryContext old = MemoryContextSwitchTo(fp->cxt);

			ranges = lappend(ranges,
							 psprintf("%u\n%s", f->oid, fp->buf.data));
			MemoryContextSwitchTo(old);
			continue;
		}
		fp_end(fp, kind, fp_ident(fp, FPC_TYPE, f->oid));
	}
	fp_scan_end(&s);

	foreach(lc, ranges)
	{
		char	   *saved = lfirst(lc);
		Oid			typid = (Oid) strtoul(saved, NULL, 10);

		fp_begin(fp);
		appendStringInfoString(&fp->buf, strchr(saved, '\n') + 1);
		put_range(fp, typid);
		fp_end(fp, "range type", fp_ident(fp, FPC_TYPE, typid));
	}
}

/* ---- functions, aggregates, operators, casts ---- */

static HTAB *
load_aggregates(FpCtx *fp)
{
	HASHCTL		ctl;
	HTAB	   *h;
	FpScan		s;
	HeapTuple	tup;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(FpName);
	ctl.hcxt = fp->cxt;
	h = hash_create("dualboot fp aggs", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	fp_scan_begin(&s, fp, AggregateRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_aggregate f = (Form_pg_aggregate) GETSTRUCT(tup);
		FpName	   *n;
		char	   *init,
				   *minit;
		char	   *t;

		if (f->aggfnoid < FirstNormalObjectId)
			continue;
		init = fp_col_text(&s, Anum_pg_aggregate_agginitval);
		minit = fp_col_text(&s, Anum_pg_aggregate_aggminitval);
		t = psprintf("kind=%c ndirect=%d trans=%s final=%s combine=%s serial=%s deserial=%s "
					 "mtrans=%s minvtrans=%s mfinal=%s finalextra=%d mfinalextra=%d "
					 "finalmodify=%c mfinalmodify=%c sortop=%s transtype=%s transspace=%d "
					 "mtranstype=%s mtransspace=%d init=%s minit=%s",
					 f->aggkind, f->aggnumdirectargs,
					 fp_ident(fp, FPC_PROC, f->aggtransfn), fp_ident(fp, FPC_PROC, f->aggfinalfn),
					 fp_ident(fp, FPC_PROC, f->aggcombinefn), fp_ident(fp, FPC_PROC, f->aggserialfn),
					 fp_ident(fp, FPC_PROC, f->aggdeserialfn), fp_ident(fp, FPC_PROC, f->aggmtransfn),
					 fp_ident(fp, FPC_PROC, f->aggminvtransfn), fp_ident(fp, FPC_PROC, f->aggmfinalfn),
					 f->aggfinalextra, f->aggmfinalextra, f->aggfinalmodify, f->aggmfinalmodify,
					 fp_ident(fp, FPC_OPER, f->aggsortop), fp_ident(fp, FPC_TYPE, f->aggtranstype),
					 f->aggtransspace, fp_ident(fp, FPC_TYPE, f->aggmtranstype), f->aggmtransspace,
					 init ? quote_literal_cstr(init) : "-", minit ? quote_literal_cstr(minit) : "-");
		n = hash_search(h, &f->aggfnoid, HASH_ENTER, NULL);
		n->ident = MemoryContextStrdup(fp->cxt, t);
	}
	fp_scan_end(&s);
	return h;
}

static void
emit_functions(FpCtx *fp)
{
	HTAB	   *aggs = load_aggregates(fp);
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ProcedureRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_proc f = (Form_pg_proc) GETSTRUCT(tup);
		const char *kind;
		int			i;
		StringInfoData b;
		bool		isnull;
		Datum		d;

		if (!fp_user_object(fp, ProcedureRelationId, f->oid, f->pronamespace))
			continue;
		switch (f->prokind)
		{
			case PROKIND_AGGREGATE:
				kind = "aggregate";
				break;
			case PROKIND_PROCEDURE:
				kind = "procedure";
				break;
			default:
				kind = "function";
				break;
		}
		fp_begin(fp);
		fp_put_char(fp, "prokind", f->prokind);
		if (fp->procinternal != NULL)
		{
			/*
			 * Part of another object (a range type's constructor): made and
			 * dropped with it, and not dumped on its own. CREATE OR REPLACE
			 * of such a function makes it a function of its own, which
			 * pg_dump then prints.
			 */
			FpProcInternal *pi = hash_search(fp->procinternal, &f->oid, HASH_FIND, NULL);

			if (pi != NULL)
				fp_put_str(fp, "internal_to", pi->refclassid == TypeRelationId ?
						   fp_ident(fp, FPC_TYPE, pi->refobjid) :
						   psprintf("#%u", pi->refclassid));
		}
		fp_put_ref(fp, "language", FPC_LANG, f->prolang);
		fp_put_bool(fp, "secdef", f->prosecdef);
		fp_put_bool(fp, "leakproof", f->proleakproof);
		fp_put_bool(fp, "strict", f->proisstrict);
		fp_put_bool(fp, "retset", f->proretset);
		fp_put_char(fp, "volatile", f->provolatile);
		fp_put_char(fp, "parallel", f->proparallel);
		fp_put_int(fp, "nargs", f->pronargs);
		fp_put_int(fp, "nargdefaults", f->pronargdefaults);
		fp_put_ref(fp, "rettype", FPC_TYPE, f->prorettype);
		fp_put_ref(fp, "variadic", FPC_TYPE, f->provariadic);
		fp_put_ref(fp, "support", FPC_PROC, f->prosupport);
		initStringInfo(&b);
		appendStringInfo(&b, "%g/%g", f->procost, f->prorows);
		fp_put_str(fp, "cost_rows", b.data);
		resetStringInfo(&b);
		for (i = 0; i < f->proargtypes.dim1; i++)
			appendStringInfo(&b, "%s%s", i ? "," : "", fp_ident(fp, FPC_TYPE, f->proargtypes.values[i]));
		fp_put_str(fp, "argtypes", b.data);
		fp_put_oid_array(fp, &s, Anum_pg_proc_proallargtypes, "allargtypes", FPC_TYPE);
		fp_put_str(fp, "argmodes", fp_col_array(&s, Anum_pg_proc_proargmodes));
		fp_put_str(fp, "argnames", fp_col_array(&s, Anum_pg_proc_proargnames));
		fp_put_node(fp, "argdefaults", fp_col_text(&s, Anum_pg_proc_proargdefaults), InvalidOid);
		fp_put_oid_array(fp, &s, Anum_pg_proc_protrftypes, "trftypes", FPC_TYPE);
		fp_put_str(fp, "src", fp_col_text(&s, Anum_pg_proc_prosrc));
		fp_put_str(fp, "bin", fp_col_text(&s, Anum_pg_proc_probin));
		fp_put_node(fp, "sqlbody", fp_col_text(&s, Anum_pg_proc_prosqlbody), InvalidOid);
		fp_put_str(fp, "config", fp_col_array(&s, Anum_pg_proc_proconfig));
		if (f->prokind == PROKIND_AGGREGATE)
		{
			FpName	   *n = hash_search(aggs, &f->oid, HASH_FIND, NULL);

			fp_put_str(fp, "aggregate", n ? n->ident : NULL);
		}
		d = fp_scan_attr(&s, Anum_pg_proc_proacl, &isnull);
		if (fp->include_acl)
		{
			fp_put_ref(fp, "owner", FPC_ROLE, f->proowner);
			fp_put_str(fp, "acl", fp_acl_text(fp, d, isnull,
											  OBJECT_FUNCTION,
											  f->proowner));
		}
		fp_end(fp, kind, fp_ident(fp, FPC_PROC, f->oid));
	}
	fp_scan_end(&s);
}

static void
emit_operators(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, OperatorRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_operator f = (Form_pg_operator) GETSTRUCT(tup);

		if (!fp_user_object(fp, OperatorRelationId, f->oid, f->oprnamespace))
			continue;
		fp_begin(fp);
		fp_put_char(fp, "kind", f->oprkind);
		fp_put_bool(fp, "canmerge", f->oprcanmerge);
		fp_put_bool(fp, "canhash", f->oprcanhash);
		fp_put_ref(fp, "left", FPC_TYPE, f->oprleft);
		fp_put_ref(fp, "right", FPC_TYPE, f->oprright);
		fp_put_ref(fp, "result", FPC_TYPE, f->oprresult);
		fp_put_ref(fp, "commutator", FPC_OPER, f->oprcom);
		fp_put_ref(fp, "negator", FPC_OPER, f->oprnegate);
		fp_put_ref(fp, "code", FPC_PROC, f->oprcode);
		fp_put_ref(fp, "restrict", FPC_PROC, f->oprrest);
		fp_put_ref(fp, "join", FPC_PROC, f->oprjoin);
		fp_put_owner_acl(fp, &s, f->oprowner, 0, OBJECT_OPERATOR);
		fp_end(fp, "operator", fp_ident(fp, FPC_OPER, f->oid));
	}
	fp_scan_end(&s);
}

static void
emit_casts(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, CastRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_cast f = (Form_pg_cast) GETSTRUCT(tup);

		if (!fp_user_object(fp, CastRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "function", FPC_PROC, f->castfunc);
		fp_put_char(fp, "context", f->castcontext);
		fp_put_char(fp, "method", f->castmethod);
		fp_end(fp, "cast", psprintf("(%s AS %s)", fp_ident(fp, FPC_TYPE, f->castsource),
									fp_ident(fp, FPC_TYPE, f->casttarget)));
	}
	fp_scan_end(&s);
}

static void
emit_collations(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, CollationRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_collation f = (Form_pg_collation) GETSTRUCT(tup);

		if (!fp_user_object(fp, CollationRelationId, f->oid, f->collnamespace))
			continue;
		fp_begin(fp);
		fp_put_char(fp, "provider", f->collprovider);
		fp_put_bool(fp, "deterministic", f->collisdeterministic);
		fp_put_int(fp, "encoding", f->collencoding);
		fp_put_str(fp, "collate", fp_col_text(&s, Anum_pg_collation_collcollate));
		fp_put_str(fp, "ctype", fp_col_text(&s, Anum_pg_collation_collctype));
		fp_put_str(fp, PGC_COLLATION_LOCALE_KEY, fp_col_text(&s, PGC_ANUM_COLLATION_LOCALE));
		fp_put_str(fp, "icurules", fp_col_text(&s, PGC_ANUM_COLLATION_ICURULES));
		fp_put_owner_acl(fp, &s, f->collowner, 0, OBJECT_COLLATION);
		fp_end(fp, "collation", fp_ident(fp, FPC_COLL, f->oid));
	}
	fp_scan_end(&s);
}

/* ---- publications, statistics, event triggers, foreign data ---- */

static void
emit_publications(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, PublicationRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_publication f = (Form_pg_publication) GETSTRUCT(tup);

		fp_begin(fp);
		fp_put_bool(fp, "alltables", f->puballtables);
		fp_put_bool(fp, "insert", f->pubinsert);
		fp_put_bool(fp, "update", f->pubupdate);
		fp_put_bool(fp, "delete", f->pubdelete);
		fp_put_bool(fp, "truncate", f->pubtruncate);
		fp_put_bool(fp, "viaroot", f->pubviaroot);
		if (PGC_PUB_GENCOLS(f) != 'n')
			fp_put_char(fp, "gencols", PGC_PUB_GENCOLS(f));
		fp_put_owner_acl(fp, &s, f->pubowner, 0, OBJECT_PUBLICATION);
		fp_end(fp, "publication", quote_identifier(NameStr(f->pubname)));
	}
	fp_scan_end(&s);

	fp_scan_begin(&s, fp, PublicationRelRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_publication_rel f = (Form_pg_publication_rel) GETSTRUCT(tup);
		char	   *pub = get_publication_name(f->prpubid, true);

		fp_begin(fp);
		fp_put_node(fp, "where", fp_col_text(&s, Anum_pg_publication_rel_prqual), f->prrelid);
		fp_put_attnum_array(fp, &s, Anum_pg_publication_rel_prattrs, "columns", f->prrelid);
		fp_end(fp, "publication table", psprintf("%s:%s", pub ? quote_identifier(pub) : "?",
												 fp_ident(fp, FPC_REL, f->prrelid)));
	}
	fp_scan_end(&s);

	fp_scan_begin(&s, fp, PublicationNamespaceRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_publication_namespace f = (Form_pg_publication_namespace) GETSTRUCT(tup);
		char	   *pub = get_publication_name(f->pnpubid, true);

		fp_begin(fp);
		fp_end(fp, "publication schema", psprintf("%s:%s", pub ? quote_identifier(pub) : "?",
												  fp_ident(fp, FPC_NSP, f->pnnspid)));
	}
	fp_scan_end(&s);
}

static void
emit_statistics(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, StatisticExtRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_statistic_ext f = (Form_pg_statistic_ext) GETSTRUCT(tup);
		StringInfoData b;
		int			i;

		if (!fp_user_object(fp, StatisticExtRelationId, f->oid, f->stxnamespace) ||
			!fp_user_rel(fp, f->stxrelid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "table", FPC_REL, f->stxrelid);
		initStringInfo(&b);
		for (i = 0; i < f->stxkeys.dim1; i++)
			appendStringInfo(&b, "%s%s", i ? "," : "", fp_attname(fp, f->stxrelid, f->stxkeys.values[i]));
		fp_put_str(fp, "keys", b.data);
		fp_put_str(fp, "kinds", fp_col_array(&s, Anum_pg_statistic_ext_stxkind));
		fp_put_int(fp, "stattarget", PGC_STXSTATTARGET(&s, f));
		fp_put_node(fp, "exprs", fp_col_text(&s, Anum_pg_statistic_ext_stxexprs), f->stxrelid);
		fp_put_owner_acl(fp, &s, f->stxowner, 0, OBJECT_STATISTIC_EXT);
		fp_end(fp, "statistics", fp_qualify(fp, f->stxnamespace, NameStr(f->stxname)));
	}
	fp_scan_end(&s);
}

static void
emit_event_triggers(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, EventTriggerRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_event_trigger f = (Form_pg_event_trigger) GETSTRUCT(tup);

		if (!fp_user_object(fp, EventTriggerRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_str(fp, "event", NameStr(f->evtevent));
		fp_put_ref(fp, "function", FPC_PROC, f->evtfoid);
		fp_put_char(fp, "enabled", f->evtenabled);
		fp_put_str(fp, "tags", fp_col_array(&s, Anum_pg_event_trigger_evttags));
		fp_put_owner_acl(fp, &s, f->evtowner, 0, OBJECT_EVENT_TRIGGER);
		fp_end(fp, "event trigger", quote_identifier(NameStr(f->evtname)));
	}
	fp_scan_end(&s);
}

static void
emit_foreign(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, ForeignDataWrapperRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_foreign_data_wrapper f = (Form_pg_foreign_data_wrapper) GETSTRUCT(tup);

		if (!fp_user_object(fp, ForeignDataWrapperRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "handler", FPC_PROC, f->fdwhandler);
		fp_put_ref(fp, "validator", FPC_PROC, f->fdwvalidator);
		fp_put_str(fp, "options", fp_col_array(&s, Anum_pg_foreign_data_wrapper_fdwoptions));
		fp_put_owner_acl(fp, &s, f->fdwowner, Anum_pg_foreign_data_wrapper_fdwacl, OBJECT_FDW);
		fp_end(fp, "foreign data wrapper", quote_identifier(NameStr(f->fdwname)));
	}
	fp_scan_end(&s);

	fp_scan_begin(&s, fp, ForeignServerRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_foreign_server f = (Form_pg_foreign_server) GETSTRUCT(tup);

		if (!fp_user_object(fp, ForeignServerRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "fdw", FPC_FDW, f->srvfdw);
		fp_put_str(fp, "type", fp_col_text(&s, Anum_pg_foreign_server_srvtype));
		fp_put_str(fp, "version", fp_col_text(&s, Anum_pg_foreign_server_srvversion));
		fp_put_str(fp, "options", fp_col_array(&s, Anum_pg_foreign_server_srvoptions));
		fp_put_owner_acl(fp, &s, f->srvowner, Anum_pg_foreign_server_srvacl, OBJECT_FOREIGN_SERVER);
		fp_end(fp, "foreign server", quote_identifier(NameStr(f->srvname)));
	}
	fp_scan_end(&s);
}

static void
emit_languages(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, LanguageRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_language f = (Form_pg_language) GETSTRUCT(tup);

		if (!fp_user_object(fp, LanguageRelationId, f->oid, InvalidOid))
			continue;
		fp_begin(fp);
		fp_put_bool(fp, "pl", f->lanispl);
		fp_put_bool(fp, "trusted", f->lanpltrusted);
		fp_put_ref(fp, "handler", FPC_PROC, f->lanplcallfoid);
		fp_put_ref(fp, "inline", FPC_PROC, f->laninline);
		fp_put_ref(fp, "validator", FPC_PROC, f->lanvalidator);
		fp_put_owner_acl(fp, &s, f->lanowner, Anum_pg_language_lanacl, OBJECT_LANGUAGE);
		fp_end(fp, "language", quote_identifier(NameStr(f->lanname)));
	}
	fp_scan_end(&s);
}

static void
emit_text_search(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, TSDictionaryRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_ts_dict f = (Form_pg_ts_dict) GETSTRUCT(tup);

		if (!fp_user_object(fp, TSDictionaryRelationId, f->oid, f->dictnamespace))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "template", FPC_TSTEMPLATE, f->dicttemplate);
		fp_put_str(fp, "options", fp_col_text(&s, Anum_pg_ts_dict_dictinitoption));
		fp_put_owner_acl(fp, &s, f->dictowner, 0, OBJECT_TSDICTIONARY);
		fp_end(fp, "text search dictionary", fp_ident(fp, FPC_TSDICT, f->oid));
	}
	fp_scan_end(&s);

	fp_scan_begin(&s, fp, TSConfigRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_ts_config f = (Form_pg_ts_config) GETSTRUCT(tup);

		if (!fp_user_object(fp, TSConfigRelationId, f->oid, f->cfgnamespace))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "parser", FPC_TSPARSER, f->cfgparser);
		fp_put_owner_acl(fp, &s, f->cfgowner, 0, OBJECT_TSCONFIGURATION);
		fp_end(fp, "text search configuration", fp_ident(fp, FPC_TSCONFIG, f->oid));
	}
	fp_scan_end(&s);

	/* each mapping row of a user configuration is a row of its own */
	fp_scan_begin(&s, fp, TSConfigMapRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_ts_config_map f = (Form_pg_ts_config_map) GETSTRUCT(tup);

		if (f->mapcfg < FirstNormalObjectId ||
			OidIsValid(fp_ext_owner(fp, TSConfigRelationId, f->mapcfg)))
			continue;
		fp_begin(fp);
		fp_put_ref(fp, "dictionary", FPC_TSDICT, f->mapdict);
		fp_end(fp, "text search mapping",
			   psprintf("%s:%d:%d", fp_ident(fp, FPC_TSCONFIG, f->mapcfg),
						f->maptokentype, f->mapseqno));
	}
	fp_scan_end(&s);
}

/* ---- behind include_privileges: default privileges and comments ---- */

static void
emit_default_acls(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, DefaultAclRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_default_acl f = (Form_pg_default_acl) GETSTRUCT(tup);
		bool		isnull;
		Datum		d = fp_scan_attr(&s, Anum_pg_default_acl_defaclacl, &isnull);

		fp_begin(fp);
		fp_put_str(fp, "acl", isnull ? NULL : fp_acl_text(fp, d, false, OBJECT_TABLE, InvalidOid));
		fp_end(fp, "default privileges",
			   psprintf("%s:%s:%c", fp_ident(fp, FPC_ROLE, f->defaclrole),
						fp_ident(fp, FPC_NSP, f->defaclnamespace), f->defaclobjtype));
	}
	fp_scan_end(&s);
}

static void
emit_comments(FpCtx *fp)
{
	FpScan		s;
	HeapTuple	tup;

	fp_scan_begin(&s, fp, DescriptionRelationId);
	while ((tup = fp_scan_next(&s)) != NULL)
	{
		Form_pg_description f = (Form_pg_description) GETSTRUCT(tup);
		const char *what;
		const char *id;

		if (f->objoid < FirstNormalObjectId)
			continue;
		switch (f->classoid)
		{
			case RelationRelationId:
				if (!fp_user_rel(fp, f->objoid))
					continue;
				what = "relation";
				id = fp_ident(fp, FPC_REL, f->objoid);
				if (f->objsubid != 0)
					id = psprintf("%s.%s", id, fp_attname(fp, f->objoid, f->objsubid));
				break;
			case ProcedureRelationId:
				if (OidIsValid(fp_ext_owner(fp, f->classoid, f->objoid)))
					continue;
				what = "function";
				id = fp_ident(fp, FPC_PROC, f->objoid);
				break;
			case TypeRelationId:
				if (OidIsValid(fp_ext_owner(fp, f->classoid, f->objoid)))
					continue;
				what = "type";
				id = fp_ident(fp, FPC_TYPE, f->objoid);
				break;
			case NamespaceRelationId:
				if (OidIsValid(fp_ext_owner(fp, f->classoid, f->objoid)))
					continue;
				what = "schema";
				id = fp_ident(fp, FPC_NSP, f->objoid);
				break;
			case ConstraintRelationId:
				what = "constraint";
				id = fp_ident(fp, FPC_CONSTRAINT, f->objoid);
				break;
			case ExtensionRelationId:
				what = "extension";
				id = fp_ident(fp, FPC_EXTENSION, f->objoid);
				break;
			default:
				continue;		/* other kinds: see docs/fingerprint.md */
		}
		fp_begin(fp);
		fp_put_str(fp, "text", fp_col_text(&s, Anum_pg_description_description));
		fp_end(fp, "comment", psprintf("%s %s", what, id));
	}
	fp_scan_end(&s);
}

void
fp_emit_all(FpCtx *fp)
{
	/* folded into their tables, views and columns */
	FP_PHASE(load_attrdefs(fp));
	FP_PHASE(load_inherits(fp));
	FP_PHASE(load_partkeys(fp));
	FP_PHASE(load_foreign_tables(fp));
	FP_PHASE(emit_rules(fp));

	FP_PHASE(emit_schemas(fp));
	FP_PHASE(emit_extensions(fp));
	FP_PHASE(emit_relations(fp));
	FP_PHASE(emit_sequences(fp));
	FP_PHASE(emit_indexes(fp));
	FP_PHASE(emit_constraints(fp));
	FP_PHASE(emit_triggers(fp));
	FP_PHASE(emit_policies(fp));
	FP_PHASE(emit_types(fp));
	FP_PHASE(emit_functions(fp));
	FP_PHASE(emit_operators(fp));
	FP_PHASE(emit_casts(fp));
	FP_PHASE(emit_collations(fp));
	FP_PHASE(emit_publications(fp));
	FP_PHASE(emit_statistics(fp));
	FP_PHASE(emit_event_triggers(fp));
	FP_PHASE(emit_foreign(fp));
	FP_PHASE(emit_languages(fp));
	FP_PHASE(emit_text_search(fp));
	FP_PHASE(fp_emit_opclass_kinds(fp));
	if (fp->include_acl)
	{
		FP_PHASE(emit_default_acls(fp));
		FP_PHASE(emit_comments(fp));
	}
}
