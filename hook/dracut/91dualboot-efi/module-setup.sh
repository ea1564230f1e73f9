#!/bin/bash
# dracut module "dualboot-efi": dualboot's firmware mode in the initramfs
# (docs/firmware-mode.md). It installs dualboot-efi-check, which then serves
# twice:
#  - before the selection: dualboot-boot (run by the dualboot module's
#    pre-mount hook, or its initqueue job in a systemd-based image) asks it
#    which slot's UEFI entry BootCurrent is and passes that to the selector,
#    so that a trial whose test kernel did not start (the firmware fell back
#    to the stable slot's entry) counts a failed try and boots stable;
#  - after it (pre-pivot hook): compare BootCurrent with the chosen slot's
#    entry (efi_a=/efi_b=) and record the result in /run/dualboot/efi-check
#    (a mismatch also goes to the kernel log).
# Include it next to dualboot: `dracut -a "dualboot dualboot-efi"`. Without
# it (or without efi_a=/efi_b= in the config) the record alone decides.
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
    inst_multiple od tail cat sed tr mount umount modprobe
    inst_hook pre-pivot 50 "$moddir/dualboot-efi-pre-pivot.sh"
}
