/*
 * dualbootctl_snapshot.c - `dualbootctl refresh` by an LVM thin snapshot
 * (issue 15; DESIGN section 8 "Instant refresh"; docs/refresh.md).
 *
 * When stable's data directory lives on a thin logical volume and the test
 * slot's data directory is the same path inside another thin LV of the same
 * volume group, the test slot's LV is replaced by a thin snapshot of
 * stable's: seconds whatever the size of the database.
 *
 * The snapshot is crash-consistent: lvcreate suspends the origin, which
 * freezes its file system, so the copy is what the disk would hold after a
 * power cut at that instant. That is a valid copy of a PostgreSQL cluster
 * only when everything the cluster writes is on that one volume: its WAL
 * (pg_wal a plain directory, not a link) and no tablespace (pg_tblspc
 * empty); snap_plan_make() refuses otherwise. The copy's first start
 * replays its WAL to its end, which snap_prepare_copy() finds with
 * pg_waldump: that end is the provenance's WAL position.
 *
 * Programs run with execv (no shell) through ctl_run (dualbootctl_refresh.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dbstate.h"
#include "dualbootctl_refresh.h"
#include "dualbootctl_snapshot.h"

/* suffixes of the LVs during the swap (LV names allow [A-Za-z0-9+_.-]) */
#define SNAP_NEW "_dbnew"
#define SNAP_OLD "_dbold"

static void
say(char *buf, size_t size, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static void
say(char *buf, size_t size, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	buf[strcspn(buf, "\n")] = '\0';
}

static bool
find_lvm(char *out, size_t size)
{
	static const char *const where[] = {"/usr/sbin/lvm", "/sbin/lvm", "/usr/local/sbin/lvm"};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
		{
			snprintf(out, size, "%s", where[i]);
			return true;
		}
	return false;
}

/* mountinfo's octal escapes (\040 for a space) undone in place */
static void
unescape(char *s)
{
	char	   *w = s;

	for (char *r = s; *r; r++)
	{
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
			r[3] >= '0' && r[3] <= '7')
		{
			*w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		}
		else
			*w++ = *r;
	}
	*w = '\0';
}

/*
 * The mount of device dev that holds path (the longest mount point that is
 * a prefix of it): its mount point, the file system's root inside it and
 * its type. false when none.
 */
static bool
mount_of(dev_t dev, const char *path, char *mnt, size_t msize, char *root, size_t rsize,
		 char *fstype, size_t tsize)
{
	FILE	   *f = fopen("/proc/self/mountinfo", "r");
	char		line[3 * PATH_MAX];
	size_t		best = 0;
	bool		found = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
	{
		unsigned	ma,
					mi;
		char		r[PATH_MAX],
					m[PATH_MAX],
					t[32];
		char	   *dash = strstr(line, " - ");
		size_t		ml;

		if (dash == NULL || sscanf(line, "%*u %*u %u:%u %4095s %4095s", &ma, &mi, r, m) != 4 ||
			sscanf(dash + 3, "%31s", t) != 1 || makedev(ma, mi) != dev)
			continue;
		unescape(r);
		unescape(m);
		ml = strlen(m);
		if (strcmp(m, "/") != 0 &&
			(strncmp(path, m, ml) != 0 || (path[ml] != '/' && path[ml] != '\0')))
			continue;
		if (ml >= best)
		{
			best = ml;
			snprintf(mnt, msize, "%s", m);
			snprintf(root, rsize, "%s", r);
			snprintf(fstype, tsize, "%s", t);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* path relative to its mount point mnt ("" for the mount point itself) */
static const char *
below(const char *path, const char *mnt)
{
	const char *r = strcmp(mnt, "/") == 0 ? path : path + strlen(mnt);

	while (*r == '/')
		r++;
	return r;
}

typedef struct lv_info
{
	char		vg[128];
	char		lv[128];
	char		segtype[32];
	bool		autoact;
} lv_info;

/* The LV whose device is dev (lvs' kernel major and minor). */
static bool
lv_of(const char *lvm, dev_t dev, lv_info *lv, char *why, size_t whysize)
{
	char		sys[64];
	char		out[65536],
				errb[2048];
	int			rc;
	struct stat sb;
	char	   *argv[] = {(char *) lvm, "lvs", "--noheadings", "--separator", "|", "-o",
		"vg_name,lv_name,segtype,lv_kernel_major,lv_kernel_minor,lv_autoactivation", NULL};

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/dm", major(dev), minor(dev));
	if (stat(sys, &sb) != 0)
	{
		say(why, whysize, "it is on device %u:%u, not a device-mapper volume", major(dev),
			minor(dev));
		return false;
	}
	rc = ctl_run(argv, NULL, out, sizeof(out), errb, sizeof(errb));
	if (rc != 0)
	{
		say(why, whysize, "lvs failed (exit %d): %s", rc, errb);
		return false;
	}
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
	{
		char		vg[128],
					name[128],
					seg[32],
					aa[32] = "";
		int			ma,
					mi;

		while (*l == ' ')
			l++;
		if (sscanf(l, "%127[^|]|%127[^|]|%31[^|]|%d|%d|%31s", vg, name, seg, &ma, &mi, aa) < 5)
			continue;
		if (ma < 0 || mi < 0 || makedev((unsigned) ma, (unsigned) mi) != dev)
			continue;
		snprintf(lv->vg, sizeof(lv->vg), "%s", vg);
		snprintf(lv->lv, sizeof(lv->lv), "%s", name);
		snprintf(lv->segtype, sizeof(lv->segtype), "%s", seg);
		lv->autoact = strcmp(aa, "enabled") == 0;
		return true;
	}
	say(why, whysize, "device %u:%u is not a logical volume", major(dev), minor(dev));
	return false;
}

/* the walk of dedicated() (nftw passes no argument): the volume's mount
 * point and the data directory inside it */
static const char *walk_mnt;
static const char *walk_rel;

static int
walk_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	const char *x = below(path, walk_mnt);
	size_t		n = strlen(x),
				r = strlen(walk_rel);

	(void) ftw;
	if (x[0] == '\0' || strcmp(x, "lost+found") == 0 || strncmp(x, "lost+found/", 11) == 0)
		return 0;
	/* the data directory and anything in it */
	if (strncmp(x, walk_rel, r) == 0 && (x[r] == '\0' || x[r] == '/'))
		return 0;
	/* the folders leading to it */
	if ((flag == FTW_D || S_ISDIR(sb->st_mode)) && strncmp(walk_rel, x, n) == 0 &&
		walk_rel[n] == '/')
		return 0;
	return 1;
}

/*
 * Does the file system mounted at mnt hold nothing but the data directory
 * rel (and the folders leading to it, and lost+found)? The snapshot replaces
 * the whole volume: only such a volume is the data directory's alone.
 */
static bool
dedicated(const char *mnt, const char *rel)
{
	walk_mnt = mnt;
	walk_rel = rel;
	return nftw(mnt, walk_entry, 16, FTW_PHYS | FTW_MOUNT) == 0;
}

bool
snap_plan_make(const char *src, const char *dst, snap_plan *p, char *why, size_t whysize)
{
	struct stat ss,
				ds,
				ws;
	char		root[PATH_MAX],
				dmnt[PATH_MAX],
				droot[PATH_MAX],
				dtype[32],
				path[PATH_MAX + 16];
	lv_info		o,
				t;
	DIR		   *d;
	struct dirent *e;

	memset(p, 0, sizeof(*p));
	if (stat(src, &ss) != 0 || stat(dst, &ds) != 0)
	{
		say(why, whysize, "cannot stat the data directories: %s", strerror(errno));
		return false;
	}
	/* everything the cluster writes on the one volume */
	snprintf(path, sizeof(path), "%s/pg_wal", src);
	if (lstat(path, &ws) != 0 || !S_ISDIR(ws.st_mode))
	{
		say(why, whysize, "stable's pg_wal is not a directory inside its data directory (a "
			"link to another place would not be in the snapshot, or would be shared)");
		return false;
	}
	snprintf(path, sizeof(path), "%s/pg_tblspc", src);
	if ((d = opendir(path)) != NULL)
	{
		bool		any = false;

		while ((e = readdir(d)) != NULL)
			any |= strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
		closedir(d);
		if (any)
		{
			say(why, whysize, "stable has tablespaces (pg_tblspc is not empty): their "
				"links would point the copy at stable's own files");
			return false;
		}
	}
	if (ss.st_dev == ds.st_dev)
	{
		say(why, whysize, "both data directories are on the same file system");
		return false;
	}
	if (!find_lvm(p->lvm, sizeof(p->lvm)))
	{
		say(why, whysize, "lvm is not installed");
		return false;
	}
	if (!lv_of(p->lvm, ss.st_dev, &o, why, whysize))
	{
		char		w[512];

		snprintf(w, sizeof(w), "%s", why);
		say(why, whysize, "stable's data directory: %s", w);
		return false;
	}
	if (!lv_of(p->lvm, ds.st_dev, &t, why, whysize))
	{
		char		w[512];

		snprintf(w, sizeof(w), "%s", why);
		say(why, whysize, "the test slot's data directory: %s", w);
		return false;
	}
	if (strcmp(o.segtype, "thin") != 0)
	{
		say(why, whysize, "stable's data LV %s/%s is not a thin volume (%s)", o.vg, o.lv,
			o.segtype);
		return false;
	}
	if (strcmp(t.segtype, "thin") != 0 || strcmp(o.vg, t.vg) != 0)
	{
		say(why, whysize, "the test slot's data LV %s/%s is not a thin volume of volume "
			"group %s", t.vg, t.lv, o.vg);
		return false;
	}
	if (strlen(t.lv) + strlen(SNAP_NEW) >= sizeof(p->target) - 1 || strlen(t.lv) > 120)
	{
		say(why, whysize, "the test slot's LV name %s is too long", t.lv);
		return false;
	}
	if (!mount_of(ss.st_dev, src, p->mnt, sizeof(p->mnt), root, sizeof(root), p->fstype,
				  sizeof(p->fstype)) ||
		!mount_of(ds.st_dev, dst, dmnt, sizeof(dmnt), droot, sizeof(droot), dtype,
				  sizeof(dtype)))
	{
		say(why, whysize, "a data directory's mount is not in /proc/self/mountinfo");
		return false;
	}
	if (strcmp(root, "/") != 0 || strcmp(droot, "/") != 0)
	{
		say(why, whysize, "a data LV is mounted through a bind mount of a subdirectory");
		return false;
	}
	if (strcmp(below(src, p->mnt), below(dst, dmnt)) != 0)
	{
		say(why, whysize, "the data directories are not at the same place inside their "
			"volumes (stable: /%s on %s/%s, test: /%s on %s/%s): the snapshot holds "
			"stable's at /%s", below(src, p->mnt), o.vg, o.lv, below(dst, dmnt), t.vg, t.lv,
			below(src, p->mnt));
		return false;
	}
	if (strcmp(p->fstype, dtype) != 0)
	{
		say(why, whysize, "the volumes' file systems differ (%s, %s)", p->fstype, dtype);
		return false;
	}
	if (below(dst, dmnt)[0] == '\0' || !dedicated(dmnt, below(dst, dmnt)))
	{
		say(why, whysize, "the test slot's volume %s/%s (mounted at %s) holds more than "
			"the data directory %s: a snapshot would replace all of it", t.vg, t.lv, dmnt,
			dst);
		return false;
	}
	snprintf(p->vg, sizeof(p->vg), "%s", o.vg);
	snprintf(p->origin, sizeof(p->origin), "%s", o.lv);
	snprintf(p->target, sizeof(p->target), "%s", t.lv);
	snprintf(p->rel, sizeof(p->rel), "%s", below(dst, dmnt));
	snprintf(p->mnt, sizeof(p->mnt), "%s", dmnt);
	p->autoact = t.autoact;
	return true;
}

/* lvm ARGS... (a NULL-terminated list after the subcommand); errors in err */
static bool
lvm(const snap_plan *p, char *err, size_t errsize, char *const args[])
{
	char	   *argv[16];
	char		out[4096],
				errb[2048];
	int			n = 0,
				rc;

	argv[n++] = (char *) p->lvm;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
	rc = ctl_run(argv, NULL, out, sizeof(out), errb, sizeof(errb));
	if (rc != 0)
	{
		say(err, errsize, "lvm %s %s failed (exit %d): %s", args[0], args[n - 2], rc, errb);
		return false;
	}
	return true;
}

/* /dev/mapper/ name of VG/LV: each '-' doubled, then joined by '-' */
static void
dm_path(const char *vg, const char *lv, char *out, size_t size)
{
	size_t		n = 0;
	const char *parts[2] = {vg, lv};

	n = (size_t) snprintf(out, size, "/dev/mapper/");
	for (int i = 0; i < 2; i++)
	{
		for (const char *c = parts[i]; *c && n + 3 < size; c++)
		{
			out[n++] = *c;
			if (*c == '-')
				out[n++] = '-';
		}
		if (i == 0 && n + 2 < size)
			out[n++] = '-';
	}
	out[n] = '\0';
}

bool
snap_take(const snap_plan *p, char *err, size_t errsize)
{
	char		origin[260],
				newname[160],
				oldname[160],
				newlv[300],
				oldlv[300],
				dev[PATH_MAX];
	const char *opts = strcmp(p->fstype, "xfs") == 0 ? "nouuid" : NULL;

	snprintf(origin, sizeof(origin), "%s/%s", p->vg, p->origin);
	snprintf(newname, sizeof(newname), "%s%s", p->target, SNAP_NEW);
	snprintf(oldname, sizeof(oldname), "%s%s", p->target, SNAP_OLD);
	snprintf(newlv, sizeof(newlv), "%s/%s", p->vg, newname);
	snprintf(oldlv, sizeof(oldlv), "%s/%s", p->vg, oldname);
	{
		/*
		 * The snapshot activates like the volume it replaces: no activation
		 * skip flag (thin snapshots get one by default), the same
		 * autoactivation setting (lvcreate takes none for thin volumes).
		 */
		char	   *args[] = {"lvcreate", "-q", "--snapshot", "--setactivationskip", "n",
			"--activate", "y", "--name", newname, origin, NULL};
		char	   *aa[] = {"lvchange", "-q", "--setautoactivation", p->autoact ? "y" : "n",
		newlv, NULL};

		if (!lvm(p, err, errsize, args))
			return false;
		if (!lvm(p, err, errsize, aa))
		{
			char		e2[256] = "";
			char	   *rm[] = {"lvremove", "-q", "-y", newlv, NULL};

			(void) lvm(p, e2, sizeof(e2), rm);
			return false;
		}
	}
	if (umount(p->mnt) != 0)
	{
		char		e2[256] = "";
		char	   *args[] = {"lvremove", "-q", "-y", newlv, NULL};
		int			saved = errno;

		(void) lvm(p, e2, sizeof(e2), args);
		say(err, errsize, "cannot unmount the test slot's volume at %s: %s (the snapshot "
			"was removed again)", p->mnt, strerror(saved));
		return false;
	}
	{
		char	   *a1[] = {"lvrename", "-q", (char *) p->vg, (char *) p->target, oldname, NULL};
		char	   *a2[] = {"lvrename", "-q", (char *) p->vg, newname, (char *) p->target, NULL};

		if (!lvm(p, err, errsize, a1))
			return false;
		if (!lvm(p, err, errsize, a2))
		{
			char		e2[256] = "";
			char	   *back[] = {"lvrename", "-q", (char *) p->vg, oldname, (char *) p->target, NULL};

			(void) lvm(p, e2, sizeof(e2), back);
			return false;
		}
	}
	dm_path(p->vg, p->target, dev, sizeof(dev));
	if (mount(dev, p->mnt, p->fstype, 0, opts) != 0)
	{
		say(err, errsize, "the snapshot is %s/%s now, but mounting %s at %s failed: %s "
			"(the old volume is %s)", p->vg, p->target, dev, p->mnt, strerror(errno), oldlv);
		return false;
	}
	{
		char	   *args[] = {"lvremove", "-q", "-y", oldlv, NULL};

		if (!lvm(p, err, errsize, args))
		{
			fprintf(stderr, "dualbootctl: refresh: the old volume stays: %s\n", err);
			err[0] = '\0';
		}
	}
	return true;
}

/* a page's header: SizeOfXLogLongPHD at a segment's start, else SizeOfXLogShortPHD */
#define PAGE_HDR(pos, segsize) ((pos) % (segsize) == 0 ? 40 : 24)
#define MAXALIGN8(x) (((x) + 7) & ~(uint64_t) 7)

/*
 * Where the record after it would start: xlogreader's EndRecPtr, moved past
 * the page header when that falls on a page boundary (as PostgreSQL's own
 * insert position and the end-of-recovery checkpoint's redo LSN are).
 */
uint64_t
snap_record_end(uint64_t lsn, uint32_t tot_len, uint32_t blcksz, uint64_t segsize)
{
	uint64_t	left = tot_len;
	uint64_t	inpage = blcksz - lsn % blcksz;
	uint64_t	pos,
				end;

	if (left <= inpage)
		end = lsn + MAXALIGN8(left);
	else
	{
		left -= inpage;
		pos = lsn + inpage;		/* the next page's start */
		while (left > blcksz - PAGE_HDR(pos, segsize))
		{
			left -= blcksz - PAGE_HDR(pos, segsize);
			pos += blcksz;
		}
		end = pos + PAGE_HDR(pos, segsize) + MAXALIGN8(left);
	}
	if (end % blcksz == 0)
		end += PAGE_HDR(end, segsize);
	return end;
}

typedef struct wal_end
{
	uint64_t	lsn;			/* the last record's start */
	uint32_t	tot;			/* and its total length */
	uint32_t	records;
} wal_end;

/* pg_waldump: "rmgr: Heap len (rec/tot): 54/ 54, tx: 735, lsn: 0/0300A0F8, ..." */
static void
end_line(void *arg, const char *line)
{
	wal_end    *w = arg;
	const char *p;
	unsigned	rec,
				tot;
	char		lsn_s[32];
	uint64_t	lsn;

	if (strncmp(line, "rmgr: ", 6) != 0 || (p = strstr(line, "len (rec/tot):")) == NULL ||
		sscanf(p + 14, " %u/ %u", &rec, &tot) != 2 || (p = strstr(line, "lsn: ")) == NULL ||
		sscanf(p + 5, "%31[0-9A-Fa-f/]", lsn_s) != 1 || !db_lsn_parse(lsn_s, &lsn))
		return;
	if (lsn >= w->lsn)
	{
		w->lsn = lsn;
		w->tot = tot;
	}
	w->records++;
}

bool
snap_prepare_copy(const char *dir, const char *bindir, uint64_t sysid, uint64_t *lsn,
				  char *err, size_t errsize)
{
	char		controldata[PATH_MAX],
				waldump[PATH_MAX],
				path[PATH_MAX + 32];
	char		out[8192],
				errb[4096],
				line[8192];
	char		v[128],
				ckpt[64],
				tli[16];
	uint64_t	copy_sysid,
				seg,
				blk,
				ck;
	wal_end		w;
	int			rc;

	if (!ctl_find_program("pg_controldata", bindir, dir, controldata, sizeof(controldata)) ||
		!ctl_find_program("pg_waldump", bindir, dir, waldump, sizeof(waldump)))
	{
		say(err, errsize, "pg_controldata or pg_waldump not found (--bindir DIR)");
		return false;
	}
	{
		char	   *argv[] = {controldata, (char *) dir, NULL};

		rc = ctl_run(argv, NULL, out, sizeof(out), errb, sizeof(errb));
	}
	if (rc != 0 || !ctl_control_value(out, "Database system identifier", v, sizeof(v)) ||
		!ctl_parse_u64(v, &copy_sysid) ||
		!ctl_control_value(out, "Latest checkpoint location", ckpt, sizeof(ckpt)) ||
		!db_lsn_parse(ckpt, &ck) ||
		!ctl_control_value(out, "Latest checkpoint's TimeLineID", tli, sizeof(tli)) ||
		!ctl_control_value(out, "Bytes per WAL segment", v, sizeof(v)) ||
		!ctl_parse_u64(v, &seg) || seg == 0 ||
		!ctl_control_value(out, "WAL block size", v, sizeof(v)) ||
		!ctl_parse_u64(v, &blk) || blk < 64)
	{
		say(err, errsize, "pg_controldata %s failed (exit %d): %s", dir, rc, errb);
		return false;
	}
	if (copy_sysid != sysid)
	{
		say(err, errsize, "the snapshot's system identifier %" PRIu64 " is not the "
			"running cluster's %" PRIu64, copy_sysid, sysid);
		return false;
	}

	/*
	 * Its WAL from its latest checkpoint to where pg_waldump's reader (the
	 * one recovery uses) finds no valid record: pg_waldump exits 1 there.
	 */
	memset(&w, 0, sizeof(w));
	snprintf(path, sizeof(path), "%s/pg_wal", dir);
	{
		char	   *argv[] = {waldump, "-p", path, "-t", tli, "-s", ckpt, NULL};

		rc = ctl_run_lines(argv, NULL, end_line, &w, line, sizeof(line), errb, sizeof(errb));
	}
	if (w.records == 0 || w.lsn < ck)
	{
		say(err, errsize, "pg_waldump found no WAL record in the snapshot from its "
			"checkpoint %s (exit %d): %s", ckpt, rc, errb);
		return false;
	}
	*lsn = snap_record_end(w.lsn, w.tot, (uint32_t) blk, seg);

	/* what pg_basebackup leaves out: the source's lock file and its slots */
	snprintf(path, sizeof(path), "%s/postmaster.pid", dir);
	if (unlink(path) != 0 && errno != ENOENT)
	{
		say(err, errsize, "%s: %s", path, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/postmaster.opts", dir);
	(void) unlink(path);
	snprintf(path, sizeof(path), "%s/pg_replslot", dir);
	if (access(path, F_OK) == 0 && !ctl_empty_dir(path))
	{
		say(err, errsize, "cannot empty %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}
