# bench.mk: `make bench` (bench/README.md), never part of `make test`. BENCH_QUICK=1 for
# a short run; BENCH_ITEMS="settle check" for some items (settle idle check gather scale seed
# restart combine); COVSETTLE=PATH for another binary.
DEPS += gunicorn python3-flask

BENCH_QUICK ?=
BENCH_ITEMS ?=

.PHONY: bench
bench: build/covsettle build/combine-tool build/sqlite-limit
	@$(MAKE) --no-print-directory deps
	BENCH_QUICK=$(BENCH_QUICK) PYTHONDONTWRITEBYTECODE=1 $(PY) bench/run.py $(BENCH_ITEMS)

# `make soak-restart` (bench/soak_restart.py): the gunicorn restart with 2 and 4 workers
# saving up to 2 s apart, the data directory deleted and made again by the master's
# on_reload hook and by the new workers' racing post_fork hook, 50 runs per flow on
# coverage.py 6.5 and the newest; fails when either flow exits 0 with a worker's data
# missing, or --trigger --new-only is not complete every time where the application
# does not delete saved data itself. SOAK_RUNS=N for fewer runs. Not in `make test`.
SOAK_RUNS ?= 50

.PHONY: soak-restart
soak-restart: build/covsettle
	@$(MAKE) --no-print-directory deps
	SOAK_RUNS=$(SOAK_RUNS) PYTHONDONTWRITEBYTECODE=1 $(PY) bench/soak_restart.py
