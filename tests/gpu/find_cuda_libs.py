#!/usr/bin/env python3
"""Finds cuDNN and NCCL for tests/gpu/run.sh and prints shell assignments for it to eval.

Where they are differs from machine to machine: in the CUDA toolkit or the system (Debian's
packages, NVIDIA's tarballs), or only inside Python wheels (nvidia-cudnn-cu13, nvidia-nccl-cu13,
as on the GPU image, where they come with PyTorch). A wheel's layout is not fixed either
(nvidia/cudnn/{include,lib} in some releases, nvidia/cu13/{include,lib} in others), so nothing
here guesses a path: wheels are located through importlib.metadata (the files their RECORD
lists) and, failing that, by walking the `nvidia` namespace package that importlib resolves.

Usage: find_cuda_libs.py CUDA_HOME
Prints, for LIB in CUDNN and NCCL:
  LIB_INCLUDE_DIR=... LIB_LIBRARY=... LIB_LIB_DIR=... LIB_VERSION=... LIB_SOURCE=...
with empty values for what was not found. An environment CUDNN_ROOT / NCCL_ROOT is searched
first. Never fails: run.sh decides what a missing library means.
"""

import importlib.metadata
import importlib.util
import os
import re
import shlex
import sys
from pathlib import Path

LIBS = {
    # name: (header with the version macros, their prefix, library file name, main header)
    "CUDNN": ("cudnn_version.h", "CUDNN_", "libcudnn.so", "cudnn.h"),
    "NCCL": ("nccl.h", "NCCL_", "libnccl.so", "nccl.h"),
}


def version_of(header: Path, prefix: str) -> str:
    text = header.read_text(errors="replace")
    parts = []
    for field in ("MAJOR", "MINOR", "PATCH", "PATCHLEVEL"):
        m = re.search(rf"#define\s+{prefix}{field}\s+(\d+)", text)
        if m:
            parts.append(m.group(1))
    return ".".join(parts[:3])


def library_in(folder: Path, stem: str):
    """The best library file in `folder`: the unversioned name, else the highest .so.N."""
    if not folder.is_dir():
        return None
    plain = folder / stem
    if plain.exists():
        return plain
    versioned = sorted(folder.glob(stem + ".[0-9]*"), key=lambda p: [
        int(x) if x.isdigit() else 0 for x in p.name[len(stem) + 1:].split(".")])
    # Prefer the shortest name (libcudnn.so.9 over libcudnn.so.9.1.0): the SONAME link.
    versioned.sort(key=lambda p: len(p.name))
    return versioned[0] if versioned else None


def search_prefixes(prefixes, name):
    version_header, macro, stem, main_header = LIBS[name]
    for prefix, source in prefixes:
        prefix = Path(prefix)
        for inc in (prefix / "include", prefix / "include" / "x86_64-linux-gnu"):
            if (inc / main_header).exists():
                for libdir in (prefix / "lib64", prefix / "lib", prefix / "lib" / "x86_64-linux-gnu",
                               prefix / "targets" / "x86_64-linux" / "lib"):
                    lib = library_in(libdir, stem)
                    if lib:
                        header = inc / version_header
                        if not header.exists():
                            header = inc / main_header
                        return inc, lib, version_of(header, macro), source
    return None


def search_wheels(name):
    """cuDNN/NCCL inside installed Python distributions, through their RECORD files."""
    version_header, macro, stem, main_header = LIBS[name]
    wanted = {"CUDNN": "nvidia-cudnn", "NCCL": "nvidia-nccl"}[name]
    for dist in importlib.metadata.distributions():
        dist_name = (dist.metadata.get("Name") or "").lower().replace("_", "-")
        if not dist_name.startswith(wanted):
            continue
        headers, libs = {}, []
        for f in dist.files or []:
            path = Path(dist.locate_file(f))
            if path.name in (main_header, version_header):
                headers[path.name] = path
            elif path.name == stem or path.name.startswith(stem + "."):
                libs.append(path)
        if main_header in headers and libs:
            libs.sort(key=lambda p: len(p.name))
            header = headers.get(version_header, headers[main_header])
            return (headers[main_header].parent, libs[0], version_of(header, macro),
                    f"pip wheel {dist_name} {dist.version}")
    # No RECORD (an unpacked or vendored copy): walk the namespace package's folders.
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        spec = None
    for root in (spec.submodule_search_locations or []) if spec else []:
        for header in sorted(Path(root).rglob(main_header)):
            for libdir in (header.parent.parent / "lib", header.parent.parent / "lib64"):
                lib = library_in(libdir, stem)
                if lib:
                    vh = header.parent / version_header
                    return (header.parent, lib, version_of(vh if vh.exists() else header, macro),
                            f"python package folder {root}")
    return None


def main():
    cuda_home = sys.argv[1] if len(sys.argv) > 1 else "/usr/local/cuda"
    for name in LIBS:
        prefixes = []
        if os.environ.get(f"{name}_ROOT"):
            prefixes.append((os.environ[f"{name}_ROOT"], f"{name}_ROOT"))
        prefixes += [(cuda_home, f"CUDA toolkit {cuda_home}"), ("/usr", "system /usr"),
                     ("/usr/local", "system /usr/local")]
        found = search_prefixes(prefixes, name) or search_wheels(name)
        inc, lib, version, source = found if found else ("", "", "", "")
        values = {
            "INCLUDE_DIR": str(inc), "LIBRARY": str(lib),
            "LIB_DIR": str(Path(lib).parent) if lib else "", "VERSION": version, "SOURCE": source,
        }
        for key, value in values.items():
            print(f"{name}_{key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
