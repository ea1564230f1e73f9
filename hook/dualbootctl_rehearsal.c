/*
 * dualbootctl_rehearsal.c - portable rehearsal certificates (issue 19;
 * docs/fleet.md, docs/state-format.md section 16.4):
 *
 *   rehearsal export NAME [--host NAME]
 *       print the completed rehearsal NAME of this machine's record as a
 *       certificate (JSON): its name, database, schema fingerprints before
 *       and after, server major, fingerprint algorithm, times, and where it
 *       was rehearsed (host, slot).
 *   rehearsal import FILE [--pgdata DIR | --major N]
 *       as root: add the certificate in FILE to this machine's record, so
 *       that dualboot_require_rehearsed(NAME) replays it on stable under the
 *       same rules as on the machine where it was rehearsed. Refused, with
 *       nothing written, when the file is not a certificate this version
 *       reads or was made on another PostgreSQL major (this machine's: the
 *       cluster at --pgdata, --major, or the one server major installed
 *       under /usr/lib/postgresql) or by another fingerprint algorithm.
 *
 * JSON is read and written with json-c (Debian's libjson-c-dev), strictly:
 * one object, known keys only, every key present with its type.
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
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dbstate.h"
#include "dualbootctl_rehearsal.h"

#define CERT_FORMAT "dualboot-rehearsal"
#define CERT_MAX_SIZE 16384     /* a certificate is well under 1 KiB */
#define CERT_HOST_SIZE 64       /* host: at most 63 bytes */


/* "2026-12-05T02:40:00Z" */
static void
iso_time(int64_t t, char *buf, size_t size)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

/* Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (a real UTC time); false otherwise. */
static bool
parse_iso_time(const char *s, int64_t *out)
{
	struct tm	tm;
	char		again[32];
	int			used = 0;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 ||
		sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 20)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) <= 0)
		return false;
	iso_time((int64_t) t, again, sizeof(again));
	if (strcmp(again, s) != 0)  /* 2026-02-30 and the like */
		return false;
	*out = (int64_t) t;
	return true;
}

/* ---- export ---- */

static int
cmd_export(const ctl_prov_env *env, const char *name, const char *host)
{
	db_state	st;
	db_error	err;
	const db_rehearsal *r;
	char		hostbuf[256];
	char		began[32],
				ended[32],
				now[32];
	int			a1,
				m1,
				a2,
				m2;
	json_object *o,
			   *on;

	if (strlen(name) >= DB_RH_NAME_SIZE)
	{
		dualbootctl_err("rehearsal export: name \"%s\" is too long (at most %d bytes)", name,
			   DB_RH_NAME_SIZE - 1);
		return EXIT_USAGE;
	}
	if (host == NULL)
	{
		if (gethostname(hostbuf, sizeof(hostbuf)) != 0)
			snprintf(hostbuf, sizeof(hostbuf), "unknown");
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		host = hostbuf;
	}
	if (host[0] == '\0' || strlen(host) >= CERT_HOST_SIZE ||
		!db_text_valid(host, CERT_HOST_SIZE))
	{
		dualbootctl_err("rehearsal export: host \"%s\" must be 1 to %d bytes of text (--host NAME)",
			   host, CERT_HOST_SIZE - 1);
		return EXIT_USAGE;
	}
	memset(&err, 0, sizeof(err));
	if (db_load(env->state_path, &st, &err) != DB_OK)
	{
		dualbootctl_err("rehearsal export: state record %s: %s", env->state_path, err.message);
		return EXIT_USAGE;
	}
	r = db_rehearsal_find(&st, name);
	if (r == NULL)
	{
		dualbootctl_err("rehearsal export refused: the record holds no rehearsal \"%s\" "
			   "(dualbootctl provenance lists them)", name);
		return EXIT_REFUSED;
	}
	if (r->state != DB_RH_COMPLETED)
	{
		dualbootctl_err("rehearsal export refused: rehearsal \"%s\" began but never ended "
			   "(dualboot_rehearsal_end('%s') on the test slot)", name, name);
		return EXIT_REFUSED;
	}
	if (r->origin == DB_RH_ORIGIN_IMPORTED)
	{
		dualbootctl_err("rehearsal export refused: rehearsal \"%s\" was imported from another "
			   "machine; pass on the certificate that was imported", name);
		return EXIT_REFUSED;
	}
	if (!db_text_valid(r->dbname, sizeof(r->dbname)) ||
		!db_text_valid(r->fp_before, sizeof(r->fp_before)) ||
		!db_text_valid(r->fp_after, sizeof(r->fp_after)) ||
		!db_fprint_parse(r->fp_before, &a1, &m1) || !db_fprint_parse(r->fp_after, &a2, &m2) ||
		a1 != a2 || m1 != m2 || (r->major != 0 && r->major != m1) ||
		(r->slot != DB_SLOT_A && r->slot != DB_SLOT_B))
	{
		dualbootctl_err("rehearsal export: rehearsal \"%s\" in %s does not hold two fingerprints of "
			   "one algorithm and major, or no slot: not exported", name, env->state_path);
		return EXIT_USAGE;
	}
	iso_time(r->began, began, sizeof(began));
	iso_time(r->ended, ended, sizeof(ended));
	iso_time((int64_t) time(NULL), now, sizeof(now));

	o = json_object_new_object();
	on = json_object_new_object();
	json_object_object_add(o, "format", json_object_new_string(CERT_FORMAT));
	json_object_object_add(o, "version", json_object_new_int(DB_CERT_VERSION));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "database", json_object_new_string(r->dbname));
	json_object_object_add(o, "fingerprint_before", json_object_new_string(r->fp_before));
	json_object_object_add(o, "fingerprint_after", json_object_new_string(r->fp_after));
	json_object_object_add(o, "server_major", json_object_new_int(m1));
	json_object_object_add(o, "fingerprint_algorithm", json_object_new_int(a1));
	json_object_object_add(o, "began_at", json_object_new_string(began));
	json_object_object_add(o, "ended_at", json_object_new_string(ended));
	json_object_object_add(on, "host", json_object_new_string(host));
	json_object_object_add(on, "slot", json_object_new_string(db_slot_name(r->slot)));
	json_object_object_add(o, "rehearsed_on", on);
	json_object_object_add(o, "exported_at", json_object_new_string(now));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
												  JSON_C_TO_STRING_SPACED |
												  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_OK;
}

/* ---- import ---- */

/* Read FILE: a regular file, not a symbolic link, at most CERT_MAX_SIZE. */
static char *
read_certificate(const char *path, size_t *len)
{
	int			fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	char	   *buf;
	ssize_t		n;
	size_t		got = 0;

	if (fd < 0)
	{
		if (errno == ELOOP)
			dualbootctl_err("rehearsal import: %s is a symbolic link: refused (name the file itself)",
				   path);
		else
			dualbootctl_err("rehearsal import: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
	{
		dualbootctl_err("rehearsal import: %s is not a regular file", path);
		close(fd);
		return NULL;
	}
	if (sb.st_size > CERT_MAX_SIZE)
	{
		dualbootctl_err("rehearsal import: %s is %lld bytes, too large for a certificate (at most %d)",
			   path, (long long) sb.st_size, CERT_MAX_SIZE);
		close(fd);
		return NULL;
	}
	buf = malloc(CERT_MAX_SIZE + 1);
	if (buf == NULL)
	{
		dualbootctl_err("out of memory");
		close(fd);
		return NULL;
	}
	while (got < CERT_MAX_SIZE && (n = read(fd, buf + got, CERT_MAX_SIZE - got)) != 0)
	{
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			dualbootctl_err("rehearsal import: cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	if (memchr(buf, '\0', got) != NULL)
	{
		dualbootctl_err("rehearsal import: %s holds a NUL byte: not a certificate", path);
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

/* A key of obj as a string of 1 to size-1 bytes of valid text, else NULL (said). */
static const char *
get_text(json_object *obj, const char *key, size_t size, const char *path)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
	{
		dualbootctl_err("rehearsal import: %s: \"%s\" is missing or not a string", path, key);
		return NULL;
	}
	s = json_object_get_string(v);
	if ((size_t) json_object_get_string_len(v) != strlen(s) || s[0] == '\0' ||
		strlen(s) >= size || !db_text_valid(s, size))
	{
		dualbootctl_err("rehearsal import: %s: \"%s\" must be 1 to %zu bytes of text without control "
			   "characters", path, key, size - 1);
		return NULL;
	}
	return s;
}

static bool
get_int(json_object *obj, const char *key, int64_t min, int64_t max, int64_t *out,
		const char *path)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
	{
		dualbootctl_err("rehearsal import: %s: \"%s\" is missing or not an integer", path, key);
		return false;
	}
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno != 0 || *out < min || *out > max)
	{
		dualbootctl_err("rehearsal import: %s: \"%s\" is out of range (%lld to %lld)", path, key,
			   (long long) min, (long long) max);
		return false;
	}
	return true;
}

/* Every key of obj is in the NULL-terminated list, else say which is not. */
static bool
only_keys(json_object *obj, const char *const *keys, const char *where, const char *path)
{
	json_object_object_foreach(obj, key, val)
	{
		bool		known = false;

		(void) val;
		for (int i = 0; keys[i]; i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
		{
			dualbootctl_err("rehearsal import: %s: unknown field \"%s\"%s: refused (a certificate of "
				   "another dualboot version?)", path, key, where);
			return false;
		}
	}
	return true;
}

/*
 * The PostgreSQL major this machine's servers run: --major, the cluster at
 * --pgdata (its PG_VERSION), else the one major installed under
 * /usr/lib/postgresql. 0 (said) when it cannot be told.
 */
static int
local_major(const char *pgdata, const char *major_opt)
{
	char		buf[PATH_MAX];
	char		ver[32] = "";
	int			found = 0,
				n = 0;
	DIR		   *d;
	struct dirent *e;

	if (major_opt)
	{
		char	   *end;
		long		v = strtol(major_opt, &end, 10);

		if (*major_opt == '\0' || *end != '\0' || v < 1 || v > 255)
		{
			dualbootctl_err("rehearsal import: --major \"%s\" is not a PostgreSQL major (e.g. 15)",
				   major_opt);
			return 0;
		}
		return (int) v;
	}
	if (pgdata)
	{
		FILE	   *f;

		snprintf(buf, sizeof(buf), "%s/PG_VERSION", pgdata);
		if ((f = fopen(buf, "re")) == NULL || fgets(ver, sizeof(ver), f) == NULL ||
			(n = atoi(ver)) <= 0 || n > 255)
		{
			dualbootctl_err("rehearsal import: --pgdata %s: no readable PG_VERSION (the data directory "
				   "of this machine's stable cluster)", pgdata);
			if (f)
				fclose(f);
			return 0;
		}
		fclose(f);
		return n;
	}
	if ((d = opendir("/usr/lib/postgresql")) != NULL)
	{
		while ((e = readdir(d)) != NULL)
		{
			int			v = atoi(e->d_name);

			snprintf(buf, sizeof(buf), "/usr/lib/postgresql/%s/bin/postgres", e->d_name);
			if (v > 0 && v <= 255 && access(buf, X_OK) == 0)
			{
				n++;
				found = v;
			}
		}
		closedir(d);
	}
	if (n == 1)
		return found;
	dualbootctl_err("rehearsal import: %s: say which PostgreSQL major this machine's stable "
		   "cluster runs with --pgdata DIR or --major N",
		   n == 0 ? "no PostgreSQL server is installed under /usr/lib/postgresql" :
		   "several PostgreSQL majors are installed under /usr/lib/postgresql");
	return 0;
}

/*
 * Parse and check the certificate into *r (origin IMPORTED). Returns
 * EXIT_OK, EXIT_USAGE (not a certificate this version reads) or
 * EXIT_REFUSED (a certificate, but not for this machine), said on stderr.
 */
static int
parse_certificate(const char *path, const char *text, size_t len, int here_major,
				  db_rehearsal *r, char *host, size_t hostsize)
{
	static const char *const keys[] = {"format", "version", "name", "database",
		"fingerprint_before", "fingerprint_after", "server_major", "fingerprint_algorithm",
	"began_at", "ended_at", "rehearsed_on", "exported_at", NULL};
	static const char *const on_keys[] = {"host", "slot", NULL};
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL,
			   *on,
			   *v;
	enum json_tokener_error jerr;
	const char *format,
			   *name,
			   *db,
			   *fb,
			   *fa,
			   *began,
			   *ended,
			   *exported,
			   *h,
			   *slot;
	int64_t		version,
				major,
				algo,
				t;
	int			a1,
				m1,
				a2,
				m2,
				rc = EXIT_USAGE;
	size_t		end;

	memset(r, 0, sizeof(*r));
	if (tok == NULL)
	{
		dualbootctl_err("out of memory");
		return EXIT_USAGE;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success)
	{
		dualbootctl_err("rehearsal import: %s is not JSON: %s (at byte %zu)", path,
			   jerr == json_tokener_continue ? "unexpected end of input" :
			   json_tokener_error_desc(jerr), json_tokener_get_parse_end(tok));
		goto out;
	}
	end = json_tokener_get_parse_end(tok);
	if (text[end + strspn(text + end, " \t\r\n")] != '\0')
	{
		dualbootctl_err("rehearsal import: %s: text after the JSON object (at byte %zu)", path, end);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object))
	{
		dualbootctl_err("rehearsal import: %s is JSON but not an object: not a certificate", path);
		goto out;
	}
	if ((format = get_text(o, "format", 64, path)) == NULL)
		goto out;
	if (strcmp(format, CERT_FORMAT) != 0)
	{
		dualbootctl_err("rehearsal import: %s: format \"%s\" is not \"%s\": not a rehearsal "
			   "certificate", path, format, CERT_FORMAT);
		goto out;
	}
	if (!get_int(o, "version", 1, INT32_MAX, &version, path))
		goto out;
	if (version != DB_CERT_VERSION)
	{
		dualbootctl_err("rehearsal import: %s: certificate format version %lld; this dualbootctl "
			   "reads version %d: refused", path, (long long) version, DB_CERT_VERSION);
		goto out;
	}
	if (!only_keys(o, keys, "", path))
		goto out;
	if (!json_object_object_get_ex(o, "rehearsed_on", &on) ||
		!json_object_is_type(on, json_type_object))
	{
		dualbootctl_err("rehearsal import: %s: \"rehearsed_on\" is missing or not an object", path);
		goto out;
	}
	if (!only_keys(on, on_keys, " in \"rehearsed_on\"", path))
		goto out;
	if (json_object_object_get_ex(o, "name", &v) && json_object_is_type(v, json_type_string) &&
		strlen(json_object_get_string(v)) >= DB_RH_NAME_SIZE)
	{
		dualbootctl_err("rehearsal import: %s: rehearsal name \"%s\" is too long (at most %d bytes)",
			   path, json_object_get_string(v), DB_RH_NAME_SIZE - 1);
		goto out;
	}
	if ((name = get_text(o, "name", DB_RH_NAME_SIZE, path)) == NULL ||
		(db = get_text(o, "database", DB_DBNAME_SIZE, path)) == NULL ||
		(fb = get_text(o, "fingerprint_before", DB_RH_FPRINT_SIZE, path)) == NULL ||
		(fa = get_text(o, "fingerprint_after", DB_RH_FPRINT_SIZE, path)) == NULL ||
		(began = get_text(o, "began_at", 32, path)) == NULL ||
		(ended = get_text(o, "ended_at", 32, path)) == NULL ||
		(exported = get_text(o, "exported_at", 32, path)) == NULL ||
		(h = get_text(on, "host", hostsize < CERT_HOST_SIZE ? hostsize : CERT_HOST_SIZE,
					  path)) == NULL ||
		(slot = get_text(on, "slot", 2, path)) == NULL ||
		!get_int(o, "server_major", 1, 255, &major, path) ||
		!get_int(o, "fingerprint_algorithm", 1, INT32_MAX, &algo, path))
		goto out;
	if (!db_fprint_parse(fb, &a1, &m1) || !db_fprint_parse(fa, &a2, &m2))
	{
		dualbootctl_err("rehearsal import: %s: a fingerprint is not dbfp<algorithm>:pg<major>:<64 hex "
			   "digits>", path);
		goto out;
	}
	if (a1 != a2 || m1 != m2 || a1 != algo || m1 != major)
	{
		dualbootctl_err("rehearsal import: %s: its fingerprints (dbfp%d:pg%d, dbfp%d:pg%d) disagree "
			   "with server_major %lld and fingerprint_algorithm %lld", path, a1, m1, a2, m2,
			   (long long) major, (long long) algo);
		goto out;
	}
	if (db_slot_parse(slot) < 0)
	{
		dualbootctl_err("rehearsal import: %s: rehearsed_on.slot \"%s\" is not A or B", path, slot);
		goto out;
	}
	if (!parse_iso_time(began, &r->began) || !parse_iso_time(ended, &r->ended) ||
		!parse_iso_time(exported, &t) || r->ended < r->began)
	{
		dualbootctl_err("rehearsal import: %s: began_at, ended_at and exported_at must be UTC times "
			   "like 2026-12-05T02:40:00Z, ended_at not before began_at", path);
		goto out;
	}
	/* a certificate this version reads; is it one for this machine? */
	rc = EXIT_REFUSED;
	if (algo != DB_FP_ALGO)
	{
		dualbootctl_err("rehearsal import refused: rehearsal \"%s\" was fingerprinted with algorithm "
			   "dbfp%lld; this dualboot computes dbfp%d, so the fingerprints cannot be "
			   "compared: rehearse it again with this version", name, (long long) algo,
			   DB_FP_ALGO);
		goto out;
	}
	if (major != here_major)
	{
		dualbootctl_err("rehearsal import refused: rehearsal \"%s\" was made on PostgreSQL %lld; this "
			   "machine's server is PostgreSQL %d, whose schema fingerprints cannot be "
			   "compared with it: rehearse on a test slot of PostgreSQL %d", name,
			   (long long) major, here_major, here_major);
		goto out;
	}
	db_copy_text(r->name, sizeof(r->name), name);
	db_copy_text(r->dbname, sizeof(r->dbname), db);
	db_copy_text(r->fp_before, sizeof(r->fp_before), fb);
	db_copy_text(r->fp_after, sizeof(r->fp_after), fa);
	r->state = DB_RH_COMPLETED;
	r->slot = (uint8_t) db_slot_parse(slot);
	r->major = (uint8_t) major;
	r->origin = DB_RH_ORIGIN_IMPORTED;
	snprintf(host, hostsize, "%s", h);
	rc = EXIT_OK;
out:
	if (o)
		json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

static int
cmd_import(const ctl_prov_env *env, const char *path, const char *pgdata,
		   const char *major_opt)
{
	db_rehearsal in;
	const db_rehearsal *have;
	db_state	st;
	db_error	err;
	db_request	req;
	db_context	ctx = env->ctx;
	char		host[CERT_HOST_SIZE];
	char		reason[DB_REASON_SIZE];
	char	   *text;
	size_t		len = 0;
	int			major,
				rc;

	if (geteuid() != 0)
	{
		dualbootctl_err("rehearsal import refused: it writes the state record: run it as root");
		return EXIT_REFUSED;
	}
	if ((text = read_certificate(path, &len)) == NULL)
		return EXIT_USAGE;
	if ((major = local_major(pgdata, major_opt)) == 0)
	{
		free(text);
		return EXIT_USAGE;
	}
	rc = parse_certificate(path, text, len, major, &in, host, sizeof(host));
	free(text);
	if (rc != EXIT_OK)
		return rc;
	memset(&err, 0, sizeof(err));
	if (db_load(env->state_path, &st, &err) != DB_OK)
	{
		dualbootctl_err("rehearsal import: state record %s: %s", env->state_path, err.message);
		return EXIT_USAGE;
	}
	have = db_rehearsal_find(&st, in.name);
	if (have != NULL && have->state == DB_RH_COMPLETED &&
		strcmp(have->dbname, in.dbname) == 0 && strcmp(have->fp_before, in.fp_before) == 0 &&
		strcmp(have->fp_after, in.fp_after) == 0)
	{
		printf("rehearsal \"%s\" is in the record already (database %s, %s -> %s): nothing "
			   "written\n", in.name, in.dbname, in.fp_before, in.fp_after);
		return EXIT_OK;
	}
	snprintf(reason, sizeof(reason), "imported rehearsal %s (rehearsed on %s slot %s)",
			 in.name, host, db_slot_name(in.slot));
	memset(&req, 0, sizeof(req));
	req.event = DB_EV_REHEARSAL_END;
	req.rehearsal = &in;
	req.reason = reason;
	memset(&err, 0, sizeof(err));
	if ((rc = db_update(env->state_path, &req, &ctx, &st, &err)) != DB_OK)
	{
		dualbootctl_err("rehearsal import %s: %s", rc == DB_REFUSED ? "refused" : "failed",
			   err.message);
		return rc == DB_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
	}
	printf("rehearsal \"%s\" imported%s (database %s, %s -> %s, rehearsed on %s slot %s); "
		   "replay it on stable: BEGIN; SELECT dualboot_require_rehearsed('%s'); <the "
		   "migration>; COMMIT;\n", in.name, have ? ", replacing the one of that name" : "",
		   in.dbname, in.fp_before, in.fp_after, host, db_slot_name(in.slot), in.name);
	return EXIT_OK;
}

/* ---- arguments ---- */

int
dualbootctl_rehearsal_main(const ctl_prov_env *env, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	const char *operand = NULL,
			   *host = NULL,
			   *pgdata = NULL,
			   *major = NULL;
	bool		export;

	if (sub == NULL || (strcmp(sub, "export") != 0 && strcmp(sub, "import") != 0))
	{
		dualbootctl_err("rehearsal: say export NAME or import FILE");
		return EXIT_USAGE;
	}
	export = strcmp(sub, "export") == 0;
	for (int i = 2; i < argc; i++)
	{
		const char *a = argv[i];
		const char **slot = NULL;

		if (export && strcmp(a, "--host") == 0)
			slot = &host;
		else if (!export && strcmp(a, "--pgdata") == 0)
			slot = &pgdata;
		else if (!export && strcmp(a, "--major") == 0)
			slot = &major;
		else if (a[0] == '-' && a[1] != '\0')
		{
			dualbootctl_err("rehearsal %s: unknown option %s", sub, a);
			return EXIT_USAGE;
		}
		else if (operand == NULL)
		{
			operand = a;
			continue;
		}
		else
		{
			dualbootctl_err("rehearsal %s: unexpected argument \"%s\"", sub, a);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc)
		{
			dualbootctl_err("rehearsal %s: %s needs a value", sub, a);
			return EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (operand == NULL || operand[0] == '\0')
	{
		dualbootctl_err("rehearsal %s: %s is required", sub, export ? "NAME" : "FILE");
		return EXIT_USAGE;
	}
	if (pgdata && major)
	{
		dualbootctl_err("rehearsal import: --pgdata and --major say the same: give one");
		return EXIT_USAGE;
	}
	return export ? cmd_export(env, operand, host) : cmd_import(env, operand, pgdata, major);
}
