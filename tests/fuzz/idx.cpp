// libFuzzer target: the IDX readers (plain and gzip; tests/fuzz/). A read must give values whose
// count is the product of the header's dimensions, images a matrix of that shape, labels values
// that fit a label; anything else must be a file_error.
#include <cstddef>
#include <cstdint>
#include <ctnn/io/idx.hpp>

#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ctnn_fuzz::write_input(data, size);
  ctnn_fuzz::judge([](const auto& file) {
    const auto a = ctnn::io::read_idx<double>(file);
    std::size_t count = 1;
    for (const std::size_t d : a.dims) count *= d;
    if (a.dims.empty() || a.values.size() != count) ctnn_fuzz::fail("read_idx: values do not match dims");
  });
  ctnn_fuzz::judge([](const auto& file) {
    const auto m = ctnn::io::read_idx_images<float>(file, ctnn::io::image_scale::unit_interval);
    if (m.values.size() != m.rows * m.cols) ctnn_fuzz::fail("read_idx_images: a ragged matrix");
    for (const float v : m.values)
      if (!(v >= 0.0f && v <= 1.0f)) ctnn_fuzz::fail("read_idx_images: a value outside [0, 1]");
  });
  ctnn_fuzz::judge([](const auto& file) { (void)ctnn::io::read_idx_labels(file); });
  return 0;
}
