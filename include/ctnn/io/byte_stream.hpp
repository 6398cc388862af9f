#pragma once
// Internal (ctnn::io::detail, unstable): the bytes of a data file, gunzipped on the fly when the
// file starts with the gzip magic bytes 1f 8b (whatever its name), so every reader accepts plain
// and .gz files alike. Readers get the decompressed bytes in order and never see zlib.
//
// Why zlib's inflate and not gzopen/gzread: gzread silently ignores trailing garbage after a gzip
// stream and reads non-gzip files "transparently"; a reader must reject the first and decide the
// second itself. Why streaming: a corrupt header may claim gigabytes, so nothing is allocated for
// data that has not actually arrived.

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "file_error.hpp"

namespace ctnn::io::detail {

class byte_stream {
 public:
  // Opens `file` for the reader named `reader` (used in messages). Throws file_error when the file
  // does not exist, is not a regular file, cannot be opened or is empty.
  byte_stream(const std::filesystem::path& file, const char* reader)
      : file_(file), reader_(reader) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status)) fail("", "the file does not exist");
    if (std::filesystem::is_directory(status)) fail("", "this is a directory, not a file");
    in_.open(file, std::ios::binary);
    if (!in_) fail("", "the file cannot be opened for reading (check its permissions)");
    refill();
    if (avail_ == 0) fail("", "the file is empty (0 bytes)");
    gzip_ = avail_ >= 2 && buffer_[0] == 0x1f && buffer_[1] == 0x8b;
    if (gzip_) {
      if (inflateInit2(&zs_, 15 + 16) != Z_OK)  // 15: largest window; +16: gzip wrapper only
        fail("", "zlib could not be initialised (out of memory?)");
      zs_open_ = true;
    } else {
      // Plain files know their size up front, so a reader can check a header against it before
      // it allocates anything.
      const auto size = std::filesystem::file_size(file, ec);
      if (!ec) plain_size_ = size;
    }
  }
  byte_stream(const byte_stream&) = delete;
  byte_stream& operator=(const byte_stream&) = delete;
  ~byte_stream() {
    if (zs_open_) inflateEnd(&zs_);
  }

  // Reads up to n bytes into dst; fewer only at the end of the data. A corrupt or truncated gzip
  // stream throws file_error here, so a short count always means "the data ends".
  std::size_t read(unsigned char* dst, std::size_t n) {
    const std::size_t got = gzip_ ? inflate_some(dst, n) : copy_some(dst, n);
    offset_ += got;
    return got;
  }

  // True when no data follows; otherwise the next byte stays readable.
  bool at_end() {
    if (has_pending_) return false;
    unsigned char byte;
    if (read(&byte, 1) == 0) return true;
    --offset_;  // keep offsets of error messages pointing at the last byte the caller used
    pending_ = byte;
    has_pending_ = true;
    return false;
  }

  bool gzip() const { return gzip_; }
  const std::filesystem::path& path() const { return file_; }
  // The size of a plain file, or UINT64_MAX when unknown (gzip: only known at the end).
  std::uint64_t plain_size() const { return plain_size_; }

  // "byte 16" (plain) or "byte 16 of the decompressed data" (gzip).
  std::string at_byte(std::uint64_t offset) const {
    return "byte " + std::to_string(offset) + (gzip_ ? " of the decompressed data" : "");
  }

  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    file_failed(reader_, file_, where, problem);
  }

 private:
  static constexpr std::size_t chunk = std::size_t{1} << 16;

  // Moves unread bytes to the front and fills the rest of the buffer from the file.
  void refill() {
    if (avail_ > 0 && next_ > 0) std::memmove(buffer_.data(), buffer_.data() + next_, avail_);
    next_ = 0;
    while (avail_ < buffer_.size() && in_) {
      in_.read(reinterpret_cast<char*>(buffer_.data() + avail_),
               static_cast<std::streamsize>(buffer_.size() - avail_));
      const auto got = in_.gcount();
      if (got <= 0) break;
      avail_ += static_cast<std::size_t>(got);
      file_read_ += static_cast<std::uint64_t>(got);
    }
    if (in_.bad()) fail("", "reading the file failed (I/O error)");
  }

  std::size_t take_pending(unsigned char*& dst, std::size_t& n) {
    if (!has_pending_ || n == 0) return 0;
    *dst++ = pending_;
    --n;
    has_pending_ = false;
    return 1;
  }

  std::size_t copy_some(unsigned char* dst, std::size_t n) {
    std::size_t done = take_pending(dst, n);
    while (n > 0) {
      if (avail_ == 0) refill();
      if (avail_ == 0) break;
      const std::size_t k = std::min(n, avail_);
      std::memcpy(dst, buffer_.data() + next_, k);
      next_ += k;
      avail_ -= k;
      dst += k;
      n -= k;
      done += k;
    }
    return done;
  }

  // Offset in the compressed file of the next unread compressed byte.
  std::uint64_t compressed_offset() const { return file_read_ - avail_; }

  std::size_t inflate_some(unsigned char* dst, std::size_t n) {
    std::size_t done = take_pending(dst, n);
    while (n > 0 && !finished_) {
      if (avail_ == 0) refill();
      if (avail_ == 0)
        fail("byte " + std::to_string(file_read_) + " of the gzip file (its end)",
             "the gzip stream ends before its end marker (the file is truncated) after " +
                 std::to_string(offset_ + done) + " decompressed bytes");
      zs_.next_in = buffer_.data() + next_;
      zs_.avail_in = static_cast<uInt>(avail_);
      zs_.next_out = dst;
      zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, chunk));
      const uInt out_before = zs_.avail_out;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t produced = out_before - zs_.avail_out;
      next_ += avail_ - zs_.avail_in;
      avail_ = zs_.avail_in;
      dst += produced;
      n -= produced;
      done += produced;
      if (rc == Z_STREAM_END) {
        end_of_member();
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
        fail("byte " + std::to_string(compressed_offset()) + " of the gzip file",
             std::string("the gzip data is corrupt (zlib: ") + (zs_.msg ? zs_.msg : "data error") +
                 ")");
      } else if (rc == Z_MEM_ERROR) {
        fail("", "out of memory while decompressing");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail("byte " + std::to_string(compressed_offset()) + " of the gzip file",
             "zlib failed to decompress (code " + std::to_string(rc) + ")");
      }
      // Z_OK, or Z_BUF_ERROR when zlib needs more input: the loop refills.
    }
    return done;
  }

  // A gzip file may hold several members back to back (as `cat a.gz b.gz` makes); anything else
  // after the first member is trailing garbage, which gzip(1) merely warns about. Rejecting it
  // keeps a damaged or wrongly concatenated file from passing as valid.
  void end_of_member() {
    if (avail_ < 2) refill();
    if (avail_ == 0) {
      finished_ = true;
      return;
    }
    if (avail_ >= 2 && buffer_[next_] == 0x1f && buffer_[next_ + 1] == 0x8b) {
      inflateReset(&zs_);
      return;
    }
    const std::uint64_t at = compressed_offset();
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(file_, ec);
    const std::string count = !ec && size > at ? std::to_string(size - at) + " bytes" : "bytes";
    fail("byte " + std::to_string(at) + " of the gzip file",
         count + " of trailing garbage follow the end of the gzip stream");
  }

  std::filesystem::path file_;
  const char* reader_;
  std::ifstream in_;
  std::vector<unsigned char> buffer_ = std::vector<unsigned char>(chunk);  // heap: 64 KiB
  std::size_t next_ = 0;   // first unread byte in buffer_
  std::size_t avail_ = 0;  // unread bytes in buffer_
  std::uint64_t file_read_ = 0;
  std::uint64_t offset_ = 0;  // decompressed bytes handed to the reader
  std::uint64_t plain_size_ = UINT64_MAX;
  bool gzip_ = false;
  bool finished_ = false;
  z_stream zs_{};
  bool zs_open_ = false;
  unsigned char pending_ = 0;
  bool has_pending_ = false;
};

}  // namespace ctnn::io::detail
