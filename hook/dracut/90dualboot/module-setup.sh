#!/bin/bash
# dracut module "dualboot": choose the root partition (slot A or B) at boot
# from the dualboot state record. Include it with `dracut -a dualboot` or
# add_dracutmodules+=" dualboot " in /etc/dracut.conf.d/.
#
# Non-systemd images: a cmdline hook points $root at the default stable slot,
# a pre-mount hook runs the selection and points $root at the chosen slot.
#
# systemd-based images: sysroot.mount is generated from root= before any hook
# runs, so $root cannot be changed later. Instead the image carries
# root=/dev/mapper/dualboot-root (in /etc/cmdline.d) and an initqueue job
# creates that device as a linear device-mapper map over the chosen slot's
# partition; the generated sysroot.mount then mounts it. Needs dracut's dm
# module (dmsetup), added as a dependency.
#
# Environment (for tests and packaging): DUALBOOT_LIBDIR (where
# dualboot-select and dualboot-boot are; default /usr/lib/dualboot) and
# DUALBOOT_CONF (default /etc/dualboot/dualboot.conf).

dualboot_systemd() {
    dracut_module_included "systemd" \
        || [[ " $dracutmodules $add_dracutmodules $force_add_dracutmodules " == *" systemd "* ]]
}

# called by dracut
check() {
    # only when asked for
    return 255
}

# called by dracut
depends() {
    echo base rootfs-block kernel-modules
    if dualboot_systemd; then
        echo dm
    fi
    return 0
}

# called by dracut
installkernel() {
    # the state partition may be ext4 or vfat (an EFI system partition)
    hostonly='' instmods ext4 crc32c_generic vfat nls_ascii nls_cp437 || return 1
    if dualboot_systemd; then
        hostonly='' instmods dm_mod || return 1
    fi
    return 0
}

# called by dracut
install() {
    local libdir=${DUALBOOT_LIBDIR:-/usr/lib/dualboot}
    local conf=${DUALBOOT_CONF:-/etc/dualboot/dualboot.conf}

    if [[ ! -x $libdir/dualboot-select || ! -x $libdir/dualboot-boot ]]; then
        derror "dualboot: $libdir/dualboot-select or dualboot-boot is missing; reinstall dualboot"
        exit 1
    fi
    # also checks the stable hint's keys (stable_hint=, stable_hint_file=);
    # its partition needs nothing beyond what the state partition needs
    if ! "$libdir/dualboot-select" --check-config "$conf"; then
        derror "dualboot: $conf is invalid (see above); fix it and rebuild the initramfs"
        exit 1
    fi
    inst_simple "$libdir/dualboot-select" /usr/lib/dualboot/dualboot-select
    inst_simple "$libdir/dualboot-boot" /usr/lib/dualboot/dualboot-boot
    inst_simple "$conf" /etc/dualboot/dualboot.conf
    inst_multiple mount umount modprobe sleep sync mkdir rmdir
    inst_hook cmdline 20 "$moddir/dualboot-cmdline.sh"

    if dracut_module_included "systemd"; then
        if ! dracut_module_included "dm"; then
            derror "dualboot: a systemd-based image needs dracut's dm module (dmsetup)"
            exit 1
        fi
        inst_multiple dmsetup blockdev
        inst_script "$moddir/dualboot-dm.sh" /usr/lib/dualboot/dualboot-dm
        mkdir -p "$initdir/etc/cmdline.d"
        echo "root=/dev/mapper/dualboot-root" > "$initdir/etc/cmdline.d/90dualboot.conf"
        dracut_need_initqueue
    else
        inst_hook pre-mount 10 "$moddir/dualboot-pre-mount.sh"
    fi
}
