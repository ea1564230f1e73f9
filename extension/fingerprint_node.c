/*
 * fingerprint_node.c - canonical form of a stored node tree (pg_node_tree).
 *
 * Defaults, check constraints, index expressions and predicates, views'
 * rules, policies, trigger WHEN clauses, partition bounds and keys,
 * statistics expressions and SQL-standard function bodies are stored by the
 * server as the text form of a node tree ("{OPEXPR :opno 96 ...}"). The
 * deparser (pg_get_expr and friends) turns that back into SQL, at a high
 * price. We do not deparse: we stream the stored text once, token by token,
 * and write a canonical copy of it in which
 *
 *   - every field that holds an OID (types, functions, operators, collations,
 *     relations, operator classes and families, constraints, ...) holds the
 *     referenced object's identity instead (see fingerprint_maps.c);
 *   - column numbers of Vars and TargetEntry origins are replaced by column
 *     names, so that dropped-column gaps do not matter;
 *   - constants of types outside the fixed catalog (enums, domains, user
 *     composites and ranges, arrays of them) are written by the type's output
 *     function, since their binary form embeds OIDs; constants of the reg*
 *     types (regclass in a serial default, regconfig, ...) name the object;
 *   - fields that only say where text stood in the original statement or how
 *     the deparser should print something (location, coercion display form,
 *     aliases, varnosyn, selectedCols, eref, joinaliasvars, ...) are dropped:
 *     they differ after a dump and restore without changing behaviour.
 *
 * Every other field's value is copied as it is: its meaning is fixed by the
 * server's major version, which the fingerprint names. Field names are not
 * written (the order of a node's fields is fixed by the major version too),
 * which halves what is hashed.
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "fingerprint_int.h"

typedef enum FieldAction
{
	FA_NONE = 0,
	FA_DROP,					/* skip the field and its value */
	FA_OID,						/* scalar OID of class cat */
	FA_OIDLIST,					/* list of OIDs of class cat */
	FA_RELID,					/* RangeTblEntry.relid */
	FA_RESORIGTBL,				/* TargetEntry.resorigtbl */
	FA_RESORIGCOL,				/* TargetEntry.resorigcol */
	FA_CONSTTYPE,				/* Const.consttype */
	FA_CONSTVALUE				/* Const.constvalue */
} FieldAction;

typedef struct FieldRule
{
	const char *name;
	FieldAction action;
	FpCat		cat;
} FieldRule;

static const FieldRule field_rules[] = {
	/* where the text stood, and how to print: not behaviour */
	{"location", FA_DROP, 0},
	{"stmt_location", FA_DROP, 0},
	{"stmt_len", FA_DROP, 0},
	{"varnosyn", FA_DROP, 0},
	{"varattnosyn", FA_DROP, 0},
	{"relabelformat", FA_DROP, 0},
	{"coerceformat", FA_DROP, 0},
	{"coercionformat", FA_DROP, 0},
	{"funcformat", FA_DROP, 0},
	{"convertformat", FA_DROP, 0},
	{"row_format", FA_DROP, 0},
	{"alias", FA_DROP, 0},
	{"eref", FA_DROP, 0},
	{"join_using_alias", FA_DROP, 0},
	{"joinaliasvars", FA_DROP, 0},
	{"joinleftcols", FA_DROP, 0},
	{"joinrightcols", FA_DROP, 0},
	{"selectedCols", FA_DROP, 0},
	{"insertedCols", FA_DROP, 0},
	{"updatedCols", FA_DROP, 0},
	{"extraUpdatedCols", FA_DROP, 0},
	{"checkAsUser", FA_DROP, 0},
	{"aggno", FA_DROP, 0},
	{"aggtransno", FA_DROP, 0},
	/* types */
	{"vartype", FA_OID, FPC_TYPE},
	{"paramtype", FA_OID, FPC_TYPE},
	{"aggtype", FA_OID, FPC_TYPE},
	{"aggtranstype", FA_OID, FPC_TYPE},
	{"wintype", FA_OID, FPC_TYPE},
	{"refcontainertype", FA_OID, FPC_TYPE},
	{"refelemtype", FA_OID, FPC_TYPE},
	{"refrestype", FA_OID, FPC_TYPE},
	{"funcresulttype", FA_OID, FPC_TYPE},
	{"opresulttype", FA_OID, FPC_TYPE},
	{"resulttype", FA_OID, FPC_TYPE},
	{"casetype", FA_OID, FPC_TYPE},
	{"typeId", FA_OID, FPC_TYPE},
	{"array_typeid", FA_OID, FPC_TYPE},
	{"element_typeid", FA_OID, FPC_TYPE},
	{"row_typeid", FA_OID, FPC_TYPE},
	{"coalescetype", FA_OID, FPC_TYPE},
	{"minmaxtype", FA_OID, FPC_TYPE},
	{"type", FA_OID, FPC_TYPE},
	{"cycle_mark_type", FA_OID, FPC_TYPE},
	{"typid", FA_OID, FPC_TYPE},	/* JsonReturning (16), pg_compat.h */
	{"msftype", FA_OID, FPC_TYPE},	/* MergeSupportFunc (17) */
	{"aggargtypes", FA_OIDLIST, FPC_TYPE},
	{"funccoltypes", FA_OIDLIST, FPC_TYPE},
	{"coltypes", FA_OIDLIST, FPC_TYPE},
	{"ctecoltypes", FA_OIDLIST, FPC_TYPE},
	{"colTypes", FA_OIDLIST, FPC_TYPE},
	/*
	 * Collations an expression node derives from its inputs and types (as
	 * the parser's assign_expr_collations does) are history, not meaning:
	 * ALTER COLUMN TYPE re-coerces a default without assigning them (zero),
	 * and pg_dump prints neither. What decides them is hashed elsewhere
	 * (columns' and types' collations, explicit COLLATE clauses below).
	 */
	{"varcollid", FA_DROP, 0},
	{"constcollid", FA_DROP, 0},
	{"paramcollid", FA_DROP, 0},
	{"aggcollid", FA_DROP, 0},
	{"inputcollid", FA_DROP, 0},
	{"wincollid", FA_DROP, 0},
	{"refcollid", FA_DROP, 0},
	{"funccollid", FA_DROP, 0},
	{"opcollid", FA_DROP, 0},
	{"resultcollid", FA_DROP, 0},
	{"casecollid", FA_DROP, 0},
	{"collation", FA_DROP, 0},	/* CaseTestExpr, CoerceToDomainValue, SetToDefault */
	{"coalescecollid", FA_DROP, 0},
	{"minmaxcollid", FA_DROP, 0},
	{"inRangeColl", FA_DROP, 0},
	{"array_collid", FA_DROP, 0},
	{"cycle_mark_collation", FA_DROP, 0},
	{"colcollations", FA_DROP, 0},	/* a range table entry's columns */
	{"ctecolcollations", FA_DROP, 0},
	{"colCollations", FA_DROP, 0},	/* a set operation's columns */
	{"inputcollids", FA_DROP, 0},
	{"msfcollid", FA_DROP, 0},	/* MergeSupportFunc (17) */
	/* collations the SQL names: COLLATE, ON CONFLICT (... COLLATE), AS (col type COLLATE) */
	{"collOid", FA_OID, FPC_COLL},
	{"infercollid", FA_OID, FPC_COLL},
	{"funccolcollations", FA_OIDLIST, FPC_COLL},
	/* functions */
	{"funcid", FA_OID, FPC_PROC},
	{"opfuncid", FA_OID, FPC_PROC},
	{"aggfnoid", FA_OID, FPC_PROC},
	{"winfnoid", FA_OID, FPC_PROC},
	{"hashfuncid", FA_OID, FPC_PROC},
	{"negfuncid", FA_OID, FPC_PROC},
	{"startInRangeFunc", FA_OID, FPC_PROC},
	{"endInRangeFunc", FA_OID, FPC_PROC},
	{"tsmhandler", FA_OID, FPC_PROC},
	/* operators, classes, families */
	{"opno", FA_OID, FPC_OPER},
	{"eqop", FA_OID, FPC_OPER},
	{"sortop", FA_OID, FPC_OPER},
	{"cycle_mark_neop", FA_OID, FPC_OPER},
	{"opnos", FA_OIDLIST, FPC_OPER},
	{"opfamilies", FA_OIDLIST, FPC_OPFAMILY},
	{"inferopclass", FA_OID, FPC_OPCLASS},
	/* relations and constraints */
	{"relid", FA_RELID, FPC_REL},
	{"seqid", FA_OID, FPC_REL},
	{"resorigtbl", FA_RESORIGTBL, FPC_REL},
	{"resorigcol", FA_RESORIGCOL, 0},
	{"constraint", FA_OID, FPC_CONSTRAINT},
	{"constraintDeps", FA_OIDLIST, FPC_CONSTRAINT},
	/* constants */
	{"consttype", FA_CONSTTYPE, FPC_TYPE},
	{"constvalue", FA_CONSTVALUE, 0},
};

#define RULE_SLOTS 512

static const FieldRule *rule_table[RULE_SLOTS];
static bool rule_table_ready = false;

static uint32
name_hash(const char *s, int len)
{
	uint32		h = 2166136261u;
	int			i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

static void
build_rule_table(void)
{
	int			i;

	for (i = 0; i < (int) lengthof(field_rules); i++)
	{
		uint32		h = name_hash(field_rules[i].name, strlen(field_rules[i].name)) % RULE_SLOTS;

		while (rule_table[h] != NULL)
			h = (h + 1) % RULE_SLOTS;
		rule_table[h] = &field_rules[i];
	}
	rule_table_ready = true;
}

static const FieldRule *
find_rule(const char *name, int len)
{
	uint32		h = name_hash(name, len) % RULE_SLOTS;

	while (rule_table[h] != NULL)
	{
		const FieldRule *r = rule_table[h];

		if ((int) strlen(r->name) == len && memcmp(r->name, name, len) == 0)
			return r;
		h = (h + 1) % RULE_SLOTS;
	}
	return NULL;
}

typedef struct QLevel
{
	int			depth;			/* brace depth of the Query node */
	int			nrt;
	int			maxrt;
	Oid		   *rt;				/* relid of each range table entry, or 0 */
} QLevel;

typedef struct NC
{
	FpCtx	   *fp;
	StringInfo	out;
	const char *p;
	Oid			baserel;
	int			depth;
	int			maxdepth;
	const char **nodename;		/* node name at each depth */
	int		   *nodenamelen;
	QLevel	   *lv;
	int			nlv;
	int			maxlv;
	Oid			consttype;
	Oid			resorigtbl;
} NC;

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static const char *
next_tok(NC *nc, int *len)
{
	const char *s = nc->p;
	const char *start;

	while (is_space(*s))
		s++;
	if (*s == '\0')
	{
		nc->p = s;
		*len = 0;
		return NULL;
	}
	start = s;
	if (*s == '(' || *s == ')' || *s == '{' || *s == '}')
		s++;
	else
	{
		while (*s != '\0' && !is_space(*s) &&
			   *s != '(' && *s != ')' && *s != '{' && *s != '}')
		{
			if (*s == '\\' && s[1] != '\0')
				s += 2;
			else
				s++;
		}
	}
	*len = s - start;
	nc->p = s;
	return start;
}

static inline void
emit(NC *nc, const char *tok, int len)
{
	if (nc->out->len > 0)
		appendStringInfoChar(nc->out, ' ');
	appendBinaryStringInfo(nc->out, tok, len);
}

static inline void
emit_str(NC *nc, const char *s)
{
	emit(nc, s, strlen(s));
}

static Oid
tok_oid(const char *tok, int len)
{
	char		b[24];

	if (len <= 0 || len >= (int) sizeof(b))
		return InvalidOid;
	memcpy(b, tok, len);
	b[len] = '\0';
	return (Oid) strtoul(b, NULL, 10);
}

static long
tok_long(const char *tok, int len)
{
	char		b[24];

	if (len <= 0 || len >= (int) sizeof(b))
		return 0;
	memcpy(b, tok, len);
	b[len] = '\0';
	return strtol(b, NULL, 10);
}

static void
malformed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("dualboot: malformed stored node tree"),
			 errhint("The catalog holds an expression this server version cannot read.")));
}

static void
skip_value(NC *nc)
{
	int			len;
	const char *t = next_tok(nc, &len);
	int			nest;

	if (t == NULL)
		return;
	if (*t != '(' && *t != '{')
		return;
	nest = 1;
	while (nest > 0)
	{
		t = next_tok(nc, &len);
		if (t == NULL)
			malformed();
		if (len == 1 && (*t == '(' || *t == '{'))
			nest++;
		else if (len == 1 && (*t == ')' || *t == '}'))
			nest--;
	}
}

static void
push_node(NC *nc, const char *name, int len)
{
	nc->depth++;
	if (nc->depth >= nc->maxdepth)
	{
		nc->maxdepth *= 2;
		nc->nodename = repalloc(nc->nodename, sizeof(char *) * nc->maxdepth);
		nc->nodenamelen = repalloc(nc->nodenamelen, sizeof(int) * nc->maxdepth);
	}
	nc->nodename[nc->depth] = name;
	nc->nodenamelen[nc->depth] = len;
}

static bool
node_is(NC *nc, const char *name)
{
	int			len = strlen(name);

	return nc->depth > 0 && nc->nodenamelen[nc->depth] == len &&
		memcmp(nc->nodename[nc->depth], name, len) == 0;
}

static void
push_query(NC *nc)
{
	QLevel	   *l;

	if (nc->nlv >= nc->maxlv)
	{
		nc->maxlv *= 2;
		nc->lv = repalloc(nc->lv, sizeof(QLevel) * nc->maxlv);
	}
	l = &nc->lv[nc->nlv++];
	l->depth = nc->depth;
	l->nrt = 0;
	l->maxrt = 8;
	l->rt = palloc(sizeof(Oid) * l->maxrt);
}

static void
add_rte(NC *nc)
{
	QLevel	   *l;

	if (nc->nlv == 0)
		return;
	l = &nc->lv[nc->nlv - 1];
	if (l->nrt >= l->maxrt)
	{
		l->maxrt *= 2;
		l->rt = repalloc(l->rt, sizeof(Oid) * l->maxrt);
	}
	l->rt[l->nrt++] = InvalidOid;
}

/* the relation a Var points at, or InvalidOid */
static Oid
var_relid(NC *nc, long varno, long levelsup)
{
	QLevel	   *l;

	if (nc->nlv == 0)
		return levelsup == 0 ? nc->baserel : InvalidOid;
	if (levelsup < 0 || levelsup >= nc->nlv)
		return InvalidOid;
	l = &nc->lv[nc->nlv - 1 - levelsup];
	if (varno < 1 || varno > l->nrt)
		return InvalidOid;
	return l->rt[varno - 1];
}

/*
 * A Var has scalar fields only: read them all, then write varno, the
 * column's name, type, typmod, collation and levelsup.
 */
static void
canon_var(NC *nc)
{
	long		varno = 0,
				varattno = 0,
				vartypmod = -1,
				levelsup = 0,
				returningtype = 0;
	Oid			vartype = InvalidOid;
	const char *t;
	int			len;
	char		b[64];

	for (;;)
	{
		const char *v;
		int			vlen;

		t = next_tok(nc, &len);
		if (t == NULL)
			malformed();
		if (len == 1 && *t == '}')
			break;
		if (*t != ':')
			malformed();
		/*
		 * varcollid: derived; varnosyn, varattnosyn, location: display only;
		 * varnullingrels (16, a set of outer joins, "(b 3)"): derived from
		 * the query's joins, which are hashed
		 */
		if (!((len == 6 && memcmp(t, ":varno", 6) == 0) ||
			  (len == 9 && memcmp(t, ":varattno", 9) == 0) ||
			  (len == 8 && memcmp(t, ":vartype", 8) == 0) ||
			  (len == 10 && memcmp(t, ":vartypmod", 10) == 0) ||
			  (len == 12 && memcmp(t, ":varlevelsup", 12) == 0) ||
			  (len == 17 && memcmp(t, ":varreturningtype", 17) == 0)))
		{
			skip_value(nc);
			continue;
		}
		v = next_tok(nc, &vlen);
		if (v == NULL)
			malformed();
		if (len == 6)
			varno = tok_long(v, vlen);
		else if (len == 9)
			varattno = tok_long(v, vlen);
		else if (len == 8)
			vartype = tok_oid(v, vlen);
		else if (len == 10)
			vartypmod = tok_long(v, vlen);
		else if (len == 12)
			levelsup = tok_long(v, vlen);
		else
			returningtype = tok_long(v, vlen);
	}
	/*
	 * {VAR varno column type typmod levelsup}: the collation is the
	 * column's (derived, see field_rules). A Var of RETURNING OLD or NEW
	 * (18: varreturningtype, 0 otherwise) has it after levelsup.
	 */
	snprintf(b, sizeof(b), "{VAR %ld", varno);
	emit_str(nc, b);
	emit_str(nc, fp_attname(nc->fp, var_relid(nc, varno, levelsup), (int) varattno));
	emit_str(nc, fp_ident(nc->fp, FPC_TYPE, vartype));
	snprintf(b, sizeof(b), "%ld", vartypmod);
	emit_str(nc, b);
	if (returningtype != 0)
		snprintf(b, sizeof(b), "%ld %ld}", levelsup, returningtype);
	else
		snprintf(b, sizeof(b), "%ld}", levelsup);
	emit_str(nc, b);
}

static void
canon_oid_list(NC *nc, FpCat cat)
{
	int			len;
	const char *t = next_tok(nc, &len);

	if (t == NULL)
		malformed();
	if (!(len == 1 && *t == '('))
	{
		emit(nc, t, len);		/* "<>": empty list */
		return;
	}
	emit(nc, t, len);
	for (;;)
	{
		t = next_tok(nc, &len);
		if (t == NULL)
			malformed();
		if (len == 1 && *t == ')')
		{
			emit(nc, t, len);
			return;
		}
		if (len == 1 && (*t == 'o' || *t == 'i'))
			emit(nc, t, len);
		else
			emit_str(nc, fp_ident(nc->fp, cat, tok_oid(t, len)));
	}
}

static FpCat
reg_type_cat(Oid typid, bool *isreg)
{
	*isreg = true;
	switch (typid)
	{
		case REGCLASSOID: return FPC_REL;
		case REGTYPEOID: return FPC_TYPE;
		case REGPROCOID:
		case REGPROCEDUREOID: return FPC_PROC;
		case REGOPEROID:
		case REGOPERATOROID: return FPC_OPER;
		case REGCONFIGOID: return FPC_TSCONFIG;
		case REGDICTIONARYOID: return FPC_TSDICT;
		case REGNAMESPACEOID: return FPC_NSP;
		case REGROLEOID: return FPC_ROLE;
		case REGCOLLATIONOID: return FPC_COLL;
		default:
			*isreg = false;
			return FPC_TYPE;
	}
}

/*
 * Const.constvalue: "<>" or "<length> [ b0 b1 ... ]". Bytes of types whose
 * binary form holds OIDs are replaced by what the OIDs name.
 */
static void
canon_constvalue(NC *nc)
{
	int			len;
	const char *t = next_tok(nc, &len);
	const char *lenTok;
	int			lenLen;
	long		datalen;
	char	   *bytes;
	int			n = 0;
	bool		isreg;
	FpCat		cat;
	FpType	   *typ;

	if (t == NULL)
		malformed();
	if (len == 2 && memcmp(t, "<>", 2) == 0)
	{
		emit(nc, t, len);
		return;
	}
	lenTok = t;
	lenLen = len;
	datalen = tok_long(t, len);
	cat = reg_type_cat(nc->consttype, &isreg);
	typ = nc->consttype >= FirstGenbkiObjectId ? fp_type(nc->fp, nc->consttype) : NULL;
	if (!isreg && typ == NULL)
	{
		/* builtin type: its bytes are the same in every cluster */
		emit(nc, lenTok, lenLen);
		return;					/* the bytes follow as ordinary tokens */
	}

	t = next_tok(nc, &len);
	if (t == NULL || !(len == 1 && *t == '['))
		malformed();
	bytes = palloc0(Max(datalen, (long) sizeof(Datum)) + 1);
	for (;;)
	{
		t = next_tok(nc, &len);
		if (t == NULL)
			malformed();
		if (len == 1 && *t == ']')
			break;
		if (n < Max(datalen, (long) sizeof(Datum)))
			bytes[n++] = (char) tok_long(t, len);
	}
	if (isreg)
	{
		Datum		d;

		memcpy(&d, bytes, sizeof(Datum));
		emit_str(nc, "reg");
		emit_str(nc, fp_ident(nc->fp, cat, DatumGetObjectId(d)));
	}
	else
	{
		Datum		d;
		char	   *s;

		if (typ->typbyval)
			memcpy(&d, bytes, sizeof(Datum));
		else
			d = PointerGetDatum(bytes);
		s = OidOutputFunctionCall(typ->typoutput, d);
		emit_str(nc, "out");
		emit_str(nc, quote_literal_cstr(s));
		pfree(s);
	}
	pfree(bytes);
}

/*
 * Copy the values of a field that needs no rewriting, as they stand, up to
 * the next field name, node start or node end: one append instead of one
 * per token. '{' and '}' inside a value are always backslash-escaped; a
 * field name is a ':' that starts a token.
 */
static void
copy_raw_span(NC *nc)
{
	const char *start;
	const char *s;
	const char *end;

	while (is_space(*nc->p))
		nc->p++;
	start = s = nc->p;
	while (*s != '\0' && *s != '{' && *s != '}')
	{
		if (*s == '\\' && s[1] != '\0')
		{
			s += 2;
			continue;
		}
		if (*s == ':' && s > start && is_space(s[-1]))
			break;
		s++;
	}
	end = s;
	while (end > start && is_space(end[-1]))
		end--;
	nc->p = s;
	if (end > start)
		emit(nc, start, end - start);
}

static void
canon_node_stream(FpCtx *fp, StringInfo out, const char *tree, Oid baserel)
{
	NC			nc;
	const char *t;
	int			len;

	if (!rule_table_ready)
		build_rule_table();

	memset(&nc, 0, sizeof(nc));
	nc.fp = fp;
	nc.out = out;
	nc.p = tree;
	nc.baserel = baserel;
	nc.maxdepth = 64;
	nc.nodename = palloc(sizeof(char *) * nc.maxdepth);
	nc.nodenamelen = palloc(sizeof(int) * nc.maxdepth);
	nc.maxlv = 8;
	nc.lv = palloc(sizeof(QLevel) * nc.maxlv);

	for (;;)
	{
		while (is_space(*nc.p))
			nc.p++;
		if (*nc.p == '\0')
			break;
		if (*nc.p != '{' && *nc.p != '}' && *nc.p != ':')
		{
			copy_raw_span(&nc);
			continue;
		}
		t = next_tok(&nc, &len);
		if (len == 1 && *t == '{')
		{
			const char *name = next_tok(&nc, &len);

			if (name == NULL)
				malformed();
			if (len == 3 && memcmp(name, "VAR", 3) == 0)
			{
				canon_var(&nc);
				continue;
			}
			push_node(&nc, name, len);
			if (len == 5 && memcmp(name, "QUERY", 5) == 0)
				push_query(&nc);
			else if (len == 13 && memcmp(name, "RANGETBLENTRY", 13) == 0)
				add_rte(&nc);
			if (nc.out->len > 0)
				appendStringInfoChar(nc.out, ' ');
			appendStringInfoChar(nc.out, '{');
			appendBinaryStringInfo(nc.out, name, len);
			continue;
		}
		if (len == 1 && *t == '}')
		{
			if (nc.nlv > 0 && nc.lv[nc.nlv - 1].depth == nc.depth)
				nc.nlv--;
			if (nc.depth > 0)
				nc.depth--;
			appendStringInfoChar(nc.out, '}');
			continue;
		}
		if (*t == ':' && len > 1)
		{
			const FieldRule *r = find_rule(t + 1, len - 1);

			/*
			 * Field names are not written: a node's fields come in an order
			 * fixed by the server's major version, as readfuncs.c reads them.
			 */
			if (r == NULL)
			{
				copy_raw_span(&nc);
				continue;
			}
			if (r->action == FA_DROP)
			{
				skip_value(&nc);
				continue;
			}
			switch (r->action)
			{
				case FA_OID:
				case FA_RELID:
				case FA_RESORIGTBL:
				case FA_CONSTTYPE:
					{
						const char *v = next_tok(&nc, &len);
						Oid			oid;

						if (v == NULL)
							malformed();
						oid = tok_oid(v, len);
						emit_str(&nc, fp_ident(fp, r->cat, oid));
						if (r->action == FA_RELID && node_is(&nc, "RANGETBLENTRY") &&
							nc.nlv > 0 && nc.lv[nc.nlv - 1].nrt > 0)
							nc.lv[nc.nlv - 1].rt[nc.lv[nc.nlv - 1].nrt - 1] = oid;
						else if (r->action == FA_RESORIGTBL)
							nc.resorigtbl = oid;
						else if (r->action == FA_CONSTTYPE)
							nc.consttype = oid;
						break;
					}
				case FA_OIDLIST:
					canon_oid_list(&nc, r->cat);
					break;
				case FA_RESORIGCOL:
					{
						const char *v = next_tok(&nc, &len);

						if (v == NULL)
							malformed();
						emit_str(&nc, fp_attname(fp, nc.resorigtbl, (int) tok_long(v, len)));
						break;
					}
				case FA_CONSTVALUE:
					canon_constvalue(&nc);
					break;
				default:
					break;
			}
			continue;
		}
		emit(&nc, t, len);
	}
}

/*
 * Memo of canonical forms. Without a Query node, a stored expression's
 * canonical form depends only on its text and, if it has Vars, on the names
 * of the columns of the relation it belongs to: the same DEFAULT now(),
 * CHECK or index expression on many tables is streamed once (a tree without
 * Vars once for the whole schema, one with Vars once per column list).
 * Keyed by a hash of the text and of the column names, confirmed by
 * comparing both in full. The memo keeps at most FP_MEMO_BYTES of trees and
 * canonical forms: a schema of mostly distinct expressions streams them all
 * rather than hold a copy of each.
 */
#define FP_MEMO_BYTES (4 * 1024 * 1024)

typedef struct CanonMemo
{
	struct CanonMemo *next;
	const char *colsig;
	char	   *tree;
	char	   *canon;
	int			canonlen;
} CanonMemo;

typedef struct CanonMemoSlot
{
	uint32		key;			/* hash key */
	CanonMemo  *chain;
} CanonMemoSlot;

/*
 * The memo compares and hashes stored texts without their ":location N"
 * values: where a CHECK stood in its CREATE TABLE differs from table to
 * table, and the canonical form drops it anyway.
 */
static inline const char *
skip_location(const char *p)
{
	/* p points just after ":location " */
	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/*
 * Both work on the runs of text between ":location " fields, found with
 * strstr (vectorised in libc) and hashed or compared a run at a time: a
 * byte-at-a-time loop over every stored tree was a tenth of the computation.
 */
#define LOCATION_FIELD ":location "
#define LOCATION_FIELD_LEN 10

static uint32
hash_tree(const char *s, bool *has_query)
{
	uint32		h = 0;

	*has_query = strstr(s, "{QUERY") != NULL;
	for (;;)
	{
		const char *loc = strstr(s, LOCATION_FIELD);
		size_t		len = loc ? (size_t) (loc - s) : strlen(s);

		h = hash_combine(h, hash_bytes((const unsigned char *) s, (int) len));
		if (loc == NULL)
			return h;
		s = skip_location(loc + LOCATION_FIELD_LEN);
	}
}

static bool
equal_trees(const char *a, const char *b)
{
	for (;;)
	{
		const char *la = strstr(a, LOCATION_FIELD);
		const char *lb = strstr(b, LOCATION_FIELD);

		if (la == NULL || lb == NULL)
			return la == lb && strcmp(a, b) == 0;
		if (la - a != lb - b || memcmp(a, b, la - a) != 0)
			return false;
		a = skip_location(la + LOCATION_FIELD_LEN);
		b = skip_location(lb + LOCATION_FIELD_LEN);
	}
}

/* "name,name,,name": column names by attnum, empty for dropped ones */
static const char *
rel_colsig(FpCtx *fp, Oid relid)
{
	FpRel	   *r = OidIsValid(relid) ? fp_rel(fp, relid) : NULL;
	StringInfoData b;
	int			i;

	if (r == NULL || r->atts == NULL)
		return "";
	if (r->colsig != NULL)
		return r->colsig;
	initStringInfo(&b);
	for (i = 0; i < r->natts; i++)
	{
		if (i > 0)
			appendStringInfoChar(&b, ',');
		if (r->atts[i].name)
			appendStringInfoString(&b, r->atts[i].qname);
	}
	r->colsig = MemoryContextStrdup(fp->cxt, b.data);
	pfree(b.data);
	return r->colsig;
}

/*
 * The canonical form of tree: appended to out, and returned as a string
 * that lives as long as the computation when the memo holds it (NULL when
 * it does not).
 */
static const char *
canon_node_memo(FpCtx *fp, StringInfo out, const char *tree, Oid baserel)
{
	const char *sig;
	uint32		key;
	CanonMemoSlot *slot;
	CanonMemo  *m;
	bool		found;
	bool		has_query;
	int			start;
	Size		size;

	key = hash_tree(tree, &has_query);
	if (has_query)
	{
		canon_node_stream(fp, out, tree, baserel);
		return NULL;
	}
	if (fp->canon_memo == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(CanonMemoSlot);
		ctl.hcxt = fp->cxt;
		fp->canon_memo = hash_create("dualboot fp canon memo", 1024, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* only Vars name the relation's columns: without one, any relation */
	sig = strstr(tree, "{VAR ") != NULL ? rel_colsig(fp, baserel) : "";
	if (*sig != '\0')
		key ^= hash_bytes((const unsigned char *) sig, (int) strlen(sig)) * 31;
	slot = hash_search((HTAB *) fp->canon_memo, &key, HASH_FIND, &found);
	for (m = found ? slot->chain : NULL; m != NULL; m = m->next)
	{
		if ((m->colsig == sig || strcmp(m->colsig, sig) == 0) &&
			equal_trees(m->tree, tree))
		{
			appendBinaryStringInfo(out, m->canon, m->canonlen);
			return m->canon;
		}
	}
	start = out->len;
	canon_node_stream(fp, out, tree, baserel);
	/* an entry, its tree and its form, carved from the arena (no rounding) */
	size = sizeof(CanonMemo) + MAXALIGN(strlen(tree) + 1) +
		MAXALIGN(out->len - start + 1);
	if (fp->canon_memo_bytes + size > FP_MEMO_BYTES)
		return NULL;			/* full: not even a slot (the bound holds) */
	if (!found)
	{
		slot = hash_search((HTAB *) fp->canon_memo, &key, HASH_ENTER, NULL);
		slot->chain = NULL;
	}
	fp->canon_memo_n++;
	fp->canon_memo_bytes += size;
	m = fp_alloc(fp, sizeof(CanonMemo));
	m->colsig = sig;
	m->tree = fp_strdup(fp, tree);
	m->canonlen = out->len - start;
	m->canon = fp_alloc(fp, m->canonlen + 1);	/* zeroed: NUL-terminated */
	memcpy(m->canon, out->data + start, m->canonlen);
	m->next = slot->chain;
	slot->chain = m;
	return m->canon;
}

void
fp_canon_node(FpCtx *fp, StringInfo out, const char *tree, Oid baserel)
{
	(void) canon_node_memo(fp, out, tree, baserel);
}

/*
 * The canonical form of tree as a string that lives as long as the
 * computation: the memo's copy when it has one (the same DEFAULT on many
 * columns is held once), else a copy in the arena (fp_strdup()).
 */
const char *
fp_canon_node_str(FpCtx *fp, const char *tree, Oid baserel)
{
	const char *c;

	resetStringInfo(&fp->nodebuf);
	c = canon_node_memo(fp, &fp->nodebuf, tree, baserel);
	return c != NULL ? c : fp_strdup(fp, fp->nodebuf.data);
}
