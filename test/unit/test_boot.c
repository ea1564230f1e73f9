/*
 * test_boot.c - db_boot_decide over representative states and inputs
 * (record or none, default slot, slot devices present or missing, boot_id,
 * the slot whose UEFI entry the firmware booted), and the small helpers: CRC-32C, UTF-8 validation, slot and boot_id parsing.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define NOW		1764000000
#define BOOT_X	"0d6f8a2e-1111-4c3b-9a55-3c1e2f4a5b6c"

static void
state_with(db_state *st, uint8_t stable, int armed, int left, int total, int confirmed)
{
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW - 100);

	db_state_init(st, stable, &c, NULL);
	st->trial_armed = (uint8_t) armed;
	st->tries_left = (uint8_t) left;
	st->tries_total = (uint8_t) total;
	st->confirmed = (uint8_t) confirmed;
}

/*
 * One row: the state before (stable, armed, tries left/total, confirmed),
 * the input, and what must come out.
 */
static const struct
{
	const char *name;
	bool		have_state;
	uint8_t		stable;
	int			armed,
				left,
				total,
				confirmed;
	uint8_t		def;
	bool		present_a,
				present_b;
	/* expected */
	uint8_t		slot;
	bool		trial,
				write,
				failed;
	int			left_after,
				armed_after,
				failed_flag_after;
	int			history_event;	/* appended event, or 0 for none */
	/* firmware mode input (zero: unknown, as every caller that does not set it) */
	bool		fw_known;
	uint8_t		fw_slot;
}			rows[] = {
	{"no record, default A", false, 0, 0, 0, 0, 0, DB_SLOT_A, true, true,
	DB_SLOT_A, false, false, false, -1, -1, -1, 0, false, 0},
	{"no record, default B", false, 0, 0, 0, 0, 0, DB_SLOT_B, true, true,
	DB_SLOT_B, false, false, false, -1, -1, -1, 0, false, 0},
	{"no record, default B, no devices found", false, 0, 0, 0, 0, 0, DB_SLOT_B, false, false,
	DB_SLOT_B, false, false, false, -1, -1, -1, 0, false, 0},
	{"idle stable A", true, DB_SLOT_A, 0, 0, 0, 0, DB_SLOT_B, true, true,
	DB_SLOT_A, false, true, false, 0, 0, 0, 0, false, 0},
	{"idle stable B", true, DB_SLOT_B, 0, 0, 0, 0, DB_SLOT_A, true, true,
	DB_SLOT_B, false, true, false, 0, 0, 0, 0, false, 0},
	{"idle stable A, A's device missing (still stable)", true, DB_SLOT_A, 0, 0, 0, 0,
	DB_SLOT_A, false, true, DB_SLOT_A, false, true, false, 0, 0, 0, 0, false, 0},
	{"idle stable A, B missing", true, DB_SLOT_A, 0, 0, 0, 0, DB_SLOT_A, true, false,
	DB_SLOT_A, false, true, false, 0, 0, 0, 0, false, 0},
	{"armed 3/3", true, DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A, true, true,
	DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, false, 0},
	{"armed 7/7 (maximum)", true, DB_SLOT_A, 1, 7, 7, 0, DB_SLOT_A, true, true,
	DB_SLOT_B, true, true, false, 6, 1, 0, DB_EV_BOOT, false, 0},
	{"armed 1/3 (last try)", true, DB_SLOT_A, 1, 1, 3, 0, DB_SLOT_A, true, true,
	DB_SLOT_B, true, true, false, 0, 1, 0, DB_EV_BOOT, false, 0},
	{"armed 1/1", true, DB_SLOT_A, 1, 1, 1, 0, DB_SLOT_A, true, true,
	DB_SLOT_B, true, true, false, 0, 1, 0, DB_EV_BOOT, false, 0},
	{"armed 0/3 (tries exhausted)", true, DB_SLOT_A, 1, 0, 3, 0, DB_SLOT_A, true, true,
	DB_SLOT_A, false, true, true, 0, 0, 1, DB_EV_TRIAL_FAILED, false, 0},
	{"armed 0/1 (tries exhausted), stable B", true, DB_SLOT_B, 1, 0, 1, 0, DB_SLOT_A, true,
	true, DB_SLOT_B, false, true, true, 0, 0, 1, DB_EV_TRIAL_FAILED, false, 0},
	{"armed 3/3, test slot B missing", true, DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A, true, false,
	DB_SLOT_A, false, true, true, 0, 0, 1, DB_EV_TRIAL_FAILED, false, 0},
	{"armed 3/3, stable A missing, test B present", true, DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A,
	false, true, DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, false, 0},
	{"confirmed 3/3 (reboot of a confirmed trial)", true, DB_SLOT_A, 1, 3, 3, 1, DB_SLOT_A,
	true, true, DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, false, 0},
	{"stable B armed 2/2", true, DB_SLOT_B, 1, 2, 2, 0, DB_SLOT_B, true, true,
	DB_SLOT_A, true, true, false, 1, 1, 0, DB_EV_BOOT, false, 0},
	{"stable B armed, test A missing", true, DB_SLOT_B, 1, 2, 2, 0, DB_SLOT_B, false, true,
	DB_SLOT_B, false, true, true, 0, 0, 1, DB_EV_TRIAL_FAILED, false, 0},
	{"disarmed with tries left (after failback)", true, DB_SLOT_A, 0, 0, 3, 0, DB_SLOT_A,
	true, true, DB_SLOT_A, false, true, false, 0, 0, 0, 0, false, 0},

	/*
	 * Firmware mode: the firmware booted the stable slot's entry during an
	 * armed trial (the test kernel did not start): a failed try, stable boot.
	 */
	{"armed 3/3, firmware booted stable A's entry: failed try", true, DB_SLOT_A, 1, 3, 3, 0,
	DB_SLOT_A, true, true, DB_SLOT_A, false, true, false, 2, 1, 0, DB_EV_BOOT, true, DB_SLOT_A},
	{"armed 2/2, confirmed, firmware booted stable A's entry: failed try", true, DB_SLOT_A, 1, 2,
	2, 1, DB_SLOT_A, true, true, DB_SLOT_A, false, true, false, 1, 1, 0, DB_EV_BOOT, true,
	DB_SLOT_A},
	{"stable B armed 2/3, firmware booted stable B's entry: failed try", true, DB_SLOT_B, 1, 2,
	3, 0, DB_SLOT_A, true, true, DB_SLOT_B, false, true, false, 1, 1, 0, DB_EV_BOOT, true,
	DB_SLOT_B},
	{"armed 1/2, firmware booted stable A's entry: last try, trial failed", true, DB_SLOT_A, 1,
	1, 2, 0, DB_SLOT_A, true, true, DB_SLOT_A, false, true, true, 0, 0, 1, DB_EV_TRIAL_FAILED,
	true, DB_SLOT_A},
	{"armed 3/3, firmware booted stable A's entry, test root missing: failed try", true,
	DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A, true, false, DB_SLOT_A, false, true, false, 2, 1, 0,
	DB_EV_BOOT, true, DB_SLOT_A},
	/* ... unless the stable root is missing: the test root, as without firmware mode */
	{"armed 3/3, firmware booted stable A's entry, stable root A missing: test B", true,
	DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A, false, true, DB_SLOT_B, true, true, false, 2, 1, 0,
	DB_EV_BOOT, true, DB_SLOT_A},
	{"stable B armed 2/3, firmware booted stable B's entry, B missing: test A", true,
	DB_SLOT_B, 1, 2, 3, 0, DB_SLOT_A, true, false, DB_SLOT_A, true, true, false, 1, 1, 0,
	DB_EV_BOOT, true, DB_SLOT_B},
	{"armed 0/3, firmware booted stable A's entry: tries exhausted as before", true, DB_SLOT_A,
	1, 0, 3, 0, DB_SLOT_A, true, true, DB_SLOT_A, false, true, true, 0, 0, 1,
	DB_EV_TRIAL_FAILED, true, DB_SLOT_A},
	/* the firmware booted the test slot's entry: the trial proceeds */
	{"armed 3/3, firmware booted test B's entry: trial", true, DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A,
	true, true, DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, true, DB_SLOT_B},
	{"armed 1/1, firmware booted test B's entry: trial", true, DB_SLOT_A, 1, 1, 1, 0, DB_SLOT_A,
	true, true, DB_SLOT_B, true, true, false, 0, 1, 0, DB_EV_BOOT, true, DB_SLOT_B},
	{"stable B armed 2/2, firmware booted test A's entry: trial", true, DB_SLOT_B, 1, 2, 2, 0,
	DB_SLOT_B, true, true, DB_SLOT_A, true, true, false, 1, 1, 0, DB_EV_BOOT, true, DB_SLOT_A},
	/* no trial armed: the firmware's choice changes nothing */
	{"idle stable A, firmware booted B's entry: stable", true, DB_SLOT_A, 0, 0, 0, 0, DB_SLOT_A,
	true, true, DB_SLOT_A, false, true, false, 0, 0, 0, 0, true, DB_SLOT_B},
	{"idle stable A, firmware booted A's entry: stable", true, DB_SLOT_A, 0, 0, 0, 0, DB_SLOT_A,
	true, true, DB_SLOT_A, false, true, false, 0, 0, 0, 0, true, DB_SLOT_A},
	{"no record, default B, firmware booted A's entry: default B", false, 0, 0, 0, 0, 0,
	DB_SLOT_B, true, true, DB_SLOT_B, false, false, false, -1, -1, -1, 0, true, DB_SLOT_A},
	/* unknown: the record alone decides, even with a slot value set */
	{"armed 3/3, firmware slot not known (value A ignored): trial", true, DB_SLOT_A, 1, 3, 3, 0,
	DB_SLOT_A, true, true, DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, false, DB_SLOT_A},
	{"armed 3/3, firmware slot known but none: trial", true, DB_SLOT_A, 1, 3, 3, 0, DB_SLOT_A,
	true, true, DB_SLOT_B, true, true, false, 2, 1, 0, DB_EV_BOOT, true, DB_SLOT_NONE},
};

static void
test_decide_table(void)
{
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
	{
		db_state	st,
					before;
		db_boot_input in;
		db_boot_decision d;
		bool		good;

		state_with(&st, rows[r].stable, rows[r].armed, rows[r].left, rows[r].total,
				   rows[r].confirmed);
		before = st;
		memset(&in, 0, sizeof(in));
		in.have_state = rows[r].have_state;
		in.default_slot = rows[r].def;
		in.slot_present[DB_SLOT_A] = rows[r].present_a;
		in.slot_present[DB_SLOT_B] = rows[r].present_b;
		in.boot_id = BOOT_X;
		in.now = NOW;
		in.firmware_known = rows[r].fw_known;
		in.firmware_slot = rows[r].fw_slot;
		db_boot_decide(rows[r].have_state ? &st : NULL, &in, &d);
		good = d.slot == rows[r].slot && d.trial == rows[r].trial &&
			d.write == rows[r].write && d.trial_failed == rows[r].failed && d.why[0] != '\0';
		if (!rows[r].have_state)
			good &= memcmp(&st, &before, sizeof(st)) == 0;
		else
		{
			uint8_t		prev = (uint8_t) ((st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN);

			good &= st.seq == before.seq + 1 && st.boot_count == before.boot_count + 1 &&
				st.last_boot_time == NOW && st.updated_at == NOW &&
				st.last_boot_slot == rows[r].slot &&
				st.last_boot_trial == (rows[r].trial ? 1 : 0) &&
				strcmp(st.last_boot_id, BOOT_X) == 0 &&
				st.tries_left == rows[r].left_after &&
				st.trial_armed == rows[r].armed_after &&
				st.last_trial_failed == rows[r].failed_flag_after &&
				st.stable_slot == before.stable_slot &&
				st.tries_total == before.tries_total &&
				(rows[r].trial || rows[r].left_after < rows[r].left ? st.confirmed == 0 : true);
			if (rows[r].history_event)
				good &= st.history_next == (before.history_next + 1) % DB_HISTORY_LEN &&
					st.history[prev].event == rows[r].history_event &&
					st.history[prev].tries_left == rows[r].left_after &&
					/* a boot event names the booted slot, a failure the test slot */
					st.history[prev].slot == (rows[r].history_event == DB_EV_BOOT ?
											  rows[r].slot :
											  db_other_slot(before.stable_slot)) &&
					st.history[prev].seq == st.seq &&
					strcmp(st.history[prev].actor, "hook") == 0 &&
					st.last_event == rows[r].history_event;
			else
				good &= st.history_next == before.history_next &&
					memcmp(st.history, before.history, sizeof(st.history)) == 0;
			{
				uint8_t		copy[DB_COPY_SIZE];
				db_state	back;

				db_encode(&st, copy);
				good &= db_decode(copy, &back, NULL) == DB_OK;
			}
		}
		tap_ok(good, "boot decision: %s -> %s%s%s", rows[r].name,
			   db_slot_name(rows[r].slot), rows[r].trial ? " (trial)" : "",
			   rows[r].failed ? ", trial failed" : "");
		if (!good)
			tap_diag("  got slot %s trial %d write %d failed %d why \"%s\"; tries_left %u "
					 "armed %u", db_slot_name(d.slot), d.trial, d.write, d.trial_failed,
					 d.why, st.tries_left, st.trial_armed);
	}
}

static void
test_decide_boot_id(void)
{
	const struct
	{
		const char *id;
		const char *stored;
	}			cases[] = {
		{BOOT_X, BOOT_X},
		{NULL, ""},
		{"0D6F8A2E-UPPER", ""},
		{"not a boot id; rm -rf", ""},
		{"0123456789abcdef0123456789abcdef0123456789", ""},	/* 42 chars: too long */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		db_state	st;
		db_boot_input in = {.have_state = true, .slot_present = {true, true},
		.boot_id = cases[i].id, .now = NOW};
		db_boot_decision d;
		uint8_t		copy[DB_COPY_SIZE];
		db_state	back;

		state_with(&st, DB_SLOT_A, 0, 0, 0, 0);
		db_copy_text(st.last_boot_id, DB_BOOTID_SIZE, "ffff");
		db_boot_decide(&st, &in, &d);
		db_encode(&st, copy);
		tap_ok(strcmp(st.last_boot_id, cases[i].stored) == 0 &&
			   db_decode(copy, &back, NULL) == DB_OK,
			   "boot_id \"%s\" is stored as \"%s\"", cases[i].id ? cases[i].id : "(none)",
			   cases[i].stored);
	}
}

static void
test_next_boot_slot(void)
{
	db_state	st;

	state_with(&st, DB_SLOT_A, 0, 0, 0, 0);
	tap_is_int(db_next_boot_slot(&st), DB_SLOT_A, "next boot of an idle stable A is A");
	state_with(&st, DB_SLOT_A, 1, 2, 3, 0);
	tap_is_int(db_next_boot_slot(&st), DB_SLOT_B, "next boot with tries left is the test slot");
	state_with(&st, DB_SLOT_A, 1, 0, 3, 0);
	tap_is_int(db_next_boot_slot(&st), DB_SLOT_A, "next boot with 0 tries left is stable");
	state_with(&st, DB_SLOT_B, 1, 1, 1, 0);
	tap_is_int(db_next_boot_slot(&st), DB_SLOT_A, "next boot of stable B with a trial is A");
}

/*
 * Firmware mode over a whole trial: tries 2 whose test kernel never starts.
 * Each boot finds the firmware on the stable entry: one try per boot, the
 * stable slot every time, and the second boot ends the trial. The reasons
 * say what the firmware did.
 */
static void
test_decide_firmware_fallback(void)
{
	db_state	st;
	db_boot_input in = {.have_state = true, .slot_present = {true, true},
	.boot_id = BOOT_X, .now = NOW, .firmware_known = true, .firmware_slot = DB_SLOT_A};
	db_boot_decision d1,
				d2,
				d3;
	uint8_t		h1,
				h2;

	state_with(&st, DB_SLOT_A, 1, 2, 2, 0);
	db_boot_decide(&st, &in, &d1);
	h1 = (uint8_t) ((st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN);
	tap_ok(d1.slot == DB_SLOT_A && !d1.trial && !d1.trial_failed && st.trial_armed &&
		   st.tries_left == 1 && !st.last_boot_trial && db_next_boot_slot(&st) == DB_SLOT_B &&
		   st.history[h1].event == DB_EV_BOOT && st.history[h1].slot == DB_SLOT_A &&
		   strstr(st.history[h1].reason, "failed try of test slot B") != NULL &&
		   strstr(d1.why, "1 of 2 tries left") != NULL,
		   "firmware fallback 1 of 2: stable A booted, one try used, still armed (\"%s\")",
		   d1.why);
	db_boot_decide(&st, &in, &d2);
	h2 = (uint8_t) ((st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN);
	tap_ok(d2.slot == DB_SLOT_A && !d2.trial && d2.trial_failed && !st.trial_armed &&
		   st.tries_left == 0 && st.last_trial_failed &&
		   db_next_boot_slot(&st) == DB_SLOT_A &&
		   st.history[h2].event == DB_EV_TRIAL_FAILED && st.history[h2].slot == DB_SLOT_B &&
		   strncmp(st.history[h2].reason, "tries exhausted", 15) == 0 &&
		   strstr(d2.why, "firmware") != NULL,
		   "firmware fallback 2 of 2: the trial of B failed (tries exhausted), stable A (\"%s\")",
		   d2.why);
	db_boot_decide(&st, &in, &d3);
	tap_ok(d3.slot == DB_SLOT_A && !d3.trial && !d3.trial_failed && !st.trial_armed &&
		   st.history_next == (uint8_t) ((h2 + 1) % DB_HISTORY_LEN),
		   "after the failed trial: an ordinary stable boot, nothing more in the history");
}

void
test_boot_decide(void)
{
	test_decide_table();
	test_decide_firmware_fallback();
	test_decide_boot_id();
	test_next_boot_slot();
}

/* ---- helpers ---- */

void
test_text(void)
{
	char		buf[8];

	/* CRC-32C check values (RFC 3720 appendix B.4 and the usual "123456789") */
	{
		uint8_t		zeros[32],
					ones[32],
					inc[32];

		memset(zeros, 0, sizeof(zeros));
		memset(ones, 0xff, sizeof(ones));
		for (int i = 0; i < 32; i++)
			inc[i] = (uint8_t) i;
		tap_is_int(db_crc32c(0, "123456789", 9), 0xE3069283, "CRC-32C of \"123456789\"");
		tap_is_int(db_crc32c(0, zeros, 32), 0x8A9136AA, "CRC-32C of 32 zero bytes");
		tap_is_int(db_crc32c(0, ones, 32), 0x62A8AB43, "CRC-32C of 32 0xFF bytes");
		tap_is_int(db_crc32c(0, inc, 32), 0x46DD794E, "CRC-32C of bytes 0..31");
		tap_is_int(db_crc32c(db_crc32c(0, "1234", 4), "56789", 5), 0xE3069283,
				   "CRC-32C can be computed in pieces");
	}

	/* db_text_valid: the NUL must lie within the field */
	memcpy(buf, "abcdefgh", 8);
	tap_ok(!db_text_valid(buf, 8), "text without a NUL inside the field is invalid");
	tap_ok(db_text_valid("abcdefg", 8), "7 bytes + NUL in an 8-byte field is valid");
	tap_ok(!db_text_valid("ab\xc3\xa9", 4), "a 2-byte character cut by the field end is invalid");
	tap_ok(db_text_valid("ab\xc3\xa9", 5), "the same text in a 5-byte field is valid");
	tap_ok(db_text_valid(NULL, 8), "NULL text counts as empty");

	tap_is_int(db_slot_parse("A"), DB_SLOT_A, "slot \"A\"");
	tap_is_int(db_slot_parse("b"), DB_SLOT_B, "slot \"b\"");
	tap_is_int(db_slot_parse("C"), -1, "slot \"C\" is refused");
	tap_is_int(db_slot_parse("AB"), -1, "slot \"AB\" is refused");
	tap_is_int(db_slot_parse(""), -1, "empty slot is refused");
	tap_is_int(db_slot_parse("0"), -1, "slot \"0\" is refused");
	tap_ok(strcmp(db_slot_name(DB_SLOT_NONE), "none") == 0 &&
		   strcmp(db_slot_name(7), "none") == 0, "slot names of unknown slots are \"none\"");
	tap_ok(strcmp(db_event_name(DB_EV_RECORD_FPRINT), "record_fingerprint") == 0 &&
		   strcmp(db_event_name(99), "unknown") == 0, "event names");
	tap_ok(db_boot_id_valid(BOOT_X) && db_boot_id_valid("") &&
		   !db_boot_id_valid("0D6F") && !db_boot_id_valid("ab cd") &&
		   !db_boot_id_valid("0123456789abcdef0123456789abcdef012345678"),
		   "boot_id syntax: lowercase hex and dashes, at most 39 characters");
}
