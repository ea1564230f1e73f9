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

# dualboot_kinds: the storage stacks the config uses, as "state KIND" and
# "slot KIND" lines (KIND: lvm, md, luks, plain)
dualboot_kinds() {
    local libdir=${DUALBOOT_LIBDIR:-/usr/lib/dualboot}
    local conf=${DUALBOOT_CONF:-/etc/dualboot/dualboot.conf}
    [[ -x $libdir/dualboot-stack ]] || return 0
    eval "$("$libdir/dualboot-select" --print-config --config "$conf" --cmdline /dev/null 2>/dev/null)"
    [[ $DUALBOOT_STATE_DEVICE ]] &&
        echo "state $(DUALBOOT_LIBDIR=$libdir "$libdir/dualboot-stack" kind "$DUALBOOT_STATE_DEVICE")"
    for spec in "$DUALBOOT_SLOT_A" "$DUALBOOT_SLOT_B"; do
        [[ $spec ]] && echo "slot $(DUALBOOT_LIBDIR=$libdir "$libdir/dualboot-stack" kind "$spec")"
    done
}

# called by dracut
check() {
    # only when asked for
    return 255
}

# called by dracut
depends() {
    local kinds
    kinds=$(dualboot_kinds)
    echo base rootfs-block kernel-modules
    if dualboot_systemd; then
        echo dm
    fi
    # the stacks the slots and the state partition sit on
    [[ $kinds == *" lvm"* ]] && echo lvm
    [[ $kinds == *" md"* ]] && echo mdraid
    [[ $kinds == *" luks"* ]] && echo crypt
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
    # the storage stacks: each LVM, md or LUKS device named must be makeable
    # at boot (dualboot-stack check, as the initramfs-tools hook does)
    if [[ -x $libdir/dualboot-stack ]] &&
        ! DUALBOOT_LIBDIR=$libdir "$libdir/dualboot-stack" check "$conf"; then
        derror "dualboot: $conf names devices this image cannot make (see above)"
        exit 1
    fi
    inst_simple "$libdir/dualboot-select" /usr/lib/dualboot/dualboot-select
    inst_simple "$libdir/dualboot-boot" /usr/lib/dualboot/dualboot-boot
    inst_simple "$conf" /etc/dualboot/dualboot.conf
    inst_multiple mount umount modprobe sleep sync mkdir rmdir
    inst_hook cmdline 20 "$moddir/dualboot-cmdline.sh"

    local kinds stacked=""
    kinds=$(dualboot_kinds)
    [[ $kinds == *"slot lvm"* || $kinds == *"slot md"* || $kinds == *"slot luks"* ]] && stacked=1
    if [[ -x $libdir/dualboot-stack ]]; then
        inst_simple "$libdir/dualboot-stack" /usr/lib/dualboot/dualboot-stack
        inst_multiple sed tr cat
    fi
    mkdir -p "$initdir/etc/cmdline.d"
    # LVM: dracut activates only the rd.lvm.lv= volumes (else every VG):
    # the state volume here, the slot's own one by dualboot-stack
    if [[ $kinds == *" lvm"* ]]; then
        local lv
        if [[ $kinds == *"state lvm"* ]]; then
            eval "$("$libdir/dualboot-select" --print-config --config "$conf" --cmdline /dev/null)"
            lv=$(DUALBOOT_LIBDIR=$libdir "$libdir/dualboot-stack" vglv "$DUALBOOT_STATE_DEVICE")
            echo "rd.lvm.lv=$lv" > "$initdir/etc/cmdline.d/90dualboot-lvm.conf"
        else
            echo "rd.lvm=0" > "$initdir/etc/cmdline.d/90dualboot-lvm.conf"
        fi
    fi
    # LUKS slots: dracut's own unlocking off (rd.luks=0), the slots'
    # crypttab entries and key files in /etc/dualboot/crypttab
    if [[ $kinds == *" luks"* ]]; then
        echo "rd.luks=0" > "$initdir/etc/cmdline.d/90dualboot-luks.conf"
        inst_multiple cryptsetup
        local t s k o
        eval "$("$libdir/dualboot-select" --print-config --config "$conf" --cmdline /dev/null)"
        while read -r t s k o; do
            [[ $t == \#* || -z $s ]] && continue
            [[ /dev/mapper/$t == "$DUALBOOT_SLOT_A" || /dev/mapper/$t == "$DUALBOOT_SLOT_B" ]] || continue
            echo "$t $s $k $o" >> "$initdir/etc/dualboot/crypttab"
            [[ -f $k ]] && inst_simple "$k" "$k"
        done < "${DUALBOOT_CRYPTTAB:-/etc/crypttab}"
    fi

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
        if [[ $stacked ]]; then
            # a slot on LVM, md or LUKS: the choice is made by an initqueue
            # job once udev has settled, which makes only that slot's device
            # and links /dev/dualboot-root to it (the root the image waits
            # for), instead of waiting for the default slot's device
            inst_script "$moddir/dualboot-dm.sh" /usr/lib/dualboot/dualboot-dm
            inst_multiple ln
            dracut_need_initqueue
        fi
    fi
}
