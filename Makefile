# dualboot: PGXS build of the PostgreSQL extension plus the C tools.
#
#   make              build the extension, dualbootctl and the selector
#   make install      install everything (honours DESTDIR)
#   make test         install needed Debian packages (as root), build, run every test
#   make demo         run the simulated dual-boot machine
#
# Fragments in mk/ add the tools, tests and demo; each owns its targets.

PG_CONFIG ?= pg_config

# What `make`/`make install` cover: the extension (built per PostgreSQL major)
# and the tools (dualbootctl, selector, hook, units; one build). The Debian
# packaging builds them separately: DUALBOOT_PARTS=extension per major, then
# `make install-tools` once (debian/rules).
DUALBOOT_PARTS ?= extension tools

EXTENSION = dualboot
MODULE_big = dualboot
# The record library is compiled into the extension from lib/: one source,
# no copies.
LIB_SRCS = $(sort $(wildcard lib/*.c))
EXT_SRCS = $(sort $(wildcard extension/*.c))
OBJS = $(EXT_SRCS:.c=.o) $(LIB_SRCS:.c=.o)
PG_CPPFLAGS = -Ilib
PG_CFLAGS = -std=gnu11 $(WERROR)

# The install script of the current version (default_version of the control
# file) is assembled from extension/sql/*.sql pieces (in name order) so that
# each part of the API keeps its SQL next to its C file. Older versions'
# install scripts are kept as released (extension/dualboot--1.0.sql), and
# every step between versions has an update script (dualboot--OLD--NEW.sql).
EXT_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" extension/dualboot.control)
DATA_built = extension/dualboot--$(EXT_VERSION).sql
DATA = $(wildcard extension/dualboot--*--*.sql) extension/dualboot--1.0.sql

# pg_regress suite: every sql/*.sql, in name order.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress

EXTRA_CLEAN = build $(DATA_built)

PGXS := $(wildcard $(shell $(PG_CONFIG) --pgxs 2>/dev/null))

ifeq ($(PGXS),)
# A new machine has no server headers yet, so PGXS cannot be read: `make test`
# and `make demo` install the Debian packages first, then start again.
.PHONY: test demo deps all install
test demo:
ifeq ($(DUALBOOT_DEPS_DONE),)
	tools/deps.sh $@
	$(MAKE) DUALBOOT_DEPS_DONE=1 $@
else
	@echo "dualboot: pg_config --pgxs still finds no PGXS after installing packages" >&2; exit 2
endif
deps:
	tools/deps.sh
all install:
	@echo "dualboot: PostgreSQL server headers missing: run \"make deps\" as root" >&2; exit 2
else
include $(PGXS)

# PGXS tracks no header dependencies (Debian's server is built without
# --enable-depend): every object follows every header of ours, so a changed
# struct (the record's, db_state) never meets an object compiled against the
# old one (a stack smash in the connection hook after an incremental build)
$(OBJS): $(wildcard lib/*.h extension/*.h)

$(DATA_built): $(sort $(wildcard extension/sql/*.sql))
	cat $^ > $@

# CI and `make test` pass WERROR=-Werror; plain builds only warn.
WERROR ?=
override CFLAGS += -Wall -Wextra

.PHONY: deps install-tools
deps:
	tools/deps.sh

-include $(sort $(wildcard mk/*.mk))
endif
