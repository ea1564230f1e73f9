/*
 * test_hint.c - the stable hint (docs/state-format.md section 15): its codec
 * (every byte of a copy checked), a power cut at every byte of a rewrite
 * (torn writes, with old or garbage bytes after the cut), its file storage,
 * and the fallback decision of the boot selection after a real promotion of
 * B: the record unusable in each way boots B from the hint; the hint lost as
 * well boots default= and says so in the result and the marker.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW		1764000000

static void
image(uint8_t *img, uint8_t slot, uint64_t seq)
{
	db_hint		h = {.stable_slot = slot, .seq = seq, .written_at = NOW};

	db_hint_encode(&h, img);
	memcpy(img + DB_HINT_COPY_SIZE, img, DB_HINT_COPY_SIZE);
}

static void
test_codec(void)
{
	uint8_t		img[DB_HINT_SIZE],
				bad[DB_HINT_SIZE];
	db_hint		h;
	int			fell_back = 0,
				refused = 0;

	image(img, DB_SLOT_B, 42);
	tap_ok(db_hint_decode(img, &h) == DB_OK && h.stable_slot == DB_SLOT_B && h.seq == 42 &&
		   h.written_at == NOW, "encode/decode: slot B, seq 42, time");
	tap_ok(memcmp(img, DB_HINT_MAGIC, 8) == 0 && img[8] == 1 && img[9] == 0 && img[10] == 1 &&
		   img[16] == 42, "bytes as documented: magic, format 1 (u16 LE), slot, seq (u64 LE)");
	/* any single flipped bit of copy 0 makes it invalid: copy 1 decides */
	for (int i = 0; i < DB_HINT_COPY_SIZE; i++)
	{
		memcpy(bad, img, sizeof(bad));
		bad[i] ^= 0x01;
		bad[DB_HINT_COPY_SIZE + 10] = 0;	/* copy 1 forged to A: tells which copy won */
		bad[DB_HINT_COPY_SIZE + 508] = 0;	/* ... and invalid, unless re-CRCed */
		{
			uint32_t	crc = db_crc32c(0, bad + DB_HINT_COPY_SIZE, DB_HINT_COPY_SIZE - 4);

			for (int k = 0; k < 4; k++)
				bad[DB_HINT_COPY_SIZE + 508 + k] = (uint8_t) (crc >> (8 * k));
		}
		if (db_hint_decode(bad, &h) == DB_OK && h.stable_slot == DB_SLOT_A)
			fell_back++;
		bad[DB_HINT_COPY_SIZE] ^= 0xff;	/* copy 1 invalid too */
		if (db_hint_decode(bad, &h) == DB_ERR_NO_VALID)
			refused++;
	}
	tap_is_int(fell_back, DB_HINT_COPY_SIZE,
			   "a flipped bit anywhere in copy 0 (magic, format, slot, zero bytes, CRC): copy 1 is used");
	tap_is_int(refused, DB_HINT_COPY_SIZE, "... and with copy 1 invalid too: no hint");
	/* a slot other than 0/1 or another format, with a matching CRC, is refused */
	for (int which = 0; which < 2; which++)
	{
		uint32_t	crc;

		image(bad, DB_SLOT_A, 1);
		if (which == 0)
			bad[10] = 2;
		else
			bad[8] = 2;
		crc = db_crc32c(0, bad, DB_HINT_COPY_SIZE - 4);
		for (int k = 0; k < 4; k++)
			bad[508 + k] = (uint8_t) (crc >> (8 * k));
		bad[DB_HINT_COPY_SIZE] = 0;
		tap_is_int(db_hint_decode(bad, &h), DB_ERR_NO_VALID, "%s with a valid CRC is refused",
				   which == 0 ? "slot 2" : "format 2");
	}
	memset(bad, 0, sizeof(bad));
	tap_is_int(db_hint_decode(bad, &h), DB_ERR_NO_VALID, "zeros: no hint");
	tap_is_int(db_fallback_name(DB_FALLBACK_HINT)[0] == 'h' &&
			   strcmp(db_fallback_name(DB_FALLBACK_DEFAULT), "default") == 0 &&
			   strcmp(db_fallback_name(DB_FALLBACK_NONE), "none") == 0, 1, "fallback names");
}

/*
 * A power cut at every byte of a rewrite. The writer writes copy 0 whole,
 * syncs, then copy 1 (db_hint_write; the order is checked on the file by
 * test_files_hint through the bytes it leaves). Bytes after the cut are the
 * old ones, or garbage up to the end of the 512-byte copy being written.
 */
static void
test_torn(void)
{
	uint8_t		old[DB_HINT_SIZE],
				new[DB_HINT_SIZE],
				img[DB_HINT_SIZE];
	db_hint		h;
	int			bad = 0,
				cuts = 0;

	for (int garbage = 0; garbage < 2; garbage++)
		for (int lower = 0; lower < 2; lower++)
		{
			image(old, DB_SLOT_A, 100);
			/* the new hint may carry a lower seq (a re-created record) */
			image(new, DB_SLOT_B, lower ? 3 : 101);
			for (int k = 0; k <= DB_HINT_SIZE; k++)
			{
				int			end = k == DB_HINT_SIZE ? k :
					(k / DB_HINT_COPY_SIZE + 1) * DB_HINT_COPY_SIZE;

				memcpy(img, new, (size_t) k);
				memcpy(img + k, old + k, (size_t) (DB_HINT_SIZE - k));
				if (garbage)
					for (int i = k; i < end; i++)
						img[i] = (uint8_t) (i * 37 + 11);
				cuts++;
				if (db_hint_decode(img, &h) != DB_OK ||
					h.stable_slot != (k >= DB_HINT_COPY_SIZE ? DB_SLOT_B : DB_SLOT_A))
				{
					if (bad++ < 3)
						tap_diag("cut at byte %d (garbage %d, lower seq %d): %s", k, garbage,
								 lower, db_hint_decode(img, &h) == DB_OK ?
								 db_slot_name(h.stable_slot) : "no hint");
				}
			}
		}
	tap_ok(bad == 0, "a power cut at each of %d points of a rewrite A -> B reads A until copy 0 "
		   "is whole, B after; never no hint", cuts);
}

static void
test_files_hint(void)
{
	const char *p = tmp_path("hint-file");
	db_hint		h = {.stable_slot = DB_SLOT_B, .seq = 7, .written_at = NOW};
	db_hint		got;
	db_error	err;
	uint8_t		img[DB_HINT_SIZE];
	struct stat st;

	(void) unlink(p);
	tap_ok(db_hint_write(p, 0, &h, &err) == DB_OK && stat(p, &st) == 0 &&
		   st.st_size == DB_HINT_SIZE && (st.st_mode & 0777) == 0644,
		   "db_hint_write creates a missing hint: 1024 bytes, mode 0644");
	file_read(p, img, sizeof(img));
	tap_ok(memcmp(img, img + DB_HINT_COPY_SIZE, DB_HINT_COPY_SIZE) == 0 &&
		   db_hint_read(p, 0, &got, &err) == DB_OK && got.stable_slot == DB_SLOT_B && got.seq == 7,
		   "both copies hold the same bytes; it reads back");
	h.stable_slot = DB_SLOT_A;
	tap_ok(db_hint_write(p, 0, &h, &err) == DB_OK && stat(p, &st) == 0 &&
		   st.st_size == DB_HINT_SIZE && db_hint_read(p, 0, &got, &err) == DB_OK &&
		   got.stable_slot == DB_SLOT_A, "rewritten in place (same size)");
	/* a file of the wrong size, a world-writable one, a symlink: refused */
	file_write(p, img, 1000, 0644);
	tap_ok(db_hint_read(p, 0, &got, &err) == DB_ERR_BAD_FILE &&
		   db_hint_write(p, 0, &h, &err) == DB_ERR_BAD_FILE && strstr(err.message, p) != NULL,
		   "a 1000-byte file is refused, read and write, naming it");
	file_write(p, img, sizeof(img), 0666);
	(void) chmod(p, 0666);
	tap_is_int(db_hint_read(p, 0, &got, &err), DB_ERR_BAD_FILE, "a world-writable hint is refused");
	(void) unlink(p);
	tap_ok(symlink(tmp_path("state"), p) == 0 && db_hint_read(p, 0, &got, &err) < 0 &&
		   db_hint_write(p, 0, &h, &err) < 0, "a symlink is never followed");
	(void) unlink(p);
	tap_is_int(db_hint_read(p, 0, &got, &err), DB_ERR_NOT_FOUND, "missing: DB_ERR_NOT_FOUND");
	/* a hint pointed at the record (a misconfiguration) never overwrites it */
	{
		const char *rec = tmp_path("hint-on-record");
		db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
		static uint8_t before[DB_RECORD_SIZE],
					after[DB_RECORD_SIZE];

		(void) unlink(rec);
		tap_ok(db_create(rec, DB_SLOT_A, &c, NULL, false, &err) == DB_OK, "a record");
		file_read(rec, before, sizeof(before));
		tap_ok(db_hint_write(rec, 0, &h, &err) < 0 && file_read(rec, after, sizeof(after)) &&
			   memcmp(before, after, sizeof(before)) == 0,
			   "db_hint_write on the record's own file is refused and writes nothing");
		memcpy(img, before, DB_HINT_SIZE);
		file_write(p, img, DB_HINT_SIZE, 0644);	/* a 1024-byte file starting with DUALBOOT */
		tap_ok(db_hint_write(p, 0, &h, &err) == DB_ERR_BAD_FILE &&
			   strstr(err.message, "holds the state record") != NULL,
			   "a hint-sized file holding the record's magic is never overwritten: %s", err.message);
		(void) unlink(p);
	}
}

/* the configuration keys and where the running system finds the hint */
static void
test_config_hint(void)
{
	db_config	c;
	db_error	err;
	char		out[512];
	uint64_t	off = 99;

	db_config_defaults(&c);
	tap_ok(strcmp(c.stable_hint_mount, "/boot/efi") == 0 && c.stable_hint[0] == '\0',
		   "defaults: stable_hint unset, stable_hint_mount=/boot/efi");
	tap_ok(db_hint_path(&c, "/var/lib/dualboot/dualboot/state", out, sizeof(out), &off, &err)
		   == DB_OK && strcmp(out, "/var/lib/dualboot/dualboot/state.hint") == 0 && off == 0,
		   "unset: beside the record file (state.hint)");
	tap_ok(db_hint_path(&c, NULL, out, sizeof(out), &off, &err) == DB_ERR_NOT_FOUND,
		   "unset and no record path: no hint");
	tap_ok(db_config_set(&c, "stable_hint", "PARTLABEL=esp", &err) == DB_OK &&
		   db_config_set(&c, "stable_hint_file", "/dualboot/stable", &err) == DB_OK &&
		   db_hint_path(&c, "/x/state", out, sizeof(out), &off, &err) == DB_OK &&
		   strcmp(out, "/boot/efi/dualboot/stable") == 0 && off == 0,
		   "stable_hint + stable_hint_file: under stable_hint_mount");
	tap_ok(db_config_set(&c, "stable_hint", "nonsense", &err) == DB_ERR_ARG &&
		   strstr(err.message, "stable_hint") != NULL &&
		   db_config_set(&c, "stable_hint_file", "rel/path", &err) == DB_ERR_ARG,
		   "a bad stable_hint device or relative stable_hint_file is refused, naming the key");
	tap_ok(db_config_apply_cmdline(&c, "quiet dualboot.stable_hint=LABEL=ESP", &err) == DB_OK &&
		   strcmp(c.stable_hint, "LABEL=ESP") == 0, "dualboot.stable_hint= on the command line");
}

/* the boot selection's fallback, after a real promotion of B */
static void
test_fallback(void)
{
	const char *state = tmp_path("fb-state");
	const char *marker = tmp_path("fb-booted");
	char		hint[600];
	db_config	cfg;
	db_context	c = ctx_make(DB_SLOT_NONE, NULL, NOW);
	db_error	err;
	db_boot_result res;
	db_marker	m;
	db_hint		h;
	db_state	st;
	static uint8_t good[DB_RECORD_SIZE],
				bytes[DB_RECORD_SIZE];

	snprintf(hint, sizeof(hint), "%s.hint", state);
	(void) unlink(state);
	(void) unlink(hint);
	db_config_defaults(&cfg);	/* default=A, slot devices unset (present) */

	/* init on A: the first boot creates the hint beside the record */
	tap_ok(db_create(state, DB_SLOT_A, &c, NULL, false, &err) == DB_OK, "record, stable A");
	db_boot_select(&cfg, state, marker, NOW, &res);
	tap_ok(res.dec.slot == DB_SLOT_A && res.fallback == DB_FALLBACK_NONE &&
		   db_hint_read(hint, 0, &h, &err) == DB_OK && h.stable_slot == DB_SLOT_A &&
		   strstr(res.hint_note, "set to slot A") != NULL,
		   "a boot with a usable record and no hint creates the hint (slot A)");
	tap_ok(db_marker_read(marker, &m, &err) == DB_OK, "marker readable");

	/* a promotion of B, as the extension makes it: the record only */
	{
		db_request	arm = {.event = DB_EV_MARK_TEST, .tries = 2};
		db_request	conf = {.event = DB_EV_CONFIRM};
		db_request	prom = {.event = DB_EV_PROMOTE, .discard_stable_writes = true};
		db_context	on_a = ctx_make(DB_SLOT_A, m.boot_id, NOW);
		db_context	on_b;

		tap_ok(db_update(state, &arm, &on_a, NULL, &err) == DB_OK, "mark_test on A");
		db_boot_select(&cfg, state, marker, NOW, &res);
		tap_ok(res.dec.slot == DB_SLOT_B && res.dec.trial && db_marker_read(marker, &m, &err) == DB_OK,
			   "trial boot of B");
		on_b = ctx_make(DB_SLOT_B, m.boot_id, NOW);
		tap_ok(db_update(state, &conf, &on_b, NULL, &err) == DB_OK &&
			   db_update(state, &prom, &on_b, &st, &err) == DB_OK && st.stable_slot == DB_SLOT_B,
			   "confirm and promote on B: the record names stable B");
	}
	tap_ok(db_hint_read(hint, 0, &h, &err) == DB_OK && h.stable_slot == DB_SLOT_A,
		   "the hint still names A (the window: a promotion the hint has not seen)");
	file_read(state, good, sizeof(good));

	/* the window: the record lost now boots the old stable A, loudly from the hint */
	{
		db_boot_result r2;

		db_boot_select_hint(&cfg, NULL, hint, 0, false, NULL, NOW, DB_SLOT_NONE, &r2);
		tap_ok(r2.dec.slot == DB_SLOT_A && r2.fallback == DB_FALLBACK_HINT,
			   "inside the window the record's loss boots the stale hint's slot A (documented)");
	}

	/* the next boot with the record reconciles the hint */
	db_boot_select(&cfg, state, marker, NOW + 1, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.fallback == DB_FALLBACK_NONE &&
		   db_hint_read(hint, 0, &h, &err) == DB_OK && h.stable_slot == DB_SLOT_B &&
		   db_load(state, &st, &err) == DB_OK && h.seq == st.seq,
		   "a boot with a usable record rewrites a disagreeing hint: B, with the record's seq");
	file_read(state, good, sizeof(good));

	/* every way of not using the record boots B */
	for (int way = 0; way < 5; way++)
	{
		static const char *const names[] = {
			"both copies corrupt", "newer format version", "a valid CRC but a refused field",
			"no record (state partition missing)", "hint-only (the selector failed on the record)"
		};
		const char *path = state;
		bool		off = false;

		memcpy(bytes, good, sizeof(bytes));
		switch (way)
		{
			case 0:
				bytes[500] ^= 1;
				bytes[DB_COPY_SIZE + 500] ^= 1;
				break;
			case 1:
				forge_version(bytes, 0, DB_FORMAT_VERSION + 1);
				forge_version(bytes, 1, DB_FORMAT_VERSION + 1);
				break;
			case 2:
				/* stable_slot (state offset 32, copy offset 48) = 7 in both copies */
				bytes[48] = 7;
				bytes[DB_COPY_SIZE + 48] = 7;
				forge_crc(bytes, 0);
				forge_crc(bytes, 1);
				break;
			case 3:
				path = NULL;
				break;
			case 4:
				off = true;		/* the record is fine, and never opened */
				break;
		}
		file_write(state, bytes, sizeof(bytes), 0600);
		db_boot_select_hint(&cfg, path, hint, 0, off, marker, NOW + 2, DB_SLOT_NONE, &res);
		tap_ok(res.dec.slot == DB_SLOT_B && !res.dec.trial && !res.dec.write &&
			   res.fallback == DB_FALLBACK_HINT && res.state_rc != DB_OK &&
			   strstr(res.dec.why, "from the stable hint") != NULL &&
			   db_marker_read(marker, &m, &err) == DB_OK && m.slot == DB_SLOT_B &&
			   m.stable_slot == DB_SLOT_B && !m.trial,
			   "%s: boots stable B from the hint (marker slot B, stable)", names[way]);
		{
			static uint8_t now[DB_RECORD_SIZE];

			file_read(state, now, sizeof(now));
			tap_ok(memcmp(now, bytes, sizeof(now)) == 0 &&
				   db_hint_read(hint, 0, &h, &err) == DB_OK && h.stable_slot == DB_SLOT_B,
				   "%s: the record and the hint are left as they were", names[way]);
		}
	}
	{
		char		buf[1024];
		FILE	   *f = fopen(marker, "r");
		size_t		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		tap_ok(strstr(buf, "\nfallback=hint\n") != NULL, "the marker says fallback=hint");
	}

	/* the hint torn (copy 0 garbage) still gives B */
	{
		uint8_t		img[DB_HINT_SIZE];

		file_read(hint, img, sizeof(img));
		memset(img, 0x5a, 300);
		file_write(hint, img, sizeof(img), 0644);
		db_boot_select_hint(&cfg, NULL, hint, 0, false, marker, NOW, DB_SLOT_NONE, &res);
		tap_ok(res.dec.slot == DB_SLOT_B && res.fallback == DB_FALLBACK_HINT,
			   "the hint's copy 0 torn, the record missing: copy 1 boots B");

		/* the hint lost too: default=, loudly */
		memset(img, 0x5a, sizeof(img));
		file_write(hint, img, sizeof(img), 0644);
		db_boot_select_hint(&cfg, NULL, hint, 0, false, marker, NOW, DB_SLOT_NONE, &res);
		tap_ok(res.dec.slot == DB_SLOT_A && res.fallback == DB_FALLBACK_DEFAULT &&
			   strstr(res.dec.why, "STABLE SLOT UNKNOWN") != NULL &&
			   strstr(res.hint_note, "no valid copy") != NULL &&
			   db_marker_read(marker, &m, &err) == DB_OK && m.slot == DB_SLOT_A,
			   "record and hint both lost: default=A boots, STABLE SLOT UNKNOWN, the hint's error kept");
		db_boot_select_hint(&cfg, NULL, NULL, 0, false, marker, NOW, DB_SLOT_NONE, &res);
		tap_ok(res.dec.slot == DB_SLOT_A && res.fallback == DB_FALLBACK_DEFAULT,
			   "no hint configured and no record: default=A, fallback default");
		{
			char		buf[1024];
			FILE	   *f = fopen(marker, "r");
			size_t		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

			if (f)
				fclose(f);
			buf[n] = '\0';
			tap_ok(strstr(buf, "\nfallback=default\n") != NULL, "the marker says fallback=default");
		}
	}

	/* the record usable again: it decides, and repairs the hint */
	file_write(state, good, sizeof(good), 0600);
	db_boot_select(&cfg, state, marker, NOW + 3, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.fallback == DB_FALLBACK_NONE &&
		   db_hint_read(hint, 0, &h, &err) == DB_OK && h.stable_slot == DB_SLOT_B,
		   "a usable record decides and repairs a corrupt hint");

	/* a hint that cannot be written never changes the boot */
	db_boot_select_hint(&cfg, state, tmp_path("no-such-dir/hint"), 0, false, marker, NOW + 4,
						DB_SLOT_NONE, &res);
	tap_ok(res.dec.slot == DB_SLOT_B && res.state_rc == DB_OK &&
		   strstr(res.hint_note, "cannot open") != NULL,
		   "an unwritable hint: the record's decision stands, the error is noted");
}

void
test_hint(void)
{
	test_codec();
	test_torn();
	test_files_hint();
	test_config_hint();
	test_fallback();
}
