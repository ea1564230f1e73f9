/*
 * efi.c - firmware mode over libefivar/libefiboot: read the boot variables,
 * plan the writes that make the firmware follow the record (pure), apply
 * them (only what changes, all or nothing). See efi.h and
 * docs/firmware-mode.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <efivar/efivar.h>
#include <efivar/efiboot.h>

#include "efi.h"

#define DBE_VAR_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
					   EFI_VARIABLE_RUNTIME_ACCESS)

static int
eerr(db_error *err, int code, int sys_errno, const char *fmt,...)
{
	va_list		ap;

	if (err)
	{
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->sys_errno = sys_errno;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

static void
note(dbe_plan *p, const char *fmt,...)
{
	va_list		ap;

	if (p->nnotes >= (int) (sizeof(p->notes) / sizeof(p->notes[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->nnotes++], DBE_NOTE_SIZE, fmt, ap);
	va_end(ap);
}

int
dbe_parse_num(const char *s, uint16_t *out)
{
	unsigned	v = 0;

	if (s == NULL)
		return DB_ERR_ARG;
	if (strncasecmp(s, "Boot", 4) == 0)
		s += 4;
	if (strlen(s) != 4 || strspn(s, "0123456789abcdefABCDEF") != 4)
		return DB_ERR_ARG;
	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v = v * 16 + (unsigned) (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*out = (uint16_t) v;
	return DB_OK;
}

int
dbe_config_map(const db_config *cfg, int32_t map[2], db_error *err)
{
	for (int s = 0; s < 2; s++)
	{
		uint16_t	n;

		map[s] = -1;
		if (cfg->efi_entry[s][0] && dbe_parse_num(cfg->efi_entry[s], &n) == DB_OK)
			map[s] = n;
	}
	if (map[0] < 0 || map[1] < 0)
		return eerr(err, DB_ERR_ARG, 0,
					"firmware mode is not configured: set efi_a= and efi_b= (the Boot#### "
					"entries of slots A and B) in the config (%s%s%s unset)",
					map[0] < 0 ? "efi_a" : "", map[0] < 0 && map[1] < 0 ? " and " : "",
					map[1] < 0 ? "efi_b" : "");
	if (map[0] == map[1])
		return eerr(err, DB_ERR_ARG, 0,
					"efi_a= and efi_b= both name Boot%04X: each slot needs its own entry",
					(unsigned) map[0]);
	return DB_OK;
}

uint8_t
dbe_slot_of(const int32_t map[2], int32_t num)
{
	if (num < 0)
		return DB_SLOT_NONE;
	if (map[0] == num)
		return DB_SLOT_A;
	if (map[1] == num)
		return DB_SLOT_B;
	return DB_SLOT_NONE;
}

int
dbe_plan_sync(const db_state *st, const int32_t map[2], const dbe_vars *cur,
			  dbe_plan *plan, db_error *err)
{
	uint8_t		stable;
	uint8_t		test;
	uint16_t	want_first;
	size_t		n = 0;

	memset(plan, 0, sizeof(*plan));
	plan->next = -1;
	if (err)
		memset(err, 0, sizeof(*err));
	if (map[0] < 0 || map[1] < 0 || map[0] > 0xFFFF || map[1] > 0xFFFF || map[0] == map[1])
		return eerr(err, DB_ERR_ARG, 0,
					"slots A and B need two distinct boot entries (efi_a=, efi_b=)");
	if (st->stable_slot != DB_SLOT_A && st->stable_slot != DB_SLOT_B)
		return eerr(err, DB_ERR_INVALID, 0, "the record has no valid stable slot");
	if (cur->order_len > DBE_ORDER_MAX)
		return eerr(err, DB_ERR_INVALID, 0, "BootOrder is too long");

	stable = st->stable_slot;
	test = db_other_slot(stable);
	plan->next_slot = db_next_boot_slot(st);

	/* BootNext: the one-shot trial */
	if (plan->next_slot == test)
	{
		if (cur->next != map[test])
		{
			plan->write_next = true;
			plan->next = map[test];
			if (cur->next >= 0 && dbe_slot_of(map, cur->next) == DB_SLOT_NONE)
				note(plan, "BootNext was Boot%04X, an entry dualboot does not own: "
					 "replaced because a trial of slot %s is armed",
					 (unsigned) cur->next, db_slot_name(test));
		}
	}
	else if (cur->next >= 0)
	{
		if (dbe_slot_of(map, cur->next) != DB_SLOT_NONE)
		{
			plan->write_next = true;
			plan->next = -1;
		}
		else
			note(plan, "BootNext is Boot%04X, an entry dualboot does not own: left alone",
				 (unsigned) cur->next);
	}

	/*
	 * BootOrder: stable first, every other entry keeps its relative place.
	 * The test slot's entry must be listed too (appended when missing):
	 * firmware such as EDK2 treats a Boot#### number that BootOrder does not
	 * list as free and may overwrite it with an entry of its own.
	 */
	want_first = (uint16_t) map[stable];
	{
		bool		have_test = false;
		bool		first_ok = cur->order_present && cur->order_len > 0 &&
			cur->order[0] == want_first;

		for (size_t i = 0; cur->order_present && i < cur->order_len; i++)
			if (cur->order[i] == map[test])
				have_test = true;
		if (first_ok && have_test)
			return DB_OK;
		plan->order[n++] = want_first;
		for (size_t i = 0; cur->order_present && i < cur->order_len; i++)
		{
			if (cur->order[i] == want_first)
				continue;
			if (n >= DBE_ORDER_MAX)
				return eerr(err, DB_ERR_INVALID, 0,
							"BootOrder has more than %d entries", DBE_ORDER_MAX);
			plan->order[n++] = cur->order[i];
		}
		if (!have_test)
		{
			if (n >= DBE_ORDER_MAX)
				return eerr(err, DB_ERR_INVALID, 0,
							"BootOrder has more than %d entries", DBE_ORDER_MAX);
			plan->order[n++] = (uint16_t) map[test];
		}
	}
	plan->write_order = true;
	plan->order_len = n;
	return DB_OK;
}

/* ---- I/O ---- */

static const char *
syserr(int e)
{
	return e ? strerror(e) : "unknown error";
}

bool
dbe_supported(void)
{
	const char *dir = getenv("EFIVARFS_PATH");
	struct stat sb;

	/* a forced efivarfs folder (tests, chroots) must at least exist */
	if (dir && dir[0] && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return false;
	return efi_variables_supported() != 0;
}

/* DB_OK, DB_ERR_NOT_FOUND, DB_ERR_IO. *data is malloc'd on DB_OK. */
static int
read_var(const char *name, uint8_t **data, size_t *size, db_error *err)
{
	uint32_t	attrs = 0;
	int			e;

	*data = NULL;
	*size = 0;
	errno = 0;
	if (efi_get_variable(EFI_GLOBAL_GUID, name, data, size, &attrs) >= 0)
		return DB_OK;
	e = errno;
	efi_error_clear();
	*data = NULL;
	if (e == ENOENT)
		return DB_ERR_NOT_FOUND;
	return eerr(err, DB_ERR_IO, e, "cannot read the UEFI variable %s: %s", name, syserr(e));
}

/* a 2-byte variable: value, -1 when absent */
static int
read_u16(const char *name, int32_t *out, db_error *err)
{
	uint8_t    *d;
	size_t		n;
	int			rc = read_var(name, &d, &n, err);

	*out = -1;
	if (rc == DB_ERR_NOT_FOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	if (n != 2)
		rc = eerr(err, DB_ERR_INVALID, 0,
				  "the UEFI variable %s holds %zu bytes, not 2: it is not a boot entry "
				  "number (garbage in NVRAM; inspect it with efibootmgr -v)", name, n);
	else
		*out = d[0] | (d[1] << 8);
	free(d);
	return rc;
}

int
dbe_read_vars(dbe_vars *v, db_error *err)
{
	uint8_t    *d;
	size_t		n;
	int			rc;

	memset(v, 0, sizeof(*v));
	v->current = v->next = -1;
	if (err)
		memset(err, 0, sizeof(*err));
	if ((rc = read_u16("BootCurrent", &v->current, err)) != DB_OK ||
		(rc = read_u16("BootNext", &v->next, err)) != DB_OK)
		return rc;
	rc = read_var("BootOrder", &d, &n, err);
	if (rc == DB_ERR_NOT_FOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	if (n % 2 != 0)
		rc = eerr(err, DB_ERR_INVALID, 0,
				  "the UEFI variable BootOrder holds %zu bytes, an odd number: it is not "
				  "a list of boot entries (garbage in NVRAM; inspect it with efibootmgr -v)",
				  n);
	else if (n / 2 > DBE_ORDER_MAX)
		rc = eerr(err, DB_ERR_INVALID, 0,
				  "BootOrder lists %zu entries, more than the %d dualboot handles",
				  n / 2, DBE_ORDER_MAX);
	else
	{
		v->order_present = true;
		v->order_len = n / 2;
		for (size_t i = 0; i < v->order_len; i++)
			v->order[i] = (uint16_t) (d[2 * i] | (d[2 * i + 1] << 8));
	}
	free(d);
	return rc;
}

/* UCS-2 optional data (kernel command line) as ASCII text, "" otherwise */
static void
args_text(const uint8_t *p, size_t len, char *out, size_t size)
{
	size_t		o = 0;

	out[0] = '\0';
	if (len < 2 || len % 2 != 0)
		return;
	for (size_t i = 0; i + 1 < len; i += 2)
	{
		unsigned	c = p[i] | (p[i + 1] << 8);

		if (c == 0 && i + 2 >= len)
			break;
		if (c < 0x20 || c > 0x7e || o + 1 >= size)
		{
			out[0] = '\0';
			return;
		}
		out[o++] = (char) c;
	}
	out[o] = '\0';
}

int
dbe_read_entry(uint16_t num, dbe_entry *e, db_error *err)
{
	char		name[16];
	uint8_t    *d;
	size_t		n;
	int			rc;
	efi_load_option *opt;
	const unsigned char *desc;
	unsigned char *opt_data = NULL;
	size_t		opt_len = 0;
	ssize_t		odsz;

	memset(e, 0, sizeof(*e));
	e->num = num;
	snprintf(name, sizeof(name), "Boot%04X", (unsigned) num);
	rc = read_var(name, &d, &n, err);
	if (rc == DB_ERR_NOT_FOUND)
		return eerr(err, DB_ERR_NOT_FOUND, 0,
					"the boot entry %s does not exist (list the entries with "
					"\"efibootmgr\", then fix efi_a=/efi_b= in the config)", name);
	if (rc != DB_OK)
		return rc;
	e->exists = true;
	opt = (efi_load_option *) d;
	if (n < 6 + 2 || !efi_loadopt_is_valid(opt, n))
	{
		free(d);
		efi_error_clear();
		return eerr(err, DB_ERR_INVALID, 0,
					"the boot entry %s is not a valid EFI load option (%zu bytes of "
					"garbage?); refusing to use it", name, n);
	}
	e->attributes = efi_loadopt_attrs(opt);
	e->active = (e->attributes & DBE_LOAD_OPTION_ACTIVE) != 0;
	desc = efi_loadopt_desc(opt, (ssize_t) n);
	if (desc)
		snprintf(e->desc, sizeof(e->desc), "%s", (const char *) desc);
	{
		efidp		dp = efi_loadopt_path(opt, (ssize_t) n);
		uint16_t	plen = efi_loadopt_pathlen(opt, (ssize_t) n);

		if (dp && efidp_format_device_path(e->path, sizeof(e->path), dp, plen) < 0)
			snprintf(e->path, sizeof(e->path), "(unprintable device path)");
	}
	odsz = efi_loadopt_optional_data_size(opt, n);
	if (odsz > 0 && efi_loadopt_optional_data(opt, n, &opt_data, &opt_len) == 0 && opt_data)
		args_text(opt_data, (size_t) odsz, e->args, sizeof(e->args));
	efi_error_clear();
	free(d);
	return DB_OK;
}

static int
set_u16(const char *name, int32_t v, db_error *err)
{
	uint8_t		b[2];

	if (v < 0)
	{
		errno = 0;
		if (efi_del_variable(EFI_GLOBAL_GUID, name) < 0 && errno != ENOENT)
		{
			int			e = errno;

			efi_error_clear();
			return eerr(err, DB_ERR_IO, e, "cannot delete the UEFI variable %s: %s",
						name, syserr(e));
		}
		efi_error_clear();
		return DB_OK;
	}
	b[0] = (uint8_t) (v & 0xFF);
	b[1] = (uint8_t) (v >> 8);
	errno = 0;
	if (efi_set_variable(EFI_GLOBAL_GUID, name, b, 2, DBE_VAR_ATTRS, 0644) < 0)
	{
		int			e = errno;

		efi_error_clear();
		return eerr(err, DB_ERR_IO, e, "cannot write the UEFI variable %s: %s", name,
					syserr(e));
	}
	return DB_OK;
}

static int
set_order(bool present, const uint16_t *order, size_t len, db_error *err)
{
	uint8_t		b[2 * DBE_ORDER_MAX];

	if (!present)
	{
		errno = 0;
		if (efi_del_variable(EFI_GLOBAL_GUID, "BootOrder") < 0 && errno != ENOENT)
		{
			int			e = errno;

			efi_error_clear();
			return eerr(err, DB_ERR_IO, e, "cannot delete the UEFI variable BootOrder: %s",
						syserr(e));
		}
		efi_error_clear();
		return DB_OK;
	}
	for (size_t i = 0; i < len; i++)
	{
		b[2 * i] = (uint8_t) (order[i] & 0xFF);
		b[2 * i + 1] = (uint8_t) (order[i] >> 8);
	}
	errno = 0;
	if (efi_set_variable(EFI_GLOBAL_GUID, "BootOrder", b, 2 * len, DBE_VAR_ATTRS, 0644) < 0)
	{
		int			e = errno;

		efi_error_clear();
		return eerr(err, DB_ERR_IO, e, "cannot write the UEFI variable BootOrder: %s",
					syserr(e));
	}
	return DB_OK;
}

int
dbe_apply(const dbe_vars *cur, const dbe_plan *plan, db_error *err)
{
	dbe_vars	after;
	bool		order_done = false;
	int			rc;
	db_error	e2;

	if (err)
		memset(err, 0, sizeof(*err));
	if (plan->write_order &&
		(rc = set_order(true, plan->order, plan->order_len, err)) != DB_OK)
	{
		db_error_prefix(err, "nothing was changed: ");
		return rc;
	}
	order_done = plan->write_order;
	if (plan->write_next && (rc = set_u16("BootNext", plan->next, err)) != DB_OK)
	{
		if (order_done)
		{
			if (set_order(cur->order_present, cur->order, cur->order_len, &e2) != DB_OK)
			{
				db_error_prefix(err, "BootOrder was changed and could not be restored ("
								"check it with efibootmgr): ");
				return rc;
			}
		}
		db_error_prefix(err, "nothing was changed: ");
		return rc;
	}

	/* read back: NVRAM that silently drops writes must not look in sync */
	if ((rc = dbe_read_vars(&after, err)) != DB_OK)
	{
		db_error_prefix(err, "after writing: ");
		return rc;
	}
	if ((plan->write_next && after.next != plan->next) ||
		(plan->write_order && (after.order_len != plan->order_len ||
							   memcmp(after.order, plan->order,
									  plan->order_len * sizeof(uint16_t)) != 0)))
		return eerr(err, DB_ERR_IO, 0,
					"the firmware variables read back differ from what was written "
					"(NVRAM full or write-protected?)");
	return DB_OK;
}

int
dbe_create_entry(const char *disk, int part, const char *loader, const char *label,
				 const char *args, int32_t *num, db_error *err)
{
	ssize_t		dpsz;
	ssize_t		optsz;
	uint8_t    *dp = NULL;
	uint8_t    *opt = NULL;
	uint8_t    *ucs = NULL;
	size_t		ucslen = 0;
	dbe_vars	v;
	dbe_entry	check;
	char		name[16];
	int			rc = DB_OK;
	long		n;

	*num = -1;
	if (err)
		memset(err, 0, sizeof(*err));
	if (label == NULL || label[0] == '\0' || strlen(label) >= DBE_DESC_SIZE ||
		!db_text_valid(label, DBE_DESC_SIZE))
		return eerr(err, DB_ERR_ARG, 0, "the label must be 1 to %d bytes of text",
					DBE_DESC_SIZE - 1);
	if (loader == NULL || loader[0] != '\\')
		return eerr(err, DB_ERR_ARG, 0, "the loader must be a path on the EFI system "
					"partition with backslashes, e.g. \\EFI\\dualboot\\vmlinuz");
	if (args)
	{
		size_t		len = strlen(args);

		for (size_t i = 0; i < len; i++)
			if ((unsigned char) args[i] < 0x20 || (unsigned char) args[i] > 0x7e)
				return eerr(err, DB_ERR_ARG, 0, "the arguments must be printable ASCII");
		if (len > DBE_ARGS_SIZE - 1)
			return eerr(err, DB_ERR_ARG, 0, "the arguments are longer than %d bytes",
						DBE_ARGS_SIZE - 1);
		if (len > 0)
		{
			ucslen = 2 * (len + 1);
			ucs = calloc(1, ucslen);
			if (ucs == NULL)
				return eerr(err, DB_ERR_IO, ENOMEM, "out of memory");
			for (size_t i = 0; i < len; i++)
				ucs[2 * i] = (uint8_t) args[i];
		}
	}
	if ((rc = dbe_read_vars(&v, err)) != DB_OK)
		goto out;

	errno = 0;
	dpsz = efi_generate_file_device_path_from_esp(NULL, 0, disk, part, loader,
												  EFIBOOT_ABBREV_HD);
	if (dpsz > 0 && (dp = malloc((size_t) dpsz)) != NULL)
		dpsz = efi_generate_file_device_path_from_esp(dp, dpsz, disk, part, loader,
													  EFIBOOT_ABBREV_HD);
	if (dpsz <= 0 || dp == NULL)
	{
		int			e = errno;

		efi_error_clear();
		rc = eerr(err, DB_ERR_ARG, e, "cannot make a device path for %s on partition %d of "
				  "%s (is it a GPT disk with an EFI system partition there?): %s",
				  loader, part, disk, syserr(e));
		goto out;
	}
	optsz = efi_loadopt_create(NULL, 0, DBE_LOAD_OPTION_ACTIVE, (efidp) dp, dpsz,
							   (unsigned char *) label, ucs, ucslen);
	if (optsz <= 0 || (opt = malloc((size_t) optsz)) == NULL ||
		efi_loadopt_create(opt, optsz, DBE_LOAD_OPTION_ACTIVE, (efidp) dp, dpsz,
						   (unsigned char *) label, ucs, ucslen) != optsz)
	{
		efi_error_clear();
		rc = eerr(err, DB_ERR_IO, errno, "cannot build the load option");
		goto out;
	}

	/* the lowest free number: no variable, not listed, not BootNext */
	for (n = 0; n <= 0xFFFF; n++)
	{
		size_t		sz;
		bool		used = v.next == n;

		for (size_t i = 0; !used && v.order_present && i < v.order_len; i++)
			used = v.order[i] == n;
		if (used)
			continue;
		snprintf(name, sizeof(name), "Boot%04lX", n);
		errno = 0;
		if (efi_get_variable_size(EFI_GLOBAL_GUID, name, &sz) < 0 && errno == ENOENT)
			break;
		efi_error_clear();
	}
	efi_error_clear();
	if (n > 0xFFFF)
	{
		rc = eerr(err, DB_ERR_IO, 0, "no free Boot#### number");
		goto out;
	}
	/* listed at the end of BootOrder, or firmware may take the number back */
	if (v.order_len >= DBE_ORDER_MAX)
	{
		rc = eerr(err, DB_ERR_IO, 0, "BootOrder is full");
		goto out;
	}
	errno = 0;
	if (efi_set_variable(EFI_GLOBAL_GUID, name, opt, (size_t) optsz, DBE_VAR_ATTRS, 0644) < 0)
	{
		int			e = errno;

		efi_error_clear();
		rc = eerr(err, DB_ERR_IO, e, "cannot write the UEFI variable %s: %s", name, syserr(e));
		goto out;
	}
	v.order[v.order_len] = (uint16_t) n;
	if ((rc = set_order(true, v.order, v.order_len + 1, err)) == DB_OK &&
		(rc = dbe_read_entry((uint16_t) n, &check, err)) != DB_OK)
	{
		db_error	e2;

		/* written but unreadable: BootOrder as it was, then the entry removed */
		db_error_prefix(err, "after writing: ");
		if (set_order(v.order_present, v.order, v.order_len, &e2) != DB_OK)
		{
			db_error_prefix(err, "BootOrder could not be restored: ");
			*num = (int32_t) n;
			goto out;
		}
	}
	if (rc != DB_OK)
	{
		if (efi_del_variable(EFI_GLOBAL_GUID, name) < 0)
		{
			db_error_prefix(err, "the new entry could not be removed again: ");
			*num = (int32_t) n;
		}
		efi_error_clear();
		goto out;
	}
	*num = (int32_t) n;
out:
	free(ucs);
	free(dp);
	free(opt);
	return rc;
}
