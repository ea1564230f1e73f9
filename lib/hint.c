/*
 * hint.c - the stable hint (docs/state-format.md section 15): the stable
 * slot, known without the record. 1024 bytes, two identical 512-byte copies
 * (magic, frozen format 1, slot, the record's seq, time, CRC-32C), written in
 * place: copy 0, fdatasync, copy 1, fdatasync. The reader takes copy 0 when
 * it is valid, else copy 1. Read by the boot selection only when the record
 * cannot be used; written by dualbootctl and by the selector from a usable
 * record. The format never changes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>		/* BLKGETSIZE64 */
#include <sys/stat.h>
#include <unistd.h>

#include "dbstate.h"

#define HINT_CRC_OFFSET (DB_HINT_COPY_SIZE - 4)

/* little-endian, byte by byte: the same bytes on every host */
static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t) v;
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

void
db_hint_encode(const db_hint *h, uint8_t *copy)
{
	memset(copy, 0, DB_HINT_COPY_SIZE);
	memcpy(copy, DB_HINT_MAGIC, 8);
	put_le(copy + 8, 1, 2);
	copy[10] = h->stable_slot;
	put_le(copy + 16, h->seq, 8);
	put_le(copy + 24, (uint64_t) h->written_at, 8);
	put_le(copy + HINT_CRC_OFFSET, db_crc32c(0, copy, HINT_CRC_OFFSET), 4);
}

/* one copy: magic, format 1, slot A or B, zero bytes, CRC */
static bool
copy_valid(const uint8_t *c)
{
	for (int i = 11; i < HINT_CRC_OFFSET; i++)
		if (c[i] != 0 && (i < 16 || i >= 32))
			return false;
	return memcmp(c, DB_HINT_MAGIC, 8) == 0 && get_le(c + 8, 2) == 1 && c[10] <= 1 &&
		get_le(c + HINT_CRC_OFFSET, 4) == db_crc32c(0, c, HINT_CRC_OFFSET);
}

int
db_hint_decode(const uint8_t *image, db_hint *h)
{
	const uint8_t *c = image;

	if (!copy_valid(c) && !copy_valid(c += DB_HINT_COPY_SIZE))
		return DB_ERR_NO_VALID;
	h->stable_slot = c[10];
	h->seq = get_le(c + 16, 8);
	h->written_at = (int64_t) get_le(c + 24, 8);
	return DB_OK;
}

static int
herr(db_error *err, int code, int e, const char *path, const char *what)
{
	if (err)
	{
		int			n = snprintf(err->message, sizeof(err->message),
								 "stable hint \"%s\": %s%s%s", path, what,
								 e ? ": " : "", e ? strerror(e) : "");

		(void) n;
		err->code = code;
		err->sys_errno = e;
	}
	return code;
}

/*
 * Open the hint: no symlinks; a regular file of exactly DB_HINT_SIZE bytes
 * (or, with create, a missing one created empty) not writable by everyone,
 * or a block device holding offset + DB_HINT_SIZE bytes.
 */
static int
hint_open(const char *path, uint64_t offset, bool write, db_error *err)
{
	struct stat st;
	uint64_t	size = 0;
	int			fd = open(path, (write ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC |
						  O_NOCTTY | O_NONBLOCK);

	if (fd < 0 && write && errno == ENOENT && offset == 0)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return herr(err, errno == ENOENT ? DB_ERR_NOT_FOUND : DB_ERR_IO, errno, path,
					"cannot open");
	if (fstat(fd, &st) != 0)
		memset(&st, 0, sizeof(st));	/* neither file nor device: refused below */
	if (S_ISREG(st.st_mode))
		size = offset == 0 && ((uint64_t) st.st_size == DB_HINT_SIZE ||
							   (write && st.st_size == 0)) ? DB_HINT_SIZE : 0;
	else if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &size) != 0)
		size = 0;
	if (size < offset + DB_HINT_SIZE || (S_ISREG(st.st_mode) && (st.st_mode & S_IWOTH)))
	{
		close(fd);
		return herr(err, DB_ERR_BAD_FILE, 0, path,
					"not a 1024-byte file (mode o-w) or a large enough device");
	}
	return fd;
}

int
db_hint_read(const char *path, uint64_t offset, db_hint *h, db_error *err)
{
	uint8_t		buf[DB_HINT_SIZE];
	int			fd = hint_open(path, offset, false, err);
	ssize_t		n;

	if (fd < 0)
		return fd;
	n = pread(fd, buf, sizeof(buf), (off_t) offset);
	close(fd);
	if (n != (ssize_t) sizeof(buf))
		return herr(err, DB_ERR_IO, n < 0 ? errno : EIO, path, "cannot read");
	if (db_hint_decode(buf, h) != DB_OK)
		return herr(err, DB_ERR_NO_VALID, 0, path, "no valid copy");
	return DB_OK;
}

int
db_hint_write(const char *path, uint64_t offset, const db_hint *h, db_error *err)
{
	uint8_t		copy[DB_HINT_COPY_SIZE];
	int			fd = hint_open(path, offset, true, err);
	int			rc = DB_OK;

	if (fd < 0)
		return fd;
	/* a misconfigured hint must never land on the record itself */
	if (pread(fd, copy, 8, (off_t) offset) == 8 && memcmp(copy, DB_MAGIC, 8) == 0)
	{
		close(fd);
		return herr(err, DB_ERR_BAD_FILE, 0, path, "holds the state record: not written");
	}
	db_hint_encode(h, copy);
	/* copy 0 first: until it is whole, copy 1 still holds the old slot */
	for (int i = 0; i < 2 && rc == DB_OK; i++)
		if (pwrite(fd, copy, sizeof(copy), (off_t) (offset + (uint64_t) i * sizeof(copy)))
			!= (ssize_t) sizeof(copy) || fdatasync(fd) != 0)
			rc = herr(err, DB_ERR_IO, errno, path, "cannot write");
	close(fd);
	return rc;
}

int
db_hint_path(const db_config *c, const char *state_path, char *out, size_t size,
			 uint64_t *offset, db_error *err)
{
	struct stat st;
	int			n;

	*offset = 0;
	if (c->stable_hint[0])
	{
		if (c->stable_hint_file[0])
			n = snprintf(out, size, "%s%s", c->stable_hint_mount, c->stable_hint_file);
		else if (db_resolve_device(c->stable_hint, out, size) == DB_OK)
			return DB_OK;
		else
			return herr(err, DB_ERR_NOT_FOUND, 0, c->stable_hint, "device not found");
	}
	else if (state_path == NULL || state_path[0] == '\0')
		return herr(err, DB_ERR_NOT_FOUND, 0, "", "no record to keep it beside");
	else if (stat(state_path, &st) == 0 && S_ISBLK(st.st_mode))
	{
		/* a raw record: the hint follows its 8192 bytes */
		*offset = DB_RECORD_SIZE;
		n = snprintf(out, size, "%s", state_path);
	}
	else
		n = snprintf(out, size, "%s.hint", state_path);
	if (n < 0 || (size_t) n >= size)
		return herr(err, DB_ERR_ARG, 0, "", "path too long");
	return DB_OK;
}

const char *
db_fallback_name(uint8_t fb)
{
	return fb == DB_FALLBACK_HINT ? "hint" : fb == DB_FALLBACK_DEFAULT ? "default" : "none";
}
