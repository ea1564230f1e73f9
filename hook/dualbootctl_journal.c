/*
 * dualbootctl_journal.c - `dualbootctl journal`: one structured journal
 * entry with a stable MESSAGE_ID, for the confirm unit and the boot report
 * (systemd-cat and logger cannot set MESSAGE_ID). Through libsystemd's
 * sd_journal_sendv() when built with it (mk/dualbootctl.mk).
 *
 *   dualbootctl journal KIND [--slot A|B] [--check NAME] [--seconds N]
 *                       [--tries-left N] [--outcome NAME] [--priority N] MESSAGE
 *
 * KIND names the MESSAGE_ID (the table below; docs/boot-hook.md lists them:
 * never change one, add new ones).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#ifdef DUALBOOTCTL_JOURNAL
#include <systemd/sd-journal.h>
#endif

#include "dualbootctl_observe.h"

static const struct
{
	const char *kind;
	const char *id;
	int			priority;       /* syslog priority by default */
}			kinds[] = {
	{"decision", "4731cb1a208944939ae32138de2061dd", 6},	/* the hook's decision */
	{"postgresql-ready", "c357fcaf23354a019fc281266bbcabc8", 6},
	{"confirmed", "082686c2259d484bb650ee79764af239", 5},
	{"confirm-failed", "8d63a9f0439240d996ced3b4e3e16fdc", 3},
	{"trial-outcome", "38d4076108a64652b0435dac74354de7", 5},	/* on the next boot */
};

static int
usage_err(const char *what)
{
	fprintf(stderr, "dualbootctl: journal: %s\n"
			"usage: dualbootctl journal KIND [--slot A|B] [--check NAME] [--seconds N] "
			"[--tries-left N] [--outcome NAME] [--priority 0-7] MESSAGE\n", what);
	return 2;
}

int
ctl_journal_main(int argc, char **argv)
{
	/* argv[0] is "journal" */
	static const char *const opts[][2] = {
		{"--slot", "DUALBOOT_SLOT"}, {"--check", "DUALBOOT_CHECK"},
		{"--seconds", "DUALBOOT_SECONDS"}, {"--tries-left", "DUALBOOT_TRIES_LEFT"},
		{"--outcome", "DUALBOOT_OUTCOME"}, {"--priority", NULL},
	};
	char	   *fields[16];
	int			nf = 0;
	int			k = -1;
	int			prio = -1;
	const char *msg = NULL;
	int			rc = 0;

	if (argc < 2)
		return usage_err("KIND is required");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(argv[1], kinds[i].kind) == 0)
			k = (int) i;
	if (k < 0)
		return usage_err("unknown KIND (decision, postgresql-ready, confirmed, "
						 "confirm-failed, trial-outcome)");
	for (int i = 2; i < argc && rc == 0; i++)
	{
		size_t		o;

		for (o = 0; o < sizeof(opts) / sizeof(opts[0]); o++)
			if (strcmp(argv[i], opts[o][0]) == 0)
				break;
		if (o == sizeof(opts) / sizeof(opts[0]))
		{
			if (argv[i][0] == '-' || msg)
				rc = usage_err("unexpected argument");
			msg = argv[i];
			continue;
		}
		if (i + 1 >= argc)
		{
			rc = usage_err("an option needs a value");
			break;
		}
		i++;
		if (opts[o][1] == NULL)
		{
			if (strlen(argv[i]) != 1 || argv[i][0] < '0' || argv[i][0] > '7')
				rc = usage_err("--priority: 0 to 7");
			else
				prio = argv[i][0] - '0';
			continue;
		}
		if (nf >= 12 || strchr(argv[i], '\n'))
			rc = usage_err("bad field value");
		else if (asprintf(&fields[nf], "%s=%s", opts[o][1], argv[i]) < 0)
			rc = 2;
		else
			nf++;
	}
	if (rc == 0 && (msg == NULL || strchr(msg, '\n')))
		rc = usage_err("MESSAGE (one line) is required");
	if (prio < 0)
		prio = kinds[k].priority;
	if (rc == 0)
	{
		const char *fmt[] = {"MESSAGE=%s", "MESSAGE_ID=%s", "SYSLOG_IDENTIFIER=%s"};
		const char *val[] = {msg, kinds[k].id, "dualboot"};

		for (int i = 0; i < 3 && rc == 0; i++)
		{
			if (asprintf(&fields[nf], fmt[i], val[i]) < 0)
				rc = 2;
			else
				nf++;
		}
		if (rc == 0 && asprintf(&fields[nf], "PRIORITY=%d", prio) < 0)
			rc = 2;
		else if (rc == 0)
			nf++;
	}
	if (rc != 0)
	{
		for (int i = 0; i < nf; i++)
			free(fields[i]);
		return rc;
	}
#ifdef DUALBOOTCTL_JOURNAL
	{
		struct iovec iov[16];
		int			r;

		for (int i = 0; i < nf; i++)
		{
			iov[i].iov_base = fields[i];
			iov[i].iov_len = strlen(fields[i]);
		}
		r = sd_journal_sendv(iov, nf);
		if (r < 0)
		{
			fprintf(stderr, "dualbootctl: journal: cannot write to the journal: %s\n",
					strerror(-r));
			rc = 1;
		}
	}
#else
	fprintf(stderr, "dualbootctl: journal: built without libsystemd: cannot write to "
			"the journal\n");
	rc = 2;
#endif
	for (int i = 0; i < nf; i++)
		free(fields[i]);
	return rc;
}
