// Damaged model files: every truncation of a small model and a few hundred seeded bit flips, in
// the native format and in safetensors. Each load must end in a file_error that leaves the
// destination unchanged; the only exception is a safetensors flip that keeps the header valid
// (inside the data, or inside a metadata string), which loads exactly the damaged values. The
// native format's CRC-32 catches every flip. Run this under -fsanitize=address,undefined too.

#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/model_file.hpp>
#include <ctnn/io/safetensors.hpp>
#include <random>

#include "test_files.hpp"

namespace {

using small_net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<2>, ctnn::softmax>;

enum class outcome { loaded, file_error, other_exception };

template <class Load>
outcome attempt(Load&& load, std::string& message) {
  try {
    load();
    return outcome::loaded;
  } catch (const ctnn::io::file_error& e) {
    message = e.what();
    return outcome::file_error;
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "(not a std::exception)";
  }
  return outcome::other_exception;
}

template <class T>
ctnn::parameters<small_net, T> filled(unsigned seed) {
  ctnn::parameters<small_net, T> p;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<T>(u(rng));
  return p;
}

template <class T>
bool same_bits(const ctnn::parameters<small_net, T>& a, const ctnn::parameters<small_net, T>& b) {
  return std::memcmp(a.data(), b.data(), sizeof(T) * a.size()) == 0;
}

// Loads `bytes` as `file` into a destination holding a sentinel; a failure must leave it as it was.
template <class T, class Load>
outcome load_damaged(const std::filesystem::path& file, const io_test::bytes& bytes, Load load,
                     ctnn::parameters<small_net, T>& dest, std::string& message) {
  io_test::write_bytes(file, bytes);
  const auto sentinel = filled<T>(99);
  dest = sentinel;
  const outcome o = attempt([&] { load(file, dest); }, message);
  if (o != outcome::loaded) CHECK(same_bits(dest, sentinel));
  return o;
}

template <class T>
void fuzz_native() {
  io_test::temp_dir dir;
  const auto file = dir / "m.ctnn";
  const auto saved = filled<T>(1);
  ctnn::io::save_model(file, saved);
  const auto good = io_test::read_bytes(file);
  const auto load = [](const auto& f, auto& p) { ctnn::io::load_model(f, p); };
  ctnn::parameters<small_net, T> dest;
  std::string message;

  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    const io_test::bytes cut(good.begin(), good.begin() + std::ptrdiff_t(length));
    CHECK(load_damaged<T>(file, cut, load, dest, message) == outcome::file_error);
    CHECK(message.find(file.string()) != std::string::npos);
  }
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    auto bytes = good;
    const std::size_t at = rng() % bytes.size();
    const int bit = static_cast<int>(rng() % 8);
    bytes[at] ^= static_cast<unsigned char>(1u << bit);
    CAPTURE(at);
    CAPTURE(bit);
    CHECK(load_damaged<T>(file, bytes, load, dest, message) == outcome::file_error);
  }
  REQUIRE(load_damaged<T>(file, good, load, dest, message) == outcome::loaded);
  CHECK(same_bits(dest, saved));
}

template <class T>
void fuzz_safetensors() {
  io_test::temp_dir dir;
  const auto file = dir / "m.safetensors";
  const auto saved = filled<T>(3);
  ctnn::io::save_safetensors(file, saved);
  const auto good = io_test::read_bytes(file);
  std::uint64_t header_length = 0;
  for (int k = 7; k >= 0; --k) header_length = header_length << 8 | good[k];
  const std::size_t data_start = 8 + header_length;
  const auto load = [](const auto& f, auto& p) { ctnn::io::load_safetensors(f, p); };
  ctnn::parameters<small_net, T> dest;
  std::string message;

  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    const io_test::bytes cut(good.begin(), good.begin() + std::ptrdiff_t(length));
    CHECK(load_damaged<T>(file, cut, load, dest, message) == outcome::file_error);
  }
  std::mt19937 rng(4048);
  int loaded_from_data = 0, refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    auto bytes = good;
    // Half the flips in the header, half in the data.
    const std::size_t at = trial % 2 ? rng() % data_start : data_start + rng() % (good.size() - data_start);
    const int bit = static_cast<int>(rng() % 8);
    bytes[at] ^= static_cast<unsigned char>(1u << bit);
    CAPTURE(at);
    CAPTURE(bit);
    const outcome o = load_damaged<T>(file, bytes, load, dest, message);
    CAPTURE(message);
    REQUIRE(o != outcome::other_exception);
    if (o == outcome::file_error) {
      ++refused;
      CHECK(message.find(file.string()) != std::string::npos);
      continue;
    }
    // Loaded: the values must be exactly the file's, i.e. the saved ones with the flip applied
    // (tensors are stored in parameter order, so data byte j is byte j of the flat block).
    auto expected = saved;
    if (at >= data_start)
      reinterpret_cast<unsigned char*>(expected.data())[at - data_start] ^= static_cast<unsigned char>(1u << bit);
    CHECK(same_bits(dest, expected));
    if (at >= data_start) ++loaded_from_data;
  }
  MESSAGE("safetensors flips: ", refused, " refused, ", loaded_from_data, " data flips loaded");
  CHECK(loaded_from_data == 200);  // a data flip changes a value, never the file's validity
  CHECK(refused > 100);
}

}  // namespace

TEST_CASE("damaged native model files end in file_error (float and double)") {
  fuzz_native<float>();
  fuzz_native<double>();
}

TEST_CASE("damaged safetensors files end in file_error or load exactly their bytes") {
  fuzz_safetensors<float>();
  fuzz_safetensors<double>();
}
