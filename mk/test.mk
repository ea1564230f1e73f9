# `make test`: install what is missing (as root), build with -Werror, run
# every suite under test/t/ with prove (TAP). Each *.t is one suite.
.PHONY: test
test:
	tools/deps.sh
	$(MAKE) WERROR=-Werror all
	prove --timer test/t/
