/*
 * observe.c - what happened (issue 17; docs/boot-hook.md "What happened").
 *
 * dualboot_status()'s last three columns (SQL API 1.2): the last trial's
 * outcome as lib/outcome.c derives it from the record's history ring, the
 * same as `dualbootctl status --json`; and a LOG line for every change of
 * boot intent that a transaction wrote at commit.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "observe.h"
#include "outcome.h"

void
dualboot_outcome_columns(const db_state *st, Datum *values, bool *nulls)
{
	db_outcome	o;

	db_last_trial_outcome(st, &o);
	nulls[0] = o.name == NULL;
	values[0] = o.name ? CStringGetTextDatum(o.name) : (Datum) 0;
	nulls[1] = o.name == NULL || o.detail[0] == '\0';
	values[1] = nulls[1] ? (Datum) 0 : CStringGetTextDatum(o.detail);
	nulls[2] = o.name == NULL || o.at <= 0;
	values[2] = nulls[2] ? (Datum) 0 :
		TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) o.at));
}

void
dualboot_log_intent(const char *path, db_event event, const char *actor,
					const char *app, const char *reason, const db_state *after)
{
	ereport(LOG,
			(errmsg("dualboot: %s by role \"%s\"%s%s%s: %s",
					db_event_name((uint8) event), actor ? actor : "?",
					app && app[0] ? " (application \"" : "", app && app[0] ? app : "",
					app && app[0] ? "\")" : "",
					reason && reason[0] ? reason : "no reason given"),
			 errdetail("The state record \"%s\" is now at sequence %llu; the next boot "
					   "is slot %s (stable slot %s, trial %s).", path,
					   (unsigned long long) after->seq,
					   db_slot_name(db_next_boot_slot(after)),
					   db_slot_name(after->stable_slot),
					   after->trial_armed ? "armed" : "not armed"),
			 errhidestmt(true)));
}
