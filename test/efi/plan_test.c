/*
 * plan_test.c - exhaustive check of the pure planner dbe_plan_sync(): every
 * record intent x every BootNext x every BootOrder over a small universe of
 * entries (two owned by dualboot, two foreign). Prints one line per
 * property, "PASS name (N cases)" or "FAIL name: first counterexample";
 * test/t/70-efi.t turns them into TAP. Exit 1 if any property fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include "dbstate.h"
#include "efi.h"

enum {P_IDEMP, P_NEXT, P_FOREIGN, P_ORDER_FIRST, P_ORDER_REST, P_MINIMAL, P_NOERR, P_N};
static const char *pname[P_N] = {
	"applying the plan then planning again writes nothing (idempotent)",
	"BootNext = test entry exactly when the record's next boot is the test slot",
	"a foreign BootNext is kept unless a trial must be armed",
	"BootOrder starts with the stable slot's entry",
	"BootOrder keeps every other entry in the same relative order; the test entry is listed",
	"nothing is written when the firmware already follows the record",
	"planning never fails for valid inputs",
};
static long	nfail[P_N];
static char first[P_N][300];
static long cases;

static void
check(int p, int ok, const char *ctx)
{
	if (ok)
		return;
	if (nfail[p]++ == 0)
		snprintf(first[p], sizeof(first[p]), "%s", ctx);
}

static void
apply(dbe_vars *v, const dbe_plan *pl)
{
	if (pl->write_next)
		v->next = pl->next;
	if (pl->write_order)
	{
		v->order_present = true;
		v->order_len = pl->order_len;
		memcpy(v->order, pl->order, pl->order_len * sizeof(uint16_t));
	}
}

/* order with x removed */
static size_t
without(const dbe_vars *v, uint16_t x, uint16_t *out)
{
	size_t		n = 0;

	for (size_t i = 0; v->order_present && i < v->order_len; i++)
		if (v->order[i] != x)
			out[n++] = v->order[i];
	return n;
}

static void
run(const db_state *st, const int32_t map[2], const dbe_vars *cur)
{
	dbe_plan	pl, pl2;
	dbe_vars	after = *cur;
	db_error	err;
	char		ctx[300];
	uint8_t		test = db_other_slot(st->stable_slot);
	uint16_t	a[DBE_ORDER_MAX], b[DBE_ORDER_MAX];
	size_t		na, nb;
	int			pos = snprintf(ctx, sizeof(ctx), "stable=%s armed=%u tries=%u next=%d order=",
							   db_slot_name(st->stable_slot), st->trial_armed, st->tries_left,
							   cur->next);
	bool		want_test = db_next_boot_slot(st) == test;
	bool		next_ok, order_ok;

	if (!cur->order_present)
		snprintf(ctx + pos, sizeof(ctx) - pos, "absent");
	for (size_t i = 0; cur->order_present && i < cur->order_len; i++)
		pos += snprintf(ctx + pos, sizeof(ctx) - pos, "%u,", cur->order[i]);
	cases++;
	if (dbe_plan_sync(st, map, cur, &pl, &err) != DB_OK)
	{
		check(P_NOERR, 0, ctx);
		return;
	}
	apply(&after, &pl);
	check(P_IDEMP, dbe_plan_sync(st, map, &after, &pl2, &err) == DB_OK &&
		  !pl2.write_next && !pl2.write_order, ctx);
	check(P_NEXT, want_test ? after.next == map[test]
		  : dbe_slot_of(map, after.next) == DB_SLOT_NONE, ctx);
	if (!want_test && cur->next >= 0 && dbe_slot_of(map, cur->next) == DB_SLOT_NONE)
		check(P_FOREIGN, after.next == cur->next && !pl.write_next, ctx);
	check(P_ORDER_FIRST, after.order_present && after.order_len > 0 &&
		  after.order[0] == map[st->stable_slot], ctx);
	na = without(cur, (uint16_t) map[st->stable_slot], a);
	nb = without(&after, (uint16_t) map[st->stable_slot], b);
	{
		bool		listed = false;

		for (size_t i = 0; i < na; i++)
			listed |= a[i] == map[test];
		if (!listed)
			a[na++] = (uint16_t) map[test];     /* appended when missing */
		check(P_ORDER_REST, na == nb && memcmp(a, b, na * sizeof(uint16_t)) == 0 &&
			  after.order_len == nb + 1, ctx);
		order_ok = listed && cur->order_present && cur->order_len > 0 &&
			cur->order[0] == map[st->stable_slot];
	}
	next_ok = want_test ? cur->next == map[test]
		: dbe_slot_of(map, cur->next) == DB_SLOT_NONE;
	check(P_MINIMAL, pl.write_next == !next_ok && pl.write_order == !order_ok, ctx);
}

/* every ordered selection of {0,1,2,3} */
static void
orders(const db_state *st, const int32_t map[2], dbe_vars *v, unsigned used)
{
	run(st, map, v);
	for (uint16_t e = 0; e < 4; e++)
	{
		if (used & (1u << e))
			continue;
		v->order[v->order_len++] = e;
		orders(st, map, v, used | (1u << e));
		v->order_len--;
	}
}

int
main(void)
{
	const int32_t map[2] = {1, 2};    /* 0 and 3 are foreign entries */
	int			bad = 0;

	for (int stable = 0; stable < 2; stable++)
		for (int armed = 0; armed < 2; armed++)
			for (int tries = 0; tries < 3; tries++)
				for (int next = -1; next < 4; next++)
					for (int present = 0; present < 2; present++)
					{
						db_state	st;
						dbe_vars	v;

						memset(&st, 0, sizeof(st));
						st.stable_slot = (uint8_t) stable;
						st.trial_armed = (uint8_t) armed;
						st.tries_left = (uint8_t) tries;
						st.tries_total = 3;
						st.last_boot_slot = DB_SLOT_NONE;
						memset(&v, 0, sizeof(v));
						v.current = -1;
						v.next = next;
						v.order_present = present;
						if (present)
							orders(&st, map, &v, 0);
						else
							run(&st, map, &v);
					}
	for (int p = 0; p < P_N; p++)
	{
		if (nfail[p])
		{
			printf("FAIL %s: %ld of %ld cases, e.g. %s\n", pname[p], nfail[p], cases, first[p]);
			bad = 1;
		}
		else
			printf("PASS %s (%ld cases)\n", pname[p], cases);
	}
	/* refusals: a map that cannot be applied */
	{
		db_state	st;
		dbe_vars	v;
		dbe_plan	pl;
		db_error	err;
		const int32_t same[2] = {1, 1}, unset[2] = {1, -1};

		memset(&st, 0, sizeof(st));
		memset(&v, 0, sizeof(v));
		v.next = -1;
		if (dbe_plan_sync(&st, same, &v, &pl, &err) == DB_ERR_ARG &&
			dbe_plan_sync(&st, unset, &v, &pl, &err) == DB_ERR_ARG &&
			(st.stable_slot = 7, dbe_plan_sync(&st, map, &v, &pl, &err) == DB_ERR_INVALID))
			printf("PASS a bad slot map or a bad record is refused\n");
		else
		{
			printf("FAIL a bad slot map or a bad record is refused\n");
			bad = 1;
		}
	}
	return bad;
}
