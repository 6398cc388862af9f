#!/usr/bin/env bash
# Installs what building and testing ctnn needs, from Debian 12 packages. Non-interactive and
# idempotent: when everything is installed it only asks dpkg and returns (well under a second).
# As root it installs what is missing; otherwise it names the missing packages and exits 1.
set -euo pipefail

# One list; append new needs here.
packages=(
  g++ clang
  libboost-dev libxsimd-dev doctest-dev
  meson ninja-build pkg-config python3
  cmake             # tests/cmake: ctnn as a CMake package, subdirectory and FetchContent
  zlib1g-dev dataset-fashion-mnist
  libbenchmark-dev libeigen3-dev
  time              # /usr/bin/time: peak memory of a build (scripts/compile_budget.sh)
  graphviz          # dot: examples/inspect renders its graphs to SVG (and so checks the DOT)
  libclang-rt-dev   # clang's sanitizer runtimes (only recommended by clang, so not pulled in)
  python3-sklearn   # ships the diabetes data set of examples/levenberg_marquardt (14 packages)
  fortunes          # English text (2.6 MB of quotations) for examples/char_lm's language model
)

# PyTorch, the oracle of tests/io/pytorch_interop (skipped without it). Measured on Debian 12:
# 178 packages, 148 MB to download, 637 MB installed, about 40 s to download and unpack, well
# inside CI's budget, so it is on by default; CTNN_WITH_TORCH=0 leaves it out (the test then
# reports SKIP). It serves Debian's /usr/bin/python3, which the test finds by itself.
if [ "${CTNN_WITH_TORCH:-1}" != 0 ]; then
  packages+=(python3-torch)
fi

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup.sh: missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: installing them needs root: run 'sudo bash scripts/setup.sh'" \
       "or 'sudo apt-get install ${missing[*]}'" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup.sh: installed ${missing[*]}"
