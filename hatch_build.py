# hatch_build.py: hatchling's build hook for covsettle's wheel. It puts the
# static binary of `make dist` into the wheel's scripts (<name>.data/scripts:
# installed as bin/covsettle, the binary itself, no Python start per call)
# and gives the wheel its platform tag. `make wheel` names the binary it
# built in $COVSETTLE_WHEEL_BINARY; from the sdist (pip install of the
# .tar.gz) the hook builds it with the Makefile, after `make build-prereq`
# has said in one line which -dev packages are missing, if any.
#
# The platform tag. The binary is linked with -static: no program
# interpreter, no dynamic section, no shared library at all (the hook
# refuses one that has them, and tests/wheel checks with readelf -d). The
# libc version in a manylinux or musllinux tag is a floor that pip compares
# with the installed glibc or musl, so for this binary it is no constraint,
# and the wheel carries both families at their lowest floors that cover
# x86_64 and aarch64 alike: manylinux_2_17 (with its older alias
# manylinux2014, for pip 19.3 to 20.2; manylinux1 had no aarch64) and
# musllinux_1_1 (Alpine, PEP 656). What does constrain it is the
# architecture, read from the binary's ELF header, and the kernel, which no
# tag can say: Linux only (signalfd, inotify or polling, pidfd where the
# kernel has it). mk/dist.mk says why the static glibc inside is safe: no
# NSS call, and SQLite's dlopen is never reached.
import os
import struct
import subprocess
import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# ELF e_machine -> the architecture in manylinux/musllinux tags.
ARCHES = {62: "x86_64", 183: "aarch64"}
PT_DYNAMIC, PT_INTERP = 2, 3


def elf_arch(path):
    """The tag architecture of the static ELF binary at path; raises
    ValueError when it is not one, or links anything at run time."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            raise ValueError(f"{path}: not a 64-bit little-endian ELF file")
        machine, = struct.unpack_from("<H", head, 18)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            kind, = struct.unpack("<I", f.read(4))
            if kind in (PT_DYNAMIC, PT_INTERP):
                raise ValueError(f"{path}: dynamically linked: a wheel "
                                 "needs the static binary of `make dist`")
    if machine not in ARCHES:
        raise ValueError(f"{path}: ELF machine {machine}: no wheel tag known")
    return ARCHES[machine]


def platform_tag(arch):
    return (f"manylinux_2_17_{arch}.manylinux2014_{arch}."
            f"musllinux_1_1_{arch}")


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        binary = os.environ.get("COVSETTLE_WHEEL_BINARY")
        if not binary:
            binary = self.make()
        try:
            arch = elf_arch(binary)
        except (OSError, ValueError) as e:
            sys.exit(f"covsettle: {e}")
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform_tag(arch)}"
        build_data["shared_scripts"][binary] = "covsettle"

    def make(self):
        """Build the static binary from source with the Makefile; exit with
        make build-prereq's one line when -dev packages are missing."""
        make = ["make", "--no-print-directory", "-C", self.root]
        check = subprocess.run(make + ["-s", "build-prereq"], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if check.returncode != 0:
            said = [line for line in check.stdout.splitlines()
                    if line.startswith("covsettle: ")]
            sys.exit(said[0] if said else "covsettle: make build-prereq failed:\n"
                     + check.stdout)
        jobs = str(min(os.cpu_count() or 1, 4))
        if subprocess.run(make + ["-j" + jobs, "build/dist/covsettle"]).returncode:
            sys.exit("covsettle: make build/dist/covsettle failed (output above)")
        return os.path.join(self.root, "build", "dist", "covsettle")
