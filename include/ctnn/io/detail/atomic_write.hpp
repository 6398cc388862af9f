#pragma once
// Internal (ctnn::io::detail, unstable): replaces a file atomically. The bytes go to a fresh
// temporary file in the destination's directory (same file system, so the final rename cannot
// turn into a copy), are flushed to the disk with fsync, and only then renamed over the
// destination. A reader, or a crash at any moment, sees either the old file or the whole new one;
// on any error the temporary file is removed and the old destination is left as it was.

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <system_error>

#if __has_include(<unistd.h>)
#include <fcntl.h>
#include <unistd.h>
#else
#include <fstream>
#endif

#include "../file_error.hpp"

namespace ctnn::io::detail {

// ".model.ctnn.tmp-<pid>-<n>-<random>": hidden, and unique across threads and processes.
inline std::filesystem::path temporary_sibling(const std::filesystem::path& file) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict, GCC bug 105329) about
  // "literal" + std::string.
  std::string name = ".";
  name += file.filename().string();
  name += ".tmp-";
#if __has_include(<unistd.h>)
  name += std::to_string(::getpid()) + "-";
#endif
  name += std::to_string(counter++) + "-" + std::to_string(salt);
  return file.parent_path() / name;
}

inline void atomic_write(const char* writer, const std::filesystem::path& file,
                         std::span<const unsigned char> bytes) {
  if (file.filename().empty()) file_failed(writer, file, "", "the path does not name a file");
  std::error_code ec;
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  if (!std::filesystem::is_directory(dir, ec))
    file_failed(writer, file, "", "the directory '" + dir.string() + "' does not exist");
#if __has_include(<unistd.h>)
  std::filesystem::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = temporary_sibling(file);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    file_failed(writer, file, "",
                "cannot create a temporary file in '" + dir.string() + "': " + std::strerror(errno));
  const auto give_up = [&](const std::string& problem) {
    const std::string reason = problem + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    std::filesystem::remove(temp, ec);
    file_failed(writer, file, "",
                reason + " (the file was not changed; the temporary file was removed)");
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ::ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) give_up("writing the temporary file failed after " + std::to_string(done) + " of " +
                        std::to_string(bytes.size()) + " bytes");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) give_up("flushing the temporary file to disk (fsync) failed");
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) give_up("closing the temporary file failed");
  if (::rename(temp.c_str(), file.c_str()) != 0)
    give_up("renaming the temporary file over the destination failed");
  // Make the rename itself durable; the new file is complete either way, so this is best effort.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
#else
  // Without POSIX calls: the same protocol, minus fsync (the stream's flush is the best we have).
  const auto temp = temporary_sibling(file);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(temp, ec);
      file_failed(writer, file, "", "writing the temporary file failed (the file was not changed)");
    }
  }
  std::filesystem::rename(temp, file, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    file_failed(writer, file, "", "renaming the temporary file over the destination failed");
  }
#endif
}

}  // namespace ctnn::io::detail
