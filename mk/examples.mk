# mk/examples.mk: the runnable setups in examples/ (gunicorn + Flask, a pytest
# fixture under pytest-cov, a pre-push hook) and their end-to-end tests.
DEPS += gunicorn python3-flask python3-requests python3-pytest-xdist \
	python3-pytest-cov git

.PHONY: examples-test

examples-test: build/covsettle
	COVSETTLE=$(CURDIR)/build/covsettle $(PY) -m pytest -q -p no:cacheprovider \
		tests/examples
