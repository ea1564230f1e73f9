/*
 * config.c - /etc/dualboot/dualboot.conf (key=value lines, '#' comments),
 * kernel command line overrides (dualboot.KEY=VALUE), and device specs
 * (path, LABEL=, UUID=, PARTLABEL=, PARTUUID=; UUID= of a file system, or
 * an md array's UUID as mdadm prints it, with colons).
 *
 * Values are restricted to a shell-safe character set because the initramfs
 * scripts pass them around.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbstate.h"

static int
cerr(db_error *err, const char *fmt, const char *a, const char *b)
{
	if (err)
	{
		int			n;

		err->code = DB_ERR_ARG;
		err->sys_errno = 0;
		n = snprintf(err->message, sizeof(err->message), fmt, a, b);
		(void) n;
	}
	return DB_ERR_ARG;
}

void
db_config_defaults(db_config *c)
{
	memset(c, 0, sizeof(*c));
	c->default_slot = DB_SLOT_A;
	c->timeout = 10;
	db_copy_text(c->state_mount, sizeof(c->state_mount), "/var/lib/dualboot");
	db_copy_text(c->stable_hint_mount, sizeof(c->stable_hint_mount), "/boot/efi");
}

static bool
safe_value(const char *v)
{
	for (const char *p = v; *p; p++)
	{
		unsigned char ch = (unsigned char) *p;

		if (ch <= ' ' || ch == 0x7f || strchr("\"'`\\$;&|<>(){}*?!#", ch))
			return false;
	}
	return true;
}

static bool
device_spec_ok(const char *v)
{
	static const char *const prefixes[] = {"LABEL=", "UUID=", "PARTLABEL=", "PARTUUID="};

	if (v[0] == '/')
		return v[1] != '\0';
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
	{
		size_t		n = strlen(prefixes[i]);

		if (strncmp(v, prefixes[i], n) == 0)
			return v[n] != '\0' && strchr(v + n, '/') == NULL;
	}
	return false;
}

/*
 * A ".." path component ("/../" inside, or "/.." at the end). A loop rather
 * than strstr(): libc's strstr costs the static selector about 1 KiB.
 */
static bool
has_dotdot(const char *v)
{
	for (const char *p = v; (p = strchr(p, '/')) != NULL; p++)
		if (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
			return true;
	return false;
}

int
db_config_set(db_config *c, const char *key, const char *value, db_error *err)
{
	char	   *dst = NULL;

	if (strlen(value) >= DB_CONF_VALUE_SIZE)
		return cerr(err, "%s: value too long (at most 255 bytes)%s", key, "");
	if (!safe_value(value))
		return cerr(err, "%s: value \"%s\" contains spaces, quotes or shell characters",
					key, value);

	if (strcmp(key, "state_device") == 0 || strcmp(key, "slot_a") == 0 ||
		strcmp(key, "slot_b") == 0 || strcmp(key, "stable_hint") == 0)
	{
		if (value[0] && !device_spec_ok(value))
			return cerr(err, "%s: \"%s\" is not a device (use /dev/..., LABEL=, UUID=, "
						"PARTLABEL= or PARTUUID=)", key, value);
		dst = strcmp(key, "state_device") == 0 ? c->state_device :
			strcmp(key, "stable_hint") == 0 ? c->stable_hint :
			strcmp(key, "slot_a") == 0 ? c->slot_dev[DB_SLOT_A] : c->slot_dev[DB_SLOT_B];
	}
	else if (strcmp(key, "state_file") == 0 || strcmp(key, "state_mount") == 0 ||
			 strcmp(key, "stable_hint_file") == 0 || strcmp(key, "stable_hint_mount") == 0)
	{
		if (value[0] && (value[0] != '/' || has_dotdot(value)))
			return cerr(err, "%s: \"%s\" must be an absolute path without \"..\"", key, value);
		dst = strcmp(key, "state_file") == 0 ? c->state_file :
			strcmp(key, "state_mount") == 0 ? c->state_mount :
			strcmp(key, "stable_hint_file") == 0 ? c->stable_hint_file : c->stable_hint_mount;
	}
	else if (strcmp(key, "default") == 0)
	{
		int			s = db_slot_parse(value);

		if (s < 0)
			return cerr(err, "default: \"%s\" is not a slot (A or B)%s", value, "");
		c->default_slot = (uint8_t) s;
		return DB_OK;
	}
	else if (strcmp(key, "timeout") == 0)
	{
		char	   *end;
		long		t;

		errno = 0;
		t = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno || t < 0 || t > 600)
			return cerr(err, "timeout: \"%s\" is not a number of seconds (0 to 600)%s",
						value, "");
		c->timeout = (int) t;
		return DB_OK;
	}
	else if (strcmp(key, "efi_a") == 0 || strcmp(key, "efi_b") == 0)
	{
		char	   *e = c->efi_entry[key[4] == 'a' ? DB_SLOT_A : DB_SLOT_B];

		if (value[0] && (strlen(value) != 4 || strspn(value, "0123456789abcdefABCDEF") != 4))
			return cerr(err, "%s: \"%s\" is not a boot entry number (4 hex digits, "
						"e.g. 0003)", key, value);
		db_copy_text(e, sizeof(c->efi_entry[0]), value);
		return DB_OK;
	}
	else if (strcmp(key, "confirm_deadline") == 0 || strcmp(key, "health_timeout") == 0)
	{
		/*
		 * Read by the running system only (dualboot-confirm): checked here so
		 * that a mistake fails update-initramfs, not stored.
		 */
		char	   *end;
		long		t;

		errno = 0;
		t = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno || t < 0 || t > 86400)
			return cerr(err, "%s: \"%s\" is not a number of seconds (0 to 86400)",
						key, value);
		return DB_OK;
	}
	else if (strcmp(key, "health_database") == 0)
		return DB_OK;			/* dualboot-confirm's SQL checks; any safe name */
	else if (strcmp(key, "notify_command") == 0)
	{
		/* read by dualboot-trial-evidence only: an absolute path, not stored */
		if (value[0] && (value[0] != '/' || has_dotdot(value)))
			return cerr(err, "%s: \"%s\" must be an absolute path without \"..\"",
						key, value);
		return DB_OK;
	}
	else
		return cerr(err, "unknown key \"%s\"%s", key, "");

	db_copy_text(dst, DB_CONF_VALUE_SIZE, value);
	return DB_OK;
}

static char *
trim(char *s)
{
	char	   *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
db_config_parse_file(db_config *c, const char *path, db_error *err)
{
	FILE	   *f;
	char		line[1024];
	int			lineno = 0;
	int			fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (f = fdopen(fd, "r")) == NULL)
	{
		int			e = errno;

		if (fd >= 0)
			close(fd);
		if (err)
		{
			int			n;

			err->code = e == ENOENT ? DB_ERR_NOT_FOUND : DB_ERR_IO;
			err->sys_errno = e;
			n = snprintf(err->message, sizeof(err->message),
						 "cannot read configuration \"%s\": %s", path,
						 e == ELOOP ? "is a symbolic link" : strerror(e));
			(void) n;
		}
		return e == ENOENT ? DB_ERR_NOT_FOUND : DB_ERR_IO;
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *s,
				   *eq;
		int			rc;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
		{
			fclose(f);
			if (err)
			{
				int			n = snprintf(err->message, sizeof(err->message),
										 "%s:%d: line too long", path, lineno);

				(void) n;
				err->code = DB_ERR_ARG;
			}
			return DB_ERR_ARG;
		}
		line[strcspn(line, "\n")] = '\0';
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
			rc = cerr(err, "expected key=value, found \"%s\"%s", s, "");
		else
		{
			*eq = '\0';
			rc = db_config_set(c, trim(s), trim(eq + 1), err);
		}
		if (rc != DB_OK)
		{
			fclose(f);
			if (err)
			{
				char		prefix[600];

				snprintf(prefix, sizeof(prefix), "%.500s:%d: ", path, lineno);
				db_error_prefix(err, prefix);
			}
			return rc;
		}
	}
	/* a read error (EISDIR for a directory) must not pass as an empty file */
	if (ferror(f))
	{
		int			e = errno;

		fclose(f);
		if (err)
		{
			int			n;

			err->code = DB_ERR_IO;
			err->sys_errno = e;
			n = snprintf(err->message, sizeof(err->message),
						 "cannot read configuration \"%s\": %s", path, strerror(e));
			(void) n;
		}
		return DB_ERR_IO;
	}
	fclose(f);
	return DB_OK;
}

int
db_config_apply_cmdline(db_config *c, const char *cmdline, db_error *err)
{
	char		buf[4096];
	char	   *save = NULL;
	int			rc = DB_OK;

	if (err)
		memset(err, 0, sizeof(*err));
	db_copy_text(buf, sizeof(buf), cmdline);
	if (strlen(cmdline) >= sizeof(buf))
	{
		/* cut short: drop the word cut in the middle, never apply half a value */
		char	   *cut = buf + strlen(buf);

		if (strchr(" \t\n", cmdline[sizeof(buf) - 1]) == NULL)
			while (cut > buf && strchr(" \t\n", cut[-1]) == NULL)
				*--cut = '\0';
		cerr(err, "the command line is longer than %s bytes: overrides after that%s "
			 "are ignored", "4095", "");
		rc = DB_ERR_ARG;
	}
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
	{
		char	   *eq;
		db_error	e;

		if (strncmp(w, "dualboot.", 9) != 0 || (eq = strchr(w, '=')) == NULL)
			continue;
		*eq = '\0';
		if (db_config_set(c, w + 9, eq + 1, &e) != DB_OK)
		{
			/* report the first bad override, keep applying the rest */
			if (rc == DB_OK && err)
				*err = e;
			rc = DB_ERR_ARG;
		}
	}
	return rc;
}

/* PARTLABEL= without udev: the kernel names GPT partitions in sysfs. */
static int
find_partname(const char *name, char *out, size_t size)
{
	DIR		   *d = opendir("/sys/class/block");
	struct dirent *de;
	int			rc = DB_ERR_NOT_FOUND;

	if (d == NULL)
		return rc;
	while (rc != DB_OK && (de = readdir(d)) != NULL)
	{
		char		path[512];
		char		buf[1024];
		FILE	   *f;
		bool		match = false;
		char		dev[256] = "";

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%.200s/uevent", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fgets(buf, sizeof(buf), f))
		{
			buf[strcspn(buf, "\n")] = '\0';
			if (strncmp(buf, "PARTNAME=", 9) == 0 && strcmp(buf + 9, name) == 0)
				match = true;
			else if (strncmp(buf, "DEVNAME=", 8) == 0)
				db_copy_text(dev, sizeof(dev), buf + 8);
		}
		fclose(f);
		if (match && dev[0] && snprintf(out, size, "/dev/%s", dev) < (int) size)
			rc = DB_OK;
	}
	closedir(d);
	return rc;
}

int
db_resolve_device(const char *spec, char *out, size_t size)
{
	static const struct
	{
		const char *prefix;
		const char *dir;
	}			kinds[] = {
		{"LABEL=", "/dev/disk/by-label/"},
		{"UUID=", "/dev/disk/by-uuid/"},
		{"PARTLABEL=", "/dev/disk/by-partlabel/"},
		{"PARTUUID=", "/dev/disk/by-partuuid/"},
	};
	char		link[512];
	char		real[PATH_MAX];
	struct stat st;

	if (spec == NULL || spec[0] == '\0')
		return DB_ERR_NOT_FOUND;
	if (spec[0] == '/')
		db_copy_text(link, sizeof(link), spec);
	else
	{
		size_t		i;

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return DB_ERR_NOT_FOUND;
		/* UUID= with colons: mdadm's array UUID (udev: by-id/md-uuid-) */
		snprintf(link, sizeof(link), "%s%.400s",
				 i == 1 && strchr(spec, ':') ? "/dev/disk/by-id/md-uuid-" : kinds[i].dir,
				 spec + strlen(kinds[i].prefix));
		if (stat(link, &st) != 0)
		{
			if (strcmp(kinds[i].prefix, "PARTLABEL=") == 0)
				return find_partname(spec + strlen("PARTLABEL="), out, size);
			return DB_ERR_NOT_FOUND;
		}
	}
	if (stat(link, &st) != 0)
		return DB_ERR_NOT_FOUND;
	if (realpath(link, real) == NULL)
		return DB_ERR_NOT_FOUND;
	if (strlen(real) >= size)
		return DB_ERR_NOT_FOUND;
	memcpy(out, real, strlen(real) + 1);
	return DB_OK;
}

int
db_config_state_path(const db_config *c, char *out, size_t size, db_error *err)
{
	if (c->state_file[0])
	{
		/* state_file is absolute within the mount: "/mnt" + "/dualboot/state" */
		int			n = snprintf(out, size, "%s%s", c->state_mount, c->state_file);

		if (n < 0 || (size_t) n >= size)
			return cerr(err, "state path too long%s%s", "", "");
		return DB_OK;
	}
	if (c->state_device[0] == '\0')
		return cerr(err, "no state_device or state_file configured%s%s", "", "");
	if (db_resolve_device(c->state_device, out, size) != DB_OK)
	{
		if (err)
		{
			int			n = snprintf(err->message, sizeof(err->message),
									 "state device %s not found", c->state_device);

			(void) n;
			err->code = DB_ERR_NOT_FOUND;
		}
		return DB_ERR_NOT_FOUND;
	}
	return DB_OK;
}
