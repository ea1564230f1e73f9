/*
 * observe.h - what happened (issue 17): the last trial's outcome columns of
 * dualboot_status() and the LOG line of every change of boot intent made
 * from SQL (extension/observe.c).
 */
#ifndef DUALBOOT_OBSERVE_H
#define DUALBOOT_OBSERVE_H

#include "postgres.h"

#include "dbstate.h"

/* Columns of dualboot_status() in 1.2 (1.1 and the request functions: 15). */
#define STATUS_NATTS_OUTCOME 18

/* values[0..2], nulls[0..2]: last_trial_outcome, last_trial_detail, last_trial_at */
extern void dualboot_outcome_columns(const db_state *st, Datum *values, bool *nulls);

/* One LOG line for a change of intent written at commit: who, what, why. */
extern void dualboot_log_intent(const char *path, db_event event, const char *actor,
								const char *app, const char *reason,
								const db_state *after);

#endif							/* DUALBOOT_OBSERVE_H */
