/*
 * test_lifecycle.c - db_apply over every (state, event) pair of a set of
 * representative states and contexts, table-driven; limits of tries, reason,
 * actor, application name and fingerprint text; the history ring; whole
 * scenarios of DESIGN section 2.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define NOW		1764000000
#define BOOT_X	"0d6f8a2e-1111-4c3b-9a55-3c1e2f4a5b6c"
#define BOOT_Y	"7e0b4f1a-2222-4d6e-8f00-aa11bb22cc33"

/* ---- representative states ---- */
typedef struct named_state
{
	const char *name;
	db_state	st;
} named_state;

static void
base_state(db_state *st, uint8_t stable)
{
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW - 1000);

	c.actor = "cli";
	db_state_init(st, stable, &c, "init");
}

/* what the hook leaves after selecting a boot (fields set as db_boot_decide would) */
static void
booted(db_state *st, uint8_t slot, bool trial, const char *boot_id)
{
	st->seq++;
	st->boot_count++;
	st->last_boot_slot = slot;
	st->last_boot_trial = trial ? 1 : 0;
	st->last_boot_time = NOW - 500;
	db_copy_text(st->last_boot_id, DB_BOOTID_SIZE, boot_id);
}

static void
armed(db_state *st, int left, int total, bool confirmed)
{
	st->seq++;
	st->trial_armed = 1;
	st->tries_left = (uint8_t) left;
	st->tries_total = (uint8_t) total;
	st->confirmed = confirmed ? 1 : 0;
}

enum
{
	S_FRESH, S_IDLE, S_ARMED3, S_TRIAL, S_ARMED0, S_CONFIRMED, S_FAILED,
	S_B_TRIAL, S_B_CONFIRMED, S_B_IDLE, N_STATES
};

static named_state states[N_STATES];

static void
make_states(void)
{
	db_state   *s;

	s = &states[S_FRESH].st;
	states[S_FRESH].name = "fresh (stable A, never booted)";
	base_state(s, DB_SLOT_A);

	s = &states[S_IDLE].st;
	states[S_IDLE].name = "idle (stable A, booted A)";
	base_state(s, DB_SLOT_A);
	booted(s, DB_SLOT_A, false, BOOT_X);

	s = &states[S_ARMED3].st;
	states[S_ARMED3].name = "armed 3/3, running stable A";
	base_state(s, DB_SLOT_A);
	booted(s, DB_SLOT_A, false, BOOT_X);
	armed(s, 3, 3, false);

	s = &states[S_TRIAL].st;
	states[S_TRIAL].name = "trial boot of B, 2/3 left, unconfirmed";
	base_state(s, DB_SLOT_A);
	armed(s, 2, 3, false);
	booted(s, DB_SLOT_B, true, BOOT_X);

	s = &states[S_ARMED0].st;
	states[S_ARMED0].name = "trial boot of B with 0 tries left";
	base_state(s, DB_SLOT_A);
	armed(s, 0, 3, false);
	booted(s, DB_SLOT_B, true, BOOT_X);

	s = &states[S_CONFIRMED].st;
	states[S_CONFIRMED].name = "confirmed trial boot of B, 3/3";
	base_state(s, DB_SLOT_A);
	armed(s, 3, 3, true);
	booted(s, DB_SLOT_B, true, BOOT_X);

	s = &states[S_FAILED].st;
	states[S_FAILED].name = "last trial failed, back on A";
	base_state(s, DB_SLOT_A);
	booted(s, DB_SLOT_A, false, BOOT_X);
	s->tries_total = 3;
	s->last_trial_failed = 1;

	s = &states[S_B_TRIAL].st;
	states[S_B_TRIAL].name = "stable B, trial boot of A, 1/2 left";
	base_state(s, DB_SLOT_B);
	armed(s, 1, 2, false);
	booted(s, DB_SLOT_A, true, BOOT_X);

	s = &states[S_B_CONFIRMED].st;
	states[S_B_CONFIRMED].name = "stable B, confirmed trial boot of A, 7/7";
	base_state(s, DB_SLOT_B);
	armed(s, 7, 7, true);
	booted(s, DB_SLOT_A, true, BOOT_X);

	s = &states[S_B_IDLE].st;
	states[S_B_IDLE].name = "idle (stable B, booted B)";
	base_state(s, DB_SLOT_B);
	booted(s, DB_SLOT_B, false, BOOT_X);
}

/* ---- contexts: the running boot as the caller knows it ---- */
enum
{
	C_AX, C_AY, C_BX, C_BY, C_BNULL, C_NONE, N_CTX
};

static const struct
{
	const char *name;
	uint8_t		slot;
	const char *boot_id;
}			ctxs[N_CTX] = {
	{"on A, same boot", DB_SLOT_A, BOOT_X},
	{"on A, other boot_id", DB_SLOT_A, BOOT_Y},
	{"on B, same boot", DB_SLOT_B, BOOT_X},
	{"on B, other boot_id", DB_SLOT_B, BOOT_Y},
	{"on B, boot_id unknown", DB_SLOT_B, NULL},
	{"current slot unknown", DB_SLOT_NONE, BOOT_X},
};

/*
 * The expected outcome per context, in the order of ctxs[]:
 * 'o' DB_OK, 'r' DB_REFUSED, 'e' DB_ERR_ARG.
 */
static const struct
{
	int			state;
	const char *mark_test;
	const char *confirm;
	const char *failback;
	const char *promote;
	const char *fprint;
}			table[] = {
	/* state           mark_test  confirm   failback  promote   fprint */
	{S_FRESH,        "oorrro", "rrrrrr", "oooooo", "rrrrrr", "ooooor"},
	{S_IDLE,         "oorrro", "rrrrrr", "oooooo", "rrrrrr", "ooooor"},
	{S_ARMED3,       "oooooo", "rrrrrr", "oooooo", "rrrrrr", "ooooor"},
	{S_TRIAL,        "oooooo", "rroror", "oooooo", "rrrrrr", "ooooor"},
	{S_ARMED0,       "oooooo", "rroror", "oooooo", "rrrrrr", "ooooor"},
	{S_CONFIRMED,    "oooooo", "rroror", "oooooo", "rroror", "ooooor"},
	{S_FAILED,       "oorrro", "rrrrrr", "oooooo", "rrrrrr", "ooooor"},
	{S_B_TRIAL,      "oooooo", "orrrrr", "oooooo", "rrrrrr", "ooooor"},
	{S_B_CONFIRMED,  "oooooo", "orrrrr", "oooooo", "orrrrr", "ooooor"},
	{S_B_IDLE,       "rroooo", "rrrrrr", "oooooo", "rrrrrr", "ooooor"},
};

/* The new state the design calls for, built from the old one. */
static void
expected_after(const db_state *old, const db_request *req, const db_context *c,
			   db_state *want)
{
	uint8_t		test = old->stable_slot == DB_SLOT_A ? DB_SLOT_B : DB_SLOT_A;
	uint8_t		slot = test;
	db_history_entry *h;

	*want = *old;
	switch (req->event)
	{
		case DB_EV_MARK_TEST:
			want->trial_armed = 1;
			want->tries_left = want->tries_total = (uint8_t) req->tries;
			want->last_trial_failed = 0;
			/* re-arming keeps the confirmation of a running trial boot */
			want->confirmed = old->trial_armed ? old->confirmed : 0;
			break;
		case DB_EV_CONFIRM:
			want->confirmed = 1;
			want->tries_left = old->tries_total;	/* confirm refills */
			break;
		case DB_EV_FAILBACK:
			want->trial_armed = 0;
			want->confirmed = 0;
			want->tries_left = 0;
			slot = old->stable_slot;
			break;
		case DB_EV_PROMOTE:
			want->stable_slot = test;
			want->trial_armed = 0;
			want->confirmed = 0;
			want->tries_left = 0;
			want->tries_total = 0;
			want->last_trial_failed = 0;
			break;
		case DB_EV_RECORD_FPRINT:
			{
				/* a fresh state has no fingerprints: the first entry is used */
				db_fprint_entry *f = &want->fprints[0];

				memset(f, 0, sizeof(*f));
				f->recorded_at = c->now;
				f->slot = c->current_slot;
				db_copy_text(f->dbname, DB_DBNAME_SIZE, req->dbname);
				db_copy_text(f->fprint, DB_FPRINT_SIZE, req->fprint);
				slot = c->current_slot;
				break;
			}
		default:
			break;
	}
	want->seq = old->seq + 1;
	want->updated_at = c->now;
	want->last_event = (uint8_t) req->event;
	h = &want->history[old->history_next];
	memset(h, 0, sizeof(*h));
	h->seq = want->seq;
	h->time = c->now;
	h->event = (uint8_t) req->event;
	h->slot = slot;
	h->stable_slot = want->stable_slot;
	h->tries_left = want->tries_left;
	db_copy_text(h->actor, DB_ACTOR_SIZE, c->actor);
	db_copy_text(h->app, DB_APP_SIZE, c->app);
	db_copy_text(h->reason, DB_REASON_SIZE, req->reason);
	want->history_next = (uint8_t) ((old->history_next + 1) % DB_HISTORY_LEN);
}

/* A state the library produced must encode into a copy that decodes as valid. */
static bool
roundtrips(const db_state *st)
{
	uint8_t		copy[DB_COPY_SIZE];
	db_state	back;

	db_encode(st, copy);
	return db_decode(copy, &back, NULL) == DB_OK && memcmp(&back, st, sizeof(back)) == 0;
}

static const char *
rc_name(int rc)
{
	switch (rc)
	{
		case DB_OK:
			return "ok";
		case DB_REFUSED:
			return "refused";
		case DB_ERR_ARG:
			return "bad argument";
		default:
			return "other error";
	}
}

static int
code_rc(char c)
{
	return c == 'o' ? DB_OK : c == 'r' ? DB_REFUSED : DB_ERR_ARG;
}

static void
run_pair(int si, int ci, db_event ev, char expect)
{
	const db_state *old = &states[si].st;
	db_state	st = *old;
	db_state	want;
	db_request	req;
	db_context	c = ctx_make(ctxs[ci].slot, ctxs[ci].boot_id, NOW);
	db_error	err;
	int			rc;
	int			want_rc = code_rc(expect);
	bool		good;

	c.app = "psql";
	memset(&req, 0, sizeof(req));
	req.event = ev;
	req.tries = 3;
	req.reason = "table-driven test";
	req.discard_stable_writes = true;	/* provenance: test_provenance() */
	req.dbname = "postgres";
	req.fprint = "v1:pg15:0123456789abcdef";
	rc = db_apply(&st, &req, &c, &err);
	if (rc != want_rc)
		good = false;
	else if (rc == DB_OK)
	{
		expected_after(old, &req, &c, &want);
		good = memcmp(&st, &want, sizeof(st)) == 0 && roundtrips(&st);
	}
	else
		good = memcmp(&st, old, sizeof(st)) == 0 && err.code == rc &&
			err.message[0] != '\0';
	tap_ok(good, "%s | %s | %s -> %s", states[si].name, ctxs[ci].name,
		   db_event_name((uint8_t) ev), rc_name(want_rc));
	if (!good)
		tap_diag("  db_apply returned %s (%d): %s", rc_name(rc), rc,
				 rc == DB_OK ? "(state differs from the expected one)" : err.message);
}

static void
test_table(void)
{
	for (size_t r = 0; r < sizeof(table) / sizeof(table[0]); r++)
	{
		const char *col[5] = {table[r].mark_test, table[r].confirm,
		table[r].failback, table[r].promote, table[r].fprint};
		const db_event evs[5] = {DB_EV_MARK_TEST, DB_EV_CONFIRM, DB_EV_FAILBACK,
		DB_EV_PROMOTE, DB_EV_RECORD_FPRINT};

		for (int e = 0; e < 5; e++)
			for (int ci = 0; ci < N_CTX; ci++)
				run_pair(table[r].state, ci, evs[e], col[e][ci]);
	}
}

/*
 * db_boot_decide over the same representative states, for each presence of
 * the slots' root devices: both, A missing, B missing, none. Codes: 'a'/'b'
 * ordinary boot of stable A/B, 'A'/'B' trial boot of A/B, 'f'/'g' trial
 * failed, booting stable A/B.
 */
static const struct
{
	int			state;
	const char *outcome;
}			boot_table[] = {
	{S_FRESH, "aaaa"},
	{S_IDLE, "aaaa"},
	{S_ARMED3, "BBff"},
	{S_TRIAL, "BBff"},
	{S_ARMED0, "ffff"},			/* tries exhausted wins over anything else */
	{S_CONFIRMED, "BBff"},
	{S_FAILED, "aaaa"},
	{S_B_TRIAL, "AgAg"},
	{S_B_CONFIRMED, "AgAg"},
	{S_B_IDLE, "bbbb"},
};

static void
test_boot_table(void)
{
	static const char *const presence[4] = {"both devices present", "A's device missing",
	"B's device missing", "no device found"};

	for (size_t r = 0; r < sizeof(boot_table) / sizeof(boot_table[0]); r++)
		for (int p = 0; p < 4; p++)
		{
			const db_state *old = &states[boot_table[r].state].st;
			db_state	st = *old;
			char		code = boot_table[r].outcome[p];
			uint8_t		slot = (code == 'a' || code == 'A' || code == 'f') ? DB_SLOT_A : DB_SLOT_B;
			bool		trial = code == 'A' || code == 'B';
			bool		failed = code == 'f' || code == 'g';
			db_boot_input in = {.have_state = true, .default_slot = DB_SLOT_B,
				.slot_present = {!(p & 1), !(p & 2)},
			.boot_id = BOOT_Y, .now = NOW};
			db_boot_decision d;
			bool		good;

			db_boot_decide(&st, &in, &d);
			good = d.slot == slot && d.trial == trial && d.trial_failed == failed && d.write &&
				st.seq == old->seq + 1 && st.boot_count == old->boot_count + 1 &&
				st.last_boot_slot == slot && st.last_boot_trial == trial &&
				strcmp(st.last_boot_id, BOOT_Y) == 0 && st.stable_slot == old->stable_slot &&
				roundtrips(&st);
			if (trial)
				good &= st.trial_armed && st.tries_left == old->tries_left - 1 && !st.confirmed &&
					st.last_event == DB_EV_BOOT;
			else if (failed)
				good &= !st.trial_armed && !st.confirmed && st.tries_left == 0 &&
					st.last_trial_failed && st.last_event == DB_EV_TRIAL_FAILED;
			else
				good &= st.trial_armed == old->trial_armed && st.tries_left == old->tries_left &&
					st.last_event == old->last_event && st.history_next == old->history_next;
			tap_ok(good, "boot: %s | %s -> %s%s%s", states[boot_table[r].state].name,
				   presence[p], failed ? "trial failed, " : "", trial ? "trial of " : "stable ",
				   db_slot_name(slot));
			if (!good)
				tap_diag("  got slot %s trial %d failed %d: %s", db_slot_name(d.slot), d.trial,
						 d.trial_failed, d.why);
		}
}

/* Apply one request to a copy of st; state must stay unchanged on failure. */
static int
apply_req(db_state *st, const db_request *req, const db_context *c, db_error *err)
{
	db_state	before = *st;
	int			rc = db_apply(st, req, c, err);

	if (rc != DB_OK && memcmp(&before, st, sizeof(before)) != 0)
	{
		tap_ok(false, "a refused %s left the state unchanged", db_event_name((uint8_t) req->event));
		*st = before;
	}
	return rc;
}

static int
mark(db_state *st, int tries, const char *reason, const db_context *c)
{
	db_request	req = {.event = DB_EV_MARK_TEST, .tries = tries, .reason = reason};
	db_error	err;

	return apply_req(st, &req, c, &err);
}

static void
test_tries(void)
{
	static const struct
	{
		int			tries;
		int			rc;
	}			cases[] = {
		{0, DB_ERR_ARG}, {1, DB_OK}, {2, DB_OK}, {7, DB_OK}, {8, DB_ERR_ARG},
		{-1, DB_ERR_ARG}, {255, DB_ERR_ARG}, {257, DB_ERR_ARG}, {-255, DB_ERR_ARG},
	};
	db_context	c = ctx_make(DB_SLOT_A, BOOT_X, NOW);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		db_state	st = states[S_IDLE].st;
		int			rc = mark(&st, cases[i].tries, NULL, &c);

		tap_ok(rc == cases[i].rc &&
			   (rc != DB_OK || (st.tries_left == cases[i].tries &&
								st.tries_total == cases[i].tries && st.trial_armed)),
			   "mark_test tries=%d -> %s", cases[i].tries, rc_name(cases[i].rc));
	}
}

static void
fill(char *buf, size_t n, char ch)
{
	memset(buf, ch, n);
	buf[n] = '\0';
}

/* Text that must be accepted or refused, in reason, actor and app. */
static const struct
{
	const char *name;
	const char *text;
	bool		valid;
}			utf8_cases[] = {
	{"ASCII", "migration 0042: add column", true},
	{"empty", "", true},
	{"2-byte e-acute", "caf\xc3\xa9", true},
	{"3-byte euro sign", "\xe2\x82\xac 100", true},
	{"4-byte U+1D11E", "\xf0\x9d\x84\x9e", true},
	{"U+D7FF (last before surrogates)", "\xed\x9f\xbf", true},
	{"U+E000 (first after surrogates)", "\xee\x80\x80", true},
	{"U+10FFFF (highest)", "\xf4\x8f\xbf\xbf", true},
	{"U+0080 (lowest 2-byte)", "\xc2\x80", true},
	{"overlong 2-byte NUL C0 80", "a\xc0\x80", false},
	{"overlong 2-byte C1 BF", "\xc1\xbf", false},
	{"overlong 3-byte E0 80 AF", "\xe0\x80\xaf", false},
	{"overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", false},
	{"overlong 4-byte F0 80 80 AF", "\xf0\x80\x80\xaf", false},
	{"overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", false},
	{"surrogate U+D800", "\xed\xa0\x80", false},
	{"surrogate U+DFFF", "\xed\xbf\xbf", false},
	{"surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80", false},
	{"truncated 2-byte at end", "abc\xc3", false},
	{"truncated 3-byte at end", "\xe2\x82", false},
	{"truncated 4-byte then ASCII", "\xf0\x9d\x84x", false},
	{"lone continuation byte", "a\x80z", false},
	{"above U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80", false},
	{"F5 lead byte", "\xf5\x80\x80\x80", false},
	{"FF byte", "\xff", false},
	{"FE byte", "\xfe", false},
	{"newline", "line one\nline two", false},
	{"carriage return", "a\rb", false},
	{"tab", "a\tb", false},
	{"escape", "\x1b[31mred", false},
	{"DEL", "a\x7f", false},
	{"0x01", "\x01", false},
};

static void
test_text_limits(void)
{
	char		buf[512];
	db_context	c = ctx_make(DB_SLOT_A, BOOT_X, NOW);
	db_request	req = {.event = DB_EV_FAILBACK};
	db_error	err;
	db_state	st;
	int			rc;

	/* reason: 191 bytes is the limit, 192 is refused, not truncated */
	fill(buf, 191, 'r');
	st = states[S_TRIAL].st;
	req.reason = buf;
	rc = apply_req(&st, &req, &c, &err);
	tap_ok(rc == DB_OK && strcmp(st.history[states[S_TRIAL].st.history_next].reason, buf) == 0,
		   "reason of 191 bytes is accepted and stored whole");
	fill(buf, 192, 'r');
	st = states[S_TRIAL].st;
	rc = apply_req(&st, &req, &c, &err);
	tap_ok(rc == DB_ERR_ARG && strstr(err.message, "191") != NULL &&
		   memcmp(&st, &states[S_TRIAL].st, sizeof(st)) == 0,
		   "reason of 192 bytes is refused (message names the limit), state unchanged");
	fill(buf, 400, 'r');
	st = states[S_TRIAL].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_ERR_ARG, "reason of 400 bytes is refused");
	/* a multi-byte character ending exactly at the limit / one byte over */
	fill(buf, 189, 'x');
	strcat(buf, "\xc3\xa9");
	st = states[S_TRIAL].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_OK,
			   "reason of 189 ASCII + 2-byte character (191 bytes) is accepted");
	fill(buf, 190, 'x');
	strcat(buf, "\xc3\xa9");
	st = states[S_TRIAL].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_ERR_ARG,
			   "reason of 190 ASCII + 2-byte character (192 bytes) is refused");
	req.reason = NULL;
	st = states[S_TRIAL].st;
	tap_ok(apply_req(&st, &req, &c, &err) == DB_OK &&
		   st.history[states[S_TRIAL].st.history_next].reason[0] == '\0',
		   "no reason (NULL) is accepted and stored empty");

	/* actor and application name: 63 bytes fit, 64 do not */
	fill(buf, 63, 'a');
	c.actor = buf;
	st = states[S_IDLE].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_OK, "actor of 63 bytes is accepted");
	fill(buf, 64, 'a');
	st = states[S_IDLE].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_ERR_ARG, "actor of 64 bytes is refused");
	c.actor = "unit";
	fill(buf, 63, 'p');
	c.app = buf;
	st = states[S_IDLE].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_OK, "application name of 63 bytes is accepted");
	fill(buf, 64, 'p');
	st = states[S_IDLE].st;
	tap_is_int(apply_req(&st, &req, &c, &err), DB_ERR_ARG,
			   "application name of 64 bytes is refused");
	c.app = NULL;

	/* every UTF-8 case in each of the three text fields */
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++)
	{
		for (int field = 0; field < 3; field++)
		{
			const char *fname[3] = {"reason", "actor", "application name"};
			db_context	cc = ctx_make(DB_SLOT_A, BOOT_X, NOW);
			db_request	r = {.event = DB_EV_FAILBACK, .reason = "ok"};

			if (field == 0)
				r.reason = utf8_cases[i].text;
			else if (field == 1)
				cc.actor = utf8_cases[i].text;
			else
				cc.app = utf8_cases[i].text;
			st = states[S_ARMED3].st;
			rc = apply_req(&st, &r, &cc, &err);
			tap_ok(utf8_cases[i].valid ? rc == DB_OK && roundtrips(&st) :
				   rc == DB_ERR_ARG && memcmp(&st, &states[S_ARMED3].st, sizeof(st)) == 0,
				   "%s %s: %s", fname[field], utf8_cases[i].name,
				   utf8_cases[i].valid ? "accepted" : "refused, state unchanged");
		}
	}
	/* mark_test carries the reason too */
	st = states[S_IDLE].st;
	tap_is_int(mark(&st, 3, "\xed\xa0\x80", &c), DB_ERR_ARG,
			   "mark_test with a surrogate in the reason is refused");
}

static int
fprint_req(db_state *st, uint8_t slot, const char *db, const char *fp, int64_t now)
{
	db_request	req = {.event = DB_EV_RECORD_FPRINT, .dbname = db, .fprint = fp};
	db_context	c = ctx_make(slot, BOOT_X, now);
	db_error	err;

	return apply_req(st, &req, &c, &err);
}

static int
find_fprint(const db_state *st, uint8_t slot, const char *db)
{
	for (int i = 0; i < DB_FPRINT_LEN; i++)
		if (st->fprints[i].recorded_at != 0 && st->fprints[i].slot == slot &&
			strcmp(st->fprints[i].dbname, db) == 0)
			return i;
	return -1;
}

static void
test_fprints(void)
{
	db_state	st = states[S_TRIAL].st;
	char		buf[200];
	int			i;

	tap_is_int(fprint_req(&st, DB_SLOT_B, "", "v1:x", NOW), DB_ERR_ARG,
			   "record_fingerprint with an empty database name is refused");
	tap_is_int(fprint_req(&st, DB_SLOT_B, "app", NULL, NOW), DB_ERR_ARG,
			   "record_fingerprint without a fingerprint is refused");
	tap_is_int(fprint_req(&st, DB_SLOT_B, NULL, "v1:x", NOW), DB_ERR_ARG,
			   "record_fingerprint without a database name is refused");
	fill(buf, 63, 'd');
	tap_is_int(fprint_req(&st, DB_SLOT_B, buf, "v1:x", NOW), DB_OK,
			   "database name of 63 bytes is accepted");
	fill(buf, 64, 'd');
	tap_is_int(fprint_req(&st, DB_SLOT_B, buf, "v1:x", NOW), DB_ERR_ARG,
			   "database name of 64 bytes is refused");
	fill(buf, 111, 'f');
	tap_is_int(fprint_req(&st, DB_SLOT_B, "app", buf, NOW), DB_OK,
			   "fingerprint of 111 bytes is accepted");
	fill(buf, 112, 'f');
	tap_is_int(fprint_req(&st, DB_SLOT_B, "app", buf, NOW), DB_ERR_ARG,
			   "fingerprint of 112 bytes is refused");
	tap_is_int(fprint_req(&st, DB_SLOT_B, "app\xff", "v1:x", NOW), DB_ERR_ARG,
			   "database name that is not UTF-8 is refused");

	st = states[S_TRIAL].st;
	fprint_req(&st, DB_SLOT_B, "app", "v1:one", NOW + 1);
	fprint_req(&st, DB_SLOT_B, "app", "v1:two", NOW + 2);
	i = find_fprint(&st, DB_SLOT_B, "app");
	tap_ok(i >= 0 && strcmp(st.fprints[i].fprint, "v1:two") == 0 &&
		   st.fprints[i].recorded_at == NOW + 2 &&
		   find_fprint(&st, DB_SLOT_B, "app") == i,
		   "a second fingerprint for the same slot and database replaces the first");
	fprint_req(&st, DB_SLOT_A, "app", "v1:onA", NOW + 3);
	tap_ok(find_fprint(&st, DB_SLOT_A, "app") >= 0 &&
		   find_fprint(&st, DB_SLOT_A, "app") != find_fprint(&st, DB_SLOT_B, "app"),
		   "the same database on the other slot gets its own entry");
	fprint_req(&st, DB_SLOT_B, "db3", "v1:3", NOW + 4);
	fprint_req(&st, DB_SLOT_B, "db4", "v1:4", NOW + 5);
	/* full: the oldest (B/app at NOW+2) is evicted by a fifth key */
	fprint_req(&st, DB_SLOT_B, "db5", "v1:5", NOW + 6);
	tap_ok(find_fprint(&st, DB_SLOT_B, "app") < 0 && find_fprint(&st, DB_SLOT_B, "db5") >= 0 &&
		   find_fprint(&st, DB_SLOT_A, "app") >= 0 && find_fprint(&st, DB_SLOT_B, "db3") >= 0 &&
		   find_fprint(&st, DB_SLOT_B, "db4") >= 0 && roundtrips(&st),
		   "with all %d entries used, the oldest fingerprint is replaced", DB_FPRINT_LEN);
}

/* entries of both slots, for the end-of-life rules */
static void
two_slots(db_state *st)
{
	fprint_req(st, DB_SLOT_A, "appA", "v1:a", NOW + 1);
	fprint_req(st, DB_SLOT_B, "appB", "v1:b", NOW + 2);
	fprint_req(st, DB_SLOT_B, "gone", "v1:dropped-db", NOW + 3);
}

/*
 * When recorded fingerprints end (docs/state-format.md section 4): with
 * their trial, never by time.
 */
static void
test_fprint_life(void)
{
	db_context	onA = ctx_make(DB_SLOT_A, BOOT_X, NOW + 10);
	db_context	onB = ctx_make(DB_SLOT_B, BOOT_X, NOW + 10);
	db_request	fail = {.event = DB_EV_FAILBACK};
	db_request	prom = {.event = DB_EV_PROMOTE, .discard_stable_writes = true};
	db_error	err;
	db_state	st;

	/* a new trial of B (armed from stable A) starts with none of B's entries */
	st = states[S_IDLE].st;
	two_slots(&st);
	tap_ok(mark(&st, 3, NULL, &onA) == DB_OK &&
		   find_fprint(&st, DB_SLOT_B, "appB") < 0 && find_fprint(&st, DB_SLOT_B, "gone") < 0 &&
		   find_fprint(&st, DB_SLOT_A, "appA") >= 0 && roundtrips(&st),
		   "mark_test arming a new trial of B drops every entry of B (a dropped "
		   "database's too), keeps A's");
	/* recorded during the trial, kept by a re-arm of the same trial */
	st = states[S_TRIAL].st;
	two_slots(&st);
	{
		db_context	stableA = ctx_make(DB_SLOT_NONE, NULL, NOW + 10);

		tap_ok(mark(&st, 5, NULL, &stableA) == DB_OK &&
			   find_fprint(&st, DB_SLOT_B, "appB") >= 0 &&
			   find_fprint(&st, DB_SLOT_B, "gone") >= 0,
			   "re-arming the trial that is armed (new tries) keeps its entries");
	}
	/* failback ends the trial and its entries */
	st = states[S_TRIAL].st;
	two_slots(&st);
	tap_ok(apply_req(&st, &fail, &onB, &err) == DB_OK &&
		   find_fprint(&st, DB_SLOT_B, "appB") < 0 && find_fprint(&st, DB_SLOT_B, "gone") < 0 &&
		   find_fprint(&st, DB_SLOT_A, "appA") >= 0 && roundtrips(&st),
		   "failback drops the test slot's entries, keeps the stable slot's");
	/* promote: the demoted slot's entries go, the promoted slot's stay */
	st = states[S_CONFIRMED].st;
	two_slots(&st);
	tap_ok(apply_req(&st, &prom, &onB, &err) == DB_OK && st.stable_slot == DB_SLOT_B &&
		   find_fprint(&st, DB_SLOT_A, "appA") < 0 &&
		   find_fprint(&st, DB_SLOT_B, "appB") >= 0 && roundtrips(&st),
		   "promote of B drops the demoted A's entries, keeps B's (the promoted schema)");
	/* and the next trial, of A, starts clean; B's stay until B's next trial */
	{
		db_context	onBstable = ctx_make(DB_SLOT_B, BOOT_X, NOW + 20);

		fprint_req(&st, DB_SLOT_A, "appA", "v1:a-old", NOW + 11);
		tap_ok(mark(&st, 2, NULL, &onBstable) == DB_OK &&
			   find_fprint(&st, DB_SLOT_A, "appA") < 0 &&
			   find_fprint(&st, DB_SLOT_B, "appB") >= 0,
			   "after the promotion, a trial of A starts with none of A's entries");
	}
	/* time plays no part: an entry recorded "in the future" or long ago is the same */
	st = states[S_IDLE].st;
	fprint_req(&st, DB_SLOT_B, "old", "v1:o", 1);
	fprint_req(&st, DB_SLOT_B, "future", "v1:f", INT64_MAX);
	tap_ok(find_fprint(&st, DB_SLOT_B, "old") >= 0 && find_fprint(&st, DB_SLOT_B, "future") >= 0,
		   "entries do not expire with time (recorded at 1 and at INT64_MAX both kept)");
}

static void
test_events_not_requestable(void)
{
	const int	evs[] = {DB_EV_NONE, DB_EV_INIT, DB_EV_BOOT, DB_EV_TRIAL_FAILED, 9, 200, -1};
	db_context	c = ctx_make(DB_SLOT_A, BOOT_X, NOW);

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
	{
		db_state	st = states[S_ARMED3].st;
		db_request	req = {.event = (db_event) evs[i], .tries = 3};
		db_error	err;
		int			rc = db_apply(&st, &req, &c, &err);

		tap_ok(rc == DB_ERR_ARG && memcmp(&st, &states[S_ARMED3].st, sizeof(st)) == 0,
			   "event %d (%s) cannot be requested through db_apply", evs[i],
			   db_event_name((uint8_t) evs[i]));
	}
}

static void
test_history_ring(void)
{
	db_state	st = states[S_FRESH].st;
	db_context	c = ctx_make(DB_SLOT_A, BOOT_X, NOW);
	db_request	req = {.event = DB_EV_FAILBACK};
	db_error	err;
	uint64_t	seq0 = st.seq;
	bool		good = true;
	char		reason[32];

	req.reason = reason;
	for (int i = 1; i <= 20; i++)
	{
		snprintf(reason, sizeof(reason), "failback %d", i);
		if (db_apply(&st, &req, &c, &err) != DB_OK)
			good = false;
	}
	tap_ok(good && st.seq == seq0 + 20, "20 changes advance the sequence by 20");
	tap_is_int(st.history_next, (1 + 20) % DB_HISTORY_LEN, "the history ring wrapped around");
	good = true;
	for (int k = 0; k < DB_HISTORY_LEN; k++)
	{
		/* the entry k places before history_next is the change seq - k */
		const db_history_entry *h =
			&st.history[(st.history_next + DB_HISTORY_LEN - 1 - k) % DB_HISTORY_LEN];

		snprintf(reason, sizeof(reason), "failback %d", 20 - k);
		if (h->seq != st.seq - (uint64_t) k || strcmp(h->reason, reason) != 0 ||
			h->event != DB_EV_FAILBACK)
			good = false;
	}
	tap_ok(good, "the ring holds exactly the newest %d changes, in order", DB_HISTORY_LEN);
	tap_ok(roundtrips(&st), "the wrapped state encodes and decodes");
}

/* One boot through db_boot_decide with both devices present. */
static db_boot_decision
boot(db_state *st, const char *boot_id)
{
	db_boot_input in = {.have_state = true, .default_slot = DB_SLOT_A,
	.slot_present = {true, true}, .boot_id = boot_id, .now = NOW};
	db_boot_decision d;

	db_boot_decide(st, &in, &d);
	return d;
}

static void
test_scenarios(void)
{
	db_state	st = states[S_FRESH].st;
	db_context	onA = ctx_make(DB_SLOT_A, BOOT_X, NOW);
	db_context	onB = ctx_make(DB_SLOT_B, BOOT_Y, NOW);
	db_request	confirm = {.event = DB_EV_CONFIRM};
	db_request	promote = {.event = DB_EV_PROMOTE, .reason = "migration 42 verified",
		.discard_stable_writes = true};
	db_error	err;
	db_boot_decision d;
	bool		good;

	/* success path: arm, trial boot, confirm, reboot, confirm, promote */
	d = boot(&st, BOOT_X);
	good = d.slot == DB_SLOT_A && !d.trial;
	good &= mark(&st, 2, "try migration 42", &onA) == DB_OK;
	d = boot(&st, BOOT_Y);
	good &= d.slot == DB_SLOT_B && d.trial && st.tries_left == 1;
	good &= db_apply(&st, &promote, &onB, &err) == DB_REFUSED;	/* not confirmed */
	good &= db_apply(&st, &confirm, &onB, &err) == DB_OK && st.tries_left == 2;
	d = boot(&st, BOOT_Y);
	good &= d.slot == DB_SLOT_B && d.trial && st.tries_left == 1 && !st.confirmed;
	good &= db_apply(&st, &confirm, &onB, &err) == DB_OK;
	good &= db_apply(&st, &promote, &onB, &err) == DB_OK && st.stable_slot == DB_SLOT_B;
	d = boot(&st, BOOT_X);
	good &= d.slot == DB_SLOT_B && !d.trial && roundtrips(&st);
	tap_ok(good, "scenario: arm, trial boot, confirm, reboot, confirm, promote -> B is stable");
	/* the old stable slot is now the stale test slot: arming from it is refused */
	onA.boot_id = BOOT_X;
	tap_is_int(mark(&st, 3, NULL, &onA), DB_REFUSED,
			   "after promotion, mark_test from the stale slot A is refused");
	tap_is_int(mark(&st, 3, NULL, &onB), DB_OK, "mark_test from the new stable slot B is allowed");

	/* failure path: tries run out without confirmation */
	st = states[S_IDLE].st;
	good = mark(&st, 2, NULL, &onA) == DB_OK;
	d = boot(&st, BOOT_Y);
	good &= d.slot == DB_SLOT_B && st.tries_left == 1;
	d = boot(&st, BOOT_Y);
	good &= d.slot == DB_SLOT_B && st.tries_left == 0;
	d = boot(&st, BOOT_X);
	good &= d.slot == DB_SLOT_A && d.trial_failed && !st.trial_armed && st.last_trial_failed &&
		strstr(st.history[(st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN].reason,
			   "tries exhausted") != NULL &&
		st.last_event == DB_EV_TRIAL_FAILED;
	d = boot(&st, BOOT_X);
	good &= d.slot == DB_SLOT_A && !d.trial && !d.trial_failed;
	tap_ok(good, "scenario: 2 unconfirmed trial boots, third boot is stable, trial failed "
		   "(reason says tries exhausted)");
	tap_ok(mark(&st, 1, NULL, &onA) == DB_OK && !st.last_trial_failed,
		   "after a failed trial a new trial can be armed from stable");

	/* failback during a trial boot: next boot is stable */
	st = states[S_TRIAL].st;
	{
		db_request	fb = {.event = DB_EV_FAILBACK};

		good = db_apply(&st, &fb, &onB, &err) == DB_OK;
	}
	d = boot(&st, BOOT_X);
	tap_ok(good && d.slot == DB_SLOT_A && !d.trial && !d.trial_failed,
		   "scenario: failback from the trial boot, the next boot is stable");
}

void
test_lifecycle(void)
{
	make_states();
	for (int i = 0; i < N_STATES; i++)
		if (!roundtrips(&states[i].st))
			tap_ok(false, "representative state \"%s\" is valid", states[i].name);
	test_table();
	test_boot_table();
	test_tries();
	test_text_limits();
	test_fprints();
	test_fprint_life();
	test_events_not_requestable();
	test_history_ring();
	test_scenarios();
}
