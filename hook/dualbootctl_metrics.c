/*
 * dualbootctl_metrics.c - `dualbootctl metrics`: the record and the running
 * boot in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector (dualboot-metrics.timer writes it to
 * /var/lib/prometheus/node-exporter/dualboot.prom). Checked by
 * `promtool check metrics` in test/t/20-dualbootctl.t.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dualbootctl_observe.h"

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* a label value: \, " and newline escaped */
static void
label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value; *p; p++)
	{
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
gauge(FILE *f, const char *name, const char *help, int64_t v)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s %" PRId64 "\n", name, v);
}

int
ctl_metrics_main(FILE *f, const db_state *st, uint8_t slot, bool trial)
{
	db_outcome	o;

	gauge(f, "dualboot_record_readable",
		  "1 when the boot state record could be read, else 0 (then nothing else is known).",
		  st != NULL);
	if (st == NULL)
		return 2;

	head(f, "dualboot_boot_info", "gauge",
		 "The slot this boot runs on (unknown when not selected by the hook) and its role; always 1.");
	fputs("dualboot_boot_info{", f);
	label(f, "slot", slot == DB_SLOT_NONE ? "unknown" : db_slot_name(slot), true);
	label(f, "role", slot == DB_SLOT_NONE ? "unknown" :
		  slot == st->stable_slot ? "stable" : "test", false);
	label(f, "stable_slot", db_slot_name(st->stable_slot), false);
	label(f, "test_slot", db_slot_name(db_test_slot(st)), false);
	label(f, "next_boot_slot", db_slot_name(db_next_boot_slot(st)), false);
	fputs("} 1\n", f);
	gauge(f, "dualboot_trial_boot", "1 when this boot is a trial boot of the test slot.",
		  trial && slot != DB_SLOT_NONE && slot != st->stable_slot);
	gauge(f, "dualboot_trial_armed", "1 while a trial of the test slot is armed.",
		  st->trial_armed);
	gauge(f, "dualboot_tries_left", "Boots of the test slot the armed trial still allows.",
		  st->tries_left);
	gauge(f, "dualboot_tries_given", "Tries the trial was armed with (the refill value).", st->tries_total);
	gauge(f, "dualboot_confirmed", "1 when the current trial boot is confirmed.",
		  st->confirmed);
	gauge(f, "dualboot_record_sequence",
		  "Sequence number of the record (incremented by every change and boot).",
		  (int64_t) st->seq);
	head(f, "dualboot_boots_total", "counter", "Boots selected by the dualboot hook.");
	fprintf(f, "dualboot_boots_total %" PRIu64 "\n", st->boot_count);
	gauge(f, "dualboot_last_boot_timestamp_seconds",
		  "Unix time of the last boot selected by the hook.", st->last_boot_time);
	gauge(f, "dualboot_record_updated_timestamp_seconds",
		  "Unix time of the record's last change.", st->updated_at);

	db_last_trial_outcome(st, &o);
	head(f, "dualboot_last_trial_outcome", "gauge",
		 "The outcome of the last trial (label outcome; check: the failed check); always 1.");
	fputs("dualboot_last_trial_outcome{", f);
	label(f, "outcome", o.name ? o.name : "none", true);
	label(f, "check", o.check, false);
	fputs("} 1\n", f);
	gauge(f, "dualboot_last_trial_failed", "1 when the last trial ended without success.",
		  o.failed);
	gauge(f, "dualboot_last_trial_timestamp_seconds",
		  "Unix time of the last trial's outcome (0: none).", o.at);
	if (o.ready_to_confirm >= 0)
		gauge(f, "dualboot_last_trial_ready_to_confirm_seconds",
			  "Seconds from PostgreSQL answering to the confirmation of the last trial "
			  "(dualboot-confirm's checks).", o.ready_to_confirm);
	return 0;
}
