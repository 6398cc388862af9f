#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh), builds the xor example in ./build (release) and
# runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [ -f build/meson-private/coredata.dat ]; then
  meson setup --reconfigure build --buildtype=release
else
  rm -rf build
  meson setup build --buildtype=release
fi

if [ ! -f examples/xor.cpp ]; then
  echo "demo.sh: examples/xor.cpp is not written yet" >&2
  exit 1
fi
meson compile -C build xor
./build/examples/xor
