# mk/hardening.mk: fuzzing, valgrind, ThreadSanitizer and static analysis
# (included by the Makefile). `make test` runs static, and through
# asan-test fuzz-regress (the fuzz seeds and crashers replayed under
# ASan/UBSan with $(CC)) and tsan; fuzz and valgrind run only when asked.
#
#   make fuzz          each libFuzzer harness for FUZZ_TIME seconds (clang)
#   make fuzz-regress  replay fuzz/seeds, fixtures/ and fixtures/crashers
#   make tsan          system tests with many files under ThreadSanitizer
#   make valgrind      the system tests with covsettle under memcheck
#   make static        cppcheck and clang-tidy, with the committed configs
#
# A crash found by `make fuzz` is left in build/fuzz/ as crash-<sha1>: copy
# it to fixtures/crashers/<harness>/ with the fix (see fuzz/README.md).

# Installed by the targets that need them (through `make deps`), so that
# `make test` installs none of them.
HARDENING_DEPS := clang libclang-rt-14-dev cppcheck clang-tidy valgrind
hardening-deps: DEPS += $(HARDENING_DEPS)
hardening-deps: DEPS_THEN :=
hardening-deps: deps

FUZZ_CC := clang
FUZZ_TIME ?= 60
FUZZERS := check parse cli sqlfile
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g $(SAN) -MMD -MP
FUZZ_OBJ := $(LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZERS:%=build/fuzz/fuzz_%)
# libFuzzer options: inputs up to 64 KiB hold the 53 KiB fixtures.
FUZZ_OPTS := -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1
# Seeds: read-only directories after the working corpus.
FUZZ_SEEDS_check := fuzz/seeds/check fixtures/data fixtures/crashers/check
FUZZ_SEEDS_parse := fuzz/seeds/parse fixtures/crashers/parse
FUZZ_SEEDS_cli := fuzz/seeds/cli fixtures/crashers/cli
FUZZ_SEEDS_sqlfile := fuzz/seeds/sqlfile fixtures/data fixtures/crashers/sqlfile

REGRESS_BIN := $(FUZZERS:%=build/asan/fuzz_%)

# The wrapper names valgrind by its full path: some tests empty $PATH.
VALGRIND_OPTS := --tool=memcheck -q --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect --child-silent-after-fork=yes \
	--suppressions=$(CURDIR)/mk/valgrind.supp \
	--log-file=$(CURDIR)/build/valgrind/log/%p.log

STATIC_SRC := $(SRC) tests/inject/noinotify.c $(wildcard fuzz/*.c)
CPPCHECK := cppcheck --quiet --error-exitcode=1 --std=c11 --language=c \
	--enable=warning,style,performance,portability \
	--inline-suppr --suppressions-list=.cppcheck-suppressions \
	$(filter-out -std=%,$(STD)) $(DEFS) \
	--library=posix --platform=unix64
TIDY := clang-tidy --quiet

.PHONY: fuzz fuzz-build fuzz-regress tsan valgrind static cppcheck tidy \
	hardening-deps

# ---- fuzzing (clang, libFuzzer) ----

fuzz-build: $(FUZZ_BIN)

build/fuzz/obj/%.o: src/%.c | hardening-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ) | hardening-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) \
		$(LDLIBS)

# Replay the crashers first (a regression stops here), then fuzz each
# harness in turn, one process at a time.
fuzz: $(FUZZ_BIN)
	@set -e; $(foreach f,$(FUZZERS),\
		mkdir -p build/fuzz/corpus/$(f); \
		$(if $(wildcard fixtures/crashers/$(f)/*),\
		build/fuzz/fuzz_$(f) \
			$(wildcard fixtures/crashers/$(f)/*);) )
	@set -e; $(foreach f,$(FUZZERS),\
		echo "make fuzz: fuzz_$(f) for $(FUZZ_TIME)s"; \
		(cd build/fuzz && ./fuzz_$(f) $(FUZZ_OPTS) \
			$(if $(wildcard fuzz/$(f).dict),-dict=$(CURDIR)/fuzz/$(f).dict) \
			corpus/$(f) \
			$(addprefix $(CURDIR)/,$(wildcard $(FUZZ_SEEDS_$(f))))); )

# ---- the same harnesses without libFuzzer, under ASan/UBSan ----

build/asan/fuzz_%: fuzz/fuzz_%.c fuzz/driver.c $(SAN_LIB_OBJ) \
		$(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(SAN) -o $@ \
		fuzz/fuzz_$*.c fuzz/driver.c $(SAN_LIB_OBJ) $(LDFLAGS) $(LDLIBS)

# The seeds and crashers replay with every `make asan-test` (so `make
# test`): cheap (under a second), and no tool beyond $(CC).
asan-test: fuzz-regress

fuzz-regress: $(REGRESS_BIN)
	@set -e; $(foreach f,$(FUZZERS),\
		ASAN_OPTIONS=detect_leaks=1 build/asan/fuzz_$(f) \
			$(wildcard $(FUZZ_SEEDS_$(f))) >/dev/null;)

# ---- ThreadSanitizer over what runs on several threads ----

# covsettle under ThreadSanitizer on the system tests with many files:
# check, wait and gather on 1, 2 and 4 threads. The Criterion unit tests
# cannot run under it: Criterion aborts at start ("Could not initialize
# inheritable arena", Snaipe/Criterion#274). SQLite is not instrumented;
# its mutexes are intercepted, so its connections are seen as ordered.
TSAN := -fsanitize=thread -fno-omit-frame-pointer
TSAN_OBJ := $(SRC:src/%.c=build/tsan/obj/%.o)
TSAN_SYSTEM := many or big

build/tsan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSAN) -c -o $@ $<

build/tsan/covsettle: $(TSAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(TSAN) -o $@ $(TSAN_OBJ) $(LDFLAGS) $(LDLIBS)

asan-test: tsan

tsan: build/tsan/covsettle
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		COVSETTLE=$(CURDIR)/build/tsan/covsettle \
		COVSETTLE_MATRIX="$${COVSETTLE_MATRIX:-$(SAN_MATRIX)}" \
		$(PYTEST) -q -p no:cacheprovider -k '$(TSAN_SYSTEM)' tests/system

# ---- valgrind memcheck over the system tests ----

build/valgrind/covsettle: build/covsettle mk/hardening.mk
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s %s %s "$$@"\n' "$$(command -v valgrind)" \
		"$(VALGRIND_OPTS)" "$(CURDIR)/build/covsettle" >$@
	chmod 755 $@

# Deselected: 20,000 data files, each checked under memcheck, do not fit
# the test's 5 minutes (test_wait.py's 16,884-file overflow test runs).
# valgrind 3.19 does not know pidfd_open(2) (syscall 434) and says so in
# the log; that warning is not an error (covsettle then polls for a
# writer's exit, as on kernels without it).
VALGRIND_SKIP := not twenty_thousand
VALGRIND_NOISE := -e 'unhandled amd64-linux syscall: 434' \
	-e 'You may be able to write your own handler' \
	-e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider' \
	-e 'valgrind.org/support/bug_reports'

valgrind: hardening-deps build/valgrind/covsettle build/noinotify.so
	rm -rf build/valgrind/log && mkdir -p build/valgrind/log
	chmod 1777 build/valgrind/log # some tests run covsettle as nobody
	COVSETTLE=$(CURDIR)/build/valgrind/covsettle \
		COVSETTLE_MATRIX="$${COVSETTLE_MATRIX:-$(SAN_MATRIX)}" $(PYTEST) -q \
		-p no:cacheprovider -k '$(VALGRIND_SKIP)' tests/system
	@cd build/valgrind/log && bad=$$(for f in *.log; do \
		grep -qv $(VALGRIND_NOISE) "$$f" && echo $$f; done); \
	if [ -n "$$bad" ]; then cat $$bad; \
		echo "make valgrind: errors in $$bad"; exit 1; fi; \
	echo "make valgrind: $$(ls | wc -l) runs of covsettle," \
		"no memcheck error, no definite or indirect leak"

# ---- static analysis ----

static: cppcheck tidy

cppcheck tidy: | hardening-deps

cppcheck:
	$(CPPCHECK) $(STATIC_SRC)

# One file per run: see .clang-tidy.
tidy:
	@mkdir -p build
	@for f in $(STATIC_SRC); do echo "clang-tidy $$f"; \
		$(TIDY) $$f -- $(STD) $(DEFS) 2>build/tidy.err || \
		{ grep -v 'warnings generated' build/tidy.err; exit 1; }; done

.SECONDARY: $(FUZZ_OBJ)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d) $(TSAN_OBJ:.o=.d)
