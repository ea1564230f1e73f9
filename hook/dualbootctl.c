/*
 * dualbootctl.c - the administrator's tool (DESIGN sections 4.3 and 7).
 *
 *   dualbootctl [--state PATH] [--config FILE] [--marker PATH] COMMAND [ARGS]
 *
 * A thin front end over the record library: every read, decision and write
 * of the record, the marker and the configuration is lib/ (db_create,
 * db_load, db_update, db_boot_select, db_marker_read, db_config_*). This
 * file parses arguments, finds out which boot is running (the marker checked
 * against the kernel's boot_id) and prints results for people (text) and
 * programs (JSON, shell lines).
 *
 * Exit status: 0 done, 1 refused (reason on stderr), 2 bad usage or
 * unreadable input. The man page is hook/dualbootctl.8.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbstate.h"
#include "isolation.h"
#include "dualbootctl_refresh.h"	/* refresh, stop-point, provenance (issue 15) */
#include "dualbootctl_rehearsal.h"	/* rehearsal export/import (issue 19) */
#include "dualbootctl_observe.h"	/* outcome, metrics, journal (issue 17) */
#ifdef DUALBOOTCTL_EFI
#include "dualbootctl_efi.h"	/* firmware mode, hook/dualbootctl_efi.c */
#endif

/* Exit status of every command (DESIGN section 7, dualbootctl.8). */
#define CTL_EXIT_OK       0     /* done */
#define CTL_EXIT_REFUSED  1     /* the request was refused (reason on stderr) */
#define CTL_EXIT_USAGE    2     /* bad usage, or unreadable/invalid input */

#define CTL_DEFAULT_CONFIG  "/etc/dualboot/dualboot.conf"
#define CTL_DEFAULT_MARKER  "/run/dualboot/booted"
#define CTL_DEFAULT_CMDLINE "/proc/cmdline"

/* The global options and what they resolve to. */
typedef struct ctl_env
{
	const char *state_opt;      /* --state PATH, or NULL */
	const char *config_opt;     /* --config FILE, or NULL (system config) */
	const char *marker_path;    /* --marker PATH, else CTL_DEFAULT_MARKER */
	const char *cmdline_path;   /* --cmdline FILE; /proc/cmdline for the system config */
	db_config	cfg;            /* defaults + config file + command line overrides */
	bool		cfg_found;      /* a configuration file was read */
	char		config_path[512];   /* the file read (or looked for) */
} ctl_env;

#ifndef DUALBOOT_VERSION
#define DUALBOOT_VERSION "1.1"
#endif

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void ctl_err(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
ctl_err(const char *fmt,...)
{
	va_list		ap;

	fputs("dualbootctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Map a db_rc to the exit status. */
static int
ctl_exit_code(int rc)
{
	switch (rc)
	{
		case DB_OK:
			return CTL_EXIT_OK;
		case DB_REFUSED:
		case DB_ERR_EXISTS:
			return CTL_EXIT_REFUSED;
		default:
			return CTL_EXIT_USAGE;
	}
}

/* Length of the well-formed UTF-8 sequence at p (1 to 4), 0 if none. */
static int
utf8_len(const unsigned char *p)
{
	char		buf[5] = {0};
	int			n = p[0] < 0x80 ? 1 : p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;

	for (int i = 0; i < n; i++)
	{
		if (p[i] == 0)
			return 0;
		buf[i] = (char) p[i];
	}
	/* db_text_valid: well-formed, no overlongs or surrogates (controls are escaped first) */
	return db_text_valid(buf, sizeof(buf)) ? n : 0;
}

/*
 * s as a JSON string, quotes included. Record text is valid UTF-8 already;
 * a path given by the user may not be: its stray bytes become U+FFFD.
 */
static void
ctl_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *) s; p && *p;)
	{
		int			n;

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if ((n = utf8_len(p)) == 0)
			fputs("\\ufffd", f);
		else
		{
			fwrite(p, 1, (size_t) n, f);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

/*
 * The record's path: --state, else the configuration's state_mount +
 * state_file (or the raw state_device). On failure prints why and returns
 * CTL_EXIT_USAGE.
 */
static int
ctl_state_path(const ctl_env *env, char *out, size_t size)
{
	db_error	err;

	if (env->state_opt)
	{
		if (env->state_opt[0] == '\0' || strlen(env->state_opt) >= size)
		{
			ctl_err("--state: not a usable path");
			return CTL_EXIT_USAGE;
		}
		/* a raw partition may be named as in the configuration: LABEL=, UUID=, ... */
		if (strncmp(env->state_opt, "LABEL=", 6) == 0 ||
			strncmp(env->state_opt, "UUID=", 5) == 0 ||
			strncmp(env->state_opt, "PARTLABEL=", 10) == 0 ||
			strncmp(env->state_opt, "PARTUUID=", 9) == 0)
		{
			if (db_resolve_device(env->state_opt, out, size) != DB_OK)
			{
				ctl_err("--state %s: no such device", env->state_opt);
				return CTL_EXIT_USAGE;
			}
			return CTL_EXIT_OK;
		}
		memcpy(out, env->state_opt, strlen(env->state_opt) + 1);
		return CTL_EXIT_OK;
	}
	memset(&err, 0, sizeof(err));
	if (db_config_state_path(&env->cfg, out, size, &err) != DB_OK)
	{
		if (!env->cfg_found)
			ctl_err("no state record given: pass --state PATH, or configure "
					"state_device= and state_file= in %s (not found)", env->config_path);
		else
			ctl_err("%s: %s; pass --state PATH or fix the configuration",
					env->config_path, err.message);
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/*
 * `dualbootctl efi ...`: firmware mode lives in hook/dualbootctl_efi.c
 * (issue 7), linked in by mk/dualbootctl.mk when that file is present.
 * args are "efi" and the words after it (--state, --config and --cmdline
 * already taken out; --marker is left to the efi command).
 */
static int
ctl_efi(const ctl_env *env, int nargs, char **args)
{
#ifdef DUALBOOTCTL_EFI
	char		path[512];
	db_error	err;
	const char *state = NULL;

	memset(&err, 0, sizeof(err));
	if (env->state_opt)
		state = env->state_opt;
	else if (db_config_state_path(&env->cfg, path, sizeof(path), &err) == DB_OK)
		state = path;
	return dualbootctl_efi_main(nargs, args, &env->cfg, state);
#else
	(void) env;
	(void) nargs;
	(void) args;
	ctl_err("efi: this dualbootctl was built without firmware (libefivar) support");
	return CTL_EXIT_USAGE;
#endif
}

/* ------------------------------------------------------------------ */
/* usage                                                               */

static void
usage(FILE *f)
{
	fputs("usage: dualbootctl [--state PATH] [--config FILE] [--marker PATH] COMMAND [ARGS]\n"
		  "\n"
		  "commands:\n"
		  "  init --stable A|B [--force] [--reason TEXT]   create the state record\n"
		  "  status [--json]                    roles, trial, tries, next boot\n"
		  "  mark-test [--tries N] [--reason TEXT]\n"
		  "                                     arm a trial boot of the test slot (N: 1-7, default 3)\n"
		  "  confirm [--reason TEXT]            declare this trial boot healthy (on the test slot)\n"
		  "  failback [--reason TEXT]           disarm the trial: the next boot is stable\n"
		  "  promote [--reason TEXT] [--discard-stable-writes]\n"
		  "                                     the confirmed test slot becomes stable (refused when\n"
		  "                                     stable changed data after the test slot's copy)\n"
		  "  refresh --pgdata DIR [--reason TEXT] [--force] [--source CONNINFO] [--user NAME]\n"
		  "          [--method auto|snapshot|basebackup]\n"
		  "                                     copy the running stable cluster into the test slot's\n"
		  "                                     DIR (LVM thin snapshot or pg_basebackup, as root) and\n"
		  "                                     record its provenance\n"
		  "  stop-point --pgdata DIR            after stable's clean shutdown: record where its WAL\n"
		  "                                     stands and what it changed since the copy\n"
		  "  provenance [--json]                the slots' provenance, stop point, rehearsals\n"
		  "  rehearsal export NAME [--host NAME]\n"
		  "                                     a completed rehearsal as a certificate (JSON)\n"
		  "  rehearsal import FILE [--pgdata DIR | --major N]\n"
		  "                                     add a certificate to this record (as root)\n"
		  "  history [--json]                   the last changes, newest first\n"
		  "  boot-select [--marker PATH] [--firmware-slot A|B]\n"
		  "                                     the boot decision exactly as the initramfs makes it\n"
		  "                                     (firmware mode: the slot whose UEFI entry booted)\n"
		  "  require-test                       exit 0 only on the test slot (1 and a reason otherwise)\n"
		  "  require-stable                     exit 0 only on the stable slot (1 and a reason otherwise)\n"
		  "  hint-sync                          write the stable hint from the record (as root)\n"
		  "  outcome [--json]                   the last trial's outcome (shell lines or JSON)\n"
		  "  metrics                            the Prometheus text format\n"
		  "  journal KIND [...] MESSAGE         a journal entry with a stable MESSAGE_ID\n"
		  "  efi ...                            firmware mode (UEFI BootNext)\n"
		  "\n"
		  "global options:\n"
		  "  --state PATH     the record (regular file or block device); default: from the config\n"
		  "  --config FILE    configuration (default " CTL_DEFAULT_CONFIG ")\n"
		  "  --marker PATH    boot marker (default " CTL_DEFAULT_MARKER ")\n"
		  "  --cmdline FILE   apply dualboot.KEY=VALUE overrides from FILE\n"
		  "                   (default /proc/cmdline, only with the system config)\n"
		  "\n"
		  "exit status: 0 done, 1 refused (reason on stderr), 2 bad usage or unreadable input\n"
		  "see dualbootctl(8)\n", f);
}

/* ------------------------------------------------------------------ */
/* formatting                                                          */

/* "2026-11-25 09:40:14 UTC" (human) or "2026-11-25T09:40:14Z" (JSON). */
static const char *
fmt_time(int64_t t, bool iso, char *buf, size_t size)
{
	struct tm	tm;
	time_t		tt = (time_t) t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return NULL;
	if (strftime(buf, size, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC",
				 &tm) == 0)
		return NULL;
	return buf;
}

static void
json_str_or_null(FILE *f, const char *s)
{
	if (s)
		ctl_json_string(f, s);
	else
		fputs("null", f);
}

static void
json_time(FILE *f, int64_t t)
{
	char		buf[40];

	json_str_or_null(f, fmt_time(t, true, buf, sizeof(buf)));
}

static const char *
yes_no(int v)
{
	return v ? "yes" : "no";
}

/* ------------------------------------------------------------------ */
/* which boot is running                                               */

typedef struct ctl_boot
{
	uint8_t		slot;           /* from a marker of this boot, else NONE */
	bool		trial;          /* the marker says trial boot */
	char		boot_id[DB_BOOTID_SIZE];    /* kernel boot_id, "" if unknown */
	char		why[1000];      /* why slot is NONE */
} ctl_boot;

/*
 * The current slot: the boot marker of this boot (its boot_id is the
 * kernel's) and the record's last boot must agree (db_current_slot, the
 * rule the extension applies too). st is the record, or NULL when it could
 * not be read (st_error says why).
 */
static void
current_boot(const ctl_env *env, const db_state *st, const char *st_error, ctl_boot *b)
{
	db_current	cur;

	memset(b, 0, sizeof(*b));
	(void) db_current_slot(env->marker_path, st, st_error, &cur);
	b->slot = cur.slot;
	b->trial = cur.trial;
	memcpy(b->boot_id, cur.boot_id, sizeof(b->boot_id));
	snprintf(b->why, sizeof(b->why), "%s", cur.why);
}

/* Who asks: actor "cli", the user name as the application. */
static const char *
cli_user(void)
{
	static const char *const vars[] = {"SUDO_USER", "LOGNAME", "USER"};
	static char buf[DB_APP_SIZE];

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
	{
		const char *v = getenv(vars[i]);

		if (v && v[0] && strlen(v) < DB_APP_SIZE && db_text_valid(v, DB_APP_SIZE))
			return v;
	}
	snprintf(buf, sizeof(buf), "uid %u", (unsigned) getuid());
	return buf;
}

static void
make_context(db_context *ctx, const ctl_boot *b)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->current_slot = b->slot;
	ctx->boot_id = b->boot_id[0] ? b->boot_id : NULL;
	ctx->now = (int64_t) time(NULL);
	ctx->actor = "cli";
	ctx->app = cli_user();
}

/*
 * refresh, stop-point, provenance (hook/dualbootctl_refresh.c): the record's
 * path and who runs where; args are the command and the words after it.
 */
static int
ctl_provenance(const ctl_env *env, int nargs, char **args,
			   int (*run) (const ctl_prov_env *, int, char **))
{
	char		path[512];
	ctl_prov_env pe;
	ctl_boot	b;
	db_state	st;
	db_error	err;
	int			rc;

	if ((rc = ctl_state_path(env, path, sizeof(path))) != CTL_EXIT_OK)
		return rc;
	memset(&err, 0, sizeof(err));
	if (db_load(path, &st, &err) == DB_OK)
		current_boot(env, &st, NULL, &b);
	else
		current_boot(env, NULL, err.message, &b);
	memset(&pe, 0, sizeof(pe));
	pe.state_path = path;
	make_context(&pe.ctx, &b);
	pe.why_unknown = b.why;
	return run(&pe, nargs, args);
}

/* ------------------------------------------------------------------ */
/* reading for status / history                                        */

/* What a record error means for the next boot, and what to do about it. */
static void
explain(const ctl_env *env, int rc, const char *path)
{
	const char *def = db_slot_name(env->cfg.default_slot);

	if (rc == DB_ERR_NOT_FOUND)
		ctl_err("create the record with: dualbootctl --state %s init --stable A|B", path);
	else if (rc == DB_ERR_NO_VALID)
		ctl_err("with no valid record the hook boots the configured default stable "
				"slot %s (default=); if the record is lost, recreate it with "
				"dualbootctl init --stable A|B --force", def);
	else if (rc == DB_ERR_BAD_FILE)
		ctl_err("while it is so, the hook boots the configured default stable slot %s "
				"(default=)", def);
	else if (rc == DB_ERR_NEWER_VERSION)
		ctl_err("a newer dualboot wrote it: this version will not change it, and a "
				"hook of this version boots the configured default stable slot %s; "
				"upgrade dualboot on this slot", def);
	else if (rc == DB_ERR_INVALID)
		ctl_err("its newest copy is whole (valid CRC) but holds values this version "
				"refuses, as another dualboot build would write them: this version "
				"will not change it, and a hook of this version boots the configured "
				"default stable slot %s; upgrade dualboot on this slot, or replace "
				"the record with dualbootctl init --stable A|B --force", def);
}

static int
load_record(const ctl_env *env, char *path, size_t size, db_state *st)
{
	db_error	err;
	int			rc;

	if ((rc = ctl_state_path(env, path, size)) != CTL_EXIT_OK)
		return rc;
	memset(&err, 0, sizeof(err));
	rc = db_load(path, st, &err);
	if (rc == DB_OK)
		return CTL_EXIT_OK;
	ctl_err("%s", err.message);
	explain(env, rc, path);
	return CTL_EXIT_USAGE;
}

/* The newest history entry (the last change of intent or trial outcome). */
static const db_history_entry *
newest_entry(const db_state *st)
{
	const db_history_entry *best = NULL;

	for (int i = 0; i < DB_HISTORY_LEN; i++)
		if (st->history[i].seq != 0 && (best == NULL || st->history[i].seq > best->seq))
			best = &st->history[i];
	return best;
}


/* ------------------------------------------------------------------ */
/* commands                                                            */

typedef struct ctl_args
{
	bool		json;
	bool		force;
	bool		discard_stable_writes;	/* promote --discard-stable-writes */
	int			stable;         /* -1 unset */
	int			tries;
	const char *reason;
	int			firmware_slot;  /* boot-select --firmware-slot, DB_SLOT_NONE unset */
} ctl_args;

/*
 * The stable hint (docs/state-format.md section 15): make it name st's
 * stable slot, written only when it does not already. Returns 0 when it is
 * in step, else prints why not and returns CTL_EXIT_USAGE. verbose: say what
 * was done (hint-sync).
 */
static int
ctl_hint_sync(const ctl_env *env, const char *state_path, const db_state *st, bool verbose)
{
	char		path[512];
	uint64_t	off;
	db_hint		h;
	db_error	err;

	memset(&err, 0, sizeof(err));
	if (db_hint_path(&env->cfg, state_path, path, sizeof(path), &off, &err) != DB_OK)
	{
		ctl_err("warning: the stable hint cannot be kept: %s", err.message);
		return CTL_EXIT_USAGE;
	}
	if (db_hint_read(path, off, &h, NULL) == DB_OK && h.stable_slot == st->stable_slot)
	{
		if (verbose)
			printf("stable hint %s: slot %s, in step with the record (seq %" PRIu64 ")\n",
				   path, db_slot_name(h.stable_slot), st->seq);
		return CTL_EXIT_OK;
	}
	h.stable_slot = st->stable_slot;
	h.seq = st->seq;
	h.written_at = (int64_t) time(NULL);
	if (db_hint_write(path, off, &h, &err) != DB_OK)
	{
		ctl_err("warning: %s; if the record cannot be read at boot, the hook will not "
				"know that slot %s is stable: run \"dualbootctl hint-sync\" as root",
				err.message, db_slot_name(st->stable_slot));
		return CTL_EXIT_USAGE;
	}
	if (verbose)
		printf("stable hint %s: set to slot %s (record seq %" PRIu64 ")\n", path,
			   db_slot_name(st->stable_slot), st->seq);
	return CTL_EXIT_OK;
}

/* hint-sync: the stable hint from the record; never from an unreadable one */
static int
cmd_hint_sync(ctl_env *env)
{
	char		path[512];
	db_state	st;
	db_error	err;
	int			rc;

	if ((rc = ctl_state_path(env, path, sizeof(path))) != CTL_EXIT_OK)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = db_load(path, &st, &err)) != DB_OK)
	{
		ctl_err("hint-sync: %s; the stable hint is left as it is", err.message);
		return ctl_exit_code(rc);
	}
	return ctl_hint_sync(env, path, &st, true);
}

static int
cmd_init(ctl_env *env, const ctl_args *a)
{
	char		path[512];
	db_context	ctx;
	ctl_boot	b;
	db_error	err;
	db_state	st;
	int			rc;

	if (a->stable < 0)
	{
		ctl_err("init: --stable A|B is required (the slot that boots now, "
				"holding the production database)");
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_state_path(env, path, sizeof(path))) != CTL_EXIT_OK)
		return rc;
	/* (the slot is not needed: init records only who and when) */
	current_boot(env, NULL, "the record is being created", &b);
	make_context(&ctx, &b);
	memset(&err, 0, sizeof(err));
	rc = db_create(path, (uint8_t) a->stable, &ctx, a->reason, a->force, &err);
	if (rc != DB_OK)
	{
		ctl_err("init: %s", err.message);
		if (err.sys_errno == ENOENT && env->state_opt == NULL)
			ctl_err("is the shared partition mounted at %s (state_mount=)? The folder "
					"of state_file= must exist on it", env->cfg.state_mount);
		return ctl_exit_code(rc);
	}
	memset(&err, 0, sizeof(err));
	if (db_load(path, &st, &err) != DB_OK)
	{
		ctl_err("init: the new record does not read back: %s", err.message);
		return CTL_EXIT_USAGE;
	}
	printf("created state record %s: stable slot %s, test slot %s (seq %" PRIu64 ")\n",
		   path, db_slot_name(st.stable_slot), db_slot_name(db_test_slot(&st)), st.seq);
	(void) ctl_hint_sync(env, path, &st, false);	/* a failure is a warning */
	return CTL_EXIT_OK;
}

static void
status_json(const db_state *st, const ctl_boot *b, const char *path,
			const db_isolation *iso)
{
	const db_history_entry *h = newest_entry(st);
	FILE	   *f = stdout;

	fputs("{\"current_slot\": ", f);
	json_str_or_null(f, b->slot == DB_SLOT_NONE ? NULL : db_slot_name(b->slot));
	fputs(", \"current_role\": ", f);
	/* as dualboot_status(): "unknown" when this boot was not selected by the hook */
	ctl_json_string(f, b->slot == DB_SLOT_NONE ? "unknown" :
					b->slot == st->stable_slot ? "stable" : "test");
	fputs(", \"stable_slot\": ", f);
	ctl_json_string(f, db_slot_name(st->stable_slot));
	fputs(", \"test_slot\": ", f);
	ctl_json_string(f, db_slot_name(db_test_slot(st)));
	fputs(", \"next_boot_slot\": ", f);
	ctl_json_string(f, db_slot_name(db_next_boot_slot(st)));
	fprintf(f, ", \"trial_armed\": %s, \"tries_left\": %u, \"tries_total\": %u"
			", \"confirmed\": %s, \"boot_count\": %" PRIu64 ", \"seq\": %" PRIu64,
			st->trial_armed ? "true" : "false", st->tries_left, st->tries_total,
			st->confirmed ? "true" : "false", st->boot_count, st->seq);
	fputs(", \"last_event\": ", f);
	ctl_json_string(f, db_event_name(st->last_event));
	fputs(", \"last_actor\": ", f);
	json_str_or_null(f, h ? h->actor : NULL);
	fputs(", \"last_reason\": ", f);
	json_str_or_null(f, h && h->reason[0] ? h->reason : NULL);
	fputs(", \"updated_at\": ", f);
	json_time(f, st->updated_at);
	/* additions beyond dualboot_status() */
	fputs(", \"last_boot_slot\": ", f);
	json_str_or_null(f, st->last_boot_slot == DB_SLOT_NONE ? NULL :
					 db_slot_name(st->last_boot_slot));
	fprintf(f, ", \"last_boot_trial\": %s", st->last_boot_trial ? "true" : "false");
	fputs(", \"last_boot_time\": ", f);
	json_time(f, st->last_boot_time);
	fprintf(f, ", \"last_trial_failed\": %s", st->last_trial_failed ? "true" : "false");
	ctl_outcome_json(f, st);	/* last_trial_outcome, _detail, _at */
	fputs(", \"state_path\": ", f);
	ctl_json_string(f, path);
	/* issue 15: the test slot's isolation as the role of this boot implies it */
	fprintf(f, ", \"isolation_applies\": %s, \"isolation_why\": ",
			iso->role == DB_ISO_TEST ? "true" : "false");
	ctl_json_string(f, iso->why);
	fputs(", \"fingerprints\": [", f);
	for (int i = 0, k = 0; i < DB_FPRINT_LEN; i++)
	{
		const db_fprint_entry *e = &st->fprints[i];

		if (e->recorded_at == 0)
			continue;
		fprintf(f, "%s{\"slot\": ", k++ ? ", " : "");
		ctl_json_string(f, db_slot_name(e->slot));
		fputs(", \"database\": ", f);
		ctl_json_string(f, e->dbname);
		fputs(", \"fingerprint\": ", f);
		ctl_json_string(f, e->fprint);
		fputs(", \"recorded_at\": ", f);
		json_time(f, e->recorded_at);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/*
 * issue 15: the server's isolation of the test slot, as far as dualbootctl
 * can tell: it reads the role of this boot, not the server's
 * dualboot.trial_isolation (SELECT * FROM dualboot_isolation() does).
 */
static void
isolation_text(const db_isolation *iso)
{
	if (iso->role == DB_ISO_TEST)
		printf("isolation:     applies: %s; PostgreSQL admits only local clients and no "
			   "replication, unless its dualboot.trial_isolation = open (SELECT * FROM "
			   "dualboot_isolation() shows what is in force)\n", iso->why);
	else
		printf("isolation:     none: %s\n", iso->why);
}

static void
status_text(const db_state *st, const ctl_boot *b, const char *path,
			const db_isolation *iso)
{
	const db_history_entry *h = newest_entry(st);
	uint8_t		next = db_next_boot_slot(st);
	char		t[40];

	printf("state record:  %s\n", path);
	if (b->slot == DB_SLOT_NONE)
		printf("current slot:  unknown: %s\n", b->why);
	else
		printf("current slot:  %s (%s%s)\n", db_slot_name(b->slot),
			   b->slot == st->stable_slot ? "stable" : "test",
			   b->trial ? ", trial boot" : "");
	isolation_text(iso);
	printf("stable slot:   %s\n", db_slot_name(st->stable_slot));
	printf("test slot:     %s\n", db_slot_name(db_test_slot(st)));
	if (st->trial_armed && st->tries_left > 0)
		printf("next boot:     %s (trial of the test slot, %u of %u tries left)\n",
			   db_slot_name(next), st->tries_left, st->tries_total);
	else if (st->trial_armed)
		printf("next boot:     %s (stable: the trial has no tries left and will be "
			   "recorded as failed)\n", db_slot_name(next));
	else
		printf("next boot:     %s (stable)\n", db_slot_name(next));
	printf("trial armed:   %s\n", yes_no(st->trial_armed));
	printf("tries left:    %u of %u\n", st->tries_left, st->tries_total);
	printf("confirmed:     %s\n", yes_no(st->confirmed));
	ctl_outcome_text(stdout, st);
	printf("boot count:    %" PRIu64 "\n", st->boot_count);
	if (st->last_boot_slot != DB_SLOT_NONE)
		printf("last boot:     %s%s at %s\n", db_slot_name(st->last_boot_slot),
			   st->last_boot_trial ? " (trial)" : "",
			   fmt_time(st->last_boot_time, false, t, sizeof(t)) ?
			   t : "an unknown time");
	printf("sequence:      %" PRIu64 "\n", st->seq);
	printf("updated at:    %s\n",
		   fmt_time(st->updated_at, false, t, sizeof(t)) ? t : "unknown");
	if (h)
		printf("last event:    %s by %s%s%s%s%s%s\n", db_event_name(h->event), h->actor,
			   h->app[0] ? " (" : "", h->app, h->app[0] ? ")" : "",
			   h->reason[0] ? ": " : "", h->reason);
	for (int i = 0; i < DB_FPRINT_LEN; i++)
	{
		const db_fprint_entry *e = &st->fprints[i];

		if (e->recorded_at != 0)
			printf("fingerprint:   slot %s, database %s: %s (%s)\n", db_slot_name(e->slot),
				   e->dbname, e->fprint,
				   fmt_time(e->recorded_at, false, t, sizeof(t)) ? t : "unknown time");
	}
}

static int
cmd_status(ctl_env *env, const ctl_args *a)
{
	char		path[512];
	db_state	st;
	ctl_boot	b;
	db_isolation iso;
	int			rc;

	if ((rc = load_record(env, path, sizeof(path), &st)) != CTL_EXIT_OK)
		return rc;
	current_boot(env, &st, NULL, &b);
	(void) db_isolation_role(env->marker_path, &st, NULL, &iso);
	if (a->json)
		status_json(&st, &b, path, &iso);
	else
	{
		char		hpath[512];
		uint64_t	off;
		db_hint		h;
		db_error	err;

		status_text(&st, &b, path, &iso);
		/* the stable hint: what a boot without the record would choose */
		memset(&err, 0, sizeof(err));
		if (db_hint_path(&env->cfg, path, hpath, sizeof(hpath), &off, &err) != DB_OK ||
			db_hint_read(hpath, off, &h, &err) != DB_OK)
			printf("stable hint:   none: %s (run dualbootctl hint-sync as root)\n",
				   err.message);
		else if (h.stable_slot != st.stable_slot)
			printf("stable hint:   %s names %s, not the stable slot: run dualbootctl "
				   "hint-sync as root\n", hpath, db_slot_name(h.stable_slot));
		else
			printf("stable hint:   %s names %s (in step)\n", hpath,
				   db_slot_name(h.stable_slot));
	}
	return CTL_EXIT_OK;
}

static int
cmd_history(ctl_env *env, const ctl_args *a)
{
	char		path[512];
	db_state	st;
	const db_history_entry *e[DB_HISTORY_LEN];
	char		t[40];
	int			n;
	int			rc;

	if ((rc = load_record(env, path, sizeof(path), &st)) != CTL_EXIT_OK)
		return rc;
	n = db_history_newest_first(&st, e);
	if (a->json)
	{
		fputc('[', stdout);
		for (int i = 0; i < n; i++)
		{
			printf("%s{\"seq\": %" PRIu64 ", \"time\": ", i ? ",\n " : "", e[i]->seq);
			json_time(stdout, e[i]->time);
			fputs(", \"event\": ", stdout);
			ctl_json_string(stdout, db_event_name(e[i]->event));
			fputs(", \"slot\": ", stdout);
			json_str_or_null(stdout, e[i]->slot == DB_SLOT_NONE ? NULL :
							 db_slot_name(e[i]->slot));
			fputs(", \"stable_slot\": ", stdout);
			ctl_json_string(stdout, db_slot_name(e[i]->stable_slot));
			printf(", \"tries_left\": %u, \"actor\": ", e[i]->tries_left);
			ctl_json_string(stdout, e[i]->actor);
			fputs(", \"app\": ", stdout);
			json_str_or_null(stdout, e[i]->app[0] ? e[i]->app : NULL);
			fputs(", \"reason\": ", stdout);
			json_str_or_null(stdout, e[i]->reason[0] ? e[i]->reason : NULL);
			fputc('}', stdout);
		}
		fputs("]\n", stdout);
		return CTL_EXIT_OK;
	}
	printf("%6s  %-23s  %-18s  %-4s  %-6s  %-5s  %-20s  %s\n", "SEQ", "TIME",
		   "EVENT", "SLOT", "STABLE", "TRIES", "WHO", "REASON");
	for (int i = 0; i < n; i++)
	{
		char		who[DB_ACTOR_SIZE + DB_APP_SIZE + 4];

		snprintf(who, sizeof(who), "%s%s%s%s", e[i]->actor, e[i]->app[0] ? " (" : "",
				 e[i]->app, e[i]->app[0] ? ")" : "");
		printf("%6" PRIu64 "  %-23s  %-18s  %-4s  %-6s  %-5u  %-20s  %s\n", e[i]->seq,
			   fmt_time(e[i]->time, false, t, sizeof(t)) ? t : "-",
			   db_event_name(e[i]->event), db_slot_name(e[i]->slot),
			   db_slot_name(e[i]->stable_slot), e[i]->tries_left, who, e[i]->reason);
	}
	return CTL_EXIT_OK;
}

/* mark-test, confirm, failback, promote: one read-modify-write under the lock. */
static int
cmd_update(ctl_env *env, const char *name, const db_request *req)
{
	char		path[512];
	db_context	ctx;
	ctl_boot	b;
	db_error	err;
	db_state	st;
	db_request	r;
	bool		loaded;
	int			rc;

	if ((rc = ctl_state_path(env, path, sizeof(path))) != CTL_EXIT_OK)
		return rc;
	/* the slot from the record as it is now; db_update reads it again under the lock */
	memset(&err, 0, sizeof(err));
	if ((loaded = db_load(path, &st, &err) == DB_OK))
		current_boot(env, &st, NULL, &b);
	else
		current_boot(env, NULL, err.message, &b);
	make_context(&ctx, &b);
	r = *req;
	/* mark-test on stable: its stop point, as dualboot_mark_test() records it */
	if (r.event == DB_EV_MARK_TEST && loaded && b.slot != DB_SLOT_NONE &&
		b.slot == st.stable_slot)
		(void) ctl_mark_test_stop_point(&r);
	memset(&err, 0, sizeof(err));
	rc = db_update(path, &r, &ctx, &st, &err);
	if (rc != DB_OK)
	{
		ctl_err("%s%s: %s", name, rc == DB_REFUSED ? " refused" : "", err.message);
		if (rc == DB_REFUSED && b.slot == DB_SLOT_NONE && b.why[0])
			ctl_err("current slot unknown: %s", b.why);
		explain(env, rc, path);
		return ctl_exit_code(rc);
	}
	/* the record is written and decides; the hint follows (a warning if not) */
	(void) ctl_hint_sync(env, path, &st, false);
	switch (req->event)
	{
		case DB_EV_MARK_TEST:
			printf("trial armed: the next boot is test slot %s (%u tries); stable "
				   "slot %s boots once they run out (seq %" PRIu64 ")\n",
				   db_slot_name(db_test_slot(&st)), st.tries_total,
				   db_slot_name(st.stable_slot), st.seq);
			if (r.lsn != 0 && st.stop.how == DB_STOP_MARK_TEST && st.stop.lsn == r.lsn)
			{
				char		l[24];

				db_lsn_format(r.lsn, l, sizeof(l));
				printf("stop point: stable slot %s's WAL at %s (until its shutdown records "
					   "the final one)\n", db_slot_name(st.stable_slot), l);
			}
			break;
		case DB_EV_CONFIRM:
			printf("confirmed: the trial boot of slot %s is healthy; tries refilled "
				   "to %u (seq %" PRIu64 ")\n", db_slot_name(db_test_slot(&st)),
				   st.tries_left, st.seq);
			break;
		case DB_EV_FAILBACK:
			printf("failback: the next boot is stable slot %s (seq %" PRIu64 ")\n",
				   db_slot_name(st.stable_slot), st.seq);
			break;
		case DB_EV_PROMOTE:
			printf("promoted: slot %s is now stable; slot %s is the test slot "
				   "(stale until refreshed) (seq %" PRIu64 ")\n",
				   db_slot_name(st.stable_slot), db_slot_name(db_test_slot(&st)), st.seq);
			break;
		default:
			printf("%s done (seq %" PRIu64 ")\n", name, st.seq);
			break;
	}
	return CTL_EXIT_OK;
}

/*
 * require-test / require-stable: a guard for programs that are not SQL (a
 * shell restore drill, an application on SQLite). Exit 0 when this boot runs
 * on that role, 1 with a one-line reason otherwise (wrong role, unknown slot,
 * unreadable record: whatever does not prove the role), 2 on bad usage or a
 * configuration that names no record. Quiet on success.
 *
 * The rule is the one the SQL guards apply (db_current_slot): the marker
 * and the record's last boot must agree, so the caller must be able to read
 * the record. It is read without its lock (a reader never waits for, nor
 * holds up, a writer; the CRC rejects a copy being written).
 */
static int
cmd_require(ctl_env *env, const char *name, bool want_test)
{
	char		path[512];
	db_state	st;
	db_error	err;
	ctl_boot	b;
	int			rc;

	if ((rc = ctl_state_path(env, path, sizeof(path))) != CTL_EXIT_OK)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = db_load(path, &st, &err)) != DB_OK)
	{
		ctl_err("%s: refused: cannot read the state record, so the slot cannot be "
				"confirmed: %s%s", name, err.message,
				err.sys_errno == EACCES ? " (the caller must be able to read the record: "
				"see \"Who can read the record\" in dualbootctl(8))" : "");
		return CTL_EXIT_REFUSED;
	}
	current_boot(env, &st, NULL, &b);
	if (b.slot == DB_SLOT_NONE)
	{
		ctl_err("%s: refused: the current slot is unknown: %s", name, b.why);
		return CTL_EXIT_REFUSED;
	}
	if (want_test && b.slot == st.stable_slot)
	{
		ctl_err("%s: refused: this boot runs on the stable slot %s, not on the test "
				"slot %s (arm a trial with mark-test, reboot, and run it there)", name,
				db_slot_name(b.slot), db_slot_name(db_test_slot(&st)));
		return CTL_EXIT_REFUSED;
	}
	if (!want_test && b.slot != st.stable_slot)
	{
		ctl_err("%s: refused: this boot runs on the test slot %s, not on the stable "
				"slot %s (a rehearsal: production jobs run on the stable slot only)",
				name, db_slot_name(b.slot), db_slot_name(st.stable_slot));
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

static int
cmd_boot_select(ctl_env *env, const ctl_args *a)
{
	char		path[512];
	bool		have_path = false;
	db_boot_result res;

	if (env->state_opt)
	{
		if (ctl_state_path(env, path, sizeof(path)) != CTL_EXIT_OK)
			return CTL_EXIT_USAGE;
		have_path = true;
	}
	else
	{
		db_error	err;

		/* as at boot: no usable state device is not an error, it is "stable" */
		memset(&err, 0, sizeof(err));
		if (db_config_state_path(&env->cfg, path, sizeof(path), &err) == DB_OK)
			have_path = true;
		else
			ctl_err("boot-select: %s", err.message[0] ? err.message :
					"no state record configured");
	}
	memset(&res, 0, sizeof(res));
	db_boot_select_fw(&env->cfg, have_path ? path : NULL, env->marker_path,
					  (int64_t) time(NULL), (uint8_t) a->firmware_slot, &res);
	if (res.state_rc != DB_OK)
		ctl_err("boot-select: %s", res.state_error[0] ? res.state_error : "no record");
	db_boot_result_print(stdout, &res, false);
	if (fflush(stdout) != 0)
		return CTL_EXIT_USAGE;
	return CTL_EXIT_OK;
}

/* outcome, metrics (hook/dualbootctl_outcome.c, _metrics.c) */
static int
cmd_observe(ctl_env *env, bool metrics, bool json)
{
	char		path[512];
	db_state	st;
	ctl_boot	b;
	int			rc;

	rc = load_record(env, path, sizeof(path), &st);
	if (rc != CTL_EXIT_OK)
		return metrics ? (ctl_metrics_main(stdout, NULL, DB_SLOT_NONE, false), rc) : rc;
	current_boot(env, &st, NULL, &b);
	if (metrics)
		return ctl_metrics_main(stdout, &st, b.slot, b.trial);
	return ctl_outcome_main(stdout, &st, json);
}

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static int
load_config(ctl_env *env)
{
	db_error	err;
	const char *path = env->config_opt ? env->config_opt : CTL_DEFAULT_CONFIG;
	const char *cmdline = env->cmdline_path;
	int			rc;

	db_config_defaults(&env->cfg);
	snprintf(env->config_path, sizeof(env->config_path), "%s", path);
	memset(&err, 0, sizeof(err));
	rc = db_config_parse_file(&env->cfg, path, &err);
	if (rc == DB_OK)
		env->cfg_found = true;
	else if (rc == DB_ERR_NOT_FOUND && env->config_opt == NULL)
		db_config_defaults(&env->cfg);	/* no system config: defaults */
	else
	{
		ctl_err("%s", err.message);
		return CTL_EXIT_USAGE;
	}
	/* the kernel command line applies to the system configuration */
	if (cmdline == NULL && env->config_opt == NULL)
		cmdline = CTL_DEFAULT_CMDLINE;
	if (cmdline)
	{
		char		buf[4096];
		FILE	   *f = fopen(cmdline, "re");
		size_t		n;

		if (f == NULL)
		{
			if (env->cmdline_path)
			{
				ctl_err("--cmdline %s: %s", cmdline, strerror(errno));
				return CTL_EXIT_USAGE;
			}
			return CTL_EXIT_OK;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		memset(&err, 0, sizeof(err));
		if (db_config_apply_cmdline(&env->cfg, buf, &err) != DB_OK)
			ctl_err("warning: kernel command line %s: %s (ignored)", cmdline,
					err.message);
	}
	return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* argument parsing                                                    */

enum ctl_cmd
{
	C_NONE, C_INIT, C_STATUS, C_UPDATE, /* the table row names the event */
	C_HISTORY, C_BOOT_SELECT, C_EFI, C_HINT_SYNC, C_HELP, C_REQUIRE_TEST, C_REQUIRE_STABLE,
	C_PROVENANCE,				/* refresh, stop-point, provenance: hook/dualbootctl_refresh.c */
	C_REHEARSAL,				/* rehearsal export/import: hook/dualbootctl_rehearsal.c */
	C_OUTCOME, C_METRICS, C_JOURNAL
};

static const struct
{
	const char *name;
	enum ctl_cmd cmd;
	const char *opts;           /* accepted options, space separated */
	db_event	event;          /* life-cycle request, or DB_EV_NONE */
}			commands[] = {
	{"init", C_INIT, "--stable --force --reason", DB_EV_NONE},
	{"status", C_STATUS, "--json", DB_EV_NONE},
	{"mark-test", C_UPDATE, "--tries --reason", DB_EV_MARK_TEST},
	{"confirm", C_UPDATE, "--reason", DB_EV_CONFIRM},
	{"failback", C_UPDATE, "--reason", DB_EV_FAILBACK},
	{"promote", C_UPDATE, "--reason --discard-stable-writes", DB_EV_PROMOTE},
	{"refresh", C_PROVENANCE, NULL, DB_EV_NONE},
	{"stop-point", C_PROVENANCE, NULL, DB_EV_NONE},
	{"provenance", C_PROVENANCE, NULL, DB_EV_NONE},
	{"rehearsal", C_REHEARSAL, NULL, DB_EV_NONE},	/* its own arguments */
	{"history", C_HISTORY, "--json", DB_EV_NONE},
	{"boot-select", C_BOOT_SELECT, "--firmware-slot", DB_EV_NONE},
	{"require-test", C_REQUIRE_TEST, "", DB_EV_NONE},
	{"require-stable", C_REQUIRE_STABLE, "", DB_EV_NONE},
	{"efi", C_EFI, NULL, DB_EV_NONE},
	{"hint-sync", C_HINT_SYNC, "", DB_EV_NONE},
	{"outcome", C_OUTCOME, "--json", DB_EV_NONE},
	{"metrics", C_METRICS, "", DB_EV_NONE},
	{"journal", C_JOURNAL, NULL, DB_EV_NONE},	/* its own arguments */
	{"help", C_HELP, "", DB_EV_NONE},
};

/* Is the option (without "=value") in the space-separated list? */
static bool
opt_in(const char *list, const char *opt, size_t len)
{
	if (list == NULL)
		return false;
	for (const char *p = list; *p;)
	{
		size_t		n = strcspn(p, " ");

		if (n == len && strncmp(p, opt, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* arg[0..len) is exactly the option name */
static bool
is_opt(const char *arg, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(arg, name, len) == 0;
}

static bool
parse_tries(const char *s, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < -1000 || v > 1000)
		return false;
	*out = (int) v;
	return true;
}

int
main(int argc, char **argv)
{
	static const char *const takes_value =
		"--state --config --marker --cmdline --stable --tries --reason --firmware-slot";
	ctl_env		env;
	ctl_args	a;
	enum ctl_cmd cmd = C_NONE;
	const char *cmd_name = NULL;
	const char *cmd_opts = "";
	db_event	cmd_event = DB_EV_NONE;
	char	  **rest;
	int			nrest = 0;
	int			rc;
	db_request	req;

	memset(&env, 0, sizeof(env));
	memset(&a, 0, sizeof(a));
	a.stable = -1;
	a.tries = 3;
	a.firmware_slot = DB_SLOT_NONE;
	env.marker_path = CTL_DEFAULT_MARKER;
	rest = calloc((size_t) argc + 1, sizeof(char *));
	if (rest == NULL)
	{
		ctl_err("out of memory");
		return CTL_EXIT_USAGE;
	}

	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t		len = (arg[0] == '-' && eq) ? (size_t) (eq - arg) : strlen(arg);
		const char *val = NULL;
		bool		needs;

		if ((cmd == C_EFI || cmd == C_PROVENANCE || cmd == C_REHEARSAL || cmd == C_JOURNAL) &&
			!(arg[0] == '-' &&
							  opt_in("--state --config --cmdline", arg, len)))
		{
			rest[nrest++] = argv[i];
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		{
			usage(stdout);
			free(rest);
			return CTL_EXIT_OK;
		}
		if (strcmp(arg, "--version") == 0)
		{
			printf("dualbootctl %s (record format %d)\n", DUALBOOT_VERSION,
				   DB_FORMAT_VERSION);
			free(rest);
			return CTL_EXIT_OK;
		}
		if (arg[0] != '-')
		{
			if (cmd != C_NONE)
			{
				ctl_err("%s: unexpected argument \"%s\"", cmd_name, arg);
				goto bad_usage;
			}
			for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
				if (strcmp(arg, commands[c].name) == 0)
				{
					cmd = commands[c].cmd;
					cmd_name = commands[c].name;
					cmd_opts = commands[c].opts;
					cmd_event = commands[c].event;
					if (cmd == C_EFI || cmd == C_PROVENANCE || cmd == C_REHEARSAL ||
						cmd == C_JOURNAL)
						rest[nrest++] = argv[i];
				}
			if (cmd == C_NONE)
			{
				ctl_err("unknown command \"%s\"", arg);
				goto bad_usage;
			}
			continue;
		}
		needs = opt_in(takes_value, arg, len);
		if (!opt_in("--state --config --marker --cmdline", arg, len) &&
			!opt_in(cmd_opts, arg, len))
		{
			ctl_err("%s%s%.*s: unknown option", cmd_name ? cmd_name : "",
					cmd_name ? ": " : "", (int) len, arg);
			goto bad_usage;
		}
		if (needs)
		{
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
			{
				ctl_err("%.*s needs a value", (int) len, arg);
				goto bad_usage;
			}
		}
		else if (eq)
		{
			ctl_err("%.*s takes no value", (int) len, arg);
			goto bad_usage;
		}

		if (is_opt(arg, len, "--state"))
			env.state_opt = val;
		else if (is_opt(arg, len, "--config"))
			env.config_opt = val;
		else if (is_opt(arg, len, "--marker"))
			env.marker_path = val;
		else if (is_opt(arg, len, "--cmdline"))
			env.cmdline_path = val;
		else if (is_opt(arg, len, "--json"))
			a.json = true;
		else if (is_opt(arg, len, "--force"))
			a.force = true;
		else if (is_opt(arg, len, "--discard-stable-writes"))
			a.discard_stable_writes = true;
		else if (is_opt(arg, len, "--reason"))
			a.reason = val;
		else if (is_opt(arg, len, "--stable"))
		{
			if ((a.stable = db_slot_parse(val)) < 0)
			{
				ctl_err("--stable: \"%s\" is not a slot (A or B)", val);
				goto bad_usage;
			}
		}
		else if (is_opt(arg, len, "--firmware-slot"))
		{
			if ((a.firmware_slot = db_slot_parse(val)) < 0)
			{
				ctl_err("--firmware-slot: \"%s\" is not a slot (A or B)", val);
				goto bad_usage;
			}
		}
		else if (is_opt(arg, len, "--tries"))
		{
			if (!parse_tries(val, &a.tries))
			{
				ctl_err("--tries: \"%s\" is not a number (1 to %d)", val, DB_TRIES_MAX);
				goto bad_usage;
			}
		}
	}
	if (cmd == C_NONE)
	{
		ctl_err("no command given");
		goto bad_usage;
	}
	if (cmd == C_HELP)
	{
		usage(stdout);
		free(rest);
		return CTL_EXIT_OK;
	}
	if (env.marker_path[0] == '\0')
	{
		ctl_err("--marker: empty path");
		goto bad_usage;
	}
	if ((rc = load_config(&env)) != CTL_EXIT_OK)
	{
		free(rest);
		return rc;
	}

	memset(&req, 0, sizeof(req));
	req.event = cmd_event;
	req.reason = a.reason;
	req.tries = a.tries;        /* read by mark-test only */
	req.discard_stable_writes = a.discard_stable_writes;	/* promote only */
	switch (cmd)
	{
		case C_UPDATE:          /* mark-test, confirm, failback, promote */
			rc = cmd_update(&env, cmd_name, &req);
			break;
		case C_INIT:
			rc = cmd_init(&env, &a);
			break;
		case C_STATUS:
			rc = cmd_status(&env, &a);
			break;
		case C_HISTORY:
			rc = cmd_history(&env, &a);
			break;
		case C_BOOT_SELECT:
			rc = cmd_boot_select(&env, &a);
			break;
		case C_REQUIRE_TEST:
			rc = cmd_require(&env, cmd_name, true);
			break;
		case C_REQUIRE_STABLE:
			rc = cmd_require(&env, cmd_name, false);
			break;
		case C_EFI:
			rc = ctl_efi(&env, nrest, rest);
			break;
		case C_HINT_SYNC:
			rc = cmd_hint_sync(&env);
			break;
		case C_PROVENANCE:
			rc = ctl_provenance(&env, nrest, rest, dualbootctl_refresh_main);
			break;
		case C_REHEARSAL:
			rc = ctl_provenance(&env, nrest, rest, dualbootctl_rehearsal_main);
			break;
		case C_OUTCOME:
		case C_METRICS:
			rc = cmd_observe(&env, cmd == C_METRICS, a.json);
			break;
		case C_JOURNAL:
			rc = ctl_journal_main(nrest, rest);
			break;
		default:
			rc = CTL_EXIT_USAGE;
			break;
	}
	free(rest);
	if (fflush(stdout) != 0 && rc == CTL_EXIT_OK)
	{
		ctl_err("cannot write the output: %s", strerror(errno));
		rc = CTL_EXIT_USAGE;
	}
	return rc;

bad_usage:
	fputs("Try \"dualbootctl --help\".\n", stderr);
	free(rest);
	return CTL_EXIT_USAGE;
}
