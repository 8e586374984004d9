# mk/containers.mk: covsettle in real containers, with Debian's podman as
# root (included by the Makefile).
#
#   make containers    tests/containers (part of `make test`): the server and
#                      the tests in two containers sharing a volume, a pod and
#                      host networking, covsettle on the host watching a
#                      volume, the static binary in a FROM scratch image, and
#                      examples/containers run unchanged through podman-compose;
#                      each on coverage.py 6.5 and 7.17.5
#   make fresh-check   a clean clone in a fresh container: the README's set-up
#                      and `make demo` from nothing, then the build and
#                      `covsettle --version` (and the same check failing when
#                      make deps leaves out a package the build needs)
#
# No registry: the base image is Debian 12 bootstrapped by mmdebstrap from
# the machine's own Debian mirror, imported under the name the Dockerfiles
# use (tests/containers/base-image.sh). Images are built once and kept in
# podman's storage between runs (tests/containers/podman.py). podman reads
# the project's containers.conf (CONTAINERS_CONF): nothing in /etc changes.
# Where podman cannot run, the tests skip with the reason, and under CI
# (CI=true) fail instead.

# podman and what it runs with here: runc (crun refuses these machines'
# hybrid cgroups), a pod's pause process, DNS on compose's network; and
# mmdebstrap for the base image.
DEPS += podman runc fuse-overlayfs slirp4netns uidmap catatonit \
	golang-github-containernetworking-plugin-dnsname mmdebstrap

# podman-compose for examples/containers, from PyPI, in a venv of its own.
PODMAN_COMPOSE_VERSION := 1.6.0
COMPOSE_VENV := build/venv/compose
DEPS_THEN += $(COMPOSE_VENV)/stamp

CONTAINERS_ENV := CONTAINERS_CONF=$(CURDIR)/tests/containers/containers.conf \
	COVSETTLE=$(CURDIR)/build/covsettle \
	COVSETTLE_STATIC=$(CURDIR)/build/dist/covsettle

.PHONY: containers containers-test fresh-check

# The stamp is written last: an interrupted build starts over.
$(COMPOSE_VENV)/stamp: mk/containers.mk
	@rm -rf $(COMPOSE_VENV)
	@echo "make deps: $(COMPOSE_VENV) (podman-compose $(PODMAN_COMPOSE_VERSION))"
	$(PY) -m venv $(COMPOSE_VENV)
	$(COMPOSE_VENV)/bin/pip install $(PIP_FLAGS) \
		podman-compose==$(PODMAN_COMPOSE_VERSION)
	@touch $@

containers: deps
	@$(MAKE) --no-print-directory containers-test

# `make test` has run deps already.
containers-test: build/covsettle build/dist/covsettle
	$(CONTAINERS_ENV) $(PYTEST) -q -p no:cacheprovider -rs \
		--ignore=tests/containers/fresh tests/containers

fresh-check: deps
	$(CONTAINERS_ENV) $(PYTEST) -q -p no:cacheprovider -rs \
		tests/containers/fresh
