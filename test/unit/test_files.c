/*
 * test_files.c - bad input on real files in a temp folder: truncated,
 * zero-length, too long, wrong magic, newer format version, directory,
 * symlink, FIFO, world-writable, valid CRC with out-of-range fields. Every
 * case checks the error code, that nothing was written, and what
 * db_boot_select does with it (boot the configured default, write nothing).
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW		1764000000

static uint8_t good[DB_RECORD_SIZE];	/* a valid record: stable A, seq 2 in copy 1 */
static db_state good_state;

static void
make_good(void)
{
	const char *p = tmp_path("good");
	db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);
	db_request	req = {.event = DB_EV_MARK_TEST, .tries = 2, .reason = "files"};
	db_error	err;

	(void) unlink(p);
	if (db_create(p, DB_SLOT_A, &c, "init", false, &err) != DB_OK ||
		db_update(p, &req, &c, &good_state, &err) != DB_OK)
		tap_ok(false, "create the reference record: %s", err.message);
	file_read(p, good, sizeof(good));
}

/* A file with these bytes and mode; returns its path. */
static const char *
put(const char *name, const uint8_t *bytes, size_t len, int mode)
{
	const char *p = tmp_path(name);

	file_write(p, bytes, len, mode);
	return p;
}

static bool
unchanged(const char *path, const uint8_t *bytes, size_t len)
{
	static uint8_t now[2 * DB_RECORD_SIZE];
	struct stat st;

	if (lstat(path, &st) != 0 || (size_t) st.st_size != len)
		return false;
	return file_read(path, now, sizeof(now)) == len && memcmp(now, bytes, len) == 0;
}

/*
 * db_boot_select on a bad record: the configured default (B here, while the
 * good record says A) and no write.
 */
static void
boot_select_default(const char *what, const char *path, int want_rc)
{
	db_config	cfg;
	db_boot_result res;

	db_config_defaults(&cfg);
	cfg.default_slot = DB_SLOT_B;
	db_boot_select(&cfg, path, tmp_path("booted"), NOW, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && !res.dec.trial && !res.dec.write &&
		   res.state_rc == want_rc && res.state_error[0] != '\0',
		   "%s: boot-select boots the configured default B without writing (rc %d)", what,
		   want_rc);
	if (res.state_rc != want_rc)
		tap_diag("  state_rc %d: %s", res.state_rc, res.state_error);
}

static void
expect_load(const char *what, const char *path, int want_rc)
{
	db_state	st;
	db_error	err;
	int			rc = db_load(path, &st, &err);

	tap_ok(rc == want_rc && err.code == want_rc && err.message[0] != '\0',
		   "%s: db_load -> %d", what, want_rc);
	if (rc != want_rc)
		tap_diag("  got %d: %s", rc, err.message);
}

static void
expect_no_update(const char *what, const char *path, const uint8_t *bytes, size_t len,
				 int want_rc)
{
	db_request	req = {.event = DB_EV_FAILBACK};
	db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);
	db_error	err;
	int			rc = db_update(path, &req, &c, NULL, &err);

	tap_ok(rc == want_rc && (bytes == NULL || unchanged(path, bytes, len)),
		   "%s: db_update -> %d and the file is unchanged", what, want_rc);
	if (rc != want_rc)
		tap_diag("  got %d: %s", rc, err.message);
}

static void
test_sizes(void)
{
	static const struct
	{
		const char *name;
		size_t		len;
	}			sizes[] = {
		{"zero-length file", 0},
		{"truncated file (1 byte)", 1},
		{"truncated file (one copy, 4096 bytes)", DB_COPY_SIZE},
		{"truncated file (8191 bytes)", DB_RECORD_SIZE - 1},
		{"file one byte too long (8193 bytes)", DB_RECORD_SIZE + 1},
		{"file of two records (16384 bytes)", 2 * DB_RECORD_SIZE},
	};
	static uint8_t big[2 * DB_RECORD_SIZE];

	memcpy(big, good, DB_RECORD_SIZE);
	memcpy(big + DB_RECORD_SIZE, good, DB_RECORD_SIZE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
	{
		const char *p = put("sized", big, sizes[i].len, 0600);

		expect_load(sizes[i].name, p, DB_ERR_BAD_FILE);
		expect_no_update(sizes[i].name, p, big, sizes[i].len, DB_ERR_BAD_FILE);
		boot_select_default(sizes[i].name, p, DB_ERR_BAD_FILE);
		tap_ok(unchanged(p, big, sizes[i].len), "%s: still unchanged after boot-select",
			   sizes[i].name);
	}
	/* decoding a short buffer in memory */
	{
		db_state	st;
		db_error	err;

		tap_is_int(db_decode_record(good, DB_RECORD_SIZE - 1, &st, NULL, &err), DB_ERR_BAD_FILE,
				   "db_decode_record of 8191 bytes is refused");
	}
}

static void
test_magic_version(void)
{
	uint8_t		img[DB_RECORD_SIZE];
	const char *p;
	int			newer = good_state.seq == 2 ? 1 : 0;	/* the copy with seq 2 */
	db_state	st;
	db_error	err;

	{
		int			w = -1;

		db_decode_record(good, DB_RECORD_SIZE, &st, &w, NULL);
		newer = w;
	}

	/* wrong magic in both copies, CRC recomputed so only the magic is wrong */
	memcpy(img, good, sizeof(img));
	memcpy(img, "DUALBOOX", 8);
	memcpy(img + DB_COPY_SIZE, "dualboot", 8);
	forge_crc(img, 0);
	forge_crc(img, 1);
	p = put("magic", img, sizeof(img), 0600);
	expect_load("wrong magic in both copies", p, DB_ERR_NO_VALID);
	expect_no_update("wrong magic in both copies", p, img, sizeof(img), DB_ERR_NO_VALID);
	boot_select_default("wrong magic in both copies", p, DB_ERR_NO_VALID);

	/* garbage: not a record at all */
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t) (i * 131 + 7);
	p = put("garbage", img, sizeof(img), 0600);
	expect_load("8192 bytes of garbage", p, DB_ERR_NO_VALID);
	boot_select_default("8192 bytes of garbage", p, DB_ERR_NO_VALID);

	/* the newer copy re-encoded as format version 3 with a valid CRC */
	memcpy(img, good, sizeof(img));
	forge_version(img, newer, DB_FORMAT_VERSION + 1);
	tap_is_int(db_decode(img + newer * DB_COPY_SIZE, &st, NULL), DB_ERR_NEWER_VERSION,
			   "db_decode of a version-3 copy -> DB_ERR_NEWER_VERSION");
	p = put("v2", img, sizeof(img), 0600);
	expect_load("newest copy has version 3", p, DB_ERR_NEWER_VERSION);
	expect_no_update("newest copy has version 3", p, img, sizeof(img), DB_ERR_NEWER_VERSION);
	boot_select_default("newest copy has version 3", p, DB_ERR_NEWER_VERSION);
	tap_ok(unchanged(p, img, sizeof(img)), "newest copy has version 3: never written");
	{
		db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);

		tap_ok(db_create(p, DB_SLOT_A, &c, NULL, false, &err) == DB_ERR_EXISTS &&
			   unchanged(p, img, sizeof(img)),
			   "newest copy has version 3: db_create without force refuses");
	}
	/* both copies version 3, and the highest possible version */
	memcpy(img, good, sizeof(img));
	forge_version(img, 0, DB_FORMAT_VERSION + 1);
	forge_version(img, 1, 0xffff);
	p = put("v2both", img, sizeof(img), 0600);
	expect_load("both copies of a newer version (3, 65535)", p, DB_ERR_NEWER_VERSION);
	boot_select_default("both copies of a newer version", p, DB_ERR_NEWER_VERSION);
	/* an older copy of version 3 loses to a newer version-3 copy */
	memcpy(img, good, sizeof(img));
	forge_version(img, 1 - newer, DB_FORMAT_VERSION + 1);
	p = put("v2old", img, sizeof(img), 0600);
	tap_ok(db_load(p, &st, &err) == DB_OK && memcmp(&st, &good_state, sizeof(st)) == 0,
		   "a version-3 copy with the lower sequence: the version-3 copy is read");
	/* version 0 is not a version */
	memcpy(img, good, sizeof(img));
	forge_version(img, 0, 0);
	forge_version(img, 1, 0);
	p = put("v0", img, sizeof(img), 0600);
	expect_load("both copies say version 0", p, DB_ERR_NO_VALID);
	/* header size field other than 4096 (offset 12, u32 LE) */
	memcpy(img, good, sizeof(img));
	for (int c = 0; c < 2; c++)
	{
		img[c * DB_COPY_SIZE + 13] = 0x08;	/* 4096 -> 2048 */
		forge_crc(img, c);
	}
	tap_is_int(db_decode(img, &st, NULL), DB_ERR_INVALID,
			   "a copy whose size field is not 4096 is invalid");
	p = put("size", img, sizeof(img), 0600);
	expect_load("both copies with a wrong size field", p, DB_ERR_INVALID);
	expect_no_update("both copies with a wrong size field", p, img, sizeof(img),
					 DB_ERR_INVALID);
}

/* A valid CRC around fields out of range. */
static void
test_fields(void)
{
	static const char *const names[] = {
		"stable_slot 7", "stable_slot none (0xFF)", "trial_armed 2", "confirmed 2",
		"last_trial_failed 3", "last_boot_trial 2", "last_boot_slot 5", "tries_total 8",
		"tries_left above tries_total", "armed with tries_total 0", "history_next 8",
		"last_event 13", "last_boot_id uppercase", "last_boot_id without NUL",
		"history reason not UTF-8", "history event 99", "history slot 2",
		"history tries_left 8", "history actor without NUL", "fingerprint slot none",
		"fingerprint dbname with a newline", "fingerprint text without NUL",
	};
	const int	n = (int) (sizeof(names) / sizeof(names[0]));

	for (int i = 0; i < n; i++)
	{
		db_state	st = good_state;
		uint8_t		img[DB_RECORD_SIZE];
		db_state	got;
		int			h = (st.history_next + DB_HISTORY_LEN - 1) % DB_HISTORY_LEN;
		int			newer;
		const char *p;
		db_error	err;

		st.fprints[0].recorded_at = NOW;
		st.fprints[0].slot = DB_SLOT_A;
		strcpy(st.fprints[0].dbname, "appdb");
		strcpy(st.fprints[0].fprint, "v1:x");
		switch (i)
		{
			case 0: st.stable_slot = 7; break;
			case 1: st.stable_slot = DB_SLOT_NONE; break;
			case 2: st.trial_armed = 2; break;
			case 3: st.confirmed = 2; break;
			case 4: st.last_trial_failed = 3; break;
			case 5: st.last_boot_trial = 2; break;
			case 6: st.last_boot_slot = 5; break;
			case 7: st.tries_total = 8; st.tries_left = 1; break;
			case 8: st.tries_left = (uint8_t) (st.tries_total + 1); break;
			case 9: st.trial_armed = 1; st.tries_total = 0; st.tries_left = 0; break;
			case 10: st.history_next = DB_HISTORY_LEN; break;
			case 11: st.last_event = DB_EV_MAX + 1; break;
			case 12: strcpy(st.last_boot_id, "ABCDEF"); break;
			case 13: memset(st.last_boot_id, 'a', DB_BOOTID_SIZE); break;
			case 14: strcpy(st.history[h].reason, "bad \xc0\x80"); break;
			case 15: st.history[h].event = 99; break;
			case 16: st.history[h].slot = 2; break;
			case 17: st.history[h].tries_left = 8; break;
			case 18: memset(st.history[h].actor, 'x', DB_ACTOR_SIZE); break;
			case 19: st.fprints[0].slot = DB_SLOT_NONE; break;
			case 20: strcpy(st.fprints[0].dbname, "app\ndb"); break;
			case 21: memset(st.fprints[0].fprint, 'f', DB_FPRINT_SIZE); break;
		}
		/* db_encode does not validate: it writes a valid CRC around anything */
		db_encode(&st, img);
		memcpy(img + DB_COPY_SIZE, img, DB_COPY_SIZE);
		tap_is_int(db_decode(img, &got, NULL), DB_ERR_INVALID,
				   "valid CRC, %s: db_decode -> DB_ERR_INVALID", names[i]);
		p = put("fields", img, sizeof(img), 0600);
		if (i == 0)
		{
			expect_load("both copies with stable_slot 7", p, DB_ERR_INVALID);
			expect_no_update("both copies with stable_slot 7", p, img, sizeof(img),
							 DB_ERR_INVALID);
			boot_select_default("both copies with stable_slot 7", p, DB_ERR_INVALID);
		}
		/*
		 * Only the newer copy refused (as another build of format 1 would
		 * write it): the record is not usable, like one of a newer version.
		 * The older copy's intent (an armed trial here) is superseded: it is
		 * not read, the boot goes the "no usable record" way, and no writer
		 * overwrites the newer copy.
		 */
		memcpy(img, good, sizeof(img));
		{
			int			w = -1;

			db_decode_record(good, DB_RECORD_SIZE, &got, &w, NULL);
			newer = w;
		}
		st.seq = good_state.seq + 1;
		db_encode(&st, img + newer * DB_COPY_SIZE);
		p = put("fields1", img, sizeof(img), 0600);
		{
			char		what[96];

			snprintf(what, sizeof(what), "%s in the copy with the higher sequence", names[i]);
			expect_load(what, p, DB_ERR_INVALID);
			if (db_load(p, &got, &err) == DB_ERR_INVALID && i == 11)
				tap_ok(strstr(err.message, "last_event") != NULL &&
					   strstr(err.message, "sequence 3") != NULL,
					   "the error names the refused field and the sequence: %s", err.message);
			expect_no_update(what, p, img, sizeof(img), DB_ERR_INVALID);
			boot_select_default(what, p, DB_ERR_INVALID);
			tap_ok(unchanged(p, img, sizeof(img)), "%s: never written", what);
		}
		/* the same copy with the lower sequence: the newer valid copy wins */
		if (i == 11)
		{
			db_request	req = {.event = DB_EV_FAILBACK};
			db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);
			db_state	after;

			memcpy(img, good, sizeof(img));
			st.seq = good_state.seq - 1;
			db_encode(&st, img + (1 - newer) * DB_COPY_SIZE);
			p = put("fields2", img, sizeof(img), 0600);
			tap_ok(db_load(p, &got, &err) == DB_OK &&
				   memcmp(&got, &good_state, sizeof(got)) == 0,
				   "last_event 13 in the copy with the lower sequence: the newer copy is read");
			tap_ok(db_update(p, &req, &c, &after, &err) == DB_OK &&
				   db_load(p, &got, &err) == DB_OK && got.seq == good_state.seq + 1,
				   "... and an update writes over that older copy");
			/* a tie: the copy this version refuses is not shown to be older */
			memcpy(img, good, sizeof(img));
			st.seq = good_state.seq;
			db_encode(&st, img + (1 - newer) * DB_COPY_SIZE);
			p = put("fields3", img, sizeof(img), 0600);
			expect_load("last_event 13 in a copy with the same sequence", p, DB_ERR_INVALID);
			expect_no_update("last_event 13 in a copy with the same sequence", p, img,
							 sizeof(img), DB_ERR_INVALID);
			/* db_create: only with force (the operator's explicit replacement) */
			memcpy(img, good, sizeof(img));
			st.seq = good_state.seq + 1;
			db_encode(&st, img + newer * DB_COPY_SIZE);
			p = put("fields4", img, sizeof(img), 0600);
			tap_ok(db_create(p, DB_SLOT_A, &c, NULL, false, &err) == DB_ERR_EXISTS &&
				   unchanged(p, img, sizeof(img)),
				   "newest copy refused: db_create without force refuses, unchanged");
			tap_ok(db_create(p, DB_SLOT_B, &c, NULL, true, &err) == DB_OK &&
				   db_load(p, &got, &err) == DB_OK && got.stable_slot == DB_SLOT_B,
				   "newest copy refused: db_create with force replaces the record");
		}
	}
}

static void
test_types(void)
{
	const char *dir = tmp_path("adir");
	const char *target = put("target", good, sizeof(good), 0600);
	const char *link = tmp_path("link");
	const char *dangling = tmp_path("dangling");
	const char *fifo = tmp_path("fifo");
	db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);
	db_error	err;
	db_state	st;

	mkdir(dir, 0755);
	expect_load("a directory", dir, DB_ERR_BAD_FILE);
	boot_select_default("a directory", dir, DB_ERR_BAD_FILE);
	tap_is_int(db_create(dir, DB_SLOT_A, &c, NULL, true, &err), DB_ERR_BAD_FILE,
			   "db_create on a directory is refused");

	if (symlink(target, link) != 0 || symlink(tmp_path("nothing-here"), dangling) != 0)
		tap_ok(false, "make symlinks: %s", strerror(errno));
	expect_load("a symlink to a valid record", link, DB_ERR_BAD_FILE);
	expect_no_update("a symlink to a valid record", link, NULL, 0, DB_ERR_BAD_FILE);
	tap_ok(unchanged(target, good, sizeof(good)), "symlink: the target is unchanged by db_update");
	boot_select_default("a symlink to a valid record", link, DB_ERR_BAD_FILE);
	tap_ok(unchanged(target, good, sizeof(good)), "symlink: the target is unchanged by boot-select");
	tap_is_int(db_create(link, DB_SLOT_B, &c, NULL, true, &err), DB_ERR_BAD_FILE,
			   "db_create --force through a symlink is refused");
	tap_ok(unchanged(target, good, sizeof(good)), "symlink: the target is unchanged by db_create");
	tap_ok(db_create(dangling, DB_SLOT_A, &c, NULL, false, &err) == DB_ERR_BAD_FILE &&
		   access(tmp_path("nothing-here"), F_OK) != 0,
		   "db_create on a dangling symlink is refused and creates nothing");

	/* a FIFO must be refused, not waited on (run in a child with an alarm) */
	if (mkfifo(fifo, 0600) == 0)
	{
		pid_t		pid = fork();
		int			status = 0;

		if (pid == 0)
		{
			alarm(5);
			_exit(db_load(fifo, &st, &err) == DB_ERR_BAD_FILE ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			   "a FIFO is refused as not a regular file (without blocking)");
		if (WIFSIGNALED(status))
			tap_diag("  the reader was killed by signal %d (blocked in open?)", WTERMSIG(status));
	}
	expect_load("/dev/null (a character device)", "/dev/null", DB_ERR_BAD_FILE);

	/* world-writable: refused before anything is read or written */
	{
		const char *p = put("ww", good, sizeof(good), 0666);

		expect_load("a world-writable record", p, DB_ERR_BAD_FILE);
		db_load(p, &st, &err);
		tap_ok(strstr(err.message, "o-w") != NULL, "the message says how to fix it (chmod o-w)");
		expect_no_update("a world-writable record", p, good, sizeof(good), DB_ERR_BAD_FILE);
		boot_select_default("a world-writable record", p, DB_ERR_BAD_FILE);
		p = put("gw", good, sizeof(good), 0660);
		tap_is_int(db_load(p, &st, &err), DB_OK, "a group-writable record (0660) is accepted");
	}

	/* paths */
	expect_load("a missing file", tmp_path("missing"), DB_ERR_NOT_FOUND);
	boot_select_default("a missing file", tmp_path("missing"), DB_ERR_NOT_FOUND);
	expect_load("an empty path", "", DB_ERR_ARG);
	{
		char		longp[700];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		expect_load("a 699-byte path", longp, DB_ERR_ARG);
	}
	{
		db_config	cfg;
		db_boot_result res;

		db_config_defaults(&cfg);
		cfg.default_slot = DB_SLOT_B;
		db_boot_select(&cfg, NULL, NULL, NOW, &res);
		tap_ok(res.dec.slot == DB_SLOT_B && !res.dec.write && res.state_rc == DB_ERR_NOT_FOUND,
			   "no state path at all: boot-select boots the default B");
	}
}

static void
test_create(void)
{
	const char *p = tmp_path("created");
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_error	err;
	db_state	st,
				st2;
	uint8_t		img[DB_RECORD_SIZE];
	struct stat sb;

	tap_ok(db_create(p, DB_SLOT_B, &c, "first", false, &err) == DB_OK &&
		   db_load(p, &st, &err) == DB_OK && st.stable_slot == DB_SLOT_B && st.seq == 1 &&
		   st.last_event == DB_EV_INIT && strcmp(st.history[0].reason, "first") == 0,
		   "db_create makes a valid record (stable B, seq 1, history holds init)");
	tap_ok(stat(p, &sb) == 0 && sb.st_size == DB_RECORD_SIZE && !(sb.st_mode & S_IWOTH) &&
		   file_read(p, img, sizeof(img)) == DB_RECORD_SIZE &&
		   memcmp(img, img + DB_COPY_SIZE, DB_COPY_SIZE) == 0,
		   "the new file has 8192 bytes, two identical copies, not world-writable");
	tap_ok(db_create(p, DB_SLOT_A, &c, NULL, false, &err) == DB_ERR_EXISTS &&
		   unchanged(p, img, sizeof(img)),
		   "db_create over a valid record without force: DB_ERR_EXISTS, unchanged");
	tap_ok(db_create(p, DB_SLOT_A, &c, "again", true, &err) == DB_OK &&
		   db_load(p, &st2, &err) == DB_OK && st2.stable_slot == DB_SLOT_A && st2.seq == st.seq + 1,
		   "db_create with force replaces it with a higher sequence");
	tap_ok(db_create(tmp_path("c2"), DB_SLOT_A, &c, "bad \xff", false, &err) == DB_ERR_ARG &&
		   access(tmp_path("c2"), F_OK) != 0,
		   "db_create with a reason that is not UTF-8 is refused and creates nothing");
	/* an all-zero file of the right size (a fresh partition) is initialised */
	memset(img, 0, sizeof(img));
	p = put("zeros", img, sizeof(img), 0600);
	tap_ok(db_create(p, DB_SLOT_A, &c, NULL, false, &err) == DB_OK &&
		   db_load(p, &st, &err) == DB_OK,
		   "db_create on an all-zero 8192-byte file initialises it");
}

/* A loop device over a file of `size` bytes, or "" when losetup is not usable. */
static void
loop_attach(const char *file, size_t size, char *dev, size_t devsize)
{
	static uint8_t zero[1 << 16];
	char		cmd[700];
	FILE	   *p;
	uint8_t    *buf = zero;

	dev[0] = '\0';
	memset(zero, 0, sizeof(zero));
	/* a pattern after the record, to prove nothing beyond 8192 bytes is written */
	if (size > DB_RECORD_SIZE)
		memset(zero + DB_RECORD_SIZE, 0xA5, 512);
	file_write(file, buf, size, 0600);
	snprintf(cmd, sizeof(cmd), "losetup --find --show '%s' 2>/dev/null", file);
	if ((p = popen(cmd, "r")) == NULL)
		return;
	if (fgets(dev, (int) devsize, p) == NULL)
		dev[0] = '\0';
	dev[strcspn(dev, "\n")] = '\0';
	if (pclose(p) != 0)
		dev[0] = '\0';
}

static void
loop_detach(const char *dev)
{
	char		cmd[300];

	snprintf(cmd, sizeof(cmd), "losetup -d '%s' 2>/dev/null", dev);
	if (system(cmd) != 0)
		tap_diag("could not detach %s", dev);
}

static void
test_block_device(void)
{
	char		dev[256],
				small[256];
	db_context	c = ctx_make(DB_SLOT_A, NULL, NOW);
	db_request	req = {.event = DB_EV_MARK_TEST, .tries = 4, .reason = "on a raw device"};
	db_error	err;
	db_state	st;
	uint8_t		tail[512],
				pattern[512];
	const int	n = 5;

	loop_attach(tmp_path("blk.img"), 1 << 16, dev, sizeof(dev));
	if (dev[0] == '\0')
	{
		for (int i = 0; i < n; i++)
			tap_skip("no loop device (losetup unavailable or not permitted)",
					 "raw block device test %d", i + 1);
		return;
	}
	tap_ok(db_create(dev, DB_SLOT_B, &c, "raw", false, &err) == DB_OK &&
		   db_load(dev, &st, &err) == DB_OK && st.stable_slot == DB_SLOT_B,
		   "db_create and db_load on a 64 KiB block device (%s)", dev);
	c.current_slot = DB_SLOT_B;
	if (!tap_ok(db_update(dev, &req, &c, NULL, &err) == DB_OK && db_load(dev, &st, &err) == DB_OK &&
				st.trial_armed && st.tries_left == 4, "db_update on the block device"))
		tap_diag("  %s", err.message);
	tap_ok(db_create(dev, DB_SLOT_A, &c, NULL, false, &err) == DB_ERR_EXISTS,
		   "db_create without force refuses the valid record on the device");
	{
		FILE	   *f = fopen(dev, "r");

		memset(pattern, 0xA5, sizeof(pattern));
		tap_ok(f && fseek(f, DB_RECORD_SIZE, SEEK_SET) == 0 &&
			   fread(tail, 1, sizeof(tail), f) == sizeof(tail) &&
			   memcmp(tail, pattern, sizeof(tail)) == 0,
			   "the bytes after the record on the device are untouched");
		if (f)
			fclose(f);
	}
	loop_detach(dev);

	loop_attach(tmp_path("small.img"), 4096, small, sizeof(small));
	if (small[0])
	{
		tap_is_int(db_load(small, &st, &err), DB_ERR_BAD_FILE,
				   "a block device of 4096 bytes is too small for a record");
		loop_detach(small);
	}
	else
		tap_skip("no loop device", "a block device of 4096 bytes is too small");
}

void
test_files(void)
{
	make_good();
	test_sizes();
	test_magic_version();
	test_fields();
	test_types();
	test_create();
	test_block_device();
}
