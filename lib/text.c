/*
 * text.c - small shared helpers: CRC-32C, UTF-8 validation, names.
 *
 * CRC-32C is hand-written (a 16-entry nibble table, Castagnoli polynomial,
 * reflected): no library in Debian offers it for a static musl binary, and
 * the selector must stay small.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* strnlen, flock, O_NOFOLLOW */
#endif
#include <stdio.h>
#include <string.h>

#include "dbstate.h"

static const uint32_t crc32c_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
	0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75
};

uint32_t
db_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--)
	{
		crc ^= *p++;
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0f];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0f];
	}
	return ~crc;
}

/*
 * Valid text: NUL within size bytes, well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) and no control characters, so that a
 * reason always prints on one line.
 */
bool
db_text_valid(const char *s, size_t size)
{
	const uint8_t *p = (const uint8_t *) s;
	size_t		n = 0;

	if (s == NULL)
		return true;
	while (n < size && p[n] != 0)
	{
		uint8_t		c = p[n];
		uint32_t	cp;
		int			extra;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80)
		{
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
		{
			extra = 1;
			cp = c & 0x1f;
		}
		else if (c >= 0xe0 && c <= 0xef)
		{
			extra = 2;
			cp = c & 0x0f;
		}
		else if (c >= 0xf0 && c <= 0xf4)
		{
			extra = 3;
			cp = c & 0x07;
		}
		else
			return false;
		for (int i = 1; i <= extra; i++)
		{
			if (n + i >= size || (p[n + i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[n + i] & 0x3f);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
			(cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		n += extra + 1;
	}
	return n < size;
}

const char *
db_slot_name(uint8_t slot)
{
	switch (slot)
	{
		case DB_SLOT_A:
			return "A";
		case DB_SLOT_B:
			return "B";
		default:
			return "none";
	}
}

int
db_slot_parse(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[1] != '\0')
		return -1;
	if (s[0] == 'A' || s[0] == 'a')
		return DB_SLOT_A;
	if (s[0] == 'B' || s[0] == 'b')
		return DB_SLOT_B;
	return -1;
}

uint8_t
db_other_slot(uint8_t slot)
{
	return slot == DB_SLOT_A ? DB_SLOT_B : DB_SLOT_A;
}

uint8_t
db_test_slot(const db_state *st)
{
	return db_other_slot(st->stable_slot);
}

const char *
db_event_name(uint8_t ev)
{
	static const char *const names[] = {
		"none", "init", "mark_test", "confirm", "failback", "promote",
		"boot", "trial_failed", "record_fingerprint", "refresh",
		"stop_point", "rehearsal_begin", "rehearsal_end"
	};

	if (ev < sizeof(names) / sizeof(names[0]))
		return names[ev];
	return "unknown";
}

/* Copy s into a fixed field; the caller has validated the length. */
void
db_copy_text(char *dst, size_t size, const char *s)
{
	size_t		n = s ? strlen(s) : 0;

	if (n >= size)
		n = size - 1;
	memset(dst, 0, size);
	if (n)
		memcpy(dst, s, n);
}

/* Put "prefix" in front of err->message, cutting the end if it is too long. */
void
db_error_prefix(db_error *err, const char *prefix)
{
	char		msg[sizeof(err->message)];
	size_t		p = strlen(prefix);
	size_t		m = strlen(err->message);

	if (p >= sizeof(msg))
		p = sizeof(msg) - 1;
	if (p + m >= sizeof(msg))
		m = sizeof(msg) - 1 - p;
	memcpy(msg, prefix, p);
	memcpy(msg + p, err->message, m);
	msg[p + m] = '\0';
	memcpy(err->message, msg, sizeof(msg));
}

/*
 * Print NAME=value for a shell to eval: single-quoted with quotes escaped
 * (newlines become spaces), or bare when the value is plainly safe and the
 * caller allows it. The selector always quotes (its output is parsed by the
 * boot scripts as NAME='...'); dualbootctl prints safe values bare.
 */
void
db_shell_assign(FILE *out, const char *name, const char *value, bool always_quote)
{
	bool		bare = !always_quote && value[0] != '\0';

	for (const char *p = value; *p && bare; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789/._-:=,+@%", *p))
			bare = false;
	fputs(name, out);
	if (bare)
	{
		fputc('=', out);
		fputs(value, out);
		fputc('\n', out);
		return;
	}
	fputs("='", out);
	for (const char *p = value; *p; p++)
	{
		if (*p == '\'')
			fputs("'\\''", out);
		else if (*p == '\n')
			fputc(' ', out);
		else
			fputc(*p, out);
	}
	fputs("'\n", out);
}
