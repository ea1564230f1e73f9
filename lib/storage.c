/*
 * storage.c - the record on a regular file or a block device.
 *
 * Writes go in place (no rename, no growth) to the older or invalid copy,
 * followed by fdatasync; the newer copy is never touched, so a power cut at
 * any byte leaves either the old or the new state. Writers hold an exclusive
 * flock for read-modify-write. Symlinks are never followed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>		/* BLKGETSIZE64, in glibc and musl */
#include <sys/stat.h>
#include <unistd.h>

#include "dbstate.h"

static int
fail(db_error *err, int code, int sys_errno, const char *path, const char *what)
{
	if (err)
	{
		int			n;

		err->code = code;
		err->sys_errno = sys_errno;
		if (sys_errno)
			n = snprintf(err->message, sizeof(err->message), "%s \"%s\": %s",
						 what, path, strerror(sys_errno));
		else
			n = snprintf(err->message, sizeof(err->message), "\"%s\" %s", path, what);
		(void) n;				/* a long path may cut the message short */
	}
	return code;
}

int
db_open(db_handle *h, const char *path, bool writable, db_error *err)
{
	struct stat st;
	int			fd;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (err)
		memset(err, 0, sizeof(*err));
	if (path == NULL || path[0] == '\0')
		return fail(err, DB_ERR_ARG, 0, "", "is not a path: no state path is configured");
	if (strlen(path) >= sizeof(h->path))
		return fail(err, DB_ERR_ARG, 0, "(path)", "is too long");
	if (lstat(path, &st) != 0)
		return fail(err, errno == ENOENT ? DB_ERR_NOT_FOUND : DB_ERR_IO, errno,
					path, "cannot access state record");
	if (S_ISLNK(st.st_mode))
		return fail(err, DB_ERR_BAD_FILE, 0, path,
					"is a symbolic link; the state record must be named directly");
	/* refuse other types before open(): a FIFO would block, a directory gives EISDIR */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return fail(err, DB_ERR_BAD_FILE, 0, path,
					S_ISDIR(st.st_mode) ? "is a directory, not a state record"
					: "is neither a regular file nor a block device");
	/* O_NOFOLLOW closes the race between lstat and open */
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(err, errno == ELOOP ? DB_ERR_BAD_FILE : DB_ERR_IO, errno,
					path, "cannot open state record");
	if (fstat(fd, &st) != 0)
	{
		int			e = errno;

		close(fd);
		return fail(err, DB_ERR_IO, e, path, "cannot stat state record");
	}
	if (S_ISREG(st.st_mode))
	{
		if (st.st_size != DB_RECORD_SIZE)
		{
			char		msg[160];

			close(fd);
			snprintf(msg, sizeof(msg), "has %lld bytes, but a state record has "
					 "exactly %d (truncated or not a dualboot record)",
					 (long long) st.st_size, DB_RECORD_SIZE);
			return fail(err, DB_ERR_BAD_FILE, 0, path, msg);
		}
		if (st.st_mode & S_IWOTH)
		{
			close(fd);
			return fail(err, DB_ERR_BAD_FILE, 0, path,
						"is writable by every user; fix with chmod o-w");
		}
	}
	else if (S_ISBLK(st.st_mode))
	{
		uint64_t	size = 0;

		if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size < DB_RECORD_SIZE)
		{
			close(fd);
			return fail(err, DB_ERR_BAD_FILE, 0, path,
						"is a block device smaller than a state record (8192 bytes)");
		}
		h->is_block = true;
	}
	else
	{
		close(fd);
		return fail(err, DB_ERR_BAD_FILE, 0, path,
					S_ISDIR(st.st_mode) ? "is a directory, not a state record"
					: "is neither a regular file nor a block device");
	}
	h->fd = fd;
	h->writable = writable;
	memcpy(h->path, path, strlen(path) + 1);
	return DB_OK;
}

void
db_close(db_handle *h)
{
	if (h->fd >= 0)
	{
		if (h->locked)
			db_unlock(h);
		close(h->fd);
	}
	h->fd = -1;
}

int
db_lock(db_handle *h, db_error *err)
{
	while (flock(h->fd, LOCK_EX) != 0)
	{
		if (errno != EINTR)
			return fail(err, DB_ERR_IO, errno, h->path, "cannot lock state record");
	}
	h->locked = true;
	return DB_OK;
}

int
db_trylock(db_handle *h, db_error *err)
{
	while (flock(h->fd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno == EWOULDBLOCK)
			return fail(err, DB_ERR_BUSY, 0, h->path,
						"is locked by another process (a writer of the record, or any "
						"process that opened it and holds a lock)");
		if (errno != EINTR)
			return fail(err, DB_ERR_IO, errno, h->path, "cannot lock state record");
	}
	h->locked = true;
	return DB_OK;
}

void
db_unlock(db_handle *h)
{
	if (h->locked)
		(void) flock(h->fd, LOCK_UN);
	h->locked = false;
}

static int
read_all(db_handle *h, uint8_t *buf, db_error *err)
{
	size_t		done = 0;

	while (done < DB_RECORD_SIZE)
	{
		ssize_t		n = pread(h->fd, buf + done, DB_RECORD_SIZE - done, (off_t) done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(err, DB_ERR_IO, errno, h->path, "cannot read state record");
		if (n == 0)
			return fail(err, DB_ERR_BAD_FILE, 0, h->path, "is truncated");
		done += (size_t) n;
	}
	return DB_OK;
}

static int
read_choose(db_handle *h, db_state *st, int *which, db_error *err)
{
	uint8_t		buf[DB_RECORD_SIZE];
	int			rc;

	if ((rc = read_all(h, buf, err)) != DB_OK)
		return rc;
	rc = db_decode_record(buf, sizeof(buf), st, which, err);
	if (rc != DB_OK && err)
	{
		char		prefix[600];

		snprintf(prefix, sizeof(prefix), "state record \"%.500s\": ", h->path);
		db_error_prefix(err, prefix);
	}
	return rc;
}

int
db_read(db_handle *h, db_state *st, db_error *err)
{
	return read_choose(h, st, NULL, err);
}

/* Write one copy at its offset, then make it durable. */
static int
write_copy(db_handle *h, int which, const db_state *st, db_error *err)
{
	uint8_t		copy[DB_COPY_SIZE];
	size_t		done = 0;

	db_encode(st, copy);
	while (done < DB_COPY_SIZE)
	{
		ssize_t		n = pwrite(h->fd, copy + done, DB_COPY_SIZE - done,
							   (off_t) which * DB_COPY_SIZE + (off_t) done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(err, DB_ERR_IO, n < 0 ? errno : EIO, h->path,
						"cannot write state record");
		done += (size_t) n;
	}
	if (fdatasync(h->fd) != 0)
		return fail(err, DB_ERR_IO, errno, h->path, "cannot sync state record");
	return DB_OK;
}

int
db_write(db_handle *h, const db_state *st, db_error *err)
{
	uint8_t		buf[DB_RECORD_SIZE];
	db_state	cur;
	int			which = -1;
	int			rc;

	if ((rc = read_all(h, buf, err)) != DB_OK)
		return rc;
	/* the copy that does not hold the current state is the one to overwrite */
	rc = db_decode_record(buf, sizeof(buf), &cur, &which, NULL);
	if (rc == DB_ERR_NEWER_VERSION)
		return fail(err, DB_ERR_NEWER_VERSION, 0, h->path,
					"holds a newer format version; refusing to overwrite it");
	if (rc == DB_ERR_INVALID)
		return fail(err, DB_ERR_INVALID, 0, h->path,
					"has a newest copy with values this version refuses; refusing "
					"to overwrite it");
	return write_copy(h, rc == DB_OK ? 1 - which : 0, st, err);
}

int
db_update(const char *path, const db_request *req, const db_context *ctx,
		  db_state *st_out, db_error *err)
{
	db_handle	h;
	db_state	st;
	int			rc;

	if ((rc = db_open(&h, path, true, err)) != DB_OK)
		return rc;
	if ((rc = db_lock(&h, err)) == DB_OK &&
		(rc = db_read(&h, &st, err)) == DB_OK &&
		(rc = db_apply(&st, req, ctx, err)) == DB_OK)
		rc = db_write(&h, &st, err);
	db_close(&h);
	if (rc == DB_OK && st_out)
		*st_out = st;
	return rc;
}

int
db_create(const char *path, uint8_t stable, const db_context *ctx,
		  const char *reason, bool force, db_error *err)
{
	db_handle	h;
	db_state	st;
	uint8_t		zero[DB_COPY_SIZE];
	int			rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (reason && !db_text_valid(reason, DB_REASON_SIZE))
		return fail(err, DB_ERR_ARG, 0, path,
					"init: reason is too long or not valid UTF-8 text");
	rc = db_open(&h, path, true, err);
	if (rc == DB_ERR_NOT_FOUND)
	{
		/* a new regular file, allocated to its full size once */
		int			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return fail(err, DB_ERR_IO, errno, path, "cannot create state record");
		memset(zero, 0, sizeof(zero));
		for (int i = 0; i < 2; i++)
			if (pwrite(fd, zero, sizeof(zero), (off_t) i * DB_COPY_SIZE) != DB_COPY_SIZE)
			{
				int			e = errno;

				close(fd);
				unlink(path);
				return fail(err, DB_ERR_IO, e, path, "cannot create state record");
			}
		close(fd);
		rc = db_open(&h, path, true, err);
	}
	if (rc != DB_OK)
		return rc;
	if ((rc = db_lock(&h, err)) == DB_OK)
	{
		db_state	old;
		int			which = 0;
		int			have = read_choose(&h, &old, &which, NULL);

		if ((have == DB_OK || have == DB_ERR_NEWER_VERSION ||
			 have == DB_ERR_INVALID) && !force)
			rc = fail(err, DB_ERR_EXISTS, 0, path,
					  "already holds a valid state record; use --force to replace it");
		else
		{
			db_state_init(&st, stable, ctx, reason);
			if (have == DB_OK)
				st.seq = old.seq + 1;	/* stay ahead of the surviving copy */
			st.history[0].seq = st.seq;
			/*
			 * both copies: no stale older record can win later. The copy not
			 * holding the current state goes first, so that a power cut
			 * during the first write still reads as the old state.
			 */
			if (have != DB_OK)
				which = 1;
			rc = write_copy(&h, 1 - which, &st, err);
			if (rc == DB_OK)
				rc = write_copy(&h, which, &st, err);
		}
	}
	db_close(&h);
	return rc;
}

int
db_load(const char *path, db_state *st, db_error *err)
{
	db_handle	h;
	int			rc;

	if ((rc = db_open(&h, path, false, err)) != DB_OK)
		return rc;
	rc = db_read(&h, st, err);
	/*
	 * Readers go without a lock: the CRC rejects a copy being written. One
	 * read could still overlap two whole updates and find both copies torn;
	 * read again under a shared lock before calling the record corrupt.
	 */
	if (rc == DB_ERR_NO_VALID && flock(h.fd, LOCK_SH) == 0)
	{
		rc = db_read(&h, st, err);
		(void) flock(h.fd, LOCK_UN);
	}
	db_close(&h);
	return rc;
}
