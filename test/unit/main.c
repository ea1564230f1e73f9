/*
 * main.c - TAP output, shared helpers and the driver of the unit tests.
 *
 *   unit                 run every group
 *   unit GROUP...        run the named groups (lifecycle, boot, bootsel,
 *                        text, powerloss, files, concurrency, validated,
 *                        parsers, hint, isolation, format2)
 *   unit --corpus DIR    write the fuzzer's seed corpus into DIR
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int	n_tests;
static int	n_failed;

static bool
tap_vok(bool cond, const char *fmt, va_list ap)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

bool
tap_ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void
tap_diag(const char *fmt,...)
{
	va_list		ap;
	char		buf[2048];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one "# " per line so that a multi-line message stays a comment */
	for (char *line = buf, *nl; line; line = nl)
	{
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		printf("# %s\n", line);
	}
	fflush(stdout);
}

bool
tap_is_int(long long got, long long want, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		tap_diag("  got %lld, expected %lld", got, want);
	return got == want;
}

void
tap_skip(const char *why, const char *fmt,...)
{
	va_list		ap;

	n_tests++;
	printf("ok %d - ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

int
tap_failures(void)
{
	return n_failed;
}

int
tap_done(void)
{
	printf("1..%d\n", n_tests);
	if (n_failed)
		printf("# %d of %d tests failed\n", n_failed, n_tests);
	fflush(stdout);
	return n_failed ? 1 : 0;
}

static char tmp_root[512];

const char *
tmp_dir(void)
{
	if (tmp_root[0] == '\0')
	{
		const char *base = getenv("TMPDIR");

		snprintf(tmp_root, sizeof(tmp_root), "%s/dualboot-unit.XXXXXX",
				 base && base[0] ? base : "/tmp");
		if (mkdtemp(tmp_root) == NULL)
		{
			perror("mkdtemp");
			exit(2);
		}
	}
	return tmp_root;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

void
tmp_cleanup(void)
{
	if (tmp_root[0])
		nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmp_root[0] = '\0';
}

const char *
tmp_path(const char *name)
{
	static char bufs[8][600];
	static int	next;
	char	   *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmp_dir(), name);
	return b;
}

size_t
file_read(const char *path, uint8_t *buf, size_t size)
{
	int			fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t		len = 0;
	ssize_t		n;

	if (fd < 0)
	{
		fprintf(stderr, "unit: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += (size_t) n;
	close(fd);
	return len;
}

void
file_write(const char *path, const uint8_t *buf, size_t len, int mode)
{
	int			fd;

	(void) unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t) len) || close(fd) != 0)
	{
		fprintf(stderr, "unit: write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	/* the umask must not weaken or strengthen what the test asked for */
	if (chmod(path, (mode_t) mode) != 0)
	{
		fprintf(stderr, "unit: chmod %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

db_context
ctx_make(uint8_t slot, const char *boot_id, int64_t now)
{
	db_context	c;

	memset(&c, 0, sizeof(c));
	c.current_slot = slot;
	c.boot_id = boot_id;
	c.now = now;
	c.actor = "unit";
	c.app = NULL;
	return c;
}

#define COPY_VERSION_OFFSET 8
#define COPY_CRC_OFFSET (DB_COPY_SIZE - 4)

void
forge_crc(uint8_t *record, int which)
{
	uint8_t    *c = record + which * DB_COPY_SIZE;
	uint32_t	crc = db_crc32c(0, c, COPY_CRC_OFFSET);

	for (int i = 0; i < 4; i++)
		c[COPY_CRC_OFFSET + i] = (uint8_t) (crc >> (8 * i));
}

void
forge_version(uint8_t *record, int which, uint16_t version)
{
	uint8_t    *c = record + which * DB_COPY_SIZE;

	c[COPY_VERSION_OFFSET] = (uint8_t) (version & 0xff);
	c[COPY_VERSION_OFFSET + 1] = (uint8_t) (version >> 8);
	forge_crc(record, which);
}

static const struct
{
	const char *name;
	void		(*fn) (void);
}			groups[] = {
	{"lifecycle", test_lifecycle},
	{"boot", test_boot_decide},
	{"bootsel", test_bootsel},
	{"text", test_text},
	{"powerloss", test_powerloss},
	{"files", test_files},
	{"concurrency", test_concurrency},
	{"validated", test_concurrency_validated},
	{"parsers", test_parsers},
	{"current", test_current},
	{"hint", test_hint},
	{"isolation", test_isolation},
	{"format2", test_format2},
};

int
main(int argc, char **argv)
{
	int			ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]) == 0 ? 0 : 1;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
	{
		bool		want = argc == 1;

		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], groups[g].name) == 0)
				want = true;
		if (!want)
			continue;
		tap_diag("group %s", groups[g].name);
		groups[g].fn();
		tmp_cleanup();
		ran++;
	}
	if (ran == 0)
	{
		fprintf(stderr, "usage: unit [--corpus DIR | GROUP...]\n");
		return 2;
	}
	return tap_done();
}
