/*
 * selector.c - dualboot-select, the boot selector the initramfs runs.
 *
 * A thin main around the record library: every decision, every read and
 * write of the record, the marker and the configuration parsing live in
 * lib/ (db_boot_select and friends), shared with `dualbootctl boot-select`.
 * This file only parses arguments, prints shell-evaluable lines and logs to
 * /dev/kmsg. Linked statically (musl) so it runs in any initramfs.
 *
 * Modes (see docs/boot-hook.md):
 *   dualboot-select [--config F] [--cmdline F] [--state PATH | --no-state]
 *                   [--marker PATH] [--kmsg] [--firmware-slot A|B]
 *       the boot selection: prints the DUALBOOT_SLOT, _ROLE, _TRIAL, _ROOT,
 *       _WHY, _TRIAL_FAILED and _STATE_ERROR lines of db_boot_result_print;
 *       exit 0 (it never fails: every error ends in the stable slot, the
 *       record's or the configured default). --firmware-slot: firmware mode,
 *       the slot whose UEFI boot entry BootCurrent is (db_boot_select_fw);
 *       any other value counts as unknown. --hint PATH: the stable hint
 *       (docs/state-format.md section 15) on its own partition; without it,
 *       when stable_hint= is unset, the hint beside the record. --hint-only:
 *       never open the record (the hook's second try after a failed
 *       selector): the hint's slot, else default=.
 *   dualboot-select --check-config F     validate a config file (exit 0/2)
 *   dualboot-select --print-config [--config F] [--cmdline F]
 *       the effective configuration as DUALBOOT_* shell lines
 *   dualboot-select --resolve SPEC       print the /dev path of a device spec
 *   dualboot-select --peek --state PATH [--config F] [--cmdline F]
 *                   [--firmware-slot A|B]
 *       the slot the record would boot (no write): DUALBOOT_NEXT=A|B
 *   dualboot-select --fingerprints [--state PATH] [--config F]
 *       the schema fingerprints recorded in the record, one
 *       "SLOT DATABASE FINGERPRINT" line each (for dualboot-confirm)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbstate.h"

#define DEFAULT_CONFIG  "/etc/dualboot/dualboot.conf"
#define DEFAULT_CMDLINE "/proc/cmdline"
#define HARD_LIMIT_SEC  30      /* the selector never runs longer */

static int	kmsg_fd = -1;

/* One log line: stderr always, /dev/kmsg with --kmsg (level 5: notice). */
static void
logmsg(const char *fmt, ...)
{
	char		line[900];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n >= sizeof(line))
		n = sizeof(line) - 1;
	fprintf(stderr, "dualboot: %s\n", line);
	if (kmsg_fd >= 0)
	{
		char		rec[sizeof(line) + 16];

		/* one write() is one kernel log record */
		n = snprintf(rec, sizeof(rec), "<5>dualboot: %s\n", line);
		if (write(kmsg_fd, rec, (size_t) n) < 0)
			kmsg_fd = -1;
	}
}

/* Always quoted: the boot scripts parse NAME='value'. */
static void
shell_var(const char *name, const char *value)
{
	db_shell_assign(stdout, name, value, true);
}

/* Read a small text file (the kernel command line) into buf. */
static int
read_text(const char *path, char *buf, size_t size)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t		n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * The effective configuration: defaults, then the file, then the kernel
 * command line. Errors are logged and the boot goes on with what is valid.
 * Returns 0 when the file parsed cleanly.
 */
static int
load_config(db_config *cfg, const char *conf_path, const char *cmdline_path)
{
	db_error	err;
	char		cmdline[4096];
	int			rc = 0;

	memset(&err, 0, sizeof(err));
	db_config_defaults(cfg);
	if (db_config_parse_file(cfg, conf_path, &err) != DB_OK)
	{
		logmsg("%s", err.message);
		rc = -1;
	}
	if (cmdline_path && read_text(cmdline_path, cmdline, sizeof(cmdline)) == 0)
	{
		memset(&err, 0, sizeof(err));
		if (db_config_apply_cmdline(cfg, cmdline, &err) != DB_OK)
			logmsg("kernel command line: %s", err.message);
	}
	return rc;
}

static void
usage(FILE *f)
{
	fputs("usage: dualboot-select [--config FILE] [--cmdline FILE]"
		  " [--state PATH | --no-state] [--marker PATH] [--kmsg]\n"
		  "                       [--firmware-slot A|B]\n"
		  "                       [--hint PATH] [--hint-only]\n"
		  "       dualboot-select --check-config FILE\n"
		  "       dualboot-select --print-config [--config FILE] [--cmdline FILE]\n"
		  "       dualboot-select --resolve SPEC\n"
		  "       dualboot-select --peek --state PATH [--config FILE] [--cmdline FILE]\n"
		  "       dualboot-select --fingerprints [--state PATH] [--config FILE]\n",
		  f);
}

static int
do_check_config(const char *path)
{
	db_config	cfg;
	db_error	err;
	int			bad = 0;

	memset(&err, 0, sizeof(err));
	db_config_defaults(&cfg);
	if (db_config_parse_file(&cfg, path, &err) != DB_OK)
	{
		fprintf(stderr, "dualboot: %s\n", err.message);
		return 2;
	}
	if (cfg.state_device[0] == '\0')
	{
		fprintf(stderr, "dualboot: %s: state_device= is not set\n", path);
		bad = 1;
	}
	for (int s = 0; s < 2; s++)
		if (cfg.slot_dev[s][0] == '\0')
		{
			fprintf(stderr, "dualboot: %s: slot_%c= is not set\n", path,
					s == 0 ? 'a' : 'b');
			bad = 1;
		}
	if (cfg.stable_hint_file[0] && !cfg.stable_hint[0])
	{
		fprintf(stderr, "dualboot: %s: stable_hint_file= needs stable_hint=\n", path);
		bad = 1;
	}
	/* a hint where the record is would overwrite the record */
	if (cfg.stable_hint[0] && strcmp(cfg.stable_hint, cfg.state_device) == 0 &&
		strcmp(cfg.stable_hint_file, cfg.state_file) == 0)
	{
		fprintf(stderr, "dualboot: %s: stable_hint= names the record itself\n", path);
		bad = 1;
	}
	if (!bad && strcmp(cfg.slot_dev[0], cfg.slot_dev[1]) == 0)
	{
		fprintf(stderr, "dualboot: %s: slot_a and slot_b name the same device\n",
				path);
		bad = 1;
	}
	return bad ? 2 : 0;
}

/* The recorded fingerprints; the record's path from the config by default. */
static int
do_fingerprints(const char *conf_path, const char *state_path)
{
	db_config	cfg;
	db_state	st;
	db_error	err;
	char		path[512];

	memset(&err, 0, sizeof(err));
	if (state_path == NULL)
	{
		db_config_defaults(&cfg);
		if (db_config_parse_file(&cfg, conf_path, &err) != DB_OK ||
			db_config_state_path(&cfg, path, sizeof(path), &err) != DB_OK)
		{
			fprintf(stderr, "dualboot: %s\n", err.message);
			return 2;
		}
		state_path = path;
	}
	if (db_load(state_path, &st, &err) != DB_OK)
	{
		fprintf(stderr, "dualboot: %s\n", err.message);
		return 2;
	}
	for (int i = 0; i < DB_FPRINT_LEN; i++)
		if (st.fprints[i].recorded_at != 0)
			printf("%s %s %s\n", db_slot_name(st.fprints[i].slot),
				   st.fprints[i].dbname, st.fprints[i].fprint);
	return 0;
}

static void
print_config(const db_config *cfg)
{
	char		tmo[16];
	const char *def = cfg->slot_dev[cfg->default_slot == DB_SLOT_B ? 1 : 0];

	shell_var("DUALBOOT_STATE_DEVICE", cfg->state_device);
	shell_var("DUALBOOT_STATE_FILE", cfg->state_file);
	shell_var("DUALBOOT_SLOT_A", cfg->slot_dev[0]);
	shell_var("DUALBOOT_SLOT_B", cfg->slot_dev[1]);
	shell_var("DUALBOOT_DEFAULT", db_slot_name(cfg->default_slot));
	shell_var("DUALBOOT_DEFAULT_ROOT", def);
	snprintf(tmo, sizeof(tmo), "%d", cfg->timeout);
	shell_var("DUALBOOT_TIMEOUT", tmo);
	shell_var("DUALBOOT_EFI_A", cfg->efi_entry[0]);
	shell_var("DUALBOOT_EFI_B", cfg->efi_entry[1]);
	shell_var("DUALBOOT_STABLE_HINT", cfg->stable_hint);
	shell_var("DUALBOOT_STABLE_HINT_FILE", cfg->stable_hint_file);
}

int
main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONFIG;
	const char *cmdline_path = DEFAULT_CMDLINE;
	const char *state_path = NULL;
	const char *marker_path = NULL;
	const char *hint_path = NULL;
	bool		hint_only = false;
	uint64_t	hint_off = 0;
	char		hint_buf[512];
	const char *arg = NULL;
	int			fw = DB_SLOT_NONE;
	enum { M_SELECT, M_CHECK, M_PRINT, M_RESOLVE, M_PEEK, M_FPRINTS } mode = M_SELECT;
	db_config	cfg;
	db_boot_result res;
	char		dev[DB_CONF_VALUE_SIZE];
	struct timespec t0,
				t1;
	long		us;

	/* A hard bound: whatever happens, the initramfs gets control back. */
	signal(SIGALRM, SIG_DFL);
	alarm(HARD_LIMIT_SEC);

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

		if (strcmp(a, "--kmsg") == 0)
			kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		else if (strcmp(a, "--no-state") == 0)
			state_path = NULL;
		else if (strcmp(a, "--print-config") == 0)
			mode = M_PRINT;
		else if (strcmp(a, "--peek") == 0)
			mode = M_PEEK;
		else if (strcmp(a, "--fingerprints") == 0)
			mode = M_FPRINTS;
		else if (strcmp(a, "--hint-only") == 0)
			hint_only = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			return 0;
		}
		else if (v == NULL)
		{
			usage(stderr);
			return 2;
		}
		else if (strcmp(a, "--config") == 0)
			conf_path = argv[++i];
		else if (strcmp(a, "--cmdline") == 0)
			cmdline_path = argv[++i];
		else if (strcmp(a, "--state") == 0)
			state_path = argv[++i];
		else if (strcmp(a, "--marker") == 0)
			marker_path = argv[++i];
		else if (strcmp(a, "--hint") == 0)
			hint_path = argv[++i];
		else if (strcmp(a, "--firmware-slot") == 0)
		{
			/* at boot a bad value is no reason to fail: it counts as unknown */
			if ((fw = db_slot_parse(argv[++i])) < 0)
			{
				logmsg("--firmware-slot \"%s\" is not A or B: ignored", argv[i]);
				fw = DB_SLOT_NONE;
			}
		}
		else if (strcmp(a, "--check-config") == 0)
			mode = M_CHECK, arg = argv[++i];
		else if (strcmp(a, "--resolve") == 0)
			mode = M_RESOLVE, arg = argv[++i];
		else
		{
			usage(stderr);
			return 2;
		}
	}

	switch (mode)
	{
		case M_CHECK:
			return do_check_config(arg);
		case M_RESOLVE:
			if (db_resolve_device(arg, dev, sizeof(dev)) != DB_OK)
				return 1;
			puts(dev);
			return 0;
		case M_PRINT:
			load_config(&cfg, conf_path, cmdline_path);
			print_config(&cfg);
			return 0;
		case M_PEEK:
			{
				db_state	st;
				db_error	err;
				db_boot_input in;
				db_boot_decision dec;
				uint8_t		next;

				/*
				 * The decision itself, on a copy never written, with both
				 * roots taken as present: the slot to wait for.
				 */
				load_config(&cfg, conf_path, cmdline_path);
				memset(&err, 0, sizeof(err));
				memset(&in, 0, sizeof(in));
				in.default_slot = cfg.default_slot;
				in.slot_present[0] = in.slot_present[1] = true;
				in.firmware_known = fw == DB_SLOT_A || fw == DB_SLOT_B;
				in.firmware_slot = (uint8_t) fw;
				in.have_state = state_path && db_load(state_path, &st, &err) == DB_OK;
				db_boot_decide(in.have_state ? &st : NULL, &in, &dec);
				next = dec.slot;
				shell_var("DUALBOOT_NEXT", db_slot_name(next));
				shell_var("DUALBOOT_NEXT_ROOT",
						  cfg.slot_dev[next == DB_SLOT_B ? 1 : 0]);
				return 0;
			}
		case M_FPRINTS:
			return do_fingerprints(conf_path, state_path);
		case M_SELECT:
			break;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	load_config(&cfg, conf_path, cmdline_path);
	/* the hint: --hint (its own partition), else beside the record */
	if (hint_path == NULL && cfg.stable_hint[0] == '\0' &&
		db_hint_path(&cfg, state_path, hint_buf, sizeof(hint_buf), &hint_off, NULL) == DB_OK)
		hint_path = hint_buf;
	memset(&res, 0, sizeof(res));
	db_boot_select_hint(&cfg, state_path, hint_path, hint_off, hint_only, marker_path,
						(int64_t) time(NULL), (uint8_t) fw, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;

	if (res.state_rc != DB_OK)
		logmsg("state %s: %s", state_path ? state_path : "(none)",
			   res.state_error[0] ? res.state_error : "no record");
	if (res.hint_note[0])
		logmsg("%s", res.hint_note);
	logmsg("boot slot %s (%s%s) root %s: %s [%ld us]",
		   db_slot_name(res.dec.slot),
		   res.dec.slot == res.marker.stable_slot ? "stable" : "test",
		   res.dec.trial ? ", trial" : "",
		   res.root_device, res.dec.why, us);

	/* always quoted: the boot scripts parse NAME='value' */
	db_boot_result_print(stdout, &res, true);
	return fflush(stdout) == 0 ? 0 : 2;
}
