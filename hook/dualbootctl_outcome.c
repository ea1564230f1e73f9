/*
 * dualbootctl_outcome.c - the last trial's outcome in `dualbootctl status`
 * and `dualbootctl outcome` (lib/outcome.c derives it from the record).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dualbootctl_observe.h"

static const char *
iso_time(int64_t t, char *buf, size_t size)
{
	struct tm	tm;
	time_t		tt = (time_t) t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return buf;
}

/* s as a JSON string (record text is valid UTF-8 without controls) */
static void
json_str(FILE *f, const char *s)
{
	if (s == NULL)
	{
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char) *s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char) *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void
ctl_outcome_json(FILE *f, const db_state *st)
{
	db_outcome	o;
	char		t[40];

	db_last_trial_outcome(st, &o);
	fputs(", \"last_trial_outcome\": ", f);
	json_str(f, o.name);
	fputs(", \"last_trial_detail\": ", f);
	json_str(f, o.name && o.detail[0] ? o.detail : NULL);
	fputs(", \"last_trial_at\": ", f);
	json_str(f, o.name ? iso_time(o.at, t, sizeof(t)) : NULL);
}

void
ctl_outcome_text(FILE *f, const db_state *st)
{
	db_outcome	o;
	char		t[40];

	db_last_trial_outcome(st, &o);
	if (o.name == NULL)
		return;
	fprintf(f, "last trial:    %s%s%s%s%s\n", o.name,
			o.detail[0] ? ": " : "", o.detail,
			iso_time(o.at, t, sizeof(t)) ? " at " : "",
			iso_time(o.at, t, sizeof(t)) ? t : "");
}

int
ctl_outcome_main(FILE *f, const db_state *st, bool json)
{
	db_outcome	o;
	char		t[40];
	char		num[32];

	db_last_trial_outcome(st, &o);
	if (json)
	{
		fputs("{\"outcome\": ", f);
		json_str(f, o.name);
		fputs(", \"failed\": ", f);
		fputs(o.failed ? "true" : "false", f);
		fputs(", \"check\": ", f);
		json_str(f, o.check[0] ? o.check : NULL);
		fputs(", \"detail\": ", f);
		json_str(f, o.detail[0] ? o.detail : NULL);
		fputs(", \"at\": ", f);
		json_str(f, iso_time(o.at, t, sizeof(t)));
		fprintf(f, ", \"seq\": %" PRIu64 "}\n", o.seq);
		return 0;
	}
	db_shell_assign(f, "DUALBOOT_OUTCOME", o.name ? o.name : "none", true);
	db_shell_assign(f, "DUALBOOT_OUTCOME_FAILED", o.failed ? "1" : "0", true);
	db_shell_assign(f, "DUALBOOT_OUTCOME_CHECK", o.check, true);
	db_shell_assign(f, "DUALBOOT_OUTCOME_DETAIL", o.detail, true);
	db_shell_assign(f, "DUALBOOT_OUTCOME_AT", iso_time(o.at, t, sizeof(t)) ? t : "", true);
	snprintf(num, sizeof(num), "%" PRIu64, o.seq);
	db_shell_assign(f, "DUALBOOT_OUTCOME_SEQ", num, true);
	return 0;
}
