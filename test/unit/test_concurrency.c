/*
 * test_concurrency.c - 8 processes x 200 db_update on one record while a
 * reader process loads it in a loop: the final sequence equals the initial
 * one plus the successful updates (none lost), and the reader never sees an
 * invalid record or a sequence going backwards.
 *
 * Then the extension's protocol (validate at the call, write at commit only
 * if the record is still at the sequence validated against,
 * db_check_unchanged): a request validated before someone else's change is
 * not written, with a message naming that change; and 8 processes doing it
 * at once never write over a change they did not see.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS		8
#define UPDATES		200
#define NOW			1764000000

typedef struct counts
{
	int			who;			/* writer number, or -1 for the reader */
	int			ok;
	int			refused;
	int			errors;
	long		reads;
	long		backwards;
	int			first_error;
} counts;

static void
writer(const char *path, int w, int out)
{
	counts		c = {.who = w};
	char		reason[64];
	char		db[16];

	for (int i = 0; i < UPDATES; i++)
	{
		db_request	req = {.reason = reason, .dbname = db, .fprint = "v1:concurrent"};
		db_context	ctx = ctx_make(DB_SLOT_NONE, NULL, NOW + i);
		db_error	err;
		int			rc;

		snprintf(reason, sizeof(reason), "writer %d update %d", w, i);
		snprintf(db, sizeof(db), "db%d", w);
		switch (i % 4)
		{
			case 0:
				req.event = DB_EV_MARK_TEST;
				req.tries = 1 + (i + w) % 7;
				break;
			case 1:
				/* refused: the current slot is unknown */
				req.event = DB_EV_CONFIRM;
				break;
			case 2:
				req.event = DB_EV_RECORD_FPRINT;
				ctx.current_slot = (uint8_t) (w % 2);
				break;
			default:
				req.event = DB_EV_FAILBACK;
				break;
		}
		rc = db_update(path, &req, &ctx, NULL, &err);
		if (rc == DB_OK)
			c.ok++;
		else if (rc == DB_REFUSED)
			c.refused++;
		else if (c.errors++ == 0)
			c.first_error = rc;
	}
	if (write(out, &c, sizeof(c)) != (ssize_t) sizeof(c))
		_exit(3);
	_exit(0);
}

static void
reader(const char *path, int stop, int out)
{
	counts		c = {.who = -1};
	uint64_t	last = 0;
	struct pollfd pfd = {.fd = stop, .events = POLLIN};

	/* until the parent closes the stop pipe */
	while (poll(&pfd, 1, 0) == 0)
	{
		db_state	st;
		db_error	err;
		int			rc = db_load(path, &st, &err);

		c.reads++;
		if (rc != DB_OK)
		{
			if (c.errors++ == 0)
				c.first_error = rc;
			continue;
		}
		if (st.seq < last)
			c.backwards++;
		last = st.seq;
	}
	if (write(out, &c, sizeof(c)) != (ssize_t) sizeof(c))
		_exit(3);
	_exit(0);
}

void
test_concurrency(void)
{
	const char *path = tmp_path("shared");
	db_context	ctx = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_error	err;
	db_state	st0,
				st;
	int			res[2],
				stop[2];
	pid_t		pids[WRITERS + 1];
	counts		total = {0},
				rd = {0};
	int			got = 0;
	bool		children_ok = true;

	if (!tap_ok(db_create(path, DB_SLOT_A, &ctx, NULL, false, &err) == DB_OK &&
				db_load(path, &st0, &err) == DB_OK, "create the shared record") ||
		pipe(res) != 0 || pipe(stop) != 0)
		return;
	fflush(stdout);
	pids[WRITERS] = fork();
	if (pids[WRITERS] == 0)
	{
		close(res[0]);
		close(stop[1]);
		reader(path, stop[0], res[1]);
	}
	for (int w = 0; w < WRITERS; w++)
	{
		pids[w] = fork();
		if (pids[w] == 0)
		{
			close(res[0]);
			close(stop[1]);
			close(stop[0]);
			writer(path, w, res[1]);
		}
	}
	close(res[1]);
	close(stop[0]);
	for (int w = 0; w < WRITERS; w++)
	{
		int			status;

		waitpid(pids[w], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			children_ok = false;
	}
	close(stop[1]);				/* the reader stops */
	{
		int			status;

		waitpid(pids[WRITERS], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			children_ok = false;
	}
	for (;;)
	{
		counts		c;
		ssize_t		n = read(res[0], &c, sizeof(c));

		if (n == 0)
			break;
		if (n != (ssize_t) sizeof(c))
		{
			children_ok = false;
			break;
		}
		got++;
		if (c.who < 0)
			rd = c;
		else
		{
			total.ok += c.ok;
			total.refused += c.refused;
			total.errors += c.errors;
			if (c.errors && !total.first_error)
				total.first_error = c.first_error;
		}
	}
	close(res[0]);
	tap_ok(children_ok && got == WRITERS + 1, "%d writers and 1 reader ran to the end", WRITERS);
	tap_ok(total.errors == 0 && total.ok + total.refused == WRITERS * UPDATES,
		   "%d updates: %d applied, %d refused by the life cycle, %d errors", WRITERS * UPDATES,
		   total.ok, total.refused, total.errors);
	if (total.errors)
		tap_diag("  first error rc %d", total.first_error);
	tap_ok(total.ok == WRITERS * UPDATES * 3 / 4 && total.refused == WRITERS * UPDATES / 4,
		   "exactly the confirms (unknown slot) were refused");
	memset(&st, 0, sizeof(st));
	got = db_load(path, &st, &err);
	tap_ok(got == DB_OK && st.seq == st0.seq + (uint64_t) total.ok,
		   "final sequence %llu = initial %llu + %d successful updates (no update lost)",
		   (unsigned long long) st.seq, (unsigned long long) st0.seq, total.ok);
	{
		const db_history_entry *h =
			&st.history[(st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN];
		uint8_t		img[DB_RECORD_SIZE];
		uint64_t	s0 = 0,
					s1 = 0;
		db_state	tmp;
		bool		both;

		file_read(path, img, sizeof(img));
		both = db_decode(img, &tmp, &s0) == DB_OK &&
			db_decode(img + DB_COPY_SIZE, &tmp, &s1) == DB_OK;
		tap_ok(h->seq == st.seq && both &&
			   ((s0 == st.seq && s1 + 1 == st.seq) || (s1 == st.seq && s0 + 1 == st.seq)),
			   "both copies are valid and hold the last two sequences, history ends at the last");
	}
	tap_ok(rd.reads > 0 && rd.errors == 0 && rd.backwards == 0,
		   "the reader loaded the record %ld times during the updates: never invalid, "
		   "never going backwards", rd.reads);
	if (rd.errors || rd.backwards)
		tap_diag("  %d invalid reads (first rc %d), %ld times backwards", (int) rd.errors,
				 rd.first_error, rd.backwards);
}

/*
 * One "transaction" of the extension: validate against the record as loaded
 * (seq N), then under the lock write only if the record is still at N.
 * Returns DB_OK, DB_REFUSED or DB_ERR_CHANGED.
 */
static int
validated_write(const char *path, const db_request *req, const db_context *ctx,
				bool (*between) (void), db_error *err)
{
	db_state	st;
	db_state	tmp;
	db_handle	h;
	uint64_t	seen;
	int			rc;

	if ((rc = db_load(path, &st, err)) != DB_OK)
		return rc;
	seen = st.seq;
	tmp = st;
	if ((rc = db_apply(&tmp, req, ctx, err)) != DB_OK)
		return rc;				/* refused at the call */
	if (between && !between())
		return DB_ERR_IO;
	if ((rc = db_open(&h, path, true, err)) != DB_OK)
		return rc;
	if ((rc = db_lock(&h, err)) == DB_OK &&
		(rc = db_read(&h, &st, err)) == DB_OK &&
		(rc = db_check_unchanged(&st, seen, err)) == DB_OK &&
		(rc = db_apply(&st, req, ctx, err)) == DB_OK)
		rc = db_write(&h, &st, err);
	db_close(&h);
	return rc;
}

static const char *between_path;

/* an operator's emergency failback between the call and the commit */
static bool
operator_failback(void)
{
	db_request	req = {.event = DB_EV_FAILBACK, .reason = "emergency"};
	db_context	ctx = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_error	err;

	ctx.actor = "alice";
	ctx.app = "psql";
	return db_update(between_path, &req, &ctx, NULL, &err) == DB_OK;
}

static void
optimistic_writer(const char *path, int w, int out)
{
	counts		c = {.who = w};

	for (int i = 0; i < UPDATES; i++)
	{
		db_request	req = {.reason = "optimistic"};
		db_context	ctx = ctx_make(DB_SLOT_NONE, NULL, NOW + i);
		db_error	err;
		int			rc;

		req.event = (i + w) % 2 ? DB_EV_MARK_TEST : DB_EV_FAILBACK;
		req.tries = 1 + (i + w) % 7;
		rc = validated_write(path, &req, &ctx, NULL, &err);
		if (rc == DB_OK)
			c.ok++;
		else if (rc == DB_ERR_CHANGED && strstr(err.message, "sequence") != NULL)
			c.refused++;		/* here: changed since validated */
		else if (c.errors++ == 0)
			c.first_error = rc;
	}
	if (write(out, &c, sizeof(c)) != (ssize_t) sizeof(c))
		_exit(3);
	_exit(0);
}

void
test_concurrency_validated(void)
{
	const char *path = tmp_path("validated");
	db_context	ctx = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_request	arm = {.event = DB_EV_MARK_TEST, .tries = 3, .reason = "stale"};
	db_error	err;
	db_state	st0,
				st;
	uint8_t		before[DB_RECORD_SIZE],
				after[DB_RECORD_SIZE];
	int			res[2];
	pid_t		pids[WRITERS];
	counts		total = {0};
	bool		children_ok = true;
	int			got = 0;
	int			rc;

	if (!tap_ok(db_create(path, DB_SLOT_A, &ctx, NULL, false, &err) == DB_OK &&
				db_load(path, &st0, &err) == DB_OK, "create the record"))
		return;

	/* unchanged: DB_OK */
	tap_is_int(db_check_unchanged(&st0, st0.seq, &err), DB_OK,
			   "db_check_unchanged at the same sequence: DB_OK");

	/* a mark_test validated, then an operator's failback, then the "commit" */
	between_path = path;
	rc = validated_write(path, &arm, &ctx, operator_failback, &err);
	file_read(path, before, sizeof(before));
	tap_is_int(rc, DB_ERR_CHANGED,
			   "a request validated before someone else's change is not written "
			   "(DB_ERR_CHANGED)");
	tap_ok(strstr(err.message, "sequence 2, failback") != NULL &&
		   strstr(err.message, "alice") != NULL && strstr(err.message, "psql") != NULL &&
		   strstr(err.message, "emergency") != NULL &&
		   strstr(err.message, "at sequence 1 then and is at 2 now") != NULL,
		   "the message names the newer change (seq, event, actor, app, reason): %s",
		   err.message);
	tap_ok(db_load(path, &st, &err) == DB_OK && st.seq == 2 && !st.trial_armed &&
		   st.last_event == DB_EV_FAILBACK,
		   "the failback stands: the stale mark_test did not undo it");
	/* a stable boot in between: no history entry, the message says so */
	{
		db_boot_input in = {.have_state = true, .slot_present = {true, true}, .now = NOW};
		db_boot_decision dec;
		db_state	b = st;

		db_boot_decide(&b, &in, &dec);
		tap_ok(db_check_unchanged(&b, st.seq, &err) == DB_ERR_CHANGED &&
			   strstr(err.message, "boot of slot A") != NULL,
			   "a stable boot in between: DB_ERR_CHANGED, \"%s\"", err.message);
	}
	file_read(path, after, sizeof(after));
	tap_ok(memcmp(before, after, sizeof(before)) == 0, "db_check_unchanged writes nothing");

	/* 8 processes validating and writing at once */
	if (db_load(path, &st0, &err) != DB_OK || pipe(res) != 0)
		return;
	fflush(stdout);
	for (int w = 0; w < WRITERS; w++)
	{
		pids[w] = fork();
		if (pids[w] == 0)
		{
			close(res[0]);
			optimistic_writer(path, w, res[1]);
		}
	}
	close(res[1]);
	for (int w = 0; w < WRITERS; w++)
	{
		int			status;

		waitpid(pids[w], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			children_ok = false;
	}
	for (;;)
	{
		counts		c;
		ssize_t		n = read(res[0], &c, sizeof(c));

		if (n == 0)
			break;
		if (n != (ssize_t) sizeof(c))
		{
			children_ok = false;
			break;
		}
		got++;
		total.ok += c.ok;
		total.refused += c.refused;
		total.errors += c.errors;
		if (c.errors && !total.first_error)
			total.first_error = c.first_error;
	}
	close(res[0]);
	tap_ok(children_ok && got == WRITERS, "%d validating writers ran to the end", WRITERS);
	tap_ok(total.errors == 0 && total.ok + total.refused == WRITERS * UPDATES,
		   "%d validated requests: %d written, %d not written because the record "
		   "changed after validation, %d errors", WRITERS * UPDATES, total.ok,
		   total.refused, total.errors);
	if (total.errors)
		tap_diag("  first error rc %d", total.first_error);
	memset(&st, 0, sizeof(st));
	rc = db_load(path, &st, &err);
	tap_ok(rc == DB_OK && st.seq == st0.seq + (uint64_t) total.ok,
		   "final sequence %llu = %llu + %d written: each write was validated against "
		   "the sequence it replaced", (unsigned long long) st.seq,
		   (unsigned long long) st0.seq, total.ok);
}
