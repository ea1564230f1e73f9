/*
 * test_bootsel.c - db_boot_select end to end on real files: slot devices
 * present or missing (plain paths and an unresolvable LABEL=), the decrement
 * persisted before boot, the marker it leaves, a confirm driven by that
 * marker as dualbootctl and the extension do it, and db_boot_select_fw with
 * the slot whose UEFI entry the firmware booted.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW		1764000000

static db_config cfg;
static char root_a[PATH_MAX],
			root_b[PATH_MAX];

static db_boot_result
select_boot(const char *state, const char *marker)
{
	db_boot_result res;

	db_boot_select(&cfg, state, marker, NOW, &res);
	return res;
}

static int
update(const char *state, db_event ev, int tries, uint8_t slot, const char *boot_id)
{
	db_request	req = {.event = ev, .tries = tries};
	db_context	c = ctx_make(slot, boot_id, NOW);
	db_error	err;

	return db_update(state, &req, &c, NULL, &err);
}

void
test_bootsel(void)
{
	const char *state = tmp_path("state");
	const char *marker = tmp_path("booted");
	const char *ra = tmp_path("root-a");
	const char *rb = tmp_path("root-b");
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_error	err;
	db_state	st;
	db_marker	m;
	db_boot_result res;
	char		kernel_id[DB_BOOTID_SIZE] = "";
	uint8_t		byte = 0;

	file_write(ra, &byte, 1, 0600);
	file_write(rb, &byte, 1, 0600);
	if (realpath(ra, root_a) == NULL || realpath(rb, root_b) == NULL)
		tap_ok(false, "realpath of the slot devices");
	db_config_defaults(&cfg);
	db_config_set(&cfg, "slot_a", ra, &err);
	db_config_set(&cfg, "slot_b", rb, &err);
	(void) db_kernel_boot_id(kernel_id, sizeof(kernel_id), NULL);
	tap_ok(db_create(state, DB_SLOT_A, &c, NULL, false, &err) == DB_OK, "create a record");

	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_A && !res.dec.trial && res.dec.write &&
		   res.state_rc == DB_OK && strcmp(res.root_device, root_a) == 0 &&
		   db_load(state, &st, &err) == DB_OK && st.seq == 2 && st.boot_count == 1 &&
		   st.last_boot_slot == DB_SLOT_A,
		   "idle record: boots stable A on slot_a's device; the boot is recorded");
	tap_ok(db_marker_read(marker, &m, &err) == DB_OK && m.slot == DB_SLOT_A &&
		   m.stable_slot == DB_SLOT_A && !m.trial && m.seq == st.seq && m.boot_count == 1 &&
		   strcmp(m.boot_id, kernel_id) == 0,
		   "the marker names slot A, stable, the record's sequence and the kernel's boot_id");

	tap_is_int(update(state, DB_EV_MARK_TEST, 2, m.slot, m.boot_id), DB_OK, "mark_test 2 on A");
	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && strcmp(res.root_device, root_b) == 0 &&
		   db_load(state, &st, &err) == DB_OK && st.tries_left == 1 && st.last_boot_trial &&
		   db_marker_read(marker, &m, &err) == DB_OK && m.slot == DB_SLOT_B && m.trial &&
		   m.tries_left == 1 && m.seq == st.seq,
		   "armed: trial boot of B on slot_b's device, tries 2 -> 1 written before boot");
	{
		static uint8_t b0[DB_RECORD_SIZE],
					b1[DB_RECORD_SIZE];

		file_read(state, b0, sizeof(b0));
		tap_ok(update(state, DB_EV_CONFIRM, 0, DB_SLOT_A, m.boot_id) == DB_REFUSED &&
			   file_read(state, b1, sizeof(b1)) == sizeof(b1) &&
			   memcmp(b0, b1, sizeof(b0)) == 0,
			   "confirm claiming to run on A is refused and writes nothing");
		tap_ok(update(state, DB_EV_MARK_TEST, 9, m.slot, m.boot_id) == DB_ERR_ARG &&
			   file_read(state, b1, sizeof(b1)) == sizeof(b1) &&
			   memcmp(b0, b1, sizeof(b0)) == 0,
			   "mark_test with 9 tries is refused and writes nothing");
	}
	tap_is_int(update(state, DB_EV_CONFIRM, 0, m.slot, m.boot_id), DB_OK,
			   "confirm from the marker's slot and boot_id is accepted");
	tap_ok(db_load(state, &st, &err) == DB_OK && st.confirmed && st.tries_left == 2,
		   "confirm refilled the tries");

	/* the test slot's device disappears: the trial fails, stable boots */
	unlink(rb);
	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_A && res.dec.trial_failed && !res.dec.trial &&
		   strcmp(res.root_device, root_a) == 0 && db_load(state, &st, &err) == DB_OK &&
		   !st.trial_armed && st.last_trial_failed && st.last_event == DB_EV_TRIAL_FAILED,
		   "slot_b's device missing: trial failed, stable A boots, recorded");
	file_write(rb, &byte, 1, 0600);

	/* tries run out */
	update(state, DB_EV_MARK_TEST, 1, DB_SLOT_A, NULL);
	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial, "mark_test 1: one trial boot of B");
	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_A && res.dec.trial_failed &&
		   strstr(res.dec.why, "tries exhausted") != NULL,
		   "the next boot: tries exhausted, stable A");

	/* a slot given as an unresolvable LABEL= counts as missing */
	update(state, DB_EV_MARK_TEST, 3, DB_SLOT_A, NULL);
	db_config_set(&cfg, "slot_b", "LABEL=dualboot-unit-no-such-label", &err);
	res = select_boot(state, marker);
	tap_ok(res.dec.slot == DB_SLOT_A && res.dec.trial_failed &&
		   strcmp(res.root_device, root_a) == 0,
		   "slot_b=LABEL= that does not resolve: trial failed, stable A");
	db_config_set(&cfg, "slot_b", rb, &err);

	/* the marker cannot be written: the boot still goes on, the error is noted */
	update(state, DB_EV_MARK_TEST, 3, DB_SLOT_A, NULL);
	{
		char		bad_marker[700];

		snprintf(bad_marker, sizeof(bad_marker), "%s/booted", state);	/* under a file */
		res = select_boot(state, bad_marker);
		tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && res.state_error[0] != '\0' &&
			   db_load(state, &st, &err) == DB_OK && st.tries_left == 2,
			   "an unwritable marker path: the trial boot still happens and is recorded; "
			   "the error is reported");
	}
	/* no slot devices configured (simulation): both count as present */
	db_config_defaults(&cfg);
	res = select_boot(state, NULL);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && res.root_device[0] == '\0',
		   "no slot devices configured: the decision stands, no root device named");

	/*
	 * Firmware mode (db_boot_select_fw): the firmware booted stable A's UEFI
	 * entry during a trial of B. The failed try is written before boot and
	 * the marker says stable A, so the cross-check finds them agreeing.
	 */
	db_config_set(&cfg, "slot_a", ra, &err);
	db_config_set(&cfg, "slot_b", rb, &err);
	update(state, DB_EV_MARK_TEST, 2, DB_SLOT_A, NULL);
	db_boot_select_fw(&cfg, state, marker, NOW, DB_SLOT_A, &res);
	tap_ok(res.dec.slot == DB_SLOT_A && !res.dec.trial && !res.dec.trial_failed &&
		   strcmp(res.root_device, root_a) == 0 && db_load(state, &st, &err) == DB_OK &&
		   st.trial_armed && st.tries_left == 1 && st.last_boot_slot == DB_SLOT_A &&
		   db_marker_read(marker, &m, &err) == DB_OK && m.slot == DB_SLOT_A && !m.trial &&
		   m.tries_left == 1 && m.seq == st.seq,
		   "firmware booted stable A's entry in a trial of B: stable A on slot_a's device, "
		   "tries 2 -> 1 written, marker A");
	db_boot_select_fw(&cfg, state, marker, NOW, DB_SLOT_B, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && strcmp(res.root_device, root_b) == 0 &&
		   db_load(state, &st, &err) == DB_OK && st.tries_left == 0,
		   "firmware booted test B's entry: the trial boot of B goes on (tries 1 -> 0)");
	update(state, DB_EV_MARK_TEST, 2, DB_SLOT_A, NULL);
	db_boot_select_fw(&cfg, state, marker, NOW, DB_SLOT_NONE, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && db_load(state, &st, &err) == DB_OK &&
		   st.tries_left == 1,
		   "firmware slot unknown (DB_SLOT_NONE): the record alone decides, trial of B");
	db_boot_select_fw(&cfg, state, marker, NOW, 7, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && db_load(state, &st, &err) == DB_OK &&
		   st.tries_left == 0,
		   "a firmware slot out of range counts as unknown: trial of B");
	db_boot_select_fw(&cfg, state, marker, NOW, DB_SLOT_A, &res);
	tap_ok(res.dec.slot == DB_SLOT_A && res.dec.trial_failed && db_load(state, &st, &err) == DB_OK &&
		   !st.trial_armed && st.last_trial_failed,
		   "tries exhausted and the firmware on stable A's entry: trial failed, stable A");
}
