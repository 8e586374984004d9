# mk/dist.mk: installing covsettle anywhere (included by the Makefile).
#
#   make deb        a Debian package from debian/ (dpkg-buildpackage), checked
#                   with lintian; the .deb and its lintian log in build/deb/
#   make dist       build/dist/covsettle-VERSION-linux-ARCH.tar.gz: a fully
#                   static binary, the man page, completions and README
#   make dist-test  both built and tested for real: the .deb installed with
#                   apt-get and purged, the static binary in an empty root,
#                   the bash completion, --help against the man page, and the
#                   sharded CI fan-in of examples/ci (part of `make test`)

DEPS += debhelper lintian dpkg-dev fakeroot busybox-static bash-completion

# libinotifytools 3.22 has no version call and no version macro: --version
# names the one covsettle was built with, from pkg-config or dpkg.
INOTIFYTOOLS_VERSION ?= $(shell pkg-config --modversion libinotifytools \
	2>/dev/null || dpkg-query -W -f='$${source:Upstream-Version}' \
	libinotifytools0-dev 2>/dev/null)
ifneq ($(INOTIFYTOOLS_VERSION),)
ALL_CFLAGS += -DINOTIFYTOOLS_VERSION='"$(INOTIFYTOOLS_VERSION)"'
endif
build/obj/help.o build/asan/obj/help.o build/tsan/obj/help.o: mk/dist.mk
