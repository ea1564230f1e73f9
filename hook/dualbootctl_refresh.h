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

#endif							/* DUALBOOTCTL_REFRESH_H */
