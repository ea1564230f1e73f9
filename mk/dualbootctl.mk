# mk/dualbootctl.mk - dualbootctl, the administrator's tool (issue 2,
# DESIGN sections 4.3 and 7).
#
#   make build/dualbootctl        the tool (glibc, dynamically linked)
#   make build/asan/dualbootctl   the same with AddressSanitizer + UBSan (tests)
#   make install-dualbootctl      /usr/sbin/dualbootctl and its man page
#
# The record library is compiled in from lib/*.c: the same sources as the
# extension and the selector, no copies. Firmware mode (`dualbootctl efi`,
# issue 7: hook/dualbootctl_efi.c + hook/efi.c, flags EFI_CFLAGS/EFI_LIBS
# from mk/efi.mk) is linked in when its source is present.

CTL_CC ?= cc
CTL_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra $(WERROR) -Ilib -Ihook
CTL_SRCS = hook/dualbootctl.c hook/dualbootctl_refresh.c hook/dualbootctl_snapshot.c
CTL_LIBS =
ifeq ($(words $(wildcard hook/dualbootctl_efi.c hook/efi.c mk/efi.mk)),3)
CTL_SRCS += hook/dualbootctl_efi.c hook/efi.c
CTL_CFLAGS += -DDUALBOOTCTL_EFI $(EFI_CFLAGS)
CTL_LIBS += $(EFI_LIBS)
endif
# What happened (issue 17): outcome, metrics, journal; the journal through
# libsystemd when its development files are there (libsystemd-dev).
CTL_SRCS += hook/dualbootctl_outcome.c hook/dualbootctl_metrics.c hook/dualbootctl_journal.c
CTL_JOURNAL_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null)
ifneq ($(CTL_JOURNAL_LIBS),)
CTL_CFLAGS += -DDUALBOOTCTL_JOURNAL $(shell pkg-config --cflags libsystemd)
CTL_LIBS += $(CTL_JOURNAL_LIBS)
endif
# Portable rehearsal certificates (issue 19): JSON through json-c (libjson-c-dev).
CTL_SRCS += hook/dualbootctl_rehearsal.c
CTL_CFLAGS += $(shell pkg-config --cflags json-c)
CTL_LIBS += $(shell pkg-config --libs json-c)
CTL_DEPS = $(CTL_SRCS) hook/dualbootctl_rehearsal.h hook/dualbootctl_observe.h lib/outcome.h $(wildcard hook/dualbootctl_efi.h hook/efi.h hook/dualbootctl_refresh.h hook/dualbootctl_snapshot.h lib/isolation.h) $(LIB_SRCS) lib/dbstate.h
# Distribution build flags (hardening): debian/rules passes dpkg-buildflags'.
CTL_DIST_FLAGS ?=
CTL_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

build/dualbootctl: $(CTL_DEPS)
	@mkdir -p $(@D)
	$(CTL_CC) $(CTL_CFLAGS) $(CTL_DIST_FLAGS) -o $@ $(CTL_SRCS) $(LIB_SRCS) $(CTL_LIBS)

build/asan/dualbootctl: $(CTL_DEPS)
	@mkdir -p $(@D)
	$(CTL_CC) $(CTL_CFLAGS) -O1 $(CTL_SAN) -o $@ $(CTL_SRCS) $(LIB_SRCS) $(CTL_LIBS)

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
all: build/dualbootctl
endif

CTL_SBINDIR = /usr/sbin
CTL_MANDIR = /usr/share/man/man8

.PHONY: install-dualbootctl
install-dualbootctl: build/dualbootctl
	install -d $(DESTDIR)$(CTL_SBINDIR) $(DESTDIR)$(CTL_MANDIR)
	install -m 0755 build/dualbootctl $(DESTDIR)$(CTL_SBINDIR)/dualbootctl
	install -m 0644 hook/dualbootctl.8 $(DESTDIR)$(CTL_MANDIR)/dualbootctl.8

ifneq ($(filter tools,$(DUALBOOT_PARTS)),)
install: install-dualbootctl
endif
install-tools: install-dualbootctl

# The dualbootctl suite alone (also part of `make test`).
.PHONY: ctl-test
ctl-test: build/dualbootctl build/asan/dualbootctl
	prove --timer test/t/20-dualbootctl.t

# Figures (not a test): bench/results/dualbootctl.txt.
.PHONY: bench-dualbootctl
bench-dualbootctl: build/dualbootctl
	bench/dualbootctl.sh

# `make bench-refresh`: dualbootctl refresh against cp -a of the same data
# directory (issue 15); SIZES_MB and RUNS as bench/refresh.sh says. Figures
# (not a test): bench/results/refresh-<size>MB.txt.
.PHONY: bench-refresh
bench-refresh: build/dualbootctl
	bench/refresh.sh

# `make bench-refresh-snapshot`: refresh by LVM thin snapshot against cp -a,
# inside 64-vm-refresh.t's QEMU guest (ROWS as bench/refresh-snapshot.sh
# says). Figures: bench/results/refresh-snapshot-<size>MB.txt.
.PHONY: bench-refresh-snapshot
bench-refresh-snapshot: build/dualbootctl
	bench/refresh-snapshot.sh
