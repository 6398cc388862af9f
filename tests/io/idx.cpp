// IDX readers: exact round trips of every IDX type, plain and gzip; the convenience readers for
// images and labels; and every kind of bad file, each with a message naming the file, the place
// and the problem. Files are written here, byte by byte from the format description.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctnn/io/idx.hpp>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "test_files.hpp"

using namespace io_test;

namespace {

// Runs `read`, which must throw ctnn::io::file_error (not any other type) whose message names
// `file` and contains every one of `parts`.
void check_file_error(const std::function<void()>& read, const std::filesystem::path& file,
                      std::initializer_list<std::string> parts) {
  try {
    read();
    FAIL("no exception for " << file);
  } catch (const ctnn::io::file_error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(e.path() == file);
    CHECK(message.find("'" + file.string() + "'") != std::string::npos);
    for (const std::string& part : parts)
      CHECK_MESSAGE(message.find(part) != std::string::npos, "missing: " << part);
  }
}

struct type_case {
  std::uint8_t code;
  ctnn::io::idx_type type;
  std::vector<double> values;  // exactly representable in the type (and in float and double)
};

const std::vector<type_case> type_cases = {
    {0x08, ctnn::io::idx_type::unsigned_byte, {0, 1, 2, 127, 128, 200, 254, 255, 7, 9, 3, 0}},
    {0x09, ctnn::io::idx_type::signed_byte, {-128, -1, 0, 1, 127, -50, 50, 3, -3, 100, -100, 0}},
    {0x0B, ctnn::io::idx_type::int16, {-32768, 32767, -1, 0, 1, 256, -256, 12345, -12345, 2, 3, 4}},
    {0x0C,
     ctnn::io::idx_type::int32,
     {-16777216, 16777216, -1, 0, 1, 65536, -65536, 123456, 7, 8, 9, 10}},
    {0x0D,
     ctnn::io::idx_type::float32,
     {0.5, -0.25, 1e-3f, 3.0e38f, -1.5e-38f, 0, -0.0, 1, 2, 3, 4, 5}},
    {0x0E, ctnn::io::idx_type::float64, {0.1, -1e300, 1e-300, 2.0 / 3.0, 0, 1, -1, 5, 6, 7, 8, 9}},
};

template <class T>
void check_round_trip(bool gzip) {
  temp_dir dir;
  for (const type_case& tc : type_cases) {
    CAPTURE(int(tc.code));
    CAPTURE(gzip);
    const std::vector<std::uint32_t> dims = {2, 3, 2};
    // Built with append: GCC 12 at -O3 gives a false -Wrestrict for "literal" + std::string.
    std::string name = std::to_string(tc.code);
    name.append(gzip ? ".idx.gz" : ".idx");
    const auto file = dir / name;
    (gzip ? write_gzip : write_bytes)(file, idx_file(tc.code, dims, tc.values));
    if (std::is_same_v<T, float> && tc.code == 0x0E) {
      // ±1e300 is beyond float: the reader must refuse instead of storing infinity.
      check_file_error([&] { (void)ctnn::io::read_idx<T>(file); }, file,
                       {"byte 24", "beyond the range of float", "read it as double"});
      continue;
    }
    const auto a = ctnn::io::read_idx<T>(file);
    CHECK(a.type == tc.type);
    CHECK(a.dims == std::vector<std::size_t>{2, 3, 2});
    REQUIRE(a.values.size() == tc.values.size());
    for (std::size_t i = 0; i < tc.values.size(); ++i) {
      CAPTURE(i);
      // float32 data read as double is the stored float exactly; everything else is T(value).
      const T expected = tc.code == 0x0D ? static_cast<T>(static_cast<float>(tc.values[i]))
                                         : static_cast<T>(tc.values[i]);
      CHECK(a.values[i] == expected);
      CHECK(std::signbit(a.values[i]) == std::signbit(expected));
    }
  }
}

}  // namespace

TEST_CASE("read_idx round-trips every IDX type exactly, plain and gzip, as float and double") {
  check_round_trip<double>(false);
  check_round_trip<double>(true);
  check_round_trip<float>(false);
  check_round_trip<float>(true);
}

TEST_CASE("gzip is recognised by its magic bytes, not by the file name") {
  temp_dir dir;
  const bytes file = idx_file(0x08, {4}, {1, 2, 3, 4});
  write_gzip(dir / "compressed.idx", file);  // gzip without .gz
  write_bytes(dir / "plain.gz", file);       // plain with .gz
  CHECK(ctnn::io::read_idx<float>(dir / "compressed.idx").values == std::vector<float>{1, 2, 3, 4});
  CHECK(ctnn::io::read_idx<float>(dir / "plain.gz").values == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("a gzip file of several members (cat a.gz b.gz) is one stream") {
  temp_dir dir;
  const bytes file = idx_file(0x0B, {3, 2}, {1, -2, 3, -4, 5, -6});
  write_gzip(dir / "a.gz", bytes(file.begin(), file.begin() + 9));
  write_gzip(dir / "b.gz", bytes(file.begin() + 9, file.end()));
  bytes joined = read_bytes(dir / "a.gz");
  const bytes second = read_bytes(dir / "b.gz");
  joined.insert(joined.end(), second.begin(), second.end());
  write_bytes(dir / "ab.gz", joined);
  const auto a = ctnn::io::read_idx<double>(dir / "ab.gz");
  CHECK(a.dims == std::vector<std::size_t>{3, 2});
  CHECK(a.values == std::vector<double>{1, -2, 3, -4, 5, -6});
}

TEST_CASE("a large file spanning many read chunks round-trips") {
  temp_dir dir;
  std::vector<double> values(300000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = double((i * 7919) % 65536) - 32768;
  write_gzip(dir / "big.gz", idx_file(0x0B, {300, 1000}, values));
  write_bytes(dir / "big", idx_file(0x0B, {300, 1000}, values));
  for (const char* name : {"big.gz", "big"}) {
    const auto a = ctnn::io::read_idx<float>(dir / name);
    REQUIRE(a.values.size() == values.size());
    CHECK(std::equal(a.values.begin(), a.values.end(), values.begin()));
  }
}

TEST_CASE("read_idx_images: n x (rows*cols), raw or scaled to [0, 1]") {
  temp_dir dir;
  std::vector<double> pixels(3 * 2 * 4);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = double(i * 11);  // up to 253
  pixels[5] = 255;
  write_gzip(dir / "images.gz", idx_file(0x08, {3, 2, 4}, pixels));

  const auto raw = ctnn::io::read_idx_images<float>(dir / "images.gz");
  CHECK(raw.rows == 3);
  CHECK(raw.cols == 8);
  CHECK(raw(1, 0) == 88.0f);  // image 1, pixel (0, 0) is value 8
  CHECK(raw(0, 5) == 255.0f);

  const auto unit =
      ctnn::io::read_idx_images<double>(dir / "images.gz", ctnn::io::image_scale::unit_interval);
  REQUIRE(unit.values.size() == 24);
  for (std::size_t i = 0; i < 24; ++i) CHECK(unit.values[i] == pixels[i] / 255.0);
  CHECK(unit(0, 5) == 1.0);

  // More than 3 dims (n x channels x rows x cols) flattens all but the first.
  write_bytes(dir / "colour", idx_file(0x08, {2, 3, 2, 2}, pixels));
  const auto colour = ctnn::io::read_idx_images<float>(dir / "colour");
  CHECK(colour.rows == 2);
  CHECK(colour.cols == 12);

  write_bytes(dir / "labels", idx_file(0x08, {4}, {1, 2, 3, 4}));
  check_file_error([&] { (void)ctnn::io::read_idx_images<float>(dir / "labels"); }, dir / "labels",
                   {"read_idx_images", "at least 2 dimensions", "labels file"});
  write_bytes(dir / "shorts", idx_file(0x0B, {1, 2}, {1, 2}));
  check_file_error(
      [&] {
        (void)ctnn::io::read_idx_images<float>(dir / "shorts",
                                               ctnn::io::image_scale::unit_interval);
      },
      dir / "shorts", {"unsigned bytes 0..255", "int16"});
  CHECK(ctnn::io::read_idx_images<float>(dir / "shorts").values == std::vector<float>{1, 2});
}

TEST_CASE("read_idx_labels: integers, 1 dimension, none negative") {
  temp_dir dir;
  write_gzip(dir / "labels.gz", idx_file(0x08, {6}, {0, 9, 3, 3, 255, 1}));
  CHECK(ctnn::io::read_idx_labels(dir / "labels.gz") ==
        std::vector<std::size_t>{0, 9, 3, 3, 255, 1});
  write_bytes(dir / "wide", idx_file(0x0C, {3}, {7, 100000, 0}));
  CHECK(ctnn::io::read_idx_labels(dir / "wide") == std::vector<std::size_t>{7, 100000, 0});

  write_bytes(dir / "negative", idx_file(0x09, {4}, {1, 2, -3, 4}));
  check_file_error([&] { (void)ctnn::io::read_idx_labels(dir / "negative"); }, dir / "negative",
                   {"read_idx_labels", "byte 10", "label 2 is negative (-3)"});
  write_bytes(dir / "images", idx_file(0x08, {1, 2, 2}, {1, 2, 3, 4}));
  check_file_error([&] { (void)ctnn::io::read_idx_labels(dir / "images"); }, dir / "images",
                   {"1 dimension", "has 3 (1 x 2 x 2)", "images file"});
  write_bytes(dir / "floats", idx_file(0x0D, {2}, {1, 2}));
  check_file_error([&] { (void)ctnn::io::read_idx_labels(dir / "floats"); }, dir / "floats",
                   {"labels must be integers", "float32"});
}

TEST_CASE("missing, unreadable and empty files") {
  temp_dir dir;
  check_file_error([&] { (void)ctnn::io::read_idx<float>(dir / "nope.idx"); }, dir / "nope.idx",
                   {"ctnn::io::read_idx", "does not exist"});
  std::filesystem::create_directories(dir / "folder");
  check_file_error([&] { (void)ctnn::io::read_idx<float>(dir / "folder"); }, dir / "folder",
                   {"directory"});
  write_bytes(dir / "empty", {});
  check_file_error([&] { (void)ctnn::io::read_idx<float>(dir / "empty"); }, dir / "empty",
                   {"empty (0 bytes)"});
  write_gzip(dir / "empty.gz", {});  // a valid gzip stream of nothing
  check_file_error([&] { (void)ctnn::io::read_idx<float>(dir / "empty.gz"); }, dir / "empty.gz",
                   {"only 0 bytes", "4-byte IDX magic number"});
}

TEST_CASE("corrupt IDX headers") {
  temp_dir dir;
  const auto file = dir / "bad.idx";
  const auto expect = [&](const bytes& content, std::initializer_list<std::string> parts) {
    write_bytes(file, content);
    check_file_error([&] { (void)ctnn::io::read_idx<double>(file); }, file, parts);
  };
  expect({0, 0, 8}, {"only 3 bytes", "magic number"});
  expect({0x50, 0x4B, 3, 4, 0, 0, 0, 0}, {"byte 0", "bad magic number 0x504B0304"});
  expect({0, 0, 0x0A, 1, 0, 0, 0, 1, 5}, {"byte 2", "unknown IDX type code 0x0A"});
  expect({0, 0, 0x08, 0}, {"byte 3", "0 dimensions"});
  expect({0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0},
         {"byte 10", "ends inside the header", "16 header bytes"});
  // 2^32-1 cubed times 8 bytes: the product overflows 64 bits.
  expect(idx_header(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}), {"byte 4", "overflows"});
}

TEST_CASE("IDX data that does not match the header: truncated, trailing bytes, bad values") {
  temp_dir dir;
  const bytes good = idx_file(0x0B, {2, 3}, {1, 2, 3, 4, 5, 6});  // 12 + 12 bytes
  for (bool gzip : {false, true}) {
    CAPTURE(gzip);
    const auto file = dir / (gzip ? "x.gz" : "x");
    const auto write = gzip ? write_gzip : write_bytes;
    const auto expect = [&](const bytes& content, std::initializer_list<std::string> parts) {
      write(file, content);
      check_file_error([&] { (void)ctnn::io::read_idx<float>(file); }, file, parts);
    };
    expect(bytes(good.begin(), good.end() - 1),
           {"declares 2 x 3 = 6 values of int16 (0x0B), 12 bytes after the 12-byte header",
            gzip ? "ends after 11 bytes" : "only 11 bytes of data", "truncated"});
    bytes longer = good;
    longer.push_back(0);
    expect(longer, {gzip ? "byte 24 of the decompressed data" : "byte 24", "trailing garbage"});

    expect(idx_file(0x0D, {3}, {1, std::numeric_limits<double>::quiet_NaN(), 2}),
           {gzip ? "byte 12 of the decompressed data" : "byte 12", "NaN"});
    expect(idx_file(0x0E, {2}, {1, -std::numeric_limits<double>::infinity()}),
           {"byte 16", "infinite"});
    expect(idx_file(0x0C, {2}, {16777216, 16777217}),
           {"byte 12", "int32 value 16777217 cannot be held exactly by float"});
  }
  // Read as double, an int32 above 2^24 is fine.
  write_bytes(dir / "big_ints", idx_file(0x0C, {1}, {16777217}));
  CHECK(ctnn::io::read_idx<double>(dir / "big_ints").values[0] == 16777217.0);
}

TEST_CASE("damaged gzip streams: truncated, corrupt, trailing garbage") {
  temp_dir dir;
  std::vector<double> values(2000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = double(i % 251);
  write_gzip(dir / "good.gz", idx_file(0x08, {2000}, values));
  const bytes gz = read_bytes(dir / "good.gz");
  REQUIRE(ctnn::io::read_idx<float>(dir / "good.gz").values.size() == 2000);

  const auto expect = [&](const std::string& name, const bytes& content,
                          std::initializer_list<std::string> parts) {
    write_bytes(dir / name, content);
    check_file_error([&] { (void)ctnn::io::read_idx<float>(dir / name); }, dir / name, parts);
  };
  expect("cut.gz", bytes(gz.begin(), gz.end() - 5),
         {"byte " + std::to_string(gz.size() - 5), "gzip stream ends before its end marker",
          "truncated"});
  expect("cut_early.gz", bytes(gz.begin(), gz.begin() + 12), {"gzip stream ends"});
  bytes garbage = gz;
  for (unsigned char c : {'j', 'u', 'n', 'k'}) garbage.push_back(c);
  expect("garbage.gz", garbage,
         {"byte " + std::to_string(gz.size()), "4 bytes of trailing garbage"});
  bytes flipped = gz;
  flipped[flipped.size() - 6] ^= 0x10;  // inside the CRC-32 of the trailer
  expect("crc.gz", flipped, {"gzip data is corrupt", "incorrect data check"});
  bytes length = gz;
  length[length.size() - 2] ^= 0x01;  // inside ISIZE, the length of the trailer
  expect("length.gz", length, {"gzip data is corrupt", "length"});
}

TEST_CASE("Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist)") {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  const char* names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  for (const char* name : names) {
    if (!std::filesystem::exists(dir / name)) {
      MESSAGE("SKIPPED: " << (dir / name).string()
                          << " is absent; install the Debian package dataset-fashion-mnist");
      return;
    }
  }
  const auto check_split = [&](const char* images_name, const char* labels_name, std::size_t n) {
    const auto images =
        ctnn::io::read_idx_images<float>(dir / images_name, ctnn::io::image_scale::unit_interval);
    CHECK(images.rows == n);
    CHECK(images.cols == 28 * 28);
    CHECK(*std::min_element(images.values.begin(), images.values.end()) == 0.0f);
    CHECK(*std::max_element(images.values.begin(), images.values.end()) == 1.0f);
    const auto labels = ctnn::io::read_idx_labels(dir / labels_name);
    REQUIRE(labels.size() == n);
    std::vector<std::size_t> per_class(10);
    for (std::size_t label : labels) {
      REQUIRE(label < 10);
      ++per_class[label];
    }
    for (std::size_t count : per_class) CHECK(count == n / 10);  // Fashion-MNIST is balanced
    const auto raw = ctnn::io::read_idx<float>(dir / images_name);
    CHECK(raw.dims == std::vector<std::size_t>{n, 28, 28});
  };
  check_split(names[0], names[1], 60000);
  check_split(names[2], names[3], 10000);
}
