/*
 * lifecycle.c - the life cycle of DESIGN section 2 as pure functions:
 * (state, event) -> new state or a refusal with a reason. No I/O, no clock:
 * the caller passes the time and what it knows about the running boot.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include "dbstate.h"

static int
refuse(db_error *err, int code, const char *fmt, const char *a, const char *b)
{
	if (err)
	{
		err->code = code;
		err->sys_errno = 0;
		snprintf(err->message, sizeof(err->message), fmt, a ? a : "", b ? b : "");
	}
	return code;
}

/* Append a history entry and advance the sequence. */
static void
log_event(db_state *st, uint8_t event, uint8_t slot, int64_t now,
		  const char *actor, const char *app, const char *reason)
{
	db_history_entry *h = &st->history[st->history_next];

	memset(h, 0, sizeof(*h));
	h->seq = st->seq;
	h->time = now;
	h->event = event;
	h->slot = slot;
	h->stable_slot = st->stable_slot;
	h->tries_left = st->tries_left;
	db_copy_text(h->actor, sizeof(h->actor), actor);
	db_copy_text(h->app, sizeof(h->app), app);
	db_copy_text(h->reason, sizeof(h->reason), reason);
	st->history_next = (uint8_t) ((st->history_next + 1) % DB_HISTORY_LEN);
	st->last_event = event;
}

void
db_state_init(db_state *st, uint8_t stable, const db_context *ctx,
			  const char *reason)
{
	memset(st, 0, sizeof(*st));
	st->stable_slot = stable == DB_SLOT_B ? DB_SLOT_B : DB_SLOT_A;
	st->last_boot_slot = DB_SLOT_NONE;
	st->seq = 1;
	st->updated_at = ctx ? ctx->now : 0;
	log_event(st, DB_EV_INIT, st->stable_slot, st->updated_at,
			  ctx ? ctx->actor : "cli", ctx ? ctx->app : NULL, reason);
}

uint8_t
db_next_boot_slot(const db_state *st)
{
	if (st->trial_armed && st->tries_left > 0)
		return db_test_slot(st);
	return st->stable_slot;
}

/*
 * Remove every recorded fingerprint of a slot. Entries belong to the trial
 * they were recorded in (docs/state-format.md section 4): they end when a
 * new trial of that slot is armed, when a failback ends the trial, and, for
 * the demoted slot, at promote. Never by time.
 */
static void
drop_fprints(db_state *st, uint8_t slot)
{
	for (int i = 0; i < DB_FPRINT_LEN; i++)
		if (st->fprints[i].recorded_at != 0 && st->fprints[i].slot == slot)
			memset(&st->fprints[i], 0, sizeof(st->fprints[i]));
}

/* The running boot is the hook's latest trial boot of the test slot. */
static bool
on_current_trial_boot(const db_state *st, const db_context *ctx)
{
	if (ctx->current_slot != db_test_slot(st) ||
		st->last_boot_slot != ctx->current_slot || !st->last_boot_trial)
		return false;
	if (ctx->boot_id && ctx->boot_id[0] && st->last_boot_id[0] &&
		strcmp(ctx->boot_id, st->last_boot_id) != 0)
		return false;
	return true;
}

static int
check_text(const char *what, const char *s, size_t size, db_error *err)
{
	char		limit[16];

	if (s == NULL)
		return DB_OK;
	snprintf(limit, sizeof(limit), "%zu", size - 1);
	if (strnlen(s, size) >= size)
		return refuse(err, DB_ERR_ARG, "%s is too long (at most %s bytes)", what, limit);
	if (!db_text_valid(s, size))
		return refuse(err, DB_ERR_ARG,
					  "%s is not valid UTF-8 text%s", what,
					  " (control characters are not allowed either)");
	return DB_OK;
}

/* For a new rehearsal: a free entry, else the oldest (by its start). */
static db_rehearsal *
rehearsal_free_entry(db_state *n)
{
	db_rehearsal *r = NULL;

	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
		if (r == NULL || n->rehearsals[i].state == DB_RH_UNUSED ||
			(r->state != DB_RH_UNUSED && n->rehearsals[i].began < r->began))
			r = &n->rehearsals[i];
	return r;
}

/*
 * An imported rehearsal (dualbootctl rehearsal import, issue 19): a whole
 * completed entry, checked here as well as by its reader, put where
 * rehearsal_begin would put one of its name (that entry, else a free one,
 * else the one that began first). No trial needed: it is replayed on stable.
 */
static int
import_rehearsal(db_state *n, const db_rehearsal *in, db_error *err)
{
	db_rehearsal *r = (db_rehearsal *) db_rehearsal_find(n, in->name);
	int			rc,
				a1,
				m1,
				a2,
				m2;

	if ((rc = check_text("rehearsal name", in->name, DB_RH_NAME_SIZE, err)) != DB_OK ||
		(rc = check_text("database name", in->dbname, DB_DBNAME_SIZE, err)) != DB_OK ||
		(rc = check_text("fingerprint", in->fp_before, DB_RH_FPRINT_SIZE, err)) != DB_OK ||
		(rc = check_text("fingerprint", in->fp_after, DB_RH_FPRINT_SIZE, err)) != DB_OK)
		return rc;
	if (in->name[0] == '\0' || in->dbname[0] == '\0')
		return refuse(err, DB_ERR_ARG, "an imported rehearsal needs a name and a "
					  "database%s%s", "", "");
	if (!db_fprint_parse(in->fp_before, &a1, &m1) || !db_fprint_parse(in->fp_after, &a2, &m2))
		return refuse(err, DB_ERR_ARG, "rehearsal \"%s\": a fingerprint is not one%s",
					  in->name, "");
	if (a1 != a2 || m1 != m2 || m1 != in->major)
		return refuse(err, DB_ERR_ARG, "rehearsal \"%s\": its fingerprints and server "
					  "major disagree%s", in->name, "");
	if (in->state != DB_RH_COMPLETED || in->origin != DB_RH_ORIGIN_IMPORTED ||
		in->began <= 0 || in->ended < in->began ||
		(in->slot != DB_SLOT_A && in->slot != DB_SLOT_B))
		return refuse(err, DB_ERR_ARG, "rehearsal \"%s\": not a completed rehearsal%s",
					  in->name, "");
	if (r == NULL)
		r = rehearsal_free_entry(n);
	*r = *in;
	memset(r->pad, 0, sizeof(r->pad));
	return DB_OK;
}

int
db_apply(db_state *st, const db_request *req, const db_context *ctx,
		 db_error *err)
{
	db_state	n = *st;
	uint8_t		test = db_test_slot(st);
	uint8_t		slot = test;
	int			rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if ((rc = check_text("reason", req->reason, DB_REASON_SIZE, err)) != DB_OK ||
		(rc = check_text("actor", ctx->actor, DB_ACTOR_SIZE, err)) != DB_OK ||
		(rc = check_text("application name", ctx->app, DB_APP_SIZE, err)) != DB_OK)
		return rc;

	switch (req->event)
	{
		case DB_EV_MARK_TEST:
			if (req->tries < DB_TRIES_MIN || req->tries > DB_TRIES_MAX)
			{
				char		t[16];

				snprintf(t, sizeof(t), "%d", req->tries);
				return refuse(err, DB_ERR_ARG,
							  "tries must be between 1 and 7, not %s%s", t, "");
			}
			if (ctx->current_slot != DB_SLOT_NONE &&
				ctx->current_slot == test && !st->trial_armed)
				return refuse(err, DB_REFUSED,
							  "slot %s is running outside a trial (it is the stale test "
							  "slot); arm the trial from the stable slot %s",
							  db_slot_name(test), db_slot_name(st->stable_slot));
			n.trial_armed = 1;
			n.tries_total = (uint8_t) req->tries;
			n.tries_left = (uint8_t) req->tries;
			n.last_trial_failed = 0;
			/*
			 * re-arming keeps a confirmation of the running test boot and
			 * the fingerprints recorded in this trial; a new trial starts
			 * with none of the test slot's
			 */
			if (!st->trial_armed)
			{
				n.confirmed = 0;
				drop_fprints(&n, test);
				/* a stop point belongs to the trial it was recorded for */
				memset(&n.stop, 0, sizeof(n.stop));
			}
			/*
			 * On stable, with its WAL position (the extension passes it):
			 * where stable stands as it arms, until its shutdown records the
			 * final stop point. A shutdown's stop point is not replaced.
			 */
			if (req->lsn != 0 && ctx->current_slot == st->stable_slot &&
				n.stop.how != DB_STOP_SHUTDOWN)
			{
				memset(&n.stop, 0, sizeof(n.stop));
				n.stop.how = DB_STOP_MARK_TEST;
				n.stop.analysis = DB_WAL_NOT_ANALYSED;
				n.stop.lsn = req->lsn;
				n.stop.sysid = req->sysid;
				n.stop.time = ctx->now;
				n.stop.slot = st->stable_slot;
			}
			break;

		case DB_EV_CONFIRM:
			if (!st->trial_armed)
				return refuse(err, DB_REFUSED,
							  "no trial is armed: there is nothing to confirm%s%s", "", "");
			if (ctx->current_slot == DB_SLOT_NONE)
				return refuse(err, DB_REFUSED,
							  "the current slot is unknown (no valid boot marker); confirm "
							  "runs on the test slot %s%s", db_slot_name(test), "");
			if (!on_current_trial_boot(st, ctx))
				return refuse(err, DB_REFUSED,
							  "this boot of slot %s is not the trial boot of the test slot %s",
							  db_slot_name(ctx->current_slot), db_slot_name(test));
			n.confirmed = 1;
			n.tries_left = n.tries_total;
			break;

		case DB_EV_FAILBACK:
			/* always allowed; repeating it is harmless */
			n.trial_armed = 0;
			n.confirmed = 0;
			n.tries_left = 0;
			/* the trial is over: its fingerprints go with it */
			drop_fprints(&n, test);
			/* stable serves again: its stop point is stale */
			memset(&n.stop, 0, sizeof(n.stop));
			slot = st->stable_slot;
			break;

		case DB_EV_PROMOTE:
			if (!st->trial_armed)
				return refuse(err, DB_REFUSED,
							  "no trial is armed: only a confirmed trial boot of the test "
							  "slot can be promoted%s%s", "", "");
			if (ctx->current_slot == DB_SLOT_NONE)
				return refuse(err, DB_REFUSED,
							  "the current slot is unknown (no valid boot marker); promote "
							  "runs on the test slot %s%s", db_slot_name(test), "");
			if (!on_current_trial_boot(st, ctx))
				return refuse(err, DB_REFUSED,
							  "this boot of slot %s is not the trial boot of the test slot %s",
							  db_slot_name(ctx->current_slot), db_slot_name(test));
			if (!st->confirmed)
				return refuse(err, DB_REFUSED,
							  "the trial boot of slot %s is not confirmed yet; confirm it "
							  "first%s", db_slot_name(test), "");
			if (!req->discard_stable_writes && (rc = db_promote_check(st, err)) != DB_OK)
				return rc;
			n.stable_slot = test;
			/* the demoted slot holds the old production, a copy of nothing */
			memset(&n.provenance[st->stable_slot], 0, sizeof(n.provenance[0]));
			memset(&n.stop, 0, sizeof(n.stop));
			/*
			 * the demoted slot is the next test slot: whatever was recorded
			 * for it belongs to an older trial. The promoted slot's entries
			 * stay (the schema that was promoted) until its next trial.
			 */
			drop_fprints(&n, st->stable_slot);
			n.trial_armed = 0;
			n.confirmed = 0;
			n.tries_left = 0;
			n.tries_total = 0;
			n.last_trial_failed = 0;
			break;

		case DB_EV_RECORD_FPRINT:
			{
				int			oldest = 0;
				int			pick = -1;

				if (ctx->current_slot == DB_SLOT_NONE)
					return refuse(err, DB_REFUSED,
								  "the current slot is unknown (no valid boot marker): "
								  "cannot tell which slot this fingerprint belongs to%s%s",
								  "", "");
				if (req->dbname == NULL || req->dbname[0] == '\0' ||
					req->fprint == NULL || req->fprint[0] == '\0')
					return refuse(err, DB_ERR_ARG,
								  "a database name and a fingerprint are required%s%s", "", "");
				if ((rc = check_text("database name", req->dbname, DB_DBNAME_SIZE, err)) != DB_OK ||
					(rc = check_text("fingerprint", req->fprint, DB_FPRINT_SIZE, err)) != DB_OK)
					return rc;
				slot = ctx->current_slot;
				for (int i = 0; i < DB_FPRINT_LEN; i++)
				{
					db_fprint_entry *f = &n.fprints[i];

					if (f->recorded_at != 0 && f->slot == slot &&
						strcmp(f->dbname, req->dbname) == 0)
					{
						pick = i;
						break;
					}
					if (pick < 0 && f->recorded_at == 0)
						pick = i;
					if (f->recorded_at < n.fprints[oldest].recorded_at)
						oldest = i;
				}
				if (pick < 0)
					pick = oldest;
				memset(&n.fprints[pick], 0, sizeof(n.fprints[pick]));
				n.fprints[pick].recorded_at = ctx->now > 0 ? ctx->now : 1;
				n.fprints[pick].slot = slot;
				db_copy_text(n.fprints[pick].dbname, DB_DBNAME_SIZE, req->dbname);
				db_copy_text(n.fprints[pick].fprint, DB_FPRINT_SIZE, req->fprint);
				break;
			}

		case DB_EV_REFRESH:
			if (ctx->current_slot != st->stable_slot)
				return refuse(err, DB_REFUSED,
							  "a refresh copies the running stable cluster: run it on the "
							  "stable slot %s, not on %s", db_slot_name(st->stable_slot),
							  db_slot_name(ctx->current_slot));
			if (req->sysid == 0 || req->lsn == 0)
				return refuse(err, DB_ERR_ARG, "a refresh needs the source's system "
							  "identifier and the copy's WAL position%s%s", "", "");
			memset(&n.provenance[test], 0, sizeof(n.provenance[test]));
			n.provenance[test].known = 1;
			n.provenance[test].sysid = req->sysid;
			n.provenance[test].lsn = req->lsn;
			n.provenance[test].time = ctx->now;
			n.provenance[test].source_slot = st->stable_slot;
			n.provenance[test].method = req->copy_method;
			/* the copy is newer than any stop point recorded so far */
			memset(&n.stop, 0, sizeof(n.stop));
			break;

		case DB_EV_STOP_POINT:
			if (ctx->current_slot != st->stable_slot || req->stop == NULL)
				return refuse(err, DB_REFUSED,
							  "a stop point is stable's: run it on the stable slot %s, "
							  "not on %s", db_slot_name(st->stable_slot),
							  db_slot_name(ctx->current_slot));
			if ((rc = check_text("relations", req->stop->rels, DB_RELS_SIZE, err)) != DB_OK)
				return rc;
			if (req->stop->how < DB_STOP_MARK_TEST || req->stop->how > DB_STOP_SHUTDOWN ||
				req->stop->analysis > DB_WAL_MISSING)
				return refuse(err, DB_ERR_ARG, "bad stop point%s%s", "", "");
			n.stop = *req->stop;
			n.stop.slot = st->stable_slot;
			n.stop.time = ctx->now;
			slot = st->stable_slot;
			break;

		case DB_EV_REHEARSAL_BEGIN:
		case DB_EV_REHEARSAL_END:
			{
				db_rehearsal *r = (db_rehearsal *) db_rehearsal_find(&n, req->name);
				bool		begin = req->event == DB_EV_REHEARSAL_BEGIN;
				int			algo,
							major;

				if (!begin && req->rehearsal != NULL)
				{
					if ((rc = import_rehearsal(&n, req->rehearsal, err)) != DB_OK)
						return rc;
					slot = ctx->current_slot == DB_SLOT_NONE ? st->stable_slot :
						ctx->current_slot;
					break;
				}
				if (req->name == NULL || req->name[0] == '\0' ||
					req->dbname == NULL || req->dbname[0] == '\0' ||
					req->fprint == NULL || req->fprint[0] == '\0')
					return refuse(err, DB_ERR_ARG, "a rehearsal needs a name, a database "
								  "and a fingerprint%s%s", "", "");
				if ((rc = check_text("rehearsal name", req->name, DB_RH_NAME_SIZE, err)) != DB_OK ||
					(rc = check_text("database name", req->dbname, DB_DBNAME_SIZE, err)) != DB_OK ||
					(rc = check_text("fingerprint", req->fprint, DB_RH_FPRINT_SIZE, err)) != DB_OK)
					return rc;
				if (ctx->current_slot == DB_SLOT_NONE || !on_current_trial_boot(st, ctx))
					return refuse(err, DB_REFUSED,
								  "rehearsals run on a trial boot of the test slot %s; this "
								  "boot is %s", db_slot_name(test),
								  ctx->current_slot == DB_SLOT_NONE ? "of an unknown slot" :
								  "not one");
				if (begin)
				{
					if (r == NULL)
						r = rehearsal_free_entry(&n);
					memset(r, 0, sizeof(*r));
					db_copy_text(r->name, DB_RH_NAME_SIZE, req->name);
					db_copy_text(r->dbname, DB_DBNAME_SIZE, req->dbname);
					db_copy_text(r->fp_before, DB_RH_FPRINT_SIZE, req->fprint);
					r->began = ctx->now > 0 ? ctx->now : 1;
					r->state = DB_RH_BEGUN;
					r->slot = ctx->current_slot;
					r->origin = DB_RH_ORIGIN_LOCAL;
					if (db_fprint_parse(req->fprint, &algo, &major) && major <= 255)
						r->major = (uint8_t) major;
				}
				else
				{
					if (r == NULL || r->state != DB_RH_BEGUN)
						return refuse(err, DB_REFUSED, "rehearsal \"%s\" %s", req->name,
									  r == NULL ? "was never begun" : "has already ended");
					if (strcmp(r->dbname, req->dbname) != 0)
						return refuse(err, DB_REFUSED, "rehearsal \"%s\" began in "
									  "database \"%s\"; end it there", req->name, r->dbname);
					db_copy_text(r->fp_after, DB_RH_FPRINT_SIZE, req->fprint);
					r->ended = ctx->now > 0 ? ctx->now : 1;
					r->state = DB_RH_COMPLETED;
				}
				slot = ctx->current_slot;
				break;
			}

		default:
			return refuse(err, DB_ERR_ARG, "event %s cannot be requested%s",
						  db_event_name((uint8_t) req->event), "");
	}

	n.seq = st->seq + 1;
	n.updated_at = ctx->now;
	log_event(&n, (uint8_t) req->event, slot, ctx->now, ctx->actor, ctx->app,
			  req->reason);
	*st = n;
	return DB_OK;
}

int
db_check_unchanged(const db_state *st, uint64_t seen, db_error *err)
{
	const db_history_entry *newest = NULL;
	int			changes = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	if (st->seq == seen)
		return DB_OK;
	for (int i = 0; i < DB_HISTORY_LEN; i++)
	{
		const db_history_entry *h = &st->history[i];

		if (h->seq > seen)
		{
			changes++;
			if (newest == NULL || h->seq > newest->seq)
				newest = h;
		}
	}
	if (err == NULL)
		return DB_ERR_CHANGED;
	err->code = DB_ERR_CHANGED;
	if (newest && newest->seq == st->seq)
		snprintf(err->message, sizeof(err->message),
				 "the record was at sequence %llu then and is at %llu now (%llu "
				 "change%s, %d in the history); the newest: sequence %llu, %s of slot %s "
				 "by %s%s%s%s%s%s",
				 (unsigned long long) seen, (unsigned long long) st->seq,
				 (unsigned long long) (st->seq - seen), st->seq - seen == 1 ? "" : "s",
				 changes, (unsigned long long) newest->seq, db_event_name(newest->event),
				 db_slot_name(newest->slot), newest->actor[0] ? newest->actor : "?",
				 newest->app[0] ? " (application " : "", newest->app,
				 newest->app[0] ? ")" : "",
				 newest->reason[0] ? ", reason: " : "", newest->reason);
	else
		snprintf(err->message, sizeof(err->message),
				 "the record was at sequence %llu then and is at %llu now; the newest "
				 "change is a boot of slot %s selected by the hook (boot %llu)",
				 (unsigned long long) seen, (unsigned long long) st->seq,
				 db_slot_name(st->last_boot_slot), (unsigned long long) st->boot_count);
	return DB_ERR_CHANGED;
}

void
db_boot_decide(db_state *st, const db_boot_input *in, db_boot_decision *dec)
{
	uint8_t		stable;
	uint8_t		test;
	bool		fallback;

	memset(dec, 0, sizeof(*dec));
	if (st == NULL || !in->have_state)
	{
		dec->slot = in->default_slot == DB_SLOT_B ? DB_SLOT_B : DB_SLOT_A;
		snprintf(dec->why, sizeof(dec->why),
				 "no valid record: booting the default stable slot %s",
				 db_slot_name(dec->slot));
		return;
	}

	stable = st->stable_slot;
	test = db_other_slot(stable);
	dec->slot = stable;
	/*
	 * Firmware mode: the firmware booted the stable slot's entry although a
	 * trial is armed (BootNext named the test entry, whose kernel did not
	 * start). This boot is a failed try, counted as a trial boot counts it,
	 * and the last one ends the trial now: the stable kernel does not boot
	 * the test root. Unless the stable root is missing: then, as without
	 * firmware mode, the test root is the one that can boot at all.
	 */
	fallback = st->trial_armed && st->tries_left > 0 && in->firmware_known &&
		in->firmware_slot == stable && in->slot_present[stable];
	if (fallback)
	{
		st->tries_left--;
		st->confirmed = 0;
	}
	if (st->trial_armed && st->tries_left == 0)
	{
		st->trial_armed = 0;
		st->confirmed = 0;
		st->last_trial_failed = 1;
		dec->trial_failed = true;
		snprintf(dec->why, sizeof(dec->why),
				 "trial of slot %s failed: tries exhausted%s; booting stable slot %s",
				 db_slot_name(test),
				 fallback ? " (the firmware booted the stable slot's entry)" : "",
				 db_slot_name(stable));
	}
	else if (fallback)
		snprintf(dec->why, sizeof(dec->why),
				 "failed try of test slot %s: the firmware booted the stable slot's "
				 "entry (%u of %u tries left); booting stable slot %s",
				 db_slot_name(test), st->tries_left, st->tries_total,
				 db_slot_name(stable));
	else if (st->trial_armed && !in->slot_present[test])
	{
		st->trial_armed = 0;
		st->confirmed = 0;
		st->tries_left = 0;
		st->last_trial_failed = 1;
		dec->trial_failed = true;
		snprintf(dec->why, sizeof(dec->why),
				 "trial of slot %s failed: its root device is missing; booting "
				 "stable slot %s", db_slot_name(test), db_slot_name(stable));
	}
	else if (st->trial_armed)
	{
		/* the decrement is persisted before the root is mounted */
		st->tries_left--;
		st->confirmed = 0;
		dec->slot = test;
		dec->trial = true;
		snprintf(dec->why, sizeof(dec->why),
				 "trial boot of test slot %s (%u of %u tries left after this boot)",
				 db_slot_name(test), st->tries_left, st->tries_total);
	}
	else
		snprintf(dec->why, sizeof(dec->why), "booting stable slot %s%s",
				 db_slot_name(stable),
				 in->slot_present[stable] ? "" : " (its root device was not found)");

	st->seq++;
	st->updated_at = in->now;
	st->boot_count++;
	st->last_boot_time = in->now;
	st->last_boot_slot = dec->slot;
	st->last_boot_trial = dec->trial ? 1 : 0;
	db_copy_text(st->last_boot_id, DB_BOOTID_SIZE,
				 in->boot_id && db_boot_id_valid(in->boot_id) ? in->boot_id : "");
	/* ordinary stable boots only update the boot fields, to keep the ring for intent */
	if (dec->trial_failed)
		log_event(st, DB_EV_TRIAL_FAILED, test, in->now, "hook", NULL,
				  dec->why + strlen("trial of slot X failed: "));
	else if (dec->trial)
		log_event(st, DB_EV_BOOT, test, in->now, "hook", NULL, dec->why);
	else if (fallback)
		log_event(st, DB_EV_BOOT, stable, in->now, "hook", NULL, dec->why);
	dec->write = true;
}
