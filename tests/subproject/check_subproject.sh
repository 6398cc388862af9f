#!/usr/bin/env bash
# Test 'meson/subproject': builds tests/subproject/ in a temporary directory with this repository
# linked in as subprojects/ctnn, and runs the result.
#   check_subproject.sh <repo root> [-D<ctnn option>=<value>...]
# Uses $CXX, $MESON and $NINJA when set (tests/meson.build sets them).
set -euo pipefail
repo=$(cd "$1" && pwd); shift
meson=${MESON:-meson} ninja=${NINJA:-ninja}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctnn-subproject.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src/subprojects"
cp "$repo/tests/subproject/meson.build" "$repo/tests/subproject/main.cpp" "$tmp/src/"
ln -s "$repo" "$tmp/src/subprojects/ctnn"

opts=()
for o in "$@"; do opts+=("-Dctnn:${o#-D}"); done   # -Dsimd=false -> -Dctnn:simd=false

# --force-fallback-for: use the subproject even if a ctnn is installed on the system.
"$meson" setup "$tmp/build" "$tmp/src" --force-fallback-for=ctnn "${opts[@]}"
"$ninja" -C "$tmp/build"
"$tmp/build/consumer"
echo "subproject consumer built and ran"
