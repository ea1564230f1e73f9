/*
 * test_isolation.c - db_isolation_role (lib/isolation.c): the role of this
 * boot for the isolation of the test slot during a trial (issue 15,
 * docs/isolation.md). Marker and record agree: their role; otherwise the
 * record alone when its last boot is this kernel's boot; otherwise unknown
 * (never isolated).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "isolation.h"

#define NOW		1764000000
#define OTHER_ID	"00000000-0000-4000-8000-000000000000"

static void
marker_of(const char *path, uint8_t slot, uint8_t stable, const char *boot_id)
{
	db_marker	m;
	db_error	err;

	memset(&m, 0, sizeof(m));
	m.slot = slot;
	m.stable_slot = stable;
	m.trial = slot != stable;
	m.seq = 2;
	db_copy_text(m.boot_id, sizeof(m.boot_id), boot_id);
	if (db_marker_write(path, &m, &err) != DB_OK)
		tap_diag("marker_of: %s", err.message);
}

static void
check(const char *name, const char *marker, const db_state *st, db_iso_role want,
	  uint8_t want_slot, bool want_confirmed, const char *why_has)
{
	db_isolation iso;
	db_iso_role role = db_isolation_role(marker, st, "cannot read it", &iso);

	if (!tap_ok(role == want && iso.role == want && iso.slot == want_slot &&
				iso.confirmed == want_confirmed && strstr(iso.why, why_has) != NULL,
				"isolation role: %s -> %s", name, db_iso_role_name(want)))
		tap_diag("got %s, slot %s, confirmed %d, why: %s", db_iso_role_name(role),
				 db_slot_name(iso.slot), iso.confirmed, iso.why);
}

void
test_isolation(void)
{
	char		boot_id[DB_BOOTID_SIZE];
	const char *marker = tmp_path("iso-booted");
	const char *none = tmp_path("iso-no-marker");
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_state	st;
	db_state	trial;
	db_state	stable;

	if (db_kernel_boot_id(boot_id, sizeof(boot_id), NULL) != DB_OK)
	{
		tap_skip("no /proc/sys/kernel/random/boot_id", "isolation role");
		return;
	}
	db_state_init(&st, DB_SLOT_A, &c, NULL);
	stable = st;
	stable.last_boot_slot = DB_SLOT_A;
	db_copy_text(stable.last_boot_id, sizeof(stable.last_boot_id), boot_id);
	trial = stable;
	trial.last_boot_slot = DB_SLOT_B;
	trial.last_boot_trial = 1;

	tap_ok(strcmp(db_iso_role_name(DB_ISO_TEST), "test") == 0 &&
		   strcmp(db_iso_role_name(DB_ISO_STABLE), "stable") == 0 &&
		   strcmp(db_iso_role_name(DB_ISO_UNKNOWN), "unknown") == 0,
		   "isolation role names");

	/* the trusted rule: marker and record agree */
	marker_of(marker, DB_SLOT_B, DB_SLOT_A, boot_id);
	check("trial of B, marker and record agree", marker, &trial, DB_ISO_TEST, DB_SLOT_B,
		  true, "this boot runs slot B, the test slot (the boot marker and the state record agree)");
	marker_of(marker, DB_SLOT_A, DB_SLOT_A, boot_id);
	check("stable A, marker and record agree", marker, &stable, DB_ISO_STABLE, DB_SLOT_A,
		  true, "slot A, the stable slot");

	/* after a promotion of B: the marker still says role=test (boot time), the
	 * record names B stable: stable, never isolated */
	{
		db_state	promoted = trial;

		promoted.stable_slot = DB_SLOT_B;
		marker_of(marker, DB_SLOT_B, DB_SLOT_A, boot_id);
		check("B promoted during its trial boot", marker, &promoted, DB_ISO_STABLE,
			  DB_SLOT_B, true, "slot B, the stable slot");
	}

	/* the marker lost or disagreeing: the record of this boot decides */
	check("trial of B, no marker", none, &trial, DB_ISO_TEST, DB_SLOT_B, false,
		  "the state record says this boot runs slot B, the test slot; the boot marker "
		  "does not confirm it (there is no boot marker");
	check("stable A, no marker", none, &stable, DB_ISO_STABLE, DB_SLOT_A, false,
		  "the state record says this boot runs slot A, the stable slot");
	check("no marker path, record of this boot: test", "", &trial, DB_ISO_TEST, DB_SLOT_B,
		  false, "no boot marker path");
	marker_of(marker, DB_SLOT_A, DB_SLOT_A, boot_id);
	check("marker says A (edited), record says this boot is B", marker, &trial,
		  DB_ISO_TEST, DB_SLOT_B, false, "says slot A, but the state record says");
	marker_of(marker, DB_SLOT_B, DB_SLOT_A, boot_id);
	check("marker says B (edited), record says this boot is A", marker, &stable,
		  DB_ISO_STABLE, DB_SLOT_A, false, "says slot B, but the state record says");
	marker_of(marker, DB_SLOT_B, DB_SLOT_A, OTHER_ID);
	check("stale marker, record of this boot: test", marker, &trial, DB_ISO_TEST,
		  DB_SLOT_B, false, "earlier boot");

	/* nothing tied to this boot: unknown, never isolated */
	marker_of(marker, DB_SLOT_B, DB_SLOT_A, boot_id);
	check("marker says test, record unreadable", marker, NULL, DB_ISO_UNKNOWN,
		  DB_SLOT_NONE, false, "the slot of this boot is unknown (the boot marker says "
		  "slot B, but the state record cannot be read to confirm it: cannot read it)");
	check("marker says test, record shows no boot since init", marker, &st,
		  DB_ISO_UNKNOWN, DB_SLOT_NONE, false, "no boot through the hook");
	{
		db_state	other = trial;

		db_copy_text(other.last_boot_id, sizeof(other.last_boot_id), OTHER_ID);
		check("marker says test, record's last boot is another boot", marker, &other,
			  DB_ISO_UNKNOWN, DB_SLOT_NONE, false, "last boot is another one");
		check("no marker, record's last boot is another boot", none, &other,
			  DB_ISO_UNKNOWN, DB_SLOT_NONE, false, "no boot marker");
	}
	check("no marker, no record", none, NULL, DB_ISO_UNKNOWN, DB_SLOT_NONE, false,
		  "the slot of this boot is unknown");
}
