/*
 * dualbootctl_rehearsal.h - portable rehearsal certificates (issue 19):
 * `dualbootctl rehearsal export NAME` and `rehearsal import FILE`
 * (hook/dualbootctl_rehearsal.c, docs/fleet.md).
 */
#ifndef DUALBOOTCTL_REHEARSAL_H
#define DUALBOOTCTL_REHEARSAL_H

#include "dualbootctl_refresh.h"	/* ctl_prov_env */

/* The certificate's format version this build writes and reads. */
#define DB_CERT_VERSION 1

/*
 * argv[0] is "rehearsal", argv[1] the subcommand ("export" or "import"),
 * then its own arguments. Returns the exit status (0, 1 refused, 2 usage or
 * unreadable input).
 */
int			dualbootctl_rehearsal_main(const ctl_prov_env *env, int argc, char **argv);

#endif							/* DUALBOOTCTL_REHEARSAL_H */
