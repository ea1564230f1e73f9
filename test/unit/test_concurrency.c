/*
 * test_concurrency.c - 8 processes x 200 db_update on one record while a
 * reader process loads it in a loop: the final sequence equals the initial
 * one plus the successful updates (none lost), and the reader never sees an
 * invalid record or a sequence going backwards.
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
