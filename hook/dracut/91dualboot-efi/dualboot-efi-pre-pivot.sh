#!/bin/sh
# dracut pre-pivot hook of the dualboot-efi module (sourced by dracut): the
# BootCurrent cross-check, after the dualboot module left its marker (the
# selection itself already took BootCurrent into account: dualboot-boot).
if [ -x /usr/lib/dualboot/dualboot-efi-check ]; then
    /usr/lib/dualboot/dualboot-efi-check
fi
