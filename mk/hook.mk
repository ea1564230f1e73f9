# mk/hook.mk - the boot hook: the static selector, its install rules and the
# VM test suite (issue 5).
#
#   make build/musl/dualboot-select   the selector (musl-gcc -static -Os)
#   make install-hook                 selector, initramfs-tools, dracut, systemd
#   make vm-test                      the QEMU suites alone (test/t/60-vm.t, 62-vm-disks.t, 64-vm-refresh.t)
#
# The record library is compiled a second time, with musl, into build/musl/:
# the same lib/*.c sources, no copies.

MUSL_CC ?= musl-gcc
# Size matters in an initramfs (target <= 64 KiB): -Os, link-time
# optimisation, unused sections dropped, no separate page for code, and no
# RELRO (its page alignment cost a whole 4 KiB page: 67,216 bytes with it,
# 63,312 without, when issues 14, 15 and 17 met; a static binary with no
# dynamic linker gains little from a read-only GOT).
HOOK_CFLAGS = -std=c11 -D_GNU_SOURCE -Os -flto -Wall -Wextra $(WERROR) -Ilib \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
HOOK_LDFLAGS = -static -s -Os -flto -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro

HOOK_LIB_OBJS = $(patsubst lib/%.c,build/musl/%.o,$(LIB_SRCS))

build/musl/%.o: lib/%.c lib/dbstate.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(HOOK_CFLAGS) -c -o $@ $<

build/musl/selector.o: hook/selector.c lib/dbstate.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(HOOK_CFLAGS) -c -o $@ $<

build/musl/dualboot-select: build/musl/selector.o $(HOOK_LIB_OBJS)
	$(MUSL_CC) $(HOOK_LDFLAGS) -o $@ $^

# Test helper of the VM harness (decodes records through lib/ only).
build/musl/dbtool.o: test/vm/dbtool.c lib/dbstate.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(HOOK_CFLAGS) -c -o $@ $<

build/musl/dbtool: build/musl/dbtool.o $(HOOK_LIB_OBJS)
	$(MUSL_CC) $(HOOK_LDFLAGS) -o $@ $^

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
all: build/musl/dualboot-select
endif

# Installed paths follow DESIGN section 7 (Debian conventions).
HOOK_LIBDIR = /usr/lib/dualboot
HOOK_ITDIR = /usr/share/initramfs-tools
HOOK_DRACUTDIR = /usr/lib/dracut/modules.d/90dualboot
HOOK_UNITDIR = /lib/systemd/system
# the hardware watchdog drop-in (issue 17), which the admin can mask in /etc
HOOK_SYSCONFDIR = /usr/lib/systemd/system.conf.d

.PHONY: install-hook
install-hook: build/musl/dualboot-select
	install -d $(DESTDIR)$(HOOK_LIBDIR) $(DESTDIR)$(HOOK_ITDIR)/hooks \
		$(DESTDIR)$(HOOK_ITDIR)/scripts/local-top $(DESTDIR)$(HOOK_DRACUTDIR) \
		$(DESTDIR)$(HOOK_UNITDIR) $(DESTDIR)/etc/dualboot
	install -m 0755 build/musl/dualboot-select $(DESTDIR)$(HOOK_LIBDIR)/dualboot-select
	install -m 0755 hook/dualboot-boot $(DESTDIR)$(HOOK_LIBDIR)/dualboot-boot
	install -m 0755 hook/dualboot-stack $(DESTDIR)$(HOOK_LIBDIR)/dualboot-stack
	install -m 0755 hook/systemd/dualboot-confirm $(DESTDIR)$(HOOK_LIBDIR)/dualboot-confirm
	install -m 0755 hook/systemd/dualboot-trial-evidence \
		$(DESTDIR)$(HOOK_LIBDIR)/dualboot-trial-evidence
	install -m 0755 hook/systemd/dualboot-report hook/systemd/dualboot-metrics \
		$(DESTDIR)$(HOOK_LIBDIR)/
	install -d $(DESTDIR)$(HOOK_SYSCONFDIR) $(DESTDIR)/etc/dualboot/health.d
	install -m 0644 hook/systemd/system.conf.d/dualboot-watchdog.conf \
		$(DESTDIR)$(HOOK_SYSCONFDIR)/60-dualboot-watchdog.conf
	install -m 0755 hook/initramfs-tools/hooks/dualboot $(DESTDIR)$(HOOK_ITDIR)/hooks/dualboot
	install -m 0755 hook/initramfs-tools/scripts/local-top/dualboot \
		$(DESTDIR)$(HOOK_ITDIR)/scripts/local-top/dualboot
	install -m 0755 hook/dracut/90dualboot/module-setup.sh \
		hook/dracut/90dualboot/dualboot-cmdline.sh \
		hook/dracut/90dualboot/dualboot-pre-mount.sh hook/dracut/90dualboot/dualboot-dm.sh \
		$(DESTDIR)$(HOOK_DRACUTDIR)/
	install -m 0644 hook/systemd/dualboot-confirm.service \
		hook/systemd/dualboot-trial-evidence.service \
		hook/systemd/dualboot-hint-sync.path hook/systemd/dualboot-hint-sync.service \
		hook/systemd/dualboot-stop-point.service \
		hook/systemd/dualboot-report.service hook/systemd/dualboot-metrics.service \
		hook/systemd/dualboot-metrics.timer \
		$(DESTDIR)$(HOOK_UNITDIR)/
	test -e $(DESTDIR)/etc/dualboot/dualboot.conf || \
		install -m 0644 hook/dualboot.conf.example $(DESTDIR)/etc/dualboot/dualboot.conf

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
install: install-hook
endif
install-tools: install-hook

# The QEMU boot suites alone, both at once (each boot is one emulated CPU).
# They build what they need (kernel extract, disk images, initramfs) under
# build/vm/ and reuse them on the next run.
.PHONY: vm-test
vm-test: build/musl/dualboot-select build/musl/dbtool build/dualbootctl
	prove -j2 --timer test/t/60-vm.t test/t/62-vm-disks.t test/t/64-vm-refresh.t

# Figures of the boot hook (not a test): bench/results/boot-*.txt.
.PHONY: bench-boot
bench-boot: build/musl/dualboot-select build/musl/dbtool
	bench/boot.sh
