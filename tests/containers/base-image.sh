#!/bin/sh
# base-image.sh: the base image of covsettle's container tests and of
# examples/containers, made with no registry: Debian 12 (minbase) bootstrapped
# by mmdebstrap from the Debian mirror this machine's apt is configured with,
# imported into podman under the name the Dockerfiles use, so that they build
# unchanged. Built once: an image already there is kept.
#   base-image.sh [IMAGE]     default docker.io/library/debian:12-slim
set -eu
image=${1:-docker.io/library/debian:12-slim}
if podman image exists "$image"; then
	exit 0
fi
# The machine's Debian sources for bookworm and its updates, as apt has them
# (deb.sources or sources.list alike); the image's apt uses the same.
mirrors=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' \
	'Identifier: Packages' 'Origin: Debian' | sort -u |
	awk '$2 ~ /^bookworm(-updates|-security)?$/ { print "deb " $1 " " $2 " main" }')
if [ -z "$mirrors" ]; then
	echo "base-image.sh: apt has no Debian bookworm source on this machine" >&2
	exit 1
fi
echo "base-image.sh: building $image (mmdebstrap, minbase, bookworm)" >&2
tar=$(mktemp --suffix=.tar "${TMPDIR:-/tmp}/covsettle-base.XXXXXX")
trap 'rm -f "$tar"' EXIT
IFS='
'
# A file, not a pipe: a failed bootstrap must not be imported as an image.
# shellcheck disable=SC2086 # one argument per source line
mmdebstrap --quiet --variant=minbase bookworm "$tar" $mirrors
podman import --quiet "$tar" "$image" >/dev/null
