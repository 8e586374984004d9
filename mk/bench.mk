# bench.mk: `make bench` (bench/README.md), never part of `make test`. BENCH_QUICK=1 for
# a short run; BENCH_ITEMS="settle check" for some items; COVSETTLE=PATH for another binary.
DEPS += gunicorn python3-flask

BENCH_QUICK ?=
BENCH_ITEMS ?=

.PHONY: bench
bench: build/covsettle build/combine-tool build/sqlite-limit
	@$(MAKE) --no-print-directory deps
	BENCH_QUICK=$(BENCH_QUICK) PYTHONDONTWRITEBYTECODE=1 $(PY) bench/run.py $(BENCH_ITEMS)
