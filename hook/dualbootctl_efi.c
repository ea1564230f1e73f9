/*
 * dualbootctl_efi.c - `dualbootctl efi status|bind|sync`: firmware mode
 * (DESIGN section 4.5, docs/firmware-mode.md).
 *
 *   efi status [--json] [--marker PATH]   variables, slot entries, agreement
 *   efi bind A|B XXXX                     check Boot#### exists, print efi_x=
 *   efi sync [--dry-run]                  make the firmware follow the record
 *   efi create A|B --disk DEV [--part N] --loader PATH [--label TEXT] [--args TEXT]
 *                                         make a slot's Boot#### entry
 *
 * Exit status: 0 ok (also: firmware mode not configured, nothing to do),
 * 1 refused (an entry is missing or invalid, a write failed: nothing was
 * changed), 2 bad usage or unreadable input (config, record, variables).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbstate.h"
#include "efi.h"
#include "dualbootctl_efi.h"

#define DEFAULT_MARKER "/run/dualboot/booted"

static void
usage(FILE *f)
{
	fprintf(f,
			"usage: dualbootctl [--state PATH] [--config FILE] efi COMMAND\n"
			"  efi status [--json] [--marker PATH]  boot variables, slot entries, agreement\n"
			"  efi bind A|B XXXX                    check that Boot#### exists; print the\n"
			"                                       efi_a=/efi_b= line for the config\n"
			"  efi sync [--dry-run]                 apply the record's intent to BootNext/\n"
			"                                       BootOrder (writes only what changes)\n"
			"  efi create A|B --disk DEV [--part N] --loader PATH [--label TEXT] [--args TEXT]\n"
			"                                       make the slot's Boot#### entry (the\n"
			"                                       loader on the ESP, args as UCS-2) and\n"
			"                                       print the efi_a=/efi_b= line\n");
}

static void
json_str(const char *s)
{
	if (s == NULL)
	{
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
json_num(int32_t n)
{
	if (n < 0)
		fputs("null", stdout);
	else
		printf("\"%04X\"", (unsigned) n);
}

static void
json_slot(uint8_t s)
{
	if (s == DB_SLOT_A || s == DB_SLOT_B)
		printf("\"%s\"", db_slot_name(s));
	else
		fputs("null", stdout);
}

static const char *
tri(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static int
need_efivars(void)
{
	if (dbe_supported())
		return 0;
	fprintf(stderr, "dualbootctl efi: UEFI variables are not available: this system was "
			"not booted through UEFI, or efivarfs is not mounted at "
			"/sys/firmware/efi/efivars\n");
	return 2;
}

/* Read the record under its lock; the caller closes h. */
static int
open_record(const char *state_path, db_handle *h, db_state *st, db_error *err)
{
	int			rc;

	if (state_path == NULL || state_path[0] == '\0')
	{
		snprintf(err->message, sizeof(err->message),
				 "no state record path (give --state PATH or --config FILE)");
		return err->code = DB_ERR_NOT_FOUND;
	}
	if ((rc = db_open(h, state_path, false, err)) != DB_OK)
		return rc;
	if ((rc = db_lock(h, err)) != DB_OK || (rc = db_read(h, st, err)) != DB_OK)
	{
		db_close(h);
		h->fd = -1;
		return rc;
	}
	return DB_OK;
}

/* ---- status ---- */

static int
cmd_status(int argc, char **argv, const db_config *cfg, const char *state_path)
{
	bool		json = false;
	const char *marker_path = DEFAULT_MARKER;
	int32_t		map[2];
	dbe_vars	v;
	dbe_entry	ent[2];
	int			ent_rc[2] = {DB_ERR_NOT_FOUND, DB_ERR_NOT_FOUND};
	char		ent_msg[2][640] = {"", ""};
	db_error	err;
	db_state	st;
	db_handle	h;
	bool		have_st = false;
	char		st_msg[640] = "";
	db_marker	m;
	char		boot_id[DB_BOOTID_SIZE] = "";
	uint8_t		marker_slot = DB_SLOT_NONE;
	uint8_t		booted_slot;
	uint8_t		record_slot = DB_SLOT_NONE;
	int			agree_record = -1,
				agree_marker = -1,
				in_sync = -1;
	dbe_plan	plan;
	bool		have_plan = false;
	int			rc;

	for (int i = 0; i < argc; i++)
	{
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--marker") == 0 && i + 1 < argc)
			marker_path = argv[++i];
		else
		{
			fprintf(stderr, "dualbootctl efi status: unexpected argument \"%s\"\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if ((rc = need_efivars()) != 0)
		return rc;
	dbe_config_map(cfg, map, NULL);
	if (dbe_read_vars(&v, &err) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi status: %s\n", err.message);
		return 2;
	}
	for (int s = 0; s < 2; s++)
	{
		memset(&ent[s], 0, sizeof(ent[s]));
		if (map[s] < 0)
		{
			snprintf(ent_msg[s], sizeof(ent_msg[s]), "no entry bound (efi_%c= unset)",
					 s == 0 ? 'a' : 'b');
			continue;
		}
		ent_rc[s] = dbe_read_entry((uint16_t) map[s], &ent[s], &err);
		if (ent_rc[s] != DB_OK)
			snprintf(ent_msg[s], sizeof(ent_msg[s]), "%s", err.message);
	}

	if (open_record(state_path, &h, &st, &err) == DB_OK)
	{
		have_st = true;
		db_close(&h);
	}
	else
		snprintf(st_msg, sizeof(st_msg), "%s", err.message);

	db_kernel_boot_id(boot_id, sizeof(boot_id), NULL);
	if (db_marker_read(marker_path, &m, &err) == DB_OK && boot_id[0] &&
		strcmp(m.boot_id, boot_id) == 0)
		marker_slot = m.slot;

	booted_slot = dbe_slot_of(map, v.current);
	if (have_st && st.last_boot_slot != DB_SLOT_NONE && boot_id[0] &&
		strcmp(st.last_boot_id, boot_id) == 0)
		record_slot = st.last_boot_slot;
	if (booted_slot != DB_SLOT_NONE && record_slot != DB_SLOT_NONE)
		agree_record = booted_slot == record_slot;
	if (booted_slot != DB_SLOT_NONE && marker_slot != DB_SLOT_NONE)
		agree_marker = booted_slot == marker_slot;
	if (have_st && map[0] >= 0 && map[1] >= 0 && map[0] != map[1] &&
		dbe_plan_sync(&st, map, &v, &plan, &err) == DB_OK)
	{
		have_plan = true;
		in_sync = !plan.write_next && !plan.write_order;
	}

	if (json)
	{
		fputs("{\"boot_current\":", stdout);
		json_num(v.current);
		fputs(",\"boot_current_slot\":", stdout);
		json_slot(booted_slot);
		fputs(",\"boot_next\":", stdout);
		json_num(v.next);
		fputs(",\"boot_next_slot\":", stdout);
		json_slot(dbe_slot_of(map, v.next));
		fputs(",\"boot_order\":", stdout);
		if (!v.order_present)
			fputs("null", stdout);
		else
		{
			putchar('[');
			for (size_t i = 0; i < v.order_len; i++)
				printf("%s\"%04X\"", i ? "," : "", v.order[i]);
			putchar(']');
		}
		fputs(",\"slots\":{", stdout);
		for (int s = 0; s < 2; s++)
		{
			printf("%s\"%s\":{\"entry\":", s ? "," : "", db_slot_name((uint8_t) s));
			json_num(map[s]);
			printf(",\"exists\":%s,\"valid\":%s,\"active\":%s,\"role\":",
				   ent[s].exists ? "true" : "false",
				   ent_rc[s] == DB_OK ? "true" : "false",
				   ent_rc[s] == DB_OK && ent[s].active ? "true" : "false");
			if (have_st)
				json_str(st.stable_slot == s ? "stable" : "test");
			else
				fputs("null", stdout);
			fputs(",\"description\":", stdout);
			json_str(ent_rc[s] == DB_OK ? ent[s].desc : NULL);
			fputs(",\"device_path\":", stdout);
			json_str(ent_rc[s] == DB_OK ? ent[s].path : NULL);
			fputs(",\"args\":", stdout);
			json_str(ent_rc[s] == DB_OK ? ent[s].args : NULL);
			fputs(",\"error\":", stdout);
			json_str(ent_msg[s][0] ? ent_msg[s] : NULL);
			putchar('}');
		}
		fputs("},\"stable_slot\":", stdout);
		json_slot(have_st ? st.stable_slot : DB_SLOT_NONE);
		fputs(",\"next_boot_slot\":", stdout);
		json_slot(have_st ? db_next_boot_slot(&st) : DB_SLOT_NONE);
		fputs(",\"record_boot_slot\":", stdout);
		json_slot(record_slot);
		fputs(",\"marker_slot\":", stdout);
		json_slot(marker_slot);
		printf(",\"agrees_with_record\":%s,\"agrees_with_marker\":%s,\"in_sync\":%s",
			   tri(agree_record), tri(agree_marker), tri(in_sync));
		fputs(",\"pending\":[", stdout);
		if (have_plan && plan.write_order)
		{
			fputs("\"BootOrder=", stdout);
			for (size_t i = 0; i < plan.order_len; i++)
				printf("%s%04X", i ? "," : "", plan.order[i]);
			putchar('"');
		}
		if (have_plan && plan.write_next)
		{
			if (plan.write_order)
				putchar(',');
			if (plan.next < 0)
				fputs("\"BootNext=none\"", stdout);
			else
				printf("\"BootNext=%04X\"", (unsigned) plan.next);
		}
		fputs("],\"record_error\":", stdout);
		json_str(st_msg[0] ? st_msg : NULL);
		fputs("}\n", stdout);
		return 0;
	}

	if (v.current >= 0)
		printf("BootCurrent: %04X%s%s\n", (unsigned) v.current,
			   booted_slot != DB_SLOT_NONE ? " = slot " : " (not a dualboot entry)",
			   booted_slot != DB_SLOT_NONE ? db_slot_name(booted_slot) : "");
	else
		printf("BootCurrent: none\n");
	if (v.next >= 0)
		printf("BootNext:    %04X%s%s\n", (unsigned) v.next,
			   dbe_slot_of(map, v.next) != DB_SLOT_NONE ? " = slot " : " (not a dualboot entry)",
			   dbe_slot_of(map, v.next) != DB_SLOT_NONE ?
			   db_slot_name(dbe_slot_of(map, v.next)) : "");
	else
		printf("BootNext:    none\n");
	printf("BootOrder:   ");
	if (!v.order_present)
		printf("none");
	for (size_t i = 0; i < v.order_len; i++)
		printf("%s%04X", i ? "," : "", v.order[i]);
	putchar('\n');
	for (int s = 0; s < 2; s++)
	{
		printf("slot %s%s: ", db_slot_name((uint8_t) s),
			   have_st ? (st.stable_slot == s ? " (stable)" : " (test)") : "");
		if (ent_rc[s] == DB_OK)
			printf("Boot%04X \"%s\"%s %s%s%s\n", (unsigned) map[s], ent[s].desc,
				   ent[s].active ? "" : " (inactive)", ent[s].path,
				   ent[s].args[0] ? " " : "", ent[s].args);
		else
			printf("%s\n", ent_msg[s]);
	}
	if (have_st)
		printf("record:      stable %s, next boot %s%s\n", db_slot_name(st.stable_slot),
			   db_slot_name(db_next_boot_slot(&st)),
			   st.trial_armed ? (st.tries_left ? " (trial armed)" : " (trial exhausted)") : "");
	else
		printf("record:      unreadable: %s\n", st_msg);
	printf("booted:      firmware %s, record %s, marker %s%s\n",
		   booted_slot != DB_SLOT_NONE ? db_slot_name(booted_slot) : "unknown",
		   record_slot != DB_SLOT_NONE ? db_slot_name(record_slot) : "unknown",
		   marker_slot != DB_SLOT_NONE ? db_slot_name(marker_slot) : "unknown",
		   agree_record == 0 || agree_marker == 0 ? "  MISMATCH" :
		   agree_record == 1 || agree_marker == 1 ? "  (agree)" : "");
	if (in_sync == 1)
		printf("firmware:    in sync with the record\n");
	else if (in_sync == 0)
		printf("firmware:    not in sync: run \"dualbootctl efi sync\"\n");
	else
		printf("firmware:    sync state unknown (record or efi_a=/efi_b= missing)\n");
	return 0;
}

/* ---- bind ---- */

static int
cmd_bind(int argc, char **argv, const db_config *cfg)
{
	int			slot;
	uint16_t	num;
	dbe_entry	e;
	db_error	err;
	int			rc;
	uint16_t	other;

	if (argc != 2)
	{
		usage(stderr);
		return 2;
	}
	if ((slot = db_slot_parse(argv[0])) < 0)
	{
		fprintf(stderr, "dualbootctl efi bind: \"%s\" is not a slot (A or B)\n", argv[0]);
		return 2;
	}
	if (dbe_parse_num(argv[1], &num) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi bind: \"%s\" is not a boot entry number "
				"(4 hex digits, e.g. 0003)\n", argv[1]);
		return 2;
	}
	if ((rc = need_efivars()) != 0)
		return rc;
	if ((rc = dbe_read_entry(num, &e, &err)) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi bind: %s\n", err.message);
		return rc == DB_ERR_IO ? 2 : 1;
	}
	if (cfg->efi_entry[1 - slot][0] && dbe_parse_num(cfg->efi_entry[1 - slot], &other) == DB_OK &&
		other == num)
	{
		fprintf(stderr, "dualbootctl efi bind: Boot%04X is already slot %s's entry "
				"(efi_%c=): each slot needs its own\n", num, db_slot_name((uint8_t) (1 - slot)),
				slot == 0 ? 'b' : 'a');
		return 1;
	}
	fprintf(stderr, "Boot%04X \"%s\"%s %s%s%s\n", num, e.desc,
			e.active ? "" : " (inactive: the firmware skips it in BootOrder)",
			e.path, e.args[0] ? " " : "", e.args);
	{
		uint16_t	have;

		if (cfg->efi_entry[slot][0] && dbe_parse_num(cfg->efi_entry[slot], &have) == DB_OK &&
			have == num)
			fprintf(stderr, "slot %s is already bound to it in the config\n",
					db_slot_name((uint8_t) slot));
		else
			fprintf(stderr, "put this line in the config (dualboot.conf) to bind slot %s:\n",
					db_slot_name((uint8_t) slot));
	}
	printf("efi_%c=%04X\n", slot == 0 ? 'a' : 'b', (unsigned) num);
	return 0;
}

/* ---- create ---- */

static int
cmd_create(int argc, char **argv)
{
	int			slot;
	const char *disk = NULL;
	const char *loader = NULL;
	const char *label = NULL;
	const char *args = NULL;
	char		deflabel[32];
	long		part = 1;
	int32_t		num;
	db_error	err;
	dbe_entry	e;
	int			rc;

	if (argc < 1 || (slot = db_slot_parse(argv[0])) < 0)
	{
		fprintf(stderr, "dualbootctl efi create: give the slot (A or B) first\n");
		usage(stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++)
	{
		const char *o = argv[i];

		if (i + 1 >= argc)
		{
			fprintf(stderr, "dualbootctl efi create: \"%s\" needs a value\n", o);
			return 2;
		}
		if (strcmp(o, "--disk") == 0)
			disk = argv[++i];
		else if (strcmp(o, "--loader") == 0)
			loader = argv[++i];
		else if (strcmp(o, "--label") == 0)
			label = argv[++i];
		else if (strcmp(o, "--args") == 0)
			args = argv[++i];
		else if (strcmp(o, "--part") == 0)
		{
			char	   *end;

			part = strtol(argv[++i], &end, 10);
			if (*end || part < 1 || part > 128)
			{
				fprintf(stderr, "dualbootctl efi create: --part \"%s\" is not a partition "
						"number (1 to 128)\n", argv[i]);
				return 2;
			}
		}
		else
		{
			fprintf(stderr, "dualbootctl efi create: unexpected argument \"%s\"\n", o);
			usage(stderr);
			return 2;
		}
	}
	if (disk == NULL || loader == NULL)
	{
		fprintf(stderr, "dualbootctl efi create: --disk and --loader are required\n");
		return 2;
	}
	if (label == NULL)
	{
		snprintf(deflabel, sizeof(deflabel), "dualboot %s", db_slot_name((uint8_t) slot));
		label = deflabel;
	}
	if ((rc = need_efivars()) != 0)
		return rc;
	if ((rc = dbe_create_entry(disk, (int) part, loader, label, args, &num, &err)) != DB_OK)
	{
		if (num < 0)
			fprintf(stderr, "dualbootctl efi create: %s; nothing was written\n", err.message);
		else
			fprintf(stderr, "dualbootctl efi create: %s; Boot%04X was left behind\n",
					err.message, (unsigned) num);
		return rc == DB_ERR_ARG ? 2 : 1;
	}
	if (dbe_read_entry((uint16_t) num, &e, &err) == DB_OK)
		fprintf(stderr, "created Boot%04X \"%s\" %s%s%s\n", (unsigned) num, e.desc, e.path,
				e.args[0] ? " " : "", e.args);
	fprintf(stderr, "put this line in the config (dualboot.conf) to bind slot %s, then run "
			"\"dualbootctl efi sync\":\n", db_slot_name((uint8_t) slot));
	printf("efi_%c=%04X\n", slot == 0 ? 'a' : 'b', (unsigned) num);
	return 0;
}

/* ---- sync ---- */

static int
cmd_sync(int argc, char **argv, const db_config *cfg, const char *state_path)
{
	bool		dry = false;
	int32_t		map[2];
	db_error	err;
	db_state	st;
	db_handle	h;
	dbe_vars	v;
	dbe_entry	ent[2];
	dbe_plan	plan;
	int			rc;
	int			ret = 0;
	bool		opened = false;

	for (int i = 0; i < argc; i++)
	{
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else
		{
			fprintf(stderr, "dualbootctl efi sync: unexpected argument \"%s\"\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (cfg->efi_entry[0][0] == '\0' && cfg->efi_entry[1][0] == '\0')
	{
		fprintf(stderr, "dualbootctl efi sync: firmware mode is off (efi_a= and efi_b= are "
				"not set in the config): nothing to do\n");
		return 0;
	}
	if (dbe_config_map(cfg, map, &err) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi sync: %s\n", err.message);
		return 2;
	}
	if ((rc = need_efivars()) != 0)
		return rc;

	/* hold the record's lock while writing, so no newer intent slips between */
	memset(&err, 0, sizeof(err));
	rc = open_record(state_path, &h, &st, &err);
	if (rc == DB_OK)
		opened = true;
	else if (rc == DB_ERR_NO_VALID || rc == DB_ERR_NEWER_VERSION || rc == DB_ERR_INVALID)
	{
		/*
		 * mirror the hook: no record it can believe means the stable hint's
		 * slot, else the default (docs/state-format.md section 15)
		 */
		db_context	ctx = {DB_SLOT_NONE, NULL, 0, "cli", NULL};
		char		hpath[512];
		uint64_t	off;
		db_hint		hint;
		bool		have_hint = db_hint_path(cfg, state_path, hpath, sizeof(hpath), &off,
											 NULL) == DB_OK &&
			db_hint_read(hpath, off, &hint, NULL) == DB_OK;
		uint8_t		slot = have_hint ? hint.stable_slot : cfg->default_slot;

		fprintf(stderr, "dualbootctl efi sync: %s; the boot hook will boot %s %s, so the "
				"firmware is set up for that\n", err.message,
				have_hint ? "the stable hint's slot" : "the default stable slot",
				db_slot_name(slot));
		db_state_init(&st, slot, &ctx, NULL);
	}
	else
	{
		fprintf(stderr, "dualbootctl efi sync: %s\n", err.message);
		return 2;
	}

	if (dbe_read_vars(&v, &err) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi sync: %s; nothing was changed\n", err.message);
		ret = 2;
		goto out;
	}
	for (int s = 0; s < 2; s++)
	{
		if (dbe_read_entry((uint16_t) map[s], &ent[s], &err) != DB_OK)
		{
			fprintf(stderr, "dualbootctl efi sync: slot %s: %s; nothing was changed\n",
					db_slot_name((uint8_t) s), err.message);
			ret = err.code == DB_ERR_IO ? 2 : 1;
			goto out;
		}
	}
	if (dbe_plan_sync(&st, map, &v, &plan, &err) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi sync: %s; nothing was changed\n", err.message);
		ret = 2;
		goto out;
	}
	for (int i = 0; i < plan.nnotes; i++)
		fprintf(stderr, "dualbootctl efi sync: note: %s\n", plan.notes[i]);
	if (plan.write_next && plan.next >= 0 && !ent[db_other_slot(st.stable_slot)].active)
		fprintf(stderr, "dualbootctl efi sync: warning: the test slot's entry Boot%04X is "
				"inactive; some firmware ignores it even as BootNext\n",
				(unsigned) plan.next);
	if (!plan.write_next && !plan.write_order)
	{
		printf("in sync: next boot slot %s, nothing written\n", db_slot_name(plan.next_slot));
		goto out;
	}
	if (!dry && dbe_apply(&v, &plan, &err) != DB_OK)
	{
		fprintf(stderr, "dualbootctl efi sync: %s\n", err.message);
		ret = 1;
		goto out;
	}
	if (plan.write_order)
	{
		printf("%sBootOrder=", dry ? "would write " : "wrote ");
		for (size_t i = 0; i < plan.order_len; i++)
			printf("%s%04X", i ? "," : "", plan.order[i]);
		printf(" (stable slot %s first)\n", db_slot_name(st.stable_slot));
	}
	if (plan.write_next && plan.next >= 0)
		printf("%sBootNext=%04X (trial boot of slot %s)\n", dry ? "would write " : "wrote ",
			   (unsigned) plan.next, db_slot_name(plan.next_slot));
	else if (plan.write_next)
		printf("%s BootNext (next boot: stable slot %s)\n", dry ? "would delete" : "deleted",
			   db_slot_name(plan.next_slot));
	fflush(stdout);
out:
	if (opened)
		db_close(&h);
	return ret;
}

int
dualbootctl_efi_main(int argc, char **argv, const db_config *cfg, const char *state_path)
{
	if (argc > 0 && strcmp(argv[0], "efi") == 0)
	{
		argc--;
		argv++;
	}
	if (argc < 1)
	{
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(argc - 1, argv + 1, cfg, state_path);
	if (strcmp(argv[0], "bind") == 0)
		return cmd_bind(argc - 1, argv + 1, cfg);
	if (strcmp(argv[0], "sync") == 0)
		return cmd_sync(argc - 1, argv + 1, cfg, state_path);
	if (strcmp(argv[0], "create") == 0)
		return cmd_create(argc - 1, argv + 1);
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0)
	{
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "dualbootctl efi: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return 2;
}
