/*
 * fuzz_record.c - libFuzzer target over the record library's readers.
 *
 * The first byte picks what the rest of the input is:
 *   0  a raw record image, decoded with db_decode_record (any length);
 *   1  the bytes of a struct db_state, encoded with db_encode (so the CRC
 *      is valid and the field checks are what gets fuzzed) and decoded;
 *   2  a boot marker file, read with db_marker_read;
 *   3  a configuration file, read with db_config_parse_file;
 *   4  a kernel command line, applied with db_config_apply_cmdline;
 *   6  a stable hint image (1024 bytes), decoded with db_hint_decode;
 *   5  a record file (the input padded or cut to 8192 bytes) given to
 *      db_boot_select and db_update: a record that cannot be read is never
 *      written (and no stable hint is made from it), one that can is
 *      written as a valid record and the hint beside it names its stable slot.
 *
 * Besides "no crash, no sanitizer report", it checks properties: a decoded
 * state re-encodes to the same state; the copy chosen is never older than a
 * whole copy this version cannot read (newer version or refused fields); every event applied to a valid state
 * gives a valid state (or leaves it unchanged when refused); every boot
 * decision boots A or B and leaves a valid state; a marker that reads back
 * writes and reads back the same; parsed configuration values are shell-safe.
 * A broken property aborts (a crash libFuzzer reports with its input).
 *
 * Seed corpus: `build/unit/unit --corpus DIR` writes real records, markers,
 * configurations and command lines in this format.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbstate.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_record: property failed at line %d: %s\n", __LINE__, #cond); \
	abort(); } } while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");

	(void) argc;
	(void) argv;
	snprintf(dir, sizeof(dir), "%s/dualboot-fuzz.XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	return 0;
}

static void
cleanup(void)
{
	char		p[300];

	snprintf(p, sizeof(p), "%s/in", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/in.hint", dir);
	unlink(p);
	rmdir(dir);
}

static const char *
put(const uint8_t *data, size_t size)
{
	static char p[300];
	FILE	   *f;

	snprintf(p, sizeof(p), "%s/in", dir);
	f = fopen(p, "w");
	if (f == NULL)
		abort();
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	/* whatever the umask: a world-writable record would be refused */
	if (chmod(p, 0600) != 0)
		abort();
	return p;
}

static bool
valid_state(const db_state *st)
{
	uint8_t		copy[DB_COPY_SIZE];
	db_state	back;

	db_encode(st, copy);
	return db_decode(copy, &back, NULL) == DB_OK && memcmp(&back, st, sizeof(back)) == 0;
}

/* Everything the life cycle can do to a valid state keeps it valid. */
static void
exercise(const db_state *st, uint8_t knob)
{
	static const db_event evs[] = {DB_EV_MARK_TEST, DB_EV_CONFIRM, DB_EV_FAILBACK,
	DB_EV_PROMOTE, DB_EV_RECORD_FPRINT, DB_EV_REFRESH, DB_EV_STOP_POINT,
	DB_EV_REHEARSAL_BEGIN, DB_EV_REHEARSAL_END};
	static const uint8_t slots[] = {DB_SLOT_A, DB_SLOT_B, DB_SLOT_NONE};
	db_stop_point sp = {.lsn = knob + 2u, .sysid = 7, .copy_lsn = 1,
	.how = DB_STOP_SHUTDOWN, .analysis = DB_WAL_ANALYSED, .rels = "5/1"};

	CHECK(valid_state(st));
	for (size_t e = 0; e < sizeof(evs) / sizeof(evs[0]); e++)
		for (size_t s = 0; s < sizeof(slots) / sizeof(slots[0]); s++)
		{
			db_state	n = *st;
			db_request	req = {.event = evs[e], .tries = knob % 9, .reason = "fuzz",
			.dbname = "db", .fprint = "v1:fuzz", .discard_stable_writes = (knob & 0x20) != 0,
			.sysid = 7, .lsn = knob + 1u, .stop = &sp, .name = (knob & 0x10) ? "r1" : "r2"};
			db_context	c = {.current_slot = slots[s],
				.boot_id = (knob & 0x40) ? st->last_boot_id : "0000-1111",
			.now = (int64_t) knob * 1000, .actor = "fuzz", .app = NULL};
			db_error	err;
			int			rc = db_apply(&n, &req, &c, &err);

			if (rc == DB_OK)
			{
				CHECK(n.seq == st->seq + 1);
				CHECK(valid_state(&n));
			}
			else
			{
				CHECK(rc == DB_REFUSED || rc == DB_ERR_ARG);
				CHECK(memcmp(&n, st, sizeof(n)) == 0);
				CHECK(err.message[0] != '\0');
			}
		}
	/* slot devices present or not x firmware slot unknown, A, B, known but none */
	for (int v = 0; v < 16; v++)
	{
		int			present = v & 3;
		db_state	n = *st;
		db_boot_input in = {.have_state = true, .default_slot = knob & 1,
			.slot_present = {present & 1, (present & 2) != 0},
			.boot_id = "0d6f8a2e-1111", .now = knob, .firmware_known = (v >> 2) != 0,
		.firmware_slot = (v >> 2) == 1 ? DB_SLOT_A : (v >> 2) == 2 ? DB_SLOT_B : DB_SLOT_NONE};
		db_boot_decision d;

		db_boot_decide(&n, &in, &d);
		/* the firmware booted the stable entry: no trial boot, unless the
		 * stable root is missing (then the test root is the one to boot) */
		CHECK(!(in.firmware_known && in.firmware_slot == st->stable_slot &&
				in.slot_present[st->stable_slot]) || !d.trial);
		CHECK(d.slot == DB_SLOT_A || d.slot == DB_SLOT_B);
		CHECK(d.write);
		CHECK(!d.trial || d.slot != n.stable_slot);
		CHECK(d.trial || d.slot == n.stable_slot);
		CHECK(!(d.trial && d.trial_failed));
		CHECK(valid_state(&n));
		CHECK(memchr(d.why, '\0', sizeof(d.why)) != NULL && d.why[0]);
	}
}

static void
fuzz_record(const uint8_t *data, size_t size)
{
	db_state	st;
	db_error	err;
	int			which = -1;
	uint8_t    *buf;
	int			rc;

	/* an exact-size heap copy, so that any over-read is caught */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	rc = db_decode_record(buf, size, &st, &which, &err);
	CHECK(rc == DB_OK || rc == DB_ERR_BAD_FILE || rc == DB_ERR_NO_VALID ||
		  rc == DB_ERR_NEWER_VERSION || rc == DB_ERR_INVALID);
	CHECK(rc == DB_OK || memchr(err.message, '\0', sizeof(err.message)) != NULL);
	if (rc == DB_OK)
	{
		db_state	other;
		uint64_t	oseq = 0;
		int			orc;

		CHECK(which == 0 || which == 1);
		/* the other copy is torn, older, or a valid copy of the same seq:
		 * never a whole copy (newer or refused) that is at least as new */
		orc = db_decode(buf + (1 - which) * DB_COPY_SIZE, &other, &oseq);
		CHECK(orc == DB_ERR_NO_VALID || oseq < st.seq || (oseq == st.seq && orc == DB_OK));
		exercise(&st, size > 20 ? buf[20] : 0);
	}
	free(buf);
}

static void
fuzz_state(const uint8_t *data, size_t size)
{
	db_state	st;
	uint8_t		rec[DB_RECORD_SIZE];
	db_state	got;
	int			rc;

	memset(&st, 0, sizeof(st));
	memcpy(&st, data, size < sizeof(st) ? size : sizeof(st));
	db_encode(&st, rec);
	/* the second copy: the same state one sequence older, or garbage */
	if (size > sizeof(st) && (data[sizeof(st)] & 1))
	{
		db_state	older = st;

		older.seq--;
		db_encode(&older, rec + DB_COPY_SIZE);
	}
	else
		memset(rec + DB_COPY_SIZE, size ? data[0] : 0, DB_COPY_SIZE);
	rc = db_decode_record(rec, sizeof(rec), &got, NULL, NULL);
	/* a state this version refuses, encoded with a good CRC: DB_ERR_INVALID */
	CHECK(rc == DB_OK || rc == DB_ERR_NO_VALID || rc == DB_ERR_INVALID);
	CHECK(rc != DB_ERR_INVALID || db_decode(rec, &got, NULL) == DB_ERR_INVALID);
	if (rc == DB_OK)
		exercise(&got, (uint8_t) st.seq);
}

static void
fuzz_marker(const uint8_t *data, size_t size)
{
	db_marker	m,
				back;
	db_error	err;
	char		out[300];

	if (db_marker_read(put(data, size), &m, &err) != DB_OK)
		return;
	CHECK(m.slot == DB_SLOT_A || m.slot == DB_SLOT_B);
	CHECK(db_boot_id_valid(m.boot_id) && m.boot_id[0]);
	snprintf(out, sizeof(out), "%s/out", dir);
	CHECK(db_marker_write(out, &m, &err) == DB_OK);
	CHECK(db_marker_read(out, &back, &err) == DB_OK);
	CHECK(back.slot == m.slot && back.seq == m.seq && back.trial == m.trial &&
		  back.boot_count == m.boot_count && back.tries_left == m.tries_left &&
		  strcmp(back.boot_id, m.boot_id) == 0 &&
		  (m.stable_slot == DB_SLOT_NONE || back.stable_slot == m.stable_slot));
}

/* Every value that parses is NUL-terminated and free of shell characters. */
static void
check_config(const db_config *c)
{
	const char *vals[] = {c->state_device, c->state_file, c->state_mount,
	c->slot_dev[0], c->slot_dev[1]};

	CHECK(c->default_slot == DB_SLOT_A || c->default_slot == DB_SLOT_B);
	CHECK(c->timeout >= 0 && c->timeout <= 600);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
	{
		CHECK(memchr(vals[i], '\0', DB_CONF_VALUE_SIZE) != NULL);
		CHECK(strpbrk(vals[i], " \t\n\"'`\\$;&|<>(){}*?!#") == NULL);
	}
	for (int s = 0; s < 2; s++)
		CHECK(memchr(c->efi_entry[s], '\0', sizeof(c->efi_entry[s])) != NULL);
}

static void
fuzz_config(const uint8_t *data, size_t size)
{
	db_config	c;
	db_error	err;
	char		out[DB_CONF_VALUE_SIZE];

	db_config_defaults(&c);
	memset(&err, 0, sizeof(err));
	if (db_config_parse_file(&c, put(data, size), &err) != DB_OK)
		CHECK(err.message[0] != '\0');
	check_config(&c);
	(void) db_config_state_path(&c, out, sizeof(out), &err);
}

static void
fuzz_cmdline(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	db_config	c;
	db_error	err;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	db_config_defaults(&c);
	(void) db_config_apply_cmdline(&c, s, &err);
	check_config(&c);
	free(s);
}

static void
fuzz_storage(const uint8_t *data, size_t size)
{
	static uint8_t rec[DB_RECORD_SIZE],
				after[DB_RECORD_SIZE];
	db_config	cfg;
	db_boot_result res;
	db_state	st;
	db_hint		h;
	const char *path;
	char		hint[320];
	FILE	   *f;
	int			rc;

	memset(rec, 0, sizeof(rec));
	memcpy(rec, data, size < sizeof(rec) ? size : sizeof(rec));
	path = put(rec, sizeof(rec));
	rc = db_decode_record(rec, sizeof(rec), &st, NULL, NULL);
	db_config_defaults(&cfg);
	cfg.default_slot = size ? data[0] & 1 : 0;
	/* no stable hint beside the record from an earlier input */
	snprintf(hint, sizeof(hint), "%s.hint", path);
	unlink(hint);
	db_boot_select(&cfg, path, NULL, 1764000000, &res);
	CHECK(res.dec.slot == DB_SLOT_A || res.dec.slot == DB_SLOT_B);
	f = fopen(path, "r");
	CHECK(f && fread(after, 1, sizeof(after), f) == sizeof(after));
	fclose(f);
	if (rc != DB_OK)
	{
		/* unreadable: the default slot, and not one byte written */
		CHECK(res.state_rc == rc && res.dec.slot == cfg.default_slot && !res.dec.write);
		CHECK(res.fallback == DB_FALLBACK_DEFAULT && access(hint, F_OK) != 0);
		CHECK(memcmp(rec, after, sizeof(rec)) == 0);
	}
	else
	{
		db_state	now;

		CHECK(res.state_rc == DB_OK && res.dec.write);
		CHECK(db_decode_record(after, sizeof(after), &now, NULL, NULL) == DB_OK);
		CHECK(now.seq == st.seq + 1 && now.boot_count == st.boot_count + 1);
		CHECK(res.dec.slot == (res.dec.trial ? db_test_slot(&st) : st.stable_slot));
		/* the stable hint beside it names the record's stable slot */
		CHECK(res.fallback == DB_FALLBACK_NONE &&
			  db_hint_read(hint, 0, &h, NULL) == DB_OK && h.stable_slot == now.stable_slot);
	}
}

/* a stable hint image: a decoded hint re-encodes to the copy it came from */
static void
fuzz_hint(const uint8_t *data, size_t size)
{
	uint8_t		img[DB_HINT_SIZE],
				copy[DB_HINT_COPY_SIZE];
	db_hint		h;

	memset(img, 0, sizeof(img));
	memcpy(img, data, size < sizeof(img) ? size : sizeof(img));
	if (db_hint_decode(img, &h) != DB_OK)
		return;
	CHECK(h.stable_slot == DB_SLOT_A || h.stable_slot == DB_SLOT_B);
	db_hint_encode(&h, copy);
	CHECK(memcmp(copy, img, sizeof(copy)) == 0 ||
		  memcmp(copy, img + DB_HINT_COPY_SIZE, sizeof(copy)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;

	if (!registered)
	{
		atexit(cleanup);
		registered = true;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 7)
	{
		case 0:
			fuzz_record(data + 1, size - 1);
			break;
		case 1:
			fuzz_state(data + 1, size - 1);
			break;
		case 2:
			fuzz_marker(data + 1, size - 1);
			break;
		case 3:
			fuzz_config(data + 1, size - 1);
			break;
		case 4:
			fuzz_cmdline(data + 1, size - 1);
			break;
		case 5:
			fuzz_storage(data + 1, size - 1);
			break;
		default:
			fuzz_hint(data + 1, size - 1);
			break;
	}
	return 0;
}
