#!/usr/bin/env python3
"""Writes the upper layer of an overlay over /usr that makes this Debian machine look, to a
build, like the GPU image: for tests/gpu/rehearse.sh, which mounts it in a private mount
namespace and runs tests/gpu/run.sh --dry there.

The GPU image has a C++ toolchain, CMake, ninja, Python and the CUDA toolkit, and cuDNN and NCCL
only inside Python wheels; it has none of needle's Debian libraries. So the layer hides, by
overlayfs whiteouts (character devices 0/0):

  1. every file of the packages tests/gpu/fetch-debs.sh carries (the library packages of
     cmake/packages.sh and what they pull in beyond the toolchain), given on stdin, one package
     a line: on the image these can only come from the carried prefix;
  2. whatever else a build could find under /usr that a toolchain does not bring: headers under
     /usr/include, linker names (*.so, *.a) under /usr/lib, and CMake / pkg-config package files,
     unless a toolchain package (the dependency closure of g++, named in --toolchain-packages)
     owns them. This is what catches a library the project started to use without adding it to
     cmake/packages.sh;
  3. cuDNN and NCCL under /usr/local (the toolkit's copies), which the image does not have.

Usage: strip_like_image.py UPPER --toolchain-packages FILE < carried-packages
Prints how many paths it hid, and a few of them.
"""

import argparse
import os
import stat
import sys
from pathlib import Path

DPKG_INFO = Path("/var/lib/dpkg/info")


def package_files(package):
    """The paths dpkg lists for an installed package (with and without the merged-/usr prefix)."""
    paths = set()
    for name in (package, f"{package}:amd64", f"{package}:all"):
        listing = DPKG_INFO / f"{name}.list"
        if listing.exists():
            for line in listing.read_text().splitlines():
                if line and line != "/.":
                    paths.add(line)
                    if line.startswith(("/lib", "/bin", "/sbin")):
                        paths.add("/usr" + line)
    return paths


def main():
    p = argparse.ArgumentParser()
    p.add_argument("upper")
    p.add_argument("--toolchain-packages", required=True)
    args = p.parse_args()
    upper = Path(args.upper)
    toolchain = set()
    for pkg in Path(args.toolchain_packages).read_text().split():
        toolchain |= package_files(pkg)
    # Folders that lead to a toolchain file must stay (only their other entries are hidden).
    toolchain_dirs = {str(Path(f).parent) for f in toolchain}
    for d in list(toolchain_dirs):
        while d not in ("/", ""):
            d = os.path.dirname(d)
            toolchain_dirs.add(d)

    hidden = []

    def hide(path):
        if not path.startswith("/usr/"):
            return
        target = upper / path[len("/usr/"):]
        if target.exists() or target.is_symlink():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(0, 0))
        hidden.append(path)

    # 1. The carried packages' own files.
    for pkg in sys.stdin.read().split():
        for f in sorted(package_files(pkg)):
            if os.path.lexists(f) and not os.path.isdir(f) and f not in toolchain:
                hide(f if f.startswith("/usr/") else "/usr" + f)

    # 2. What a build could find that the toolchain does not own.
    def walk_hiding(root, keep_entry=lambda path: False):
        """Hides every entry under `root` that no toolchain file needs: whole folders when
        nothing of the toolchain is inside, else their entries one by one."""
        if not os.path.isdir(root):
            return
        for entry in sorted(os.listdir(root)):
            path = os.path.join(root, entry)
            if path in toolchain or keep_entry(path):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                if path in toolchain_dirs:
                    walk_hiding(path, keep_entry)
                else:
                    hide(path)
            else:
                hide(path)

    walk_hiding("/usr/include")
    for folder in ("/usr/lib/cmake", "/usr/share/cmake", "/usr/lib/pkgconfig",
                   "/usr/share/pkgconfig", "/usr/lib/x86_64-linux-gnu/cmake",
                   "/usr/lib/x86_64-linux-gnu/pkgconfig"):
        walk_hiding(folder)
    # Linker names only: the versioned run-time libraries under /usr/lib serve the tools
    # themselves (cmake, git, python) and stay.
    for dirpath, dirnames, filenames in os.walk("/usr/lib"):
        dirnames[:] = [d for d in dirnames if d not in ("cmake", "pkgconfig", "python3", "gcc")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name.startswith("lib") and name.endswith((".so", ".a")) and path not in toolchain:
                hide(path)

    # 3. cuDNN and NCCL of the toolkit: on the image they exist only as pip wheels.
    for dirpath, dirnames, filenames in os.walk("/usr/local"):
        dirnames[:] = [d for d in dirnames if d not in ("bin", "share", "man", "src", "nvvm")]
        for name in filenames + dirnames:
            if name.startswith(("cudnn", "libcudnn", "nccl", "libnccl")):
                hide(os.path.join(dirpath, name))

    print(f"strip_like_image: hid {len(hidden)} paths under /usr, e.g.:")
    for path in hidden[:: max(1, len(hidden) // 12)][:12]:
        print(f"  {path}")


if __name__ == "__main__":
    main()
