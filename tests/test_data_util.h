// Helpers shared by the tests/test_data_*.cpp files: a temporary directory,
// writing raw and gzip files, and catching an nf::Error's message.
#pragma once
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tests/temp_dir.h"

namespace nf::data::testing {

using nf::testing::TempDir;

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  NF_CHECK(out.good(), "write_bytes: cannot write ", path);
}

inline void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  NF_CHECK(f != nullptr, "write_gz: cannot open ", path);
  int wrote = bytes.empty() ? 0 : gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
  NF_CHECK(wrote == int(bytes.size()), "write_gz: short write to ", path);
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of the nf::Error that fn throws, or "<no error>".
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace nf::data::testing
