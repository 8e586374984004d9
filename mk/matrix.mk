# mk/matrix.mk: the coverage.py version matrix. `make deps` also builds one
# venv per pinned coverage.py from PyPI, build/venv/cov-VERSION, made by
# Debian's python3 with what the tests run there (mk/matrix-requirements.txt);
# Debian's own coverage.py 6.5 (python3-coverage) is the fourth version.
# The tests choose among them with COVSETTLE_MATRIX (tests/covmatrix.py).
#
#   7.3.2   the last with .coverage.HOST.PID.NNNNNN names (as 6.5)
#   7.13.0  the last with .coverage.HOST.PID.XabcdefX-style names
#   7.17.5  the newest: .coverage.HOST_.pidPID.X...x, renamed to .H...h when saved
DEPS += python3-venv

MATRIX_VERSIONS := 7.3.2 7.13.0 7.17.5
# The reruns under sanitizers and valgrind take the oldest and the newest
# coverage.py (eras 1 and 3) unless $COVSETTLE_MATRIX says otherwise: the
# whole matrix runs once, in `make system` and `make examples-test`.
SAN_MATRIX := 6.5 7.17.5
MATRIX_VENVS := $(MATRIX_VERSIONS:%=build/venv/cov-%/stamp)
PIP_FLAGS := -q --disable-pip-version-check --no-input

.PHONY: matrix-venvs
DEPS_THEN += matrix-venvs

matrix-venvs: $(MATRIX_VENVS)

# The stamp is written last: an interrupted build starts over.
build/venv/cov-%/stamp: mk/matrix-requirements.txt
	@rm -rf build/venv/cov-$*
	@echo "make deps: build/venv/cov-$* (coverage.py $*)"
	$(PY) -m venv build/venv/cov-$*
	build/venv/cov-$*/bin/pip install $(PIP_FLAGS) coverage==$* \
		-r mk/matrix-requirements.txt
	@build/venv/cov-$*/bin/python -m coverage --version | grep "version $*[ ,]" >/dev/null || \
		{ echo "make deps: build/venv/cov-$* has no coverage.py $*"; exit 1; }
	@touch $@
