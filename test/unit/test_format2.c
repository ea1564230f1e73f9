/*
 * test_format2.c - record format version 2 (docs/state-format.md sections
 * 12 and 16): reading a format 1 copy (the ring of 8 kept as its 6 newest,
 * the new fields empty), the life cycle of the new events (refresh, stop
 * point, rehearsals), and the promotion check.
 *
 * The format 1 encoder below is this test's own, written from the format 1
 * table of docs/state-format.md (sections 2, 3 and 5 as they were in format
 * 1), not from lib/: the reader is checked against the documented bytes.
 */
#include "unit.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define NOW 1795600000LL
#define BOOT_B "2b2b2b2b-0000-4000-8000-000000000001"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

/*
 * One format 1 copy: header version 1, the state's first 920 bytes (seq ...
 * fingerprints; little-endian host assumed, as the suite's forge helpers
 * do), the 8-entry ring at copy offset 936, garbage in the reserved bytes
 * (104-167) and the tail (3688-4091), which format 1 never checks.
 */
void
format2_encode_v1(const db_state *st, const db_history_entry ring[8], uint8_t hnext,
				  uint8_t *copy)
{
	memset(copy, 0, DB_COPY_SIZE);
	memcpy(copy, "DUALBOOT", 8);
	put16(copy + 8, 1);
	put32(copy + 12, DB_COPY_SIZE);
	memcpy(copy + 16, st, 920);
	copy[16 + 41] = hnext;
	memset(copy + 104, 0xA5, 64);
	for (int i = 0; i < 8; i++)
		memcpy(copy + 936 + 344 * i, &ring[i], 344);
	memset(copy + 3688, 0x5A, 404);
	put32(copy + 4092, db_crc32c(0, copy, 4092));
}

static void
entry(db_history_entry *h, uint64_t seq)
{
	memset(h, 0, sizeof(*h));
	h->seq = seq;
	h->time = NOW + (int64_t) seq;
	h->event = DB_EV_MARK_TEST;
	h->slot = DB_SLOT_B;
	h->tries_left = 3;
	snprintf(h->actor, sizeof(h->actor), "actor%llu", (unsigned long long) seq);
}

/* Turn the record at path into a format 1 record, both copies, same state. */
void
format2_make_v1_file(const char *path)
{
	uint8_t		img[DB_RECORD_SIZE];
	db_history_entry ring[8];
	db_state	st;
	db_error	err;
	int			n = 0;

	if (db_load(path, &st, &err) != DB_OK)
	{
		tap_diag("format2_make_v1_file: %s", err.message);
		return;
	}
	/* the v2 ring's entries, oldest first, then as many older ones as fit */
	memset(ring, 0, sizeof(ring));
	for (int k = 0; k < DB_HISTORY_LEN; k++)
	{
		const db_history_entry *h = &st.history[(st.history_next + k) % DB_HISTORY_LEN];

		if (h->seq != 0)
			ring[n++] = *h;
	}
	format2_encode_v1(&st, ring, (uint8_t) (n % 8), img);
	st.seq--;
	format2_encode_v1(&st, ring, (uint8_t) (n % 8), img + DB_COPY_SIZE);
	file_write(path, img, sizeof(img), 0600);
}

static void
test_v1_read(void)
{
	uint8_t		img[DB_RECORD_SIZE];
	db_history_entry ring[8];
	db_state	st,
				base;
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	int			which = -1;
	bool		good = true;

	db_state_init(&base, DB_SLOT_A, &c, "v1");
	base.seq = 40;
	base.trial_armed = 1;
	base.tries_total = 3;
	base.tries_left = 2;
	base.fprints[1].recorded_at = NOW;
	base.fprints[1].slot = DB_SLOT_B;
	strcpy(base.fprints[1].dbname, "app");
	strcpy(base.fprints[1].fprint, "dbfp3:pg15:ab");

	/* a full ring of 8 whose oldest entry (seq 1) is at index 3 */
	for (int i = 0; i < 8; i++)
		entry(&ring[(3 + i) % 8], (uint64_t) i + 1);
	format2_encode_v1(&base, ring, 3, img);
	memset(img + DB_COPY_SIZE, 0, DB_COPY_SIZE);
	tap_is_int(db_decode_record(img, sizeof(img), &st, &which, NULL), DB_OK,
			   "a format 1 copy (garbage in its reserved bytes and tail) is read");
	for (int k = 0; k < DB_HISTORY_LEN; k++)
		good &= st.history[k].seq == (uint64_t) k + 3 &&
			strcmp(st.history[k].actor, ring[(3 + 2 + k) % 8].actor) == 0;
	tap_ok(good && st.history_next == 0,
		   "format 1 ring of 8: the 6 newest entries (seq 3-8) in order, history_next 0");
	tap_ok(st.seq == 40 && st.trial_armed && st.tries_left == 2 &&
		   strcmp(st.fprints[1].fprint, "dbfp3:pg15:ab") == 0,
		   "format 1: seq, trial and fingerprints are kept");
	good = !st.provenance[0].known && !st.provenance[1].known &&
		st.stop.how == DB_STOP_NONE && st.outcome.code == 0;
	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
		good &= st.rehearsals[i].state == DB_RH_UNUSED;
	tap_ok(good, "format 1: provenance unknown, no stop point, no rehearsals "
		   "(its reserved bytes and tail are not read)");

	/* a ring of 3 (oldest at 0, history_next 3) */
	memset(ring, 0, sizeof(ring));
	for (int i = 0; i < 3; i++)
		entry(&ring[i], (uint64_t) i + 1);
	format2_encode_v1(&base, ring, 3, img);
	tap_ok(db_decode_record(img, sizeof(img), &st, NULL, NULL) == DB_OK &&
		   st.history[3].seq == 1 && st.history[4].seq == 2 && st.history[5].seq == 3 &&
		   st.history[0].seq == 0 && st.history_next == 0,
		   "format 1 ring of 3: kept in order, newest at (history_next + 5) mod 6");

	/* an invalid history_next under a good CRC is refused */
	format2_encode_v1(&base, ring, 8, img);
	tap_is_int(db_decode_record(img, sizeof(img), &st, NULL, NULL), DB_ERR_INVALID,
			   "format 1 with history_next 8: refused");
	/* an unknown event in a kept entry is refused, as format 1 refused it */
	ring[2].event = 99;
	format2_encode_v1(&base, ring, 3, img);
	tap_is_int(db_decode_record(img, sizeof(img), &st, NULL, NULL), DB_ERR_INVALID,
			   "format 1 with history event 99 in a kept entry: refused");

	/* a v1 copy with the higher seq beats a v2 copy, and the other way round */
	entry(&ring[2], 3);
	format2_encode_v1(&base, ring, 3, img);
	base.seq = 41;
	db_encode(&base, img + DB_COPY_SIZE);
	tap_ok(db_decode_record(img, sizeof(img), &st, &which, NULL) == DB_OK && which == 1 &&
		   st.seq == 41, "a format 2 copy with the higher seq wins over a format 1 copy");
	base.seq = 39;
	db_encode(&base, img + DB_COPY_SIZE);
	tap_ok(db_decode_record(img, sizeof(img), &st, &which, NULL) == DB_OK && which == 0 &&
		   st.seq == 40, "a format 1 copy with the higher seq wins over a format 2 copy");
	tap_ok(img[DB_COPY_SIZE + 8] == 2 && img[DB_COPY_SIZE + 9] == 0,
		   "db_encode writes format version 2");
}

static int
apply(db_state *st, db_request req, uint8_t slot, const char *boot_id, db_error *err)
{
	db_context	c = ctx_make(slot, boot_id, NOW + 5);

	return db_apply(st, &req, &c, err);
}

/* a state: stable A, a confirmed trial boot of B running */
static void
trial_running(db_state *st)
{
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);

	db_state_init(st, DB_SLOT_A, &c, NULL);
	st->trial_armed = 1;
	st->tries_total = 3;
	st->tries_left = 3;
	st->confirmed = 1;
	st->last_boot_slot = DB_SLOT_B;
	st->last_boot_trial = 1;
	strcpy(st->last_boot_id, BOOT_B);
}

static void
test_provenance(void)
{
	db_state	st,
				s2;
	db_error	err;
	db_stop_point sp;
	db_request	promote = {.event = DB_EV_PROMOTE};
	db_request	refresh = {.event = DB_EV_REFRESH, .sysid = 7001, .lsn = 0x3000060,
	.copy_method = DB_COPY_THIN_SNAPSHOT};
	db_request	mark = {.event = DB_EV_MARK_TEST, .tries = 3, .sysid = 7001, .lsn = 0x3000100};
	char		lsn[24];
	uint64_t	v;

	db_lsn_format(0x1600000A8ULL, lsn, sizeof(lsn));
	tap_ok(strcmp(lsn, "1/600000A8") == 0 && db_lsn_parse("1/600000A8", &v) &&
		   v == 0x1600000A8ULL && !db_lsn_parse("1/", &v) && !db_lsn_parse("x/1", &v) &&
		   !db_lsn_parse("1/2 ", &v), "WAL positions print and parse as PostgreSQL's");

	/* unknown provenance */
	trial_running(&st);
	tap_ok(apply(&st, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
		   strstr(err.message, "provenance of the test slot B is unknown") != NULL,
		   "promote of a test slot of unknown provenance: refused (%s)", err.message);
	s2 = st;
	promote.discard_stable_writes = true;
	tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_OK && s2.stable_slot == DB_SLOT_B,
		   "the same with discard_stable_writes: promoted");
	promote.discard_stable_writes = false;

	/* refresh: only on stable */
	db_state_init(&st, DB_SLOT_A, NULL, NULL);
	tap_ok(apply(&st, refresh, DB_SLOT_B, NULL, &err) == DB_REFUSED,
		   "refresh on the test slot: refused");
	tap_ok(apply(&st, refresh, DB_SLOT_NONE, NULL, &err) == DB_REFUSED,
		   "refresh with the current slot unknown: refused");
	tap_ok(apply(&st, refresh, DB_SLOT_A, NULL, &err) == DB_OK &&
		   st.provenance[DB_SLOT_B].known && st.provenance[DB_SLOT_B].sysid == 7001 &&
		   st.provenance[DB_SLOT_B].lsn == 0x3000060 &&
		   st.provenance[DB_SLOT_B].source_slot == DB_SLOT_A &&
		   st.provenance[DB_SLOT_B].method == DB_COPY_THIN_SNAPSHOT &&
		   st.last_event == DB_EV_REFRESH && !st.provenance[DB_SLOT_A].known,
		   "refresh on stable A records B's provenance (and how the copy was made)");
	/* mark_test on stable records the stop point (LSN only) */
	tap_ok(apply(&st, mark, DB_SLOT_A, NULL, &err) == DB_OK &&
		   st.stop.how == DB_STOP_MARK_TEST && st.stop.lsn == 0x3000100 &&
		   st.stop.analysis == DB_WAL_NOT_ANALYSED, "mark_test on stable records its WAL position");
	/* the trial boots (hand-made), promote: not analysed */
	st.confirmed = 1;
	st.last_boot_slot = DB_SLOT_B;
	st.last_boot_trial = 1;
	strcpy(st.last_boot_id, BOOT_B);
	s2 = st;
	tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
		   strstr(err.message, "shutdown was not recorded") != NULL &&
		   strstr(err.message, "3000060") != NULL && strstr(err.message, "3000100") != NULL,
		   "stop point from mark_test only: refused, with the WAL range (%s)", err.message);

	/* the shutdown's stop point: analysed, no data change -> promoted */
	memset(&sp, 0, sizeof(sp));
	sp.how = DB_STOP_SHUTDOWN;
	sp.analysis = DB_WAL_ANALYSED;
	sp.lsn = 0x3000200;
	sp.sysid = 7001;
	sp.copy_lsn = 0x3000060;
	{
		db_request	stop = {.event = DB_EV_STOP_POINT, .stop = &sp};

		s2 = st;
		s2.last_boot_slot = DB_SLOT_A;
		s2.last_boot_trial = 0;
		tap_ok(apply(&s2, stop, DB_SLOT_B, NULL, &err) == DB_REFUSED,
			   "a stop point from the test slot: refused");
		tap_ok(apply(&s2, stop, DB_SLOT_A, NULL, &err) == DB_OK &&
			   s2.stop.how == DB_STOP_SHUTDOWN && s2.stop.slot == DB_SLOT_A,
			   "a shutdown stop point on stable is recorded");
		tap_ok(apply(&s2, mark, DB_SLOT_A, NULL, &err) == DB_OK &&
			   s2.stop.how == DB_STOP_SHUTDOWN,
			   "mark_test while armed keeps the shutdown's stop point");
		s2.last_boot_slot = DB_SLOT_B;
		s2.last_boot_trial = 1;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_OK &&
			   s2.stable_slot == DB_SLOT_B && !s2.provenance[DB_SLOT_A].known &&
			   s2.stop.how == DB_STOP_NONE,
			   "no data change since the copy: promoted; the demoted slot's provenance "
			   "and the stop point are cleared");

		/* data changed */
		sp.data_records = 12;
		sp.first_change = 0x3000128;
		strcpy(sp.rels, "5/16384 5/16390");
		s2 = st;
		s2.stop = sp;
		s2.stop.slot = DB_SLOT_A;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
			   strstr(err.message, "12 data-changing WAL records") != NULL &&
			   strstr(err.message, "5/16384 5/16390") != NULL &&
			   strstr(err.message, "3000128") != NULL,
			   "stable changed data: refused, saying how much (%s)", err.message);
		promote.discard_stable_writes = true;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_OK,
			   "the same with discard_stable_writes: promoted");
		promote.discard_stable_writes = false;
		/* other refusals */
		s2 = st;
		s2.stop = sp;
		s2.stop.data_records = 0;
		s2.stop.sysid = 7002;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
			   strstr(err.message, "system identifier") != NULL,
			   "a stop point of another cluster: refused");
		s2.stop.sysid = 7001;
		s2.stop.analysis = DB_WAL_MISSING;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
			   strstr(err.message, "no longer on its disk") != NULL,
			   "WAL gone at shutdown: refused");
		s2.stop.analysis = 9;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED,
			   "an analysis code this version does not know: refused");
		s2.stop.analysis = DB_WAL_ANALYSED;
		s2.stop.copy_lsn = 0x2000000;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED,
			   "an analysis from another copy: refused");
		s2.stop.copy_lsn = 0x3000060;
		s2.stop.lsn = 0x3000000;
		tap_ok(apply(&s2, promote, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
			   strstr(err.message, "older than") != NULL,
			   "a stop point older than the copy: refused");
	}
	/* failback and a new trial clear the stop point; refresh clears it too */
	s2 = st;
	tap_ok(apply(&s2, (db_request) {.event = DB_EV_FAILBACK}, DB_SLOT_A, NULL, &err) == DB_OK &&
		   s2.stop.how == DB_STOP_NONE && s2.provenance[DB_SLOT_B].known,
		   "failback clears the stop point, keeps the provenance");
	tap_ok(apply(&s2, mark, DB_SLOT_A, NULL, &err) == DB_OK && s2.stop.how == DB_STOP_MARK_TEST &&
		   apply(&s2, refresh, DB_SLOT_A, NULL, &err) == DB_OK && s2.stop.how == DB_STOP_NONE,
		   "a refresh after arming clears the older stop point");
}

static void
test_rehearsals(void)
{
	db_state	st,
				s2;
	db_error	err;
	db_request	b = {.event = DB_EV_REHEARSAL_BEGIN, .name = "m42", .dbname = "app",
	.fprint = "dbfp3:pg15:before"};
	db_request	e = {.event = DB_EV_REHEARSAL_END, .name = "m42", .dbname = "app",
	.fprint = "dbfp3:pg15:after"};
	const db_rehearsal *r;

	trial_running(&st);
	s2 = st;
	tap_ok(apply(&s2, b, DB_SLOT_A, NULL, &err) == DB_REFUSED,
		   "rehearsal_begin on stable: refused");
	tap_ok(apply(&s2, e, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED &&
		   strstr(err.message, "never begun") != NULL, "rehearsal_end before begin: refused");
	tap_ok(apply(&s2, b, DB_SLOT_B, BOOT_B, &err) == DB_OK &&
		   (r = db_rehearsal_find(&s2, "m42")) != NULL && r->state == DB_RH_BEGUN &&
		   strcmp(r->fp_before, "dbfp3:pg15:before") == 0 && r->slot == DB_SLOT_B &&
		   s2.last_event == DB_EV_REHEARSAL_BEGIN,
		   "rehearsal_begin on the trial boot records the fingerprint before");
	e.dbname = "other";
	tap_ok(apply(&s2, e, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED,
		   "rehearsal_end in another database: refused");
	e.dbname = "app";
	tap_ok(apply(&s2, e, DB_SLOT_B, BOOT_B, &err) == DB_OK &&
		   (r = db_rehearsal_find(&s2, "m42")) != NULL && r->state == DB_RH_COMPLETED &&
		   strcmp(r->fp_after, "dbfp3:pg15:after") == 0 && r->ended != 0,
		   "rehearsal_end records the fingerprint after");
	tap_ok(apply(&s2, e, DB_SLOT_B, BOOT_B, &err) == DB_REFUSED,
		   "a second rehearsal_end: refused");
	/* failback keeps it */
	tap_ok(apply(&s2, (db_request) {.event = DB_EV_FAILBACK}, DB_SLOT_A, NULL, &err) == DB_OK &&
		   db_rehearsal_find(&s2, "m42") != NULL, "a failback keeps the rehearsals");
	/* a fourth rehearsal replaces the oldest */
	s2.trial_armed = 1;
	s2.tries_total = 3;
	s2.confirmed = 1;
	for (int i = 0; i < 3; i++)
	{
		char		name[8];
		db_request	bi = b;
		db_context	c = ctx_make(DB_SLOT_B, BOOT_B, NOW + 100 + i);

		snprintf(name, sizeof(name), "n%d", i);
		bi.name = name;
		db_apply(&s2, &bi, &c, &err);
	}
	tap_ok(db_rehearsal_find(&s2, "m42") == NULL && db_rehearsal_find(&s2, "n0") != NULL &&
		   db_rehearsal_find(&s2, "n2") != NULL,
		   "a table of %d: a new rehearsal replaces the oldest", DB_REHEARSAL_LEN);
	b.name = "a-name-of-forty-bytes-is-one-too-long-x";
	tap_ok(apply(&s2, b, DB_SLOT_B, BOOT_B, &err) == DB_OK, "a 39-byte name is accepted");
	b.name = "a-name-of-forty-bytes-is-one-too-long-xy";
	tap_ok(apply(&s2, b, DB_SLOT_B, BOOT_B, &err) == DB_ERR_ARG, "a 40-byte name: refused");
}

void
test_format2(void)
{
	test_v1_read();
	test_provenance();
	test_rehearsals();
}
