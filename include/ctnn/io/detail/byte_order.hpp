#pragma once
// Internal (ctnn::io::detail, unstable): little-endian encoding (and big-endian decoding) of integers and IEEE floats, and
// the CRC-32 of the model formats. Bytes are assembled by shifts, so the files are the same on
// any host byte order.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace ctnn::io::detail {

template <class T>
using bits_of = std::conditional_t<sizeof(T) == 8, std::uint64_t,
                                   std::conditional_t<sizeof(T) == 4, std::uint32_t,
                                                      std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                                         std::uint8_t>>>;

// Writes v (an integer or float of 1, 2, 4 or 8 bytes) at out, least significant byte first.
template <class T>
constexpr void store_le(unsigned char* out, T v) {
  const auto bits = std::bit_cast<bits_of<T>>(v);
  for (std::size_t k = 0; k < sizeof(T); ++k)
    out[k] = static_cast<unsigned char>((bits >> (8 * k)) & 0xffu);
}

template <class T>
constexpr T load_le(const unsigned char* in) {
  bits_of<T> bits = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k) bits |= static_cast<bits_of<T>>(in[k]) << (8 * k);
  return std::bit_cast<T>(bits);
}

// The same bytes read most significant first: how a header written big-endian would read
// (load_model names such a file rather than misreading it).
template <class T>
constexpr T load_be(const unsigned char* in) {
  bits_of<T> bits = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k) bits = static_cast<bits_of<T>>(bits << 8) | in[k];
  return std::bit_cast<T>(bits);
}

// CRC-32 as zlib, PNG and gzip compute it (reflected polynomial 0xEDB88320), so a file's
// checksum can be recomputed with any standard tool (python: zlib.crc32).
inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}();

constexpr std::uint32_t crc32(std::span<const unsigned char> bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = crc32_table[(c ^ b) & 0xffu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace ctnn::io::detail
