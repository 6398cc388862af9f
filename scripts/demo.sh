#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh, which includes the Fashion-MNIST data set), builds
# the fashion_mnist example in ./build (release) and runs it with its defaults: an MLP trained
# with ctnn::fit, its progress, the test accuracy and throughput, and the learning curves in
# build/fashion_mnist_curves.svg (next to the program). The last line is
#   result: test_accuracy=<x> train_seconds=<s> samples_per_second=<n>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [ -f build/meson-private/coredata.dat ]; then
  meson setup --reconfigure build --buildtype=release
else
  rm -rf build
  meson setup build --buildtype=release
fi

meson compile -C build fashion_mnist
# The curves go next to the build; a --plot given to this script comes later and wins.
./build/examples/fashion_mnist --plot build/fashion_mnist_curves.svg "$@"
