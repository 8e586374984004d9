# mk/dist.mk: installing covsettle anywhere (included by the Makefile).
#
#   make deb        a Debian package from debian/ (dpkg-buildpackage), checked
#                   with lintian; the .deb and its lintian log in build/deb/
#   make dist       build/dist/covsettle-VERSION-linux-ARCH.tar.gz: a fully
#                   static binary, the man page, completions and README
#   make dist-test  both built and tested for real: the .deb installed with
#                   apt-get and purged, the static binary in an empty root,
#                   the bash completion, --help against the man page, and the
#                   sharded CI fan-in of examples/ci (part of `make test`)

DEPS += debhelper lintian dpkg-dev fakeroot busybox-static bash-completion \
	zsh fish python3-yaml

# libinotifytools 3.22 has no version call and no version macro: --version
# names the one covsettle was built with, from pkg-config or dpkg. It is read
# when help.o is built, not when make reads this file: `make demo` and `make
# test` install the library (make deps) after that. build/inotifytools.version
# keeps it and is rewritten only when it changes, which rebuilds help.o; empty
# (no such package) leaves help.c's "unknown". INOTIFYTOOLS_VERSION=... on the
# command line names another.
build/inotifytools.version: FORCE
	@mkdir -p $(@D)
	@v='$(INOTIFYTOOLS_VERSION)'; [ -n "$$v" ] || v=$$(pkg-config \
		--modversion libinotifytools 2>/dev/null || dpkg-query -W \
		-f='$${source:Upstream-Version}' libinotifytools0-dev 2>/dev/null); \
	printf '%s\n' "$$v" | cmp -s - $@ || printf '%s\n' "$$v" >$@
HELP_OBJ := build/obj/help.o build/asan/obj/help.o build/tsan/obj/help.o
$(HELP_OBJ): mk/dist.mk build/inotifytools.version
$(HELP_OBJ): ALL_CFLAGS += $$(v=$$(cat build/inotifytools.version); \
	[ -z "$$v" ] || echo "-DINOTIFYTOOLS_VERSION=\"$$v\"")
.PHONY: FORCE
# dpkg-buildflags' CPPFLAGS (-D_FORTIFY_SOURCE=2) for the package's build.
ALL_CFLAGS += $(CPPFLAGS)

# ---- completions, installed with `make install` ----

BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

.PHONY: install-completions uninstall-completions deb dist dist-test

install: install-completions
uninstall: uninstall-completions

install-completions:
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	install -m 644 completions/covsettle.bash \
		$(DESTDIR)$(BASHCOMPDIR)/covsettle
	install -m 644 completions/_covsettle $(DESTDIR)$(ZSHCOMPDIR)/_covsettle
	install -m 644 completions/covsettle.fish \
		$(DESTDIR)$(FISHCOMPDIR)/covsettle.fish

uninstall-completions:
	rm -f $(DESTDIR)$(BASHCOMPDIR)/covsettle \
		$(DESTDIR)$(ZSHCOMPDIR)/_covsettle \
		$(DESTDIR)$(FISHCOMPDIR)/covsettle.fish

# ---- make deb ----

# The package is built from a copy of the tree in build/deb/src, so that
# debian/rules clean (make clean) cannot touch this tree's build/. The .deb
# and lintian's findings end up in build/deb/.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_SRC := build/deb/src/covsettle-$(VERSION)
LINTIAN := lintian --info --pedantic --fail-on error,warning,info,pedantic

deb: deps
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	[ "$$v" = "$(VERSION)" ] || { echo "make deb: debian/changelog" \
		"says $$v, the Makefile $(VERSION)"; exit 1; }
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git --exclude=__pycache__ . | \
		tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }
	cp build/deb/src/covsettle_$(VERSION)_$(DEB_ARCH).deb \
		build/deb/src/covsettle_$(VERSION)_$(DEB_ARCH).changes build/deb/
	$(LINTIAN) build/deb/src/covsettle_$(VERSION)_$(DEB_ARCH).changes \
		>build/deb/lintian.log 2>&1 || { cat build/deb/lintian.log; exit 1; }
	@echo "make deb: build/deb/covsettle_$(VERSION)_$(DEB_ARCH).deb," \
		"lintian: $$(grep -c '^[EWIPX]:' build/deb/lintian.log) tags"

# ---- make dist ----

# A fully static binary: glibc, libinotifytools and SQLite from Debian's .a
# files. The linker warns that SQLite's unixDlOpen calls dlopen: that is
# only reached through load_extension(), which covsettle never enables, so
# the binary needs no shared library at run time (tests/dist runs it in an
# empty root). covsettle calls no NSS function (getpwnam, getaddrinfo).
DIST_ARCH = $(shell uname -m)
DIST_NAME = covsettle-$(VERSION)-linux-$(DIST_ARCH)
DIST_TAR = build/dist/$(DIST_NAME).tar.gz
STATIC_LDLIBS := -static -linotifytools -lsqlite3 -lm -pthread
# The tarball's files get the last commit's time, so that it is reproducible.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

build/dist/covsettle: $(OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -s -o $@ $(OBJ) $(LDFLAGS) $(STATIC_LDLIBS)

# From a fresh machine: make deps installs the -dev packages first.
dist: deps
	@$(MAKE) --no-print-directory $(DIST_TAR)

$(DIST_TAR): build/dist/covsettle man/covsettle.1 README.md \
		$(wildcard completions/*)
	rm -rf build/dist/$(DIST_NAME)
	install -D -m 755 build/dist/covsettle \
		build/dist/$(DIST_NAME)/bin/covsettle
	install -D -m 644 man/covsettle.1 \
		build/dist/$(DIST_NAME)/share/man/man1/covsettle.1
	install -D -m 644 completions/covsettle.bash \
		build/dist/$(DIST_NAME)/share/bash-completion/completions/covsettle
	install -D -m 644 completions/_covsettle \
		build/dist/$(DIST_NAME)/share/zsh/site-functions/_covsettle
	install -D -m 644 completions/covsettle.fish \
		build/dist/$(DIST_NAME)/share/fish/vendor_completions.d/covsettle.fish
	install -m 644 README.md build/dist/$(DIST_NAME)/README.md
	tar -C build/dist --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@$(SOURCE_DATE_EPOCH) -cf - $(DIST_NAME) | \
		gzip -9n >$@.tmp && mv $@.tmp $@
	@echo "make dist: $@"

# ---- make dist-test (part of make test) ----

dist-test: deb dist build/covsettle
	COVSETTLE=$(CURDIR)/build/covsettle \
		DIST_DEB=$(CURDIR)/build/deb/covsettle_$(VERSION)_$(DEB_ARCH).deb \
		DIST_TAR=$(CURDIR)/$(DIST_TAR) \
		$(PYTEST) -q -p no:cacheprovider tests/dist
