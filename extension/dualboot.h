/*
 * dualboot.h - shared declarations of the dualboot extension's C files.
 *
 * module.c owns the settings and the module's life (_PG_init); api.c owns
 * the SQL functions and the transactional intent queue whose transaction
 * callbacks module.c registers; isolation.c owns dualboot.trial_isolation,
 * the connection hook that isolates the test slot during a trial and
 * dualboot_isolation() (docs/isolation.md). The boot state record itself is
 * read and written only through the record library (lib/dbstate.h).
 */
#ifndef DUALBOOT_H
#define DUALBOOT_H

#include "postgres.h"

#include "access/xact.h"

/* Default of dualboot.boot_marker_path (DESIGN section 7). */
#define DUALBOOT_DEFAULT_MARKER_PATH "/run/dualboot/booted"

/* Default of dualboot.lock_timeout, in milliseconds. */
#define DUALBOOT_DEFAULT_LOCK_TIMEOUT 10000

/* Settings (PGC_SIGHUP, GUC_SUPERUSER_ONLY), defined in module.c. */
extern char *dualboot_state_path;
extern char *dualboot_boot_marker_path;
/* dualboot.lock_timeout (PGC_SUSET), milliseconds, 0 = no limit */
extern int	dualboot_lock_timeout;

/* Transaction callbacks of the intent queue (api.c). */
extern void dualboot_xact_callback(XactEvent event, void *arg);
extern void dualboot_subxact_callback(SubXactEvent event,
									  SubTransactionId mySubid,
									  SubTransactionId parentSubid,
									  void *arg);

/*
 * The record, read to decide the slot of this boot (api.c): st when it could
 * be read, else NULL with *st_error saying why (its text may live in err).
 */
struct db_state;
struct db_error;
extern const struct db_state *dualboot_boot_record(struct db_state *st,
												   struct db_error *err,
												   const char **st_error);

/* dualboot.trial_isolation and the connection hook (isolation.c), from _PG_init. */
extern void dualboot_isolation_init(void);

/* ---- shared by api.c and safety.c (issue 15) ---- */
#include "fmgr.h"
#include "dbstate.h"

/* What this backend knows about the running boot. */
typedef struct DualbootBoot
{
	uint8		slot;			/* DB_SLOT_NONE when not believed */
	char		boot_id[DB_BOOTID_SIZE];	/* the kernel's, "" if unreadable */
	char		why[1024];		/* why the slot is unknown */
} DualbootBoot;

extern void current_boot(DualbootBoot *b);
extern const char *state_path(void);
extern db_state *load_record(const char *path);
extern void require_known_slot(const DualbootBoot *b, const char *function);
extern const char *shown(const char *s);
extern Datum status_datum(FunctionCallInfo fcinfo, const db_state *st,
						  const DualbootBoot *b);
extern db_state *queue_request(const db_request *req, const DualbootBoot *b,
							   const char *function);

/* The tables behind the stop point's changed relations, or NULL (safety.c). */
extern char *dualboot_changed_tables(const db_state *st);

/* Rehearsal replay checks at commit (safety.c). */
extern void dualboot_rehearsal_pre_commit(void);
extern void dualboot_rehearsal_pre_prepare(void);
extern void dualboot_rehearsal_reset(void);

#endif							/* DUALBOOT_H */
