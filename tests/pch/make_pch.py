#!/usr/bin/env python3
"""Precompiles a header for a group of test programs that share one compile command.

usage: make_pch.py <build root> <source like> <header> <header copy> <pch> <depfile>

Every test translation unit spends seconds parsing the same headers (ctnn, xsimd, Boost.Hana,
doctest) before it instantiates anything; a precompiled header parses them once per build. A
precompiled header is only used with the flags it was made with (g++ ignores a mismatched one with
a -Winvalid-pch warning, clang++ refuses it), so this script takes the flags from meson's own
compile_commands.json: the command of the test whose source path ends with <source like>, with
its source, output, dependency-file and -include arguments replaced. It copies <header> to
<header copy> (the tests compile with `-include <header copy>`, and both compilers look for the
precompiled file next to it: <header copy>.gch for g++, .pch for clang++) and writes <pch> and a
depfile, so that editing any header rebuilds it.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys


def reference_command(build_root, source_like):
    with open(os.path.join(build_root, "compile_commands.json")) as f:
        entries = json.load(f)
    for e in entries:
        if os.path.normpath(e["file"]).endswith(os.path.normpath(source_like)):
            return e
    sys.exit("make_pch.py: no compile command for %s in %s/compile_commands.json"
             % (source_like, build_root))


def header_command(args, source, header, pch, depfile):
    """args with the source, output, dependency and -include arguments of the reference removed."""
    out = []
    skip = 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in ("-o", "-MQ", "-MF", "-MT", "-include"):
            skip = 1
            continue
        if a in ("-c", "-MD", "-MMD") or a == source:
            continue
        out.append(a)
    return out + ["-x", "c++-header", header, "-o", pch, "-MD", "-MF", depfile, "-MQ", pch]


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    build_root, source_like, header, copy, pch, depfile = sys.argv[1:]
    entry = reference_command(build_root, source_like)
    args = entry.get("arguments") or shlex.split(entry["command"])
    shutil.copyfile(header, copy)
    cmd = header_command(args, entry["file"], os.path.abspath(copy), os.path.abspath(pch),
                         os.path.abspath(depfile))
    return subprocess.call(cmd, cwd=entry["directory"])


if __name__ == "__main__":
    sys.exit(main())
