/*
 * dualbootctl_observe.h - what happened, for people and machines (issue 17):
 * `dualbootctl outcome`, `metrics` (hook/dualbootctl_metrics.c) and
 * `journal` (hook/dualbootctl_journal.c), and the last trial's outcome in
 * `status`. Called by hook/dualbootctl.c, which loads the record and
 * finds the running boot.
 */
#ifndef DUALBOOTCTL_OBSERVE_H
#define DUALBOOTCTL_OBSERVE_H

#include <stdio.h>

#include "dbstate.h"
#include "outcome.h"

/* status --json: the keys last_trial_outcome, last_trial_detail, last_trial_at */
void		ctl_outcome_json(FILE *f, const db_state *st);
/* status: one "last trial:" line */
void		ctl_outcome_text(FILE *f, const db_state *st);
/* outcome [--json]: shell lines DUALBOOT_OUTCOME=... (or a JSON object) */
int			ctl_outcome_main(FILE *f, const db_state *st, bool json);

/*
 * metrics: the Prometheus text format. st NULL when the record could not
 * be read (dualboot_record_readable 0). slot/trial: the running boot
 * (DB_SLOT_NONE when unknown).
 */
int			ctl_metrics_main(FILE *f, const db_state *st, uint8_t slot, bool trial);

/* journal ID [--slot S] [--check NAME] [--seconds N] [--tries-left N] MESSAGE */
int			ctl_journal_main(int argc, char **argv);

#endif							/* DUALBOOTCTL_OBSERVE_H */
