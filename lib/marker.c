/*
 * marker.c - the boot marker /run/dualboot/booted: what the hook chose for
 * this boot, as key=value lines, tied to the kernel's boot_id so that a
 * stale marker is never believed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbstate.h"

static int
merr(db_error *err, int code, int e, const char *path, const char *what)
{
	if (err)
	{
		int			n;

		err->code = code;
		err->sys_errno = e;
		n = snprintf(err->message, sizeof(err->message), "boot marker \"%s\": %s%s%s",
					 path, what, e ? ": " : "", e ? strerror(e) : "");
		(void) n;
	}
	return code;
}

int
db_marker_write(const char *path, const db_marker *m, db_error *err)
{
	char		tmp[600];
	char		dir[600];
	char		buf[512];
	char	   *slash;
	int			fd;
	int			len;

	if (strlen(path) + 5 > sizeof(tmp))
		return merr(err, DB_ERR_ARG, 0, path, "path too long");
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
	{
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return merr(err, DB_ERR_IO, errno, path, "cannot create its folder");
	}
	len = snprintf(buf, sizeof(buf),
				   "slot=%s\nrole=%s\ntrial=%d\nseq=%" PRIu64 "\nboot_id=%s\n"
				   "stable=%s\ntries_left=%u\nboot_count=%" PRIu64 "\ntime=%" PRId64 "\n"
				   "fallback=%s\n",
				   db_slot_name(m->slot),
				   m->slot == m->stable_slot ? "stable" : "test",
				   m->trial ? 1 : 0, m->seq, m->boot_id,
				   db_slot_name(m->stable_slot), m->tries_left, m->boot_count, m->time,
				   db_fallback_name(m->fallback));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void) unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return merr(err, DB_ERR_IO, errno, path, "cannot create");
	if (write(fd, buf, (size_t) len) != len || fsync(fd) != 0)
	{
		int			e = errno;

		close(fd);
		unlink(tmp);
		return merr(err, DB_ERR_IO, e, path, "cannot write");
	}
	close(fd);
	if (rename(tmp, path) != 0)
	{
		int			e = errno;

		unlink(tmp);
		return merr(err, DB_ERR_IO, e, path, "cannot rename into place");
	}
	return DB_OK;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char	   *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

int
db_marker_read(const char *path, db_marker *m, db_error *err)
{
	char		buf[2048];
	ssize_t		n;
	size_t		len = 0;
	int			fd;
	bool		have_slot = false,
				have_seq = false,
				have_id = false;
	char	   *line;
	char	   *save = NULL;

	memset(m, 0, sizeof(*m));
	m->slot = m->stable_slot = DB_SLOT_NONE;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return merr(err, errno == ENOENT ? DB_ERR_NOT_FOUND :
					errno == ELOOP ? DB_ERR_BAD_FILE : DB_ERR_IO,
					errno == ELOOP ? 0 : errno, path,
					errno == ELOOP ? "is a symbolic link" : "cannot open");
	while (len < sizeof(buf) - 1 &&
		   (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t) n;
	/* a marker longer than the buffer would be read cut in the middle of a line */
	if (len == sizeof(buf) - 1 && read(fd, buf, 1) > 0)
	{
		close(fd);
		return merr(err, DB_ERR_INVALID, 0, path, "is too long to be a boot marker");
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return merr(err, DB_ERR_INVALID, 0, path, "contains NUL bytes");

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		char	   *eq = strchr(line, '=');
		const char *v;
		uint64_t	u;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (strcmp(line, "slot") == 0 && db_slot_parse(v) >= 0)
		{
			m->slot = (uint8_t) db_slot_parse(v);
			have_slot = true;
		}
		else if (strcmp(line, "stable") == 0 && db_slot_parse(v) >= 0)
			m->stable_slot = (uint8_t) db_slot_parse(v);
		else if (strcmp(line, "trial") == 0)
			m->trial = strcmp(v, "1") == 0;
		else if (strcmp(line, "seq") == 0 && parse_u64(v, &u))
		{
			m->seq = u;
			have_seq = true;
		}
		else if (strcmp(line, "boot_count") == 0 && parse_u64(v, &u))
			m->boot_count = u;
		else if (strcmp(line, "tries_left") == 0 && parse_u64(v, &u) && u <= DB_TRIES_MAX)
			m->tries_left = (uint8_t) u;
		else if (strcmp(line, "time") == 0 && parse_u64(v, &u))
			m->time = (int64_t) u;
		else if (strcmp(line, "boot_id") == 0 && db_boot_id_valid(v) && v[0])
		{
			db_copy_text(m->boot_id, sizeof(m->boot_id), v);
			have_id = true;
		}
	}
	if (!have_slot || !have_seq || !have_id)
		return merr(err, DB_ERR_INVALID, 0, path,
					"lacks a valid slot=, seq= or boot_id= line");
	return DB_OK;
}

int
db_kernel_boot_id(char *buf, size_t size, db_error *err)
{
	const char *path = "/proc/sys/kernel/random/boot_id";
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t		n;

	if (fd < 0)
		return merr(err, DB_ERR_IO, errno, path, "cannot read the kernel boot_id");
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return merr(err, DB_ERR_IO, n < 0 ? errno : EIO, path,
					"cannot read the kernel boot_id");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!db_boot_id_valid(buf))
		return merr(err, DB_ERR_INVALID, 0, path, "unexpected boot_id format");
	return DB_OK;
}

int
db_current_slot(const char *marker_path, const db_state *st,
				const char *st_error, db_current *cur)
{
	db_marker	m;
	db_error	err;
	int			rc;

	memset(cur, 0, sizeof(*cur));
	cur->slot = DB_SLOT_NONE;
	memset(&err, 0, sizeof(err));
	if (db_kernel_boot_id(cur->boot_id, sizeof(cur->boot_id), &err) != DB_OK)
	{
		cur->boot_id[0] = '\0';
		snprintf(cur->why, sizeof(cur->why),
				 "the running kernel's boot_id cannot be read (%s), so no boot marker "
				 "can be believed", err.message);
		return DB_REFUSED;
	}
	if (marker_path == NULL || marker_path[0] == '\0')
	{
		snprintf(cur->why, sizeof(cur->why), "no boot marker path is configured");
		return DB_REFUSED;
	}
	memset(&err, 0, sizeof(err));
	rc = db_marker_read(marker_path, &m, &err);
	if (rc == DB_ERR_NOT_FOUND)
	{
		snprintf(cur->why, sizeof(cur->why),
				 "there is no boot marker at \"%s\": this boot was not selected by the "
				 "dualboot boot hook", marker_path);
		return DB_REFUSED;
	}
	if (rc != DB_OK)
	{
		snprintf(cur->why, sizeof(cur->why), "%s", err.message);
		return DB_REFUSED;
	}
	if (strcmp(m.boot_id, cur->boot_id) != 0)
	{
		snprintf(cur->why, sizeof(cur->why),
				 "the boot marker \"%s\" is stale: it is from an earlier boot (boot_id %s; "
				 "the running kernel's is %s)", marker_path, m.boot_id, cur->boot_id);
		return DB_REFUSED;
	}
	if (st == NULL)
	{
		snprintf(cur->why, sizeof(cur->why),
				 "the boot marker says slot %s, but the state record cannot be read to "
				 "confirm it%s%s", db_slot_name(m.slot),
				 st_error && st_error[0] ? ": " : "", st_error ? st_error : "");
		return DB_REFUSED;
	}
	if (st->last_boot_slot == DB_SLOT_NONE || st->last_boot_id[0] == '\0')
	{
		snprintf(cur->why, sizeof(cur->why),
				 "the boot marker says slot %s, but the state record shows no boot "
				 "through the hook since it was created, so the marker cannot be "
				 "confirmed (the slot is known again after the next boot)",
				 db_slot_name(m.slot));
		return DB_REFUSED;
	}
	if (strcmp(st->last_boot_id, cur->boot_id) != 0)
	{
		snprintf(cur->why, sizeof(cur->why),
				 "the boot marker says slot %s, but the state record's last boot is "
				 "another one (slot %s, boot_id %s; this boot is %s): the record was "
				 "replaced or restored after this boot, or the hook could not write it",
				 db_slot_name(m.slot), db_slot_name(st->last_boot_slot),
				 st->last_boot_id, cur->boot_id);
		return DB_REFUSED;
	}
	if (st->last_boot_slot != m.slot)
	{
		snprintf(cur->why, sizeof(cur->why),
				 "the boot marker \"%s\" says slot %s, but the state record says this "
				 "boot (boot_id %s) is slot %s: one of them was changed after the boot, "
				 "so neither is believed", marker_path, db_slot_name(m.slot),
				 cur->boot_id, db_slot_name(st->last_boot_slot));
		return DB_REFUSED;
	}
	cur->slot = m.slot;
	cur->trial = st->last_boot_trial != 0;
	return DB_OK;
}
