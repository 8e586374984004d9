# mk/wheel.mk: covsettle for pip (included by the Makefile): a wheel that
# carries the static binary of `make dist` (mk/dist.mk) in its scripts, the
# Python API and the pytest plugin (python/covsettle), and the sdist that
# builds the same from source. pyproject.toml and hatch_build.py say how.
#
#   make wheel        build/wheel/covsettle-VERSION-py3-none-PLATFORM.whl and
#                     build/wheel/covsettle-VERSION.tar.gz (hatchling)
#   make wheel-test   tests/wheel: both installed from a user's side, in fresh
#                     venvs with pip --no-index (part of `make test`)
#   make ci-lint      examples/ci's recipes against their published JSON
#                     schemas, .pre-commit-hooks.yaml with pre-commit (part
#                     of `make test`)
#   make build-prereq one line naming the -dev packages a build from source
#                     lacks (the sdist's build runs it first)
#
# The PyPI tools (hatchling, pre-commit, check-jsonschema) live in a venv of
# their own, build/venv/tools, pinned in mk/tools-requirements.txt; the
# packages the user's venvs of tests/wheel install next to the wheel are
# downloaded once into build/wheelhouse (mk/wheelhouse-requirements.txt).
# Both are made by `make deps`.

TOOLS_VENV ?= build/venv/tools
WHEELHOUSE := build/wheelhouse
WHEEL_STAMP := build/wheel/stamp

DEPS_THEN += tools-venv wheelhouse

.PHONY: wheel wheel-test ci-lint build-prereq tools-venv wheelhouse

tools-venv: $(TOOLS_VENV)/stamp
wheelhouse: $(WHEELHOUSE)/stamp

# --no-deps: the requirements file pins everything, what the tools pull in too.
$(TOOLS_VENV)/stamp: mk/tools-requirements.txt
	@rm -rf $(TOOLS_VENV)
	@echo "make deps: $(TOOLS_VENV) (hatchling, pre-commit, check-jsonschema)"
	$(PY) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install $(PIP_FLAGS) --no-deps \
		-r mk/tools-requirements.txt
	@touch $@

$(WHEELHOUSE)/stamp: mk/wheelhouse-requirements.txt | $(TOOLS_VENV)/stamp
	@rm -rf $(WHEELHOUSE)
	$(TOOLS_VENV)/bin/pip download $(PIP_FLAGS) --no-deps -d $(WHEELHOUSE) \
		-r mk/wheelhouse-requirements.txt
	@touch $@

# Headers and static libraries: what `make dist`'s link needs. One line
# naming the Debian packages that are missing, exit 1.
build-prereq:
	@missing=; \
	if ! command -v $(CC) >/dev/null 2>&1; then missing=" gcc"; else \
	for need in "libinotifytools0-dev inotifytools/inotifytools.h libinotifytools.a" \
			"libsqlite3-dev sqlite3.h libsqlite3.a"; do \
		set -- $$need; \
		if ! printf '#include <%s>\n' "$$2" | \
				$(CC) -E -x c - >/dev/null 2>&1 || \
			[ "$$($(CC) -print-file-name=$$3)" = "$$3" ]; then \
			missing="$$missing $$1"; \
		fi; \
	done; fi; \
	[ -z "$$missing" ] || { echo "covsettle: cannot build from source:" \
		"missing$$missing (the headers and static libraries of" \
		"libinotifytools and SQLite): apt-get install$$missing"; exit 1; }

wheel: deps
	@$(MAKE) --no-print-directory $(WHEEL_STAMP)

$(WHEEL_STAMP): build/dist/covsettle pyproject.toml hatch_build.py Makefile \
		README.md man/covsettle.1 $(wildcard python/covsettle/*.py) | \
		$(TOOLS_VENV)/stamp
	rm -rf build/wheel && mkdir -p build/wheel
	COVSETTLE_WHEEL_BINARY=$(CURDIR)/build/dist/covsettle \
		SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
		$(TOOLS_VENV)/bin/hatchling build -t wheel -t sdist -d build/wheel
	@touch $@
	@echo "make wheel:" build/wheel/*.whl build/wheel/*.tar.gz

# The wheel installed into a directory that any Python 3 can put on its
# path: how tests/examples and `make demo` get the pytest plugin into
# Debian's python3 and the coverage.py venvs, which are not the user's to
# install into. A real install of the real wheel (pip --target).
build/python/stamp: $(WHEEL_STAMP)
	rm -rf build/python
	$(TOOLS_VENV)/bin/pip install $(PIP_FLAGS) --no-index --no-deps \
		--target build/python build/wheel/covsettle-$(VERSION)-*.whl
	@touch $@

# (demo: deps first, on a fresh machine: the tools venv needs python3-venv)
examples-test: build/python/stamp
demo: deps build/python/stamp

wheel-test: $(WHEEL_STAMP) $(WHEELHOUSE)/stamp build/covsettle
	WHEEL_DIR=$(CURDIR)/build/wheel WHEELHOUSE=$(CURDIR)/$(WHEELHOUSE) \
		TOOLS_VENV=$(CURDIR)/$(TOOLS_VENV) \
		$(PYTEST) -q -p no:cacheprovider tests/wheel

ci-lint: | $(TOOLS_VENV)/stamp
	$(TOOLS_VENV)/bin/check-jsonschema --builtin-schema \
		vendor.github-workflows examples/ci/github-actions.yml
	$(TOOLS_VENV)/bin/check-jsonschema --builtin-schema vendor.gitlab-ci \
		examples/ci/gitlab-ci.yml
	$(TOOLS_VENV)/bin/pre-commit validate-manifest .pre-commit-hooks.yaml
