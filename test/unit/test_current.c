/*
 * test_current.c - db_current_slot: the slot this boot runs on is believed
 * only when the boot marker (slot, boot_id = the kernel's) and the record's
 * last boot (last_boot_slot, last_boot_id) agree (issue 11 item 6).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define NOW		1764000000
#define OTHER_ID	"00000000-0000-4000-8000-000000000000"

static void
marker_with(const char *path, uint8_t slot, const char *boot_id)
{
	db_marker	m;
	db_error	err;

	memset(&m, 0, sizeof(m));
	m.slot = slot;
	m.stable_slot = DB_SLOT_A;
	m.seq = 2;
	db_copy_text(m.boot_id, sizeof(m.boot_id), boot_id);
	if (db_marker_write(path, &m, &err) != DB_OK)
		tap_diag("marker_with: %s", err.message);
}

static void
check(const char *name, const char *marker, const db_state *st, uint8_t want,
	  const char *why_has)
{
	db_current	cur;
	int			rc = db_current_slot(marker, st, "cannot read it", &cur);

	if (!tap_ok(cur.slot == want && (rc == DB_OK) == (want != DB_SLOT_NONE) &&
				(why_has == NULL ? cur.why[0] == '\0' : strstr(cur.why, why_has) != NULL),
				"current slot: %s", name))
		tap_diag("got slot %s (rc %d), why: %s", db_slot_name(cur.slot), rc, cur.why);
}

void
test_current(void)
{
	char		boot_id[DB_BOOTID_SIZE];
	const char *marker = tmp_path("booted");
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_state	st;
	db_state	booted;

	if (db_kernel_boot_id(boot_id, sizeof(boot_id), NULL) != DB_OK)
	{
		tap_skip("no /proc/sys/kernel/random/boot_id", "current slot");
		return;
	}
	db_state_init(&st, DB_SLOT_A, &c, NULL);
	booted = st;
	booted.last_boot_slot = DB_SLOT_A;
	db_copy_text(booted.last_boot_id, sizeof(booted.last_boot_id), boot_id);

	check("no marker", marker, &booted, DB_SLOT_NONE, "no boot marker");
	marker_with(marker, DB_SLOT_A, boot_id);
	check("marker and record agree", marker, &booted, DB_SLOT_A, NULL);
	check("no marker path", "", &booted, DB_SLOT_NONE, "no boot marker path");
	check("record unreadable", marker, NULL, DB_SLOT_NONE, "cannot read it");
	check("record shows no boot since init", marker, &st, DB_SLOT_NONE, "no boot");

	/* the marker's slot edited, boot_id kept */
	marker_with(marker, DB_SLOT_B, boot_id);
	check("marker slot edited (B, record says A)", marker, &booted, DB_SLOT_NONE,
		  "says slot B, but the state record says this boot");

	/* a stale marker, even with a record that agrees on the slot */
	marker_with(marker, DB_SLOT_A, OTHER_ID);
	check("stale marker", marker, &booted, DB_SLOT_NONE, "earlier boot");

	/* the record's last boot is another boot (an older record restored) */
	marker_with(marker, DB_SLOT_A, boot_id);
	db_copy_text(booted.last_boot_id, sizeof(booted.last_boot_id), OTHER_ID);
	check("record's last boot is another boot", marker, &booted, DB_SLOT_NONE,
		  "last boot is another one");

	/* the trial flag comes from the record */
	db_copy_text(booted.last_boot_id, sizeof(booted.last_boot_id), boot_id);
	booted.last_boot_slot = DB_SLOT_B;
	booted.last_boot_trial = 1;
	marker_with(marker, DB_SLOT_B, boot_id);
	{
		db_current	cur;

		tap_ok(db_current_slot(marker, &booted, NULL, &cur) == DB_OK &&
			   cur.slot == DB_SLOT_B && cur.trial,
			   "current slot: a trial boot of B, marker and record agree");
	}
}
