/*
 * corpus.c - the fuzzer's seed corpus, made from real records: a record
 * file driven through its life cycle with db_create/db_update/db_boot_select,
 * saved after each step (mode 0: the whole record image; mode 1: the decoded
 * struct db_state), plus the marker db_marker_write produced, a
 * configuration file and kernel command lines. The first byte of each seed
 * is the mode byte of test/fuzz/fuzz_record.c.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

static int	n_seeds;
static int	n_failed;

static void
seed(const char *dir, uint8_t mode, const void *data, size_t len)
{
	char		path[600];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/seed-%d-%02d", dir, mode, n_seeds);
	f = fopen(path, "w");
	if (f == NULL || fputc(mode, f) == EOF || fwrite(data, 1, len, f) != len)
	{
		fprintf(stderr, "unit: corpus: cannot write %s\n", path);
		n_failed++;
	}
	else
		n_seeds++;
	if (f)
		fclose(f);
}

static void
seed_record(const char *dir, const char *path)
{
	uint8_t		img[DB_RECORD_SIZE];
	db_state	st;

	file_read(path, img, sizeof(img));
	seed(dir, 0, img, sizeof(img));
	seed(dir, 5, img, sizeof(img));
	if (db_decode_record(img, sizeof(img), &st, NULL, NULL) == DB_OK)
	{
		/* a stable hint naming the record's stable slot, and one torn */
		uint8_t		hint[DB_HINT_SIZE];
		db_hint		h = {.stable_slot = st.stable_slot, .seq = st.seq, .written_at = st.updated_at};

		seed(dir, 1, &st, sizeof(st));
		db_hint_encode(&h, hint);
		memcpy(hint + DB_HINT_COPY_SIZE, hint, DB_HINT_COPY_SIZE);
		seed(dir, 6, hint, sizeof(hint));
		memset(hint, 0x5a, 100);
		seed(dir, 6, hint, sizeof(hint));
	}
}

int
write_corpus(const char *dir)
{
	const char *rec = tmp_path("corpus-state");
	const char *marker = tmp_path("corpus-booted");
	db_context	c = ctx_make(DB_SLOT_A, NULL, 1764000000);
	db_error	err;
	db_config	cfg;
	db_boot_result res;
	uint8_t		buf[1024];
	size_t		n;
	static const struct
	{
		db_event	ev;
		uint8_t		slot;
		int			tries;
	}			steps[] = {
		{DB_EV_MARK_TEST, DB_SLOT_A, 3},
		{DB_EV_NONE, 0, 0},		/* a boot */
		{DB_EV_CONFIRM, DB_SLOT_B, 0},
		{DB_EV_RECORD_FPRINT, DB_SLOT_B, 0},
		{DB_EV_PROMOTE, DB_SLOT_B, 0},
		{DB_EV_NONE, 0, 0},
		{DB_EV_MARK_TEST, DB_SLOT_B, 1},
		{DB_EV_NONE, 0, 0},
		{DB_EV_NONE, 0, 0},		/* tries exhausted: trial failed */
	};
	static const char *const cmdlines[] = {
		"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet dualboot.default=B dualboot.timeout=3",
		"dualboot.slot_a=PARTLABEL=root-a dualboot.slot_b=/dev/vdb2 dualboot.state_file=/s",
		"dualboot.default=C dualboot.efi_a=0003 dualboot.state_device=LABEL=dbstate",
	};
	static const char *conf =
		"# dualboot\nstate_device=PARTLABEL=dualboot-state\nstate_file=/dualboot/state\n"
		"state_mount=/var/lib/dualboot\nslot_a=PARTLABEL=root-a\nslot_b=UUID=1234-abcd\n"
		"default=A\ntimeout=10\nefi_a=0003\nefi_b=0004\n";

	db_config_defaults(&cfg);
	if (db_create(rec, DB_SLOT_A, &c, "corpus", false, &err) != DB_OK)
	{
		fprintf(stderr, "unit: corpus: %s\n", err.message);
		return -1;
	}
	seed_record(dir, rec);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
	{
		if (steps[i].ev == DB_EV_NONE)
			db_boot_select(&cfg, rec, marker, 1764000000 + (int64_t) i, &res);
		else
		{
			db_request	req = {.event = steps[i].ev, .tries = steps[i].tries,
			.reason = "seed \xc3\xa9", .dbname = "appdb", .fprint = "v1:pg15:abc"};
			db_context	cc = ctx_make(steps[i].slot, NULL, 1764000000 + (int64_t) i);

			db_update(rec, &req, &cc, NULL, &err);
		}
		seed_record(dir, rec);
	}
	n = file_read(marker, buf, sizeof(buf));
	seed(dir, 2, buf, n);
	seed(dir, 3, conf, strlen(conf));
	for (size_t i = 0; i < sizeof(cmdlines) / sizeof(cmdlines[0]); i++)
		seed(dir, 4, cmdlines[i], strlen(cmdlines[i]));
	tmp_cleanup();
	printf("%d seeds written to %s\n", n_seeds, dir);
	return n_failed ? -1 : 0;
}
