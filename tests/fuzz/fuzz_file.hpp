#pragma once
// What the libFuzzer targets of tests/fuzz/ share: the readers take a file, so each input is
// written to one scratch file of this process (in $TMPDIR), read back by the reader under test,
// and the outcome judged: a successful read that agrees with itself, or ctnn::io::file_error
// naming the file. Any other exception escapes LLVMFuzzerTestOneInput and libFuzzer reports it
// as a crash, as it does a sanitizer report; fail() aborts for the other broken promises.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctnn/io/file_error.hpp>
#include <filesystem>
#include <string>

namespace ctnn_fuzz {

inline const std::filesystem::path& scratch_file() {
  static const std::filesystem::path file = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::filesystem::path(dir != nullptr && *dir != '\0' ? dir : "/tmp") /
           ("ctnn-fuzz-" + std::to_string(getpid()) + ".bin");
  }();
  return file;
}

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "ctnn fuzz target: %s\n", what);
  std::abort();
}

inline void write_input(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(scratch_file().c_str(), "wb");
  if (f == nullptr) fail("cannot write the scratch file");
  if (size > 0 && std::fwrite(data, 1, size, f) != size) fail("short write to the scratch file");
  std::fclose(f);
}

// Runs read(path); a file_error must name the scratch file. Returns whether the read succeeded.
template <class Read>
bool judge(Read&& read) {
  try {
    read(scratch_file());
    return true;
  } catch (const ctnn::io::file_error& e) {
    if (std::string(e.what()).find(scratch_file().filename().string()) == std::string::npos)
      fail("a file_error that does not name the file");
    return false;
  }
}

}  // namespace ctnn_fuzz
