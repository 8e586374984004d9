#!/bin/sh
# setup.sh: a new user's first steps on a fresh Debian 12, in the order the
# README gives them, run in a fresh container from the base image with a
# clean clone of the repository at /src: make (the one tool the README
# takes for granted; minimal images lack it), then `make demo`, which
# installs everything else (make deps); then the build and the test that
# checks what `covsettle --version` says of the libraries it was built with.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends make >/dev/null
cd /src
make demo
make all
build/covsettle --version
COVSETTLE=$PWD/build/covsettle python3 -m pytest -q -p no:cacheprovider \
	tests/dist/test_help.py -k version
