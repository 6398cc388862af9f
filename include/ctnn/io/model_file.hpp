#pragma once
// ctnn's native model file: one network's parameters, with enough in the header to refuse a file
// that does not belong to the program loading it.
//
//   ctnn::io::save_model("xor.ctnn", p);   // atomic: the old file stays whole until the new one is
//   ctnn::io::load_model("xor.ctnn", p);   // p is changed only if the whole file is valid
//
// Layout (version 1; integers and values little-endian):
//   byte  0   "CTNN"                     magic
//   byte  4   u32 format version         1
//   byte  8   u32 bytes per value        4 = float, 8 = double
//   byte 12   u32 L                      length of the architecture signature
//   byte 16   u64 parameter count
//   byte 24   u64 FNV-1a hash of the signature
//   byte 32   L bytes                    architecture signature, e.g. "input<2>,dense<8>,tanh,..."
//   then      parameter count values     the flat parameter block (W then b, layer by layer)
//   last 4    u32 CRC-32 (zlib's) of every byte before it
//
// Every problem throws ctnn::io::file_error naming the file and the problem: not a model file,
// a newer format, a damaged header, a different network ("was saved for network input<2>,... but
// this program's network is input<3>,..."), a different scalar type, a truncated file, trailing
// bytes, a checksum mismatch, a big-endian header. Parameters are stored bit-exactly (NaN
// payloads included).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "../nn/network.hpp"
#include "detail/architecture.hpp"
#include "detail/atomic_write.hpp"
#include "detail/byte_order.hpp"
#include "file_error.hpp"

namespace ctnn::io {

// The architecture signature of a network type (see detail/architecture.hpp), and its hash.
template <class Net>
inline constexpr std::string_view architecture_signature = detail::signature_chars<Net>.view();

template <class Net>
inline constexpr std::uint64_t architecture_hash = detail::fnv1a64(architecture_signature<Net>);

inline constexpr std::uint32_t model_format_version = 1;

namespace detail {

inline constexpr std::size_t model_header_size = 32;
inline constexpr std::size_t model_checksum_size = 4;

inline std::string scalar_name(std::uint32_t bytes) {
  return bytes == 4 ? "float" : bytes == 8 ? "double" : std::to_string(bytes) + "-byte";
}

// Reads the whole of a (small) file, or its first `limit` bytes.
inline std::vector<unsigned char> read_prefix(const char* reader, const std::filesystem::path& file,
                                              std::uint64_t limit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) file_failed(reader, file, "", "the file cannot be opened for reading (check its permissions)");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(limit));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(limit));
  if (in.bad()) file_failed(reader, file, "", "reading the file failed (I/O error)");
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

// The size of an existing regular file, or a file_error saying why there is none.
inline std::uint64_t regular_file_size(const char* reader, const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) file_failed(reader, file, "", "the file does not exist");
  if (std::filesystem::is_directory(status))
    file_failed(reader, file, "", "this is a directory, not a file");
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) file_failed(reader, file, "", "the file's size cannot be read: " + ec.message());
  return size;
}

}  // namespace detail

// Writes p to `file` (replacing it atomically). Throws file_error if the file cannot be written;
// the previous file, if any, is then unchanged.
template <class Net, class T>
void save_model(const std::filesystem::path& file, const parameters<Net, T>& p) {
  constexpr std::string_view signature = architecture_signature<Net>;
  std::vector<unsigned char> bytes(detail::model_header_size + signature.size() +
                                   p.size() * sizeof(T) + detail::model_checksum_size);
  unsigned char* out = bytes.data();
  out[0] = 'C', out[1] = 'T', out[2] = 'N', out[3] = 'N';
  detail::store_le<std::uint32_t>(out + 4, model_format_version);
  detail::store_le<std::uint32_t>(out + 8, sizeof(T));
  detail::store_le<std::uint32_t>(out + 12, static_cast<std::uint32_t>(signature.size()));
  detail::store_le<std::uint64_t>(out + 16, p.size());
  detail::store_le<std::uint64_t>(out + 24, architecture_hash<Net>);
  out += detail::model_header_size;
  for (char c : signature) *out++ = static_cast<unsigned char>(c);
  for (std::size_t k = 0; k < p.size(); ++k, out += sizeof(T)) detail::store_le<T>(out, p[k]);
  const auto body = std::span<const unsigned char>(bytes).first(bytes.size() - 4);
  detail::store_le<std::uint32_t>(out, detail::crc32(body));
  detail::atomic_write("save_model", file, bytes);
}

// Reads `file` into p. Throws file_error if the file is not a valid model file of exactly this
// network and scalar type; p is then unchanged.
template <class Net, class T>
void load_model(const std::filesystem::path& file, parameters<Net, T>& p) {
  const char* reader = "load_model";
  const auto fail = [&](const std::string& problem) { detail::file_failed(reader, file, "", problem); };
  constexpr std::string_view signature = architecture_signature<Net>;
  const std::uint64_t size = detail::regular_file_size(reader, file);

  // The header and the signature first: a file of another network is refused before its
  // (possibly large) payload is read.
  const std::uint64_t prefix_limit = detail::model_header_size + 65536;
  auto bytes = detail::read_prefix(reader, file, size < prefix_limit ? size : prefix_limit);
  if (bytes.size() < 4 || bytes[0] != 'C' || bytes[1] != 'T' || bytes[2] != 'N' || bytes[3] != 'N') {
    const std::string_view magic = "CTNN";
    if (bytes.size() < 4 && std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
                                magic.substr(0, bytes.size()))
      fail("the file is truncated: " + std::to_string(size) + " bytes, a model file has at least " +
           std::to_string(detail::model_header_size + detail::model_checksum_size));
    fail("this is not a ctnn model file (it does not start with \"CTNN\")");
  }
  if (bytes.size() < detail::model_header_size)
    fail("the file is truncated: " + std::to_string(size) +
         " bytes, it ends inside the 32-byte header");
  const unsigned char* h = bytes.data();  // re-pointed if bytes is re-read
  const auto version = detail::load_le<std::uint32_t>(h + 4);
  const auto value_bytes = detail::load_le<std::uint32_t>(h + 8);
  const auto signature_length = detail::load_le<std::uint32_t>(h + 12);
  const auto count = detail::load_le<std::uint64_t>(h + 16);
  const auto hash = detail::load_le<std::uint64_t>(h + 24);
  // A header written big-endian (by another tool: ctnn writes little-endian on every machine)
  // reads as a huge version; say so instead of calling it a newer format.
  const auto version_be = detail::load_be<std::uint32_t>(h + 4);
  const auto value_bytes_be = detail::load_be<std::uint32_t>(h + 8);
  if (version > model_format_version && version_be >= 1 && version_be <= model_format_version &&
      (value_bytes_be == 4 || value_bytes_be == 8))
    fail("the header is big-endian (format version " + std::to_string(version_be) +
         " byte-swapped); ctnn model files are little-endian on every machine, so this file was "
         "not written by ctnn's save_model");
  if (version > model_format_version)
    fail("the file has format version " + std::to_string(version) +
         ", newer than this program reads (version " + std::to_string(model_format_version) +
         "); it was written by a newer ctnn");
  if (version == 0) fail("the header is corrupt (format version 0)");
  if (value_bytes != 4 && value_bytes != 8)
    fail("the header is corrupt (" + std::to_string(value_bytes) +
         " bytes per value; a model file stores float (4) or double (8))");
  const std::uint64_t signature_end = detail::model_header_size + std::uint64_t{signature_length};
  if (signature_end > size)
    fail("the file is truncated or its header is corrupt: the " + std::to_string(signature_length) +
         "-byte architecture signature does not fit in the file's " + std::to_string(size) +
         " bytes");
  if (signature_end > bytes.size()) {
    bytes = detail::read_prefix(reader, file, signature_end);
    if (bytes.size() != signature_end) fail("the file changed while it was read");
    h = bytes.data();
  }
  const std::string_view stored(reinterpret_cast<const char*>(h + detail::model_header_size),
                                signature_length);
  if (detail::fnv1a64(stored) != hash)
    fail("the header is corrupt (the architecture signature does not match its hash)");

  if (stored != signature)
    fail("the file was saved for network " + std::string(stored) +
         " but this program's network is " + std::string(signature));
  if (value_bytes != sizeof(T))
    fail("the file stores " + detail::scalar_name(value_bytes) + " parameters, this program uses " +
         detail::scalar_name(sizeof(T)));
  if (count != p.size())
    fail("the header is corrupt (it counts " + std::to_string(count) + " parameters; network " +
         std::string(signature) + " has " + std::to_string(p.size()) + ")");

  const std::uint64_t expected = detail::model_header_size + signature.size() +
                                 p.size() * sizeof(T) + detail::model_checksum_size;
  if (size < expected)
    fail("the file is truncated: " + std::to_string(size) + " bytes, its header announces " +
         std::to_string(expected));
  if (size > expected)
    fail(std::to_string(size - expected) + " unexpected bytes follow the end of the model (" +
         std::to_string(expected) + " bytes)");
  if (bytes.size() < expected) bytes = detail::read_prefix(reader, file, expected);
  if (bytes.size() != expected)
    fail("the file changed while it was read (" + std::to_string(bytes.size()) + " of " +
         std::to_string(expected) + " bytes)");
  const auto body = std::span<const unsigned char>(bytes).first(bytes.size() - 4);
  const std::uint32_t stored_crc = detail::load_le<std::uint32_t>(bytes.data() + body.size());
  if (detail::crc32(body) != stored_crc)
    fail("the checksum does not match: the file is corrupt");

  // Everything is valid: only now touch the destination.
  const unsigned char* in = bytes.data() + detail::model_header_size + signature.size();
  for (std::size_t k = 0; k < p.size(); ++k, in += sizeof(T)) p[k] = detail::load_le<T>(in);
}

}  // namespace ctnn::io
