/*
 * codec.c - one 4096-byte copy of the record <-> struct db_state.
 *
 * Layout of a copy (docs/state-format.md has it byte by byte):
 *   0   magic "DUALBOOT"        8 bytes
 *   8   format version          u16 LE (2 written; 1 is read and converted)
 *   10  reserved (0)            u16
 *   12  copy size (4096)        u32 LE
 *   16  struct db_state         little-endian, explicit padding
 *   ..  zero padding
 *   4092 CRC-32C of bytes 0..4091, u32 LE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* strnlen, flock, O_NOFOLLOW */
#endif
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dbstate.h"

#define DB_BODY_OFFSET	16
#define DB_CRC_OFFSET	(DB_COPY_SIZE - 4)

/* The on-disk layout is the struct layout: pin it down. */
_Static_assert(sizeof(db_history_entry) == 344, "history entry layout");
_Static_assert(offsetof(db_history_entry, actor) == 24, "history actor offset");
_Static_assert(offsetof(db_history_entry, reason) == 152, "history reason offset");
_Static_assert(sizeof(db_fprint_entry) == 192, "fingerprint entry layout");
_Static_assert(offsetof(db_fprint_entry, dbname) == 16, "fingerprint dbname offset");
_Static_assert(offsetof(db_state, stable_slot) == 32, "state flags offset");
_Static_assert(offsetof(db_state, last_boot_id) == 48, "state boot_id offset");
_Static_assert(sizeof(db_provenance) == 32, "provenance layout");
_Static_assert(offsetof(db_provenance, method) == 26, "provenance method offset");
_Static_assert(sizeof(db_stop_point) == 144, "stop point layout");
_Static_assert(offsetof(db_stop_point, rels) == 48, "stop point rels offset");
_Static_assert(sizeof(db_trial_outcome) == 80, "trial outcome layout");
_Static_assert(sizeof(db_rehearsal) == 288, "rehearsal layout");
_Static_assert(offsetof(db_rehearsal, began) == 264, "rehearsal times offset");
_Static_assert(offsetof(db_state, provenance) == 88, "state provenance offset");
_Static_assert(offsetof(db_state, fprints) == 152, "state fingerprints offset");
_Static_assert(offsetof(db_state, history) == 920, "state history offset");
_Static_assert(offsetof(db_state, stop) == 2984, "state stop point offset");
_Static_assert(offsetof(db_state, outcome) == 3128, "state trial outcome offset");
_Static_assert(offsetof(db_state, rehearsals) == 3208, "state rehearsals offset");
_Static_assert(sizeof(db_state) == 4072, "state size");
/* format 1: the same state up to the history ring, whose 8 entries end at 3672 */
#define DB_V1_STATE_SIZE 3672
_Static_assert(DB_BODY_OFFSET + DB_V1_STATE_SIZE <= DB_CRC_OFFSET, "format 1 size");
_Static_assert(DB_BODY_OFFSET + sizeof(db_state) <= DB_CRC_OFFSET,
			   "state must fit in one copy");

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
get_u32(const uint8_t *p)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t) p[i] << (8 * i);
	return v;
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

/* Swap the multi-byte fields between host order and little-endian. */
#define BSWAP_I64(x) ((x) = (int64_t) __builtin_bswap64((uint64_t) (x)))
static void
swap_fields(db_state *st)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (int i = 0; i < 2; i++)
	{
		st->provenance[i].sysid = __builtin_bswap64(st->provenance[i].sysid);
		st->provenance[i].lsn = __builtin_bswap64(st->provenance[i].lsn);
		BSWAP_I64(st->provenance[i].time);
	}
	st->stop.lsn = __builtin_bswap64(st->stop.lsn);
	BSWAP_I64(st->stop.time);
	st->stop.sysid = __builtin_bswap64(st->stop.sysid);
	st->stop.first_change = __builtin_bswap64(st->stop.first_change);
	st->stop.copy_lsn = __builtin_bswap64(st->stop.copy_lsn);
	st->stop.data_records = __builtin_bswap32(st->stop.data_records);
	BSWAP_I64(st->outcome.time);
	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
	{
		BSWAP_I64(st->rehearsals[i].began);
		BSWAP_I64(st->rehearsals[i].ended);
	}
	st->seq = __builtin_bswap64(st->seq);
	st->updated_at = (int64_t) __builtin_bswap64((uint64_t) st->updated_at);
	st->boot_count = __builtin_bswap64(st->boot_count);
	st->last_boot_time = (int64_t) __builtin_bswap64((uint64_t) st->last_boot_time);
	for (int i = 0; i < DB_FPRINT_LEN; i++)
		st->fprints[i].recorded_at =
			(int64_t) __builtin_bswap64((uint64_t) st->fprints[i].recorded_at);
	for (int i = 0; i < DB_HISTORY_LEN; i++)
	{
		st->history[i].seq = __builtin_bswap64(st->history[i].seq);
		st->history[i].time =
			(int64_t) __builtin_bswap64((uint64_t) st->history[i].time);
	}
#else
	(void) st;
#endif
}

void
db_encode(const db_state *st, uint8_t *copy)
{
	db_state	le = *st;

	swap_fields(&le);
	memset(copy, 0, DB_COPY_SIZE);
	memcpy(copy, DB_MAGIC, 8);
	put_u16(copy + 8, DB_FORMAT_VERSION);
	put_u32(copy + 12, DB_COPY_SIZE);
	memcpy(copy + DB_BODY_OFFSET, &le, sizeof(le));
	put_u32(copy + DB_CRC_OFFSET, db_crc32c(0, copy, DB_CRC_OFFSET));
}

static bool
flag_ok(uint8_t v)
{
	return v <= 1;
}

static bool
slot_ok(uint8_t v, bool none_allowed)
{
	return v == DB_SLOT_A || v == DB_SLOT_B || (none_allowed && v == DB_SLOT_NONE);
}

bool
db_boot_id_valid(const char *s)
{
	size_t		n = strnlen(s, DB_BOOTID_SIZE);

	if (n >= DB_BOOTID_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			  s[i] == '-'))
			return false;
	return true;
}

/*
 * Field-level validation of a decoded state (after a good CRC): NULL when
 * every field is one this version knows, else the name of the first field
 * it refuses (an unknown event code, an out-of-range value).
 */
static const char *
history_entry_refused(const db_history_entry *h)
{
	if (h->event > DB_EV_MAX)
		return "a history event (an event code this version does not know)";
	if (!slot_ok(h->slot, true) ||
		!slot_ok(h->stable_slot, false) || h->tries_left > DB_TRIES_MAX ||
		!db_text_valid(h->actor, DB_ACTOR_SIZE) ||
		!db_text_valid(h->app, DB_APP_SIZE) ||
		!db_text_valid(h->reason, DB_REASON_SIZE))
		return "a history entry";
	return NULL;
}

static const char *
state_fields_refused(const db_state *st)
{
	const char *r;

	if (!slot_ok(st->stable_slot, false))
		return "stable_slot";
	if (!flag_ok(st->trial_armed) || !flag_ok(st->confirmed) ||
		!flag_ok(st->last_trial_failed) || !flag_ok(st->last_boot_trial))
		return "a 0/1 flag";
	if (!slot_ok(st->last_boot_slot, true))
		return "last_boot_slot";
	if (st->tries_total > DB_TRIES_MAX || st->tries_left > st->tries_total ||
		(st->trial_armed && st->tries_total < DB_TRIES_MIN))
		return "tries_left/tries_total";
	if (st->history_next >= DB_HISTORY_LEN)
		return "history_next";
	if (st->last_event > DB_EV_MAX)
		return "last_event (an event code this version does not know)";
	if (!db_boot_id_valid(st->last_boot_id))
		return "last_boot_id";
	for (int i = 0; i < DB_FPRINT_LEN; i++)
	{
		const db_fprint_entry *f = &st->fprints[i];

		if (f->recorded_at == 0)
			continue;
		if (!slot_ok(f->slot, false) ||
			!db_text_valid(f->dbname, DB_DBNAME_SIZE) ||
			!db_text_valid(f->fprint, DB_FPRINT_SIZE))
			return "a fingerprint entry";
	}
	for (int i = 0; i < DB_HISTORY_LEN; i++)
	{
		const db_history_entry *h = &st->history[i];

		if (h->seq == 0)
			continue;
		if ((r = history_entry_refused(h)) != NULL)
			return r;
	}
	/*
	 * Format 2's trial data (provenance, stop point, trial outcome,
	 * rehearsals) is not checked here: no boot decision reads it, and each
	 * user checks the values it uses (docs/state-format.md section 7).
	 */
	return NULL;
}

/*
 * A format 1 copy, read as format 2: the state up to the history ring is the
 * same; of the ring's 8 entries the 6 newest ring positions are kept, in
 * ring order from index 0, so that the next write (history_next 0) replaces
 * the oldest; the two oldest positions are dropped unread. The format 2
 * fields start empty (provenance unknown, no stop point, no rehearsals),
 * whatever format 1 left in its reserved bytes and tail.
 */
static void
decode_v1(const uint8_t *copy, db_state *st)
{
	const uint8_t *body = copy + DB_BODY_OFFSET;
	uint8_t		next = body[offsetof(db_state, history_next)];

	memset(st, 0, sizeof(*st));
	memcpy(st, body, offsetof(db_state, provenance));
	memcpy(&st->fprints, body + offsetof(db_state, fprints), sizeof(st->fprints));
	for (int k = 0; k < DB_HISTORY_LEN; k++)
		memcpy(&st->history[k], body + offsetof(db_state, history) +
			   ((next + DB_HISTORY_LEN_V1 - DB_HISTORY_LEN + k) % DB_HISTORY_LEN_V1) *
			   sizeof(db_history_entry), sizeof(db_history_entry));
	st->history_next = next < DB_HISTORY_LEN_V1 ? 0 : DB_HISTORY_LEN;
}

/* db_decode, and the name of the refused field for DB_ERR_INVALID */
static int
decode_copy(const uint8_t *copy, db_state *st, uint64_t *seq_out,
			const char **refused)
{
	uint16_t	version;

	*refused = NULL;
	if (memcmp(copy, DB_MAGIC, 8) != 0 ||
		get_u32(copy + DB_CRC_OFFSET) != db_crc32c(0, copy, DB_CRC_OFFSET))
		return DB_ERR_NO_VALID;
	version = get_u16(copy + 8);
	if (seq_out)
		*seq_out = get_u64(copy + DB_BODY_OFFSET);	/* seq is the first field */
	if (version == 0)
		return DB_ERR_NO_VALID;
	/* Never guess at a newer layout: the caller boots stable. */
	if (version > DB_FORMAT_VERSION)
		return DB_ERR_NEWER_VERSION;
	if (get_u32(copy + 12) != DB_COPY_SIZE)
	{
		*refused = "the copy size field";
		return DB_ERR_INVALID;
	}
	if (version == 1)
		decode_v1(copy, st);
	else
		memcpy(st, copy + DB_BODY_OFFSET, sizeof(*st));
	swap_fields(st);
	if ((*refused = state_fields_refused(st)) != NULL)
		return DB_ERR_INVALID;
	return DB_OK;
}

int
db_decode(const uint8_t *copy, db_state *st, uint64_t *seq_out)
{
	const char *refused;

	return decode_copy(copy, st, seq_out, &refused);
}

static void
set_err(db_error *err, int code, const char *msg)
{
	if (err)
	{
		err->code = code;
		err->sys_errno = 0;
		db_copy_text(err->message, sizeof(err->message), msg);
	}
}

/*
 * Choosing a copy. A copy with a good magic and CRC was written whole by
 * some dualboot: if it has the highest sequence it is the newest decision,
 * whether this version can interpret it or not. One of a newer format
 * version (DB_ERR_NEWER_VERSION) or with a field value this version refuses
 * (DB_ERR_INVALID: an event code it does not know, an out-of-range value, as
 * another build of the same format could write) makes the whole record
 * unusable: the older copy is not a fallback (its intent is superseded), and
 * db_write never overwrites it. Only a copy failing the magic or the CRC
 * (torn, garbage) is passed over. On a tie of sequences the copy this version
 * cannot read wins: it cannot be shown to be the older one.
 */
int
db_decode_record(const uint8_t *record, size_t len, db_state *st, int *which,
				 db_error *err)
{
	db_state	cand[2];
	uint64_t	seq[2] = {0, 0};
	const char *refused[2];
	int			rc[2];
	int			best = -1;

	if (len < DB_RECORD_SIZE)
	{
		set_err(err, DB_ERR_BAD_FILE, "record is truncated");
		return DB_ERR_BAD_FILE;
	}
	for (int i = 0; i < 2; i++)
	{
		rc[i] = decode_copy(record + i * DB_COPY_SIZE, &cand[i], &seq[i], &refused[i]);
		/* every whole copy takes part in the choice; garbage does not */
		if (rc[i] == DB_OK || rc[i] == DB_ERR_NEWER_VERSION || rc[i] == DB_ERR_INVALID)
		{
			if (best < 0 || seq[i] > seq[best] ||
				(seq[i] == seq[best] && rc[best] == DB_OK && rc[i] != DB_OK))
				best = i;
		}
	}
	if (best < 0)
	{
		set_err(err, DB_ERR_NO_VALID, "no valid copy of the record (both copies "
				"fail the magic or CRC-32C check)");
		return DB_ERR_NO_VALID;
	}
	if (rc[best] == DB_ERR_NEWER_VERSION)
	{
		set_err(err, DB_ERR_NEWER_VERSION, "the record was written by a newer "
				"dualboot format version; this version will not interpret it");
		return DB_ERR_NEWER_VERSION;
	}
	if (rc[best] == DB_ERR_INVALID)
	{
		if (err)
		{
			err->code = DB_ERR_INVALID;
			err->sys_errno = 0;
			snprintf(err->message, sizeof(err->message),
					 "the newest copy (copy %d, sequence %llu) has a valid CRC-32C but "
					 "a value this version refuses in %s (written by another "
					 "dualboot build?); it is not interpreted, the older copy is not "
					 "used instead, and nothing overwrites it",
					 best, (unsigned long long) seq[best], refused[best]);
		}
		return DB_ERR_INVALID;
	}
	*st = cand[best];
	if (which)
		*which = best;
	if (err)
		memset(err, 0, sizeof(*err));
	return DB_OK;
}
