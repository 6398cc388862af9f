#pragma once
// The one exception type of ctnn's data readers. Bad input (a missing, empty, truncated or corrupt
// file, a malformed record) throws ctnn::io::file_error, a std::runtime_error: unlike a
// contract_error it is not a programming mistake but a fact about a file. The message names the
// reader, the file, where in it (line, or byte offset) and the problem, like a compiler does:
//   ctnn::io::read_csv: 'data/train.csv': line 7, column 3: "1.5x" is not a number

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace ctnn::io {

class file_error : public std::runtime_error {
 public:
  file_error(const std::filesystem::path& file, const std::string& message)
      : std::runtime_error(message), file_(std::make_shared<const std::filesystem::path>(file)) {}

  // The file the error is about (kept behind a shared_ptr so copying the exception cannot throw).
  const std::filesystem::path& path() const noexcept { return *file_; }

 private:
  std::shared_ptr<const std::filesystem::path> file_;
};

namespace detail {

// `where` is "line 7", "byte 16", ... or empty when the problem concerns the whole file.
[[noreturn]] inline void file_failed(const char* reader, const std::filesystem::path& file,
                                     const std::string& where, const std::string& problem) {
  std::string message = std::string("ctnn::io::") + reader + ": '" + file.string() + "': ";
  if (!where.empty()) message += where + ": ";
  throw file_error(file, message + problem);
}

}  // namespace detail
}  // namespace ctnn::io
