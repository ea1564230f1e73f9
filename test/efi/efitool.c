/*
 * efitool.c - test driver for firmware mode (test/t/70-efi.t and the OVMF
 * guest): `efi ...` runs dualbootctl's efi command (dualbootctl_efi_main),
 * the other commands drive the record through lib/ only, so the firmware
 * tests need nothing but lib/ and hook/efi*.c.
 *
 *   efitool [--state PATH] [--config FILE] efi ...
 *   efitool --state PATH init --stable A|B
 *   efitool --state PATH mark-test [--tries N]
 *   efitool --state PATH failback | confirm | promote
 *   efitool --state PATH [--config FILE] boot [--marker PATH]   (db_boot_select)
 *   efitool --state PATH show                     (stable/armed/tries/next)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbstate.h"
#include "dualbootctl_efi.h"

static int
fail(int code, const char *what, const db_error *err)
{
	fprintf(stderr, "efitool %s: %s\n", what, err->message);
	return code;
}

int
main(int argc, char **argv)
{
	const char *state = NULL;
	const char *config = NULL;
	db_config	cfg;
	db_error	err;
	char		path[1024];
	char		boot_id[DB_BOOTID_SIZE] = "";
	int			i = 1;

	db_config_defaults(&cfg);
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2)
	{
		if (strcmp(argv[i], "--state") == 0)
			state = argv[i + 1];
		else if (strcmp(argv[i], "--config") == 0)
			config = argv[i + 1];
		else
			break;
	}
	if (i >= argc)
	{
		fprintf(stderr, "usage: efitool [--state PATH] [--config FILE] COMMAND ...\n");
		return 2;
	}
	if (config && db_config_parse_file(&cfg, config, &err) != DB_OK)
		return fail(2, "config", &err);
	/* as dualbootctl: no state path from the config leaves it unknown (NULL) */
	if (state == NULL && config && db_config_state_path(&cfg, path, sizeof(path), &err) == DB_OK)
		state = path;
	if (strcmp(argv[i], "efi") == 0)
		return dualbootctl_efi_main(argc - i, argv + i, &cfg, state);
	if (state == NULL)
	{
		fprintf(stderr, "efitool: --state PATH needed\n");
		return 2;
	}
	db_kernel_boot_id(boot_id, sizeof(boot_id), NULL);

	if (strcmp(argv[i], "init") == 0)
	{
		db_context	ctx = {DB_SLOT_NONE, boot_id, (int64_t) time(NULL), "cli", NULL};
		int			s = (i + 2 < argc && strcmp(argv[i + 1], "--stable") == 0) ?
			db_slot_parse(argv[i + 2]) : -1;

		if (s < 0)
			return 2;
		if (db_create(state, (uint8_t) s, &ctx, "efitool", true, &err) != DB_OK)
			return fail(2, "init", &err);
		return 0;
	}
	if (strcmp(argv[i], "boot") == 0)
	{
		db_boot_result res;

		const char *marker = (i + 2 < argc && strcmp(argv[i + 1], "--marker") == 0) ?
			argv[i + 2] : NULL;

		db_boot_select(&cfg, state, marker, (int64_t) time(NULL), &res);
		printf("slot=%s trial=%d why=%s\n", db_slot_name(res.dec.slot),
			   res.dec.trial ? 1 : 0, res.dec.why);
		return 0;
	}
	if (strcmp(argv[i], "show") == 0)
	{
		db_state	st;

		if (db_load(state, &st, &err) != DB_OK)
			return fail(2, "show", &err);
		printf("stable=%s armed=%u tries_left=%u confirmed=%u next=%s seq=%llu\n",
			   db_slot_name(st.stable_slot), st.trial_armed, st.tries_left, st.confirmed,
			   db_slot_name(db_next_boot_slot(&st)), (unsigned long long) st.seq);
		return 0;
	}
	{
		db_request	req;
		db_context	ctx = {DB_SLOT_NONE, boot_id, (int64_t) time(NULL), "cli", NULL};
		db_state	st;

		memset(&req, 0, sizeof(req));
		if (strcmp(argv[i], "mark-test") == 0)
		{
			req.event = DB_EV_MARK_TEST;
			req.tries = 1;
			if (i + 2 < argc && strcmp(argv[i + 1], "--tries") == 0)
				req.tries = atoi(argv[i + 2]);
		}
		else if (strcmp(argv[i], "failback") == 0)
			req.event = DB_EV_FAILBACK;
		else if (strcmp(argv[i], "confirm") == 0 || strcmp(argv[i], "promote") == 0)
		{
			/* as the booted test slot: the slot the record's last boot chose */
			if (db_load(state, &st, &err) != DB_OK)
				return fail(2, argv[i], &err);
			ctx.current_slot = st.last_boot_slot;
			req.event = argv[i][0] == 'c' ? DB_EV_CONFIRM : DB_EV_PROMOTE;
			/* firmware tests have no PostgreSQL: no provenance to check */
			req.discard_stable_writes = true;
		}
		else
		{
			fprintf(stderr, "efitool: unknown command \"%s\"\n", argv[i]);
			return 2;
		}
		if (db_update(state, &req, &ctx, NULL, &err) != DB_OK)
			return fail(1, argv[i], &err);
	}
	return 0;
}
