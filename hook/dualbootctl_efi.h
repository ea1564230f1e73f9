/*
 * dualbootctl_efi.h - the `efi` command of dualbootctl (hook/dualbootctl_efi.c).
 */
#ifndef DUALBOOTCTL_EFI_H
#define DUALBOOTCTL_EFI_H

#include "dbstate.h"

/*
 * argv[0] is "efi" (skipped when present), argv[1] the subcommand:
 * status [--json] [--marker PATH] | bind A|B XXXX | sync [--dry-run].
 * cfg: the parsed config (efi_a=/efi_b=, default=); state_path: the record
 * (may be NULL when unknown). Returns the exit status (0, 1 or 2).
 */
int			dualbootctl_efi_main(int argc, char **argv, const db_config *cfg,
								 const char *state_path);

#endif							/* DUALBOOTCTL_EFI_H */
