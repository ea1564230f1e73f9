/*
 * dualbootctl_refresh.h - the test slot's provenance (issue 15):
 * `dualbootctl refresh`, `stop-point` and `provenance`
 * (hook/dualbootctl_refresh.c).
 */
#ifndef DUALBOOTCTL_REFRESH_H
#define DUALBOOTCTL_REFRESH_H

#include "dbstate.h"

/* What dualbootctl.c resolved for these commands. */
typedef struct ctl_prov_env
{
	const char *state_path;     /* the record */
	db_context	ctx;            /* current slot (NONE when unknown), actor, time */
	const char *why_unknown;    /* why the current slot is unknown, or "" */
} ctl_prov_env;

/* Exit status of these commands (dualbootctl(8)). */
#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* "dualbootctl: " and the message, one line on stderr. */
void		dualbootctl_err(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/*
 * argv[0] is the command ("refresh", "stop-point" or "provenance"), then its
 * own options. Returns the exit status (0, 1 refused, 2 usage/unreadable).
 */
int			dualbootctl_refresh_main(const ctl_prov_env *env, int argc, char **argv);

/*
 * mark-test on stable (dualbootctl.c): fill req->sysid and req->lsn with the
 * local cluster's system identifier and WAL insert position, as
 * dualboot_mark_test() does; false (with a note on stderr, req untouched)
 * when no PostgreSQL is reachable.
 */
bool		ctl_mark_test_stop_point(db_request *req);

/*
 * Helpers shared with the snapshot method (hook/dualbootctl_snapshot.c).
 * ctl_run: run argv (argv[0] an absolute path, no shell) as user (NULL: as
 * we are), stdout into out, stderr into errbuf (both NUL-terminated, cut at
 * their size); the exit status, or -1 when it could not run or was killed.
 * ctl_run_lines: the same with stdout given line by line to fn (out is the
 * line buffer).
 */
struct passwd;
typedef void (*line_fn) (void *arg, const char *line);
int			ctl_run(char *const argv[], const struct passwd *user, char *out, size_t size,
					char *errbuf, size_t errsize);
int			ctl_run_lines(char *const argv[], const struct passwd *user, line_fn fn, void *arg,
						  char *out, size_t size, char *errbuf, size_t errsize);
/* a PostgreSQL program: --bindir, Debian's versioned bin dir of pgdata, PATH */
bool		ctl_find_program(const char *name, const char *bindir, const char *pgdata,
							 char *out, size_t size);
/* "Key:   value" of pg_controldata's output, trimmed */
bool		ctl_control_value(const char *text, const char *key, char *out, size_t size);
bool		ctl_parse_u64(const char *s, uint64_t *v);
/* remove what dir holds (not dir itself, nor other file systems below it) */
bool		ctl_empty_dir(const char *dir);

#endif							/* DUALBOOTCTL_REFRESH_H */
