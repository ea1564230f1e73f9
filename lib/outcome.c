/*
 * outcome.c - the last trial's outcome from the history ring (outcome.h).
 *
 * The newest event that starts or ends a trial decides:
 *   mark_test     in_progress (armed, no verdict yet)
 *   confirm       confirmed (dualboot-confirm's reason says "confirmed N s
 *                 later": the seconds from PostgreSQL ready to confirmed)
 *   promote       promoted
 *   failback      health_check_failed when dualboot-confirm wrote it with
 *                 "check NAME failed: ...", else failed_back
 *   trial_failed  (the hook) test_root_missing, firmware_fallback or
 *                 tries_exhausted, from its reason
 *   init          no trial
 * boot and record_fingerprint events are passed over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

static const char *const names[] = {
	[DB_OUTCOME_NONE] = NULL,
	[DB_OUTCOME_IN_PROGRESS] = "in_progress",
	[DB_OUTCOME_CONFIRMED] = "confirmed",
	[DB_OUTCOME_PROMOTED] = "promoted",
	[DB_OUTCOME_CHECK_FAILED] = "health_check_failed",
	[DB_OUTCOME_TRIES_EXHAUSTED] = "tries_exhausted",
	[DB_OUTCOME_FIRMWARE_FALLBACK] = "firmware_fallback",
	[DB_OUTCOME_TEST_ROOT_MISSING] = "test_root_missing",
	[DB_OUTCOME_FAILED_BACK] = "failed_back",
	[DB_OUTCOME_FAILED] = "trial_failed",
};

const char *
db_outcome_name(db_outcome_kind kind)
{
	if ((size_t) kind >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[kind];
}

static void
set(db_outcome *out, db_outcome_kind kind, const db_history_entry *e)
{
	out->kind = kind;
	out->name = db_outcome_name(kind);
	out->failed = kind >= DB_OUTCOME_CHECK_FAILED;
	if (e)
	{
		out->at = e->time;
		out->seq = e->seq;
		snprintf(out->detail, sizeof(out->detail), "%s", e->reason);
	}
}

int
db_history_newest_first(const db_state *st, const db_history_entry **out)
{
	int			n = 0;

	for (int i = 0; i < DB_HISTORY_LEN; i++)
		if (st->history[i].seq != 0)
			out[n++] = &st->history[i];
	for (int i = 1; i < n; i++)	/* insertion sort: at most DB_HISTORY_LEN */
		for (int j = i; j > 0 && out[j]->seq > out[j - 1]->seq; j--)
		{
			const db_history_entry *t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

void
db_last_trial_outcome(const db_state *st, db_outcome *out)
{
	const db_history_entry *e[DB_HISTORY_LEN];
	int			n = db_history_newest_first(st, e);

	memset(out, 0, sizeof(*out));
	out->ready_to_confirm = -1;

	for (int i = 0; i < n; i++)
	{
		const db_history_entry *h = e[i];
		const char *p;

		switch (h->event)
		{
			case DB_EV_MARK_TEST:
				set(out, DB_OUTCOME_IN_PROGRESS, h);
				return;
			case DB_EV_CONFIRM:
				set(out, DB_OUTCOME_CONFIRMED, h);
				if (strcmp(h->app, DB_CONFIRM_APP) == 0 &&
					(p = strstr(h->reason, "confirmed ")) != NULL)
				{
					char	   *end;
					long		s = strtol(p + strlen("confirmed "), &end, 10);

					if (end != p + strlen("confirmed ") && strncmp(end, " s later", 8) == 0)
						out->ready_to_confirm = s;
				}
				return;
			case DB_EV_PROMOTE:
				set(out, DB_OUTCOME_PROMOTED, h);
				return;
			case DB_EV_FAILBACK:
				if (strcmp(h->app, DB_CONFIRM_APP) == 0 &&
					strncmp(h->reason, "check ", 6) == 0 &&
					(p = strstr(h->reason + 6, " failed")) != NULL)
				{
					set(out, DB_OUTCOME_CHECK_FAILED, h);
					snprintf(out->check, sizeof(out->check), "%.*s",
							 (int) (p - (h->reason + 6)), h->reason + 6);
				}
				else
				{
					set(out, DB_OUTCOME_FAILED_BACK, h);
					snprintf(out->detail, sizeof(out->detail), "by %s%s%s%s%s%s",
							 h->actor, h->app[0] ? " (" : "", h->app,
							 h->app[0] ? ")" : "", h->reason[0] ? ": " : "", h->reason);
				}
				return;
			case DB_EV_TRIAL_FAILED:
				if (strstr(h->reason, "root device is missing"))
					set(out, DB_OUTCOME_TEST_ROOT_MISSING, h);
				else if (strstr(h->reason, "firmware booted"))
					set(out, DB_OUTCOME_FIRMWARE_FALLBACK, h);
				else
					set(out, DB_OUTCOME_TRIES_EXHAUSTED, h);
				return;
			case DB_EV_INIT:
				i = n;			/* no trial before the record began */
				break;
			default:
				break;			/* boot, record_fingerprint */
		}
	}
	if (st->last_trial_failed)
	{
		set(out, DB_OUTCOME_FAILED, NULL);
		snprintf(out->detail, sizeof(out->detail),
				 "the trial failed; its event has left the history ring");
	}
}
