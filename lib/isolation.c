/*
 * isolation.c - the role of this boot for the isolation of the test slot
 * during a trial (lib/isolation.h, docs/isolation.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include "isolation.h"

const char *
db_iso_role_name(db_iso_role role)
{
	switch (role)
	{
		case DB_ISO_STABLE:
			return "stable";
		case DB_ISO_TEST:
			return "test";
		default:
			return "unknown";
	}
}

db_iso_role
db_isolation_role(const char *marker_path, const db_state *st, const char *st_error,
				  db_isolation *iso)
{
	db_current	cur;

	memset(iso, 0, sizeof(*iso));
	iso->slot = DB_SLOT_NONE;
	if (db_current_slot(marker_path, st, st_error, &cur) == DB_OK && st != NULL)
	{
		iso->slot = cur.slot;
		iso->confirmed = true;
		iso->role = cur.slot == st->stable_slot ? DB_ISO_STABLE : DB_ISO_TEST;
		snprintf(iso->why, sizeof(iso->why),
				 "this boot runs slot %s, the %s slot (the boot marker and the state "
				 "record agree)", db_slot_name(cur.slot), db_iso_role_name(iso->role));
		return iso->role;
	}
	/* the marker does not confirm it: the selector's record alone, for this boot */
	if (st != NULL && cur.boot_id[0] != '\0' && st->last_boot_id[0] != '\0' &&
		strcmp(st->last_boot_id, cur.boot_id) == 0 &&
		(st->last_boot_slot == DB_SLOT_A || st->last_boot_slot == DB_SLOT_B))
	{
		iso->slot = st->last_boot_slot;
		iso->role = st->last_boot_slot == st->stable_slot ? DB_ISO_STABLE : DB_ISO_TEST;
		snprintf(iso->why, sizeof(iso->why),
				 "the state record says this boot runs slot %s, the %s slot; the boot "
				 "marker does not confirm it (%s)", db_slot_name(st->last_boot_slot),
				 db_iso_role_name(iso->role), cur.why);
		return iso->role;
	}
	iso->role = DB_ISO_UNKNOWN;
	snprintf(iso->why, sizeof(iso->why), "the slot of this boot is unknown (%s)", cur.why);
	return iso->role;
}
