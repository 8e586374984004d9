# Makefile: covsettle. `make test` is the whole check from a fresh machine:
# it installs what is missing (make deps: Debian packages, and a venv per
# pinned coverage.py of the version matrix, mk/matrix.mk), builds, checks
# the format and the man page (lint), runs cppcheck and clang-tidy
# (static), the unit, system and example tests on each coverage.py, the
# container tests (podman: mk/containers.mk), then the unit and system
# tests again under AddressSanitizer and UBSan (on the
# oldest and newest coverage.py, 6.5 and 7.17.5: SAN_MATRIX in
# mk/matrix.mk) with the fuzz seeds replayed, and the many-file system
# tests under ThreadSanitizer (asan-test: see mk/hardening.mk).
# COVSETTLE_MATRIX picks the coverage.py versions for any run.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
VERSION := 0.1.0
# The flags every compiler and analyser run on covsettle's sources takes,
# spelled once: mk/*.mk build on them.
STD := -std=c11 -D_GNU_SOURCE
DEFS := -DVERSION='"$(VERSION)"' -Iinclude
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror
CFLAGS ?= -O2 -g
BASE_CFLAGS := $(STD) $(DEFS) -pthread $(WARN)
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS := -linotifytools -lsqlite3 -pthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

PY := /usr/bin/python3
PYTEST := $(PY) -m pytest

SRC := $(wildcard src/*.c)
LIB_SRC := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(wildcard tests/unit/*.c)

OBJ := $(SRC:src/%.c=build/obj/%.o)
SAN_OBJ := $(SRC:src/%.c=build/asan/obj/%.o)
LIB_OBJ := $(LIB_SRC:src/%.c=build/obj/%.o)
SAN_LIB_OBJ := $(LIB_SRC:src/%.c=build/asan/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=build/obj/unit/%.o)
SAN_UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=build/asan/obj/unit/%.o)

# Debian packages: to build, to test, and what the tests run for real.
DEPS := gcc make libinotifytools0-dev inotify-tools libsqlite3-dev sqlite3 \
	libcriterion-dev python3-coverage python3-pytest mandoc clang-format strace

.PHONY: all deps test unit system asan-test lint demo install uninstall \
	clean fixtures

.DEFAULT_GOAL := all

# Setups, benchmarks and hardening add their targets (and DEPS) here.
-include mk/*.mk

all: build/covsettle

build/covsettle: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LDFLAGS) $(LDLIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFIXTURES='"$(CURDIR)/fixtures/data"' -c -o $@ $<

build/unit: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcriterion

build/asan/covsettle: $(SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(SAN_OBJ) $(LDFLAGS) $(LDLIBS)

build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/asan/obj/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -DFIXTURES='"$(CURDIR)/fixtures/data"' \
		-c -o $@ $<

build/asan/unit: $(SAN_UNIT_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcriterion

# Install what is missing, then build what mk/*.mk add to DEPS_THEN (the
# coverage.py venvs of mk/matrix.mk); quiet and quick when everything is there.
deps:
	@missing=$$(for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	$(if $(DEPS_THEN),@$(MAKE) --no-print-directory $(DEPS_THEN))

unit: build/unit
	build/unit --jobs 2

# Where the system tests find the library that fakes inotify's limits.
export COVSETTLE_NOINOTIFY := $(CURDIR)/build/noinotify.so

# Two pytest workers (pytest-xdist): the system tests mostly wait on
# events and windows, so two at once halve the run (15 to 8 minutes on 2
# cores) and keep `make test` within its 30; each test gives a loaded
# machine margin. The sanitizer reruns stay one at a time.
system: build/covsettle build/noinotify.so build/combine-tool
	COVSETTLE=$(CURDIR)/build/covsettle $(PYTEST) -q -p no:cacheprovider \
		-n 2 tests/system

asan-test: build/asan/covsettle build/asan/unit build/noinotify.so build/combine-tool
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 build/asan/unit --jobs 2
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		COVSETTLE=$(CURDIR)/build/asan/covsettle \
		COVSETTLE_MATRIX="$${COVSETTLE_MATRIX:-$(SAN_MATRIX)}" \
		$(PYTEST) -q -p no:cacheprovider tests/system

FORMATTED := $(wildcard src/*.c include/*.h tests/unit/*.c tests/inject/*.c \
	tests/tools/*.c \
	fuzz/*.c)

lint:
	mandoc -T lint -W warning man/covsettle.1
	clang-format --style=file --dry-run -Werror $(FORMATTED)

test: deps
	$(MAKE) all build/unit
	$(MAKE) lint static unit system examples-test dist-test wheel-test ci-lint \
		containers-test
	$(MAKE) asan-test

# Data files from the real coverage.py, then wait and check on them.
demo: deps all
	@sh examples/demo.sh

fixtures:
	fixtures/make-fixtures.sh

install: build/covsettle
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 build/covsettle $(DESTDIR)$(BINDIR)/covsettle
	install -m 644 man/covsettle.1 $(DESTDIR)$(MANDIR)/man1/covsettle.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/covsettle $(DESTDIR)$(MANDIR)/man1/covsettle.1

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(SAN_UNIT_OBJ:.o=.d)

build/noinotify.so: tests/inject/noinotify.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<
