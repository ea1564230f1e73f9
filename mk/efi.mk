# mk/efi.mk - firmware mode (issue 7): the libefivar/libefiboot flags for
# dualbootctl's `efi` command (hook/efi.c, hook/dualbootctl_efi.c), the test
# helpers of test/t/70-efi.t, and the systemd units.
#
#   EFI_CFLAGS / EFI_LIBS   compile and link flags (pkg-config efivar efiboot;
#                           libefivar is only a private dependency of
#                           libefiboot, so both are named)
#   make efi-test           test/t/70-efi.t alone
#
# Debian: libefivar-dev libefiboot-dev (tools/deps.sh installs them).

EFI_CFLAGS := $(shell pkg-config --cflags efivar efiboot 2>/dev/null)
EFI_LIBS := $(shell pkg-config --libs efivar efiboot 2>/dev/null)

EFI_TOOL_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra $(WERROR) -Ilib -Ihook \
	$(EFI_CFLAGS)
EFI_SRCS = hook/efi.c hook/dualbootctl_efi.c
EFI_HDRS = hook/efi.h hook/dualbootctl_efi.h lib/dbstate.h

# Test helpers, built with the record library's sources (no copies).
build/efi/efitool: test/efi/efitool.c $(EFI_SRCS) $(LIB_SRCS) $(EFI_HDRS)
	@pkg-config --exists efivar efiboot || { echo "mk/efi.mk: libefivar-dev and" \
		"libefiboot-dev are needed (run \"make deps\" as root)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(EFI_TOOL_CFLAGS) -o $@ test/efi/efitool.c $(EFI_SRCS) $(LIB_SRCS) $(EFI_LIBS)

build/efi/plan_test: test/efi/plan_test.c hook/efi.c $(LIB_SRCS) $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EFI_TOOL_CFLAGS) -o $@ test/efi/plan_test.c hook/efi.c $(LIB_SRCS) $(EFI_LIBS)

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
all: build/efi/efitool build/efi/plan_test
endif

EFI_UNITDIR = /lib/systemd/system
EFI_LIBDIR = /usr/lib/dualboot
EFI_ITDIR = /usr/share/initramfs-tools
EFI_DRACUTDIR = /usr/lib/dracut/modules.d/91dualboot-efi

# systemd units of `efi sync`; the boot-time BootCurrent cross-check and its
# initramfs-tools hook and local-bottom script (inert without efi_a=/efi_b=),
# and the dracut module dualboot-efi (included only on request).
.PHONY: install-efi efi-test
install-efi:
	install -d $(DESTDIR)$(EFI_UNITDIR) $(DESTDIR)$(EFI_LIBDIR) $(DESTDIR)$(EFI_ITDIR)/hooks \
		$(DESTDIR)$(EFI_ITDIR)/scripts/local-bottom $(DESTDIR)$(EFI_DRACUTDIR)
	install -m 0644 hook/systemd/dualboot-efi-sync.path \
		hook/systemd/dualboot-efi-sync.service \
		hook/systemd/dualboot-efi-sync-shutdown.service $(DESTDIR)$(EFI_UNITDIR)/
	install -m 0755 hook/dualboot-efi-check $(DESTDIR)$(EFI_LIBDIR)/dualboot-efi-check
	install -m 0755 hook/initramfs-tools/hooks/dualboot-efi $(DESTDIR)$(EFI_ITDIR)/hooks/dualboot-efi
	install -m 0755 hook/initramfs-tools/scripts/local-bottom/dualboot-efi \
		$(DESTDIR)$(EFI_ITDIR)/scripts/local-bottom/dualboot-efi
	install -m 0755 hook/dracut/91dualboot-efi/module-setup.sh \
		hook/dracut/91dualboot-efi/dualboot-efi-pre-pivot.sh $(DESTDIR)$(EFI_DRACUTDIR)/

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
install: install-efi
endif
install-tools: install-efi

efi-test: build/efi/efitool build/efi/plan_test
	prove --timer test/t/70-efi.t
