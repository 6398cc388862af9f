#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh, which includes the Fashion-MNIST data set), builds
# the fashion_mnist example in ./build (release) and runs it with its defaults: an MLP trained
# with ctnn::fit, its progress, the test accuracy and throughput, and the learning curves in
# build/fashion_mnist_curves.svg (next to the program). The last line is
#   result: test_accuracy=<x> train_seconds=<s> samples_per_second=<n>
# With --cnn first, the convolutional net instead (examples/fashion_cnn.cpp, two threads, curves
# in build/fashion_cnn_curves.svg), with the same last line; with --cnn-bn, the CNN with batch
# normalisation and a residual block (examples/fashion_cnn_bn.cpp); with --gru, a GRU reading the
# images row by row (examples/fashion_gru.cpp); with --char-lm, a character-level language model
# trained with truncated BPTT on the fortunes package's text (examples/char_lm.cpp, whose last
# line reports bits per character instead).
set -euo pipefail
example=fashion_mnist
if [ "${1:-}" = "--cnn" ]; then
  example=fashion_cnn
  shift
elif [ "${1:-}" = "--cnn-bn" ]; then
  example=fashion_cnn_bn
  shift
elif [ "${1:-}" = "--gru" ]; then
  example=fashion_gru
  shift
elif [ "${1:-}" = "--char-lm" ]; then
  example=char_lm
  shift
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [ -f build/meson-private/coredata.dat ]; then
  meson setup --reconfigure build --buildtype=release
else
  rm -rf build
  meson setup build --buildtype=release
fi

meson compile -C build "$example"
# The curves go next to the build; a --plot given to this script comes later and wins.
if [ "$example" = char_lm ]; then
  "./build/examples/$example" "$@"
else
  "./build/examples/$example" --plot "build/${example}_curves.svg" "$@"
fi
