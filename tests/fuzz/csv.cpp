// libFuzzer target: the CSV readers (plain and gzip; tests/fuzz/). A read must give a
// rectangular table of finite numbers; read_csv_labelled must split column 0 off as whole labels.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/io/csv.hpp>

#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ctnn_fuzz::write_input(data, size);
  for (const bool header : {false, true}) {
    ctnn_fuzz::judge([&](const auto& file) {
      const auto t = ctnn::io::read_csv<double>(file, {.has_header = header});
      if (t.values.values.size() != t.values.rows * t.values.cols || t.values.rows == 0)
        ctnn_fuzz::fail("read_csv: a ragged or empty table");
      for (const double v : t.values.values)
        if (!std::isfinite(v)) ctnn_fuzz::fail("read_csv: a value that is not finite");
      if (header && t.column_names.size() != t.values.cols) ctnn_fuzz::fail("read_csv: header width");
    });
  }
  ctnn_fuzz::judge([](const auto& file) {
    const auto d = ctnn::io::read_csv_labelled<float>(file, 0);
    if (d.labels.size() != d.inputs.rows) ctnn_fuzz::fail("read_csv_labelled: one label per row");
  });
  return 0;
}
