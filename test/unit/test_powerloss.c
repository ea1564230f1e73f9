/*
 * test_powerloss.c - a power cut at any point of an update leaves the old or
 * the new state, never an error and never a third state.
 *
 * Each update runs through the real storage code on a real file (db_update,
 * db_boot_select); the test keeps the file's bytes before and after, then
 * rebuilds every image a cut could leave behind:
 *   - every byte prefix of the written copy (new bytes up to the cut, old
 *     bytes after it), decoded with db_decode_record;
 *   - every subset of the copy's changed 512-byte sectors (each sector old or
 *     new, as a disk that reorders sector writes may leave it), written to a
 *     file and read back with db_load.
 * Several updates run in a row so that both copies get overwritten.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SECTOR	512
#define NOW		1764000000

static db_config cfg;
static char boot_id[DB_BOOTID_SIZE];

static bool
same_state(const db_state *a, const db_state *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

typedef struct torn_stats
{
	int			n_old,
				n_new,
				n_bad;
	int			first_bad;		/* prefix length or sector mask of the first failure */
	int			bad_rc;
} torn_stats;

static void
classify(torn_stats *t, int rc, const db_state *got, const db_state *old,
		 const db_state *new, int what)
{
	if (rc == DB_OK && same_state(got, old))
		t->n_old++;
	else if (rc == DB_OK && same_state(got, new))
		t->n_new++;
	else
	{
		if (t->n_bad++ == 0)
		{
			t->first_bad = what;
			t->bad_rc = rc;
		}
	}
}

/* Check every cut of one update whose file bytes went from `before` to `after`. */
/*
 * The pwrite journal: the unit build links with -Wl,--wrap=pwrite, so every
 * pwrite of the library lands here first. While a step runs, each write is
 * recorded (offset and bytes) in the order the library issued it; the torn
 * images are then rebuilt from that real sequence of writes.
 */
#define MAX_WRITES 8

static struct
{
	off_t		off;
	size_t		len;
	uint8_t		data[DB_RECORD_SIZE];
}			journal[MAX_WRITES];
static int	n_writes;
static bool journal_on;
static struct stat journal_file;	/* only writes to the record are journalled */
static bool journal_overflow;

ssize_t		__real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t		__wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

/*
 * Fault injection: with fail_pwrite set, the next pwrite writes only
 * short_write bytes (0: nothing) and every later one fails with EIO; with
 * fail_sync set, fdatasync fails with EIO.
 */
static bool fail_pwrite;
static size_t short_write;
static bool short_done;
static bool fail_sync;

int			__real_fdatasync(int fd);
int			__wrap_fdatasync(int fd);

int
__wrap_fdatasync(int fd)
{
	if (fail_sync)
	{
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t		r;
	struct stat st;

	if (fail_pwrite)
	{
		if (short_write && !short_done && n > short_write)
		{
			short_done = true;
			return __real_pwrite(fd, buf, short_write, off);
		}
		errno = EIO;
		return -1;
	}
	r = __real_pwrite(fd, buf, n, off);

	if (journal_on && r > 0 && fstat(fd, &st) == 0 && st.st_ino == journal_file.st_ino &&
		st.st_dev == journal_file.st_dev)
	{
		if (n_writes == MAX_WRITES || off < 0 || (size_t) off + (size_t) r > DB_RECORD_SIZE)
			journal_overflow = true;
		else
		{
			journal[n_writes].off = off;
			journal[n_writes].len = (size_t) r;
			memcpy(journal[n_writes].data, buf, (size_t) r);
			n_writes++;
		}
	}
	return r;
}

/* journal the writes to the record at path (not the stable hint beside it) */
static void
journal_start(const char *path)
{
	if (stat(path, &journal_file) != 0)
		memset(&journal_file, 0, sizeof(journal_file));
	n_writes = 0;
	journal_overflow = false;
	journal_on = true;
}

/*
 * Check every cut of one update whose file bytes went from `before` to
 * `after` through the journalled writes. `copies_written` is how many
 * copies the update may write (1 for an update, 2 for db_create --force).
 */
static void
check_update(const char *what, const uint8_t *before, const uint8_t *after,
			 int copies_written)
{
	static uint8_t base[DB_RECORD_SIZE],
				next[DB_RECORD_SIZE],
				img[DB_RECORD_SIZE];
	db_state	old,
				new,
				got;
	int			which_old = -1,
				which_new = -1;
	torn_stats	tp = {0},
				ts = {0};
	int			n_prefixes = 0,
				n_subsets = 0,
				max_changed = 0;
	const char *torn = tmp_path("torn");
	bool		valid;
	bool		shape;

	journal_on = false;
	/* decode first: the arguments of tap_ok are evaluated in no fixed order */
	valid = db_decode_record(before, DB_RECORD_SIZE, &old, &which_old, NULL) == DB_OK &&
		db_decode_record(after, DB_RECORD_SIZE, &new, &which_new, NULL) == DB_OK;
	tap_ok(valid && new.seq == old.seq + 1,
		   "%s: old and new records are valid, sequence %llu -> %llu", what,
		   (unsigned long long) old.seq, (unsigned long long) new.seq);

	/* the journal replays to the file's new bytes */
	memcpy(img, before, DB_RECORD_SIZE);
	for (int j = 0; j < n_writes; j++)
		memcpy(img + journal[j].off, journal[j].data, journal[j].len);
	if (!tap_ok(!journal_overflow && n_writes > 0 && memcmp(img, after, DB_RECORD_SIZE) == 0,
				"%s: the %d journalled write(s) replay to the new file bytes", what, n_writes))
		return;

	/* an update writes one whole copy: the one not holding the current state */
	if (copies_written == 1)
		shape = n_writes == 1 && journal[0].len == DB_COPY_SIZE &&
			journal[0].off == (off_t) (1 - which_old) * DB_COPY_SIZE && which_new == 1 - which_old;
	else
		shape = n_writes == 2 && journal[0].len == DB_COPY_SIZE &&
			journal[1].len == DB_COPY_SIZE && journal[0].off != journal[1].off;
	tap_ok(shape, "%s: %s", what, copies_written == 1 ?
		   "one whole-copy write, to the copy not holding the current state" :
		   "two whole-copy writes, one per copy");

	memcpy(base, before, DB_RECORD_SIZE);
	for (int j = 0; j < n_writes; j++)
	{
		size_t		off = (size_t) journal[j].off;
		size_t		len = journal[j].len;
		int			changed[DB_RECORD_SIZE / SECTOR];
		int			n_changed = 0;

		memcpy(next, base, DB_RECORD_SIZE);
		memcpy(next + off, journal[j].data, len);

		/* every byte prefix of this write, over what the earlier writes left */
		for (size_t k = 0; k <= len; k++)
		{
			int			rc;

			memcpy(img, base, DB_RECORD_SIZE);
			memcpy(img + off, journal[j].data, k);
			rc = db_decode_record(img, DB_RECORD_SIZE, &got, NULL, NULL);
			classify(&tp, rc, &got, &old, &new, (int) (j * DB_RECORD_SIZE + k));
			n_prefixes++;
		}

		/* every subset of its changed sectors, through a real file and db_load */
		for (size_t s = off / SECTOR; s * SECTOR < off + len; s++)
			if (memcmp(base + s * SECTOR, next + s * SECTOR, SECTOR) != 0)
				changed[n_changed++] = (int) s;
		if (n_changed > max_changed)
			max_changed = n_changed;
		for (int mask = 0; mask < (1 << n_changed); mask++)
		{
			db_error	err;
			int			rc;

			memcpy(img, base, DB_RECORD_SIZE);
			for (int i = 0; i < n_changed; i++)
				if (mask & (1 << i))
					memcpy(img + changed[i] * SECTOR, next + changed[i] * SECTOR, SECTOR);
			file_write(torn, img, DB_RECORD_SIZE, 0600);
			rc = db_load(torn, &got, &err);
			classify(&ts, rc, &got, &old, &new, (j << 16) | mask);
			n_subsets++;
		}
		memcpy(base, next, DB_RECORD_SIZE);
	}
	tap_ok(tp.n_bad == 0 && tp.n_new >= 1 && tp.n_old >= 1,
		   "%s: all %d byte prefixes of the write(s) decode to the old (%d) or new (%d) state",
		   what, n_prefixes, tp.n_old, tp.n_new);
	if (tp.n_bad)
		tap_diag("  %d bad prefixes, the first at write %d byte %d (rc %d)", tp.n_bad,
				 tp.first_bad / DB_RECORD_SIZE, tp.first_bad % DB_RECORD_SIZE, tp.bad_rc);
	tap_ok(ts.n_bad == 0 && ts.n_new >= 1 && ts.n_old >= 1,
		   "%s: all %d subsets of changed 512-byte sectors (up to %d per write) read as "
		   "old (%d) or new (%d)", what, n_subsets, max_changed, ts.n_old, ts.n_new);
	if (ts.n_bad)
		tap_diag("  %d bad subsets, the first in write %d with sector mask 0x%x (rc %d)",
				 ts.n_bad, ts.first_bad >> 16, ts.first_bad & 0xffff, ts.bad_rc);
}

static db_context
ctx_on(uint8_t slot)
{
	db_context	c = ctx_make(slot, boot_id[0] ? boot_id : NULL, NOW);

	c.actor = "powerloss";
	c.app = "unit";
	return c;
}

typedef enum
{
	STEP_UPDATE, STEP_BOOT, STEP_CREATE
} step_kind;

static void
step(const char *path, const char *what, step_kind kind, db_event ev, uint8_t slot,
	 int tries, const char *reason)
{
	uint8_t		before[DB_RECORD_SIZE],
				after[DB_RECORD_SIZE];
	db_error	err;
	int			rc = DB_OK;

	file_read(path, before, sizeof(before));
	journal_start(path);
	if (kind == STEP_UPDATE)
	{
		db_request	req = {.event = ev, .tries = tries, .reason = reason,
		.dbname = "appdb", .fprint = "v1:pg15:c0ffee",
		.discard_stable_writes = true};
		db_context	c = ctx_on(slot);

		rc = db_update(path, &req, &c, NULL, &err);
	}
	else if (kind == STEP_CREATE)
	{
		db_context	c = ctx_on(DB_SLOT_NONE);

		rc = db_create(path, slot, &c, reason, true, &err);
	}
	else
	{
		db_boot_result res;

		db_boot_select(&cfg, path, tmp_path("booted"), NOW, &res);
		if (!res.dec.write || res.state_rc != DB_OK)
		{
			rc = DB_ERR_IO;
			snprintf(err.message, sizeof(err.message), "boot select: %.600s", res.state_error);
		}
	}
	journal_on = false;
	file_read(path, after, sizeof(after));
	if (!tap_ok(rc == DB_OK, "%s: the update succeeds", what))
	{
		tap_diag("  %s", err.message);
		return;
	}
	check_update(what, before, after, kind == STEP_CREATE ? 2 : 1);
}

static void
test_one_copy_corrupt(const char *path)
{
	uint8_t		good[DB_RECORD_SIZE],
				img[DB_RECORD_SIZE];
	db_state	newest,
				older,
				got;
	int			which = -1;
	uint64_t	seq0 = 0,
				seq1 = 0;
	db_error	err;
	/* corruptions of one copy: a body byte, the magic, the CRC, all zero */
	static const struct
	{
		const char *name;
		int			off;		/* -1: zero the whole copy */
	}			hits[] = {
		{"a flipped body byte", 1000},
		{"a flipped magic byte", 0},
		{"a flipped CRC byte", DB_COPY_SIZE - 2},
		{"a flipped padding byte", DB_COPY_SIZE - 100},
		{"all zeroes", -1},
	};

	file_read(path, good, sizeof(good));
	db_decode_record(good, DB_RECORD_SIZE, &newest, &which, NULL);
	db_decode(good, &got, &seq0);
	db_decode(good + DB_COPY_SIZE, &got, &seq1);
	db_decode(good + (1 - which) * DB_COPY_SIZE, &older, NULL);
	tap_ok(older.seq + 1 == newest.seq, "the two copies hold consecutive states (%llu, %llu)",
		   (unsigned long long) seq0, (unsigned long long) seq1);

	for (size_t h = 0; h < sizeof(hits) / sizeof(hits[0]); h++)
		for (int victim = 0; victim < 2; victim++)
		{
			const db_state *want = victim == which ? &older : &newest;
			int			rc;

			memcpy(img, good, sizeof(img));
			if (hits[h].off < 0)
				memset(img + victim * DB_COPY_SIZE, 0, DB_COPY_SIZE);
			else
				img[victim * DB_COPY_SIZE + hits[h].off] ^= 0x10;
			file_write(path, img, sizeof(img), 0600);
			rc = db_load(path, &got, &err);
			tap_ok(rc == DB_OK && same_state(&got, want),
				   "copy %d (%s) has %s: the other copy serves (seq %llu)", victim,
				   victim == which ? "newer" : "older", hits[h].name,
				   (unsigned long long) want->seq);
		}
	/* and an update on a record with one bad copy rewrites that copy */
	memcpy(img, good, sizeof(img));
	img[which * DB_COPY_SIZE + 1000] ^= 0x10;
	file_write(path, img, sizeof(img), 0600);
	{
		db_request	req = {.event = DB_EV_FAILBACK, .reason = "repair"};
		db_context	c = ctx_on(DB_SLOT_NONE);
		db_state	after;
		int			w = -1;

		tap_ok(db_update(path, &req, &c, &after, &err) == DB_OK &&
			   after.seq == older.seq + 1 && file_read(path, img, sizeof(img)) &&
			   db_decode_record(img, sizeof(img), &got, &w, NULL) == DB_OK && w == which &&
			   same_state(&got, &after) &&
			   memcmp(img + (1 - which) * DB_COPY_SIZE, good + (1 - which) * DB_COPY_SIZE,
					  DB_COPY_SIZE) == 0,
			   "an update over a corrupt newer copy builds on the older one and "
			   "overwrites the corrupt copy");
	}
	file_write(path, good, sizeof(good), 0600);
}

static void
test_both_corrupt(const char *path)
{
	uint8_t		good[DB_RECORD_SIZE],
				bad[DB_RECORD_SIZE],
				now[DB_RECORD_SIZE];
	db_state	got;
	db_error	err;

	file_read(path, good, sizeof(good));
	memcpy(bad, good, sizeof(bad));
	bad[500] ^= 1;
	bad[DB_COPY_SIZE + 3000] ^= 0x80;
	file_write(path, bad, sizeof(bad), 0600);
	tap_is_int(db_load(path, &got, &err), DB_ERR_NO_VALID, "both copies corrupt: no valid record");
	tap_ok(strstr(err.message, path) != NULL, "the error names the file");
	for (int def = 0; def < 2; def++)
	{
		db_config	c = cfg;
		db_boot_result res;
		db_marker	m;
		const char *marker = tmp_path("booted-corrupt");

		c.default_slot = (uint8_t) def;
		char		hint[600];

		/* no stable hint beside the record (test_hint covers that fallback) */
		snprintf(hint, sizeof(hint), "%s.hint", path);
		(void) unlink(hint);
		db_boot_select(&c, path, marker, NOW, &res);
		file_read(path, now, sizeof(now));
		tap_ok(res.dec.slot == def && !res.dec.trial && !res.dec.write &&
			   res.state_rc == DB_ERR_NO_VALID && memcmp(now, bad, sizeof(bad)) == 0,
			   "both copies corrupt: boot-select boots the default slot %s and writes nothing",
			   db_slot_name((uint8_t) def));
		tap_ok(db_marker_read(marker, &m, &err) == DB_OK && m.slot == def &&
			   m.stable_slot == def && !m.trial,
			   "the marker says slot %s, stable", db_slot_name((uint8_t) def));
	}
	{
		db_request	req = {.event = DB_EV_FAILBACK};
		db_context	c = ctx_on(DB_SLOT_NONE);

		tap_ok(db_update(path, &req, &c, NULL, &err) == DB_ERR_NO_VALID &&
			   file_read(path, now, sizeof(now)) && memcmp(now, bad, sizeof(bad)) == 0,
			   "both copies corrupt: db_update refuses and writes nothing");
	}
	file_write(path, good, sizeof(good), 0600);
}

/* I/O errors while the boot decision is persisted: boot stable, never a trial. */
static void
test_io_faults(void)
{
	const char *path = tmp_path("faults");
	db_context	c = ctx_on(DB_SLOT_A);
	db_request	arm = {.event = DB_EV_MARK_TEST, .tries = 3};
	db_error	err;
	uint8_t		before[DB_RECORD_SIZE];
	db_state	st;
	static const struct
	{
		const char *name;
		bool		pw;
		size_t		short_bytes;
		bool		sync;
	}			faults[] = {
		{"pwrite fails (EIO)", true, 0, false},
		{"pwrite writes 1000 bytes, then fails", true, 1000, false},
		{"fdatasync fails (EIO)", false, 0, true},
	};

	(void) unlink(path);
	if (!tap_ok(db_create(path, DB_SLOT_A, &c, NULL, false, &err) == DB_OK &&
				db_update(path, &arm, &c, NULL, &err) == DB_OK, "armed record for I/O faults"))
		return;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
	{
		db_boot_result res;
		db_request	fb = {.event = DB_EV_FAILBACK};
		int			rc;

		file_read(path, before, sizeof(before));
		fail_pwrite = faults[i].pw;
		short_write = faults[i].short_bytes;
		short_done = false;
		fail_sync = faults[i].sync;
		db_boot_select(&cfg, path, tmp_path("booted-fault"), NOW, &res);
		fail_pwrite = fail_sync = false;
		tap_ok(res.dec.slot == DB_SLOT_A && !res.dec.trial && res.state_rc == DB_ERR_IO &&
			   strstr(res.dec.why, "cannot write") != NULL,
			   "%s during boot-select: the decrement is not durable, stable A boots", faults[i].name);
		tap_ok(db_load(path, &st, &err) == DB_OK && st.trial_armed &&
			   (faults[i].sync || (st.tries_left == 3 && st.boot_count == 0)),
			   "%s: the record still reads as a valid state", faults[i].name);
		/* after a failed fdatasync the new bytes may be in the page cache: start over */
		file_write(path, before, sizeof(before), 0600);

		file_read(path, before, sizeof(before));
		fail_pwrite = faults[i].pw;
		short_write = faults[i].short_bytes;
		short_done = false;
		fail_sync = faults[i].sync;
		rc = db_update(path, &fb, &c, NULL, &err);
		fail_pwrite = fail_sync = false;
		tap_ok(rc == DB_ERR_IO && err.sys_errno == EIO && strstr(err.message, path) != NULL,
			   "%s during db_update: DB_ERR_IO with errno and path", faults[i].name);
		tap_ok(db_load(path, &st, &err) == DB_OK && (faults[i].sync || st.trial_armed),
			   "%s: afterwards the record reads as the old or new state", faults[i].name);
		file_write(path, before, sizeof(before), 0600);
	}

	/*
	 * A boot that would end the trial (no try left) but cannot write it:
	 * stable boots, and the trial is not reported as failed, since the
	 * record still has it armed.
	 */
	{
		db_request	arm1 = {.event = DB_EV_MARK_TEST, .tries = 1};
		db_boot_result res;

		(void) unlink(path);
		if (!tap_ok(db_create(path, DB_SLOT_A, &c, NULL, false, &err) == DB_OK &&
					db_update(path, &arm1, &c, NULL, &err) == DB_OK, "armed record, 1 try"))
			return;
		db_boot_select(&cfg, path, tmp_path("booted-fault"), NOW, &res);	/* uses the try */
		fail_pwrite = true;
		short_write = 0;
		short_done = false;
		db_boot_select(&cfg, path, tmp_path("booted-fault"), NOW + 1, &res);
		fail_pwrite = false;
		tap_ok(res.dec.slot == DB_SLOT_A && !res.dec.trial && !res.dec.trial_failed &&
			   res.state_rc == DB_ERR_IO &&
			   db_load(path, &st, &err) == DB_OK && st.trial_armed && st.tries_left == 0,
			   "no try left but the record cannot be written: stable A, trial not reported failed, still armed");
	}
}

void
test_powerloss(void)
{
	char		path[560];
	db_context	c = ctx_on(DB_SLOT_NONE);
	db_error	err;
	char		reason[200];

	/* tmp_path's buffers rotate: keep this one */
	snprintf(path, sizeof(path), "%.500s", tmp_path("state"));
	db_config_defaults(&cfg);
	if (db_kernel_boot_id(boot_id, sizeof(boot_id), NULL) != DB_OK)
		boot_id[0] = '\0';
	tap_ok(db_create(path, DB_SLOT_A, &c, "power loss test", false, &err) == DB_OK,
		   "create a record");
	/* a long UTF-8 reason so that an update spans more sectors */
	reason[0] = '\0';
	for (int i = 0; i < 37; i++)
		strcat(reason, "\xc3\xa9\xe2\x82\xac");	/* 185 bytes */
	strcat(reason, "191 B.");

	step(path, "update 1 (mark_test from A)", STEP_UPDATE, DB_EV_MARK_TEST, DB_SLOT_A, 3,
		 "rehearse migration 42");
	step(path, "update 2 (trial boot of B)", STEP_BOOT, 0, 0, 0, NULL);
	step(path, "update 3 (confirm on B)", STEP_UPDATE, DB_EV_CONFIRM, DB_SLOT_B, 0, NULL);
	step(path, "update 4 (fingerprint on B)", STEP_UPDATE, DB_EV_RECORD_FPRINT, DB_SLOT_B, 0,
		 NULL);
	step(path, "update 5 (promote B)", STEP_UPDATE, DB_EV_PROMOTE, DB_SLOT_B, 0, "verified");
	step(path, "update 6 (stable boot of B)", STEP_BOOT, 0, 0, 0, NULL);
	step(path, "update 7 (mark_test 7 from B, 191-byte reason)", STEP_UPDATE,
		 DB_EV_MARK_TEST, DB_SLOT_B, 7, reason);
	step(path, "update 8 (trial boot of A)", STEP_BOOT, 0, 0, 0, NULL);
	step(path, "update 9 (failback)", STEP_UPDATE, DB_EV_FAILBACK, DB_SLOT_A, 0, reason);
	step(path, "update 10 (db_create --force over the record)", STEP_CREATE, 0, DB_SLOT_B, 0,
		 "re-initialised");
	step(path, "update 11 (mark_test from B)", STEP_UPDATE, DB_EV_MARK_TEST, DB_SLOT_B, 2, NULL);
	step(path, "update 12 (trial boot of A)", STEP_BOOT, 0, 0, 0, NULL);
	/* now copy 0 holds the current state: a re-init must not write it first */
	step(path, "update 13 (db_create --force again)", STEP_CREATE, 0, DB_SLOT_A, 0, NULL);
	step(path, "update 14 (mark_test from A)", STEP_UPDATE, DB_EV_MARK_TEST, DB_SLOT_A, 1, NULL);
	step(path, "update 15 (trial boot of B)", STEP_BOOT, 0, 0, 0, NULL);
	/*
	 * The upgrade in place to format 2: a format 1 record (both copies), then
	 * the first write of a format 2 writer (a boot selection) replaces one
	 * copy, the second (an update) the other one.
	 */
	format2_make_v1_file(path);
	step(path, "upgrade 1 (format 1 record, a boot writes the first format 2 copy)",
		 STEP_BOOT, 0, 0, 0, NULL);
	step(path, "upgrade 2 (failback writes over the remaining format 1 copy)", STEP_UPDATE,
		 DB_EV_FAILBACK, DB_SLOT_A, 0, NULL);
	{
		uint8_t		img[DB_RECORD_SIZE];

		file_read(path, img, sizeof(img));
		tap_ok(img[8] == 2 && img[DB_COPY_SIZE + 8] == 2,
			   "after two writes both copies are format 2");
	}

	test_one_copy_corrupt(path);
	test_both_corrupt(path);
	test_io_faults();
}
