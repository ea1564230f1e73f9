/*
 * isolation.h - which role this boot has for the isolation of the test slot
 * during a trial (issue 15, docs/isolation.md).
 *
 * One rule, used by the extension (extension/isolation.c: refuse remote and
 * replication connections on the test slot) and by dualbootctl status (the
 * "isolation:" line and the "trial_isolation" JSON key).
 */
#ifndef DUALBOOT_ISOLATION_H
#define DUALBOOT_ISOLATION_H

#include "dbstate.h"

typedef enum db_iso_role
{
	DB_ISO_UNKNOWN = 0,			/* nothing tied to this boot says: not isolated */
	DB_ISO_STABLE,				/* this boot is the stable slot: never isolated */
	DB_ISO_TEST					/* this boot is the test slot: isolated */
} db_iso_role;

typedef struct db_isolation
{
	db_iso_role role;
	uint8_t		slot;			/* db_slot of this boot, DB_SLOT_NONE when unknown */
	bool		confirmed;		/* marker and record agree (db_current_slot) */
	char		why[1200];		/* one sentence: how the role was decided */
} db_isolation;

/*
 * The role of this boot for isolation. The trusted rule first
 * (db_current_slot: marker and record agree); when it cannot decide, the
 * record alone decides if its last boot is this kernel's boot (the selector
 * writes the record before it boots a slot, and never boots the test slot
 * when that write fails, so a record naming this boot is the selector's own
 * decision even when the marker is missing or disagrees). Otherwise the role
 * is unknown and the caller does not isolate: an unknown role must never
 * lock the stable slot's production clients out. st is the record or NULL
 * (st_error says why). Returns the role (also in iso->role).
 */
db_iso_role db_isolation_role(const char *marker_path, const db_state *st,
							  const char *st_error, db_isolation *iso);

const char *db_iso_role_name(db_iso_role role);

#endif							/* DUALBOOT_ISOLATION_H */
