/*
 * provenance.c - format 2's questions about the test slot's data: may it be
 * promoted without losing what stable wrote after the copy
 * (docs/state-format.md section 16), and the rehearsal table. Pure
 * functions, no I/O; the selector links none of it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbstate.h"

void
db_lsn_format(uint64_t lsn, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIX32 "/%" PRIX32, (uint32_t) (lsn >> 32), (uint32_t) lsn);
}

bool
db_lsn_parse(const char *s, uint64_t *out)
{
	char	   *end;
	unsigned long long hi,
				lo;

	if (s == NULL || !((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') ||
					   (*s >= 'a' && *s <= 'f')))
		return false;
	hi = strtoull(s, &end, 16);
	if (*end != '/' || hi > UINT32_MAX)
		return false;
	s = end + 1;
	if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') || (*s >= 'a' && *s <= 'f')))
		return false;
	lo = strtoull(s, &end, 16);
	if (*end != '\0' || lo > UINT32_MAX)
		return false;
	*out = ((uint64_t) hi << 32) | lo;
	return true;
}

const db_rehearsal *
db_rehearsal_find(const db_state *st, const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < DB_REHEARSAL_LEN; i++)
		if (st->rehearsals[i].state != DB_RH_UNUSED &&
			strncmp(st->rehearsals[i].name, name, DB_RH_NAME_SIZE) == 0)
			return &st->rehearsals[i];
	return NULL;
}

/*
 * A decimal number of 1 to 9 digits at *p without leading zeros, advancing
 * *p; -1 if none. One spelling per number: fingerprints are compared by
 * their text, so "dbfp02" must not pass for "dbfp2".
 */
static int
parse_small_number(const char **p)
{
	int			v = 0;
	int			n = 0;

	if (**p == '0')
		return -1;
	while (**p >= '0' && **p <= '9' && n < 9)
	{
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n == 0 || (**p >= '0' && **p <= '9') ? -1 : v;
}

bool
db_fprint_parse(const char *s, int *algo, int *major)
{
	const char *p = s;

	if (p == NULL || strncmp(p, "dbfp", 4) != 0)
		return false;
	p += 4;
	if ((*algo = parse_small_number(&p)) <= 0 || strncmp(p, ":pg", 3) != 0)
		return false;
	p += 3;
	if ((*major = parse_small_number(&p)) <= 0 || *p++ != ':')
		return false;
	return strspn(p, "0123456789abcdefABCDEF") == 64 && p[64] == '\0';
}

static int
say(db_error *err, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static int
say(db_error *err, const char *fmt,...)
{
	va_list		ap;

	if (err)
	{
		err->code = DB_REFUSED;
		err->sys_errno = 0;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return DB_REFUSED;
}

int
db_promote_check(const db_state *st, db_error *err)
{
	uint8_t		test = db_test_slot(st);
	const db_provenance *p = &st->provenance[test];
	const db_stop_point *s = &st->stop;
	char		copy[24],
				stop[24],
				first[24];

	if (!p->known)
		return say(err, "the provenance of the test slot %s is unknown: it was not "
				   "copied from stable by \"dualbootctl refresh\", so what stable wrote "
				   "since its copy cannot be told", db_slot_name(test));
	db_lsn_format(p->lsn, copy, sizeof(copy));
	if (s->how == DB_STOP_NONE)
		return say(err, "stable slot %s recorded no stop point for this trial (no "
				   "dualboot_mark_test() on stable, no recorded shutdown): whether it "
				   "changed data after the test slot's copy at WAL %s is unknown",
				   db_slot_name(st->stable_slot), copy);
	db_lsn_format(s->lsn, stop, sizeof(stop));
	if (s->sysid != p->sysid)
		return say(err, "the test slot %s is a copy of the cluster with system "
				   "identifier %llu, but stable's stop point is of cluster %llu",
				   db_slot_name(test), (unsigned long long) p->sysid,
				   (unsigned long long) s->sysid);
	if (s->lsn < p->lsn)
		return say(err, "stable's stop point (WAL %s) is older than the test slot's "
				   "copy (WAL %s): stable's state when it stopped is unknown", stop, copy);
	if (s->analysis == DB_WAL_NOT_ANALYSED)
		return say(err, "stable slot %s wrote %llu bytes of WAL between the test slot's "
				   "copy (%s) and its stop point (%s, at dualboot_mark_test()); its "
				   "shutdown was not recorded, so whether that WAL changed data is "
				   "unknown", db_slot_name(st->stable_slot),
				   (unsigned long long) (s->lsn - p->lsn), copy, stop);
	if (s->analysis == DB_WAL_MISSING)
		return say(err, "stable slot %s wrote %llu bytes of WAL between the test slot's "
				   "copy (%s) and its shutdown (%s), and that WAL was no longer on its "
				   "disk at shutdown: whether it changed data is unknown",
				   db_slot_name(st->stable_slot), (unsigned long long) (s->lsn - p->lsn),
				   copy, stop);
	if (s->analysis != DB_WAL_ANALYSED)
		return say(err, "stable's stop point carries no WAL analysis this version "
				   "knows (analysis code %u)", (unsigned) s->analysis);
	if (s->copy_lsn != p->lsn)
		return say(err, "stable's shutdown analysed its WAL from another copy than "
				   "the test slot's (WAL %s); refresh the test slot again", copy);
	if (s->data_records > 0)
	{
		db_lsn_format(s->first_change, first, sizeof(first));
		return say(err, "stable slot %s changed data after the test slot's copy: %u "
				   "data-changing WAL record%s between %s (the copy) and %s (its "
				   "shutdown), the first at %s; relations (database/relfilenode): %s",
				   db_slot_name(st->stable_slot), s->data_records,
				   s->data_records == 1 ? "" : "s", copy, stop, first,
				   s->rels[0] && db_text_valid(s->rels, DB_RELS_SIZE) ? s->rels : "?");
	}
	return DB_OK;
}
