/*
 * dbstate.h - the dualboot boot state record: the one implementation shared by
 * the PostgreSQL extension, dualbootctl and the initramfs selector.
 *
 * No PostgreSQL headers, no heap allocation: every function works on
 * caller-provided memory so that the selector can run in an initramfs and the
 * extension can call it from a backend.
 *
 * The byte layout is documented in docs/state-format.md; the on-disk struct
 * below is that layout, checked by static assertions in dbstate.c.
 *
 * Three layers:
 *   - codec:     db_encode()/db_decode() between struct db_state and one
 *                4096-byte copy (magic, version, CRC-32C);
 *   - life cycle: db_apply(), a pure function (state + event -> new state or
 *                refusal with a reason), no I/O;
 *   - storage:   db_open()/db_read()/db_update()/db_create(): two copies,
 *                write the older one, fdatasync, advisory lock, no symlinks.
 */
#ifndef DUALBOOT_DBSTATE_H
#define DUALBOOT_DBSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DB_MAGIC            "DUALBOOT"      /* 8 bytes, no NUL on disk */
#define DB_FORMAT_VERSION   2               /* the version this code writes; it reads 1 and 2 */
#define DB_COPY_SIZE        4096            /* one copy, 4096-aligned */
#define DB_RECORD_SIZE      (2 * DB_COPY_SIZE)

/* Bounded text fields: sizes include the terminating NUL. */
#define DB_REASON_SIZE      192             /* reason text: at most 191 bytes */
#define DB_ACTOR_SIZE       64              /* role name, "hook", "cli" */
#define DB_APP_SIZE         64              /* application_name */
#define DB_BOOTID_SIZE      40              /* kernel boot_id (36 chars) */
#define DB_DBNAME_SIZE      64              /* database name (NAMEDATALEN) */
#define DB_FPRINT_SIZE      112             /* fingerprint text */

#define DB_HISTORY_LEN      6               /* history ring entries (8 in format 1) */
#define DB_HISTORY_LEN_V1   8
#define DB_FPRINT_LEN       4               /* recorded fingerprints */
#define DB_REHEARSAL_LEN    3               /* rehearsals (format 2) */
#define DB_RH_NAME_SIZE     40              /* rehearsal name: at most 39 bytes */
#define DB_RH_FPRINT_SIZE   80              /* a rehearsal's fingerprints */
#define DB_RELS_SIZE        96              /* stop point: changed relations, text */
#define DB_OUTCOME_DETAIL_SIZE 64

#define DB_TRIES_MIN        1
#define DB_TRIES_MAX        7

/* Slots are physical. On disk: 0 = A, 1 = B, 0xFF = none/unknown. */
typedef enum db_slot
{
	DB_SLOT_A = 0,
	DB_SLOT_B = 1,
	DB_SLOT_NONE = 0xFF
} db_slot;

/* Events: what changed. Values are stored on disk; never renumber. */
typedef enum db_event
{
	DB_EV_NONE = 0,
	DB_EV_INIT = 1,             /* record created */
	DB_EV_MARK_TEST = 2,        /* trial armed (tries, reason) */
	DB_EV_CONFIRM = 3,          /* current test boot declared healthy */
	DB_EV_FAILBACK = 4,         /* trial disarmed, next boot stable */
	DB_EV_PROMOTE = 5,          /* confirmed test slot becomes stable */
	DB_EV_BOOT = 6,             /* hook: a boot was selected */
	DB_EV_TRIAL_FAILED = 7,     /* hook: tries exhausted or test root missing */
	DB_EV_RECORD_FPRINT = 8,    /* schema fingerprint stored for slot+db */
	/* format 2 */
	DB_EV_REFRESH = 9,          /* the test slot was copied from stable (provenance) */
	DB_EV_STOP_POINT = 10,      /* where stable's WAL stood when it stopped serving */
	DB_EV_REHEARSAL_BEGIN = 11, /* a rehearsal started on the test slot */
	DB_EV_REHEARSAL_END = 12    /* a rehearsal ended on the test slot */
} db_event;

#define DB_EV_MAX DB_EV_REHEARSAL_END

/* How a stop point was recorded (db_stop_point.how). */
typedef enum db_stop_how
{
	DB_STOP_NONE = 0,           /* none recorded in this trial */
	DB_STOP_MARK_TEST = 1,      /* dualboot_mark_test() on stable: LSN only */
	DB_STOP_SHUTDOWN = 2        /* stable's clean shutdown (dualbootctl stop-point) */
} db_stop_how;

/* What is known of stable's WAL between the copy and the stop point. */
typedef enum db_stop_analysis
{
	DB_WAL_NOT_ANALYSED = 0,    /* not looked at (a stop point at mark_test) */
	DB_WAL_ANALYSED = 1,        /* every record read: data_records is exact */
	DB_WAL_MISSING = 2          /* WAL of the range no longer on stable's disk */
} db_stop_analysis;

/* Rehearsal states (db_rehearsal.state). */
typedef enum db_rh_state
{
	DB_RH_UNUSED = 0,
	DB_RH_BEGUN = 1,
	DB_RH_COMPLETED = 2
} db_rh_state;

/*
 * Where a rehearsal was made (db_rehearsal.origin, issue 19). 0 is what
 * builds before it wrote: unknown (a rehearsal on this machine).
 */
typedef enum db_rh_origin
{
	DB_RH_ORIGIN_UNKNOWN = 0,
	DB_RH_ORIGIN_LOCAL = 1,     /* dualboot_rehearsal_begin() on this machine */
	DB_RH_ORIGIN_IMPORTED = 2   /* dualbootctl rehearsal import (a certificate) */
} db_rh_origin;

/*
 * The schema fingerprint's algorithm version: the extension computes
 * "dbfp<DB_FP_ALGO>:pg<major>:<64 hex digits>" (extension/fingerprint.h);
 * dualbootctl refuses rehearsal certificates of another one.
 */
#define DB_FP_ALGO          3

typedef struct db_history_entry
{
	uint64_t	seq;            /* sequence number the change produced */
	int64_t		time;           /* unix seconds, UTC */
	uint8_t		event;          /* db_event */
	uint8_t		slot;           /* slot the event concerns (db_slot) */
	uint8_t		stable_slot;    /* stable slot after the event */
	uint8_t		tries_left;     /* tries left after the event */
	uint8_t		pad[4];
	char		actor[DB_ACTOR_SIZE];
	char		app[DB_APP_SIZE];
	char		reason[DB_REASON_SIZE];
} db_history_entry;

typedef struct db_fprint_entry
{
	int64_t		recorded_at;    /* unix seconds; 0 = unused entry */
	uint8_t		slot;           /* db_slot */
	uint8_t		pad[7];
	char		dbname[DB_DBNAME_SIZE];
	char		fprint[DB_FPRINT_SIZE];
} db_fprint_entry;

/*
 * Where a slot's data came from (format 2): the cluster it was copied from
 * (its pg_control system identifier) and the WAL position of the copy (the
 * backup's end LSN). known = 0: unknown (never refreshed through dualboot).
 */
typedef struct db_provenance
{
	uint64_t	sysid;          /* source cluster's system identifier */
	uint64_t	lsn;            /* WAL position of the copy (backup end) */
	int64_t		time;           /* unix seconds of the copy */
	uint8_t		known;          /* 0/1 */
	uint8_t		source_slot;    /* slot the copy was taken on (db_slot) */
	uint8_t		method;         /* how the copy was made (db_copy_method) */
	uint8_t		pad[5];
} db_provenance;

/*
 * How the test slot's copy was made (db_provenance.method, a pad byte of
 * format 2 until then: 0 in every record written before it).
 */
typedef enum db_copy_method
{
	DB_COPY_UNKNOWN = 0,		/* not recorded (an older build): pg_basebackup's meaning */
	DB_COPY_BASEBACKUP = 1,		/* pg_basebackup: the backup's end LSN */
	DB_COPY_THIN_SNAPSHOT = 2	/* LVM thin snapshot, crash-consistent: end of its WAL */
} db_copy_method;

/*
 * Where stable's WAL stood when it stopped serving before the current trial,
 * and what it wrote since the test slot's copy (format 2).
 */
typedef struct db_stop_point
{
	uint64_t	lsn;            /* stop LSN (insert position / shutdown checkpoint) */
	int64_t		time;           /* unix seconds */
	uint64_t	sysid;          /* stable's system identifier */
	uint64_t	first_change;   /* LSN of the first data change after the copy, 0 none */
	uint64_t	copy_lsn;       /* the copy's LSN the analysis started from */
	uint32_t	data_records;   /* data-changing WAL records in [copy_lsn, lsn) */
	uint8_t		how;            /* db_stop_how */
	uint8_t		analysis;       /* db_stop_analysis */
	uint8_t		slot;           /* stable slot it was recorded on */
	uint8_t		pad;
	char		rels[DB_RELS_SIZE]; /* changed relations "db/relfilenode ..." */
} db_stop_point;

/*
 * The last trial's outcome (format 2, filled by a later writer; this version
 * keeps the bytes as they are and does not check them).
 */
typedef struct db_trial_outcome
{
	uint8_t		code;           /* 0 = none */
	uint8_t		pad[7];
	int64_t		time;
	char		detail[DB_OUTCOME_DETAIL_SIZE];
} db_trial_outcome;

/* A rehearsal of a migration on the test slot (format 2). */
typedef struct db_rehearsal
{
	char		name[DB_RH_NAME_SIZE];
	char		dbname[DB_DBNAME_SIZE];
	char		fp_before[DB_RH_FPRINT_SIZE];
	char		fp_after[DB_RH_FPRINT_SIZE];    /* "" until ended */
	int64_t		began;
	int64_t		ended;          /* 0 until ended */
	uint8_t		state;          /* db_rh_state */
	uint8_t		slot;           /* slot it was rehearsed on */
	/* issue 19: meaning given to format 2's zero pad bytes (0 = unknown) */
	uint8_t		major;          /* PostgreSQL major of its fingerprints, 0 unknown */
	uint8_t		origin;         /* db_rh_origin */
	uint8_t		pad[4];
} db_rehearsal;

/*
 * The decoded state (host byte order). This is also the layout of bytes
 * [16, 4092) of a copy on disk, little-endian; see docs/state-format.md.
 */
typedef struct db_state
{
	uint64_t	seq;            /* incremented by every write */
	int64_t		updated_at;     /* unix seconds of the last write */
	uint64_t	boot_count;     /* boots selected by the hook */
	int64_t		last_boot_time; /* unix seconds of the last boot */
	uint8_t		stable_slot;    /* db_slot A or B */
	uint8_t		trial_armed;    /* 0/1 */
	uint8_t		tries_left;     /* boots of the test slot still allowed */
	uint8_t		tries_total;    /* tries given when armed (refill value) */
	uint8_t		confirmed;      /* the last test boot was confirmed */
	uint8_t		last_trial_failed;  /* the most recent trial ended in failure */
	uint8_t		last_boot_slot; /* db_slot, NONE before the first boot */
	uint8_t		last_boot_trial;    /* last boot was a trial boot of test */
	uint8_t		last_event;     /* db_event of the newest change */
	uint8_t		history_next;   /* ring index of the next entry to write */
	uint8_t		pad[6];
	char		last_boot_id[DB_BOOTID_SIZE];
	db_provenance provenance[2];    /* per slot A, B (format 2; zero in format 1) */
	db_fprint_entry fprints[DB_FPRINT_LEN];
	db_history_entry history[DB_HISTORY_LEN];
	/* format 2 */
	db_stop_point stop;         /* stable's stop point in the current trial */
	db_trial_outcome outcome;   /* last trial outcome (not interpreted here) */
	db_rehearsal rehearsals[DB_REHEARSAL_LEN];
} db_state;

/* Result codes. Negative values are errors. */
typedef enum db_rc
{
	DB_OK = 0,
	DB_REFUSED = 1,             /* life cycle refused the event; see reason */
	DB_ERR_IO = -1,             /* open/read/write/sync/lock failed (errno kept) */
	DB_ERR_NOT_FOUND = -2,      /* the path does not exist */
	DB_ERR_BAD_FILE = -3,       /* symlink, directory, wrong type, wrong size */
	DB_ERR_NO_VALID = -4,       /* no copy has a valid magic and CRC */
	DB_ERR_NEWER_VERSION = -5,  /* valid copy written by a newer format */
	DB_ERR_INVALID = -6,        /* valid CRC but field values this version
								 * refuses; for a record: in its newest copy,
								 * which is then never overwritten */
	DB_ERR_EXISTS = -7,         /* create: a valid record is already there */
	DB_ERR_ARG = -8,            /* bad argument: text too long, not UTF-8, ... */
	DB_ERR_CHANGED = -9,        /* the record changed since a request was validated */
	DB_ERR_BUSY = -10           /* the record's lock is held (db_trylock) */
} db_rc;

/* Error detail filled by every call that can fail. */
typedef struct db_error
{
	int			code;           /* db_rc */
	int			sys_errno;      /* errno for DB_ERR_IO, else 0 */
	char		message[640];   /* one line, says what happened */
} db_error;

/* What the caller knows about the running system, for the life cycle. */
typedef struct db_context
{
	uint8_t		current_slot;   /* db_slot, NONE when unknown */
	const char *boot_id;        /* this kernel's boot_id, or NULL */
	int64_t		now;            /* unix seconds */
	const char *actor;          /* who asks: role name, "cli", "hook" */
	const char *app;            /* application_name, or NULL */
} db_context;

/* An event with its arguments. */
typedef struct db_request
{
	db_event	event;
	int			tries;          /* MARK_TEST */
	const char *reason;         /* optional, any event */
	const char *dbname;         /* RECORD_FPRINT */
	const char *fprint;         /* RECORD_FPRINT */
	uint8_t		init_stable;    /* INIT */
	/* format 2 */
	bool		discard_stable_writes;  /* PROMOTE: skip the provenance check */
	uint64_t	sysid;          /* REFRESH, STOP_POINT, MARK_TEST (0: none) */
	uint64_t	lsn;            /* REFRESH (copy), STOP_POINT, MARK_TEST (stop) */
	uint8_t		copy_method;    /* REFRESH: db_copy_method */
	const db_stop_point *stop;  /* STOP_POINT: the analysis (how, rels, ...) */
	const char *name;           /* REHEARSAL_*: its name */
	/*
	 * REHEARSAL_END with a whole completed entry: an imported rehearsal
	 * (dualbootctl rehearsal import; any slot, no trial needed). name,
	 * dbname and fprint are then unused.
	 */
	const db_rehearsal *rehearsal;
} db_request;

/* Input of the boot decision (the selector and `dualbootctl boot-select`). */
typedef struct db_boot_input
{
	bool		have_state;     /* a valid record was read */
	uint8_t		default_slot;   /* configured stable slot when no record */
	bool		slot_present[2];/* root device of A/B found */
	const char *boot_id;        /* kernel boot_id, or NULL */
	int64_t		now;
	/*
	 * Firmware mode: the slot whose UEFI boot entry the firmware booted
	 * (BootCurrent), when firmware_known. During an armed trial, the stable
	 * slot's entry means the firmware did not start the test slot's kernel
	 * (BootNext failed, or was not set): that boot is a failed try of the
	 * trial and boots stable. Unknown (false, as zeroed): the record alone
	 * decides.
	 */
	bool		firmware_known;
	uint8_t		firmware_slot;  /* db_slot, read only when firmware_known */
} db_boot_input;

typedef struct db_boot_decision
{
	uint8_t		slot;           /* slot to boot */
	bool		trial;          /* booting the test slot as a trial */
	bool		write;          /* state changed and must be written */
	bool		trial_failed;   /* this boot ended a trial */
	char		why[DB_REASON_SIZE];   /* one line for the log */
} db_boot_decision;

/* ---- helpers ---- */
const char *db_slot_name(uint8_t slot);        /* "A", "B" or "none" */
int			db_slot_parse(const char *s);      /* 'A'/'a' -> 0, 'B'/'b' -> 1, else -1 */
uint8_t		db_other_slot(uint8_t slot);
uint8_t		db_test_slot(const db_state *st);
const char *db_event_name(uint8_t ev);         /* "mark_test", ... */
uint8_t		db_next_boot_slot(const db_state *st);  /* what the hook would pick */
uint32_t	db_crc32c(uint32_t crc, const void *data, size_t len);

/* true if s is NUL-terminated within size bytes, valid UTF-8, no controls */
bool		db_text_valid(const char *s, size_t size);
/* a kernel boot_id: lowercase hex and dashes, shorter than DB_BOOTID_SIZE */
bool		db_boot_id_valid(const char *s);
/* NAME=value for a shell to eval; bare when safe unless always_quote */
void		db_shell_assign(FILE *out, const char *name, const char *value,
							bool always_quote);
/* put prefix in front of err->message */
void		db_error_prefix(db_error *err, const char *prefix);
/* copy validated text into a fixed, zero-padded field */
void		db_copy_text(char *dst, size_t size, const char *s);

/* ---- codec (pure) ---- */

/* Encode st into one DB_COPY_SIZE buffer (magic, version, CRC). */
void		db_encode(const db_state *st, uint8_t *copy);

/*
 * Decode one copy. DB_OK, DB_ERR_NO_VALID (magic or CRC bad),
 * DB_ERR_NEWER_VERSION (*seq_out still set), DB_ERR_INVALID (bad fields).
 * seq_out may be NULL.
 */
int			db_decode(const uint8_t *copy, db_state *st, uint64_t *seq_out);

/*
 * Choose between the two copies of a whole record image (DB_RECORD_SIZE
 * bytes): among the copies with a good magic and CRC, the one with the
 * highest sequence wins (a tie goes to one this version cannot read). If that
 * copy has a newer version, DB_ERR_NEWER_VERSION; if it has fields this
 * version refuses, DB_ERR_INVALID: either way the record is not usable and
 * is never overwritten (db_write refuses; db_create only with force).
 * *which gets 0 or 1 (may be NULL).
 */
int			db_decode_record(const uint8_t *record, size_t len, db_state *st,
							 int *which, db_error *err);

/* ---- life cycle (pure, no I/O) ---- */

/*
 * May the test slot be promoted without losing what stable wrote? DB_OK when
 * its provenance is known and stable's stop point shows no data change since
 * the copy; else DB_REFUSED with err saying why and how much (the WAL range,
 * the number of records, the changed relations).
 */
int			db_promote_check(const db_state *st, db_error *err);

/* The rehearsal named name, or NULL. */
const db_rehearsal *db_rehearsal_find(const db_state *st, const char *name);

/*
 * Parse a schema fingerprint "dbfp<algo>:pg<major>:<64 hex digits>"
 * strictly (decimal numbers without sign or leading zero, hex digits of
 * either case). False when s is not one.
 */
bool		db_fprint_parse(const char *s, int *algo, int *major);

/* "0/3000060": a WAL position as PostgreSQL prints it. */
void		db_lsn_format(uint64_t lsn, char *buf, size_t size);
/* parse "X/Y" (hex); false when not a WAL position */
bool		db_lsn_parse(const char *s, uint64_t *out);

/* A fresh state: stable slot, nothing armed, history holds the INIT event. */
void		db_state_init(db_state *st, uint8_t stable, const db_context *ctx,
						  const char *reason);

/*
 * Apply a request to *st. On DB_OK *st is the new state (seq incremented,
 * history appended). On DB_REFUSED or DB_ERR_ARG *st is unchanged and
 * err->message says why.
 */
int			db_apply(db_state *st, const db_request *req, const db_context *ctx,
					 db_error *err);

/*
 * Optimistic concurrency for a request validated against sequence `seen`
 * and written later (the extension validates at the call and writes at
 * commit): DB_OK when st (read under the lock) is still at `seen`, else
 * DB_ERR_CHANGED with err->message saying what changed (how many changes,
 * the newest one's sequence, event, slot, actor, application and reason, or
 * that it was an ordinary boot). Nothing is changed.
 */
int			db_check_unchanged(const db_state *st, uint64_t seen, db_error *err);

/*
 * The boot decision. st may be NULL or in->have_state false (no valid record).
 * On return *st is updated when dec->write is true.
 */
void		db_boot_decide(db_state *st, const db_boot_input *in,
						   db_boot_decision *dec);

/* ---- storage ---- */

/* An open record: a regular file of DB_RECORD_SIZE bytes or a block device. */
typedef struct db_handle
{
	int			fd;
	bool		is_block;
	bool		locked;
	bool		writable;
	char		path[512];
} db_handle;

/*
 * Open without following symlinks (O_NOFOLLOW, and the final component
 * must not be a symlink), check it is a regular file of DB_RECORD_SIZE
 * bytes or a block device of at least that size.
 */
int			db_open(db_handle *h, const char *path, bool writable, db_error *err);
void		db_close(db_handle *h);

/* Read and choose the copy. */
int			db_read(db_handle *h, db_state *st, db_error *err);

/*
 * Write st to the copy that is older or invalid, then fdatasync. The caller
 * sets st->seq (db_apply / db_boot_decide already do). Exposed for the
 * selector and tests; normal callers use db_update.
 */
int			db_write(db_handle *h, const db_state *st, db_error *err);

/* Exclusive advisory lock (flock) on the open file; blocks. */
int			db_lock(db_handle *h, db_error *err);

/*
 * One attempt at the exclusive lock, without blocking: DB_OK (locked),
 * DB_ERR_BUSY (another open file description holds a lock on the record;
 * err says so and names the path) or DB_ERR_IO. For callers that must wait
 * interruptibly (the extension polls it between latch waits).
 */
int			db_trylock(db_handle *h, db_error *err);
void		db_unlock(db_handle *h);

/*
 * Read-modify-write under the lock: read, db_apply(req), write, sync,
 * unlock. *st_out (may be NULL) gets the state after the call.
 */
int			db_update(const char *path, const db_request *req,
					  const db_context *ctx, db_state *st_out, db_error *err);

/*
 * Create a record at path (a new regular file of DB_RECORD_SIZE bytes,
 * created with mode 0600, or an existing regular file/block device). Refuses
 * with DB_ERR_EXISTS when a valid record is there and !force.
 */
int			db_create(const char *path, uint8_t stable, const db_context *ctx,
					  const char *reason, bool force, db_error *err);

/* Read a whole record from a path (open, lock shared-free read, close). */
int			db_load(const char *path, db_state *st, db_error *err);


/* ---- boot marker (/run/dualboot/booted): key=value lines ---- */

typedef struct db_marker
{
	uint8_t		slot;           /* db_slot booted */
	uint8_t		stable_slot;    /* stable slot at boot time */
	bool		trial;          /* booted as a trial of the test slot */
	uint64_t	seq;            /* record sequence after the boot decision */
	uint64_t	boot_count;
	uint8_t		tries_left;
	int64_t		time;
	char		boot_id[DB_BOOTID_SIZE];
	uint8_t		fallback;       /* db_fallback: what decided without the record */
} db_marker;

/*
 * Write the marker atomically (temp file in the same folder + rename; the
 * folder is created with mode 0755 if missing). Keys: slot, role, trial,
 * seq, boot_id, stable, tries_left, boot_count, time, fallback.
 */
int			db_marker_write(const char *path, const db_marker *m, db_error *err);

/* Read a marker (no symlinks followed). Unknown keys are ignored. */
int			db_marker_read(const char *path, db_marker *m, db_error *err);

/* The running kernel's boot_id (/proc/sys/kernel/random/boot_id). */
int			db_kernel_boot_id(char *buf, size_t size, db_error *err);

/*
 * The slot this boot runs on, as every reader (the extension, dualbootctl)
 * believes it. Two witnesses written by the hook at boot must agree:
 *   - the boot marker at marker_path, whose boot_id is the running kernel's;
 *   - the record's last boot: last_boot_id is the kernel's boot_id and
 *     last_boot_slot is the marker's slot.
 * Otherwise the slot is unknown (DB_SLOT_NONE) and why says which witness
 * is missing or disagrees. Editing the marker alone (or the record alone,
 * which needs a valid CRC and write access) changes nothing.
 *
 * st is the record as read by the caller, or NULL when it could not be
 * read (st_error then says why, may be NULL). Returns DB_OK when the slot
 * is known, DB_REFUSED when it is not.
 */
typedef struct db_current
{
	uint8_t		slot;           /* db_slot, DB_SLOT_NONE when unknown */
	bool		trial;          /* the record's last boot was a trial boot */
	char		boot_id[DB_BOOTID_SIZE];   /* the kernel's, "" if unreadable */
	char		why[900];       /* one line: why the slot is unknown */
} db_current;

int			db_current_slot(const char *marker_path, const db_state *st,
							const char *st_error, db_current *cur);

/* ---- configuration (/etc/dualboot/dualboot.conf + kernel command line) ---- */

#define DB_CONF_VALUE_SIZE 256

typedef struct db_config
{
	char		state_device[DB_CONF_VALUE_SIZE];  /* LABEL=, PARTLABEL=, UUID=, path */
	char		state_file[DB_CONF_VALUE_SIZE];    /* path inside that fs, or "" (raw) */
	char		state_mount[DB_CONF_VALUE_SIZE];   /* where the running system mounts it */
	char		slot_dev[2][DB_CONF_VALUE_SIZE];   /* slot_a=, slot_b= */
	uint8_t		default_slot;                      /* default= (A when unset) */
	int			timeout;                           /* timeout= seconds (default 10) */
	char		efi_entry[2][8];                   /* efi_a=, efi_b= (Boot#### hex), "" */
	char		stable_hint[DB_CONF_VALUE_SIZE];   /* device of the stable hint, "" = beside the record */
	char		stable_hint_file[DB_CONF_VALUE_SIZE];  /* path inside it, "" = raw */
	char		stable_hint_mount[DB_CONF_VALUE_SIZE]; /* where the running system mounts it */
} db_config;

/*
 * Defaults: default=A, timeout=10, state_mount=/var/lib/dualboot,
 * stable_hint_mount=/boot/efi, rest empty.
 */
void		db_config_defaults(db_config *c);

/*
 * Parse key=value lines ('#' comments, blank lines, surrounding spaces
 * trimmed). Unknown keys and bad values are errors that name the line.
 */
int			db_config_parse_file(db_config *c, const char *path, db_error *err);
int			db_config_set(db_config *c, const char *key, const char *value,
						  db_error *err);

/*
 * Apply dualboot.KEY=VALUE words of a kernel command line (the text of
 * /proc/cmdline). Bad overrides are skipped and reported in err (rc
 * DB_ERR_ARG) but the valid ones still apply: the boot must go on.
 */
int			db_config_apply_cmdline(db_config *c, const char *cmdline,
									db_error *err);

/*
 * The record's path for a running system: state_mount + state_file, or
 * state_device itself when state_file is empty (raw partition; LABEL= and
 * friends resolved through db_resolve_device).
 */
int			db_config_state_path(const db_config *c, char *out, size_t size,
								 db_error *err);

/*
 * Resolve a device spec (path, LABEL=, UUID=, PARTLABEL=, PARTUUID=) to a
 * /dev path through /dev/disk/by-* links, falling back to the PARTNAME of
 * /sys/class/block/NAME/uevent for PARTLABEL=. A plain path is returned as given when it
 * exists. Returns DB_OK or DB_ERR_NOT_FOUND.
 */
int			db_resolve_device(const char *spec, char *out, size_t size);

/* ---- the boot selection, as the initramfs and `dualbootctl boot-select` run it ---- */

typedef struct db_boot_result
{
	db_boot_decision dec;
	db_marker	marker;
	char		root_device[DB_CONF_VALUE_SIZE];  /* resolved or as configured */
	int			state_rc;       /* outcome of reading the record (db_rc) */
	char		state_error[640];
	uint8_t		fallback;       /* db_fallback */
	char		hint_note[320]; /* the stable hint: read or written, or why not */
} db_boot_result;

/*
 * Read the record at state_path (may be NULL: no state device), decide,
 * persist the decision (decrement before boot, fdatasync), and write the
 * marker to marker_path (may be NULL). Never fails: every error ends in the
 * configured default stable slot, explained in res->dec.why and
 * res->state_error.
 */
void		db_boot_select(const db_config *cfg, const char *state_path,
						   const char *marker_path, int64_t now,
						   db_boot_result *res);

/*
 * db_boot_select with what the firmware booted (firmware mode): firmware_slot
 * is the slot whose UEFI boot entry is BootCurrent, or DB_SLOT_NONE when it
 * is unknown, unreadable or neither slot's entry (then it is db_boot_select).
 * See db_boot_input.firmware_slot.
 */
void		db_boot_select_fw(const db_config *cfg, const char *state_path,
							  const char *marker_path, int64_t now,
							  uint8_t firmware_slot, db_boot_result *res);

/*
 * The boot selection with the stable hint (docs/state-format.md section 15):
 * hint_path/hint_offset locate it (NULL: no hint). With record_off the record
 * is never opened (the hook's second try after a failed selector). When the
 * record cannot be used, the hint's slot boots (fallback HINT), else the
 * configured default (fallback DEFAULT); with a usable record the hint is
 * rewritten when it does not name the record's stable slot.
 */
void		db_boot_select_hint(const db_config *cfg, const char *state_path,
								const char *hint_path, uint64_t hint_offset,
								bool record_off, const char *marker_path,
								int64_t now, uint8_t firmware_slot,
								db_boot_result *res);

/*
 * Print the decision as DUALBOOT_SLOT, _ROLE, _TRIAL, _ROOT, _WHY,
 * _TRIAL_FAILED, _STATE_ERROR and _FALLBACK lines (see db_shell_assign).
 */
void		db_boot_result_print(FILE *out, const db_boot_result *res,
								 bool always_quote);

/* ---- the stable hint (docs/state-format.md section 15) ---- */

#define DB_HINT_MAGIC       "DBSTABLE"      /* 8 bytes, no NUL on disk */
#define DB_HINT_COPY_SIZE   512
#define DB_HINT_SIZE        (2 * DB_HINT_COPY_SIZE)

/* What decided a boot when the record could not: marker fallback=. */
typedef enum db_fallback
{
	DB_FALLBACK_NONE = 0,       /* the record decided */
	DB_FALLBACK_HINT = 1,       /* the stable hint's slot */
	DB_FALLBACK_DEFAULT = 2     /* the configured default= (stable slot unknown) */
} db_fallback;

const char *db_fallback_name(uint8_t fb);      /* "none", "hint", "default" */

typedef struct db_hint
{
	uint8_t		stable_slot;    /* DB_SLOT_A or DB_SLOT_B */
	uint64_t	seq;            /* record seq it was written from */
	int64_t		written_at;     /* unix seconds */
} db_hint;

/* One copy (DB_HINT_COPY_SIZE bytes); both copies hold the same bytes. */
void		db_hint_encode(const db_hint *h, uint8_t *copy);
/* A whole hint image (DB_HINT_SIZE bytes): copy 0 if valid, else copy 1. */
int			db_hint_decode(const uint8_t *image, db_hint *h);
/* Read the hint at offset of path (a 1024-byte file or a block device). */
int			db_hint_read(const char *path, uint64_t offset, db_hint *h, db_error *err);
/*
 * Write in place: copy 0, fdatasync, copy 1, fdatasync. A missing regular
 * file (offset 0) is created with mode 0644.
 */
int			db_hint_write(const char *path, uint64_t offset, const db_hint *h,
						  db_error *err);
/*
 * Where the running system finds the hint: stable_hint_mount +
 * stable_hint_file, or the raw stable_hint device; unset: beside the record
 * at state_path (state_path.hint, or offset 8192 of a raw record's device).
 */
int			db_hint_path(const db_config *c, const char *state_path, char *out,
						 size_t size, uint64_t *offset, db_error *err);

#endif							/* DUALBOOT_DBSTATE_H */
