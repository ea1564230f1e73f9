/*
 * outcome.h - the outcome of the last trial, derived from the record as it
 * is (format 1): the history ring's events and reasons, newest first. Pure,
 * no I/O; shared by the extension (dualboot_status()) and dualbootctl
 * (status, outcome, metrics). docs/boot-hook.md "What happened".
 */
#ifndef DUALBOOT_OUTCOME_H
#define DUALBOOT_OUTCOME_H

#include "dbstate.h"

/*
 * The application name dualboot-confirm writes with (dualbootctl's "app"
 * field): a failback by it, with a reason "check NAME failed: ...", is a
 * failed check of the trial, not a person's request.
 */
#define DB_CONFIRM_APP      "dualboot-confirm"

typedef enum db_outcome_kind
{
	DB_OUTCOME_NONE = 0,        /* no trial in the history ring */
	DB_OUTCOME_IN_PROGRESS,     /* armed, no verdict yet */
	DB_OUTCOME_CONFIRMED,
	DB_OUTCOME_PROMOTED,
	DB_OUTCOME_CHECK_FAILED,    /* dualboot-confirm: a check failed on the last try */
	DB_OUTCOME_TRIES_EXHAUSTED,
	DB_OUTCOME_FIRMWARE_FALLBACK,
	DB_OUTCOME_TEST_ROOT_MISSING,
	DB_OUTCOME_FAILED_BACK,     /* a failback requested by a person or program */
	DB_OUTCOME_FAILED           /* last_trial_failed, its event left the ring */
} db_outcome_kind;

typedef struct db_outcome
{
	db_outcome_kind kind;
	const char *name;           /* "confirmed", ...; NULL for NONE */
	bool		failed;         /* the trial ended without success */
	char		check[DB_REASON_SIZE];  /* CHECK_FAILED: the check's name, else "" */
	char		detail[DB_REASON_SIZE + DB_ACTOR_SIZE + DB_APP_SIZE + 16];
	int64_t		at;             /* unix seconds of the event, 0 unknown */
	uint64_t	seq;            /* the event's sequence, 0 unknown */
	int64_t		ready_to_confirm;   /* CONFIRMED by dualboot-confirm: seconds from
									 * PostgreSQL ready to confirmed, else -1 */
} db_outcome;

void		db_last_trial_outcome(const db_state *st, db_outcome *out);
/* The used history entries, newest (highest seq) first, into out[DB_HISTORY_LEN]; returns how many. */
int			db_history_newest_first(const db_state *st, const db_history_entry **out);
const char *db_outcome_name(db_outcome_kind kind);

#endif							/* DUALBOOT_OUTCOME_H */
