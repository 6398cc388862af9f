#pragma once
// The run-time dispatch example (docs/dispatch.md): one network, its forward pass compiled once
// per instruction set, each copy in its own shared library, and a program that picks the best
// copy the CPU runs.
//
// Each forward_<isa>.cpp is compiled with that instruction set's flags (examples/meson.build), so
// there xsimd's default architecture is that set, and defines one entry point with default
// visibility; the libraries are built with hidden visibility, so every inline function and
// template instance they hold (ctnn's, xsimd's, the standard library's) stays private to its
// library and cannot stand in for another library's copy compiled for a different set.

#include <ctnn/inference.hpp>
#include <span>

namespace dispatch_example {

using net = ctnn::network<ctnn::input<64>, ctnn::dense<32>, ctnn::tanh, ctnn::dense<32>, ctnn::tanh,
                          ctnn::dense<10>>;
using parameters = ctnn::parameters<net, float>;
using input = std::span<const float, net::input_size>;
using output = std::span<float, net::output_size>;

using forward_function = void (*)(const parameters&, input, output);

// One per library (forward_avx512.cpp, forward_avx2.cpp, forward_sse4.cpp).
[[gnu::visibility("default")]] void forward_avx512(const parameters& p, input x, output y);
[[gnu::visibility("default")]] void forward_avx2(const parameters& p, input x, output y);
[[gnu::visibility("default")]] void forward_sse4(const parameters& p, input x, output y);

}  // namespace dispatch_example
