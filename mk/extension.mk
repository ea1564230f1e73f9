# mk/extension.mk - build flags of the PostgreSQL extension (issue 3).
#
# The server headers are included as system headers: -Wextra (added by the
# top Makefile) otherwise warns inside them (unused parameters of inline
# functions, sign comparisons), and WERROR=-Werror would then fail the
# build of every extension file on code that is not ours. A directory given
# with both -I and -isystem is searched as a system directory.
override CPPFLAGS += -isystem $(includedir_server)

# PGXS installs $(EXTENSION).control from the top folder; the source lives
# next to the C files in extension/.
dualboot.control: extension/dualboot.control
	cp $< $@

# The extension alone (control file, install script, module), honouring
# DESTDIR: test/t/20-regress.t installs it into a scratch folder that the
# throw-away cluster reads through Debian's extension_destdir setting, so
# the suite needs neither root nor a writable server installation.
.PHONY: install-extension
install-extension: $(shlib) dualboot.control $(DATA_built)
	$(MKDIR_P) '$(DESTDIR)$(datadir)/extension' '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_DATA) dualboot.control $(DATA_built) $(DATA) '$(DESTDIR)$(datadir)/extension/'
	$(INSTALL_SHLIB) $(shlib) '$(DESTDIR)$(pkglibdir)/'
EXTRA_CLEAN += dualboot.control
