// Every reader against damaged copies of valid files: every truncation (0 bytes up to the whole
// file) and a few hundred seeded random bit flips per file, plain and gzip. Each read must end
// either in ctnn::io::file_error whose message names the file, or in a successful read that is
// consistent with the (possibly flipped) file's own header; never another exception type, never a
// crash (this file is also meant to run under -fsanitize=address,undefined).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctnn/detail/random.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/idx.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_files.hpp"

using namespace io_test;

namespace {

struct outcome_counts {
  int read = 0;
  int rejected = 0;
};

// What the reader returned, for the consistency check.
struct result_shape {
  std::vector<std::size_t> dims;  // IDX readers: as the reader reports them (images: {n, cols})
  std::size_t values = 0;
  bool all_finite = true;
};

using reader = std::function<result_shape(const std::filesystem::path&)>;
// Checks a successful read against the content of the file it came from (decompressed).
using validator = std::function<void(const bytes& content, const result_shape&)>;

template <class V>
bool finite(const V& values) {
  for (auto v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

const std::vector<std::pair<std::string, reader>> idx_readers = {
    {"read_idx<float>",
     [](const std::filesystem::path& f) {
       const auto a = ctnn::io::read_idx<float>(f);
       return result_shape{a.dims, a.values.size(), finite(a.values)};
     }},
    {"read_idx<double>",
     [](const std::filesystem::path& f) {
       const auto a = ctnn::io::read_idx<double>(f);
       return result_shape{a.dims, a.values.size(), finite(a.values)};
     }},
    {"read_idx_images",
     [](const std::filesystem::path& f) {
       const auto m = ctnn::io::read_idx_images<float>(f, ctnn::io::image_scale::unit_interval);
       return result_shape{{m.rows, m.cols}, m.values.size(), finite(m.values)};
     }},
    {"read_idx_labels",
     [](const std::filesystem::path& f) {
       const auto l = ctnn::io::read_idx_labels(f);
       return result_shape{{l.size()}, l.size(), true};
     }},
};

// The header of an IDX file that a reader accepted: the file must be exactly header + data, and
// the reader's dims must be the header's.
void check_idx(const std::string& reader_name, const bytes& content, const result_shape& r) {
  REQUIRE(content.size() >= 4);
  CHECK(content[0] == 0);
  CHECK(content[1] == 0);
  const std::size_t type_size = content[2] == 0x08 || content[2] == 0x09 ? 1
                                : content[2] == 0x0B                     ? 2
                                : content[2] == 0x0E                     ? 8
                                                                         : 4;
  const std::size_t ndims = content[3];
  REQUIRE(content.size() >= 4 + 4 * ndims);
  std::vector<std::size_t> dims;
  std::size_t count = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    std::size_t d = 0;
    for (std::size_t k = 0; k < 4; ++k) d = (d << 8) | content[4 + 4 * i + k];
    dims.push_back(d);
    count *= d;
  }
  CHECK(content.size() == 4 + 4 * ndims + count * type_size);
  CHECK(r.values == count);
  CHECK(r.all_finite);
  if (reader_name == "read_idx_images") {
    REQUIRE(dims.size() >= 2);
    CHECK(r.dims == std::vector<std::size_t>{dims[0], count / std::max<std::size_t>(dims[0], 1)});
  } else {
    CHECK(r.dims == dims);
  }
}

const std::vector<std::pair<std::string, reader>> csv_readers = {
    {"read_csv<float>",
     [](const std::filesystem::path& f) {
       const auto t = ctnn::io::read_csv<float>(f, {.has_header = true});
       CHECK(t.values.values.size() == t.values.rows * t.values.cols);
       return result_shape{
           {t.values.rows, t.values.cols}, t.values.values.size(), finite(t.values.values)};
     }},
    {"read_csv<double>;",
     [](const std::filesystem::path& f) {
       const auto t = ctnn::io::read_csv<double>(f, {.delimiter = ';', .has_header = true});
       return result_shape{
           {t.values.rows, t.values.cols}, t.values.values.size(), finite(t.values.values)};
     }},
    {"read_csv_labelled",
     [](const std::filesystem::path& f) {
       const auto d = ctnn::io::read_csv_labelled<float>(f, 2, {.has_header = true});
       CHECK(d.labels.size() == d.inputs.rows);
       return result_shape{{d.inputs.rows, d.inputs.cols + 1},
                           d.inputs.values.size() + d.labels.size(),
                           finite(d.inputs.values)};
     }},
};

// A CSV file that a reader accepted: the column count is the header's field count, and every
// non-blank line after the header is a row.
void check_csv(const std::string& reader_name, const bytes& content, const result_shape& r) {
  const char delimiter = reader_name.ends_with(';') ? ';' : ',';
  std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
  const std::string_view header = text.substr(0, text.find('\n'));
  std::size_t fields = 1;
  for (char c : header) fields += c == delimiter;
  std::size_t rows = 0;
  bool in_header = true;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (!in_header && line.find_first_not_of(" \t\r") != std::string_view::npos) ++rows;
    in_header = false;
    start = end + 1;
  }
  REQUIRE(r.dims.size() == 2);
  CHECK(r.dims[1] == fields);
  CHECK(r.dims[0] == rows);
  CHECK(r.values == rows * fields);
  CHECK(r.all_finite);
}

// Writes `content` (already in its final form: plain or gzip) and runs the reader on it.
void run_one(const std::filesystem::path& file, const bytes& content, bool gzip,
             const std::string& reader_name, const reader& read, const validator& validate,
             outcome_counts& counts) {
  // Unlink first: rewriting a file through truncation makes ext4 flush it to disk on close
  // (auto_da_alloc), which turned this test from under a second into a minute.
  std::filesystem::remove(file);
  write_bytes(file, content);
  std::optional<result_shape> shape;
  try {
    shape = read(file);
  } catch (const ctnn::io::file_error& e) {
    const std::string message = e.what();
    CHECK(!message.empty());
    CHECK_MESSAGE(message.find(file.string()) != std::string::npos, message);
    ++counts.rejected;
    return;
  } catch (const std::exception& e) {
    FAIL_CHECK(reader_name << " threw another exception type: " << e.what());
    return;
  } catch (...) {
    FAIL_CHECK(reader_name << " threw something that is not a std::exception");
    return;
  }
  ++counts.read;
  if (gzip && content.size() >= 2 && content[0] == 0x1f && content[1] == 0x8b) {
    validate(gunzip_file(file), *shape);
  } else {
    validate(content, *shape);
  }
}

// All truncations and `flips` seeded bit-flip mutations of one valid file, against one reader.
outcome_counts fuzz(const temp_dir& dir, const bytes& plain, bool gzip, const std::string& name,
                    const reader& read, const validator& validate, int flips, std::uint64_t seed) {
  const std::string what = "reader " + name + (gzip ? " (gzip)" : " (plain)");
  INFO(what);
  const auto file = dir / ("fuzz" + std::string(gzip ? ".gz" : ""));
  bytes valid = plain;
  if (gzip) {
    write_gzip(file, plain);
    valid = read_bytes(file);
  }
  outcome_counts counts;
  for (std::size_t length = 0; length <= valid.size(); ++length) {
    CAPTURE(length);
    outcome_counts one;
    run_one(file, bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(length)), gzip,
            name, read, validate, one);
    if (length == valid.size()) REQUIRE_MESSAGE(one.read == 1, "the intact file must be read");
    counts.read += one.read;
    counts.rejected += one.rejected;
  }
  ctnn::detail::random_generator rng(seed);
  for (int m = 0; m < flips; ++m) {
    bytes mutated = valid;
    const int bits = 1 + static_cast<int>(rng.below(3));
    for (int b = 0; b < bits; ++b) {
      const auto at = static_cast<std::size_t>(rng.below(mutated.size()));
      mutated[at] ^= static_cast<unsigned char>(1u << rng.below(8));
    }
    CAPTURE(m);
    run_one(file, mutated, gzip, name, read, validate, counts);
  }
  return counts;
}

}  // namespace

TEST_CASE("IDX readers: truncations and bit flips end in file_error or a consistent read") {
  temp_dir dir;
  struct valid_file {
    std::string name;
    bytes content;
    std::vector<std::string> readers;  // those that accept the intact file
  };
  const std::string f = "read_idx<float>", d = "read_idx<double>", images = "read_idx_images",
                    labels = "read_idx_labels";
  const std::vector<valid_file> files = {
      {"images u8",
       idx_file(0x08, {3, 2, 2}, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}),
       {f, d, images}},
      {"labels u8", idx_file(0x08, {6}, {0, 1, 2, 9, 8, 7}), {f, d, labels}},
      {"labels i8", idx_file(0x09, {3}, {1, 2, 3}), {f, d, labels}},
      {"i16", idx_file(0x0B, {4}, {-300, 300, 0, 7}), {f, d}},
      {"i32", idx_file(0x0C, {3}, {-70000, 70000, 1}), {f, d}},
      {"f32", idx_file(0x0D, {2, 1, 2}, {0.5, -1.5, 3e10, 1e-10}), {f, d}},
      {"f64", idx_file(0x0E, {2}, {0.25, -1e100}), {d}},
  };
  std::uint64_t seed = 1;
  for (const valid_file& vf : files) {  // no structured bindings: clang 14 cannot capture them
    for (bool gzip : {false, true}) {
      for (const auto& named : idx_readers) {
        const std::string& reader_name = named.first;
        if (std::find(vf.readers.begin(), vf.readers.end(), reader_name) == vf.readers.end())
          continue;
        INFO("file " << vf.name);
        const auto counts = fuzz(
            dir, vf.content, gzip, reader_name, named.second,
            [&](const bytes& c, const result_shape& r) { check_idx(reader_name, c, r); }, 300,
            seed++);
        CHECK(counts.rejected > 0);
      }
    }
  }
}

TEST_CASE("IDX: plain data bytes flipped are still read (the fuzz can see successes)") {
  temp_dir dir;
  const bytes valid = idx_file(0x08, {3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  outcome_counts counts;
  for (std::size_t at = 12; at < valid.size(); ++at) {  // after the 12-byte header
    bytes mutated = valid;
    mutated[at] ^= 0x80;
    run_one(
        dir / "flip", mutated, false, "read_idx<float>", idx_readers[0].second,
        [](const bytes& c, const result_shape& r) { check_idx("read_idx<float>", c, r); }, counts);
  }
  CHECK(counts.read == 12);
  CHECK(counts.rejected == 0);
}

TEST_CASE("CSV readers: truncations and bit flips end in file_error or a consistent read") {
  temp_dir dir;
  const std::string comma = "a,b,label\n1,2.5,0\n-3,4e2,1\n5,6,2\n";
  const std::string semicolon = "a;b;label\n1;2.5;0\n-3;4e2;1\n";
  std::uint64_t seed = 1000;
  for (bool gzip : {false, true}) {
    for (const auto& named : csv_readers) {
      const std::string& reader_name = named.first;
      const std::string& text = reader_name.ends_with(';') ? semicolon : comma;
      const auto counts = fuzz(
          dir, bytes(text.begin(), text.end()), gzip, reader_name, named.second,
          [&](const bytes& c, const result_shape& r) { check_csv(reader_name, c, r); }, 300,
          seed++);
      CHECK(counts.rejected > 0);
      if (!gzip) CHECK(counts.read > 1);  // some truncations (at line ends) are valid files
    }
  }
}
