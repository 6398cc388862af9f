// libFuzzer target: the native model file and safetensors readers (tests/fuzz/), into the
// parameters of a small net, float and double. A load that fails must throw file_error naming the
// file and leave the parameters as they were. Built twice: CTNN_FUZZ_SAFETENSORS=1 for safetensors.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>

#include "fuzz_file.hpp"

#ifndef CTNN_FUZZ_SAFETENSORS
#define CTNN_FUZZ_SAFETENSORS 0
#endif

namespace {
// The net the seeds were saved from (tests/fuzz/make_seeds.cpp).
using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>>;

template <class T>
void load_into() {
  ctnn::parameters<net, T> p;
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = T(0.25) * T(k % 9);
  const auto before = p;
  const bool loaded = ctnn_fuzz::judge([&](const auto& file) {
    if constexpr (CTNN_FUZZ_SAFETENSORS) ctnn::io::load_safetensors(file, p);
    else ctnn::io::load_model(file, p);
  });
  if (!loaded && !(p == before)) ctnn_fuzz::fail("a failed load changed the parameters");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ctnn_fuzz::write_input(data, size);
  load_into<float>();
  load_into<double>();
  return 0;
}
