/*
 * bootsel.c - the boot selection as the initramfs selector and
 * `dualbootctl boot-select` both run it: read, decide, persist the decision
 * before the root is mounted, leave the marker. It cannot fail: every error
 * ends in the stable slot (the record's, or the configured default when no
 * record can be believed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include "dbstate.h"

static void
note(db_boot_result *res, int rc, const char *msg)
{
	if (res->state_error[0] == '\0')
	{
		res->state_rc = rc;
		db_copy_text(res->state_error, sizeof(res->state_error), msg);
	}
}

void
db_boot_select(const db_config *cfg, const char *state_path,
			   const char *marker_path, int64_t now, db_boot_result *res)
{
	db_boot_select_fw(cfg, state_path, marker_path, now, DB_SLOT_NONE, res);
}

/* The running system's hint (dualbootctl boot-select): db_hint_path. */
void
db_boot_select_fw(const db_config *cfg, const char *state_path,
				  const char *marker_path, int64_t now, uint8_t firmware_slot,
				  db_boot_result *res)
{
	char		hint[512];
	uint64_t	off;
	bool		have = db_hint_path(cfg, state_path, hint, sizeof(hint), &off, NULL) == DB_OK;

	db_boot_select_hint(cfg, state_path, have ? hint : NULL, off, false, marker_path,
						now, firmware_slot, res);
}

void
db_boot_select_hint(const db_config *cfg, const char *state_path,
					const char *hint_path, uint64_t hint_offset, bool record_off,
					const char *marker_path, int64_t now, uint8_t firmware_slot,
					db_boot_result *res)
{
	db_hint		hint;
	char		boot_id[DB_BOOTID_SIZE] = "";
	char		dev[2][DB_CONF_VALUE_SIZE];
	db_boot_input in;
	db_state	st;
	db_state	orig;
	db_handle	h;
	db_error	err;
	bool		opened = false;

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	in.default_slot = cfg->default_slot;
	in.now = now;
	in.firmware_known = firmware_slot == DB_SLOT_A || firmware_slot == DB_SLOT_B;
	in.firmware_slot = firmware_slot;
	if (db_kernel_boot_id(boot_id, sizeof(boot_id), NULL) == DB_OK)
		in.boot_id = boot_id;

	/* an unconfigured slot device (simulations) counts as present */
	for (int s = 0; s < 2; s++)
	{
		if (cfg->slot_dev[s][0] == '\0')
		{
			in.slot_present[s] = true;
			dev[s][0] = '\0';
		}
		else if (db_resolve_device(cfg->slot_dev[s], dev[s], sizeof(dev[s])) == DB_OK)
			in.slot_present[s] = true;
		else
			db_copy_text(dev[s], sizeof(dev[s]), cfg->slot_dev[s]);
	}

	if (record_off)
		note(res, DB_ERR_NOT_FOUND, "record not read: the selector failed on it");
	else if (state_path == NULL || state_path[0] == '\0')
		note(res, DB_ERR_NOT_FOUND, "no state record available");
	else if (db_open(&h, state_path, true, &err) != DB_OK &&
			 (err.code != DB_ERR_IO || db_open(&h, state_path, false, NULL) != DB_OK))
		note(res, err.code, err.message);
	else
	{
		/*
		 * A record that cannot be opened for writing (read-only file system)
		 * is still read: its stable slot, not the configured default, is
		 * the one to boot. The write below then fails and boots stable.
		 */
		if (!h.writable)
			note(res, err.code, err.message);
		opened = true;
		if (db_lock(&h, &err) != DB_OK || db_read(&h, &st, &err) != DB_OK)
			note(res, err.code, err.message);
		else
			in.have_state = true;
	}

	if (in.have_state)
		orig = st;
	else if (hint_path && db_hint_read(hint_path, hint_offset, &hint, &err) == DB_OK)
	{
		/* the record cannot be used: the stable slot it last named */
		in.default_slot = hint.stable_slot;
		res->fallback = DB_FALLBACK_HINT;
		snprintf(res->hint_note, sizeof(res->hint_note), "stable hint %s: slot %s (seq %llu)",
				 hint_path, db_slot_name(hint.stable_slot), (unsigned long long) hint.seq);
	}
	else
	{
		res->fallback = DB_FALLBACK_DEFAULT;
		db_copy_text(res->hint_note, sizeof(res->hint_note),
					 hint_path ? err.message : "no stable hint");
	}
	db_boot_decide(in.have_state ? &st : NULL, &in, &res->dec);
	if (res->fallback != DB_FALLBACK_NONE)
		snprintf(res->dec.why, sizeof(res->dec.why), res->fallback == DB_FALLBACK_HINT ?
				 "no valid record: booting stable slot %s from the stable hint" :
				 "STABLE SLOT UNKNOWN (no valid record, no stable hint): booting "
				 "default=%s, maybe a demoted slot", db_slot_name(res->dec.slot));
	if (res->dec.write && db_write(&h, &st, &err) != DB_OK)
	{
		/*
		 * The decrement could not be persisted: a trial boot now could loop
		 * forever, so boot stable instead.
		 */
		note(res, err.code, err.message);
		st = orig;				/* the marker tells what the record still says */
		res->dec.slot = st.stable_slot;
		res->dec.trial = false;
		res->dec.trial_failed = false;	/* the record still has it armed */
		res->dec.write = false;
		snprintf(res->dec.why, sizeof(res->dec.why),
				 "cannot write the record: booting stable slot %s",
				 db_slot_name(st.stable_slot));
	}
	if (opened)
		db_close(&h);
	/*
	 * A usable record names the stable slot: keep the hint in step with it
	 * before the root is mounted (a promotion made from SQL, a hint created
	 * or repaired at boot). It never changes this boot's decision.
	 */
	if (in.have_state && hint_path &&
		(db_hint_read(hint_path, hint_offset, &hint, NULL) != DB_OK ||
		 hint.stable_slot != st.stable_slot))
	{
		hint.stable_slot = st.stable_slot;
		hint.seq = st.seq;
		hint.written_at = now;
		if (db_hint_write(hint_path, hint_offset, &hint, &err) == DB_OK)
			snprintf(res->hint_note, sizeof(res->hint_note),
					 "stable hint %s set to slot %s", hint_path,
					 db_slot_name(st.stable_slot));
		else
			db_copy_text(res->hint_note, sizeof(res->hint_note), err.message);
	}

	db_copy_text(res->root_device, sizeof(res->root_device), dev[res->dec.slot]);
	res->marker.slot = res->dec.slot;
	res->marker.trial = res->dec.trial;
	res->marker.time = now;
	db_copy_text(res->marker.boot_id, sizeof(res->marker.boot_id), boot_id);
	if (in.have_state)
	{
		res->marker.stable_slot = st.stable_slot;
		res->marker.seq = st.seq;
		res->marker.boot_count = st.boot_count;
		res->marker.tries_left = st.tries_left;
	}
	else
		res->marker.stable_slot = res->dec.slot;
	res->marker.fallback = res->fallback;
	if (marker_path && marker_path[0] &&
		db_marker_write(marker_path, &res->marker, &err) != DB_OK)
		note(res, err.code, err.message);
}

/*
 * The decision as DUALBOOT_* lines for a shell to eval: the same lines from
 * the initramfs selector (always_quote) and from `dualbootctl boot-select`.
 */
void
db_boot_result_print(FILE *out, const db_boot_result *res, bool always_quote)
{
	db_shell_assign(out, "DUALBOOT_SLOT", db_slot_name(res->dec.slot), always_quote);
	db_shell_assign(out, "DUALBOOT_ROLE",
					res->dec.slot == res->marker.stable_slot ? "stable" : "test",
					always_quote);
	db_shell_assign(out, "DUALBOOT_TRIAL", res->dec.trial ? "1" : "0", always_quote);
	db_shell_assign(out, "DUALBOOT_ROOT", res->root_device, always_quote);
	db_shell_assign(out, "DUALBOOT_WHY", res->dec.why, always_quote);
	db_shell_assign(out, "DUALBOOT_TRIAL_FAILED", res->dec.trial_failed ? "1" : "0",
					always_quote);
	db_shell_assign(out, "DUALBOOT_STATE_ERROR",
					res->state_rc == DB_OK ? "" : res->state_error, always_quote);
	db_shell_assign(out, "DUALBOOT_FALLBACK", db_fallback_name(res->fallback), always_quote);
}
