/*
 * api.c - the SQL API of the dualboot extension (DESIGN sections 4.1 and 7)
 * and its transactional intent.
 *
 * Reading: every call reads the boot state record (lib/dbstate.h) and the
 * boot marker afresh; nothing is cached across calls, so a boot selected
 * while a session is open is seen by its next statement.
 *
 * Writing: a mutating function validates its request at once (it applies
 * the requests already queued by this transaction plus the new one to a copy
 * of the current record with db_apply, so a refusal is raised at the call
 * with its SQLSTATE, and the row it returns is the state as it will be once
 * the transaction commits), then queues the request, tagged with the
 * subtransaction that made it and the record's sequence it was validated
 * against. Nothing touches the record until XACT_EVENT_PRE_COMMIT, where,
 * under the record's lock, the record must still be at that sequence (else
 * 40001, a serialization failure that names the newer change, and nothing
 * is written: a stale request never lands on a decision it did not see),
 * and all the queued requests are applied in order and written once (one
 * write, one fdatasync). An error there aborts the transaction cleanly.
 * Reading (dualboot_status() and friends) takes no part in this: a
 * transaction without requests checks nothing at commit. The queue is
 * dropped on abort, and the part of it made inside a savepoint is dropped
 * when that savepoint is rolled back. PREPARE TRANSACTION with a queued
 * request is refused.
 *
 * Collapsing: a request for the same event as the newest queued one replaces
 * it (the last intent wins: mark_test(3) then mark_test(5) writes one
 * mark_test with 5 tries). If the replacing call was made in a savepoint that
 * is rolled back, the replaced request comes back.
 *
 * Read-only transactions (and hot standbys) cannot make requests.
 *
 * Limits (two resources, no two-phase commit between them): the record is
 * written before PostgreSQL writes its commit record, so what fails after
 * XACT_EVENT_PRE_COMMIT leaves the request written while the transaction
 * rolls back: a serialization failure that SERIALIZABLE detects at commit,
 * a full NOTIFY queue, a crash between the two writes, or the pre-commit
 * callback of a library that registered before this one (CallXactCallbacks
 * runs the newest registration first, so an earlier entry of
 * shared_preload_libraries, or any preloaded library when dualboot is loaded
 * on first use, runs after this callback and may still raise an error).
 * Listing dualboot first in shared_preload_libraries leaves only libraries
 * that run before it. Requests are idempotent intents (a repeated failback
 * or mark_test is harmless), so the remedy is to look at dualboot_status()
 * and ask again (README).
 */
#include "postgres.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "catalog/pg_authid.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "dbstate.h"
#include "dualboot.h"
#include "fingerprint.h"
#include "observe.h"			/* the outcome columns, the LOG lines (issue 17) */

PG_FUNCTION_INFO_V1(dualboot_status);
PG_FUNCTION_INFO_V1(dualboot_current_slot);
PG_FUNCTION_INFO_V1(dualboot_mark_test);
PG_FUNCTION_INFO_V1(dualboot_confirm);
PG_FUNCTION_INFO_V1(dualboot_request_failback);
PG_FUNCTION_INFO_V1(dualboot_promote);
PG_FUNCTION_INFO_V1(dualboot_require_test);
PG_FUNCTION_INFO_V1(dualboot_require_stable);
PG_FUNCTION_INFO_V1(dualboot_record_fingerprint);
PG_FUNCTION_INFO_V1(dualboot_history);

/* Number of columns of dualboot_status() (DESIGN section 7). */
#define STATUS_NATTS 15
/* Number of columns of dualboot_history(). */
#define HISTORY_NATTS 7

/* One queued request (a stack, newest on top), in TopTransactionContext. */
typedef struct PendingIntent
{
	SubTransactionId subid;		/* (sub)transaction that made the call */
	db_event	event;
	int			tries;
	char	   *reason;
	char	   *dbname;
	char	   *fprint;
	char	   *actor;			/* session user at the call */
	char	   *app;			/* application_name at the call */
	char	   *name;			/* rehearsal name (issue 15) */
	uint64		sysid;			/* mark_test: stable's system identifier */
	uint64		lsn;			/* mark_test: stable's WAL insert position */
	bool		discard_stable_writes;	/* promote: skip the provenance check */
	uint64		seq_seen;		/* record sequence at the call */
	struct PendingIntent *below;	/* next older request */
	struct PendingIntent *shadow;	/* the request this one replaced */
} PendingIntent;

static PendingIntent *pending_top = NULL;

/* The guard that refused in the current transaction (it must not commit), or NULL. */
static const char *guard_refused = NULL;
static void guard_refuse_commit(void);

/* ---------------------------------------------------------------------
 * The running boot and the request context
 * ---------------------------------------------------------------------
 */

/*
 * The current slot: the boot marker and the record's last boot must agree
 * (db_current_slot in lib/marker.c, the rule dualbootctl applies too). The
 * record is read here on its own; an unreadable record leaves the slot
 * unknown, and the caller that needs the record reports its error itself.
 */
const db_state *
dualboot_boot_record(db_state *st, db_error *err, const char **st_error)
{
	memset(err, 0, sizeof(*err));
	*st_error = NULL;
	if (dualboot_state_path == NULL || dualboot_state_path[0] == '\0')
		*st_error = "dualboot.state_path is not set";
	else if (db_load(dualboot_state_path, st, err) == DB_OK)
		return st;
	else
		*st_error = err->message;
	return NULL;
}

void
current_boot(DualbootBoot *b)
{
	db_current	cur;
	db_state	st;
	db_error	err;
	const db_state *stp;
	const char *st_error;

	memset(b, 0, sizeof(*b));
	stp = dualboot_boot_record(&st, &err, &st_error);
	(void) db_current_slot(dualboot_boot_marker_path, stp, st_error, &cur);
	b->slot = cur.slot;
	memcpy(b->boot_id, cur.boot_id, sizeof(b->boot_id));
	/* the library's one line, as a sentence of a detail message */
	if (cur.why[0])
		snprintf(b->why, sizeof(b->why), "%c%s.", pg_toupper((unsigned char) cur.why[0]),
				 cur.why + 1);
}

static void
make_context(db_context *ctx, const DualbootBoot *b)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->current_slot = b->slot;
	ctx->boot_id = b->boot_id[0] ? b->boot_id : NULL;
	ctx->now = (int64_t) time(NULL);
	ctx->actor = GetUserNameFromId(GetSessionUserId(), false);
	ctx->app = (application_name && application_name[0]) ? application_name : NULL;
}

static const char *
server_os_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : "?";
}

/*
 * The paths are GUC_SUPERUSER_ONLY: a role that may not read the settings
 * (neither superuser nor pg_read_all_settings) gets messages with the paths
 * replaced by the setting names.
 */
static bool
may_read_paths(void)
{
	Oid			roleid = GetUserId();

	return superuser_arg(roleid) || has_privs_of_role(roleid, ROLE_PG_READ_ALL_SETTINGS);
}

static char *
replace_all(const char *s, const char *what, const char *with)
{
	StringInfoData buf;
	size_t		wlen = strlen(what);
	const char *p;

	if (wlen == 0 || strstr(s, what) == NULL)
		return pstrdup(s);
	initStringInfo(&buf);
	while ((p = strstr(s, what)) != NULL)
	{
		appendBinaryStringInfo(&buf, s, (int) (p - s));
		appendStringInfoString(&buf, with);
		s = p + wlen;
	}
	appendStringInfoString(&buf, s);
	return buf.data;
}

/* s as the current role may see it */
const char *
shown(const char *s)
{
	char	   *r;

	if (s == NULL || may_read_paths())
		return s;
	r = replace_all(s, dualboot_state_path ? dualboot_state_path : "",
					"<dualboot.state_path>");
	return replace_all(r, dualboot_boot_marker_path ? dualboot_boot_marker_path : "",
					   "<dualboot.boot_marker_path>");
}

/* The configured record path, or an error saying how to configure it. */
const char *
state_path(void)
{
	if (dualboot_state_path == NULL || dualboot_state_path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dualboot.state_path is not set"),
				 errdetail("The dualboot functions need the path of the boot state record."),
				 errhint("Set dualboot.state_path in postgresql.conf (or with ALTER SYSTEM) "
						 "and reload the configuration with SELECT pg_reload_conf().")));
	return dualboot_state_path;
}

/*
 * Turn a failure of the record library (reading, opening, writing) into an
 * ERROR that names the path and says what to do.
 */
static void
report_record_error(int rc, const db_error *err, const char *real_path)
{
	const char *path = shown(real_path);
	const char *message = shown(err->message);

	switch (rc)
	{
		case DB_ERR_NOT_FOUND:
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("dualboot state record \"%s\" does not exist", path),
					 errdetail("dualboot.state_path names \"%s\", but there is no file or "
							   "device there.", path),
					 errhint("Create the record as root with \"dualbootctl --state %s init "
							 "--stable A\" (name the slot that is stable now), or correct "
							 "dualboot.state_path and reload the configuration.", path)));
			break;
		case DB_ERR_BAD_FILE:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("dualboot state record \"%s\" cannot be used", path),
					 errdetail("%s.", message),
					 errhint("dualboot.state_path must name the record itself: a regular "
							 "file of %d bytes made by \"dualbootctl init\", or a block "
							 "device. Symbolic links and directories are refused.",
							 DB_RECORD_SIZE)));
			break;
		case DB_ERR_NO_VALID:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("dualboot state record \"%s\" is corrupt", path),
					 errdetail("%s. The record was left as it is: SQL never overwrites a "
							   "corrupt record.", message),
					 errhint("Inspect it with \"dualbootctl --state %s status\". If no copy "
							 "can be recovered, re-create it as root with \"dualbootctl "
							 "--state %s init --stable A|B --force\", naming the slot that "
							 "is stable.", path, path)));
			break;
		case DB_ERR_NEWER_VERSION:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("dualboot state record \"%s\" has a newer format than this "
							"extension understands", path),
					 errdetail("%s.", message),
					 errhint("Update the dualboot extension on this slot; the record was "
							 "not changed.")));
			break;
		case DB_ERR_INVALID:
			/* a whole newest copy with values this build refuses: as newer */
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("dualboot state record \"%s\" holds values this extension "
							"does not understand", path),
					 errdetail("%s. The record was not changed.", message),
					 errhint("Another dualboot build wrote it: update the dualboot "
							 "extension on this slot. Inspect it with \"dualbootctl --state "
							 "%s status\"; only \"dualbootctl init --force\" (as root) "
							 "replaces it.", path)));
			break;
		case DB_ERR_IO:
			errno = err->sys_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not access dualboot state record \"%s\": %m", path),
					 errdetail("%s.", message),
					 errhint("The server runs as operating system user \"%s\": it needs "
							 "read and write access to the record and search access to "
							 "its folders.", server_os_user())));
			break;
		case DB_ERR_ARG:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid dualboot request: %s", message)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("dualboot state record \"%s\": %s", path, message)));
	}
}

db_state *
load_record(const char *path)
{
	db_state   *st = palloc(sizeof(db_state));
	db_error	err;
	int			rc;

	rc = db_load(path, st, &err);
	if (rc != DB_OK)
		report_record_error(rc, &err, path);
	return st;
}

/* Refuse when the running slot is unknown: what needs it says so. */
void
require_known_slot(const DualbootBoot *b, const char *function)
{
	if (b->slot != DB_SLOT_NONE)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s() needs to know the current slot, and it is unknown", function),
			 errdetail("%s", shown(b->why)),
			 errhint("The dualboot boot hook (or \"dualbootctl boot-select --marker PATH\") "
					 "writes the marker at boot; dualboot.boot_marker_path must name it.")));
}

static const char *
refusal_hint(db_event event, const db_state *st)
{
	switch (event)
	{
		case DB_EV_MARK_TEST:
			return "Arm the trial from the stable slot.";
		case DB_EV_CONFIRM:
			return "dualboot_confirm() runs on the test slot during the trial boot the "
				"hook selected after dualboot_mark_test(); see dualboot_status().";
		case DB_EV_PROMOTE:
			if (st->trial_armed && st->confirmed && db_promote_check(st, NULL) != DB_OK)
				return "Refresh the test slot from stable (dualbootctl refresh) and repeat "
					"the trial, or replay the rehearsed migration on stable "
					"(dualboot_require_rehearsed()); dualboot_promote(discard_stable_writes "
					"=> true) promotes anyway and loses what stable wrote.";
			return st->trial_armed && !st->confirmed ?
				"Confirm the trial boot with dualboot_confirm() first (the same "
				"transaction may do both), then promote." :
				"dualboot_promote() runs on the test slot, in a confirmed trial boot; "
				"see dualboot_status().";
		default:
			return "See dualboot_status() and dualboot_history().";
	}
}

/* A life-cycle refusal or a bad argument from db_apply. */
static void
report_apply_error(int rc, const db_error *err, db_event event, const db_state *st,
				   const char *path)
{
	if (rc == DB_ERR_ARG)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid argument for dualboot %s: %s", db_event_name(event),
						shown(err->message)),
				 errhint("tries must be between %d and %d; a reason is at most %d bytes of "
						 "UTF-8 text without control characters.",
						 DB_TRIES_MIN, DB_TRIES_MAX, DB_REASON_SIZE - 1)));
	if (rc == DB_REFUSED)
	{
		/* a promotion refused for stable's writes: name the tables too */
		char	   *tables = event == DB_EV_PROMOTE ? dualboot_changed_tables(st) : NULL;

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dualboot %s refused: %s", db_event_name(event), shown(err->message)),
				 errdetail("State record \"%s\": stable slot %s, trial %s, tries left %u, "
						   "%s.%s%s", shown(path), db_slot_name(st->stable_slot),
						   st->trial_armed ? "armed" : "not armed", st->tries_left,
						   st->confirmed ? "confirmed" : "not confirmed",
						   tables ? " Tables stable changed after the copy: " : "",
						   tables ? tables : ""),
				 errhint("%s", refusal_hint(event, st))));
	}
	report_record_error(rc, err, path);
}

/* ---------------------------------------------------------------------
 * Result rows
 * ---------------------------------------------------------------------
 */

static Datum
slot_datum(uint8 slot, bool *isnull)
{
	*isnull = (slot != DB_SLOT_A && slot != DB_SLOT_B);
	return *isnull ? (Datum) 0 : CStringGetTextDatum(db_slot_name(slot));
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL || s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/* The newest history entry (the last change of intent or trial outcome). */
static const db_history_entry *
newest_entry(const db_state *st)
{
	const db_history_entry *h =
		&st->history[(st->history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN];

	return h->seq != 0 ? h : NULL;
}

Datum
status_datum(FunctionCallInfo fcinfo, const db_state *st, const DualbootBoot *b)
{
	TupleDesc	tupdesc;
	Datum		values[STATUS_NATTS_OUTCOME];
	bool		nulls[STATUS_NATTS_OUTCOME];
	const db_history_entry *last = newest_entry(st);
	uint8		test = db_test_slot(st);
	const char *role;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	/* 1.2's dualboot_status() has 3 more columns than the request functions */
	if (tupdesc->natts != STATUS_NATTS && tupdesc->natts != STATUS_NATTS_OUTCOME)
		elog(ERROR, "unexpected number of status columns: %d", tupdesc->natts);

	memset(nulls, 0, sizeof(nulls));
	if (b->slot == DB_SLOT_NONE)
		role = "unknown";
	else
		role = b->slot == st->stable_slot ? "stable" : "test";

	values[0] = slot_datum(b->slot, &nulls[0]);
	values[1] = CStringGetTextDatum(role);
	values[2] = slot_datum(st->stable_slot, &nulls[2]);
	values[3] = slot_datum(test, &nulls[3]);
	values[4] = slot_datum(db_next_boot_slot(st), &nulls[4]);
	values[5] = BoolGetDatum(st->trial_armed != 0);
	values[6] = Int32GetDatum(st->tries_left);
	values[7] = Int32GetDatum(st->tries_total);
	values[8] = BoolGetDatum(st->confirmed != 0);
	values[9] = Int64GetDatum((int64) st->boot_count);
	values[10] = Int64GetDatum((int64) st->seq);
	values[11] = CStringGetTextDatum(db_event_name(st->last_event));
	values[12] = text_or_null(last ? last->actor : NULL, &nulls[12]);
	values[13] = text_or_null(last ? last->reason : NULL, &nulls[13]);
	values[14] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) st->updated_at));
	if (tupdesc->natts == STATUS_NATTS_OUTCOME)
		dualboot_outcome_columns(st, &values[15], &nulls[15]);

	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ---------------------------------------------------------------------
 * The intent queue
 * ---------------------------------------------------------------------
 */

static void
fill_request(db_request *req, const PendingIntent *p)
{
	memset(req, 0, sizeof(*req));
	req->event = p->event;
	req->tries = p->tries;
	req->reason = p->reason;
	req->dbname = p->dbname;
	req->fprint = p->fprint;
	req->name = p->name;
	req->sysid = p->sysid;
	req->lsn = p->lsn;
	req->discard_stable_writes = p->discard_stable_writes;
}

/* The queued requests, oldest first, leaving out "skip" (palloc'd array). */
static PendingIntent **
pending_list(int *count, const PendingIntent *skip)
{
	PendingIntent **out;
	int			n = 0;

	for (PendingIntent *p = pending_top; p; p = p->below)
		if (p != skip)
			n++;
	out = palloc((n + 1) * sizeof(PendingIntent *));
	*count = n;
	for (PendingIntent *p = pending_top; p; p = p->below)
		if (p != skip)
			out[--n] = p;
	return out;
}

static char *
top_strdup(const char *s)
{
	return s ? MemoryContextStrdup(TopTransactionContext, s) : NULL;
}

static void
free_intent(PendingIntent *p)
{
	if (p->reason)
		pfree(p->reason);
	if (p->dbname)
		pfree(p->dbname);
	if (p->fprint)
		pfree(p->fprint);
	if (p->actor)
		pfree(p->actor);
	if (p->app)
		pfree(p->app);
	pfree(p);
}

/* "the dualboot failback request" / "the dualboot requests (a, b)" */
static char *
requests_text(void)
{
	StringInfoData buf;
	int			n;
	PendingIntent **list = pending_list(&n, NULL);

	initStringInfo(&buf);
	if (n == 1)
		appendStringInfo(&buf, "the dualboot %s request", db_event_name(list[0]->event));
	else
	{
		appendStringInfoString(&buf, "the dualboot requests (");
		for (int i = 0; i < n; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", db_event_name(list[i]->event));
		appendStringInfoString(&buf, ")");
	}
	return buf.data;
}

/*
 * The record is no longer at the sequence this transaction's requests were
 * validated against: someone else's change (an operator's failback, a
 * promotion, a boot) came in between. A serialization failure: the
 * requests are not applied on top of a decision they never saw.
 */
static void
report_changed(const db_error *err, const char *path, bool at_commit)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize %s: the dualboot state record changed after "
					"it was validated", requests_text()),
			 errdetail("State record \"%s\": %s.", shown(path), shown(err->message)),
			 errhint(at_commit ?
					 "Nothing was written and the transaction was rolled back. Check "
					 "dualboot_status() and dualboot_history(), and retry the transaction "
					 "if the request still makes sense." :
					 "Roll back this transaction, check dualboot_status() and "
					 "dualboot_history(), and retry it if the requests still make sense.")));
}

/*
 * Validate req against the current record with everything this transaction
 * has queued, queue it, and return the state as it will be after commit.
 * Every request of a transaction is validated against the same sequence of
 * the record: a call that finds the record changed since the requests
 * already queued fails with 40001 (see flush_pending).
 */
db_state *
queue_request(const db_request *req, const DualbootBoot *b, const char *function)
{
	const char *path;
	db_state   *st;
	db_state	before;
	db_context	ctx;
	db_context	qctx;
	db_error	err;
	PendingIntent **list;
	PendingIntent *replace = NULL;
	PendingIntent *e;
	uint64		seq_seen;
	int			n;
	int			rc;

	/* a read-only transaction (or a hot standby) changes nothing */
	PreventCommandIfReadOnly(psprintf("%s()", function));
	path = state_path();
	st = load_record(path);
	seq_seen = st->seq;
	if (pending_top != NULL)
	{
		db_error	cerr;

		if (db_check_unchanged(st, pending_top->seq_seen, &cerr) != DB_OK)
			report_changed(&cerr, path, false);
	}
	make_context(&ctx, b);
	qctx = ctx;
	if (pending_top && pending_top->event == req->event)
		replace = pending_top;
	list = pending_list(&n, replace);
	for (int i = 0; i < n; i++)
	{
		db_request	q;

		fill_request(&q, list[i]);
		qctx.actor = list[i]->actor;
		qctx.app = list[i]->app;
		rc = db_apply(st, &q, &qctx, &err);
		if (rc != DB_OK)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the dualboot %s request queued earlier in this transaction "
							"no longer applies: %s", db_event_name(list[i]->event),
							shown(err.message)),
					 errdetail("The state record \"%s\" is still at sequence %llu, but what "
							   "this session knows about the running boot (the boot "
							   "marker) changed since that call.", shown(path),
							   (unsigned long long) seq_seen),
					 errhint("Roll back this transaction, check dualboot_status(), and "
							 "repeat the requests that still make sense.")));
	}
	before = *st;
	rc = db_apply(st, req, &ctx, &err);
	if (rc != DB_OK)
		report_apply_error(rc, &err, req->event, &before, path);

	/* accepted: queue it */
	e = MemoryContextAllocZero(TopTransactionContext, sizeof(PendingIntent));
	e->subid = GetCurrentSubTransactionId();
	e->event = req->event;
	e->tries = req->tries;
	e->reason = top_strdup(req->reason);
	e->dbname = top_strdup(req->dbname);
	e->fprint = top_strdup(req->fprint);
	e->actor = top_strdup(ctx.actor);
	e->app = top_strdup(ctx.app);
	e->name = top_strdup(req->name);
	e->sysid = req->sysid;
	e->lsn = req->lsn;
	e->discard_stable_writes = req->discard_stable_writes;
	e->seq_seen = seq_seen;
	if (replace)
	{
		e->below = replace->below;
		if (replace->subid == e->subid)
		{
			/* same (sub)transaction: the replaced one can never come back */
			e->shadow = replace->shadow;
			free_intent(replace);
		}
		else
			e->shadow = replace;
	}
	else
		e->below = pending_top;
	pending_top = e;
	return st;
}

/*
 * Drop what (sub)transaction subid and its children queued. Subtransaction
 * ids grow within a top transaction, and every subtransaction started after
 * subid is one of its children, so that is everything tagged >= subid.
 */
static void
drop_pending_from(SubTransactionId subid)
{
	while (pending_top && pending_top->subid >= subid)
	{
		PendingIntent *e = pending_top;

		pending_top = e->shadow ? e->shadow : e->below;
		free_intent(e);
	}
}

/*
 * Take the record's lock at pre-commit without ever blocking in the kernel:
 * flock(LOCK_EX | LOCK_NB) in a loop, sleeping on the process latch between
 * attempts (the way PostgreSQL's own waits with a timeout go: WaitLatch,
 * ResetLatch, CHECK_FOR_INTERRUPTS), so that pg_cancel_backend and
 * pg_terminate_backend end the wait, the postmaster's death too, and
 * pg_stat_activity shows it (wait_event_type "Extension", wait_event
 * "Extension": PostgreSQL 15 has no names for an extension's own waits).
 *
 * Bounds, each measured by this loop (PostgreSQL's own timers do not cover
 * it: statement_timeout is disarmed before the commit of a statement runs,
 * and lock_timeout only times heavyweight locks): dualboot.lock_timeout and
 * lock_timeout from the start of the wait end it with 55P03 naming the
 * record; statement_timeout from the start of the statement (the COMMIT, or
 * the autocommitted call) ends it as PostgreSQL ends a statement that ran
 * too long, 57014.
 */
#define LOCK_POLL_MS 10

static void
lock_record_interruptibly(db_handle *h, const char *path)
{
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz stmt_start = GetCurrentStatementStartTimestamp();
	db_error	err;
	int			rc;

	PG_TRY();
	{
		for (;;)
		{
			TimestampTz now;

			rc = db_trylock(h, &err);
			if (rc == DB_OK)
				break;
			if (rc != DB_ERR_BUSY)
				report_record_error(rc, &err, path);
			now = GetCurrentTimestamp();
			if (dualboot_lock_timeout > 0 &&
				TimestampDifferenceExceeds(start, now, dualboot_lock_timeout))
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("could not lock dualboot state record \"%s\" within "
								"dualboot.lock_timeout (%d ms)", shown(path),
								dualboot_lock_timeout),
						 errdetail("Another process holds a lock on the record (dualbootctl, "
								   "the boot hook, another session's commit, or any process "
								   "that can open the file). Nothing was written and the "
								   "transaction was rolled back."),
						 errhint("Find the holder with \"fuser -v %s\" or \"lsof %s\"; "
								 "retry the transaction once it is gone.",
								 shown(path), shown(path))));
			if (LockTimeout > 0 && TimestampDifferenceExceeds(start, now, LockTimeout))
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("could not lock dualboot state record \"%s\" within "
								"lock_timeout (%d ms)", shown(path), LockTimeout),
						 errdetail("Another process holds a lock on the record. Nothing was "
								   "written and the transaction was rolled back.")));
			if (StatementTimeout > 0 &&
				TimestampDifferenceExceeds(stmt_start, now, StatementTimeout))
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("canceling statement due to statement timeout"),
						 errdetail("The commit was waiting for the lock of dualboot state "
								   "record \"%s\". Nothing was written.", shown(path))));
			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   LOCK_POLL_MS, PG_WAIT_EXTENSION);
			if (rc & WL_LATCH_SET)
				ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		db_close(h);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* XACT_EVENT_PRE_COMMIT: write the queued requests, or fail the commit. */
static void
flush_pending(void)
{
	PendingIntent **list;
	const char *path;
	DualbootBoot b;
	db_context	ctx;
	db_handle	h;
	db_state	st;
	db_error	err;
	uint64		seq_read = 0;
	int			n;
	int			rc;
	int			failed = -1;

	if (pending_top == NULL)
		return;
	list = pending_list(&n, NULL);
	path = state_path();
	current_boot(&b);
	make_context(&ctx, &b);

	rc = db_open(&h, path, true, &err);
	if (rc != DB_OK)
		report_record_error(rc, &err, path);
	lock_record_interruptibly(&h, path);
	if ((rc = db_read(&h, &st, &err)) == DB_OK &&
		(rc = db_check_unchanged(&st, list[0]->seq_seen, &err)) == DB_OK)
	{
		seq_read = st.seq;
		for (int i = 0; i < n && rc == DB_OK; i++)
		{
			db_request	q;

			fill_request(&q, list[i]);
			/* who asked, as it was at the call */
			ctx.actor = list[i]->actor;
			ctx.app = list[i]->app;
			rc = db_apply(&st, &q, &ctx, &err);
			if (rc != DB_OK)
				failed = i;
		}
		if (rc == DB_OK)
			rc = db_write(&h, &st, &err);
	}
	db_close(&h);

	if (failed >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dualboot %s refused at commit: %s",
						db_event_name(list[failed]->event), shown(err.message)),
				 errdetail("The state record \"%s\" is still at sequence %llu, but what "
						   "this session knows about the running boot (the boot marker) "
						   "changed between the call and the commit; nothing was written "
						   "and the transaction was rolled back.", shown(path),
						   (unsigned long long) seq_read),
				 errhint("Check dualboot_status() and repeat the request if it still "
						 "makes sense.")));
	if (rc == DB_ERR_CHANGED)
		report_changed(&err, path, true);
	if (rc != DB_OK)
		report_record_error(rc, &err, path);
	for (int i = 0; i < n; i++)
		dualboot_log_intent(path, list[i]->event, list[i]->actor, list[i]->app,
							list[i]->reason, &st);
	pending_top = NULL;
}

void
dualboot_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			guard_refuse_commit();
			dualboot_rehearsal_pre_commit();
			flush_pending();
			break;
		case XACT_EVENT_PRE_PREPARE:
			guard_refuse_commit();
			dualboot_rehearsal_pre_prepare();
			if (pending_top != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that made a dualboot request"),
						 errdetail("A dualboot request is written to the boot state record "
								   "when its transaction commits; a prepared transaction "
								   "could commit after a reboot, or never."),
						 errhint("Make dualboot requests in a transaction that ends with "
								 "COMMIT.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the memory goes with TopTransactionContext */
			pending_top = NULL;
			guard_refused = NULL;
			dualboot_rehearsal_reset();
			break;
		default:
			break;
	}
}

void
dualboot_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	(void) parentSubid;
	(void) arg;
	/*
	 * On SUBXACT_EVENT_COMMIT_SUB the entries keep their tags: a tag is only
	 * compared with ">=" against an aborting subtransaction, and the parent,
	 * started earlier, has a smaller id, so they now belong to the parent.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		drop_pending_from(mySubid);
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */

Datum
dualboot_status(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_state   *st = load_record(state_path());

	current_boot(&b);
	return status_datum(fcinfo, st, &b);
}

Datum
dualboot_current_slot(PG_FUNCTION_ARGS)
{
	DualbootBoot b;

	(void) fcinfo;
	current_boot(&b);
	if (b.slot == DB_SLOT_NONE)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(db_slot_name(b.slot)));
}

static char *
opt_text_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/*
 * Refuse when the schema of the current database is not the expected one
 * (dualboot_confirm/promote with expected_fingerprint). The expected value
 * may have been computed with or without privileges.
 */
static void
check_expected_fingerprint(const char *expected, const char *function)
{
	char	   *actual;
	int			ealgo,
				emajor,
				aalgo,
				amajor;

	if (expected == NULL)
		return;
	if (!dualboot_parse_fingerprint(expected, &ealgo, &emajor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s(): expected_fingerprint \"%s\" is not a schema fingerprint",
						function, expected),
				 errhint("A fingerprint looks like %s:pg%d:<64 hex digits>, as "
						 "dualboot_schema_fingerprint() returns it.",
						 DUALBOOT_FINGERPRINT_ALGO, PG_VERSION_NUM / 10000)));
	actual = dualboot_compute_fingerprint(false);
	if (pg_strcasecmp(actual, expected) == 0)
		return;
	if (!dualboot_parse_fingerprint(actual, &aalgo, &amajor) ||
		aalgo != ealgo || amajor != emajor)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s() refused: the expected schema fingerprint is not comparable "
						"with this server's", function),
				 errdetail("Expected \"%s\"; this server computes \"%s\". Fingerprints of "
						   "another algorithm version or PostgreSQL major version cannot be "
						   "compared.", expected, actual),
				 errhint("Pass a fingerprint computed by dualboot_schema_fingerprint() on "
						 "the same PostgreSQL major version.")));
	if (pg_strcasecmp(dualboot_compute_fingerprint(true), expected) == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s() refused: the schema of database \"%s\" is not the expected one",
					function, get_database_name(MyDatabaseId)),
			 errdetail("Expected fingerprint %s, current fingerprint %s.", expected, actual),
			 errhint("Compare dualboot_schema_manifest() with the manifest of the rehearsal "
					 "to see which objects differ; nothing was changed.")));
}

Datum
dualboot_mark_test(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tries must not be NULL"),
				 errhint("Pass a number of boots between %d and %d, or omit it for 3.",
						 DB_TRIES_MIN, DB_TRIES_MAX)));
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_MARK_TEST;
	req.tries = PG_GETARG_INT32(0);
	req.reason = opt_text_arg(fcinfo, 1);
	current_boot(&b);
	/* on stable: where its WAL stands as it arms (the stop point, issue 15) */
	if (!RecoveryInProgress())
	{
		req.lsn = (uint64) GetXLogInsertRecPtr();
		req.sysid = (uint64) GetSystemIdentifier();
	}
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_mark_test"), &b);
}

Datum
dualboot_confirm(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;

	current_boot(&b);
	require_known_slot(&b, "dualboot_confirm");
	check_expected_fingerprint(opt_text_arg(fcinfo, 0), "dualboot_confirm");
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_CONFIRM;
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_confirm"), &b);
}

Datum
dualboot_request_failback(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;

	memset(&req, 0, sizeof(req));
	req.event = DB_EV_FAILBACK;
	req.reason = opt_text_arg(fcinfo, 0);
	current_boot(&b);
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_request_failback"), &b);
}

Datum
dualboot_promote(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;

	current_boot(&b);
	require_known_slot(&b, "dualboot_promote");
	check_expected_fingerprint(opt_text_arg(fcinfo, 1), "dualboot_promote");
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_PROMOTE;
	req.reason = opt_text_arg(fcinfo, 0);
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_promote"), &b);
}

Datum
dualboot_record_fingerprint(PG_FUNCTION_ARGS)
{
	DualbootBoot b;
	db_request	req;

	current_boot(&b);
	require_known_slot(&b, "dualboot_record_fingerprint");
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_RECORD_FPRINT;
	req.dbname = get_database_name(MyDatabaseId);
	req.fprint = dualboot_compute_fingerprint(false);
	return status_datum(fcinfo, queue_request(&req, &b, "dualboot_record_fingerprint"), &b);
}

/* ---------------------------------------------------------------------
 * Guards: dualboot_require_test() and dualboot_require_stable()
 *
 * A refused guard must stop everything after it, whatever the client does
 * with errors (psql without ON_ERROR_STOP, several -c options, a script on
 * standard input, \i, a framework that logs the error and goes on):
 *
 *   - outside a transaction block the session ends: FATAL (SQLSTATE 55000),
 *     so the client has no session left to run the next statement in;
 *   - inside a transaction block (BEGIN, psql -1, or a query string of
 *     several statements, which the server aborts as a whole) it is an
 *     ERROR, so that the client can roll back and keep its connection (a
 *     framework's own bookkeeping, such as Liquibase's lock, needs it), and
 *     the transaction is marked: it never commits, even when the error is
 *     caught by a savepoint, an EXCEPTION block or psql's ON_ERROR_ROLLBACK.
 *
 * Every way of not proving the slot (unknown slot, unreadable record, an
 * unset dualboot.state_path, even a cancel) is a refusal.
 * ---------------------------------------------------------------------
 */

typedef enum GuardRole
{
	GUARD_TEST,
	GUARD_STABLE
} GuardRole;

static void
guard_check(GuardRole want, const char *function, uint8 *slot_out)
{
	DualbootBoot b;
	const char *path = state_path();
	db_state   *st;

	current_boot(&b);
	require_known_slot(&b, function);
	st = load_record(path);
	if (want == GUARD_TEST && b.slot == st->stable_slot)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this server runs on the stable slot %s, not on the test slot",
						db_slot_name(b.slot)),
				 errdetail("%s() guards scripts that must only run in a rehearsal; the "
						   "state record \"%s\" names slot %s stable.", function,
						   shown(path), db_slot_name(st->stable_slot)),
				 errhint("Arm a trial with dualboot_mark_test(), reboot into the test slot %s "
						 "and run the script there.", db_slot_name(db_test_slot(st)))));
	if (want == GUARD_STABLE && b.slot != st->stable_slot)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this server runs on the test slot %s, not on the stable slot",
						db_slot_name(b.slot)),
				 errdetail("%s() guards jobs that must only run on production; the state "
						   "record \"%s\" names slot %s stable, and this boot is a "
						   "rehearsal on a copy of its data.", function, shown(path),
						   db_slot_name(st->stable_slot)),
				 errhint("Run the job on the stable slot %s. On the test slot it would act "
						 "on rehearsal data as if it were production (invoices, mail, "
						 "payments).", db_slot_name(st->stable_slot))));
	*slot_out = b.slot;
}

static Datum
guard(GuardRole want, const char *function)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	bool		in_block = IsTransactionBlock();
	uint8		slot = DB_SLOT_NONE;

	PG_TRY();
	{
		guard_check(want, function, &slot);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (in_block)
		{
			/* remembered for XACT_EVENT_PRE_COMMIT: this transaction never commits */
			guard_refused = function;
			edata->elevel = ERROR;
		}
		else
		{
			edata->elevel = FATAL;
			edata->detail = psprintf("%s%sThe session was ended so that no statement "
									 "after %s() runs: a refused guard stops the "
									 "whole script, whatever the client does with "
									 "errors.", edata->detail ? edata->detail : "",
									 edata->detail ? " " : "", function);
		}
		ThrowErrorData(edata);
		pg_unreachable();
	}
	PG_END_TRY();
	return CStringGetTextDatum(db_slot_name(slot));
}

/* XACT_EVENT_PRE_COMMIT and PRE_PREPARE: a transaction a guard refused. */
static void
guard_refuse_commit(void)
{
	const char *function = guard_refused;

	if (function == NULL)
		return;
	guard_refused = NULL;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("this transaction cannot commit: %s() refused to run in it", function),
			 errdetail("The guard's error was caught (a savepoint, an EXCEPTION block, "
					   "psql's ON_ERROR_ROLLBACK), but a transaction that a dualboot "
					   "guard refused never commits."),
			 errhint("Run the script on the slot the guard asks for.")));
}

Datum
dualboot_require_test(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	return guard(GUARD_TEST, "dualboot_require_test");
}

Datum
dualboot_require_stable(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	return guard(GUARD_STABLE, "dualboot_require_stable");
}

static int
history_cmp_desc(const void *a, const void *b)
{
	const db_history_entry *x = *(const db_history_entry *const *) a;
	const db_history_entry *y = *(const db_history_entry *const *) b;

	if (x->seq == y->seq)
		return 0;
	return x->seq < y->seq ? 1 : -1;
}

Datum
dualboot_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const db_history_entry *entries[DB_HISTORY_LEN];
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext oldcontext;
	db_state   *st;
	int			n = 0;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dualboot_history() must be called in a context that accepts a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != HISTORY_NATTS)
		elog(ERROR, "unexpected number of history columns: %d", tupdesc->natts);

	st = load_record(state_path());

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(oldcontext);

	for (int i = 0; i < DB_HISTORY_LEN; i++)
		if (st->history[i].seq != 0)
			entries[n++] = &st->history[i];
	qsort(entries, n, sizeof(entries[0]), history_cmp_desc);

	for (int i = 0; i < n; i++)
	{
		const db_history_entry *h = entries[i];
		Datum		values[HISTORY_NATTS];
		bool		nulls[HISTORY_NATTS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum((int64) h->seq);
		values[1] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) h->time));
		values[2] = CStringGetTextDatum(db_event_name(h->event));
		values[3] = slot_datum(h->slot, &nulls[3]);
		values[4] = text_or_null(h->actor, &nulls[4]);
		values[5] = text_or_null(h->app, &nulls[5]);
		values[6] = text_or_null(h->reason, &nulls[6]);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
