#!/bin/bash
# dracut module "dualboot-efi": dualboot's firmware-mode cross-check
# (docs/firmware-mode.md). After the dualboot module chose and mounted the
# root, compare BootCurrent with that slot's UEFI boot entry (efi_a=/efi_b=)
# and record the result in /run/dualboot/efi-check (a mismatch also goes to
# the kernel log). It never changes the boot. Include it next to dualboot:
# `dracut -a "dualboot dualboot-efi"`.
#
# Environment (for tests and packaging): DUALBOOT_LIBDIR (default
# /usr/lib/dualboot).

# called by dracut
check() {
    # only when asked for
    return 255
}

# called by dracut
depends() {
    echo dualboot
    return 0
}

# called by dracut
installkernel() {
    hostonly='' instmods efivarfs
}

# called by dracut
install() {
    local libdir=${DUALBOOT_LIBDIR:-/usr/lib/dualboot}

    if [[ ! -x $libdir/dualboot-efi-check ]]; then
        derror "dualboot-efi: $libdir/dualboot-efi-check is missing; reinstall dualboot"
        exit 1
    fi
    inst_simple "$libdir/dualboot-efi-check" /usr/lib/dualboot/dualboot-efi-check
    inst_multiple od tail mount umount
    inst_hook pre-pivot 50 "$moddir/dualboot-efi-pre-pivot.sh"
}
