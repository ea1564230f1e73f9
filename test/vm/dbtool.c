/*
 * dbtool.c - test helper of the VM harness: prepares records before a boot
 * and decodes what the boot left, through the record library (lib/) only.
 * No parsing of the format happens anywhere else in the harness.
 *
 *   dbtool create FILE A|B          a fresh record (stable slot given)
 *   dbtool mark-test FILE TRIES     arm a trial of the test slot
 *   dbtool confirm FILE [MARKER]    confirm the last boot (as the test slot);
 *                                   with MARKER, as the running system: the
 *                                   slot from the marker, this kernel's boot_id
 *   dbtool failback FILE            request failback
 *   dbtool promote FILE             promote (as the slot that booted last, the
 *                                   record only: as the extension does it)
 *   dbtool refuse-both FILE         restamp both copies with stable slot 7
 *                                   and a valid CRC (a field this reader
 *                                   refuses)
 *   dbtool hint FILE                the stable hint in FILE (1024 bytes) as
 *                                   key=value lines (valid=0 when none)
 *   dbtool record-fprint FILE DB FP record a schema fingerprint for the
 *                                   slot that booted last
 *   dbtool dump FILE                the record as key=value lines
 *   dbtool future FILE              restamp both copies as written by the next
 *                                   format version (valid CRC), as a newer
 *                                   dualboot would leave them
 *   dbtool refuse FILE              write over the older copy a newer decision
 *                                   (seq + 1, trial disarmed) whose last_event
 *                                   is 9, an event code format 1 does not know
 *                                   (valid CRC), as another build would write it
 *
 * Exit status: 0 ok, 1 refused or unreadable, 2 bad usage.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbstate.h"

static int
dump(const char *path)
{
	db_state	st;
	db_error	err;
	int			rc;

	memset(&err, 0, sizeof(err));
	rc = db_load(path, &st, &err);
	if (rc != DB_OK)
	{
		printf("valid=0\nerror=%d\n", rc);
		fprintf(stderr, "dbtool: %s: %s\n", path, err.message);
		return 1;
	}
	printf("valid=1\n");
	printf("seq=%" PRIu64 "\n", st.seq);
	printf("stable=%s\n", db_slot_name(st.stable_slot));
	printf("trial_armed=%u\n", st.trial_armed);
	printf("tries_left=%u\n", st.tries_left);
	printf("tries_total=%u\n", st.tries_total);
	printf("confirmed=%u\n", st.confirmed);
	printf("last_trial_failed=%u\n", st.last_trial_failed);
	printf("boot_count=%" PRIu64 "\n", st.boot_count);
	printf("last_boot_slot=%s\n", db_slot_name(st.last_boot_slot));
	printf("last_boot_trial=%u\n", st.last_boot_trial);
	printf("last_boot_id=%s\n", st.last_boot_id);
	printf("last_event=%s\n", db_event_name(st.last_event));
	printf("next_boot=%s\n", db_slot_name(db_next_boot_slot(&st)));
	/* history, newest first, as "event:slot" words */
	printf("history=");
	for (int i = 1; i <= DB_HISTORY_LEN; i++)
	{
		const db_history_entry *h =
			&st.history[(st.history_next + DB_HISTORY_LEN - i) % DB_HISTORY_LEN];

		if (h->event == DB_EV_NONE)
			break;
		printf("%s%s:%s", i > 1 ? " " : "", db_event_name(h->event),
			   db_slot_name(h->slot));
	}
	printf("\n");
	return 0;
}

/*
 * Header fields of a copy (docs/state-format.md section 2): the format
 * version is the u16 at offset 8, the CRC-32C of bytes 0-4091 is the u32 at
 * offset 4092. The CRC comes from the library.
 */
#define COPY_VERSION_OFF 8
#define COPY_CRC_OFF     (DB_COPY_SIZE - 4)

static int
hint(const char *path)
{
	db_hint		h;
	db_error	err;

	memset(&err, 0, sizeof(err));
	if (db_hint_read(path, 0, &h, &err) != DB_OK)
	{
		printf("valid=0\n");
		fprintf(stderr, "dbtool: %s\n", err.message);
		return 1;
	}
	printf("valid=1\nstable=%s\nseq=%llu\n", db_slot_name(h.stable_slot),
		   (unsigned long long) h.seq);
	return 0;
}

/* future (newer version) or refuse (stable slot 7 at state offset 32) */
static int
future(const char *path, bool refuse)
{
	uint8_t		rec[DB_RECORD_SIZE];
	int			fd = open(path, O_RDWR);

	if (fd < 0 || pread(fd, rec, sizeof(rec), 0) != (ssize_t) sizeof(rec))
	{
		perror(path);
		return 1;
	}
	for (int c = 0; c < 2; c++)
	{
		uint8_t    *copy = rec + c * DB_COPY_SIZE;
		uint32_t	crc;

		if (refuse)
			copy[16 + 32] = 7;	/* docs/state-format.md section 3: stable_slot */
		else
		{
			copy[COPY_VERSION_OFF] = (uint8_t) (DB_FORMAT_VERSION + 1);
			copy[COPY_VERSION_OFF + 1] = 0;
		}
		crc = db_crc32c(0, copy, COPY_CRC_OFF);
		for (int i = 0; i < 4; i++)
			copy[COPY_CRC_OFF + i] = (uint8_t) (crc >> (8 * i));
	}
	if (pwrite(fd, rec, sizeof(rec), 0) != (ssize_t) sizeof(rec) || close(fd) != 0)
	{
		perror(path);
		return 1;
	}
	return 0;
}

static int
refuse(const char *path)
{
	uint8_t		rec[DB_RECORD_SIZE];
	uint8_t		copy[DB_COPY_SIZE];
	db_state	st;
	db_error	err;
	int			which = -1;
	int			fd = open(path, O_RDWR);

	if (fd < 0 || pread(fd, rec, sizeof(rec), 0) != (ssize_t) sizeof(rec) ||
		db_decode_record(rec, sizeof(rec), &st, &which, &err) != DB_OK)
	{
		fprintf(stderr, "dbtool: refuse: %s: cannot read a valid record\n", path);
		return 1;
	}
	st.seq++;
	st.trial_armed = 0;
	st.tries_left = 0;
	st.confirmed = 0;
	st.last_event = DB_EV_MAX + 1;	/* unknown to this format */
	db_encode(&st, copy);		/* db_encode writes a valid CRC around anything */
	if (pwrite(fd, copy, sizeof(copy), (off_t) (1 - which) * DB_COPY_SIZE) !=
		(ssize_t) sizeof(copy) || close(fd) != 0)
	{
		perror(path);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	db_context	ctx;
	db_request	req;
	db_state	st;
	db_error	err;
	const char *cmd,
			   *path;
	int			rc;

	if (argc < 3)
	{
		fprintf(stderr, "usage: dbtool create|mark-test|confirm|failback|promote|record-fprint|dump|future|refuse|refuse-both|hint FILE [ARG...]\n");
		return 2;
	}
	cmd = argv[1];
	path = argv[2];
	memset(&ctx, 0, sizeof(ctx));
	memset(&req, 0, sizeof(req));
	memset(&err, 0, sizeof(err));
	ctx.now = (int64_t) time(NULL);
	ctx.actor = "cli";
	ctx.app = "vm-test";
	ctx.current_slot = DB_SLOT_NONE;

	if (strcmp(cmd, "dump") == 0)
		return dump(path);
	if (strcmp(cmd, "future") == 0 || strcmp(cmd, "refuse-both") == 0)
		return future(path, cmd[0] == 'r');
	if (strcmp(cmd, "refuse") == 0)
		return refuse(path);
	if (strcmp(cmd, "hint") == 0)
		return hint(path);
	if (strcmp(cmd, "create") == 0)
	{
		int			s = argc > 3 ? db_slot_parse(argv[3]) : -1;

		if (s < 0)
			return 2;
		rc = db_create(path, (uint8_t) s, &ctx, "vm test", true, &err);
		if (rc != DB_OK)
		{
			fprintf(stderr, "dbtool: create: %s\n", err.message);
			return 1;
		}
		return 0;
	}

	/* the other commands act as the system that booted last */
	if (db_load(path, &st, &err) != DB_OK)
	{
		fprintf(stderr, "dbtool: %s: %s\n", path, err.message);
		return 1;
	}
	ctx.current_slot = st.last_boot_slot;
	ctx.boot_id = st.last_boot_id[0] ? st.last_boot_id : NULL;
	if (strcmp(cmd, "confirm") == 0 && argc > 3)
	{
		db_marker	m;
		static char kid[DB_BOOTID_SIZE];

		if (db_marker_read(argv[3], &m, &err) != DB_OK ||
			db_kernel_boot_id(kid, sizeof(kid), &err) != DB_OK)
		{
			fprintf(stderr, "dbtool: %s\n", err.message);
			return 1;
		}
		if (strcmp(m.boot_id, kid) != 0)
		{
			fprintf(stderr, "dbtool: the marker is from another boot\n");
			return 1;
		}
		ctx.current_slot = m.slot;
		ctx.boot_id = kid;
	}
	if (strcmp(cmd, "mark-test") == 0 && argc > 3)
	{
		req.event = DB_EV_MARK_TEST;
		req.tries = atoi(argv[3]);
	}
	else if (strcmp(cmd, "confirm") == 0)
		req.event = DB_EV_CONFIRM;
	else if (strcmp(cmd, "failback") == 0)
		req.event = DB_EV_FAILBACK;
	else if (strcmp(cmd, "promote") == 0)
	{
		/* the boot tests promote without PostgreSQL: no provenance to check */
		req.event = DB_EV_PROMOTE;
		req.discard_stable_writes = true;
	}
	else if (strcmp(cmd, "record-fprint") == 0 && argc > 4)
	{
		req.event = DB_EV_RECORD_FPRINT;
		req.dbname = argv[3];
		req.fprint = argv[4];
	}
	else
		return 2;
	req.reason = "vm test";
	rc = db_update(path, &req, &ctx, NULL, &err);
	if (rc != DB_OK)
	{
		fprintf(stderr, "dbtool: %s: %s\n", cmd, err.message);
		return 1;
	}
	return 0;
}
