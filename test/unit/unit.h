/*
 * unit.h - the record library's unit tests: a tiny TAP producer and the
 * helpers the test groups share. Tests call lib/ only (dbstate.h); nothing
 * here parses the format except where a test must forge bytes (a version
 * field, a CRC) to build bad input, and those places say so.
 */
#ifndef DUALBOOT_UNIT_H
#define DUALBOOT_UNIT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbstate.h"

/* ---- TAP ---- */
/* one test point; returns cond so callers can add diagnostics */
bool		tap_ok(bool cond, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* a "# ..." diagnostic line */
void		tap_diag(const char *fmt,...) __attribute__((format(printf, 1, 2)));
bool		tap_is_int(long long got, long long want, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
void		tap_skip(const char *why, const char *fmt,...) __attribute__((format(printf, 2, 3)));
int			tap_done(void);		/* prints the plan, returns the exit status */
int			tap_failures(void);

/* ---- shared helpers ---- */
/* a fresh temp folder for one group (removed by tmp_cleanup) */
const char *tmp_dir(void);
void		tmp_cleanup(void);
/* tmp_dir()/name in a static rotating buffer */
const char *tmp_path(const char *name);

/* whole-file helpers (abort the test program on I/O failure) */
size_t		file_read(const char *path, uint8_t *buf, size_t size);
void		file_write(const char *path, const uint8_t *buf, size_t len, int mode);

/* a context for the life cycle */
db_context	ctx_make(uint8_t slot, const char *boot_id, int64_t now);

/*
 * Forge: re-encode copy `which` of a record image with a different format
 * version and a CRC-32C that matches (the test's only knowledge of the
 * header: version u16 LE at offset 8, CRC u32 LE at offset 4092).
 */
void		forge_version(uint8_t *record, int which, uint16_t version);
/* recompute the CRC of copy `which` after the test changed its bytes */
void		forge_crc(uint8_t *record, int which);

/* ---- groups ---- */
void		test_lifecycle(void);
void		test_boot_decide(void);
void		test_bootsel(void);
void		test_text(void);
void		test_powerloss(void);
void		test_files(void);
void		test_concurrency(void);
void		test_concurrency_validated(void);
void		test_parsers(void);
void		test_current(void);
void		test_hint(void);
void		test_isolation(void);
void		test_format2(void);
/* format 2 tests' format 1 writer (test_format2.c) */
void		format2_make_v1_file(const char *path);

/* seed corpus for the fuzzer, built from real records (corpus.c) */
int			write_corpus(const char *dir);

#endif							/* DUALBOOT_UNIT_H */
