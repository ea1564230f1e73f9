#!/bin/sh
# dracut cmdline hook of dualboot (priority 20: after root= is parsed, before
# rootfs-block turns root into a block device to wait for).
#
# Non-systemd image: the udev-less cmdline stage cannot read the state
# partition yet, so root is set to the configured default stable slot: that
# is the device the initqueue waits for, and the boot that happens if anything
# later fails. The pre-mount hook makes the real choice.
#
# systemd-based image (dualboot-dm present): root is /dev/mapper/dualboot-root
# from /etc/cmdline.d; queue the job that creates it once udev has settled.
# Non-systemd image with a slot on LVM, md or LUKS (dualboot-dm present, no
# root in /etc/cmdline.d): root is /dev/dualboot-root, a link the job makes.
if [ -x /usr/lib/dualboot/dualboot-dm ] && [ ! -e /etc/cmdline.d/90dualboot.conf ]; then
    # non-systemd image, a slot on LVM, md or LUKS: wait for no slot's device
    # here (that would make the default slot's); the job makes the chosen
    # one and links /dev/dualboot-root to it
    # shellcheck disable=SC2034 # read by init and rootfs-block
    root=/dev/dualboot-root
    /sbin/initqueue --settled --onetime --unique --name dualboot-root \
        /usr/lib/dualboot/dualboot-dm --link
elif [ -x /usr/lib/dualboot/dualboot-dm ]; then
    case " $(cat /proc/cmdline) " in
    *" root="*)
        echo "<4>dualboot: root= on the kernel command line takes precedence over" \
            "the slot choice; remove it" > /dev/kmsg ;;
    esac
    /sbin/initqueue --settled --onetime --unique --name dualboot-root \
        /usr/lib/dualboot/dualboot-dm
elif [ -x /usr/lib/dualboot/dualboot-select ]; then
    eval "$(/usr/lib/dualboot/dualboot-select --print-config)"
    if [ -n "$DUALBOOT_DEFAULT_ROOT" ]; then
        # shellcheck disable=SC2034 # read by init and rootfs-block
        root=$DUALBOOT_DEFAULT_ROOT
    fi
fi
