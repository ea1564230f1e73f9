/*
 * dualbootctl_refresh.c - the test slot's provenance and stable's stop point
 * (issue 15; docs/state-format.md section 16, README "Safe promotion"):
 *
 *   refresh --pgdata DIR [--reason TEXT] [--force] [--source CONNINFO]
 *           [--user NAME] [--bindir DIR]
 *       as root on the stable slot: copy the running stable cluster into DIR
 *       (the test slot's data directory, mounted) with pg_basebackup, and
 *       record the test slot's provenance: stable's system identifier and
 *       the backup's end LSN.
 *   stop-point --pgdata DIR [--bindir DIR]
 *       after stable's cluster at DIR shut down cleanly (the
 *       dualboot-stop-point unit, at shutdown): where its WAL stands (the
 *       shutdown checkpoint) and what it changed since the test slot's copy,
 *       read from its WAL with pg_waldump. Does nothing unless a trial is
 *       armed and this is the stable slot.
 *   provenance [--json]
 *       print both slots' provenance, the stop point and the rehearsals.
 *
 * The external programs run with execv (no shell), as the cluster's owner.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbstate.h"
#include "dualbootctl_refresh.h"
#include "dualbootctl_snapshot.h"

/* err_: dualbootctl_err (dualbootctl_refresh.h), shared with hook/dualbootctl_rehearsal.c */
#define err_ dualbootctl_err

void
dualbootctl_err(const char *fmt,...)
{
	va_list		ap;

	fputs("dualbootctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- running programs ---- */

/*
 * Run argv (argv[0] an absolute path) as user (NULL: as we are), stdout into
 * out (NUL-terminated, cut at size), stderr into errbuf. Returns the exit
 * status, or -1 when it could not run or was killed.
 */
/*
 * The same with stdout given line by line to fn (lines longer than 8 KiB are
 * cut), for outputs of any length (pg_waldump).
 */
int
ctl_run_lines(char *const argv[], const struct passwd *user, line_fn fn, void *arg,
		  char *out, size_t size, char *errbuf, size_t errsize)
{
	int			po[2],
				pe[2];
	pid_t		pid;
	int			status;
	size_t		n = 0,
				ne = 0;

	if (pipe(po) != 0 || pipe(pe) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
	{
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (user)
		{
			if (setgroups(0, NULL) != 0 && geteuid() == 0)
				_exit(126);
			if (setgid(user->pw_gid) != 0 || setuid(user->pw_uid) != 0)
				_exit(126);
			setenv("HOME", user->pw_dir, 1);
			setenv("USER", user->pw_name, 1);
			setenv("LOGNAME", user->pw_name, 1);
			if (chdir("/") != 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* read both pipes until both are closed */
	{
		bool		open_o = true,
					open_e = true;

		while (open_o || open_e)
		{
			fd_set		rs;
			char		buf[4096];
			ssize_t		r;

			FD_ZERO(&rs);
			if (open_o)
				FD_SET(po[0], &rs);
			if (open_e)
				FD_SET(pe[0], &rs);
			if (select((po[0] > pe[0] ? po[0] : pe[0]) + 1, &rs, NULL, NULL, NULL) < 0)
			{
				if (errno == EINTR)
					continue;
				break;
			}
			if (open_o && FD_ISSET(po[0], &rs))
			{
				r = read(po[0], buf, sizeof(buf));
				if (r <= 0)
					open_o = false;
				else if (fn)
				{
					for (ssize_t i = 0; i < r; i++)
					{
						if (buf[i] == '\n' || n + 1 >= size)
						{
							out[n] = '\0';
							fn(arg, out);
							n = 0;
							if (buf[i] == '\n')
								continue;
						}
						out[n++] = buf[i];
					}
				}
				else if (out && n + 1 < size)
				{
					size_t		k = (size_t) r < size - 1 - n ? (size_t) r : size - 1 - n;

					memcpy(out + n, buf, k);
					n += k;
				}
			}
			if (open_e && FD_ISSET(pe[0], &rs))
			{
				r = read(pe[0], buf, sizeof(buf));
				if (r <= 0)
					open_e = false;
				else if (errbuf && ne + 1 < errsize)
				{
					size_t		k = (size_t) r < errsize - 1 - ne ? (size_t) r : errsize - 1 - ne;

					memcpy(errbuf + ne, buf, k);
					ne += k;
				}
			}
		}
	}
	close(po[0]);
	close(pe[0]);
	if (out && size)
		out[n] = '\0';
	if (fn && n > 0)
		fn(arg, out);
	if (errbuf && errsize)
		errbuf[ne] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
ctl_run(char *const argv[], const struct passwd *user, char *out, size_t size,
	char *errbuf, size_t errsize)
{
	return ctl_run_lines(argv, user, NULL, NULL, out, size, errbuf, errsize);
}

/* Where a PostgreSQL program is: --bindir, Debian's versioned bin dir, PATH. */
bool
ctl_find_program(const char *name, const char *bindir, const char *pgdata, char *out, size_t size)
{
	char		ver[32] = "";
	const char *path;

	if (bindir)
	{
		snprintf(out, size, "%s/%s", bindir, name);
		return access(out, X_OK) == 0;
	}
	if (pgdata)
	{
		char		vf[PATH_MAX];
		FILE	   *f;

		snprintf(vf, sizeof(vf), "%s/PG_VERSION", pgdata);
		if ((f = fopen(vf, "r")) != NULL)
		{
			if (fgets(ver, sizeof(ver), f) == NULL)
				ver[0] = '\0';
			fclose(f);
			ver[strcspn(ver, "\n")] = '\0';
		}
		if (ver[0])
		{
			snprintf(out, size, "/usr/lib/postgresql/%s/bin/%s", ver, name);
			if (access(out, X_OK) == 0)
				return true;
		}
	}
	path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	for (const char *p = path; *p;)
	{
		size_t		len = strcspn(p, ":");

		snprintf(out, size, "%.*s/%s", (int) len, p, name);
		if (len && access(out, X_OK) == 0)
			return true;
		p += len;
		if (*p == ':')
			p++;
	}
	return false;
}

/* "Key:   value" line of pg_controldata output, value trimmed */
bool
ctl_control_value(const char *text, const char *key, char *out, size_t size)
{
	size_t		klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
	{
		if (strncmp(l, key, klen) == 0 && l[klen] == ':')
		{
			const char *v = l + klen + 1;
			size_t		n;

			while (*v == ' ' || *v == '\t')
				v++;
			n = strcspn(v, "\n");
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\r'))
				n--;
			snprintf(out, size, "%.*s", (int) n, v);
			return true;
		}
	}
	return false;
}

bool
ctl_parse_u64(const char *s, uint64_t *v)
{
	char	   *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return s[0] && *end == '\0' && errno == 0;
}

/* ---- options ---- */

typedef struct opts
{
	const char *pgdata;
	const char *reason;
	const char *source;
	const char *user;
	const char *bindir;
	const char *method;
	bool		force;
	bool		json;
} opts;

static int
parse_opts(int argc, char **argv, const char *allowed, opts *o)
{
	memset(o, 0, sizeof(*o));
	o->source = "";
	o->user = "postgres";
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t		len = eq ? (size_t) (eq - a) : strlen(a);
		const char *val = NULL;
		char		name[32];
		bool		needs;

		snprintf(name, sizeof(name), "%.*s", (int) (len < 31 ? len : 31), a);
		if (a[0] != '-' || strstr(allowed, name) == NULL || len < 3 ||
			(allowed[strstr(allowed, name) - allowed + len] != ' ' &&
			 allowed[strstr(allowed, name) - allowed + len] != '\0'))
		{
			err_("%s: unknown %s \"%s\"", argv[0], a[0] == '-' ? "option" : "argument", a);
			return EXIT_USAGE;
		}
		needs = strcmp(name, "--force") != 0 && strcmp(name, "--json") != 0;
		if (needs)
		{
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
			{
				err_("%s: %s needs a value", argv[0], name);
				return EXIT_USAGE;
			}
		}
		else if (eq)
		{
			err_("%s: %s takes no value", argv[0], name);
			return EXIT_USAGE;
		}
		if (strcmp(name, "--pgdata") == 0)
			o->pgdata = val;
		else if (strcmp(name, "--reason") == 0)
			o->reason = val;
		else if (strcmp(name, "--source") == 0)
			o->source = val;
		else if (strcmp(name, "--user") == 0)
			o->user = val;
		else if (strcmp(name, "--bindir") == 0)
			o->bindir = val;
		else if (strcmp(name, "--method") == 0)
			o->method = val;
		else if (strcmp(name, "--force") == 0)
			o->force = true;
		else if (strcmp(name, "--json") == 0)
			o->json = true;
	}
	return EXIT_OK;
}

/* ---- refresh ---- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	if (ftw->level == 0)
		return 0;				/* DIR itself stays (often a mount point) */
	return remove(path) == 0 ? 0 : -1;
}

bool
ctl_empty_dir(const char *dir)
{
	return nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0;
}

static bool
dir_empty(const char *dir, bool *lost_found_only)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	bool		empty = true;

	*lost_found_only = false;
	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL)
	{
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strcmp(e->d_name, "lost+found") == 0)
		{
			*lost_found_only = empty;
			continue;
		}
		empty = false;
		*lost_found_only = false;
	}
	closedir(d);
	return empty;
}

/* one path inside (or equal to) the other */
static bool
nested(const char *a, const char *b)
{
	size_t		la = strlen(a),
				lb = strlen(b);
	size_t		n = la < lb ? la : lb;

	return strncmp(a, b, n) == 0 && (la == lb || (la > lb ? a[n] : b[n]) == '/' ||
									 n == 1);
}

/* the backup's end LSN: "End-LSN" of DIR/backup_manifest's WAL-Ranges */
static bool
manifest_end_lsn(const char *dir, uint64_t *lsn)
{
	char		path[PATH_MAX];
	char	   *buf;
	FILE	   *f;
	long		size;
	char	   *p;
	bool		found = false;

	snprintf(path, sizeof(path), "%.4000s/backup_manifest", dir);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		(buf = malloc((size_t) size + 1)) == NULL)
	{
		fclose(f);
		return false;
	}
	size = (long) fread(buf, 1, (size_t) size, f);
	buf[size] = '\0';
	fclose(f);
	/* the last WAL range's end (one range unless the timeline changed) */
	for (p = strstr(buf, "\"End-LSN\""); p; p = strstr(p + 1, "\"End-LSN\""))
	{
		char		val[40];
		const char *q = strchr(p + 9, '"');
		const char *e = q ? strchr(q + 1, '"') : NULL;

		if (q && e && e - q - 1 < (long) sizeof(val))
		{
			snprintf(val, sizeof(val), "%.*s", (int) (e - q - 1), q + 1);
			found = db_lsn_parse(val, lsn);
		}
	}
	free(buf);
	return found;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the provenance into the record, and the line that says so */
static int
record_refresh(const ctl_prov_env *env, const opts *o, db_state *st, uint64_t sysid,
			   uint64_t lsn, db_copy_method method, const char *dir, const char *how,
			   double t0)
{
	db_error	err;
	db_request	r;
	char		lsn_text[24];
	int			rc;

	memset(&r, 0, sizeof(r));
	r.event = DB_EV_REFRESH;
	r.sysid = sysid;
	r.lsn = lsn;
	r.copy_method = (uint8_t) method;
	r.reason = o->reason;
	memset(&err, 0, sizeof(err));
	if ((rc = db_update(env->state_path, &r, &env->ctx, st, &err)) != DB_OK)
	{
		err_("refresh: the copy is in %s but its provenance was not recorded: %s",
			 dir, err.message);
		return rc == DB_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
	}
	db_lsn_format(lsn, lsn_text, sizeof(lsn_text));
	printf("refreshed: test slot %s = copy of stable slot %s (system identifier %" PRIu64
		   ", WAL %s) in %s by %s, %.1f s (seq %" PRIu64 ")\n",
		   db_slot_name(db_test_slot(st)), db_slot_name(st->stable_slot), sysid,
		   lsn_text, dir, how, now_s() - t0, st->seq);
	return EXIT_OK;
}

/*
 * The copy as a thin snapshot of stable's data volume (hook/dualbootctl_
 * snapshot.c): a checkpoint first (less WAL for the copy to replay), the
 * snapshot in place of the test slot's volume, and the copy's WAL end as
 * the provenance's position.
 */
static int
refresh_by_snapshot(const ctl_prov_env *env, const opts *o, const snap_plan *plan,
					const struct passwd *pw, const char *conn, uint64_t sysid,
					const char *dir, db_state *st)
{
	char		psql[PATH_MAX],
				errb[4096],
				out[1024],
				e[2048],
				how[600];
	double		t0 = now_s();
	uint64_t	lsn;
	int			rc;

	if (!ctl_find_program("psql", o->bindir, NULL, psql, sizeof(psql)))
	{
		err_("refresh: psql not found (--bindir DIR)");
		return EXIT_USAGE;
	}
	{
		char	   *argv[] = {psql, "-XAtq", "-d", (char *) conn, "-c", "CHECKPOINT", NULL};

		rc = ctl_run(argv, pw, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0)
	{
		err_("refresh refused: CHECKPOINT on the running stable cluster failed (exit %d): %s",
			 rc, errb);
		return EXIT_REFUSED;
	}
	if (!snap_take(plan, e, sizeof(e)))
	{
		err_("refresh failed: %s", e);
		return EXIT_REFUSED;
	}
	if (!snap_prepare_copy(dir, o->bindir, sysid, &lsn, e, sizeof(e)))
	{
		err_("refresh failed: the snapshot is %s/%s, but: %s; its provenance was not "
			 "recorded", plan->vg, plan->target, e);
		return EXIT_REFUSED;
	}
	snprintf(how, sizeof(how), "LVM thin snapshot %s/%s of %s/%s", plan->vg, plan->target,
			 plan->vg, plan->origin);
	return record_refresh(env, o, st, sysid, lsn, DB_COPY_THIN_SNAPSHOT, dir, how, t0);
}

static int
cmd_refresh(const ctl_prov_env *env, const opts *o)
{
	struct stat sb;
	struct passwd *pw;
	char		real_dir[PATH_MAX],
				real_src[PATH_MAX];
	char		psql[PATH_MAX],
				basebackup[PATH_MAX],
				controldata[PATH_MAX];
	char		out[8192],
				errb[8192];
	char		src_dir[PATH_MAX];
	char		conn[1024];
	uint64_t	src_sysid,
				copy_sysid,
				lsn;
	char		v[128];
	db_state	st;
	db_error	err;
	bool		lf;
	double		t0;
	int			rc;
	snap_plan	plan;
	char		why[1024] = "";
	bool		snap = false;
	const char *method = o->method ? o->method : "auto";

	if (o->pgdata == NULL || o->pgdata[0] == '\0')
	{
		err_("refresh: --pgdata DIR is required (the test slot's data directory, mounted)");
		return EXIT_USAGE;
	}
	if (strcmp(method, "auto") != 0 && strcmp(method, "snapshot") != 0 &&
		strcmp(method, "basebackup") != 0)
	{
		err_("refresh: --method is auto, snapshot or basebackup, not \"%s\"", method);
		return EXIT_USAGE;
	}
	if (geteuid() != 0)
	{
		err_("refresh refused: it runs as root (it copies a cluster into another "
			 "slot's file system and writes the record)");
		return EXIT_REFUSED;
	}
	memset(&err, 0, sizeof(err));
	if (db_load(env->state_path, &st, &err) != DB_OK)
	{
		err_("refresh: state record %s: %s", env->state_path, err.message);
		return EXIT_USAGE;
	}
	if (env->ctx.current_slot != st.stable_slot)
	{
		if (env->ctx.current_slot == DB_SLOT_NONE)
			err_("refresh refused: the current slot is unknown (%s); refresh runs on "
				 "the stable slot %s", env->why_unknown, db_slot_name(st.stable_slot));
		else
			err_("refresh refused: this is slot %s, the test slot; refresh runs on the "
				 "stable slot %s and copies its running cluster into the test slot",
				 db_slot_name(env->ctx.current_slot), db_slot_name(st.stable_slot));
		return EXIT_REFUSED;
	}
	if (lstat(o->pgdata, &sb) != 0)
	{
		err_("refresh refused: %s: %s (mount the test slot's file system and create "
			 "the data directory)", o->pgdata, strerror(errno));
		return EXIT_REFUSED;
	}
	if (S_ISLNK(sb.st_mode))
	{
		err_("refresh refused: %s is a symbolic link; name the directory itself", o->pgdata);
		return EXIT_REFUSED;
	}
	if (!S_ISDIR(sb.st_mode))
	{
		err_("refresh refused: %s is not a directory", o->pgdata);
		return EXIT_REFUSED;
	}
	if (realpath(o->pgdata, real_dir) == NULL)
	{
		err_("refresh: %s: %s", o->pgdata, strerror(errno));
		return EXIT_USAGE;
	}
	if ((pw = getpwnam(o->user)) == NULL)
	{
		err_("refresh: no user \"%s\" (the cluster's owner; --user NAME)", o->user);
		return EXIT_USAGE;
	}
	/* ask the running stable cluster where it lives and who it is */
	if (!ctl_find_program("psql", o->bindir, NULL, psql, sizeof(psql)) ||
		!ctl_find_program("pg_basebackup", o->bindir, NULL, basebackup, sizeof(basebackup)))
	{
		err_("refresh: psql and pg_basebackup not found (install postgresql-client, or "
			 "--bindir DIR)");
		return EXIT_USAGE;
	}
	snprintf(conn, sizeof(conn), "%s%sdbname=postgres", o->source,
			 o->source[0] ? " " : "");
	{
		char	   *argv[] = {psql, "-XAtq", "-F", " ", "-d", conn, "-c",
			"SELECT current_setting('data_directory'), system_identifier "
		"FROM pg_control_system()", NULL};

		rc = ctl_run(argv, pw, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0 || sscanf(out, "%4095s %127s", src_dir, v) != 2 || !ctl_parse_u64(v, &src_sysid))
	{
		err_("refresh refused: cannot ask the running stable cluster (psql \"%s\" as %s, "
			 "exit %d): %s", conn, o->user, rc, errb[0] ? errb : out);
		return EXIT_REFUSED;
	}
	if (realpath(src_dir, real_src) == NULL)
		snprintf(real_src, sizeof(real_src), "%s", src_dir);
	if (nested(real_dir, real_src))
	{
		err_("refresh refused: %s is %s the running cluster's own data directory %s",
			 o->pgdata, strcmp(real_dir, real_src) == 0 ? "" : "inside or around", real_src);
		return EXIT_REFUSED;
	}
	/* the method: a thin snapshot where the volumes allow it */
	if (strcmp(method, "basebackup") != 0)
	{
		snap = snap_plan_make(real_src, real_dir, &plan, why, sizeof(why));
		if (!snap && strcmp(method, "snapshot") == 0)
		{
			err_("refresh refused: --method snapshot: %s", why);
			return EXIT_REFUSED;
		}
	}
	if (!dir_empty(real_dir, &lf) && !o->force)
	{
		if (snap)
			err_("refresh refused: %s is not empty (a data directory from an earlier "
				 "copy?); --force replaces the volume %s/%s, which holds only it, by the "
				 "snapshot", o->pgdata, plan.vg, plan.target);
		else
			err_("refresh refused: %s is not empty (a data directory from an earlier "
				 "copy?); --force removes its contents first", o->pgdata);
		return EXIT_REFUSED;
	}
	(void) lf;
	if (snap)
		return refresh_by_snapshot(env, o, &plan, pw, conn, src_sysid, real_dir, &st);
	if (strcmp(method, "auto") == 0)
		printf("refresh: by pg_basebackup (no thin snapshot: %s)\n", why);
	if (!ctl_empty_dir(real_dir))
	{
		err_("refresh: cannot empty %s: %s", o->pgdata, strerror(errno));
		return EXIT_USAGE;
	}
	if (chown(real_dir, pw->pw_uid, pw->pw_gid) != 0 || chmod(real_dir, 0700) != 0)
	{
		err_("refresh: %s: %s", o->pgdata, strerror(errno));
		return EXIT_USAGE;
	}
	t0 = now_s();
	{
		char	   *argv[] = {basebackup, "-D", real_dir, "-d", conn, "-X", "stream",
			"-c", "fast", "-w", NULL};

		rc = ctl_run(argv, pw, NULL, 0, errb, sizeof(errb));
	}
	if (rc != 0)
	{
		err_("refresh failed: pg_basebackup exited with %d: %s", rc, errb);
		return EXIT_REFUSED;
	}
	if (!manifest_end_lsn(real_dir, &lsn))
	{
		err_("refresh failed: no End-LSN in %s/backup_manifest (pg_basebackup 13 or "
			 "later writes it)", real_dir);
		return EXIT_REFUSED;
	}
	if (!ctl_find_program("pg_controldata", o->bindir, real_dir, controldata, sizeof(controldata)))
	{
		err_("refresh: pg_controldata not found (--bindir DIR)");
		return EXIT_USAGE;
	}
	{
		char	   *argv[] = {controldata, real_dir, NULL};

		rc = ctl_run(argv, NULL, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0 || !ctl_control_value(out, "Database system identifier", v, sizeof(v)) ||
		!ctl_parse_u64(v, &copy_sysid) || copy_sysid != src_sysid)
	{
		err_("refresh failed: the copy's system identifier (%s) is not the source's "
			 "(%" PRIu64 ")", rc == 0 ? v : errb, src_sysid);
		return EXIT_REFUSED;
	}
	return record_refresh(env, o, &st, src_sysid, lsn, DB_COPY_BASEBACKUP, real_dir,
						  "pg_basebackup", t0);
}

/* ---- mark-test's stop point (hook of dualbootctl.c's mark-test) ---- */

bool
ctl_mark_test_stop_point(db_request *req)
{
	struct passwd *pw = NULL;
	char		psql[PATH_MAX],
				out[512],
				errb[1024],
				v[64],
				l[64];
	int			rc;

	/*
	 * Where stable's WAL stands as it arms, as dualboot_mark_test() records
	 * it (the insert position): from the local cluster that libpq's
	 * defaults reach (PGHOST, PGPORT, ...), as postgres when run as root.
	 */
	if (geteuid() == 0 && (pw = getpwnam("postgres")) == NULL)
	{
		err_("mark-test: no stop point recorded: no user postgres");
		return false;
	}
	if (!ctl_find_program("psql", NULL, NULL, psql, sizeof(psql)))
	{
		err_("mark-test: no stop point recorded: psql is not installed");
		return false;
	}
	if (getenv("PGCONNECT_TIMEOUT") == NULL)
		setenv("PGCONNECT_TIMEOUT", "5", 1);
	{
		char	   *argv[] = {psql, "-XAtq", "-F", " ", "-d", "dbname=postgres", "-c",
			"SELECT system_identifier, pg_current_wal_insert_lsn() FROM pg_control_system()",
		NULL};

		rc = ctl_run(argv, pw, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0 || sscanf(out, "%63s %63s", v, l) != 2 || !ctl_parse_u64(v, &req->sysid) ||
		!db_lsn_parse(l, &req->lsn))
	{
		req->sysid = 0;
		req->lsn = 0;
		errb[strcspn(errb, "\n")] = '\0';
		err_("mark-test: no stop point recorded (no local PostgreSQL reachable with "
			 "libpq's defaults: %s); stable's shutdown records it "
			 "(dualboot-stop-point.service)", errb[0] ? errb : out);
		return false;
	}
	return true;
}

/* ---- stop-point: what stable's WAL changed since the copy ---- */

/*
 * Does a pg_waldump record change data? Heap INSERT/UPDATE/HOT_UPDATE/
 * DELETE/TRUNCATE/CONFIRM, Heap2 MULTI_INSERT, Sequence LOG, Database
 * CREATE/DROP. Not: XLOG (checkpoints, FPI_FOR_HINT, switches), Transaction,
 * Standby, CLOG, MultiXact, RelMap, Storage, Heap LOCK/INPLACE, Heap2
 * PRUNE/VACUUM/FREEZE_PAGE/VISIBLE/LOCK_UPDATED/NEW_CID/REWRITE, index
 * records (they follow a heap change, or vacuum), and any change of the
 * statistics catalogs pg_statistic (2619) and pg_statistic_ext_data (3429)
 * or of their TOAST tables (2840, 3430: ANALYZE of wide columns stores its
 * statistics there), which ANALYZE and autovacuum write. These are the
 * catalogs' fixed relfilenodes; after a VACUUM FULL of them their changes
 * count again (a refusal, never a missed write).
 */
static bool
data_change(const char *rmgr, const char *op, const char *rel)
{
	static const char *const heap_ops[] = {"INSERT", "UPDATE", "HOT_UPDATE", "DELETE",
	"TRUNCATE", "CONFIRM"};
	bool		yes = false;

	if (strcmp(rmgr, "Heap") == 0)
	{
		for (size_t i = 0; i < sizeof(heap_ops) / sizeof(heap_ops[0]); i++)
			yes |= strcmp(op, heap_ops[i]) == 0;
	}
	else if (strcmp(rmgr, "Heap2") == 0)
		yes = strcmp(op, "MULTI_INSERT") == 0;
	else if (strcmp(rmgr, "Sequence") == 0)
		yes = strcmp(op, "LOG") == 0;
	else if (strcmp(rmgr, "Database") == 0)
		yes = strncmp(op, "CREATE", 6) == 0 || strcmp(op, "DROP") == 0;
	if (yes && rel)
	{
		static const char *const stats[] = {"/2619", "/3429", "/2840", "/3430"};
		const char *r = strrchr(rel, '/');

		for (size_t i = 0; r && i < sizeof(stats) / sizeof(stats[0]); i++)
			if (strcmp(r, stats[i]) == 0)
				yes = false;
	}
	return yes;
}

typedef struct wal_count
{
	uint64_t	stop;			/* count records before this LSN */
	bool		reached;		/* the record at stop was read */
	uint32_t	records;
	uint64_t	first;
	char		rels[DB_RELS_SIZE];
	bool		rels_full;
} wal_count;

static void
add_rel(wal_count *c, const char *rel)
{
	char		item[80];
	size_t		n = strlen(c->rels);

	if (rel == NULL || c->rels_full)
		return;
	snprintf(item, sizeof(item), " %s ", rel);
	{
		char		padded[DB_RELS_SIZE + 2];

		snprintf(padded, sizeof(padded), " %s ", c->rels);
		if (strstr(padded, item))
			return;
	}
	if (n + strlen(rel) + (n ? 1 : 0) + 4 >= DB_RELS_SIZE)
	{
		if (n + 4 < DB_RELS_SIZE)
			strcat(c->rels, " \xe2\x80\xa6");	/* … */
		c->rels_full = true;
		return;
	}
	if (n)
		strcat(c->rels, " ");
	strcat(c->rels, rel);
}

/*
 * One pg_waldump line: "rmgr: Heap len (rec/tot): ..., tx: N, lsn: X/Y,
 * prev X/Y, desc: INSERT off 2 ..., blkref #0: rel 1663/5/16384 blk 0".
 * The relation is given as "dboid/relfilenode".
 */
static void
count_line(void *arg, const char *line)
{
	wal_count  *c = arg;
	char		rmgr[32],
				op[40],
				lsn_s[32],
				relbuf[64];
	const char *p;
	const char *rel = NULL;
	uint64_t	lsn = 0;

	if (sscanf(line, "rmgr: %31s", rmgr) != 1)
		return;
	if ((p = strstr(line, "desc: ")) == NULL || sscanf(p + 6, "%39[A-Z_0-9+]", op) != 1)
		return;
	op[strcspn(op, "+")] = '\0';	/* INSERT+INIT */
	if ((p = strstr(line, "lsn: ")) == NULL || sscanf(p + 5, "%31[0-9A-Fa-f/]", lsn_s) != 1 ||
		!db_lsn_parse(lsn_s, &lsn))
		return;
	if (lsn >= c->stop)
	{
		c->reached = true;
		return;
	}
	if ((p = strstr(line, " rel ")) != NULL)
	{
		unsigned	ts,
					db,
					rn;

		if (sscanf(p + 5, "%u/%u/%u", &ts, &db, &rn) == 3)
		{
			snprintf(relbuf, sizeof(relbuf), "%u/%u", db, rn);
			rel = relbuf;
		}
	}
	if (!data_change(rmgr, op, rel))
		return;
	if (c->records == 0)
		c->first = lsn;
	c->records++;
	add_rel(c, rel);
}

static int
cmd_stop_point(const ctl_prov_env *env, const opts *o)
{
	char		controldata[PATH_MAX],
				waldump[PATH_MAX];
	char		out[8192],
				errb[4096];
	char		v[128],
				state_s[128],
				tli_s[16];
	char		lsn_text[24],
				copy_text[24];
	uint64_t	sysid;
	db_stop_point sp;
	db_state	st;
	db_error	err;
	db_request	req;
	const db_provenance *prov;
	int			rc;

	if (o->pgdata == NULL || o->pgdata[0] == '\0')
	{
		err_("stop-point: --pgdata DIR is required (stable's data directory)");
		return EXIT_USAGE;
	}
	memset(&err, 0, sizeof(err));
	if (db_load(env->state_path, &st, &err) != DB_OK)
	{
		err_("stop-point: state record %s: %s", env->state_path, err.message);
		return EXIT_USAGE;
	}
	if (!st.trial_armed)
	{
		printf("stop-point: no trial is armed: nothing recorded\n");
		return EXIT_OK;
	}
	if (env->ctx.current_slot != st.stable_slot)
	{
		printf("stop-point: this is not the stable slot %s (current: %s): nothing "
			   "recorded\n", db_slot_name(st.stable_slot),
			   db_slot_name(env->ctx.current_slot));
		return EXIT_OK;
	}
	if (!ctl_find_program("pg_controldata", o->bindir, o->pgdata, controldata, sizeof(controldata)))
	{
		err_("stop-point: pg_controldata not found (--bindir DIR)");
		return EXIT_USAGE;
	}
	{
		char	   *argv[] = {controldata, (char *) o->pgdata, NULL};

		rc = ctl_run(argv, NULL, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0 || !ctl_control_value(out, "Database cluster state", state_s, sizeof(state_s)) ||
		!ctl_control_value(out, "Database system identifier", v, sizeof(v)) ||
		!ctl_parse_u64(v, &sysid) ||
		!ctl_control_value(out, "Latest checkpoint location", v, sizeof(v)) ||
		!ctl_control_value(out, "Latest checkpoint's TimeLineID", tli_s, sizeof(tli_s)))
	{
		err_("stop-point: pg_controldata %s failed (exit %d): %s", o->pgdata, rc, errb);
		return EXIT_USAGE;
	}
	if (strcmp(state_s, "shut down") != 0)
	{
		err_("stop-point refused: the cluster at %s is not cleanly shut down (state: "
			 "\"%s\"); nothing recorded, so promoting the test slot will be refused "
			 "unless overridden", o->pgdata, state_s);
		return EXIT_REFUSED;
	}
	memset(&sp, 0, sizeof(sp));
	sp.how = DB_STOP_SHUTDOWN;
	sp.sysid = sysid;
	if (!db_lsn_parse(v, &sp.lsn))
	{
		err_("stop-point: pg_controldata printed a checkpoint location \"%s\"", v);
		return EXIT_USAGE;
	}
	prov = &st.provenance[db_test_slot(&st)];
	sp.analysis = DB_WAL_NOT_ANALYSED;
	if (prov->known && prov->sysid == sysid && prov->lsn <= sp.lsn)
	{
		wal_count	c;
		char		walpath[PATH_MAX],
					start[24],
					end[24];
		char		line[8192];

		memset(&c, 0, sizeof(c));
		sp.copy_lsn = prov->lsn;
		db_lsn_format(prov->lsn, start, sizeof(start));
		db_lsn_format(sp.lsn, end, sizeof(end));
		snprintf(walpath, sizeof(walpath), "%s/pg_wal", o->pgdata);
		if (!ctl_find_program("pg_waldump", o->bindir, o->pgdata, waldump, sizeof(waldump)))
		{
			err_("stop-point: pg_waldump not found (--bindir DIR)");
			return EXIT_USAGE;
		}
		if (prov->lsn == sp.lsn)
			sp.analysis = DB_WAL_ANALYSED;
		else
		{
			/*
			 * No -e: pg_waldump reads to the end of the WAL (and exits 1
			 * there, at the zeros after the shutdown checkpoint); the
			 * range is complete when the checkpoint record itself was read.
			 * (With -e at the checkpoint, pg_waldump 15 fails when the
			 * checkpoint starts a segment.)
			 */
			char	   *argv[] = {waldump, "-p", walpath, "-t", tli_s, "-s", start, NULL};

			(void) end;
			c.stop = sp.lsn;
			rc = ctl_run_lines(argv, NULL, count_line, &c, line, sizeof(line), errb, sizeof(errb));
			if (c.reached)
			{
				sp.analysis = DB_WAL_ANALYSED;
				sp.data_records = c.records;
				sp.first_change = c.first;
				memcpy(sp.rels, c.rels, sizeof(sp.rels));
			}
			else if (strstr(errb, "could not find file") || strstr(errb, "could not open file") ||
					 strstr(errb, "No such file"))
				sp.analysis = DB_WAL_MISSING;
			else
			{
				err_("stop-point: pg_waldump failed (exit %d): %s", rc, errb);
				return EXIT_USAGE;
			}
		}
	}
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_STOP_POINT;
	req.stop = &sp;
	req.reason = "clean shutdown";
	memset(&err, 0, sizeof(err));
	if ((rc = db_update(env->state_path, &req, &env->ctx, &st, &err)) != DB_OK)
	{
		err_("stop-point: %s", err.message);
		return rc == DB_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
	}
	db_lsn_format(sp.lsn, lsn_text, sizeof(lsn_text));
	db_lsn_format(sp.copy_lsn, copy_text, sizeof(copy_text));
	if (sp.analysis == DB_WAL_ANALYSED)
		printf("stop point: stable %s shut down at WAL %s; %u data-changing record%s since "
			   "the test slot's copy (WAL %s)%s%s\n", db_slot_name(st.stable_slot), lsn_text,
			   sp.data_records, sp.data_records == 1 ? "" : "s", copy_text,
			   sp.rels[0] ? ": " : "", sp.rels);
	else
		printf("stop point: stable %s shut down at WAL %s; %s\n",
			   db_slot_name(st.stable_slot), lsn_text,
			   sp.analysis == DB_WAL_MISSING ? "the WAL since the copy is gone: not analysed" :
			   "the test slot is not a copy of this cluster's known WAL: not analysed");
	return EXIT_OK;
}

/* ---- provenance: show it ---- */

static const char *
when(int64_t t, char *buf, size_t size)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
json_text(const char *s, size_t size)
{
	putchar('"');
	if (db_text_valid(s, size))
		for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else
				putchar(*p);
		}
	putchar('"');
}

/* db_provenance.method in words: JSON's name, and the text's "by ..." */
static const char *
method_name(uint8_t m, bool json)
{
	switch (m)
	{
		case DB_COPY_BASEBACKUP:
			return json ? "pg_basebackup" : "by pg_basebackup";
		case DB_COPY_THIN_SNAPSHOT:
			return json ? "lvm-thin-snapshot" : "by LVM thin snapshot";
		default:
			return json ? "unknown" : "(method not recorded)";
	}
}

static int
cmd_provenance(const ctl_prov_env *env, const opts *o)
{
	static const char *const hows[] = {"none", "mark_test", "shutdown"};
	static const char *const analyses[] = {"not analysed", "analysed", "WAL missing"};
	db_state	st;
	db_error	err;
	char		a[24],
				b[24],
				t[32];
	int			n = 0;

	memset(&err, 0, sizeof(err));
	if (db_load(env->state_path, &st, &err) != DB_OK)
	{
		err_("provenance: state record %s: %s", env->state_path, err.message);
		return EXIT_USAGE;
	}
	if (o->json)
	{
		printf("{\"provenance\": {");
		for (int s = 0; s < 2; s++)
		{
			const db_provenance *p = &st.provenance[s];

			db_lsn_format(p->lsn, a, sizeof(a));
			printf("%s\"%s\": ", s ? ", " : "", db_slot_name((uint8_t) s));
			if (!p->known)
				printf("null");
			else
				printf("{\"system_identifier\": \"%" PRIu64 "\", \"lsn\": \"%s\", "
					   "\"time\": \"%s\", \"source_slot\": \"%s\", \"method\": \"%s\"}",
					   p->sysid, a, when(p->time, t, sizeof(t)), db_slot_name(p->source_slot),
					   method_name(p->method, true));
		}
		db_lsn_format(st.stop.lsn, a, sizeof(a));
		db_lsn_format(st.stop.copy_lsn, b, sizeof(b));
		printf("}, \"stop_point\": ");
		if (st.stop.how == DB_STOP_NONE || st.stop.how > DB_STOP_SHUTDOWN ||
			st.stop.analysis > DB_WAL_MISSING)
			printf("null");
		else
		{
			printf("{\"how\": \"%s\", \"lsn\": \"%s\", \"time\": \"%s\", \"analysis\": \"%s\", "
				   "\"copy_lsn\": \"%s\", \"data_records\": %u, \"relations\": ",
				   hows[st.stop.how], a, when(st.stop.time, t, sizeof(t)),
				   analyses[st.stop.analysis], b, st.stop.data_records);
			json_text(st.stop.rels, sizeof(st.stop.rels));
			printf("}");
		}
		printf(", \"promotion\": ");
		json_text(db_promote_check(&st, &err) == DB_OK ? "allowed" : err.message,
				  sizeof(err.message));
		printf(", \"rehearsals\": [");
		for (int i = 0; i < DB_REHEARSAL_LEN; i++)
		{
			const db_rehearsal *r = &st.rehearsals[i];

			if (r->state == DB_RH_UNUSED || !db_text_valid(r->name, sizeof(r->name)))
				continue;
			printf("%s{\"name\": ", n++ ? ", " : "");
			json_text(r->name, sizeof(r->name));
			printf(", \"database\": ");
			json_text(r->dbname, sizeof(r->dbname));
			printf(", \"state\": \"%s\", \"fingerprint_before\": ",
				   r->state == DB_RH_COMPLETED ? "completed" : "begun");
			json_text(r->fp_before, sizeof(r->fp_before));
			printf(", \"fingerprint_after\": ");
			json_text(r->fp_after, sizeof(r->fp_after));
			/* origin and major: issue 19 (0 = unknown, as older builds wrote) */
			printf(", \"slot\": \"%s\", \"origin\": \"%s\", \"server_major\": ",
				   db_slot_name(r->slot), r->origin == DB_RH_ORIGIN_IMPORTED ? "imported" :
				   r->origin == DB_RH_ORIGIN_LOCAL ? "local" : "unknown");
			if (r->major)
				printf("%d}", r->major);
			else
				printf("null}");
		}
		printf("]}\n");
		return EXIT_OK;
	}
	for (int s = 0; s < 2; s++)
	{
		const db_provenance *p = &st.provenance[s];

		db_lsn_format(p->lsn, a, sizeof(a));
		if (p->known)
			printf("slot %s (%s): copy of cluster %" PRIu64 " at WAL %s, taken %s on slot %s "
				   "%s\n", db_slot_name((uint8_t) s), s == st.stable_slot ? "stable" : "test",
				   p->sysid, a, when(p->time, t, sizeof(t)), db_slot_name(p->source_slot),
				   method_name(p->method, false));
		else
			printf("slot %s (%s): provenance unknown\n", db_slot_name((uint8_t) s),
				   s == st.stable_slot ? "stable" : "test");
	}
	db_lsn_format(st.stop.lsn, a, sizeof(a));
	if (st.stop.how == DB_STOP_NONE || st.stop.how > DB_STOP_SHUTDOWN ||
		st.stop.analysis > DB_WAL_MISSING)
		printf("stop point: none in this trial\n");
	else
		printf("stop point: %s at WAL %s (%s), %s, %u data-changing record%s%s%s\n",
			   hows[st.stop.how], a, when(st.stop.time, t, sizeof(t)),
			   analyses[st.stop.analysis], st.stop.data_records,
			   st.stop.data_records == 1 ? "" : "s",
			   st.stop.rels[0] && db_text_valid(st.stop.rels, DB_RELS_SIZE) ? ": " : "",
			   st.stop.rels[0] && db_text_valid(st.stop.rels, DB_RELS_SIZE) ? st.stop.rels : "");
	if (db_promote_check(&st, &err) == DB_OK)
		printf("promotion of test slot %s: allowed (no data change on stable since its copy)\n",
			   db_slot_name(db_test_slot(&st)));
	else
		printf("promotion of test slot %s: refused: %s\n", db_slot_name(db_test_slot(&st)),
			   err.message);
	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
	{
		const db_rehearsal *r = &st.rehearsals[i];

		if (r->state == DB_RH_UNUSED || !db_text_valid(r->name, sizeof(r->name)) ||
			!db_text_valid(r->dbname, sizeof(r->dbname)) ||
			!db_text_valid(r->fp_before, sizeof(r->fp_before)) ||
			!db_text_valid(r->fp_after, sizeof(r->fp_after)))
			continue;
		printf("rehearsal \"%s\" (database %s, slot %s%s): %s, %s -> %s\n", r->name, r->dbname,
			   db_slot_name(r->slot), r->origin == DB_RH_ORIGIN_IMPORTED ?
			   " of another machine, imported" : "",
			   r->state == DB_RH_COMPLETED ? "completed" : "begun",
			   r->fp_before, r->fp_after[0] ? r->fp_after : "?");
	}
	return EXIT_OK;
}

int
dualbootctl_refresh_main(const ctl_prov_env *env, int argc, char **argv)
{
	opts		o;
	int			rc;

	if (strcmp(argv[0], "refresh") == 0)
	{
		if ((rc = parse_opts(argc, argv, "--pgdata --reason --force --source --user --bindir --method",
							 &o)) != EXIT_OK)
			return rc;
		return cmd_refresh(env, &o);
	}
	if (strcmp(argv[0], "stop-point") == 0)
	{
		if ((rc = parse_opts(argc, argv, "--pgdata --bindir", &o)) != EXIT_OK)
			return rc;
		return cmd_stop_point(env, &o);
	}
	if ((rc = parse_opts(argc, argv, "--json", &o)) != EXIT_OK)
		return rc;
	return cmd_provenance(env, &o);
}
