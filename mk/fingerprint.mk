# mk/fingerprint.mk - the schema fingerprint (issue 4).
#
# PGXS does not track header dependencies: rebuild every fingerprint object
# when its shared headers change (the structs in fingerprint_int.h are laid
# out differently otherwise, and a stale object would read garbage).
FINGERPRINT_OBJS = $(patsubst %.c,%.o,$(wildcard extension/fingerprint*.c))
$(FINGERPRINT_OBJS): extension/fingerprint_int.h extension/fingerprint.h extension/pg_compat.h

# `make bench-fingerprint`: the benchmark of docs/benchmarks.md (not a test).
.PHONY: bench-fingerprint
bench-fingerprint:
	bench/fingerprint.sh

# fingerprint.c hashes through OpenSSL's EVP directly when the server was
# built with OpenSSL (USE_OPENSSL): link libcrypto as the server does.
ifneq ($(filter -lcrypto,$(shell $(PG_CONFIG) --libs)),)
SHLIB_LINK += -lcrypto
endif

# `make fingerprint-diff-long`: the differential test of
# test/t/41-fingerprint-diff.t with more seeds and longer histories; its
# figures go to bench/results/fingerprint-diff-long.txt (docs/fingerprint.md).
.PHONY: fingerprint-diff-long
fingerprint-diff-long: all
	FPDIFF_SEEDS=$${FPDIFF_SEEDS:-1,2,3,4,5,6,7,8,9,10} FPDIFF_STEPS=$${FPDIFF_STEPS:-80} \
		FPDIFF_SUMMARY=$(CURDIR)/bench/results/fingerprint-diff-long.txt prove -v test/t/41-fingerprint-diff.t
