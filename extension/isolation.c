/*
 * isolation.c - the test slot is isolated during a trial (issue 15,
 * docs/isolation.md).
 *
 * On a boot of the test slot the server admits only local clients (a Unix
 * socket, 127.0.0.0/8, ::1, or a program of this machine connecting to one
 * of the machine's own addresses) and no replication connection at all (physical
 * or logical walsender, local or not): the test slot's data is a rehearsal
 * copy that failback throws away, so nothing outside the machine may write
 * into it, and no standby of stable may follow it (its WAL diverges from
 * stable's after the copy; a standby that replayed it would have to be
 * cloned again). dualboot.trial_isolation = open (PGC_SIGHUP) opens the test
 * slot on purpose; on the stable slot nothing is ever refused.
 *
 * The mechanism is a ClientAuthentication_hook, so the library must be in
 * shared_preload_libraries (README); loaded later, it refuses nothing and
 * dualboot_isolation() says so. A refusal is FATAL with SQLSTATE 57P03
 * (cannot_connect_now): the server is up but does not take this
 * connection now, which is what pg_isready, poolers and walreceivers
 * understand as "try again later", and they do get in once the stable slot
 * serves again.
 *
 * The role of the boot is decided per connection by db_isolation_role()
 * (lib/isolation.c), from the boot marker and the state record, read
 * afresh: a promotion (the test slot becomes stable) ends the isolation for
 * the next connection without a restart. Local clients other than
 * walsenders are admitted without reading anything. When the role is
 * unknown (no marker and no record naming this boot) nothing is refused:
 * the stable slot's production clients are never locked out by a missing
 * marker or an unreadable record.
 */
#include "postgres.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>

#include "fmgr.h"
#include "funcapi.h"
#include "libpq/auth.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "replication/walsender.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "dbstate.h"
#include "dualboot.h"
#include "isolation.h"

PG_FUNCTION_INFO_V1(dualboot_isolation);

/* Number of columns of dualboot_isolation(). */
#define ISOLATION_NATTS 4

typedef enum TrialIsolation
{
	TRIAL_ISOLATION_LOCAL,
	TRIAL_ISOLATION_OPEN
} TrialIsolation;

static const struct config_enum_entry trial_isolation_options[] = {
	{"local", TRIAL_ISOLATION_LOCAL, false},
	{"open", TRIAL_ISOLATION_OPEN, false},
	{NULL, 0, false}
};

/* dualboot.trial_isolation (PGC_SIGHUP, GUC_SUPERUSER_ONLY) */
static int	trial_isolation = TRIAL_ISOLATION_LOCAL;

/* true when _PG_init ran from shared_preload_libraries (the hook is active) */
static bool isolation_hook_installed = false;

static ClientAuthentication_hook_type prev_client_auth_hook = NULL;

/*
 * A client on this machine: a Unix socket, 127.0.0.0/8, ::1,
 * ::ffff:127.0.0.0/104, or a TCP connection whose two ends have the same
 * address (a program on this machine connecting to one of the machine's own
 * addresses, such as dualboot-confirm with PGHOST set to it: the kernel
 * gives the client the address it connects to).
 */
static bool
is_local_client(const Port *port)
{
	const struct sockaddr_storage *ss = &port->raddr.addr;
	const struct sockaddr_storage *ls = &port->laddr.addr;

	if (ss->ss_family == AF_UNIX)
		return true;
	if (ss->ss_family == AF_INET)
	{
		const struct sockaddr_in *in = (const struct sockaddr_in *) ss;
		const struct sockaddr_in *lin = (const struct sockaddr_in *) ls;

		if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return true;
		return ls->ss_family == AF_INET && lin->sin_addr.s_addr == in->sin_addr.s_addr;
	}
	if (ss->ss_family == AF_INET6)
	{
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) ss;
		const struct sockaddr_in6 *lin6 = (const struct sockaddr_in6 *) ls;
		const uint8 *a = in6->sin6_addr.s6_addr;
		static const uint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
			(memcmp(a, mapped, sizeof(mapped)) == 0 && a[12] == 127))
			return true;
		return ls->ss_family == AF_INET6 &&
			memcmp(lin6->sin6_addr.s6_addr, a, sizeof(lin6->sin6_addr.s6_addr)) == 0;
	}
	return false;
}

/* The role of this boot, from the marker and the record read now. */
static db_iso_role
boot_role(db_isolation *iso)
{
	db_state	st;
	db_error	err;
	const char *st_error;
	const db_state *stp = dualboot_boot_record(&st, &err, &st_error);

	return db_isolation_role(dualboot_boot_marker_path, stp, st_error, iso);
}

static void
isolation_client_auth(Port *port, int status)
{
	db_isolation iso;
	bool		local;

	if (prev_client_auth_hook)
		prev_client_auth_hook(port, status);
	if (status != STATUS_OK || trial_isolation == TRIAL_ISOLATION_OPEN)
		return;
	local = is_local_client(port);
	if (local && !am_walsender)
		return;
	if (boot_role(&iso) != DB_ISO_TEST)
		return;
	if (am_walsender)
		ereport(FATAL,
				(errcode(ERRCODE_CANNOT_CONNECT_NOW),
				 errmsg("replication connection refused: this server runs the test slot "
						"%s of a dualboot trial, and dualboot.trial_isolation = local "
						"admits no replication", db_slot_name(iso.slot)),
				 errdetail("The test slot's data is a rehearsal copy that failback throws "
						   "away; a standby that followed it would diverge from the stable "
						   "slot for good. Client: %s%s%s.",
						   port->remote_host ? port->remote_host : "?",
						   port->user_name ? ", user " : "",
						   port->user_name ? port->user_name : ""),
				 errhint("A standby of the stable slot waits and reconnects when the "
						 "stable slot serves again. To open the test slot on purpose, set "
						 "dualboot.trial_isolation = open and reload the configuration.")));
	ereport(FATAL,
			(errcode(ERRCODE_CANNOT_CONNECT_NOW),
			 errmsg("connection refused: this server runs the test slot %s of a "
					"dualboot trial, and dualboot.trial_isolation = local admits only "
					"local clients", db_slot_name(iso.slot)),
			 errdetail("Client address %s is not this machine's (a Unix socket, "
					   "127.0.0.0/8, ::1 or the address connected to). The test slot's "
					   "data is a rehearsal copy that failback throws away.",
					   port->remote_host ? port->remote_host : "?"),
			 errhint("Connect again once the stable slot serves. To open the test slot "
					 "on purpose, set dualboot.trial_isolation = open and reload the "
					 "configuration.")));
}

void
dualboot_isolation_init(void)
{
	DefineCustomEnumVariable("dualboot.trial_isolation",
							 "Which clients the test slot admits during a trial.",
							 "local (the default): only local clients (a Unix socket, "
							 "127.0.0.0/8, ::1, a program of this machine connecting to "
							 "its own address) and no replication connection; open: "
							 "whatever pg_hba.conf admits. The stable slot is never "
							 "isolated. Needs dualboot in shared_preload_libraries.",
							 &trial_isolation,
							 TRIAL_ISOLATION_LOCAL,
							 trial_isolation_options,
							 PGC_SIGHUP,
							 GUC_SUPERUSER_ONLY,
							 NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
	{
		prev_client_auth_hook = ClientAuthentication_hook;
		ClientAuthentication_hook = isolation_client_auth;
		isolation_hook_installed = true;
	}
}

/*
 * dualboot_isolation(): what is in force for new connections now.
 *   isolation  'local' (remote and replication connections are refused) or
 *              'open' (nothing is refused by dualboot)
 *   setting    dualboot.trial_isolation
 *   slot_role  stable, test or unknown, as the isolation sees this boot
 *   reason     one sentence: why
 */
Datum
dualboot_isolation(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[ISOLATION_NATTS];
	bool		nulls[ISOLATION_NATTS];
	db_isolation iso;
	db_iso_role role;
	bool		in_force = false;
	char		reason[1600];
	const char *setting = trial_isolation == TRIAL_ISOLATION_OPEN ? "open" : "local";

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != ISOLATION_NATTS)
		elog(ERROR, "unexpected number of isolation columns: %d", tupdesc->natts);

	role = boot_role(&iso);
	if (!isolation_hook_installed)
		snprintf(reason, sizeof(reason),
				 "nothing is refused: dualboot is not in shared_preload_libraries, so "
				 "it cannot check connections (%s)", iso.why);
	else if (role == DB_ISO_STABLE)
		snprintf(reason, sizeof(reason),
				 "nothing is refused: %s, and the stable slot is never isolated", iso.why);
	else if (role == DB_ISO_UNKNOWN)
		snprintf(reason, sizeof(reason),
				 "nothing is refused: %s; an unknown slot is not isolated, so that the "
				 "stable slot's clients are never locked out", iso.why);
	else if (trial_isolation == TRIAL_ISOLATION_OPEN)
		snprintf(reason, sizeof(reason),
				 "nothing is refused: %s, but dualboot.trial_isolation = open", iso.why);
	else
	{
		in_force = true;
		snprintf(reason, sizeof(reason),
				 "only local clients are admitted and no replication: %s", iso.why);
	}

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(in_force ? "local" : "open");
	values[1] = CStringGetTextDatum(setting);
	values[2] = CStringGetTextDatum(db_iso_role_name(role));
	values[3] = CStringGetTextDatum(reason);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
