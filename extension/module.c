/*
 * module.c - the dualboot extension's module: magic block, settings and the
 * registration of the transaction callbacks.
 *
 * Both path settings name files that decide which root partition the
 * machine boots, so they are PGC_SIGHUP + GUC_SUPERUSER_ONLY: only the server
 * configuration (postgresql.conf, ALTER SYSTEM by a superuser) sets them,
 * never a session, and only superusers can read them. dualboot.lock_timeout
 * (PGC_SUSET) bounds the wait for the record's lock at commit; a superuser
 * session may change it, for instance to wait longer in a maintenance job. The "dualboot" prefix
 * is reserved so that no session can invent dualboot.* placeholders once
 * the library is loaded (add dualboot to shared_preload_libraries to have
 * that from the start of every session).
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "dualboot.h"

PG_MODULE_MAGIC;

char	   *dualboot_state_path = NULL;
char	   *dualboot_boot_marker_path = NULL;
int			dualboot_lock_timeout = DUALBOOT_DEFAULT_LOCK_TIMEOUT;

void		_PG_init(void);

/* A path setting is empty (not configured) or absolute. */
static bool
check_absolute_path(char **newval, void **extra, GucSource source)
{
	(void) extra;
	(void) source;
	if (*newval == NULL || (*newval)[0] == '\0' || (*newval)[0] == '/')
		return true;
	GUC_check_errdetail("The path must be absolute (start with \"/\").");
	return false;
}

void
_PG_init(void)
{
	DefineCustomStringVariable("dualboot.state_path",
							   "Path of the dualboot boot state record.",
							   "A regular file of 8192 bytes created by \"dualbootctl init\" "
							   "on the partition both slots share, or the raw partition "
							   "itself. Symbolic links are refused.",
							   &dualboot_state_path,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   check_absolute_path, NULL, NULL);

	DefineCustomStringVariable("dualboot.boot_marker_path",
							   "Path of the boot marker left by the dualboot boot hook.",
							   "The marker tells which slot this boot runs; it is believed "
							   "only when its boot_id is the running kernel's.",
							   &dualboot_boot_marker_path,
							   DUALBOOT_DEFAULT_MARKER_PATH,
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   check_absolute_path, NULL, NULL);

	DefineCustomIntVariable("dualboot.lock_timeout",
							"Longest wait for the boot state record's lock at commit.",
							"A commit that made a dualboot request waits at most this "
							"long for another process to release the record's lock, then "
							"fails with SQLSTATE 55P03. 0 waits for ever. The wait can "
							"always be cancelled, and statement_timeout and lock_timeout "
							"bound it too.",
							&dualboot_lock_timeout,
							DUALBOOT_DEFAULT_LOCK_TIMEOUT,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	/* dualboot.trial_isolation; the connection hook when preloaded (isolation.c) */
	dualboot_isolation_init();

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("dualboot");
#else
	EmitWarningsOnPlaceholders("dualboot");
#endif

	RegisterXactCallback(dualboot_xact_callback, NULL);
	RegisterSubXactCallback(dualboot_subxact_callback, NULL);
}
