// Shared by the fuzz/fuzz_*.cpp libFuzzer targets.
//
// A reader may reject any input, but only with nf::Error: expect_errors()
// swallows those and lets everything else escape, so libFuzzer reports an
// uncaught exception (std::bad_alloc from a believed header, a json
// exception a reader forgot to translate) as a crash, like ASan/UBSan
// reports and timeouts.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/error.h"

namespace nf::fuzz {

// This process's scratch directory for readers that only take paths:
// $TMPDIR/nf_fuzz_<pid> (libFuzzer's -fork/-jobs workers get their own).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() / ("nf_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes the bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  out.close();
  if (!out) __builtin_trap();  // the harness itself failed: not the reader's fault
  return path;
}

// Splits an input that packs several files into pieces separated by '\0'
// (text formats never contain one), e.g. config.json \0 trials.jsonl.
inline std::vector<std::string_view> split_nul(const uint8_t* data, size_t size) {
  std::vector<std::string_view> parts;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (size_t i = 0; i <= all.size(); ++i) {
    if (i == all.size() || all[i] == '\0') {
      parts.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Runs fn; nf::Error is the reader's legitimate answer to bad input.
template <typename Fn>
bool expect_errors(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const nf::Error&) {
    return false;
  }
}

}  // namespace nf::fuzz
