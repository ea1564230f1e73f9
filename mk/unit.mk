# mk/unit.mk - unit tests, sanitizer build and fuzzer of the record library
# (issue 2). Everything is built from the same lib/*.c sources into build/unit/.
#
#   make unit-build   build/unit/unit (plain), build/unit/unit-san (ASan+UBSan)
#                     and build/unit/fuzz-record (libFuzzer, when clang has it)
#   make unit         build and run the suite as `make test` does (test/t/05-unit.t)
#
# build/unit/unit runs every group, or the named ones (lifecycle boot text
# powerloss files concurrency parsers current); `build/unit/unit --corpus DIR` writes
# the fuzzer's seed corpus.

UNIT_SRCS = $(sort $(wildcard test/unit/*.c))
UNIT_DEPS = $(UNIT_SRCS) test/unit/unit.h $(LIB_SRCS) lib/dbstate.h lib/isolation.h
UNIT_CC ?= cc
UNIT_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra $(WERROR) -Ilib -Itest/unit
# the power-loss test journals the library's writes and injects I/O errors
# (test/unit/test_powerloss.c)
UNIT_LDFLAGS = -Wl,--wrap=pwrite -Wl,--wrap=fdatasync
# clang when present (its sanitizer runtime is the one the fuzzer uses), else cc
UNIT_SAN_CC ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)
UNIT_SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CC ?= clang
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

build/unit/unit: $(UNIT_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS) $(LIB_SRCS) $(UNIT_LDFLAGS)

build/unit/unit-san: $(UNIT_DEPS)
	@mkdir -p $(@D)
	$(UNIT_SAN_CC) $(UNIT_CFLAGS) -O1 $(UNIT_SAN_FLAGS) -o $@ $(UNIT_SRCS) $(LIB_SRCS) $(UNIT_LDFLAGS)

build/unit/fuzz-record: test/fuzz/fuzz_record.c $(LIB_SRCS) lib/dbstate.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(UNIT_CFLAGS) -O1 $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_record.c $(LIB_SRCS)

.PHONY: unit-build unit
unit-build: build/unit/unit build/unit/unit-san build/unit/fuzz-record

unit:
	prove --timer test/t/05-unit.t
