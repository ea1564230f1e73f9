# mk/pg-matrix.mk - the SQL suites on every PostgreSQL major (issue 18).
#
# `make pg-builds` builds PostgreSQL 17, 18 and 19 from Debian's source
# packages into build/pg/<major>/ (cached; tools/build-pg.sh), and
# `make pg-matrix` runs the extension's server suites against 15 (Debian
# 12's server) and each built major: one line per major, PostgreSQL <major>:
# PASS or FAIL (tools/pg-matrix.sh).
PG_MATRIX_BUILD ?= 17 18 19

.PHONY: pg-builds pg-matrix
pg-builds:
	tools/deps.sh pg-matrix
	tools/build-pg.sh $(PG_MATRIX_BUILD)

pg-matrix:
	tools/pg-matrix.sh
