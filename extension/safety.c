/*
 * safety.c - a trial never costs data (issue 15): the test slot's provenance
 * and stable's stop point as SQL sees them, the promotion override, and
 * rehearsals (DESIGN section 7; docs/state-format.md section 16).
 *
 *   dualboot_promote(discard_stable_writes boolean, reason, expected_fingerprint)
 *       dualboot_promote(), with the override of the provenance check
 *   dualboot_provenance()      both slots' provenance
 *   dualboot_stop_point()      stable's stop point and the promotion verdict
 *   dualboot_rehearsal_begin(name), dualboot_rehearsal_end(name)
 *       on the trial boot of the test slot: record the schema fingerprint of
 *       the current database before and after a migration (at commit, like
 *       every request)
 *   dualboot_rehearsals()      the rehearsals recorded
 *   dualboot_require_rehearsed(name)
 *       on stable, as a migration's first statement in its transaction:
 *       refuses unless that rehearsal completed and started from exactly
 *       this database's live schema; at commit the schema must equal the
 *       rehearsal's result, else the transaction fails.
 */
#include "postgres.h"

#include <string.h>
#include <time.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#if PG_VERSION_NUM >= 160000
#include "utils/relfilenumbermap.h"
#else
#include "utils/relfilenodemap.h"
#endif
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "dbstate.h"
#include "dualboot.h"
#include "fingerprint.h"

PG_FUNCTION_INFO_V1(dualboot_promote_discard);
PG_FUNCTION_INFO_V1(dualboot_provenance);
PG_FUNCTION_INFO_V1(dualboot_stop_point);
PG_FUNCTION_INFO_V1(dualboot_rehearsal_begin);
PG_FUNCTION_INFO_V1(dualboot_rehearsal_end);
PG_FUNCTION_INFO_V1(dualboot_rehearsals);
PG_FUNCTION_INFO_V1(dualboot_require_rehearsed);

/* The rehearsal this transaction replays (TopTransactionContext), or NULL. */
static char *replay_name = NULL;
static char *replay_after = NULL;
static Oid	replay_db = InvalidOid;

static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static Datum
time_datum(int64 t, bool *isnull)
{
	*isnull = (t == 0);
	return *isnull ? (Datum) 0 : TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) t));
}

static Datum
text_datum(const char *s, size_t size, bool *isnull)
{
	*isnull = (s == NULL || s[0] == '\0' || !db_text_valid(s, size));
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

static Tuplestorestate *
materialize(FunctionCallInfo fcinfo, TupleDesc *desc, int natts)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE ||
		(*desc)->natts != natts)
		elog(ERROR, "return type must be a row type of %d columns", natts);
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*desc = CreateTupleDescCopy(*desc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return ts;
}

/* dualboot_promote(discard_stable_writes, reason, expected_fingerprint) */
Datum
dualboot_promote_discard(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;
	char	   *expected = text_arg(fcinfo, 2);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discard_stable_writes must not be NULL")));
	current_boot(&b);
	require_known_slot(&b, "dualboot_promote");
	if (expected != NULL)
	{
		/* the same check as dualboot_promote(reason, expected_fingerprint) */
		char	   *actual = dualboot_compute_fingerprint(false);

		if (pg_strcasecmp(actual, expected) != 0 &&
			pg_strcasecmp(dualboot_compute_fingerprint(true), expected) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("dualboot_promote() refused: the schema of database \"%s\" is "
							"not the expected one", get_database_name(MyDatabaseId)),
					 errdetail("Expected fingerprint %s, current fingerprint %s.",
							   expected, actual)));
	}
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_PROMOTE;
	req.reason = text_arg(fcinfo, 1);
	req.discard_stable_writes = PG_GETARG_BOOL(0);
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_promote"), &b);
}

/* slot, role, known, system_identifier, copy_lsn, copied_at, source_slot */
#define PROVENANCE_NATTS 7

Datum
dualboot_provenance(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Tuplestorestate *ts = materialize(fcinfo, &desc, PROVENANCE_NATTS);
	db_state   *st = load_record(state_path());

	for (int s = 0; s < 2; s++)
	{
		const db_provenance *p = &st->provenance[s];
		Datum		v[PROVENANCE_NATTS];
		bool		n[PROVENANCE_NATTS];

		memset(n, 0, sizeof(n));
		v[0] = CStringGetTextDatum(db_slot_name((uint8) s));
		v[1] = CStringGetTextDatum(s == st->stable_slot ? "stable" : "test");
		v[2] = BoolGetDatum(p->known == 1);
		n[3] = n[4] = n[5] = n[6] = (p->known != 1);
		if (p->known == 1)
		{
			v[3] = DirectFunctionCall3(numeric_in,
									   CStringGetDatum(psprintf(UINT64_FORMAT, p->sysid)),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			v[4] = LSNGetDatum((XLogRecPtr) p->lsn);
			v[5] = time_datum(p->time, &n[5]);
			v[6] = CStringGetTextDatum(db_slot_name(p->source_slot));
		}
		tuplestore_putvalues(ts, desc, v, n);
	}
	return (Datum) 0;
}

/*
 * how, lsn, recorded_at, analysis, copy_lsn, data_records, first_change,
 * relations, promotion_refused (NULL when a promotion is allowed)
 */
#define STOP_NATTS 9

Datum
dualboot_stop_point(PG_FUNCTION_ARGS)
{
	static const char *const hows[] = {"none", "mark_test", "shutdown"};
	static const char *const analyses[] = {"not analysed", "analysed", "WAL missing"};
	db_state   *st = load_record(state_path());
	const db_stop_point *sp = &st->stop;
	TupleDesc	desc;
	Datum		v[STOP_NATTS];
	bool		n[STOP_NATTS];
	db_error	err;
	bool		known = sp->how > DB_STOP_NONE && sp->how <= DB_STOP_SHUTDOWN &&
		sp->analysis <= DB_WAL_MISSING;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts != STOP_NATTS)
		elog(ERROR, "return type must be a row type of %d columns", STOP_NATTS);
	desc = BlessTupleDesc(desc);
	memset(n, 0, sizeof(n));
	memset(v, 0, sizeof(v));
	v[0] = CStringGetTextDatum(known ? hows[sp->how] : "none");
	for (int i = 1; i < STOP_NATTS - 1; i++)
		n[i] = !known;
	if (known)
	{
		v[1] = LSNGetDatum((XLogRecPtr) sp->lsn);
		v[2] = time_datum(sp->time, &n[2]);
		v[3] = CStringGetTextDatum(analyses[sp->analysis]);
		v[4] = LSNGetDatum((XLogRecPtr) sp->copy_lsn);
		n[4] = sp->copy_lsn == 0;
		v[5] = Int64GetDatum((int64) sp->data_records);
		n[5] = sp->analysis != DB_WAL_ANALYSED;
		v[6] = LSNGetDatum((XLogRecPtr) sp->first_change);
		n[6] = sp->first_change == 0;
		v[7] = text_datum(sp->rels, sizeof(sp->rels), &n[7]);
	}
	memset(&err, 0, sizeof(err));
	if (db_promote_check(st, &err) == DB_OK)
		n[8] = true;
	else
		v[8] = CStringGetTextDatum(err.message);
	return HeapTupleGetDatum(heap_form_tuple(desc, v, n));
}

/*
 * The tables behind stable's changed relations ("dboid/relfilenode ..."),
 * as this database's catalog knows them: on the test slot it is a copy of
 * stable's catalog at the copy, so every table that existed then is found.
 * NULL when none is known.
 */
char *
dualboot_changed_tables(const db_state *st)
{
	StringInfoData out;
	char		rels[DB_RELS_SIZE];
	char	   *save = NULL;

	if (st->stop.rels[0] == '\0' || !db_text_valid(st->stop.rels, DB_RELS_SIZE) ||
		!IsTransactionState())
		return NULL;
	memcpy(rels, st->stop.rels, sizeof(rels));
	initStringInfo(&out);
	for (char *tok = strtok_r(rels, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
	{
		unsigned	dboid,
					node;
		Oid			relid;

		if (sscanf(tok, "%u/%u", &dboid, &node) != 2 || dboid != MyDatabaseId)
			continue;
#if PG_VERSION_NUM >= 160000
		relid = RelidByRelfilenumber(InvalidOid, (RelFileNumber) node);
#else
		relid = RelidByRelfilenode(InvalidOid, (Oid) node);
#endif
		if (!OidIsValid(relid) || get_rel_name(relid) == NULL)
			continue;
		appendStringInfo(&out, "%s%s.%s", out.len ? ", " : "",
						 get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
	}
	return out.len ? out.data : NULL;
}

/* ---- rehearsals ---- */

static char *
rehearsal_name_arg(FunctionCallInfo fcinfo, const char *function)
{
	char	   *name = text_arg(fcinfo, 0);

	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s(): a rehearsal needs a name", function)));
	if (strlen(name) >= DB_RH_NAME_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s(): rehearsal name \"%s\" is too long (at most %d bytes)",
						function, name, DB_RH_NAME_SIZE - 1)));
	return name;
}

static Datum
rehearsal_request(FunctionCallInfo fcinfo, db_event event, const char *function)
{
	DualbootBoot b;
	db_request	req;
	char	   *name = rehearsal_name_arg(fcinfo, function);
	char	   *fp;

	current_boot(&b);
	require_known_slot(&b, function);
	fp = dualboot_compute_fingerprint(false);
	memset(&req, 0, sizeof(req));
	req.event = event;
	req.name = name;
	req.dbname = get_database_name(MyDatabaseId);
	req.fprint = fp;
	req.reason = psprintf("rehearsal %s", name);
	(void) queue_request(&req, &b, function);
	PG_RETURN_TEXT_P(cstring_to_text(fp));
}

Datum
dualboot_rehearsal_begin(PG_FUNCTION_ARGS)
{
	return rehearsal_request(fcinfo, DB_EV_REHEARSAL_BEGIN, "dualboot_rehearsal_begin");
}

Datum
dualboot_rehearsal_end(PG_FUNCTION_ARGS)
{
	return rehearsal_request(fcinfo, DB_EV_REHEARSAL_END, "dualboot_rehearsal_end");
}

/* name, database, state, slot, fingerprint_before, fingerprint_after, began_at, ended_at */
#define REHEARSALS_NATTS 8

Datum
dualboot_rehearsals(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Tuplestorestate *ts = materialize(fcinfo, &desc, REHEARSALS_NATTS);
	db_state   *st = load_record(state_path());

	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
	{
		const db_rehearsal *r = &st->rehearsals[i];
		Datum		v[REHEARSALS_NATTS];
		bool		n[REHEARSALS_NATTS];

		if (r->state == DB_RH_UNUSED || r->state > DB_RH_COMPLETED ||
			!db_text_valid(r->name, sizeof(r->name)))
			continue;
		memset(n, 0, sizeof(n));
		v[0] = CStringGetTextDatum(r->name);
		v[1] = text_datum(r->dbname, sizeof(r->dbname), &n[1]);
		v[2] = CStringGetTextDatum(r->state == DB_RH_COMPLETED ? "completed" : "begun");
		v[3] = CStringGetTextDatum(db_slot_name(r->slot));
		v[4] = text_datum(r->fp_before, sizeof(r->fp_before), &n[4]);
		v[5] = text_datum(r->fp_after, sizeof(r->fp_after), &n[5]);
		v[6] = time_datum(r->began, &n[6]);
		v[7] = time_datum(r->ended, &n[7]);
		tuplestore_putvalues(ts, desc, v, n);
	}
	return (Datum) 0;
}

/*
 * Were both fingerprints made by one algorithm on one server major? *algo
 * and *major get the saved one's (0 when it is not a fingerprint).
 */
static bool
same_algorithm_and_major(const char *live, const char *saved, int *algo, int *major)
{
	int			la,
				lm;

	if (!dualboot_parse_fingerprint(saved, algo, major))
	{
		*algo = *major = 0;
		return false;
	}
	return dualboot_parse_fingerprint(live, &la, &lm) && la == *algo && lm == *major;
}

Datum
dualboot_require_rehearsed(PG_FUNCTION_ARGS)
{
	const char *function = "dualboot_require_rehearsed";
	char	   *name = rehearsal_name_arg(fcinfo, function);
	const char *path = state_path();
	DualbootBoot b;
	db_state   *st;
	const db_rehearsal *r;
	char	   *live;
	const char *db = get_database_name(MyDatabaseId);
	int			algo = 0,
				major = 0;

	/*
	 * Outside a transaction block the check at commit would cover this
	 * statement alone, and a client that goes on after errors would run the
	 * migration unchecked: end the session, as a refused guard does
	 * (api.c). (Inside a PL/pgSQL exception block this counts as a block:
	 * the commit check then fails the autocommitted statement.)
	 */
	if (!IsTransactionBlock())
		ereport(FATAL,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s() must run inside the migration's transaction", function),
				 errdetail("Outside a transaction block the check at commit would cover "
						   "this statement alone, not the migration after it. The session "
						   "was ended so that no statement after it runs."),
				 errhint("BEGIN; SELECT %s('%s'); <the migration>; COMMIT;", function, name)));
	current_boot(&b);
	require_known_slot(&b, function);
	st = load_record(path);
	if (b.slot != st->stable_slot)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() replays a rehearsal on the stable slot %s; this is the test "
						"slot %s", function, db_slot_name(st->stable_slot),
						db_slot_name(b.slot)),
				 errhint("On the test slot, rehearse with dualboot_rehearsal_begin() and "
						 "dualboot_rehearsal_end().")));
	r = db_rehearsal_find(st, name);
	if (r == NULL || r->state != DB_RH_COMPLETED ||
		!db_text_valid(r->dbname, sizeof(r->dbname)) ||
		!db_text_valid(r->fp_before, sizeof(r->fp_before)) ||
		!db_text_valid(r->fp_after, sizeof(r->fp_after)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() refused: no completed rehearsal \"%s\"", function, name),
				 errdetail("%s", r == NULL ? "The state record holds no rehearsal of that name." :
						   "The rehearsal began but never ended (dualboot_rehearsal_end())."),
				 errhint("Rehearse the migration on the test slot between "
						 "dualboot_rehearsal_begin('%s') and dualboot_rehearsal_end('%s'); "
						 "dualboot_rehearsals() lists the recorded ones.", name, name)));
	if (strcmp(r->dbname, db) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() refused: rehearsal \"%s\" ran in database \"%s\", this is \"%s\"",
						function, name, r->dbname, db)));
	live = dualboot_compute_fingerprint(false);
	if (!same_algorithm_and_major(live, r->fp_before, &algo, &major))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() refused: rehearsal \"%s\" was made on PostgreSQL %d with "
						"fingerprint algorithm dbfp%d; this server is PostgreSQL %d with %s",
						function, name, major, algo, PG_VERSION_NUM / 10000,
						DUALBOOT_FINGERPRINT_ALGO),
				 errdetail("Schema fingerprints of different majors or algorithms cannot be "
						   "compared, so nothing proves that the rehearsal started from this "
						   "schema%s.", r->origin == DB_RH_ORIGIN_IMPORTED ?
						   " (the rehearsal was imported: dualbootctl rehearsal import)" : ""),
				 errhint("Rehearse the migration on a test slot that runs the same PostgreSQL "
						 "major and dualboot version as this server.")));
	if (pg_strcasecmp(live, r->fp_before) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() refused: rehearsal \"%s\" did not start from this database's "
						"live schema", function, name),
				 errdetail("The rehearsal started from %s; the schema of database \"%s\" is %s "
						   "now%s.", r->fp_before, db, live,
						   pg_strcasecmp(live, r->fp_after) == 0 ?
						   " (the rehearsal's result: it was replayed already)" : ""),
				 errhint("Refresh the test slot from stable and rehearse again.")));
	replay_name = MemoryContextStrdup(TopTransactionContext, name);
	replay_after = MemoryContextStrdup(TopTransactionContext, r->fp_after);
	replay_db = MyDatabaseId;
	PG_RETURN_TEXT_P(cstring_to_text(r->fp_after));
}

/* XACT_EVENT_PRE_COMMIT: the replayed migration must end where the rehearsal did. */
void
dualboot_rehearsal_pre_commit(void)
{
	char	   *now;
	char	   *name = replay_name;
	char	   *after = replay_after;

	if (name == NULL)
		return;
	replay_name = NULL;
	replay_after = NULL;
	if (replay_db != MyDatabaseId)
		return;
	now = dualboot_compute_fingerprint(false);
	if (pg_strcasecmp(now, after) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this transaction cannot commit: its schema is not the result of "
						"rehearsal \"%s\"", name),
				 errdetail("The rehearsal ended with %s; this transaction would commit %s. "
						   "Nothing that was not rehearsed commits on stable; the "
						   "transaction was rolled back.", after, now),
				 errhint("Compare dualboot_schema_manifest() with the test slot's to see "
						 "what differs; run exactly the rehearsed migration.")));
}

void
dualboot_rehearsal_pre_prepare(void)
{
	if (replay_name != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that replays rehearsal \"%s\"",
						replay_name),
				 errdetail("Its schema is checked at COMMIT.")));
}

void
dualboot_rehearsal_reset(void)
{
	replay_name = NULL;
	replay_after = NULL;
	replay_db = InvalidOid;
}
