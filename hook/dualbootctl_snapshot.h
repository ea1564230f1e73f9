/*
 * dualbootctl_snapshot.h - `dualbootctl refresh` by an LVM thin snapshot
 * (issue 15, DESIGN section 8 "Instant refresh"; hook/dualbootctl_snapshot.c).
 */
#ifndef DUALBOOTCTL_SNAPSHOT_H
#define DUALBOOTCTL_SNAPSHOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How stable's data directory reaches the test slot's, found by snap_plan(). */
typedef struct snap_plan
{
	char		lvm[PATH_MAX];	/* the lvm program */
	char		vg[128];		/* the volume group of both */
	char		origin[128];	/* stable's data LV (thin) */
	char		target[128];	/* the test slot's data LV (thin), replaced */
	bool		autoact;		/* target's autoactivation, kept */
	char		fstype[32];		/* the file system of both */
	char		mnt[PATH_MAX];	/* where target is mounted */
	char		rel[PATH_MAX];	/* the data directory inside the file system */
} snap_plan;

/*
 * Can stable's running data directory src be copied into the test slot's
 * data directory dst by a thin snapshot? Both real paths. true with *p
 * filled, else false with why (one clause, no period). The test slot's
 * volume must hold nothing but dst (a snapshot replaces the whole volume:
 * never a slot's root file system).
 */
bool		snap_plan_make(const char *src, const char *dst, snap_plan *p, char *why,
						   size_t whysize);

/*
 * Take the snapshot of p->origin as the new p->target and mount it where
 * the old one was; the old LV is removed. false with err on failure (the
 * old LV is left in place when the swap did not happen).
 */
bool		snap_take(const snap_plan *p, char *err, size_t errsize);

/*
 * The copy at dir (a crash-consistent image of a running cluster): check
 * its system identifier, find where its valid WAL ends (what its crash
 * recovery will replay up to: the provenance's WAL position), and drop
 * what pg_basebackup would not copy (postmaster.pid, replication slots).
 */
bool		snap_prepare_copy(const char *dir, const char *bindir, uint64_t sysid,
							  uint64_t *lsn, char *err, size_t errsize);

/* The end of a WAL record (xlogreader's EndRecPtr), for the unit test. */
uint64_t	snap_record_end(uint64_t lsn, uint32_t tot_len, uint32_t blcksz, uint64_t segsize);

#endif							/* DUALBOOTCTL_SNAPSHOT_H */
