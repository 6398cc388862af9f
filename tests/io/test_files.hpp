#pragma once
// Helpers shared by the io tests: a private temporary directory, writing bytes (plain or gzip,
// the latter with zlib's own gzopen/gzwrite so the reader is checked against an independent
// writer), and building IDX files byte by byte from the format description.

#include <doctest/doctest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace io_test {

using bytes = std::vector<unsigned char>;

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    dir_ = std::filesystem::temp_directory_path() /
           ("ctnn_io_test_" + std::to_string(stamp) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

inline void write_bytes(const std::filesystem::path& file, const bytes& data) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  write_bytes(file, bytes(text.begin(), text.end()));
}

inline void write_gzip(const std::filesystem::path& file, const bytes& data) {
  gzFile gz = gzopen(file.string().c_str(), "wb");
  REQUIRE(gz != nullptr);
  if (!data.empty())
    REQUIRE(gzwrite(gz, data.data(), static_cast<unsigned>(data.size())) ==
            static_cast<int>(data.size()));
  REQUIRE(gzclose(gz) == Z_OK);
}

inline bytes read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Decompressed content of a gzip file, by zlib's gzread (used only on files a reader accepted).
inline bytes gunzip_file(const std::filesystem::path& file) {
  gzFile gz = gzopen(file.string().c_str(), "rb");
  REQUIRE(gz != nullptr);
  bytes out;
  unsigned char buf[4096];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(gz);
  return out;
}

inline void put_be(bytes& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

// An IDX file: magic 00 00 type ndims, big-endian dims, then `data` (already encoded).
inline bytes idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
  bytes out{0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims) put_be(out, d, 4);
  return out;
}

// Values encoded big-endian as the IDX type `type` wants them.
inline bytes idx_encode(std::uint8_t type, const std::vector<double>& values) {
  bytes out;
  for (double v : values) {
    switch (type) {
      case 0x08:
        out.push_back(static_cast<unsigned char>(v));
        break;
      case 0x09:
        out.push_back(static_cast<unsigned char>(static_cast<std::int8_t>(v)));
        break;
      case 0x0B:
        put_be(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(v)), 2);
        break;
      case 0x0C:
        put_be(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)), 4);
        break;
      case 0x0D: {
        const float f = static_cast<float>(v);
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        put_be(out, u, 4);
        break;
      }
      case 0x0E: {
        std::uint64_t u;
        std::memcpy(&u, &v, 8);
        put_be(out, u, 8);
        break;
      }
      default:
        FAIL("bad type in test");
    }
  }
  return out;
}

inline bytes idx_file(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                      const std::vector<double>& values) {
  bytes out = idx_header(type, dims);
  const bytes data = idx_encode(type, values);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace io_test
