#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh, which includes the Fashion-MNIST data set), builds
# the fashion_mnist example in ./build (release) and runs it with its defaults: an MLP trained
# with ctnn::fit, its progress, the test accuracy and throughput, and the learning curves in
# ./fashion_mnist_curves.svg. The last line is
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
./build/examples/fashion_mnist "$@"
