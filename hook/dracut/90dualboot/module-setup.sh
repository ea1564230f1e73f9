#!/bin/bash
# dracut module "dualboot": choose the root partition (slot A or B) at boot
# from the dualboot state record. Include it with `dracut -a dualboot` or
# add_dracutmodules+=" dualboot " in /etc/dracut.conf.d/.
#
# Only non-systemd images are supported. In a systemd-based image,
# systemd-fstab-generator creates sysroot.mount from root= on the kernel
# command line before any dracut hook runs, so the shell variable $root that
# this module sets would not move the mount: the choice would be silently
# ignored. Such an image is refused at build time instead.
#
# Environment (for tests and packaging): DUALBOOT_LIBDIR (where
# dualboot-select and dualboot-boot are; default /usr/lib/dualboot) and
# DUALBOOT_CONF (default /etc/dualboot/dualboot.conf).

dualboot_refuse_systemd() {
    derror "dualboot: this initramfs would be systemd-based (dracut module 'systemd')," \
        "where the root mount comes from root= on the kernel command line and" \
        "the dualboot slot choice cannot take effect. Build a non-systemd image" \
        "(dracut --omit \"systemd systemd-initrd dracut-systemd\") or use initramfs-tools."
}

# called by dracut
check() {
    if dracut_module_included "systemd"; then
        dualboot_refuse_systemd
        return 1
    fi
    # only when asked for
    return 255
}

# called by dracut
depends() {
    echo base rootfs-block kernel-modules
    return 0
}

# called by dracut
installkernel() {
    # the state partition may be ext4 or vfat (an EFI system partition)
    hostonly='' instmods ext4 crc32c_generic vfat nls_ascii nls_cp437
}

# called by dracut
install() {
    local libdir=${DUALBOOT_LIBDIR:-/usr/lib/dualboot}
    local conf=${DUALBOOT_CONF:-/etc/dualboot/dualboot.conf}

    # a module depending on systemd may have been added after check() ran
    if dracut_module_included "systemd"; then
        dualboot_refuse_systemd
        exit 1
    fi
    if [[ ! -x $libdir/dualboot-select || ! -x $libdir/dualboot-boot ]]; then
        derror "dualboot: $libdir/dualboot-select or dualboot-boot is missing; reinstall dualboot"
        exit 1
    fi
    if ! "$libdir/dualboot-select" --check-config "$conf"; then
        derror "dualboot: $conf is invalid (see above); fix it and rebuild the initramfs"
        exit 1
    fi
    inst_simple "$libdir/dualboot-select" /usr/lib/dualboot/dualboot-select
    inst_simple "$libdir/dualboot-boot" /usr/lib/dualboot/dualboot-boot
    inst_simple "$conf" /etc/dualboot/dualboot.conf
    inst_multiple mount umount modprobe sleep sync mkdir rmdir
    inst_hook cmdline 20 "$moddir/dualboot-cmdline.sh"
    inst_hook pre-mount 10 "$moddir/dualboot-pre-mount.sh"
}
