#pragma once
// Readers for IDX files, the format of MNIST and Fashion-MNIST: a magic number
// 00 00 <type> <ndims>, ndims big-endian 32-bit dimensions, then the values, big-endian, last
// dimension fastest. gzip-compressed files (detected by their first bytes, not by the name) are
// read the same way.
//
//   auto images = ctnn::io::read_idx_images<float>(dir / "train-images-idx3-ubyte.gz",
//                                                  ctnn::io::image_scale::unit_interval);
//   auto labels = ctnn::io::read_idx_labels(dir / "train-labels-idx1-ubyte.gz");
//
// Every problem (missing or empty file, bad magic, unknown type code, dimensions that overflow or
// do not match the data, truncated or corrupt gzip, trailing data) throws file_error naming the
// file, the byte offset and the problem. Values must also convert faithfully: NaN and infinity,
// a float64 beyond the range of float, or an integer that T cannot hold exactly (above 2^24 for
// float) are errors rather than silently changed data. float64 -> float rounds, as a cast does.

#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "byte_stream.hpp"
#include "file_error.hpp"
#include "matrix.hpp"

namespace ctnn::io {

// The type codes of the IDX format (the third byte of the magic number).
enum class idx_type : std::uint8_t {
  unsigned_byte = 0x08,
  signed_byte = 0x09,
  int16 = 0x0B,
  int32 = 0x0C,
  float32 = 0x0D,
  float64 = 0x0E,
};

template <std::floating_point T>
struct idx_array {
  idx_type type = idx_type::unsigned_byte;  // how the values were stored in the file
  std::vector<std::size_t> dims;            // as in the header, e.g. {60000, 28, 28}
  std::vector<T> values;                    // product of dims, last dimension fastest
};

namespace detail {

inline std::size_t idx_type_size(std::uint8_t code) {
  switch (code) {
    case 0x08:
    case 0x09:
      return 1;
    case 0x0B:
      return 2;
    case 0x0C:
    case 0x0D:
      return 4;
    case 0x0E:
      return 8;
    default:
      return 0;  // unknown
  }
}

inline const char* idx_type_name(idx_type type) {
  switch (type) {
    case idx_type::unsigned_byte:
      return "unsigned byte (0x08)";
    case idx_type::signed_byte:
      return "signed byte (0x09)";
    case idx_type::int16:
      return "int16 (0x0B)";
    case idx_type::int32:
      return "int32 (0x0C)";
    case idx_type::float32:
      return "float32 (0x0D)";
    case idx_type::float64:
      return "float64 (0x0E)";
  }
  return "unknown";
}

inline std::string hex(std::uint64_t value, int digits) {
  static constexpr char hex_digits[] = "0123456789ABCDEF";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    s[static_cast<std::size_t>(i)] = hex_digits[value & 15];
  return "0x" + s;
}

inline std::string dims_text(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

inline std::uint64_t big_endian(const unsigned char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// One stored value as a double (exact for every IDX type), or NaN/inf as stored.
inline double idx_value(idx_type type, const unsigned char* p) {
  switch (type) {
    case idx_type::unsigned_byte:
      return p[0];
    case idx_type::signed_byte:
      return static_cast<std::int8_t>(p[0]);
    case idx_type::int16:
      return static_cast<std::int16_t>(static_cast<std::uint16_t>(big_endian(p, 2)));
    case idx_type::int32:
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(big_endian(p, 4)));
    case idx_type::float32:
      return std::bit_cast<float>(static_cast<std::uint32_t>(big_endian(p, 4)));
    case idx_type::float64:
      return std::bit_cast<double>(big_endian(p, 8));
  }
  return 0;
}

template <std::floating_point T>
T convert_idx_value(const byte_stream& in, idx_type type, double v, std::uint64_t offset) {
  if (!std::isfinite(v))
    in.fail(in.at_byte(offset), std::string("the value is ") +
                                    (std::isnan(v) ? "NaN" : "infinite") +
                                    ": training data must be finite numbers");
  const T t = static_cast<T>(v);
  if (type == idx_type::float64 && !std::isfinite(t))
    in.fail(in.at_byte(offset), "the float64 value " + std::to_string(v) +
                                    " is beyond the range of float; read it as double");
  if (type == idx_type::int32 && static_cast<double>(t) != v)
    in.fail(in.at_byte(offset), "the int32 value " + std::to_string(static_cast<std::int64_t>(v)) +
                                    " cannot be held exactly by float; read it as double");
  return t;
}

// An IDX header, checked against the data that follows where the size is known; `declared`
// states it for the errors about the data.
struct idx_header {
  idx_type type = idx_type::unsigned_byte;
  std::vector<std::size_t> dims;
  std::uint64_t count = 0, header_size = 0, data_size = 0;
  std::string declared;
};

// Not a template: the header checks are the same for every value type, and every program that
// reads an IDX file compiles them (value_size: the bytes of one value as stored in memory).
inline idx_header read_idx_header(byte_stream& in, std::size_t value_size) {
  unsigned char magic[4];
  const std::size_t got = in.read(magic, 4);
  if (got < 4)
    in.fail("", "the data is only " + std::to_string(got) +
                    " bytes long: too short for the 4-byte IDX magic number");
  const std::uint32_t magic_number = static_cast<std::uint32_t>(big_endian(magic, 4));
  if (magic[0] != 0 || magic[1] != 0)
    in.fail(in.at_byte(0), "bad magic number " + hex(magic_number, 8) +
                               ": an IDX file starts with two zero bytes, then a type code and "
                               "the number of dimensions");
  const std::size_t type_size = idx_type_size(magic[2]);
  if (type_size == 0)
    in.fail(in.at_byte(2), "unknown IDX type code " + hex(magic[2], 2) +
                               " (known: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, "
                               "0x0C int32, 0x0D float32, 0x0E float64)");
  const std::size_t ndims = magic[3];
  if (ndims == 0)
    in.fail(in.at_byte(3), "the header declares 0 dimensions; an IDX array needs at least 1");

  idx_header h;
  h.type = static_cast<idx_type>(magic[2]);
  h.header_size = 4 + 4 * std::uint64_t{ndims};
  unsigned char dim_bytes[4 * 255];
  const std::size_t dims_got = in.read(dim_bytes, 4 * ndims);
  if (dims_got < 4 * ndims)
    in.fail(in.at_byte(4 + dims_got), "the data ends inside the header: " + std::to_string(ndims) +
                                          " dimensions need " + std::to_string(h.header_size) +
                                          " header bytes, only " + std::to_string(4 + dims_got) +
                                          " are present (truncated file)");

  // The element count must be computed without overflow before anything is sized from it.
  std::uint64_t count = 1;
  bool overflow = false;
  for (std::size_t i = 0; i < ndims; ++i) {
    const std::uint64_t d = big_endian(dim_bytes + 4 * i, 4);
    h.dims.push_back(static_cast<std::size_t>(d));
    if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / d) overflow = true;
    if (!overflow) count *= d;
  }
  if (overflow || count > std::numeric_limits<std::uint64_t>::max() / type_size ||
      count > std::numeric_limits<std::size_t>::max() / value_size)
    in.fail(in.at_byte(4), "the dimensions " + dims_text(h.dims) +
                               " declare more values than can be stored (their product overflows): "
                               "the header is corrupt");
  h.count = count;
  h.data_size = count * type_size;
  h.declared = "the header declares " + dims_text(h.dims) + " = " + std::to_string(count) +
               " values of " + idx_type_name(h.type) + ", " + std::to_string(h.data_size) +
               " bytes after the " + std::to_string(h.header_size) + "-byte header";

  // A plain file's size is known: check it before allocating (a corrupt header can claim a lot).
  if (in.plain_size() != UINT64_MAX) {
    if (in.plain_size() < h.header_size + h.data_size)
      in.fail("", h.declared + ", but the file has only " +
                      std::to_string(in.plain_size() - h.header_size) +
                      " bytes of data (truncated file, or wrong dimensions)");
    if (in.plain_size() > h.header_size + h.data_size)
      in.fail(in.at_byte(h.header_size + h.data_size),
              h.declared + ", but " +
                  std::to_string(in.plain_size() - h.header_size - h.data_size) +
                  " more bytes follow (trailing garbage, or wrong dimensions)");
  }
  return h;
}

[[noreturn]] inline void fail_idx_data_ends(const byte_stream& in, const idx_header& h,
                                            std::uint64_t got) {
  in.fail("", h.declared + ", but the data ends after " + std::to_string(got) +
                  " bytes (truncated file, or wrong dimensions)");
}

inline void check_idx_end(byte_stream& in, const idx_header& h) {
  if (!in.at_end())
    in.fail(in.at_byte(h.header_size + h.data_size),
            h.declared + ", but more data follows (trailing garbage, or wrong dimensions)");
}

template <std::floating_point T>
idx_array<T> read_idx_from(byte_stream& in) {
  idx_header h = read_idx_header(in, sizeof(T));
  idx_array<T> out;
  out.type = h.type;
  out.dims = std::move(h.dims);
  if (in.plain_size() != UINT64_MAX) out.values.reserve(static_cast<std::size_t>(h.count));

  // Convert chunk by chunk: no second copy of the raw bytes, and gzip data is only stored once it
  // has really been decompressed. The chunk is a multiple of every type size.
  const std::size_t type_size = idx_type_size(static_cast<std::uint8_t>(h.type));
  std::vector<unsigned char> chunk(std::size_t{1} << 16);
  std::uint64_t remaining = h.data_size;
  std::uint64_t offset = h.header_size;
  while (remaining > 0) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
    const std::size_t n = in.read(chunk.data(), want);
    if (n < want) fail_idx_data_ends(in, h, h.data_size - remaining + n);
    for (std::size_t i = 0; i < n; i += type_size, offset += type_size)
      out.values.push_back(
          convert_idx_value<T>(in, out.type, idx_value(out.type, chunk.data() + i), offset));
    remaining -= n;
  }
  check_idx_end(in, h);
  return out;
}

}  // namespace detail

// The whole array, values converted to T (float or double).
template <std::floating_point T>
idx_array<T> read_idx(const std::filesystem::path& file) {
  detail::byte_stream in(file, "read_idx");
  return detail::read_idx_from<T>(in);
}

// How read_idx_images maps stored values: as they are, or unsigned bytes 0..255 to [0, 1].
enum class image_scale { raw, unit_interval };

// An array of n samples (images) as an n x (product of the other dims) matrix, e.g. 60000 x 784.
// The file must have at least 2 dimensions; unit_interval needs unsigned byte data.
template <std::floating_point T>
matrix<T> read_idx_images(const std::filesystem::path& file, image_scale scale = image_scale::raw) {
  detail::byte_stream in(file, "read_idx_images");
  idx_array<T> a = detail::read_idx_from<T>(in);
  if (a.dims.size() < 2)
    in.fail("", "an images file needs at least 2 dimensions (samples x pixels...), this one has " +
                    std::to_string(a.dims.size()) + " (" + detail::dims_text(a.dims) +
                    "): is it a labels file?");
  if (scale == image_scale::unit_interval && a.type != idx_type::unsigned_byte)
    in.fail("", std::string("scaling to [0, 1] maps unsigned bytes 0..255, but the values are ") +
                    detail::idx_type_name(a.type) + "; read them with image_scale::raw");
  matrix<T> m;
  m.rows = a.dims[0];
  m.cols = 1;
  for (std::size_t i = 1; i < a.dims.size(); ++i) {
    // Only reachable with 0 samples, when the product of all dims did not guard this one.
    if (a.dims[i] != 0 && m.cols > std::numeric_limits<std::size_t>::max() / a.dims[i])
      in.fail("",
              "the dimensions " + detail::dims_text(a.dims) + " overflow: the header is corrupt");
    m.cols *= a.dims[i];
  }
  m.values = std::move(a.values);
  if (scale == image_scale::unit_interval)
    for (T& v : m.values) v /= T(255);
  return m;
}

// Class labels from a 1-dimensional file of integers (unsigned or signed byte, int16, int32);
// a negative label is an error.
inline std::vector<std::size_t> read_idx_labels(const std::filesystem::path& file) {
  detail::byte_stream in(file, "read_idx_labels");
  const idx_array<double> a = detail::read_idx_from<double>(in);
  if (a.dims.size() != 1)
    in.fail("", "a labels file has 1 dimension, this one has " + std::to_string(a.dims.size()) +
                    " (" + detail::dims_text(a.dims) + "): is it an images file?");
  if (a.type == idx_type::float32 || a.type == idx_type::float64)
    in.fail(in.at_byte(2), std::string("labels must be integers, but the values are ") +
                               detail::idx_type_name(a.type));
  std::vector<std::size_t> labels(a.values.size());
  const std::size_t type_size = detail::idx_type_size(static_cast<std::uint8_t>(a.type));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (a.values[i] < 0)
      in.fail(in.at_byte(8 + i * type_size),
              "label " + std::to_string(i) + " is negative (" +
                  std::to_string(static_cast<long long>(a.values[i])) + ")");
    labels[i] = static_cast<std::size_t>(a.values[i]);
  }
  return labels;
}

}  // namespace ctnn::io
