#!/bin/sh
# dracut pre-mount hook of dualboot (sourced by init after the initqueue,
# before rootfs-block's mount hook). Runs the shared boot-time script, which
# reads and updates the record and leaves /run/dualboot/booted, then points
# $root at the chosen slot. On any failure $root stays on the default stable
# slot set by the cmdline hook.
# (a slot on LVM, md or LUKS: the initqueue job chose already and linked
# /dev/dualboot-root, the root)
if [ -x /usr/lib/dualboot/dualboot-boot ] && [ ! -L /dev/dualboot-root ]; then
    DUALBOOT_ROOT=""
    eval "$(/usr/lib/dualboot/dualboot-boot)"
    if [ -n "$DUALBOOT_ROOT" ]; then
        root="block:$(label_uuid_to_dev "$DUALBOOT_ROOT")"
        export root
    fi
fi
