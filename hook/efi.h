/*
 * efi.h - firmware mode: the boot state record's intent applied to UEFI
 * boot variables through libefivar/libefiboot (DESIGN section 4.5).
 *
 * Each slot has its own Boot#### entry, mapped by the config keys efi_a= and
 * efi_b=. The record's intent becomes:
 *
 *   trial armed, tries left  -> BootNext = the test slot's entry
 *   anything else            -> no BootNext of ours (one we set is deleted)
 *   always                   -> BootOrder starts with the stable slot's entry
 *                               and lists the test slot's entry
 *
 * so that a test boot which dies before anything can react falls back to
 * stable in the firmware itself.
 *
 * Two layers, as in lib/: dbe_plan_sync() is pure (record + variables read
 * -> the writes needed) and unit-testable; dbe_read_vars()/dbe_read_entry()/
 * dbe_apply() do the I/O through libefivar. Entries not mapped to a slot are
 * never written, never deleted and keep their relative place in BootOrder; a
 * BootNext pointing at an entry dualboot does not own is left alone unless
 * a trial has to be armed.
 *
 * This header needs no libefivar header: only efi.c includes them.
 */
#ifndef DUALBOOT_EFI_H
#define DUALBOOT_EFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbstate.h"

#define DBE_ORDER_MAX   256         /* BootOrder entries handled */
#define DBE_DESC_SIZE   256         /* description, UTF-8 */
#define DBE_PATH_SIZE   1024        /* formatted device path */
#define DBE_ARGS_SIZE   512         /* optional data, shown as text */
#define DBE_NOTE_SIZE   256

/* UEFI LOAD_OPTION_ACTIVE: not in libefiboot's headers. */
#define DBE_LOAD_OPTION_ACTIVE 0x00000001u

/* The global boot variables, as read. -1 = variable absent. */
typedef struct dbe_vars
{
	int32_t		current;        /* BootCurrent */
	int32_t		next;           /* BootNext */
	bool		order_present;
	size_t		order_len;
	uint16_t	order[DBE_ORDER_MAX];
} dbe_vars;

/* One Boot#### entry, as read and parsed (EFI_LOAD_OPTION). */
typedef struct dbe_entry
{
	uint16_t	num;
	bool		exists;
	bool		active;         /* LOAD_OPTION_ACTIVE */
	uint32_t	attributes;
	char		desc[DBE_DESC_SIZE];
	char		path[DBE_PATH_SIZE];
	char		args[DBE_ARGS_SIZE];   /* optional data as text, "" if binary */
} dbe_entry;

/* The writes needed to make the firmware follow the record. */
typedef struct dbe_plan
{
	bool		write_next;     /* BootNext must change */
	int32_t		next;           /* new BootNext, -1 = delete it */
	bool		write_order;    /* BootOrder must change */
	size_t		order_len;
	uint16_t	order[DBE_ORDER_MAX];
	uint8_t		next_slot;      /* slot the next boot goes to (record) */
	int			nnotes;         /* remarks for the log, not errors */
	char		notes[3][DBE_NOTE_SIZE];
} dbe_plan;

/* "0003" / "Boot0003" (hex, any case) -> 3. DB_OK or DB_ERR_ARG. */
int			dbe_parse_num(const char *s, uint16_t *out);

/*
 * The slot -> entry map from the config (efi_a=, efi_b=). map[s] = entry
 * number or -1 when unset. DB_OK when both are set and differ; DB_ERR_ARG
 * (with the reason) otherwise; *map is filled in any case.
 */
int			dbe_config_map(const db_config *cfg, int32_t map[2], db_error *err);

/*
 * PURE: what must be written so that the firmware follows st. map[] must hold
 * two distinct entries. *plan says the writes (none when in sync).
 * DB_OK, or DB_ERR_ARG / DB_ERR_INVALID with err set (nothing to apply).
 */
int			dbe_plan_sync(const db_state *st, const int32_t map[2],
						  const dbe_vars *cur, dbe_plan *plan, db_error *err);

/* The slot an entry number is mapped to, DB_SLOT_NONE if none. */
uint8_t		dbe_slot_of(const int32_t map[2], int32_t num);

/* ---- I/O through libefivar (efivarfs, or LIBEFIVAR_OPS/EFIVARFS_PATH) ---- */

/* true when UEFI variables can be read on this system */
bool		dbe_supported(void);

/*
 * Read BootCurrent, BootNext, BootOrder. Absent variables are fine; a
 * variable of the wrong size (garbage) is DB_ERR_INVALID, an unreadable one
 * DB_ERR_IO.
 */
int			dbe_read_vars(dbe_vars *v, db_error *err);

/*
 * Read and parse Boot####. A missing entry: DB_ERR_NOT_FOUND (e->exists
 * false); not a valid EFI_LOAD_OPTION: DB_ERR_INVALID.
 */
int			dbe_read_entry(uint16_t num, dbe_entry *e, db_error *err);

/*
 * Apply a plan computed from cur (the variables as read just before). Writes
 * only what the plan says; if a later write fails, the earlier ones are
 * rolled back to the values in cur, so the firmware is left as it was. The
 * result is read back and checked. DB_OK or DB_ERR_IO with err set.
 */
int			dbe_apply(const dbe_vars *cur, const dbe_plan *plan, db_error *err);

/*
 * Create a new, active Boot#### entry for a loader on the EFI system
 * partition: HD(part of disk)/File(loader), the description, and args (ASCII,
 * e.g. "initrd=\\initrd.img root=...") as UCS-2 optional data, which is what
 * a kernel's EFI stub reads. The number is the lowest one not in use (no
 * variable, not in BootOrder, not BootNext). The entry is appended to
 * BootOrder: EDK2 firmware treats an unlisted number as free and reuses it
 * for its own entries (seen under OVMF); `sync` then moves the stable slot's
 * entry to the front. DB_OK with *num set; DB_ERR_ARG/DB_ERR_IO with err set
 * and *num -1 when nothing is left written (a failure after the write is
 * undone), or the number of the Boot#### left behind when undoing failed too.
 */
int			dbe_create_entry(const char *disk, int part, const char *loader,
							 const char *label, const char *args, int32_t *num,
							 db_error *err);

#endif							/* DUALBOOT_EFI_H */
